//! How old the range data is, and whether it is stale: older than
//! `RANGES_MAX_AGE_DAYS` (docs/operating.md, "Stale range data"). While a
//! provider's new prefixes are unknown, its clients are not placed: an AWS
//! client on a new prefix goes to the CDN instead of its in-region mirror.

use super::dates::{created_seconds, iso8601};
use crate::places::ranges::Provenance;

/// The range data's age at a moment, against the configured limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// The provider whose dated file is oldest, and its creation date in
    /// seconds since the epoch (`None`: no provider file has a date).
    pub oldest: Option<(&'static str, i64)>,
    /// Whole days from that date to now.
    pub age_days: Option<i64>,
    /// `RANGES_MAX_AGE_DAYS`.
    pub max_age_days: u32,
}

impl Freshness {
    /// The freshness of `providers` at `now_ms` (milliseconds since the
    /// epoch). Azure's file carries no date: the dated providers, refreshed
    /// with it by `make ranges`, stand for it.
    pub fn of(providers: &[Provenance], now_ms: f64, max_age_days: u32) -> Freshness {
        let oldest = providers
            .iter()
            .filter_map(|p| created_seconds(p.created).map(|c| (p.cloud.as_str(), c)))
            .min_by_key(|&(_, created)| created);
        let now = (now_ms / 1000.0).floor() as i64;
        Freshness {
            oldest,
            age_days: oldest.map(|(_, created)| (now - created).div_euclid(86_400)),
            max_age_days,
        }
    }

    /// Older than `RANGES_MAX_AGE_DAYS` (undated data is never called stale).
    pub fn stale(&self) -> bool {
        self.age_days
            .is_some_and(|age| age > i64::from(self.max_age_days))
    }

    /// The error line each scheduled run logs while the data is stale.
    pub fn alarm(&self) -> Option<String> {
        let (Some((cloud, created)), Some(age)) = (self.oldest, self.age_days) else {
            return None;
        };
        self.stale().then(|| {
            format!(
                "registry-edge: stale range data: {cloud}'s file of {} is {age} days old, over \
                 RANGES_MAX_AGE_DAYS = {}; clients on newer prefixes are not placed. Refresh: \
                 make ranges, merge, deploy (docs/deploying.md)",
                iso8601(created),
                self.max_age_days
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::Cloud::{Aws, Azure, Gcp};

    fn provider(cloud: crate::places::Cloud, created: &'static str) -> Provenance {
        Provenance {
            cloud,
            url: "",
            sync_token: "1",
            created,
            published_entries: 0,
            excluded_entries: 0,
            exclude_regions: &[],
            v4_prefixes: 0,
            v6_prefixes: 0,
        }
    }

    const DAY_MS: f64 = 86_400_000.0;

    #[test]
    fn the_oldest_dated_provider_against_the_limit() {
        let providers = [
            provider(Aws, "2026-07-29-08-27-05"),
            provider(Gcp, "2026-07-29T07:05:53.849365"),
            provider(Azure, ""),
        ];
        // GCP's date plus 45 days and a second: 45 whole days, not stale.
        let gcp = created_seconds("2026-07-29T07:05:53").unwrap() as f64 * 1000.0;
        let at_limit = Freshness::of(&providers, gcp + 45.0 * DAY_MS + 1000.0, 45);
        assert_eq!(at_limit.oldest.map(|(c, _)| c), Some("GCP"));
        assert_eq!(at_limit.age_days, Some(45));
        assert!(!at_limit.stale() && at_limit.alarm().is_none());
        let over = Freshness::of(&providers, gcp + 46.0 * DAY_MS, 45);
        assert!(over.stale());
        assert_eq!(
            over.alarm().unwrap(),
            "registry-edge: stale range data: GCP's file of 2026-07-29T07:05:53Z is 46 days old, \
             over RANGES_MAX_AGE_DAYS = 45; clients on newer prefixes are not placed. Refresh: \
             make ranges, merge, deploy (docs/deploying.md)"
        );
        assert!(!Freshness::of(&providers, gcp + 46.0 * DAY_MS, 46).stale());
    }

    #[test]
    fn undated_data_is_never_stale() {
        let undated = Freshness::of(&[provider(Azure, "")], 1e15, 1);
        assert_eq!((undated.oldest, undated.age_days), (None, None));
        assert!(!undated.stale() && undated.alarm().is_none());
    }
}
