//! The native `registry-edge` CLI, run as users run it.

use std::io::Write;
use std::process::{Command, Stdio};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_registry-edge"))
}

#[test]
fn lookup_arguments() {
    let out = cli()
        .args(["lookup", "35.180.1.1", "192.168.0.1", "2600:1f01:4874::47"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "35.180.1.1\tAWS\teu-west-3\n192.168.0.1\t-\t-\n2600:1f01:4874::47\tAWS\tus-west-2\n"
    );
}

#[test]
fn unparsable_address_is_named_on_stderr_and_fails() {
    let out = cli()
        .args(["lookup", "35.180.1.1", "35.180.1", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "35.180.1.1\tAWS\teu-west-3\n"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("\"35.180.1\"") && err.contains("\"nope\""),
        "{err}"
    );
}

#[test]
fn lookup_stdin_handles_400k_lines() {
    let mut input = String::new();
    for i in 0..400_000u32 {
        // Cycle through eu-west-3 (35.180.0.0/16) and unmatched 192.168/16.
        let ip = if i % 2 == 0 {
            std::net::Ipv4Addr::from(0x23b4_0000 | (i & 0xffff))
        } else {
            std::net::Ipv4Addr::from(0xc0a8_0000 | (i & 0xffff))
        };
        input.push_str(&format!("{ip}\r\n"));
    }
    let mut child = cli()
        .arg("lookup")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 400_000);
    assert!(
        lines[0].starts_with("35.180.0.0\tAWS\teu-west-3"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "192.168.0.1\t-\t-");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("\tAWS\teu-west-3"))
            .count(),
        200_000
    );
}

#[test]
fn ranges_prints_provenance_and_counts() {
    let out = cli().arg("ranges").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for provider in &registry_edge::places::ranges::PROVIDERS {
        assert!(
            text.contains(&format!("sync_token={}", provider.sync_token)),
            "{text}"
        );
    }
    assert!(
        text.lines().any(|l| l.starts_with("AWS\teu-west-3\t")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Azure\taustraliacentral\t")),
        "{text}"
    );
    assert!(text.contains("# table_bytes"), "{text}");
}

#[test]
fn usage_errors() {
    let out = cli().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("Usage:"));
}

#[test]
fn regions_lists_the_compiled_sites() {
    let out = cli().arg("regions").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# CLOUD\tREGION\tLAT\tLON\tPARTITION\tFLAGS\n"),
        "{text}"
    );
    assert!(
        text.contains("\nAWS\teu-west-3\t48.86\t2.35\t-\t-\n"),
        "{text}"
    );
    assert!(
        text.contains("\nAWS\tcn-north-1\t39.9\t116.41\taws-cn\t-\n"),
        "{text}"
    );
    assert!(
        text.contains("\nGCP\teurope-west15\t40.42\t-3.7\t-\tunverified\n"),
        "{text}"
    );
    assert!(!text.contains("GLOBAL"), "GLOBAL is nowhere: {text}");
}

fn shipped_config() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wrangler.toml")).unwrap()
}

/// `config check` on a wrangler.toml of the test's own.
fn config_check(toml: &str, env: Option<&str>) -> (Option<i32>, String) {
    // Tests run in parallel: each call has a directory of its own.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "registry-edge-config-check-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, toml).unwrap();
    let mut args = vec!["config".to_string(), "check".to_string()];
    if let Some(env) = env {
        args.extend(["--env".to_string(), env.to_string()]);
    }
    args.push(path.display().to_string());
    let out = cli().args(&args).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn the_shipped_configuration_passes_config_check() {
    for env in [None, Some("production"), Some("sandbox")] {
        let (code, out) = config_check(&shipped_config(), env);
        assert_eq!(code, Some(0), "{env:?}: {out}");
        assert!(out.contains(": ok ("), "{out}");
    }
}

#[test]
fn config_check_names_each_wrong_variable() {
    // A production copy with one number spelled out, one misspelt name and
    // one region name that would end up in headers.
    let shipped = shipped_config();
    let production = shipped.find("[env.production.vars]").unwrap();
    let (before, after) = shipped.split_at(production);
    let setting = "\nBREAKER_FAILURES = 3\n";
    assert!(after.contains(setting), "production sets BREAKER_FAILURES");
    let broken = format!(
        "{before}{}",
        after.replacen(
            setting,
            "\nBREAKER_FAILURES = \"lots\"\nBREAKER_FAILUERS = 3\n",
            1
        )
    );
    let (code, out) = config_check(&broken, Some("production"));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("[env.production.vars] BREAKER_FAILURES: \"lots\" is not a whole number"),
        "{out}"
    );
    assert!(
        out.contains("BREAKER_FAILUERS: not a variable the worker reads"),
        "{out}"
    );
    // The other environments are untouched.
    assert_eq!(config_check(&broken, Some("sandbox")).0, Some(0));

    // Every problem, not only the first; tables and numbers as TOML values.
    let toml = r#"
[vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://upstream.example"
BLOB_CHECK_TIMEOUT_MS = 0
UPSTREAM_REGIONS = [{ name = "Europe West", endpoint = "https://e.example", lat = 50.4, lon = 3.8 }]
PULL_SESSIONS = "yes"
"#;
    let (code, out) = config_check(toml, None);
    assert_eq!(code, Some(1));
    for variable in ["BLOB_CHECK_TIMEOUT_MS", "UPSTREAM_REGIONS", "PULL_SESSIONS"] {
        assert!(
            out.contains(&format!("[vars] {variable}: ")),
            "{variable}: {out}"
        );
    }
}

#[test]
fn config_check_without_the_environment_or_file_is_unusable_input() {
    let (code, out) = config_check("[vars]\n", Some("nowhere"));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no [env.nowhere]"), "{out}");
    let out = cli()
        .args(["config", "check", "/nonexistent/wrangler.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_check_fails_a_copy_whose_r2_binding_the_environment_does_not_declare() {
    let toml = r#"
[vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://upstream.example"
DEFAULT_BLOB_BASE_URL = { url = "https://blobs.example", r2_binding = "R2_BLOBS" }
BLOB_MIRRORS = { "eu-west-3" = { url = "https://eu.example", r2_binding = "R2_EU" }, "us-east-2" = "https://us.example" }

[[r2_buckets]]
binding = "R2_BLOBS"
bucket_name = "blobs"

[env.staging.vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://upstream.example"
DEFAULT_BLOB_BASE_URL = { url = "https://blobs.example", r2_binding = "R2_BLOBS" }

[env.declared]
r2_buckets = [{ binding = "R2_BLOBS", bucket_name = "blobs" }]

[env.declared.vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://upstream.example"
DEFAULT_BLOB_BASE_URL = { url = "https://blobs.example", r2_binding = "R2_BLOBS" }
"#;
    let (code, out) = config_check(toml, None);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "[vars] BLOB_MIRRORS: the copy https://eu.example is checked through r2_binding \
             \"R2_EU\", which [[r2_buckets]] does not declare"
        ),
        "{out}"
    );
    assert!(
        !out.contains("R2_BLOBS"),
        "the top level declares it: {out}"
    );
    // Bindings are not inherited into [env.*].
    let (code, out) = config_check(toml, Some("staging"));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "[env.staging.vars] DEFAULT_BLOB_BASE_URL: the copy https://blobs.example is checked \
             through r2_binding \"R2_BLOBS\", which [[env.staging.r2_buckets]] does not declare"
        ),
        "{out}"
    );
    let (code, out) = config_check(toml, Some("declared"));
    assert_eq!(code, Some(0), "{out}");

    let (code, out) = config_check("r2_buckets = [{ bucket_name = \"x\" }]\n[vars]\n", None);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("an entry of r2_buckets has no text binding"),
        "{out}"
    );
}
