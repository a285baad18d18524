//! `make bench`: the median wall time of `registry-edge lookup` reading the
//! lookup benchmark's 400,000 addresses (benches/lookup.rs) from stdin.
//! Prints `cli_lookup_400k_ms VALUE`.

use registry_edge_testkit::lookup_mix::{lookup_mix, real_data};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (_, resolved) = real_data(&root, option_env!("RANGES_SNAPSHOT"));
    let (v4, v6) = lookup_mix(&resolved);
    let mut text = String::new();
    for ip in &v4 {
        text.push_str(&format!("{ip}\n"));
    }
    for ip in &v6 {
        text.push_str(&format!("{ip}\n"));
    }
    println!("cli_lookup_400k_ms {:.1}", cli_median_ms(&text));
}

/// Median wall time of the CLI answering `input` on stdin (11 runs).
fn cli_median_ms(input: &str) -> f64 {
    let mut samples: Vec<f64> = (0..11)
        .map(|_| {
            let start = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_registry-edge"))
                .arg("lookup")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("the CLI runs");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
