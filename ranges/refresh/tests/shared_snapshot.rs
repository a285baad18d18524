//! The refresh tool on the real provider files (../shared/ranges, the July
//! 2026 snapshot the repository was built from): its output is the
//! committed ranges/cloud-ranges.txt byte for byte (so `make ranges
//! FROM=../shared/ranges` leaves the tree unchanged), and every line of it
//! agrees with a brute-force reading of the raw JSON that shares no code
//! with the tool's parsers.

use ipnet::IpNet;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The raw provider files: $RAW_RANGES_DIR, else ../shared/ranges beside the
/// repository. CI always has them (and fails without), unless
/// RAW_RANGES_DIR=none says the machine has none by design (GitHub's
/// runners: the files are not published anywhere); elsewhere the test says
/// it cannot run.
fn raw_dir() -> Option<PathBuf> {
    let set = std::env::var_os("RAW_RANGES_DIR");
    let none = set.as_deref() == Some(std::ffi::OsStr::new("none"));
    let dir = set
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/ranges"));
    if !none && dir.join("aws-ip-ranges.json").is_file() {
        return Some(dir);
    }
    assert!(
        none || std::env::var_os("CI").is_none(),
        "CI must have the raw provider files at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: no raw provider files at {} (set RAW_RANGES_DIR)",
        dir.display()
    );
    None
}

/// The snapshot the tool writes from `raw` (into a directory of `test`'s own).
fn refreshed(raw: &Path, test: &str) -> String {
    let out_dir =
        std::env::temp_dir().join(format!("ranges-refresh-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let snapshot = out_dir.join("cloud-ranges.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_ranges-refresh"))
        .arg("--from")
        .arg(raw)
        .arg("--snapshot")
        .arg(&snapshot)
        .arg("--manifest")
        .arg(repo().join("ranges/sources.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&snapshot).unwrap();
    std::fs::remove_dir_all(&out_dir).unwrap();
    text
}

#[test]
fn refreshing_from_the_shared_files_reproduces_the_committed_snapshot() {
    let Some(raw) = raw_dir() else { return };
    let committed = std::fs::read_to_string(repo().join("ranges/cloud-ranges.txt")).unwrap();
    let fresh = refreshed(&raw, "committed");
    assert!(
        fresh == committed,
        "ranges/cloud-ranges.txt is not what `make ranges FROM={}` writes",
        raw.display()
    );
}

/// One claim on a prefix; the smallest wins: a specific region before AWS
/// GLOBAL, then provider order (AWS, GCP, Azure), then region name.
type Claim = (bool, usize, String, &'static str);

fn json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn claim(
    claims: &mut BTreeMap<IpNet, BTreeSet<Claim>>,
    prefix: &str,
    provider: usize,
    cloud: &'static str,
    region: &str,
) {
    let net: IpNet = prefix.parse().unwrap();
    claims.entry(net.trunc()).or_default().insert((
        region == "GLOBAL",
        provider,
        region.to_string(),
        cloud,
    ));
}

/// The snapshot's data lines as the raw files say they should be.
fn brute_force(raw: &Path) -> BTreeSet<String> {
    let sources = json(repo().join("ranges/sources.json"));
    let excluded: Vec<&str> = sources["providers"][0]["exclude_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut claims = BTreeMap::new();
    let aws = json(raw.join("aws-ip-ranges.json"));
    for (list, field) in [("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")] {
        for p in aws[list].as_array().unwrap() {
            let region = p["region"].as_str().unwrap();
            if !excluded.contains(&region) {
                claim(&mut claims, p[field].as_str().unwrap(), 0, "AWS", region);
            }
        }
    }
    let gcp = json(raw.join("gcp-cloud.json"));
    for p in gcp["prefixes"].as_array().unwrap() {
        let prefix = p["ipv4Prefix"]
            .as_str()
            .or(p["ipv6Prefix"].as_str())
            .unwrap();
        claim(&mut claims, prefix, 1, "GCP", p["scope"].as_str().unwrap());
    }
    let azure = json(raw.join("azure-service-tags.json"));
    for tag in azure["values"].as_array().unwrap() {
        let region = tag["properties"]["region"].as_str().unwrap_or_default();
        if !tag["name"].as_str().unwrap().starts_with("AzureCloud.") || region.is_empty() {
            continue;
        }
        for prefix in tag["properties"]["addressPrefixes"].as_array().unwrap() {
            claim(&mut claims, prefix.as_str().unwrap(), 2, "Azure", region);
        }
    }
    claims
        .iter()
        .map(|(net, list)| {
            let (_, _, region, cloud) = list.first().unwrap();
            format!("{net} {cloud} {region}")
        })
        .collect()
}

#[test]
fn the_snapshot_agrees_with_a_brute_force_reading_of_the_raw_files() {
    let Some(raw) = raw_dir() else { return };
    let fresh = refreshed(&raw, "brute-force");
    let lines: Vec<&str> = fresh.lines().filter(|l| !l.starts_with('#')).collect();
    let set: BTreeSet<String> = lines.iter().map(|l| l.to_string()).collect();
    assert_eq!(set.len(), lines.len(), "a prefix is listed twice");
    let expected = brute_force(&raw);
    let missing: Vec<&String> = expected.difference(&set).take(5).collect();
    let extra: Vec<&String> = set.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert!(lines.len() > 20_000, "only {} prefixes", lines.len());
}
