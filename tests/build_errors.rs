//! Malformed or missing provider data fails `cargo build` itself, with a
//! message naming the file, the entry and the problem. Runs build.rs for
//! real, in a separate target directory so the main build is untouched.

mod common;

use std::path::Path;
use std::process::Command;

fn check_with_ranges_dir(dir: &Path) -> (bool, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--lib", "--quiet", "--offline"])
        .arg("--target-dir")
        .arg(Path::new(root).join("target").join("build-error-checks"))
        .current_dir(root)
        .env("RANGES_DIR", dir)
        .output()
        .expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn malformed_and_missing_data_fail_the_build_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("registry-edge-bad-ranges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = common::ranges_dir();
    for file in ["gcp-cloud.json", "azure-service-tags.json"] {
        std::fs::copy(real.join(file), dir.join(file)).unwrap();
    }
    std::fs::write(
        dir.join("aws-ip-ranges.json"),
        r#"{"syncToken": "1", "createDate": "x", "ipv6_prefixes": [],
            "prefixes": [{"ip_prefix": "10.0.0.0/8", "region": "a"},
                         {"ip_prefix": "10.0.0.300/32", "region": "b"}]}"#,
    )
    .unwrap();
    let (ok, stderr) = check_with_ranges_dir(&dir);
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("cannot build the range tables"), "{stderr}");
    assert!(
        stderr.contains("aws-ip-ranges.json: prefixes[1] (10.0.0.300/32)"),
        "{stderr}"
    );
    assert!(stderr.contains("not an IP prefix"), "{stderr}");

    std::fs::remove_dir_all(&dir).unwrap();
    let (ok, stderr) = check_with_ranges_dir(&dir);
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("no provider range data in"), "{stderr}");
    assert!(stderr.contains("make ranges"), "{stderr}");
}
