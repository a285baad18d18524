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
    refresh_with(from, dir, &[])
}

/// [`refresh`] with more arguments.
fn refresh_with(from: &Path, dir: &Path, extra: &[&str]) -> Output {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sources.json");
    Command::new(env!("CARGO_BIN_EXE_ranges-refresh"))
        .args(extra)
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
    // Three of AWS's three prefixes change: over the guard's 30 %.
    let out = refresh_with(&next, &snapshot_dir, &["--max-change", "100"]);
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

/// `count` AWS prefixes 10.x.y.0/24 in us-east-1, from `first` on.
fn many(first: usize, count: usize) -> Vec<(String, &'static str)> {
    (first..first + count)
        .map(|i| (format!("10.{}.{}.0/24", i / 256, i % 256), "us-east-1"))
        .collect()
}

fn aws_of(prefixes: &[(String, &'static str)], token: &str) -> String {
    let borrowed: Vec<(&str, &str)> = prefixes.iter().map(|(p, r)| (p.as_str(), *r)).collect();
    aws(&borrowed, token)
}

#[test]
fn a_change_of_more_than_30_percent_is_refused_unless_forced() {
    let before = fixture_dir("guard-before", &aws_of(&many(0, 100), "1"));
    let snapshot_dir = empty_dir("guard-snapshot");
    assert!(refresh(&before, &snapshot_dir).status.success());
    let written = std::fs::read_to_string(snapshot_dir.join("cloud-ranges.txt")).unwrap();

    // A file cut short: 60 of AWS's 100 prefixes are gone (60 %).
    let truncated = fixture_dir("guard-truncated", &aws_of(&many(0, 40), "2"));
    let out = refresh(&truncated, &snapshot_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refusing to write")
            && stderr
                .contains("AWS changed by 60.0 % of its 100 prefixes (+0 -60), more than 30 %")
            && stderr.contains("--force (make ranges FORCE=1)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("GCP changed"),
        "unchanged providers pass: {stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(snapshot_dir.join("cloud-ranges.txt")).unwrap(),
        written,
        "nothing written"
    );

    // 30 % exactly passes: 15 removed and 15 added of 100.
    let at_limit = fixture_dir("guard-limit", &aws_of(&many(15, 100), "3"));
    let limit_dir = empty_dir("guard-limit-snapshot");
    std::fs::copy(
        snapshot_dir.join("cloud-ranges.txt"),
        limit_dir.join("cloud-ranges.txt"),
    )
    .unwrap();
    let out = refresh(&at_limit, &limit_dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Forced: written, and the pull request body says so.
    let body = snapshot_dir.join("body.md");
    let out = refresh_with(
        &truncated,
        &snapshot_dir,
        &["--force", "--pr-body", body.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--force: writing although AWS changed by 60.0 %"),
        "{stderr}"
    );
    let now = std::fs::read_to_string(snapshot_dir.join("cloud-ranges.txt")).unwrap();
    assert!(
        now.contains("sync_token=2 ") && !now.contains("\n10.0.99.0/24 "),
        "{now}"
    );
    let body = std::fs::read_to_string(body).unwrap();
    assert!(
        body.contains("**Started with force**: AWS changed by 60.0 % of its 100 prefixes (+0 -60)"),
        "{body}"
    );
    for dir in [before, truncated, at_limit, snapshot_dir, limit_dir] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn the_pull_request_body_is_the_report_cut_to_fit() {
    let before = fixture_dir("body-before", &aws_of(&many(0, 400), "1"));
    let snapshot_dir = empty_dir("body-snapshot");
    assert!(refresh(&before, &snapshot_dir).status.success());
    let mut next = many(0, 400);
    next.truncate(380);
    next.extend(many(1000, 20));
    next.push(("10.250.0.0/16".into(), "xx-newest-1"));
    let after = fixture_dir("body-after", &aws_of(&next, "2"));

    let body_of = |limit: &str, name: &str| {
        let dir = empty_dir(name);
        std::fs::copy(
            snapshot_dir.join("cloud-ranges.txt"),
            dir.join("cloud-ranges.txt"),
        )
        .unwrap();
        let body = dir.join("body.md");
        let out = refresh_with(
            &after,
            &dir,
            &[
                "--pr-body",
                body.to_str().unwrap(),
                "--pr-body-limit",
                limit,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&body).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        (String::from_utf8_lossy(&out.stdout).into_owned(), text)
    };
    // Room for everything: the printed report, whole, in the body.
    let (stdout, full) = body_of("60000", "body-full");
    let report = stdout.split("new regions without").next().unwrap();
    assert!(full.contains(&format!("```text\n{report}```")), "{full}");
    assert!(full.contains("| AWS | 1 → 2 | 400 | 21 | 20 |"), "{full}");
    assert!(
        full.contains("**New regions without a location.**")
            && full.contains("- AWS xx-newest-1 (1 prefixes)"),
        "{full}"
    );
    // Too small for the 41 prefix lines: the summary lines only.
    let limit = full.len() - 1;
    let (_, summary) = body_of(&limit.to_string(), "body-summary");
    assert!(summary.len() <= limit, "{}", summary.len());
    assert!(
        summary.contains("AWS us-east-1: +20 -20\nAWS xx-newest-1: +1 -0\n"),
        "{summary}"
    );
    assert!(!summary.contains("  + 10."), "{summary}");
    assert!(
        summary.contains("The 41 prefix lines are left out to fit"),
        "{summary}"
    );
    for dir in [before, after, snapshot_dir] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}
