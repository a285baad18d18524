//! `make bench`: median lookup time over a fixed, seeded mix of 200,000 IPv4
//! and 200,000 IPv6 addresses (half uniformly random, half inside published
//! prefixes) and the size of the baked tables (the CLI reading the same
//! addresses is `cli/benches/cli_lookup.rs`). Prints one `name value` line per figure. The same address mix is written
//! to target/bench/ for the wasm32 harness (benches/wasm/lookup.mjs) so both
//! measure the same.

use registry_edge::places::ranges::{self, TABLES};
use registry_edge_testkit::lookup_mix::{lookup_mix, median, pass_ns, real_data};
use std::path::Path;

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
}
