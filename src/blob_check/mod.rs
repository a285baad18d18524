//! The platform-free half of the blob existence check: what an answer
//! means, how long it is remembered, and the per-isolate memory of answers.
//! The worker adapter (src/worker/blob_check.rs) performs the I/O (HEAD,
//! Cache API, timers) around it; this half is tested natively.

mod existence_cache;

pub use existence_cache::ExistenceCache;

use core::future::Future;

/// Answers "is this blob at this URL?" for the decision: a cached HEAD in
/// the worker, a fake in tests.
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
}

impl CheckSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckSource::Isolate => "isolate",
            CheckSource::Colo => "colo",
            CheckSource::Head => "head",
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

/// What one check found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Present,
    Absent,
    /// Timeout, network error, 5xx: not cached, means "redirect upstream".
    Failed,
}

impl Outcome {
    /// The answer a HEAD's status gives: 200 is present; any other answer
    /// below 500 (S3 says 403 or 404 for a missing key) is absent; 5xx is
    /// a failure.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            200 => Outcome::Present,
            s if s >= 500 => Outcome::Failed,
            _ => Outcome::Absent,
        }
    }

    /// How long to remember this outcome (0: not at all).
    pub fn ttl_seconds(self, negative_ttl_seconds: u64) -> u64 {
        match self {
            Outcome::Present => PRESENT_TTL_SECONDS,
            Outcome::Absent => negative_ttl_seconds,
            Outcome::Failed => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn statuses_and_ttls() {
        assert_eq!(Outcome::of_status(200), Outcome::Present);
        for s in [301, 403, 404, 410] {
            assert_eq!(Outcome::of_status(s), Outcome::Absent, "{s}");
        }
        for s in [500, 502, 503] {
            assert_eq!(Outcome::of_status(s), Outcome::Failed, "{s}");
        }
        assert_eq!(Outcome::Present.ttl_seconds(60), 86_400);
        assert_eq!(Outcome::Absent.ttl_seconds(60), 60);
        assert_eq!(Outcome::Failed.ttl_seconds(60), 0);
    }
}
