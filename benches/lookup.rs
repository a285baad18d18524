//! `make bench`: median lookup time over a fixed, seeded mix of 200,000 IPv4
//! and 200,000 IPv6 addresses (half uniformly random, half inside published
//! prefixes), the size of the baked tables, and the median wall time of
//! `registry-edge lookup` reading those 400,000 addresses from stdin.
//! Prints one `name value` line per figure. The same address mix is written
//! to target/bench/ for the wasm32 harness (benches/wasm/lookup.mjs) so both
//! measure the same.

use registry_edge::places::ranges::{self, TABLES};
use registry_edge_testkit::lookup_mix::{lookup_mix, median, pass_ns, real_data};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const ROUNDS: usize = 31;

/// Median nanoseconds per call of `lookup` over `inputs`.
fn median_ns<T: Copy>(inputs: &[T], lookup: impl Fn(T) -> bool) -> f64 {
    let mut samples: Vec<f64> = (0..ROUNDS).map(|_| pass_ns(inputs, &lookup)).collect();
    median(&mut samples)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The prefixes the tables were compiled from (the committed snapshot).
    let (_, resolved) = real_data(root, option_env!("RANGES_SNAPSHOT"));
    let (v4, v6) = lookup_mix(&resolved);

    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    let v4_bytes: Vec<u8> = v4
        .iter()
        .flat_map(|a| u32::from(*a).to_le_bytes())
        .collect();
    let v6_bytes: Vec<u8> = v6.iter().flat_map(|a| a.octets()).collect();
    std::fs::write(out.join("addresses-v4.bin"), v4_bytes).unwrap();
    std::fs::write(out.join("addresses-v6.bin"), v6_bytes).unwrap();

    println!(
        "lookup_v4_ns {:.2}",
        median_ns(&v4, |a| TABLES.lookup_v4(a).is_some())
    );
    println!(
        "lookup_v6_ns {:.2}",
        median_ns(&v6, |a| TABLES.lookup_v6(a).is_some())
    );
    println!("table_bytes {}", ranges::table_bytes());

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
