//! Merges every provider's entries into one snapshot, with exactly one
//! location per distinct prefix.
//!
//! Identical prefixes published with different (cloud, region) are resolved
//! deterministically: a specific region beats AWS's `GLOBAL`; otherwise the
//! provider listed first in ranges/sources.json wins (AWS, GCP, Azure); within
//! one provider, the region name that sorts first wins. Overlapping prefixes
//! of different lengths are not conflicts: the trie answers the longest.

use crate::entry::Entry;
use crate::providers::ProviderData;
use crate::snapshot::{sort_key, ProviderInfo, Snapshot};
use ipnet::IpNet;
use range_trie::Cloud;
use std::collections::BTreeMap;

/// A distinct prefix published with more than one location.
#[derive(Debug)]
pub struct Conflict {
    pub net: IpNet,
    pub winner: (Cloud, String),
    pub losers: Vec<(Cloud, String)>,
}

/// Precedence of one claim on a prefix (smaller wins): GLOBAL last, then
/// provider order, then region name.
type Precedence = (bool, usize, String);

fn precedence(provider_index: usize, region: &str) -> Precedence {
    (region == "GLOBAL", provider_index, region.to_string())
}

/// The snapshot of `providers` (in sources.json order), and the conflicts
/// that were resolved on the way.
pub fn resolve(providers: &[ProviderData]) -> (Snapshot, Vec<Conflict>) {
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
    let mut snapshot = Snapshot {
        providers: providers.iter().map(provider_info).collect(),
        entries: Vec::with_capacity(claims.len()),
    };
    let mut conflicts = Vec::new();
    for (net, mut list) in claims {
        list.sort();
        list.dedup();
        let ((_, _, region), cloud) = list[0].clone();
        if list.len() > 1 {
            conflicts.push(Conflict {
                net,
                winner: (cloud, region.clone()),
                losers: list[1..]
                    .iter()
                    .map(|((_, _, r), c)| (*c, r.clone()))
                    .collect(),
            });
        }
        snapshot.entries.push(Entry { net, cloud, region });
    }
    snapshot.entries.sort_by_key(|e| sort_key(&e.net));
    (snapshot, conflicts)
}

fn provider_info(p: &ProviderData) -> ProviderInfo {
    let v6 = p.entries.iter().filter(|e| e.net.addr().is_ipv6()).count();
    ProviderInfo {
        cloud: p.cloud,
        url: p.url.clone(),
        sync_token: p.sync_token.clone(),
        created: p.created.clone(),
        published_entries: p.published_entries as u32,
        excluded_entries: p.excluded_entries as u32,
        exclude_regions: p.exclude_regions.clone(),
        v4_prefixes: (p.entries.len() - v6) as u32,
        v6_prefixes: v6 as u32,
    }
}
