//! Per-(cloud, region) differences between two snapshots.

use range_tablegen::{Cloud, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

type ByRegion = BTreeMap<(Cloud, String), BTreeSet<String>>;

fn by_region(snapshot: Option<&Snapshot>) -> ByRegion {
    let mut map = ByRegion::new();
    for e in snapshot.into_iter().flat_map(|s| &s.entries) {
        map.entry((e.cloud, e.region.clone()))
            .or_default()
            .insert(e.net.to_string());
    }
    map
}

/// A sync-token line per provider, then a summary line per changed
/// (cloud, region) followed by its `+`/`-` prefixes, then totals per cloud.
pub fn report(old: Option<&Snapshot>, new: &Snapshot) -> String {
    let mut out = String::new();
    for p in &new.providers {
        let old_token = old
            .and_then(|o| o.providers.iter().find(|q| q.cloud == p.cloud))
            .map_or("none", |q| q.sync_token.as_str());
        writeln!(
            out,
            "{}: sync token {old_token} -> {}",
            p.cloud, p.sync_token
        )
        .unwrap();
    }
    let (before, after) = (by_region(old), by_region(Some(new)));
    let keys: BTreeSet<&(Cloud, String)> = before.keys().chain(after.keys()).collect();
    let empty = BTreeSet::new();
    let mut totals: BTreeMap<Cloud, (usize, usize)> =
        new.providers.iter().map(|p| (p.cloud, (0, 0))).collect();
    for key @ (cloud, region) in keys {
        let b = before.get(key).unwrap_or(&empty);
        let a = after.get(key).unwrap_or(&empty);
        let added: Vec<&String> = a.difference(b).collect();
        let removed: Vec<&String> = b.difference(a).collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        writeln!(out, "{cloud} {region}: +{} -{}", added.len(), removed.len()).unwrap();
        for p in &added {
            writeln!(out, "  + {p}").unwrap();
        }
        for p in &removed {
            writeln!(out, "  - {p}").unwrap();
        }
        let total = totals.entry(*cloud).or_default();
        total.0 += added.len();
        total.1 += removed.len();
    }
    for (cloud, (added, removed)) in totals {
        writeln!(out, "{cloud}: {added} prefixes added, {removed} removed").unwrap();
    }
    out
}
