//! Per-(cloud, region) differences between two versions of a provider file.

use crate::tablegen::providers::ProviderData;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

type ByRegion = BTreeMap<String, BTreeSet<String>>;

fn by_region(data: Option<&ProviderData>) -> ByRegion {
    let mut map = ByRegion::new();
    for e in data.into_iter().flat_map(|d| &d.entries) {
        map.entry(e.region.clone())
            .or_default()
            .insert(e.net.to_string());
    }
    map
}

/// A summary line per changed region, followed by its `+`/`-` prefixes.
pub fn report(old: Option<&ProviderData>, new: &ProviderData) -> String {
    let cloud = new.cloud;
    let mut out = String::new();
    let old_token = old.map_or("none", |o| o.sync_token.as_str());
    writeln!(
        out,
        "{cloud}: {} sync token {old_token} -> {}",
        new.file, new.sync_token
    )
    .unwrap();
    let (before, after) = (by_region(old), by_region(Some(new)));
    let regions: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let empty = BTreeSet::new();
    let (mut total_added, mut total_removed) = (0, 0);
    for region in regions {
        let b = before.get(region).unwrap_or(&empty);
        let a = after.get(region).unwrap_or(&empty);
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
        total_added += added.len();
        total_removed += removed.len();
    }
    writeln!(
        out,
        "{cloud}: {total_added} prefixes added, {total_removed} removed"
    )
    .unwrap();
    out
}
