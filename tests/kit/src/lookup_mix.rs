//! The benchmarks' lookup workload: the prefixes the build compiled (the
//! committed snapshot) and a fixed, seeded mix of addresses over them. One
//! definition, so benches/lookup.rs, benches/lookup_peers.rs and the wasm
//! harness (which reads what lookup.rs writes) all measure the same thing.

use crate::rng::{inside, Rng};
use range_tablegen::build_script::snapshot_path;
use range_tablegen::layout::Layout;
use range_tablegen::{Prefix, Snapshot};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Addresses per family in the mix.
pub const PER_FAMILY: usize = 200_000;
/// The mix's seed: the same addresses on every run and machine.
pub const SEED: u64 = 0x00c0_ffee;

/// The snapshot the build compiled and its layout (prefixes numbered by
/// location, as the tables number them). `root` is the repository root and
/// `snapshot_var` the `RANGES_SNAPSHOT` the caller was built with.
pub fn real_data(root: &Path, snapshot_var: Option<&str>) -> (Snapshot, Layout) {
    let path = snapshot_path(root, snapshot_var);
    let text = std::fs::read_to_string(&path).expect("the range snapshot");
    let snapshot = Snapshot::parse(&path.display().to_string(), &text).expect("a valid snapshot");
    let layout = Layout::of(&snapshot.entries).expect("a valid layout");
    (snapshot, layout)
}

/// `count` addresses of a `width`-bit family: even indexes uniform over the
/// family, odd ones inside a random published prefix.
pub fn address_mix(
    width: u32,
    prefixes: &[(Prefix, u16)],
    count: usize,
    rng: &mut Rng,
) -> Vec<u128> {
    let family_mask = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                rng.next_u128() & family_mask
            } else {
                let (p, _) = prefixes[rng.below(prefixes.len())];
                inside(rng, p.addr, p.len, width)
            }
        })
        .collect()
}

/// The benchmarks' mix: [`PER_FAMILY`] IPv4 then [`PER_FAMILY`] IPv6
/// addresses from one generator seeded with [`SEED`].
pub fn lookup_mix(layout: &Layout) -> (Vec<Ipv4Addr>, Vec<Ipv6Addr>) {
    let mut rng = Rng(SEED);
    let v4 = address_mix(32, &layout.v4, PER_FAMILY, &mut rng)
        .into_iter()
        .map(|a| Ipv4Addr::from(a as u32))
        .collect();
    let v6 = address_mix(128, &layout.v6, PER_FAMILY, &mut rng)
        .into_iter()
        .map(Ipv6Addr::from)
        .collect();
    (v4, v6)
}

/// Nanoseconds per call of one timed pass of `lookup` over `inputs` (the
/// hits are counted so the answers cannot be optimised away).
pub fn pass_ns<T: Copy>(inputs: &[T], lookup: impl Fn(T) -> bool) -> f64 {
    let start = std::time::Instant::now();
    let mut hits = 0usize;
    for &input in inputs {
        hits += usize::from(lookup(std::hint::black_box(input)));
    }
    std::hint::black_box(hits);
    start.elapsed().as_nanos() as f64 / inputs.len() as f64
}

/// The median of `samples` (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
