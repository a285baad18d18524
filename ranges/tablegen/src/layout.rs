//! Numbers the locations of a resolved entry list and splits it by family:
//! the input of the trie compiler.

use crate::entry::{Entry, Prefix};
use ipnet::IpNet;
use range_trie::Cloud;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Layout {
    /// Location number `n` (as stored in the trie) is `locations[n - 1]`,
    /// sorted by (cloud, region).
    pub locations: Vec<(Cloud, String)>,
    /// (prefix, location number), sorted by prefix.
    pub v4: Vec<(Prefix, u16)>,
    pub v6: Vec<(Prefix, u16)>,
    /// Per location: (IPv4, IPv6) prefixes it answers for.
    pub location_prefixes: Vec<(u32, u32)>,
}

impl Layout {
    /// `entries` must hold each prefix once (a snapshot does).
    pub fn of(entries: &[Entry]) -> Result<Layout, String> {
        let mut numbers: BTreeMap<(Cloud, &str), u16> = entries
            .iter()
            .map(|e| ((e.cloud, e.region.as_str()), 0))
            .collect();
        if numbers.len() >= usize::from(u16::MAX) {
            return Err(format!(
                "{} locations do not fit the trie's entries",
                numbers.len()
            ));
        }
        let mut out = Layout::default();
        for (n, (location, number)) in numbers.iter_mut().enumerate() {
            *number = (n + 1) as u16;
            out.locations.push((location.0, location.1.to_string()));
        }
        out.location_prefixes = vec![(0, 0); out.locations.len()];
        for e in entries {
            let number = numbers[&(e.cloud, e.region.as_str())];
            let counts = &mut out.location_prefixes[usize::from(number) - 1];
            let prefix = (Prefix::of(&e.net), number);
            match e.net {
                IpNet::V4(_) => {
                    counts.0 += 1;
                    out.v4.push(prefix);
                }
                IpNet::V6(_) => {
                    counts.1 += 1;
                    out.v6.push(prefix);
                }
            }
        }
        out.v4.sort();
        out.v6.sort();
        Ok(out)
    }
}
