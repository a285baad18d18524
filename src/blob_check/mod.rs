//! The platform-free half of the blob existence check: what an answer
//! means, how long it is remembered, the per-isolate memory of answers, the
//! checks in flight, the per-copy breaker, and the state machine that ties
//! them together ([`Checker`]). The worker adapter (src/worker/blob_check.rs)
//! only supplies the I/O ([`CheckIo`]: HEAD, Cache API, timers,
//! `ctx.waitUntil`); this half is tested natively with time passed in.

mod breaker;
mod checker;
mod colo;
mod existence_cache;
mod pending;

pub use breaker::{BreakerSettings, Breakers, Transition};
pub use checker::{CheckIo, CheckSettings, CheckState, Checker, HeadAnswer, WAIT_MARGIN_MS};
pub use colo::{breaker_key, copy_id, existence_key, split_blob_url, ColoEntry, Remembered};
pub use existence_cache::ExistenceCache;
pub use pending::{PendingCheck, PendingChecks};

use core::fmt;
use core::future::Future;

/// Answers "is this blob at this URL?" for the decision: [`Checker`] in the
/// worker, a fake in tests.
pub trait BlobCheck {
    fn check(&self, url: &str) -> impl Future<Output = CheckReport>;
}

/// Where a check's answer came from (logged with every pull).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckSource {
    /// The per-isolate memory ([`ExistenceCache`]).
    Isolate,
    /// The colo's Cache API.
    Colo,
    /// A HEAD to the copy (this request's, or one it waited for).
    Head,
    /// The copy's breaker is open: nobody was asked.
    Breaker,
}

impl CheckSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckSource::Isolate => "isolate",
            CheckSource::Colo => "colo",
            CheckSource::Head => "head",
            CheckSource::Breaker => "breaker",
        }
    }
}

/// One check's answer, where it came from and how long it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub outcome: Outcome,
    pub source: CheckSource,
    pub ms: u32,
}

/// How long a "present" answer is kept (blobs are content-addressed and
/// never change).
pub const PRESENT_TTL_SECONDS: u64 = 24 * 60 * 60;

/// What one check found out. Only [`Outcome::Present`] sends a client to
/// the copy; everything else redirects upstream, and the decision's reason
/// says which it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The copy answered 200.
    Present,
    /// The copy answered 403, 404 or 410.
    Absent,
    /// The copy did not answer usefully: not cached, counted by the breaker.
    Failed(Failure),
    /// The copy's breaker is open: the copy was not asked.
    BreakerOpen,
}

/// Why a check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer within `BLOB_CHECK_TIMEOUT_MS`.
    Timeout,
    /// An answer that says neither present nor absent (3xx, 408, 429,
    /// other 4xx, 5xx).
    Status(u16),
    /// Connection refused or reset, DNS, TLS: the fetch itself failed.
    Network,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout => f.write_str("timeout"),
            Failure::Status(status) => write!(f, "status {status}"),
            Failure::Network => f.write_str("network error"),
        }
    }
}

impl Outcome {
    /// The answer a HEAD's status gives: 200 is present; 403, 404 and 410
    /// are absent (S3 answers 403 for a missing key when the reader may not
    /// list the bucket); any other status is a failure: a redirect, a
    /// throttle or a server error says nothing about the blob.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            200 => Outcome::Present,
            403 | 404 | 410 => Outcome::Absent,
            other => Outcome::Failed(Failure::Status(other)),
        }
    }

    /// How long to remember this outcome (0: not at all).
    pub fn ttl_seconds(self, negative_ttl_seconds: u64) -> u64 {
        match self {
            Outcome::Present => PRESENT_TTL_SECONDS,
            Outcome::Absent => negative_ttl_seconds,
            Outcome::Failed(_) | Outcome::BreakerOpen => 0,
        }
    }

    /// Whether the copy gave a real answer (present or absent): what closes
    /// a breaker.
    pub fn is_answer(self) -> bool {
        matches!(self, Outcome::Present | Outcome::Absent)
    }
}

#[cfg(test)]
mod tests {
    use super::{Failure, Outcome};

    #[test]
    fn only_absence_means_absent() {
        assert_eq!(Outcome::of_status(200), Outcome::Present);
        for s in [403, 404, 410] {
            assert_eq!(Outcome::of_status(s), Outcome::Absent, "{s}");
        }
        for s in [
            201, 204, 206, 301, 302, 304, 307, 400, 401, 405, 408, 416, 429, 500, 502, 503, 504,
        ] {
            assert_eq!(
                Outcome::of_status(s),
                Outcome::Failed(Failure::Status(s)),
                "{s}"
            );
        }
    }

    #[test]
    fn ttls() {
        assert_eq!(Outcome::Present.ttl_seconds(60), 86_400);
        assert_eq!(Outcome::Absent.ttl_seconds(60), 60);
        assert_eq!(Outcome::Failed(Failure::Timeout).ttl_seconds(60), 0);
        assert_eq!(Outcome::Failed(Failure::Status(429)).ttl_seconds(60), 0);
        assert_eq!(Outcome::BreakerOpen.ttl_seconds(60), 0);
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(Failure::Timeout.to_string(), "timeout");
        assert_eq!(Failure::Status(503).to_string(), "status 503");
        assert_eq!(Failure::Network.to_string(), "network error");
    }
}
