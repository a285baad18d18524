//! The range lookup compiled to wasm32 on its own, for benches/wasm/lookup.mjs
//! (run by `make bench`): plain exports, no wasm-bindgen, so the harness
//! measures the lookup and nothing else.
//!
//! cargo build --release --target wasm32-unknown-unknown --example wasm_lookup_bench --no-default-features

use registry_edge::places::ranges;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Room for `bytes` bytes of input, owned by the module until it ends.
#[no_mangle]
pub extern "C" fn alloc(bytes: usize) -> *mut u8 {
    Vec::leak(vec![0u8; bytes]).as_mut_ptr()
}

/// Looks up `count` little-endian u32 IPv4 addresses; returns the matches.
///
/// # Safety
/// `addresses` must point at `count * 4` readable bytes (from `alloc`).
#[no_mangle]
pub unsafe extern "C" fn lookup_v4_batch(addresses: *const u8, count: usize) -> u32 {
    let bytes = std::slice::from_raw_parts(addresses, count * 4);
    let mut hits = 0;
    for chunk in bytes.chunks_exact(4) {
        let ip = Ipv4Addr::from(u32::from_le_bytes(chunk.try_into().unwrap()));
        hits += u32::from(ranges::TABLES.lookup_v4(ip).is_some());
    }
    hits
}

/// Looks up `count` IPv6 addresses of 16 network-order bytes each.
///
/// # Safety
/// `addresses` must point at `count * 16` readable bytes (from `alloc`).
#[no_mangle]
pub unsafe extern "C" fn lookup_v6_batch(addresses: *const u8, count: usize) -> u32 {
    let bytes = std::slice::from_raw_parts(addresses, count * 16);
    let mut hits = 0;
    for chunk in bytes.chunks_exact(16) {
        let octets: [u8; 16] = chunk.try_into().unwrap();
        hits += u32::from(ranges::TABLES.lookup_v6(Ipv6Addr::from(octets)).is_some());
    }
    hits
}
