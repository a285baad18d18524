//! The region locations file (`ranges/regions.txt`): where every region the
//! range snapshot names is, compiled into the binary next to the tries.
//!
//! ```text
//! source AWS AWS region display names, https://docs.aws.amazon.com/…
//! AWS GLOBAL nowhere # AWS's global prefixes
//! AWS eu-west-3 48.86 2.35 # Paris, France
//! AWS cn-north-1 39.90 116.41 partition=aws-cn # Beijing, China
//! GCP us-central2 36.31 -95.32 unverified # Pryor, Oklahoma (inferred)
//! ```
//!
//! `#` starts a comment (the place and any note). Flags after the
//! coordinates: `partition=NAME`, `unverified`, `excluded`. Every cloud
//! with region lines has one `source` line naming where its places come
//! from. A plain line format, so the build parses no JSON.

use crate::snapshot::Snapshot;
use range_trie::Cloud;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One region's line.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionLine {
    pub cloud: Cloud,
    pub region: String,
    /// `None`: named in the range data but not a place (`nowhere`).
    pub place: Option<(f64, f64)>,
    /// Empty for the provider's standard partition.
    pub partition: String,
    pub unverified: bool,
    pub excluded: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionFile {
    /// The public source of each cloud's lines.
    pub sources: BTreeMap<Cloud, String>,
    /// Sorted by (cloud, region), each once.
    pub regions: Vec<RegionLine>,
}

impl RegionFile {
    /// Reads the file; `name` is used in messages, each of which names the
    /// line (a bad file fails the build).
    pub fn parse(name: &str, text: &str) -> Result<RegionFile, String> {
        let mut file = RegionFile::default();
        let mut seen: BTreeMap<(Cloud, String), usize> = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let at = |problem: String| format!("{name}:{}: {problem}", index + 1);
            let line = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("source ") {
                let (cloud, text) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
                let cloud = cloud_label(cloud).map_err(at)?;
                if text.trim().is_empty() {
                    return Err(at(format!("source {cloud}: the source text is missing")));
                }
                if file
                    .sources
                    .insert(cloud, text.trim().to_string())
                    .is_some()
                {
                    return Err(at(format!("source {cloud} given twice")));
                }
                continue;
            }
            let region = region_line(line).map_err(at)?;
            let key = (region.cloud, region.region.clone());
            if let Some(first) = seen.insert(key, index + 1) {
                return Err(at(format!(
                    "{} {} is already on line {first}",
                    region.cloud, region.region
                )));
            }
            file.regions.push(region);
        }
        for cloud in file.regions.iter().map(|r| r.cloud) {
            if !file.sources.contains_key(&cloud) {
                return Err(format!(
                    "{name}: {cloud} regions without a `source {cloud} …` line"
                ));
            }
        }
        file.regions
            .sort_by(|a, b| (a.cloud, &a.region).cmp(&(b.cloud, &b.region)));
        Ok(file)
    }

    /// The (cloud, region) pairs `snapshot` routes to that this file does
    /// not place, with their prefix counts, in snapshot order.
    pub fn missing(&self, snapshot: &Snapshot) -> Vec<(Cloud, String, usize)> {
        let mut counts: BTreeMap<(Cloud, &str), usize> = BTreeMap::new();
        for e in &snapshot.entries {
            *counts.entry((e.cloud, e.region.as_str())).or_default() += 1;
        }
        counts
            .into_iter()
            .filter(|((cloud, region), _)| !self.has(*cloud, region))
            .map(|((cloud, region), n)| (cloud, region.to_string(), n))
            .collect()
    }

    fn has(&self, cloud: Cloud, region: &str) -> bool {
        self.regions
            .binary_search_by(|r| (r.cloud, r.region.as_str()).cmp(&(cloud, region)))
            .is_ok()
    }

    /// Fails, naming every region, when `snapshot` routes to a region this
    /// file lacks (so a new region cannot slip into routing unplaced).
    pub fn check_covers(&self, name: &str, snapshot: &Snapshot) -> Result<(), String> {
        let missing = self.missing(snapshot);
        if missing.is_empty() {
            return Ok(());
        }
        let mut message = format!("{name}: no location for regions of the range snapshot:\n");
        for (cloud, region, n) in &missing {
            writeln!(message, "  {cloud} {region} ({n} prefixes)").unwrap();
        }
        message.push_str(
            "add a line `CLOUD REGION LAT LON # place` for each, from the provider's published \
             location (or `CLOUD REGION nowhere # why` if it is not a place)",
        );
        Err(message)
    }

    /// The generated `SITES` array (located regions only), sorted by
    /// (cloud, region) for `range_trie::find_site`.
    pub fn sites_source(&self) -> String {
        let located: Vec<(&RegionLine, (f64, f64))> = self
            .regions
            .iter()
            .filter_map(|r| r.place.map(|p| (r, p)))
            .collect();
        let mut s = String::new();
        // Coordinates, not constants: Kuala Lumpur is at 3.14 N.
        writeln!(s, "#[allow(clippy::approx_constant)]").unwrap();
        writeln!(
            s,
            "pub static SITES: [range_trie::RegionSite; {}] = [",
            located.len()
        )
        .unwrap();
        for (r, (lat, lon)) in located {
            writeln!(
                s,
                "    range_trie::RegionSite {{ cloud: range_trie::Cloud::{:?}, region: {:?}, lat: {lat:?}, lon: {lon:?}, partition: {:?}, unverified: {} }},",
                r.cloud, r.region, r.partition, r.unverified
            )
            .unwrap();
        }
        writeln!(s, "];").unwrap();
        s
    }
}

fn cloud_label(label: &str) -> Result<Cloud, String> {
    Cloud::from_label(label)
        .ok_or_else(|| format!("unknown cloud {label:?} (expected one of AWS, GCP, Azure)"))
}

fn region_line(line: &str) -> Result<RegionLine, String> {
    let mut words = line.split_ascii_whitespace();
    let (Some(cloud), Some(region)) = (words.next(), words.next()) else {
        return Err(format!(
            "{line:?}: expected CLOUD REGION LAT LON [FLAG...] or CLOUD REGION nowhere"
        ));
    };
    let cloud = cloud_label(cloud)?;
    let mut out = RegionLine {
        cloud,
        region: region.to_string(),
        place: None,
        partition: String::new(),
        unverified: false,
        excluded: false,
    };
    let at = format!("{cloud} {region}");
    let rest: Vec<&str> = words.collect();
    let flags = match rest.as_slice() {
        ["nowhere", flags @ ..] => flags,
        [lat, lon, flags @ ..] => {
            let degrees = |text: &str, limit: f64, what: &str| -> Result<f64, String> {
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && v.abs() <= limit)
                    .ok_or_else(|| format!("{at}: {what} {text:?} is not a number within ±{limit}"))
            };
            out.place = Some((
                degrees(lat, 90.0, "latitude")?,
                degrees(lon, 180.0, "longitude")?,
            ));
            flags
        }
        _ => return Err(format!("{at}: expected LAT LON or `nowhere`")),
    };
    for flag in flags {
        match *flag {
            "unverified" => out.unverified = true,
            "excluded" => out.excluded = true,
            f => match f.strip_prefix("partition=") {
                Some(p) if !p.is_empty() => out.partition = p.to_string(),
                _ => {
                    return Err(format!(
                        "{at}: unknown flag {f:?} (expected partition=NAME, unverified, excluded)"
                    ))
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# comment\n\
source AWS docs.example/aws regions\n\
source GCP docs.example/gcp\n\
AWS GLOBAL nowhere # no region\n\
AWS eu-west-3 48.86 2.35 # Paris\n\
AWS cn-north-1 39.90 116.41 partition=aws-cn # Beijing\n\
GCP us-central2 36.31 -95.32 unverified excluded # Oklahoma\n";

    #[test]
    fn parses_places_flags_and_sources() {
        let file = RegionFile::parse("t", TEXT).unwrap();
        assert_eq!(file.sources[&Cloud::Aws], "docs.example/aws regions");
        let names: Vec<&str> = file.regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(names, ["GLOBAL", "cn-north-1", "eu-west-3", "us-central2"]);
        assert_eq!(file.regions[0].place, None);
        assert_eq!(file.regions[1].partition, "aws-cn");
        assert_eq!(file.regions[2].place, Some((48.86, 2.35)));
        assert!(file.regions[3].unverified && file.regions[3].excluded);
        let source = file.sites_source();
        assert!(
            source.contains("SITES: [range_trie::RegionSite; 3]"),
            "{source}"
        );
        assert!(source
            .contains("region: \"cn-north-1\", lat: 39.9, lon: 116.41, partition: \"aws-cn\""));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let head = "source AWS x\n";
        let cases = [
            ("AWS a 91 0", "t:2: AWS a: latitude \"91\" is not a number"),
            ("AWS a 1 x", "t:2: AWS a: longitude \"x\" is not a number"),
            ("AWS a 1", "t:2: AWS a: expected LAT LON or `nowhere`"),
            ("AWS", "t:2: \"AWS\": expected CLOUD REGION"),
            ("Oracle a 1 2", "t:2: unknown cloud \"Oracle\""),
            ("AWS a 1 2 shiny", "t:2: AWS a: unknown flag \"shiny\""),
            (
                "AWS a 1 2 partition=",
                "t:2: AWS a: unknown flag \"partition=\"",
            ),
            ("source AWS y", "t:2: source AWS given twice"),
        ];
        for (line, want) in cases {
            let err = RegionFile::parse("t", &format!("{head}{line}\n")).unwrap_err();
            assert!(err.starts_with(want), "{line}: {err}");
        }
        let twice = RegionFile::parse("t", "source AWS x\nAWS a 1 2\nAWS a 3 4\n").unwrap_err();
        assert_eq!(twice, "t:3: AWS a is already on line 2");
        let unsourced = RegionFile::parse("t", "GCP a 1 2\n").unwrap_err();
        assert_eq!(unsourced, "t: GCP regions without a `source GCP …` line");
    }

    #[test]
    fn names_the_regions_the_snapshot_routes_to_but_the_file_lacks() {
        let snapshot = Snapshot::parse(
            "s",
            "# provider AWS url=u sync_token=1 created=- published_entries=3 excluded_entries=0 exclude_regions=- v4_prefixes=3 v6_prefixes=0\n\
             10.0.0.0/8 AWS eu-west-3\n\
             11.0.0.0/8 AWS xx-new-1\n\
             12.0.0.0/8 AWS xx-new-1\n\
             13.0.0.0/8 AWS GLOBAL\n",
        )
        .unwrap();
        let file = RegionFile::parse("t", TEXT).unwrap();
        assert_eq!(
            file.missing(&snapshot),
            [(Cloud::Aws, "xx-new-1".to_string(), 2)]
        );
        let err = file.check_covers("t", &snapshot).unwrap_err();
        assert!(err.contains("  AWS xx-new-1 (2 prefixes)"), "{err}");
    }
}
