//! Health-aware upstream failover, the platform-free half
//! (docs/operating.md, "Upstream health checks"). With
//! `UPSTREAM_HEALTH_CHECKS`, a cron trigger probes `GET <endpoint>/v2/` of
//! every `UPSTREAM_REGIONS` entry and stores a [`HealthRecord`] in KV; the
//! fetch handler reads it through the isolate's [`HealthReader`] and passes
//! the unhealthy regions to `decide`, which skips them.
//!
//! Everything fails open (every region eligible): no record, an unreadable
//! or stale one (more than 5 minutes old, or dated more than a minute in
//! the future), one that marks more than half of the regions unhealthy (a
//! probe that broke, more likely than half of Artifact Registry), and a KV
//! read that is slow or fails. No request waits on KV for long: one read
//! per isolate at a time, shared by the requests that need it, and only a
//! request with nothing known waits for it, at most [`READ_WAIT_MS`]. The
//! worker adapter (src/worker/upstream_health.rs) does the I/O.

use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// The KV namespace binding holding the record.
pub const KV_BINDING: &str = "UPSTREAM_HEALTH";
/// The record's key in that namespace.
pub const KV_KEY: &str = "upstream-health";
/// A record older than this is ignored (the cron runs every minute, so
/// four probes in a row were missed).
pub const MAX_RECORD_AGE_MS: u64 = 5 * 60 * 1000;
/// A record dated further ahead than this is ignored: clocks agree better
/// than that, and a record from the future would otherwise never go stale.
pub const MAX_FUTURE_MS: u64 = 60_000;
/// How long an isolate uses the record it read before reading it again.
pub const ISOLATE_CACHE_MS: u64 = 30_000;
/// Deadline of one probe.
pub const PROBE_TIMEOUT_MS: u64 = 3_000;
/// The longest a request waits for the KV read when its isolate knows no
/// record yet; then it goes on without one.
pub const READ_WAIT_MS: u64 = 100;
/// A KV read in flight longer than this is given up: the next request
/// starts another.
pub const READ_STALE_MS: u64 = 5_000;
/// How often a waiting request looks at the read it waits for.
const WAIT_TICK_MS: u64 = 5;

/// What one probe round found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// When the probes were sent (ms since the epoch).
    pub checked_at_ms: u64,
    /// `UPSTREAM_REGIONS` names whose probe failed.
    pub unhealthy: Vec<String>,
}

/// What a record means for the decision at some time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'r> {
    /// Skip these regions.
    Avoid(&'r [String]),
    /// Too old, or dated in the future: ignored.
    Stale,
    /// More than half of the `regions` are marked unhealthy: ignored.
    TooMany { unhealthy: usize, regions: usize },
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

    /// What the record says at `now_ms`, with `regions` configured.
    pub fn verdict(&self, now_ms: u64, regions: usize) -> Verdict<'_> {
        let too_old = now_ms.saturating_sub(self.checked_at_ms) > MAX_RECORD_AGE_MS;
        let from_the_future = self.checked_at_ms > now_ms.saturating_add(MAX_FUTURE_MS);
        if too_old || from_the_future {
            return Verdict::Stale;
        }
        if self.unhealthy.len() * 2 > regions {
            return Verdict::TooMany {
                unhealthy: self.unhealthy.len(),
                regions,
            };
        }
        Verdict::Avoid(&self.unhealthy)
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

/// The runtime a [`HealthReader`] runs on.
pub trait HealthIo: Clone + 'static {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    fn sleep(&self, ms: u64) -> impl Future<Output = ()>;
    /// The record's text in KV (`Ok(None)`: no record).
    fn read(&self) -> impl Future<Output = Result<Option<String>, String>>;
    /// Runs `task` to completion even if the request that started it is
    /// cancelled (`ctx.waitUntil`).
    fn background(&self, task: impl Future<Output = ()> + 'static);
    fn warn(&self, message: &str);
}

/// A KV read in flight.
#[derive(Debug)]
struct PendingRead {
    started_ms: u64,
    done: Cell<bool>,
}

/// What one isolate knows of the record (shared by its requests).
#[derive(Debug, Default)]
pub struct HealthState {
    /// The last read: when, and what it found (`None`: no record).
    read: Option<(u64, Option<HealthRecord>)>,
    pending: Option<Rc<PendingRead>>,
    /// An ignored record (too many regions unhealthy) was logged.
    warned_too_many: bool,
}

impl HealthState {
    /// The record this isolate read or a probe here wrote, at `now_ms`.
    pub fn remember(&mut self, now_ms: u64, record: Option<HealthRecord>) {
        self.read = Some((now_ms, record));
    }
}

/// The health record as one request of an isolate reads it.
pub struct HealthReader<Io> {
    state: Rc<RefCell<HealthState>>,
    io: Io,
}

impl<Io: HealthIo> HealthReader<Io> {
    pub fn new(state: Rc<RefCell<HealthState>>, io: Io) -> Self {
        HealthReader { state, io }
    }

    /// The regions to skip now, of `regions` configured: the last record
    /// read, refreshed in the background once it is older than
    /// [`ISOLATE_CACHE_MS`]. A request waits for KV only when nothing was
    /// read yet, at most [`READ_WAIT_MS`].
    pub async fn unhealthy(&self, regions: usize) -> Vec<String> {
        let now = self.io.now_ms();
        let (known, due) = {
            let state = self.state.borrow();
            match &state.read {
                Some((read_at, _)) => (true, now.saturating_sub(*read_at) >= ISOLATE_CACHE_MS),
                None => (false, true),
            }
        };
        if due {
            let pending = self.read_in_background(now);
            if !known {
                let deadline = pending.started_ms.saturating_add(READ_WAIT_MS);
                while !pending.done.get() && self.io.now_ms() < deadline {
                    let left = deadline - self.io.now_ms();
                    self.io.sleep(WAIT_TICK_MS.min(left)).await;
                }
            }
        }
        self.avoid(self.io.now_ms(), regions)
    }

    /// The read in flight, or a new one.
    fn read_in_background(&self, now: u64) -> Rc<PendingRead> {
        let mut state = self.state.borrow_mut();
        if let Some(pending) = &state.pending {
            if !pending.done.get() && now.saturating_sub(pending.started_ms) < READ_STALE_MS {
                return pending.clone();
            }
        }
        let pending = Rc::new(PendingRead {
            started_ms: now,
            done: Cell::new(false),
        });
        state.pending = Some(pending.clone());
        drop(state);
        let (state, io, read) = (self.state.clone(), self.io.clone(), pending.clone());
        self.io.background(async move {
            let record = match io.read().await {
                Ok(Some(text)) => {
                    let record = HealthRecord::parse(&text);
                    if record.is_none() {
                        io.warn(&format!("upstream health: unreadable record {text:?}"));
                    }
                    record
                }
                Ok(None) => None,
                Err(e) => {
                    io.warn(&format!("upstream health: cannot read the record: {e}"));
                    // Keep what was known; try again after the isolate's period.
                    let mut state = state.borrow_mut();
                    let known = state.read.take().and_then(|(_, r)| r);
                    state.remember(io.now_ms(), known);
                    read.done.set(true);
                    return;
                }
            };
            state.borrow_mut().remember(io.now_ms(), record);
            read.done.set(true);
        });
        pending
    }

    /// The regions the known record says to skip at `now_ms`.
    fn avoid(&self, now_ms: u64, regions: usize) -> Vec<String> {
        let mut state = self.state.borrow_mut();
        let Some((_, Some(record))) = &state.read else {
            return Vec::new();
        };
        match record.verdict(now_ms, regions) {
            Verdict::Avoid(names) => names.to_vec(),
            Verdict::Stale => Vec::new(),
            Verdict::TooMany { unhealthy, regions } => {
                if !state.warned_too_many {
                    state.warned_too_many = true;
                    self.io.warn(&format!(
                        "upstream health: the record marks {unhealthy} of {regions} regions unhealthy; \
                         more than half is not believed, every region stays eligible"
                    ));
                }
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Verdict<'_>) -> Option<Vec<&str>> {
        match v {
            Verdict::Avoid(n) => Some(n.iter().map(String::as_str).collect()),
            _ => None,
        }
    }

    #[test]
    fn records_round_trip_and_go_stale() {
        let record = HealthRecord {
            checked_at_ms: 1_000_000,
            unhealthy: vec!["us-east1".into()],
        };
        assert_eq!(HealthRecord::parse(&record.to_json()), Some(record.clone()));
        assert_eq!(names(record.verdict(1_000_000, 3)), Some(vec!["us-east1"]));
        assert_eq!(
            names(record.verdict(1_000_000 + MAX_RECORD_AGE_MS, 3)),
            Some(vec!["us-east1"])
        );
        assert_eq!(
            record.verdict(1_000_000 + MAX_RECORD_AGE_MS + 1, 3),
            Verdict::Stale
        );
        // A clock a little behind the probe's is not a stale record; a
        // record dated more than a minute ahead is.
        assert_eq!(
            names(record.verdict(1_000_000 - MAX_FUTURE_MS, 3)),
            Some(vec!["us-east1"])
        );
        assert_eq!(
            record.verdict(1_000_000 - MAX_FUTURE_MS - 1, 3),
            Verdict::Stale
        );
        let far_future = HealthRecord {
            checked_at_ms: u64::MAX,
            ..record.clone()
        };
        assert_eq!(far_future.verdict(1_000_000, 3), Verdict::Stale);
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
    fn more_than_half_unhealthy_is_not_believed() {
        let record = |n: usize| HealthRecord {
            checked_at_ms: 0,
            unhealthy: (0..n).map(|i| format!("r{i}")).collect(),
        };
        // Half is believed.
        assert_eq!(names(record(11).verdict(0, 22)).map(|n| n.len()), Some(11));
        assert_eq!(
            record(12).verdict(0, 22),
            Verdict::TooMany {
                unhealthy: 12,
                regions: 22
            }
        );
        assert_eq!(
            record(21).verdict(0, 22),
            Verdict::TooMany {
                unhealthy: 21,
                regions: 22
            }
        );
        assert!(matches!(record(2).verdict(0, 3), Verdict::TooMany { .. }));
        assert_eq!(names(record(1).verdict(0, 3)).unwrap().len(), 1);
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
}
