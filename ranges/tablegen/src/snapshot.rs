//! The normalised range file (`ranges/cloud-ranges.txt`): the one input of
//! the build, committed so that its git diff is exactly the change in
//! routing.
//!
//! ```text
//! # provider AWS url=https://… sync_token=… created=… published_entries=… excluded_entries=… exclude_regions=a,b v4_prefixes=… v6_prefixes=…
//! 3.2.0.0/24 AWS ap-northeast-1
//! 2600:1f00::/24 AWS us-west-2
//! ```
//!
//! One line per distinct prefix (`PREFIX CLOUD REGION`), already resolved
//! to a single location, IPv4 before IPv6, sorted by address then length.
//! Header lines (`# provider …`) carry each provider's provenance; other
//! `#` lines are comments.

use crate::entry::{Entry, Prefix};
use ipnet::IpNet;
use range_trie::Cloud;
use std::fmt::Write;

/// One provider's provenance, as written in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    pub cloud: Cloud,
    pub url: String,
    /// syncToken (AWS, GCP) or changeNumber (Azure).
    pub sync_token: String,
    /// createDate (AWS) or creationTime (GCP); empty for Azure.
    pub created: String,
    pub published_entries: u32,
    pub excluded_entries: u32,
    pub exclude_regions: Vec<String>,
    /// Distinct (prefix, region) pairs kept from this provider, before the
    /// providers are merged.
    pub v4_prefixes: u32,
    pub v6_prefixes: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub providers: Vec<ProviderInfo>,
    /// Resolved entries in file order (see [`sort_key`]).
    pub entries: Vec<Entry>,
}

/// File order: IPv4 first, then by address, then by length.
pub fn sort_key(net: &IpNet) -> (bool, Prefix) {
    (matches!(net, IpNet::V6(_)), Prefix::of(net))
}

const TITLE: &str =
    "# registry-edge cloud IP ranges, written by `make ranges` (ranges-refresh); do not edit.\n\
# One line per distinct prefix: PREFIX CLOUD REGION (IPv4, then IPv6, by address).\n";

/// An empty value in the header (no spaces allowed there).
const NONE: &str = "-";

impl Snapshot {
    /// The file's text. Entries are sorted and must be distinct.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(TITLE.len() + self.entries.len() * 40);
        s.push_str(TITLE);
        for p in &self.providers {
            let or_none = |v: &str| {
                if v.is_empty() {
                    NONE.to_string()
                } else {
                    v.to_string()
                }
            };
            writeln!(
                s,
                "# provider {} url={} sync_token={} created={} published_entries={} excluded_entries={} exclude_regions={} v4_prefixes={} v6_prefixes={}",
                p.cloud,
                p.url,
                p.sync_token,
                or_none(&p.created),
                p.published_entries,
                p.excluded_entries,
                or_none(&p.exclude_regions.join(",")),
                p.v4_prefixes,
                p.v6_prefixes,
            )
            .unwrap();
        }
        for e in &self.entries {
            writeln!(s, "{} {} {}", e.net, e.cloud, e.region).unwrap();
        }
        s
    }

    /// Reads a snapshot; `name` is used in messages (every problem names
    /// the line, because a bad file fails the build).
    pub fn parse(name: &str, text: &str) -> Result<Snapshot, String> {
        let mut snapshot = Snapshot::default();
        for (index, line) in text.lines().enumerate() {
            let at = |problem: String| format!("{name}:{}: {problem}", index + 1);
            let line = line.trim();
            if let Some(header) = line.strip_prefix("# provider ") {
                let info = provider_info(header).map_err(at)?;
                if snapshot.providers.iter().any(|p| p.cloud == info.cloud) {
                    return Err(at(format!("provider {} listed twice", info.cloud)));
                }
                snapshot.providers.push(info);
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = entry(line).map_err(at)?;
            if let Some(previous) = snapshot.entries.last() {
                if sort_key(&previous.net) >= sort_key(&entry.net) {
                    return Err(at(format!(
                        "{} is not after {}: the file must be sorted, one line per prefix",
                        entry.net, previous.net
                    )));
                }
            }
            if !snapshot.providers.iter().any(|p| p.cloud == entry.cloud) {
                return Err(at(format!("no `# provider {}` header above", entry.cloud)));
            }
            snapshot.entries.push(entry);
        }
        if snapshot.entries.is_empty() {
            return Err(format!("{name}: no prefixes"));
        }
        Ok(snapshot)
    }
}

fn entry(line: &str) -> Result<Entry, String> {
    let mut fields = line.split_ascii_whitespace();
    let (Some(prefix), Some(cloud), Some(region), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("{line:?}: expected PREFIX CLOUD REGION"));
    };
    let net: IpNet = prefix
        .parse()
        .map_err(|_| format!("{prefix:?} is not an IP prefix (address/length)"))?;
    if net != net.trunc() {
        return Err(format!(
            "{prefix:?} has host bits set (expected {})",
            net.trunc()
        ));
    }
    Ok(Entry {
        net,
        cloud: cloud_label(cloud)?,
        region: region.to_string(),
    })
}

fn cloud_label(label: &str) -> Result<Cloud, String> {
    Cloud::from_label(label)
        .ok_or_else(|| format!("unknown cloud {label:?} (expected one of AWS, GCP, Azure)"))
}

fn provider_info(header: &str) -> Result<ProviderInfo, String> {
    let mut words = header.split_ascii_whitespace();
    let cloud = cloud_label(words.next().unwrap_or_default())?;
    let fields: Vec<(&str, &str)> = words
        .map(|w| {
            w.split_once('=')
                .ok_or_else(|| format!("{w:?}: expected key=value"))
        })
        .collect::<Result<_, _>>()?;
    let text = |key: &str| -> Result<String, String> {
        let value = fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("provider {cloud}: {key}= is missing"))?;
        Ok(if value == NONE {
            String::new()
        } else {
            value.to_string()
        })
    };
    let number = |key: &str| -> Result<u32, String> {
        text(key)?
            .parse()
            .map_err(|_| format!("provider {cloud}: {key}= is not a count"))
    };
    let exclude = text("exclude_regions")?;
    Ok(ProviderInfo {
        cloud,
        url: text("url")?,
        sync_token: text("sync_token")?,
        created: text("created")?,
        published_entries: number("published_entries")?,
        excluded_entries: number("excluded_entries")?,
        exclude_regions: exclude
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        v4_prefixes: number("v4_prefixes")?,
        v6_prefixes: number("v6_prefixes")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# provider AWS url=https://a.example/r.json sync_token=7 created=2026-07-01 published_entries=3 excluded_entries=1 exclude_regions=x-1,y-2 v4_prefixes=1 v6_prefixes=1\n\
# provider Azure url=https://b.example sync_token=9 created=- published_entries=1 excluded_entries=0 exclude_regions=- v4_prefixes=1 v6_prefixes=0\n\
10.0.0.0/8 AWS us-east-1\n\
20.36.32.0/19 Azure australiacentral\n\
2600:1f00::/24 AWS us-west-2\n";

    #[test]
    fn round_trips() {
        let snapshot = Snapshot::parse("t", TEXT).unwrap();
        assert_eq!(snapshot.providers.len(), 2);
        assert_eq!(snapshot.providers[0].exclude_regions, ["x-1", "y-2"]);
        assert_eq!(snapshot.providers[1].created, "");
        assert_eq!(snapshot.entries.len(), 3);
        let again = Snapshot::parse("t", &snapshot.render()).unwrap();
        assert_eq!(again, snapshot);
        assert!(snapshot.render().ends_with(
            TEXT.lines()
                .skip(2)
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .as_str()
        ));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let cases = [
            (
                "10.0.0.0/33 AWS a",
                "t:3: \"10.0.0.0/33\" is not an IP prefix",
            ),
            ("10.0.0.1/8 AWS a", "t:3: \"10.0.0.1/8\" has host bits set"),
            ("10.0.0.0/8 Oracle a", "t:3: unknown cloud \"Oracle\""),
            (
                "10.0.0.0/8 AWS",
                "t:3: \"10.0.0.0/8 AWS\": expected PREFIX CLOUD REGION",
            ),
            ("10.0.0.0/8 GCP a", "t:3: no `# provider GCP` header above"),
        ];
        let header: String = TEXT.lines().take(2).map(|l| format!("{l}\n")).collect();
        for (line, want) in cases {
            let err = Snapshot::parse("t", &format!("{header}{line}\n")).unwrap_err();
            assert!(err.starts_with(want), "{line}: {err}");
        }
        let unsorted = format!("{header}11.0.0.0/8 AWS a\n10.0.0.0/8 AWS a\n");
        let err = Snapshot::parse("t", &unsorted).unwrap_err();
        assert!(
            err.contains("t:4: 10.0.0.0/8 is not after 11.0.0.0/8"),
            "{err}"
        );
        let twice = format!("{header}10.0.0.0/8 AWS a\n10.0.0.0/8 AWS b\n");
        assert!(Snapshot::parse("t", &twice).unwrap_err().contains("t:4:"));
        assert_eq!(Snapshot::parse("t", &header).unwrap_err(), "t: no prefixes");
        let missing = "# provider AWS url=x sync_token=1\n10.0.0.0/8 AWS a\n";
        assert!(Snapshot::parse("t", missing)
            .unwrap_err()
            .contains("t:1: provider AWS: exclude_regions= is missing"));
    }
}
