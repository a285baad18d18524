//! ranges/sources.json: which provider files exist, where they come from
//! and how to read them.

use range_trie::Cloud;
use serde::Deserialize;
use std::path::Path;

/// The file formats the parsers understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Format {
    /// AWS ip-ranges.json (`prefixes` / `ipv6_prefixes`).
    #[serde(rename = "aws-ip-ranges")]
    AwsIpRanges,
    /// Google Cloud cloud.json (`ipv4Prefix` / `ipv6Prefix` with `scope`).
    #[serde(rename = "gcp-cloud")]
    GcpCloud,
    /// Azure Service Tags (`values[].properties.addressPrefixes`).
    #[serde(rename = "azure-service-tags")]
    AzureServiceTags,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub providers: Vec<Source>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// "AWS", "GCP" or "Azure".
    #[serde(deserialize_with = "cloud_label")]
    pub cloud: Cloud,
    pub format: Format,
    /// File name inside the ranges directory.
    pub file: String,
    /// Where the file is published (for Azure: the download page that links it).
    pub url: String,
    /// Azure only: glob (`*` wildcards) matching the file's link on `url`.
    #[serde(default)]
    pub link_pattern: Option<String>,
    /// Regions whose prefixes are dropped (AWS lists regions before they open).
    #[serde(default)]
    pub exclude_regions: Vec<String>,
    /// Free text for humans.
    #[serde(default)]
    pub note: Option<String>,
}

fn cloud_label<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Cloud, D::Error> {
    let label = String::deserialize(d)?;
    Cloud::from_label(&label).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown cloud {label:?} (expected one of AWS, GCP, Azure)"
        ))
    })
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the sources manifest: {e}", path.display()))?;
        Manifest::parse(&path.display().to_string(), &text)
    }

    pub fn parse(name: &str, text: &str) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for (i, source) in manifest.providers.iter().enumerate() {
            let clash = manifest.providers[..i]
                .iter()
                .any(|s| s.cloud == source.cloud || s.file == source.file);
            if clash {
                return Err(format!(
                    "{name}: providers[{i}]: cloud {} or file {:?} listed twice",
                    source.cloud, source.file
                ));
            }
            if source.format == Format::AzureServiceTags && source.link_pattern.is_none() {
                return Err(format!(
                    "{name}: providers[{i}]: azure-service-tags needs link_pattern (its URL rotates)"
                ));
            }
        }
        Ok(manifest)
    }
}
