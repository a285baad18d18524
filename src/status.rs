//! `GET /_status`: what is deployed. The build (version, git commit, when
//! the range tables were compiled), the range data per provider (sync
//! token, creation date, prefixes, age), the names of the configured
//! copies and which optional features are on. Nothing secret and nothing
//! about the client: URLs of copies are left out, names only.

use crate::config::Config;
use crate::ranges::Provenance;
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
}

/// When the range tables were compiled, in seconds since the epoch.
pub fn tables_built() -> u64 {
    TABLES_BUILT.parse().unwrap_or(0)
}

/// A provider's creation date in seconds since the epoch. AWS writes
/// `2026-07-29-08-27-05`, GCP `2026-07-29T07:05:53.849365` (both UTC);
/// Azure's file has none (empty).
pub fn created_seconds(created: &str) -> Option<i64> {
    let mut fields = [0i64; 6];
    let mut parts = created
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    for field in &mut fields {
        *field = parts.next()?.parse().ok()?;
    }
    let [year, month, day, hour, minute, second] = fields;
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        days_from_civil(year, month as u32, day as u32) * 86_400
            + hour * 3600
            + minute * 60
            + second
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
pub fn iso8601(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
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
        oldest_created(&crate::ranges::PROVIDERS).unwrap_or_else(|| "unknown".into())
    })
}

/// The `/_status` document. `now_ms` is the current time (for data ages).
pub fn document(
    config: &Config,
    bindings: Bindings,
    providers: &[Provenance],
    now_ms: f64,
) -> String {
    let now = (now_ms / 1000.0) as i64;
    let providers: Vec<_> = providers
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
        "ranges": {
            "compiled": iso8601(tables_built() as i64),
            "oldest": oldest_created(&crate::ranges::PROVIDERS),
            "providers": providers,
        },
        "copies": {
            "mirrors": config
                .blob_mirrors
                .keys()
                .map(|(cloud, region)| crate::config::mirror_name(*cloud, region))
                .collect::<Vec<_>>(),
            "default_blob_base": config.default_blob_base_url.is_some(),
            "signature_upstream": config.signature_upstream_endpoint.is_some(),
            "upstream_regions": config.upstream_regions.iter().map(|r| &r.name).collect::<Vec<_>>(),
        },
        "features": {
            "pull_sessions": config.pull_sessions,
            "rate_limit": bindings.rate_limit,
            "analytics": bindings.analytics,
            "log_sample_rate": config.log_sample_rate,
            "upstream_health_checks": config.upstream_health_checks,
            "mirror_fallback_km": config.mirror_fallback_km,
        },
    })
    .to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_dates() {
        // AWS and GCP spell them differently; both are UTC.
        assert_eq!(
            created_seconds("2026-07-29-08-27-05")
                .map(iso8601)
                .as_deref(),
            Some("2026-07-29T08:27:05Z")
        );
        assert_eq!(
            created_seconds("2026-07-29T07:05:53.849365")
                .map(iso8601)
                .as_deref(),
            Some("2026-07-29T07:05:53Z")
        );
        assert_eq!(created_seconds("1970-01-01-00-00-00"), Some(0));
        assert_eq!(created_seconds("2000-03-01-00-00-00"), Some(951_868_800));
        for bad in ["", "-", "2026-13-01-00-00-00", "2026-07-29", "x"] {
            assert_eq!(created_seconds(bad), None, "{bad:?}");
        }
    }

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
        use crate::Cloud::{Aws, Azure, Gcp};
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

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        // `date -u -d @1795641928`
        assert_eq!(iso8601(1_795_641_928), "2026-11-25T21:25:28Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }
}
