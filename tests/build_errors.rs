//! A malformed or missing range snapshot, or one routing to a region that
//! ranges/regions.txt does not place, fails `cargo build` itself, with a
//! message naming the file, the line (or region) and the problem. Runs build.rs for
//! real (pointed at a bad file by RANGES_SNAPSHOT), in a separate target
//! directory so the main build is untouched.

use std::path::Path;
use std::process::Command;

fn check_with_snapshot(path: &Path) -> (bool, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--lib", "--quiet", "--offline"])
        .arg("--target-dir")
        .arg(Path::new(root).join("target").join("build-error-checks"))
        .current_dir(root)
        .env("RANGES_SNAPSHOT", path)
        .output()
        .expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn malformed_and_missing_snapshots_fail_the_build_with_a_clear_message() {
    let path = std::env::temp_dir().join(format!(
        "registry-edge-bad-snapshot-{}.txt",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "# provider AWS url=https://a.example sync_token=1 created=x published_entries=2 excluded_entries=0 exclude_regions=- v4_prefixes=2 v6_prefixes=0\n\
         10.0.0.0/8 AWS a\n\
         10.0.0.300/32 AWS b\n",
    )
    .unwrap();
    let (ok, stderr) = check_with_snapshot(&path);
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("cannot build the range tables"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3:", path.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"10.0.0.300/32\" is not an IP prefix"),
        "{stderr}"
    );

    std::fs::remove_file(&path).unwrap();
    let (ok, stderr) = check_with_snapshot(&path);
    assert!(!ok, "the build must fail");
    assert!(
        stderr.contains("cannot read the range snapshot"),
        "{stderr}"
    );
    assert!(stderr.contains("make ranges"), "{stderr}");
}

#[test]
fn a_region_without_a_location_fails_the_build_naming_it() {
    let path = std::env::temp_dir().join(format!(
        "registry-edge-unplaced-snapshot-{}.txt",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "# provider AWS url=https://a.example sync_token=1 created=x published_entries=3 excluded_entries=0 exclude_regions=- v4_prefixes=3 v6_prefixes=0\n\
         # provider GCP url=https://g.example sync_token=1 created=x published_entries=1 excluded_entries=0 exclude_regions=- v4_prefixes=1 v6_prefixes=0\n\
         10.0.0.0/8 AWS eu-west-3\n\
         11.0.0.0/8 AWS GLOBAL\n\
         12.0.0.0/8 AWS xx-newest-1\n\
         13.0.0.0/8 GCP mars-north1\n",
    )
    .unwrap();
    let (ok, stderr) = check_with_snapshot(&path);
    std::fs::remove_file(&path).unwrap();
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("cannot build the range tables"), "{stderr}");
    assert!(
        stderr.contains("ranges/regions.txt: no location for regions of the range snapshot"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  AWS xx-newest-1 (1 prefixes)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  GCP mars-north1 (1 prefixes)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("eu-west-3 ("),
        "placed regions are not named: {stderr}"
    );
    assert!(
        !stderr.contains("GLOBAL ("),
        "GLOBAL is `nowhere`, not missing: {stderr}"
    );
}
