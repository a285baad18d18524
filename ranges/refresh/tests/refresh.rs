//! `ranges-refresh --from`: validates, resolves, diffs per region, writes
//! the snapshot; and leaves it untouched when any file is malformed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn aws(prefixes: &[(&str, &str)], token: &str) -> String {
    let list: Vec<String> = prefixes
        .iter()
        .map(|(p, r)| format!(r#"{{"ip_prefix": "{p}", "region": "{r}", "service": "AMAZON"}}"#))
        .collect();
    format!(
        r#"{{"syncToken": "{token}", "createDate": "2026-11-01-00-00-00", "prefixes": [{}], "ipv6_prefixes": []}}"#,
        list.join(",")
    )
}

const GCP: &str = r#"{"syncToken": "5", "creationTime": "2026-11-01T00:00:00", "prefixes": [{"ipv4Prefix": "34.1.208.0/20", "scope": "africa-south1"}]}"#;
const AZURE: &str = r#"{"changeNumber": 3, "values": [{"name": "AzureCloud.eastus", "properties": {"region": "eastus", "addressPrefixes": ["20.0.0.0/16"]}}]}"#;

fn fixture_dir(name: &str, aws_text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ranges-refresh-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("aws-ip-ranges.json"), aws_text).unwrap();
    std::fs::write(dir.join("gcp-cloud.json"), GCP).unwrap();
    std::fs::write(dir.join("azure-service-tags.json"), AZURE).unwrap();
    dir
}

/// Refreshes the snapshot `dir/cloud-ranges.txt` from the files in `from`.
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ranges-refresh-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn refresh(from: &Path, dir: &Path) -> Output {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sources.json");
    Command::new(env!("CARGO_BIN_EXE_ranges-refresh"))
        .arg("--from")
        .arg(from)
        .arg("--snapshot")
        .arg(dir.join("cloud-ranges.txt"))
        .arg("--manifest")
        .arg(manifest)
        .arg("--regions")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../regions.txt"))
        .output()
        .unwrap()
}

#[test]
fn copies_validates_and_prints_the_per_region_diff() {
    let current = fixture_dir(
        "current",
        &aws(
            &[
                ("10.0.0.0/24", "us-east-1"),
                ("10.0.1.0/24", "us-east-1"),
                ("10.9.0.0/16", "eu-west-3"),
            ],
            "1",
        ),
    );
    let next = fixture_dir(
        "next",
        &aws(
            &[
                ("10.0.0.0/24", "us-east-1"),
                ("10.0.2.0/24", "us-east-1"),
                ("10.9.0.0/16", "eu-west-3"),
                ("10.7.0.0/16", "ap-south-2"),
                // Excluded by ranges/sources.json (not open yet).
                ("10.8.0.0/16", "us-south-1"),
            ],
            "2",
        ),
    );
    // The snapshot of `current`, then a refresh from `next` over it.
    let snapshot_dir = empty_dir("snapshot");
    assert!(refresh(&current, &snapshot_dir).status.success());
    let out = refresh(&next, &snapshot_dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("AWS: sync token 1 -> 2"), "{stdout}");
    assert!(
        stdout.contains("AWS us-east-1: +1 -1\n  + 10.0.2.0/24\n  - 10.0.1.0/24\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("AWS ap-south-2: +1 -0\n  + 10.7.0.0/16\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("eu-west-3"),
        "unchanged regions are not listed: {stdout}"
    );
    assert!(
        !stdout.contains("us-south-1"),
        "excluded regions are not listed: {stdout}"
    );
    assert!(
        stdout.contains("AWS: 2 prefixes added, 1 removed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GCP: 0 prefixes added, 0 removed"),
        "{stdout}"
    );
    let replaced = std::fs::read_to_string(snapshot_dir.join("cloud-ranges.txt")).unwrap();
    assert!(
        replaced.contains("\n10.7.0.0/16 AWS ap-south-2\n"),
        "{replaced}"
    );
    assert!(
        !replaced.contains("AWS us-south-1\n"),
        "excluded: {replaced}"
    );
    assert!(
        replaced.contains(
            "# provider AWS url=https://ip-ranges.amazonaws.com/ip-ranges.json sync_token=2 "
        ),
        "{replaced}"
    );

    // Into an empty directory: everything is new.
    let empty = empty_dir("empty");
    let out = refresh(&next, &empty);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("sync token none -> 2"), "{stdout}");
    assert!(
        stdout.contains("Azure eastus: +1 -0\n  + 20.0.0.0/16"),
        "{stdout}"
    );
    for dir in [current, next, empty, snapshot_dir] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_malformed_file_replaces_nothing() {
    let current = fixture_dir("keep", &aws(&[("10.0.0.0/24", "us-east-1")], "1"));
    assert!(refresh(&current, &current).status.success());
    let before = std::fs::read_to_string(current.join("cloud-ranges.txt")).unwrap();
    let bad = fixture_dir("bad", &aws(&[("10.0.0.0/24", "us-east-1")], "2"));
    std::fs::write(bad.join("azure-service-tags.json"), r#"{"changeNumber": 4, "values": [{"name": "AzureCloud.x", "properties": {"region": "x", "addressPrefixes": ["nope"]}}]}"#).unwrap();
    let out = refresh(&bad, &current);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("azure-service-tags.json")
            && stderr.contains("\"nope\" is not an IP prefix"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(current.join("cloud-ranges.txt")).unwrap(),
        before
    );
    for dir in [current, bad] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn regions_without_a_location_are_reported() {
    let next = fixture_dir(
        "new-region",
        &aws(
            &[
                ("10.0.0.0/24", "us-east-1"),
                ("10.5.0.0/16", "xx-newest-1"),
                ("10.6.0.0/16", "xx-newest-1"),
            ],
            "3",
        ),
    );
    let snapshot_dir = empty_dir("new-region-snapshot");
    let out = refresh(&next, &snapshot_dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("new regions without a location in ")
            && stdout.contains("regions.txt (the build fails until each has a line there):\n  AWS xx-newest-1 (2 prefixes)\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("AWS us-east-1 ("),
        "placed regions are not listed: {stdout}"
    );
    // The snapshot is written all the same: the diff is the review.
    let written = std::fs::read_to_string(snapshot_dir.join("cloud-ranges.txt")).unwrap();
    assert!(
        written.contains("\n10.5.0.0/16 AWS xx-newest-1\n"),
        "{written}"
    );
    for dir in [next, snapshot_dir] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}
