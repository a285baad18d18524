//! Health-aware upstream failover, the platform-free half
//! (docs/operating.md, "Upstream health checks"). With `UPSTREAM_HEALTH_CHECKS`, a cron trigger
//! probes `GET <endpoint>/v2/` of every `UPSTREAM_REGIONS` entry and stores
//! a [`HealthRecord`] in KV; the fetch handler reads it (through a
//! per-isolate [`RecordCache`]) and passes the unhealthy regions to
//! `decide`, which skips them. Everything fails open: no record, a stale
//! record, or every region unhealthy means every region is eligible.
//! The worker adapter (src/worker/upstream_health.rs) does the I/O.

use serde::{Deserialize, Serialize};

/// The KV namespace binding holding the record.
pub const KV_BINDING: &str = "UPSTREAM_HEALTH";
/// The record's key in that namespace.
pub const KV_KEY: &str = "upstream-health";
/// A record older than this is ignored (the cron runs every minute, so
/// four probes in a row were missed).
pub const MAX_RECORD_AGE_MS: u64 = 5 * 60 * 1000;
/// How long an isolate reuses the record it read.
pub const ISOLATE_CACHE_MS: u64 = 30_000;
/// Deadline of one probe.
pub const PROBE_TIMEOUT_MS: u64 = 3_000;

/// What one probe round found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// When the probes were sent (ms since the epoch).
    pub checked_at_ms: u64,
    /// `UPSTREAM_REGIONS` names whose probe failed.
    pub unhealthy: Vec<String>,
}

impl HealthRecord {
    /// The stored text; `None` for anything that is not a record (an
    /// unreadable record is no record: fail open).
    pub fn parse(text: &str) -> Option<HealthRecord> {
        serde_json::from_str(text).ok()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The regions to avoid at `now_ms`: none once the record is older
    /// than [`MAX_RECORD_AGE_MS`].
    pub fn unhealthy_at(&self, now_ms: u64) -> &[String] {
        if now_ms.saturating_sub(self.checked_at_ms) > MAX_RECORD_AGE_MS {
            &[]
        } else {
            &self.unhealthy
        }
    }
}

/// The URL a probe of `endpoint` fetches: the OCI API version check.
pub fn probe_url(endpoint: &str) -> String {
    format!("{endpoint}/v2/")
}

/// A probe's verdict from its answer (`None`: network error or timeout).
/// Any answer below 500 (200, or the 401 of a registry that wants a token)
/// means the registry is up; 5xx, errors and timeouts mean it is not.
pub fn probe_healthy(status: Option<u16>) -> bool {
    matches!(status, Some(s) if s < 500)
}

/// One isolate's memory of the record: reused for at most
/// [`ISOLATE_CACHE_MS`] after it was read (or written by a probe in this
/// isolate).
#[derive(Clone, Debug, Default)]
pub struct RecordCache {
    entry: Option<(u64, Option<HealthRecord>)>,
}

impl RecordCache {
    /// The remembered record (`Some(None)`: remembered that there is none),
    /// if it was read less than [`ISOLATE_CACHE_MS`] before `now_ms`.
    pub fn get(&self, now_ms: u64) -> Option<Option<&HealthRecord>> {
        match &self.entry {
            Some((read_at, record)) if now_ms.saturating_sub(*read_at) < ISOLATE_CACHE_MS => {
                Some(record.as_ref())
            }
            _ => None,
        }
    }

    pub fn put(&mut self, now_ms: u64, record: Option<HealthRecord>) {
        self.entry = Some((now_ms, record));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_go_stale() {
        let record = HealthRecord {
            checked_at_ms: 1_000_000,
            unhealthy: vec!["us-east1".into()],
        };
        assert_eq!(HealthRecord::parse(&record.to_json()), Some(record.clone()));
        assert_eq!(record.unhealthy_at(1_000_000), ["us-east1"]);
        assert_eq!(
            record.unhealthy_at(1_000_000 + MAX_RECORD_AGE_MS),
            ["us-east1"]
        );
        assert!(record
            .unhealthy_at(1_000_000 + MAX_RECORD_AGE_MS + 1)
            .is_empty());
        // A clock behind the probe's is not a stale record.
        assert_eq!(record.unhealthy_at(0), ["us-east1"]);
        for junk in [
            "",
            "null",
            "{}",
            "[1]",
            "{\"checked_at_ms\": \"x\", \"unhealthy\": []}",
        ] {
            assert_eq!(HealthRecord::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn probe_verdicts() {
        for s in [200, 401, 403, 404] {
            assert!(probe_healthy(Some(s)), "{s}");
        }
        for s in [Some(500), Some(502), Some(503), None] {
            assert!(!probe_healthy(s), "{s:?}");
        }
        assert_eq!(
            probe_url("https://us-east1-docker.pkg.dev"),
            "https://us-east1-docker.pkg.dev/v2/"
        );
    }

    #[test]
    fn the_isolate_cache_keeps_a_record_for_at_most_30_s() {
        let mut cache = RecordCache::default();
        assert_eq!(cache.get(0), None);
        cache.put(1000, None);
        assert_eq!(cache.get(1000 + ISOLATE_CACHE_MS - 1), Some(None));
        assert_eq!(cache.get(1000 + ISOLATE_CACHE_MS), None);
        let record = HealthRecord {
            checked_at_ms: 5,
            unhealthy: vec!["a".into()],
        };
        cache.put(2000, Some(record.clone()));
        assert_eq!(cache.get(2000), Some(Some(&record)));
    }
}
