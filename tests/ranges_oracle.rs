//! The compiled tables against a brute-force longest-prefix matcher over the
//! same input the build read (the committed snapshot, ranges/cloud-ranges.txt):
//! every prefix's first and last address, the addresses just outside each,
//! and a million seeded pseudo-random addresses.

use range_tablegen::layout::Layout as Resolved;
use range_tablegen::{Prefix, Snapshot};
use registry_edge::places::ranges::{self, TABLES};
use registry_edge_testkit::{inside, last, lookup_mix, Rng};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// The snapshot build.rs compiled (the committed one, or $RANGES_SNAPSHOT
/// as it was when the tests were built), read again, and its layout.
fn real_data() -> (Snapshot, Resolved) {
    lookup_mix::real_data(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        option_env!("RANGES_SNAPSHOT"),
    )
}

/// Obviously correct longest-prefix match: for each length from longest to
/// shortest, is the address masked to that length a published prefix?
struct BruteForce {
    width: u32,
    by_len: Vec<HashMap<u128, u16>>,
}

impl BruteForce {
    fn new(width: u32, prefixes: &[(Prefix, u16)]) -> Self {
        let mut by_len = vec![HashMap::new(); width as usize + 1];
        for (p, location) in prefixes {
            by_len[usize::from(p.len)].insert(p.addr, *location);
        }
        BruteForce { width, by_len }
    }

    fn lookup(&self, addr: u128) -> u16 {
        for len in (0..=self.width).rev() {
            let table = &self.by_len[len as usize];
            if table.is_empty() {
                continue;
            }
            let host_bits = self.width - len;
            let masked = if host_bits == 0 {
                addr
            } else {
                addr >> host_bits << host_bits
            };
            if let Some(location) = table.get(&masked) {
                return *location;
            }
        }
        0
    }
}

fn expected(resolved: &Resolved, number: u16) -> Option<(String, String)> {
    let (cloud, region) = resolved
        .locations
        .get(usize::from(number).checked_sub(1)?)?;
    Some((cloud.as_str().to_string(), region.clone()))
}

fn actual(location: Option<registry_edge::places::Location>) -> Option<(String, String)> {
    location.map(|l| (l.cloud.as_str().to_string(), l.region.to_string()))
}

struct Family<'a> {
    width: u32,
    prefixes: &'a [(Prefix, u16)],
    oracle: BruteForce,
    lookup: fn(u128) -> Option<registry_edge::places::Location>,
}

impl Family<'_> {
    fn check(&self, resolved: &Resolved, addr: u128) {
        let want = expected(resolved, self.oracle.lookup(addr));
        let got = actual((self.lookup)(addr));
        assert_eq!(got, want, "address {addr:#x} ({}-bit)", self.width);
    }
}

fn families(resolved: &Resolved) -> [Family<'_>; 2] {
    [
        Family {
            width: 32,
            prefixes: &resolved.v4,
            oracle: BruteForce::new(32, &resolved.v4),
            lookup: |a| TABLES.lookup_v4(Ipv4Addr::from(a as u32)),
        },
        Family {
            width: 128,
            prefixes: &resolved.v6,
            oracle: BruteForce::new(128, &resolved.v6),
            lookup: |a| TABLES.lookup_v6(Ipv6Addr::from(a)),
        },
    ]
}

#[test]
fn every_prefix_boundary_matches_the_oracle() {
    let (_, resolved) = real_data();
    let mut checked = 0;
    for family in families(&resolved) {
        let max = if family.width == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        for (p, _) in family.prefixes {
            let first = p.addr;
            let end = last(p.addr, p.len, family.width);
            family.check(&resolved, first);
            family.check(&resolved, end);
            if first > 0 {
                family.check(&resolved, first - 1);
            }
            if end < max {
                family.check(&resolved, end + 1);
            }
            checked += 4;
        }
    }
    assert!(checked > 100_000, "only {checked} boundary addresses");
}

#[test]
fn a_million_random_addresses_match_the_oracle() {
    let (_, resolved) = real_data();
    let mut rng = Rng(0x5eed_f0ac1e);
    let per_family = 500_000;
    let mut matched = 0;
    for family in families(&resolved) {
        for i in 0..per_family {
            let addr = if i % 2 == 0 {
                // Uniform over the whole family.
                let a = rng.next_u128();
                if family.width == 32 {
                    a & u128::from(u32::MAX)
                } else {
                    a
                }
            } else {
                // Inside a random published prefix.
                let (p, _) = family.prefixes[rng.below(family.prefixes.len())];
                inside(&mut rng, p.addr, p.len, family.width)
            };
            family.check(&resolved, addr);
            matched += usize::from((family.lookup)(addr).is_some());
        }
    }
    // Half the addresses were drawn inside published prefixes.
    assert!(matched >= per_family, "only {matched} matched");
}

#[test]
fn ipv4_mapped_ipv6_matches_the_ipv4_answer() {
    let (_, resolved) = real_data();
    let mut rng = Rng(42);
    for _ in 0..10_000 {
        let (p, _) = resolved.v4[rng.below(resolved.v4.len())];
        let v4 = Ipv4Addr::from(inside(&mut rng, p.addr, p.len, 32) as u32);
        assert_eq!(
            TABLES.lookup_v6(v4.to_ipv6_mapped()),
            TABLES.lookup_v4(v4),
            "{v4}"
        );
    }
}

#[test]
fn baked_provenance_matches_the_snapshot() {
    let (snapshot, resolved) = real_data();
    assert_eq!(ranges::PROVIDERS.len(), snapshot.providers.len());
    for (baked, read) in ranges::PROVIDERS.iter().zip(&snapshot.providers) {
        assert_eq!(baked.cloud, read.cloud);
        assert_eq!(baked.url, read.url);
        assert_eq!(baked.sync_token, read.sync_token);
        assert_eq!(baked.created, read.created);
        assert_eq!(baked.published_entries, read.published_entries);
        assert_eq!(baked.excluded_entries, read.excluded_entries);
        assert_eq!(baked.exclude_regions, read.exclude_regions);
        assert_eq!(baked.v4_prefixes, read.v4_prefixes);
        assert_eq!(baked.v6_prefixes, read.v6_prefixes);
    }
    let baked: Vec<(String, String, u32, u32)> = ranges::locations()
        .map(|(l, v4, v6)| (l.cloud.as_str().to_string(), l.region.to_string(), v4, v6))
        .collect();
    let read: Vec<(String, String, u32, u32)> = resolved
        .locations
        .iter()
        .zip(&resolved.location_prefixes)
        .map(|((c, r), (v4, v6))| (c.as_str().to_string(), r.clone(), *v4, *v6))
        .collect();
    assert_eq!(baked, read);
}
