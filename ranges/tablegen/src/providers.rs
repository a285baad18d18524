//! Parsers for the three published range formats.
//!
//! Every problem is reported with the file, the entry (JSON path and index)
//! and what is wrong, because it fails the build (or a refresh) and the
//! person reading it has to find the entry in a multi-megabyte file.

use crate::entry::Entry;
use crate::manifest::{Format, Source};
use ipnet::IpNet;
use range_trie::Cloud;
use serde::Deserialize;
use std::collections::BTreeSet;

/// A parsed provider file.
#[derive(Debug)]
pub struct ProviderData {
    pub cloud: Cloud,
    pub file: String,
    pub url: String,
    /// syncToken (AWS, GCP) or changeNumber (Azure).
    pub sync_token: String,
    /// createDate (AWS) or creationTime (GCP); Azure publishes none in the file.
    pub created: String,
    /// Entries as published, before dedupe and exclusion.
    pub published_entries: usize,
    /// Entries dropped because their region is in `exclude_regions`.
    pub excluded_entries: usize,
    pub exclude_regions: Vec<String>,
    /// Distinct (prefix, region) pairs kept, sorted.
    pub entries: Vec<Entry>,
}

/// Parses one provider file (`name` is used in messages).
pub fn parse(source: &Source, name: &str, text: &str) -> Result<ProviderData, String> {
    let parsed = match source.format {
        Format::AwsIpRanges => parse_aws(name, text),
        Format::GcpCloud => parse_gcp(name, text),
        Format::AzureServiceTags => parse_azure(name, text),
    }?;
    let published_entries = parsed.entries.len();
    let mut kept = BTreeSet::new();
    let mut excluded_entries = 0;
    for (net, region) in parsed.entries {
        if source.exclude_regions.contains(&region) {
            excluded_entries += 1;
        } else {
            kept.insert(Entry {
                net,
                cloud: source.cloud,
                region,
            });
        }
    }
    Ok(ProviderData {
        cloud: source.cloud,
        file: source.file.clone(),
        url: source.url.clone(),
        sync_token: parsed.sync_token,
        created: parsed.created,
        published_entries,
        excluded_entries,
        exclude_regions: source.exclude_regions.clone(),
        entries: kept.into_iter().collect(),
    })
}

struct Parsed {
    sync_token: String,
    created: String,
    entries: Vec<(IpNet, String)>,
}

fn json<'a, T: Deserialize<'a>>(name: &str, text: &'a str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("{name}: not a valid file of this format: {e}"))
}

/// Parses a prefix, masking host bits as netip.ParsePrefix().Masked() does
/// in archeio (a prefix with host bits set is still unambiguous).
fn prefix(name: &str, at: &str, text: &str, want_v6: Option<bool>) -> Result<IpNet, String> {
    let net: IpNet = text
        .parse()
        .map_err(|_| format!("{name}: {at}: {text:?} is not an IP prefix (address/length)"))?;
    match (want_v6, net) {
        (Some(true), IpNet::V4(_)) => Err(format!("{name}: {at}: {text:?} is IPv4, expected IPv6")),
        (Some(false), IpNet::V6(_)) => {
            Err(format!("{name}: {at}: {text:?} is IPv6, expected IPv4"))
        }
        _ => Ok(net.trunc()),
    }
}

fn required<'a>(
    name: &str,
    at: &str,
    field: &str,
    value: &'a Option<String>,
) -> Result<&'a str, String> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(format!("{name}: {at}: field {field:?} is empty")),
        None => Err(format!("{name}: {at}: field {field:?} is missing")),
    }
}

#[derive(Deserialize)]
struct AwsFile {
    #[serde(rename = "syncToken")]
    sync_token: Option<String>,
    #[serde(rename = "createDate")]
    create_date: Option<String>,
    prefixes: Option<Vec<AwsPrefix>>,
    ipv6_prefixes: Option<Vec<AwsPrefix>>,
}

#[derive(Deserialize)]
struct AwsPrefix {
    ip_prefix: Option<String>,
    ipv6_prefix: Option<String>,
    region: Option<String>,
}

fn parse_aws(name: &str, text: &str) -> Result<Parsed, String> {
    let file: AwsFile = json(name, text)?;
    let mut entries = Vec::new();
    let lists = [
        ("prefixes", "ip_prefix", false, &file.prefixes),
        ("ipv6_prefixes", "ipv6_prefix", true, &file.ipv6_prefixes),
    ];
    for (list_name, field, v6, list) in lists {
        let list = list
            .as_ref()
            .ok_or_else(|| format!("{name}: top-level array {list_name:?} is missing"))?;
        for (i, p) in list.iter().enumerate() {
            let at = format!("{list_name}[{i}]");
            let text = required(
                name,
                &at,
                field,
                if v6 { &p.ipv6_prefix } else { &p.ip_prefix },
            )?;
            let at = format!("{at} ({text})");
            let region = required(name, &at, "region", &p.region)?;
            entries.push((prefix(name, &at, text, Some(v6))?, region.to_string()));
        }
    }
    Ok(Parsed {
        sync_token: required(name, "top level", "syncToken", &file.sync_token)?.to_string(),
        created: required(name, "top level", "createDate", &file.create_date)?.to_string(),
        entries,
    })
}

#[derive(Deserialize)]
struct GcpFile {
    #[serde(rename = "syncToken")]
    sync_token: Option<String>,
    #[serde(rename = "creationTime")]
    creation_time: Option<String>,
    prefixes: Option<Vec<GcpPrefix>>,
}

#[derive(Deserialize)]
struct GcpPrefix {
    #[serde(rename = "ipv4Prefix")]
    ipv4_prefix: Option<String>,
    #[serde(rename = "ipv6Prefix")]
    ipv6_prefix: Option<String>,
    scope: Option<String>,
}

fn parse_gcp(name: &str, text: &str) -> Result<Parsed, String> {
    let file: GcpFile = json(name, text)?;
    let list = file
        .prefixes
        .as_ref()
        .ok_or_else(|| format!("{name}: top-level array \"prefixes\" is missing"))?;
    let mut entries = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = format!("prefixes[{i}]");
        let (text, v6) = match (&p.ipv4_prefix, &p.ipv6_prefix) {
            (Some(t), None) => (t, false),
            (None, Some(t)) => (t, true),
            (Some(_), Some(_)) => {
                return Err(format!("{name}: {at}: has both ipv4Prefix and ipv6Prefix"))
            }
            (None, None) => {
                return Err(format!(
                    "{name}: {at}: has neither ipv4Prefix nor ipv6Prefix"
                ))
            }
        };
        let at = format!("{at} ({text})");
        let scope = required(name, &at, "scope", &p.scope)?;
        entries.push((prefix(name, &at, text, Some(v6))?, scope.to_string()));
    }
    Ok(Parsed {
        sync_token: required(name, "top level", "syncToken", &file.sync_token)?.to_string(),
        created: required(name, "top level", "creationTime", &file.creation_time)?.to_string(),
        entries,
    })
}

#[derive(Deserialize)]
struct AzureFile {
    #[serde(rename = "changeNumber")]
    change_number: Option<serde_json::Value>,
    values: Option<Vec<AzureTag>>,
}

#[derive(Deserialize)]
struct AzureTag {
    name: Option<String>,
    properties: Option<AzureProperties>,
}

#[derive(Deserialize)]
struct AzureProperties {
    region: Option<String>,
    #[serde(rename = "addressPrefixes")]
    address_prefixes: Option<Vec<String>>,
}

/// Only the regional `AzureCloud.<region>` tags: the global `AzureCloud`
/// tag and the per-service tags are subsets or unions of them.
fn parse_azure(name: &str, text: &str) -> Result<Parsed, String> {
    let file: AzureFile = json(name, text)?;
    let values = file
        .values
        .as_ref()
        .ok_or_else(|| format!("{name}: top-level array \"values\" is missing"))?;
    let mut entries = Vec::new();
    for (i, tag) in values.iter().enumerate() {
        let tag_name = required(name, &format!("values[{i}]"), "name", &tag.name)?;
        if !tag_name.starts_with("AzureCloud.") {
            continue;
        }
        let at = format!("values[{i}] ({tag_name})");
        let props = tag
            .properties
            .as_ref()
            .ok_or_else(|| format!("{name}: {at}: field \"properties\" is missing"))?;
        let Some(region) = props.region.as_deref().filter(|r| !r.is_empty()) else {
            continue;
        };
        let list = props.address_prefixes.as_ref().ok_or_else(|| {
            format!("{name}: {at}: field \"properties.addressPrefixes\" is missing")
        })?;
        for (j, text) in list.iter().enumerate() {
            let at = format!("{at}: properties.addressPrefixes[{j}]");
            entries.push((prefix(name, &at, text, None)?, region.to_string()));
        }
    }
    let sync_token = match &file.change_number {
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => {
            return Err(format!(
                "{name}: top level: field \"changeNumber\" is missing"
            ))
        }
    };
    Ok(Parsed {
        sync_token,
        created: String::new(),
        entries,
    })
}
