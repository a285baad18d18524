//! Shared by the native integration tests: the build-time parsers (the very
//! code build.rs runs) and a seeded pseudo-random generator.
#![allow(dead_code)]

#[path = "../../src/tablegen/mod.rs"]
pub mod tablegen;

use std::path::{Path, PathBuf};
use tablegen::providers::ProviderData;
use tablegen::resolve::Resolved;

/// The ranges directory the library was built from.
pub fn ranges_dir() -> PathBuf {
    tablegen::data_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        option_env!("RANGES_DIR"),
    )
}

/// Parses and resolves the same provider files build.rs compiled.
pub fn real_data() -> (Vec<ProviderData>, Resolved) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("ranges/sources.json");
    let (_, providers) = tablegen::load(&manifest, &ranges_dir()).expect("provider data");
    let resolved = tablegen::resolve::resolve(&providers).expect("resolvable");
    (providers, resolved)
}

/// splitmix64: tiny, seeded, good enough to spread test addresses.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A random address inside `addr/len` for a `width`-bit family.
pub fn inside(rng: &mut Rng, addr: u128, len: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(len);
    let host = if host_bits == 0 {
        0
    } else {
        rng.next_u128() >> (128 - host_bits)
    };
    addr | host
}

/// Last address of `addr/len` for a `width`-bit family.
pub fn last(addr: u128, len: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(len);
    if host_bits == 0 {
        addr
    } else {
        addr | (u128::MAX >> (128 - host_bits))
    }
}
