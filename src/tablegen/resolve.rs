//! Merges every provider's entries into one prefix set per address family,
//! with exactly one location per distinct prefix.
//!
//! Identical prefixes published with different (cloud, region) are resolved
//! deterministically: a specific region beats AWS's `GLOBAL`; otherwise the
//! provider listed first in ranges/sources.json wins (AWS, GCP, Azure); within
//! one provider, the region name that sorts first wins. Overlapping prefixes
//! of different lengths are not conflicts: the trie answers the longest.

use super::cloud::Cloud;
use super::providers::ProviderData;
use ipnet::IpNet;
use std::collections::BTreeMap;

/// A prefix as a left-aligned bit string: IPv4 uses the low 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    pub addr: u128,
    pub len: u8,
}

impl Prefix {
    pub fn of(net: &IpNet) -> Prefix {
        match net {
            IpNet::V4(n) => Prefix {
                addr: u32::from(n.network()).into(),
                len: n.prefix_len(),
            },
            IpNet::V6(n) => Prefix {
                addr: u128::from(n.network()),
                len: n.prefix_len(),
            },
        }
    }
}

/// A distinct prefix published with more than one location.
#[derive(Debug)]
pub struct Conflict {
    pub net: IpNet,
    pub winner: (Cloud, String),
    pub losers: Vec<(Cloud, String)>,
}

#[derive(Debug, Default)]
pub struct Resolved {
    /// Location number `n` (as stored in the trie) is `locations[n - 1]`.
    pub locations: Vec<(Cloud, String)>,
    /// (prefix, location number), sorted by prefix.
    pub v4: Vec<(Prefix, u16)>,
    pub v6: Vec<(Prefix, u16)>,
    /// Per location: (IPv4, IPv6) prefixes it answers for.
    pub location_prefixes: Vec<(u32, u32)>,
    pub conflicts: Vec<Conflict>,
}

/// Precedence of one claim on a prefix (smaller wins): GLOBAL last, then
/// provider order, then region name.
type Precedence = (bool, usize, String);

fn precedence(provider_index: usize, region: &str) -> Precedence {
    (region == "GLOBAL", provider_index, region.to_string())
}

pub fn resolve(providers: &[ProviderData]) -> Result<Resolved, String> {
    // Every claim on each distinct prefix, best first after sorting.
    let mut claims: BTreeMap<IpNet, Vec<(Precedence, Cloud)>> = BTreeMap::new();
    for (index, provider) in providers.iter().enumerate() {
        for e in &provider.entries {
            // Keyed by the masked prefix: 10.0.0.9/24 is 10.0.0.0/24.
            claims
                .entry(e.net.trunc())
                .or_default()
                .push((precedence(index, &e.region), e.cloud));
        }
    }
    let mut location_numbers: BTreeMap<(Cloud, String), u16> = BTreeMap::new();
    for provider in providers {
        for e in &provider.entries {
            location_numbers.insert((e.cloud, e.region.clone()), 0);
        }
    }
    if location_numbers.len() >= usize::from(super::trie::CHILD) {
        return Err(format!(
            "{} locations do not fit the trie's entries",
            location_numbers.len()
        ));
    }
    let mut out = Resolved::default();
    for (n, (location, number)) in location_numbers.iter_mut().enumerate() {
        *number = (n + 1) as u16;
        out.locations.push(location.clone());
    }
    out.location_prefixes = vec![(0, 0); out.locations.len()];
    for (net, mut list) in claims {
        list.sort();
        list.dedup();
        let ((_, _, region), cloud) = list[0].clone();
        let number = location_numbers[&(cloud, region.clone())];
        let counts = &mut out.location_prefixes[usize::from(number) - 1];
        match net {
            IpNet::V4(_) => {
                counts.0 += 1;
                out.v4.push((Prefix::of(&net), number));
            }
            IpNet::V6(_) => {
                counts.1 += 1;
                out.v6.push((Prefix::of(&net), number));
            }
        }
        if list.len() > 1 {
            out.conflicts.push(Conflict {
                net,
                winner: (cloud, region),
                losers: list[1..]
                    .iter()
                    .map(|((_, _, r), c)| (*c, r.clone()))
                    .collect(),
            });
        }
    }
    Ok(out)
}
