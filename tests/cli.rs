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
    assert!(String::from_utf8(out.stderr).unwrap().contains("usage:"));
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
