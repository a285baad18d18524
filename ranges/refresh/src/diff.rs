//! Per-(cloud, region) differences between two snapshots, computed once
//! and rendered as the report `make ranges` prints (and the pull request
//! body quotes).

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

/// One (cloud, region) whose prefixes changed.
pub struct RegionChange {
    pub cloud: Cloud,
    pub region: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One provider of the new snapshot: its sync tokens and how many of its
/// (prefix, region) pairs there were, came and went. A prefix that moved
/// region counts once removed and once added.
pub struct CloudChange {
    pub cloud: Cloud,
    pub old_token: Option<String>,
    pub new_token: String,
    /// Its entries in the snapshot being replaced (0: none, or no snapshot).
    pub before: usize,
    pub added: usize,
    pub removed: usize,
}

impl CloudChange {
    /// Added plus removed, in percent of `before` (`None` when there was
    /// nothing before).
    pub fn percent(&self) -> Option<f64> {
        (self.before > 0).then(|| (self.added + self.removed) as f64 * 100.0 / self.before as f64)
    }
}

pub struct Diff {
    pub clouds: Vec<CloudChange>,
    pub regions: Vec<RegionChange>,
}

impl Diff {
    pub fn between(old: Option<&Snapshot>, new: &Snapshot) -> Diff {
        let (before, after) = (by_region(old), by_region(Some(new)));
        let keys: BTreeSet<&(Cloud, String)> = before.keys().chain(after.keys()).collect();
        let empty = BTreeSet::new();
        let mut regions = Vec::new();
        for key @ (cloud, region) in keys {
            let b = before.get(key).unwrap_or(&empty);
            let a = after.get(key).unwrap_or(&empty);
            let added: Vec<String> = a.difference(b).cloned().collect();
            let removed: Vec<String> = b.difference(a).cloned().collect();
            if !added.is_empty() || !removed.is_empty() {
                regions.push(RegionChange {
                    cloud: *cloud,
                    region: region.clone(),
                    added,
                    removed,
                });
            }
        }
        let clouds = new
            .providers
            .iter()
            .map(|p| {
                let of_cloud = regions.iter().filter(|r| r.cloud == p.cloud);
                CloudChange {
                    cloud: p.cloud,
                    old_token: old
                        .and_then(|o| o.providers.iter().find(|q| q.cloud == p.cloud))
                        .map(|q| q.sync_token.clone()),
                    new_token: p.sync_token.clone(),
                    before: old.map_or(0, |o| {
                        o.entries.iter().filter(|e| e.cloud == p.cloud).count()
                    }),
                    added: of_cloud.clone().map(|r| r.added.len()).sum(),
                    removed: of_cloud.map(|r| r.removed.len()).sum(),
                }
            })
            .collect();
        Diff { clouds, regions }
    }

    /// Whether any prefix came, went or moved.
    pub fn changes_routing(&self) -> bool {
        !self.regions.is_empty()
    }

    /// A sync-token line per provider, then a summary line per changed
    /// (cloud, region) followed by its `+`/`-` prefixes, then totals per
    /// cloud. Without `prefixes`, the summary lines only.
    pub fn report(&self, prefixes: bool) -> String {
        let mut out = String::new();
        for c in &self.clouds {
            let old = c.old_token.as_deref().unwrap_or("none");
            writeln!(out, "{}: sync token {old} -> {}", c.cloud, c.new_token).unwrap();
        }
        for r in &self.regions {
            let (added, removed) = (r.added.len(), r.removed.len());
            writeln!(out, "{} {}: +{added} -{removed}", r.cloud, r.region).unwrap();
            if prefixes {
                for p in &r.added {
                    writeln!(out, "  + {p}").unwrap();
                }
                for p in &r.removed {
                    writeln!(out, "  - {p}").unwrap();
                }
            }
        }
        for c in &self.clouds {
            writeln!(
                out,
                "{}: {} prefixes added, {} removed",
                c.cloud, c.added, c.removed
            )
            .unwrap();
        }
        out
    }
}
