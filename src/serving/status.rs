//! `GET /_status`: what is deployed. The build (version, git commit, when
//! the range tables were compiled), the Workers version serving it (id,
//! tag, timestamp), the range data per provider (sync token, creation
//! date, prefixes, age) and whether it is stale, the names of the configured
//! copies, which optional features are on and the known-repositories list
//! the isolate uses. Nothing secret and nothing about the client: URLs of
//! copies are left out, names only.

use super::dates::{created_seconds, iso8601};
use super::freshness::Freshness;
use super::worker_version::WorkerVersion;
use crate::checks::known_repositories::RepositoryList;
use crate::config::{Config, MirrorName};
use crate::places::ranges::Provenance;
use serde_json::json;
use std::sync::OnceLock;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// `git rev-parse HEAD` at build time, or "unknown" (build.rs).
pub const GIT_COMMIT: &str = env!("REGISTRY_EDGE_GIT_COMMIT");
/// Seconds since the epoch when build.rs compiled the range tables.
const TABLES_BUILT: &str = env!("REGISTRY_EDGE_TABLES_BUILT");

/// The response header naming the oldest range data a deployment routes by.
pub const RANGES_HEADER: &str = "X-Registry-Edge-Ranges";

/// Optional features that depend on bindings rather than variables (the
/// adapter knows which bindings exist).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    pub rate_limit: bool,
    pub analytics: bool,
    /// The `CF_VERSION_METADATA` binding's version, read once per isolate.
    pub version: Option<&'static WorkerVersion>,
}

/// When the range tables were compiled, in seconds since the epoch.
pub fn tables_built() -> u64 {
    TABLES_BUILT.parse().unwrap_or(0)
}

/// The oldest creation date among `providers` (those that have one), as
/// ISO 8601: a deployment routing by stale data shows it on every pull.
pub fn oldest_created(providers: &[Provenance]) -> Option<String> {
    providers
        .iter()
        .filter_map(|p| created_seconds(p.created))
        .min()
        .map(iso8601)
}

/// [`oldest_created`] of the compiled tables, computed once.
pub fn ranges_header_value() -> &'static str {
    static VALUE: OnceLock<String> = OnceLock::new();
    VALUE.get_or_init(|| {
        oldest_created(&crate::places::ranges::PROVIDERS).unwrap_or_else(|| "unknown".into())
    })
}

/// The `/_status` document. `known` is the known-repositories list the
/// decision uses (`None`: off, or none usable); `now_ms` is the current
/// time (for data ages).
pub fn document(
    config: &Config,
    bindings: Bindings,
    providers: &[Provenance],
    known: Option<&RepositoryList>,
    now_ms: f64,
) -> String {
    let now = (now_ms / 1000.0) as i64;
    let freshness = Freshness::of(providers, now_ms, config.operating.ranges_max_age_days);
    let per_provider: Vec<_> = providers
        .iter()
        .map(|p| {
            let created = created_seconds(p.created);
            json!({
                "cloud": p.cloud.as_str(),
                "sync_token": p.sync_token,
                // null when the provider's file has no date (Azure).
                "created": created.map(iso8601),
                "age_days": created.map(|c| (now - c).div_euclid(86_400)),
                "v4_prefixes": p.v4_prefixes,
                "v6_prefixes": p.v6_prefixes,
            })
        })
        .collect();
    json!({
        "service": "registry-edge",
        "version": VERSION,
        "commit": GIT_COMMIT,
        // null without the [version_metadata] binding.
        "worker_version": bindings.version.map(|v| json!({
            "id": v.id,
            "tag": v.tag,
            "timestamp": v.timestamp,
        })),
        "ranges": {
            "compiled": iso8601(tables_built() as i64),
            "oldest": freshness.oldest.map(|(_, created)| iso8601(created)),
            "age_days": freshness.age_days,
            "max_age_days": freshness.max_age_days,
            "stale": freshness.stale(),
            "providers": per_provider,
        },
        "copies": {
            "mirrors": config
                .mirrors
                .by_region
                .keys()
                .map(|key| MirrorName::of(key).to_string())
                .collect::<Vec<_>>(),
            "default_blob_base": config.mirrors.default_blob_base.is_some(),
            "signature_upstream": config.upstream.signature_endpoint.is_some(),
            "upstream_regions": config.upstream.regions.iter().map(|r| &r.name).collect::<Vec<_>>(),
        },
        "features": {
            "pull_sessions": config.operating.pull_sessions,
            "rate_limit": bindings.rate_limit,
            "analytics": bindings.analytics,
            "log_sample_rate": config.operating.log_sample_rate,
            "analytics_sample_rate": config.operating.analytics_sample_rate,
            "upstream_health_checks": config.upstream.health_checks,
            "mirror_fallback_km": config.mirrors.fallback_km,
            "known_repositories": {
                "on": config.known_repositories.enabled,
                // null while no usable list is known: every repository is routed.
                "repositories": known.map(RepositoryList::len),
                "age_seconds": known.map(|l| l.age_ms(now_ms.max(0.0) as u64) / 1000),
            },
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_dated_provider() {
        let provider = |cloud, created| Provenance {
            cloud,
            url: "",
            sync_token: "1",
            created,
            published_entries: 0,
            excluded_entries: 0,
            exclude_regions: &[],
            v4_prefixes: 0,
            v6_prefixes: 0,
        };
        use crate::places::Cloud::{Aws, Azure, Gcp};
        let providers = [
            provider(Aws, "2026-07-29-08-27-05"),
            provider(Gcp, "2026-07-29T07:05:53.849365"),
            provider(Azure, ""),
        ];
        assert_eq!(
            oldest_created(&providers).as_deref(),
            Some("2026-07-29T07:05:53Z")
        );
        assert_eq!(oldest_created(&providers[2..]), None);
    }
}
