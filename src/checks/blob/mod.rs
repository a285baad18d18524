//! The platform-free half of the blob existence check: what an answer
//! means, how long it is remembered, the per-isolate memory of answers, the
//! checks in flight, the per-copy breaker, and the state machine that ties
//! them together ([`Checker`]). The worker adapter (src/worker/blob_check.rs)
//! only supplies the I/O ([`CheckIo`]: HEAD, an R2 binding's `head()`, Cache
//! API, timers, `ctx.waitUntil`); this half is tested natively with time
//! passed in.

mod breaker;
mod checker;
mod colo;
mod existence_cache;
mod pending;

pub use breaker::{BreakerSettings, Breakers, Health, Transition};
pub use checker::{
    CheckIo, CheckSettings, CheckState, Checker, HeadAnswer, R2Answer, WAIT_MARGIN_MS,
};
pub use colo::{breaker_key, copy_id, existence_key, split_blob_url, ColoEntry, Remembered};
pub use existence_cache::ExistenceCache;
pub use pending::{PendingCheck, PendingChecks};

use core::fmt;
use core::future::Future;

/// Answers "is this object in this copy?" for the decision: [`Checker`]
/// in the worker, a fake in tests.
pub trait BlobCheck {
    fn check(&self, target: CheckTarget<'_>) -> impl Future<Output = CheckReport>;
}

/// The kind of copy a check asks: it decides how the copy is asked and
/// what its answers mean ([`CopyKind::outcome`], [`CopyKind::found`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyKind<'a> {
    /// A mirror bucket or the default CDN, in the GCS layout
    /// (`<base>/containers/images/<digest>`), asked with an HTTP HEAD.
    Mirror,
    /// A regional upstream registry (Artifact Registry), asked whether it
    /// holds content by digest before a request moves to the signature
    /// upstream (docs/request-handling.md, "Signature upstream fallback").
    Registry,
    /// An R2 bucket in the same layout, asked through the `[[r2_buckets]]`
    /// binding `binding` (its `head()`: no HTTP request). Clients are sent to
    /// its public base URL, which names the copy like a mirror's.
    R2 { binding: &'a str },
}

impl CopyKind<'_> {
    /// What a HEAD's `status` says about the object.
    ///
    /// - 200 is present, for both kinds.
    /// - Absent: 403, 404, 410 from a mirror (S3 answers 403 for a missing
    ///   key to readers that may not list the bucket); 404 from a registry.
    ///   Artifact Registry answers anonymous HEADs of public content with
    ///   200 when the region has it and 404 when it does not, with or
    ///   without `Accept` (kubernetes/registry.k8s.io PR #337, "Fall back
    ///   to the signature upstream for content by digest": a signature
    ///   manifest and its layer answer 200 in us-central1, 404 in
    ///   europe-west1).
    /// - Failed, the copy's own failure: 5xx, 429 (it is overloaded), 408
    ///   (it timed out reading the request) and redirects (a copy asked
    ///   for its own layout has no reason to send us elsewhere).
    /// - Rejected: any other 4xx. The client chose what was asked (a
    ///   name, a digest), and the copy refused that request, not its
    ///   service: a registry's 401 or 403 to an anonymous reader of a name
    ///   it does not serve, a 400 for a name it finds too long. Such an
    ///   answer says nothing about the copy's health.
    /// - An R2 bucket is asked through its binding ([`CopyKind::found`]);
    ///   its public URL answers like a mirror bucket's.
    pub fn outcome(self, status: u16) -> Outcome {
        match (self, status) {
            (_, 200) => Outcome::Present,
            (CopyKind::Mirror | CopyKind::R2 { .. }, 403 | 404 | 410)
            | (CopyKind::Registry, 404) => Outcome::Absent,
            (_, 408 | 429) | (_, 300..=399) | (_, 500..) => {
                Outcome::Failed(Failure::Status(status))
            }
            (_, 400..=499) => Outcome::Rejected(status),
            // 1xx and other 2xx: not an answer a HEAD of an object gets.
            _ => Outcome::Failed(Failure::Status(status)),
        }
    }
}

impl CopyKind<'_> {
    /// What an R2 binding's `head()` says about the object: an object is
    /// present, `null` ("not found") is absent, and an error (the binding
    /// threw, or is missing) or no answer within the timeout is a failure.
    pub fn found(answer: R2Answer) -> Outcome {
        match answer {
            Ok(true) => Outcome::Present,
            Ok(false) => Outcome::Absent,
            Err(failure) => Outcome::Failed(failure),
        }
    }

    /// The `Accept` header of this copy's HEADs. A registry negotiates
    /// manifests: one that follows the distribution spec answers 404 for
    /// an OCI manifest it holds when the request does not accept OCI
    /// media types (the CNCF distribution registry does), so every
    /// manifest type a client may pull is accepted. Blobs ignore it.
    pub fn accept(self) -> Option<&'static str> {
        match self {
            CopyKind::Mirror | CopyKind::R2 { .. } => None,
            CopyKind::Registry => Some(MANIFEST_ACCEPT),
        }
    }

    /// Where a fresh answer from this copy comes from: an HTTP HEAD, or
    /// the R2 binding.
    pub fn asked_by(self) -> CheckSource {
        match self {
            CopyKind::Mirror | CopyKind::Registry => CheckSource::Head,
            CopyKind::R2 { .. } => CheckSource::R2,
        }
    }
}

/// Every manifest media type a pull may fetch (OCI and Docker, single and
/// multi-platform), sent when asking a registry.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// One check's question: is `url` in `copy`? The copy's base URL keys its
/// breaker and its Cache API entries; its kind reads the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckTarget<'a> {
    pub kind: CopyKind<'a>,
    pub copy: &'a str,
    pub url: &'a str,
}

impl<'a> CheckTarget<'a> {
    /// `<base>/containers/images/<digest>` in a mirror or the CDN.
    pub fn mirror(url: &'a str) -> Self {
        CheckTarget {
            kind: CopyKind::Mirror,
            copy: split_blob_url(url).map_or(url, |(copy, _)| copy),
            url,
        }
    }

    /// `<base>/containers/images/<digest>` (its public URL) in the R2
    /// bucket bound as `binding`.
    pub fn r2(binding: &'a str, url: &'a str) -> Self {
        CheckTarget {
            kind: CopyKind::R2 { binding },
            ..CheckTarget::mirror(url)
        }
    }

    /// `url` (under `endpoint`) in a regional upstream registry.
    pub fn registry(endpoint: &'a str, url: &'a str) -> Self {
        CheckTarget {
            kind: CopyKind::Registry,
            copy: endpoint,
            url,
        }
    }

    /// The object's name in its copy, for its Cache API key: a mirror
    /// blob's digest, or a registry URL's path after the
    /// endpoint (content by digest is per repository there).
    pub fn object(&self) -> &'a str {
        match self.kind {
            CopyKind::Mirror | CopyKind::R2 { .. } => {
                split_blob_url(self.url).map_or("", |(_, digest)| digest)
            }
            CopyKind::Registry => self.path(),
        }
    }

    /// The URL's path under the copy's base, without its leading `/`: an
    /// R2 bucket's key (`containers/images/<digest>`).
    pub fn path(&self) -> &'a str {
        self.url
            .strip_prefix(self.copy)
            .unwrap_or(self.url)
            .trim_start_matches('/')
    }
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
    /// The copy's R2 binding (`head()`, this request's or one it waited for).
    R2,
    /// The copy's breaker is open: nobody was asked.
    Breaker,
}

impl CheckSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckSource::Isolate => "isolate",
            CheckSource::Colo => "colo",
            CheckSource::Head => "head",
            CheckSource::R2 => "r2",
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
    /// The copy said it lacks the object ([`CopyKind::outcome`]: 403, 404
    /// or 410 from a mirror, 404 from a registry).
    Absent,
    /// The copy failed (5xx, 429, 408, a redirect, a timeout, a network
    /// error, an R2 binding's error): not cached, counted by the breaker.
    Failed(Failure),
    /// The copy refused the request the client chose (another 4xx): says
    /// nothing about the object or the copy's health; not cached, not
    /// counted, and the request goes as if the copy had not been asked.
    Rejected(u16),
    /// The copy's breaker is open: the copy was not asked.
    BreakerOpen,
}

/// Why a check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer within `BLOB_CHECK_TIMEOUT_MS`.
    Timeout,
    /// An answer that is the copy's own failure (5xx, 429, 408, 3xx).
    Status(u16),
    /// Connection refused or reset, DNS, TLS: the fetch itself failed.
    Network,
    /// The R2 binding's `head()` threw (the bucket's service failed).
    Binding,
    /// The environment has no R2 binding of the configured name.
    Unbound,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout => f.write_str("timeout"),
            Failure::Status(status) => write!(f, "status {status}"),
            Failure::Network => f.write_str("network error"),
            Failure::Binding => f.write_str("binding error"),
            Failure::Unbound => f.write_str("binding missing"),
        }
    }
}

impl Outcome {
    /// How long to remember this outcome (0: not at all).
    pub fn ttl_seconds(self, negative_ttl_seconds: u64) -> u64 {
        match self {
            Outcome::Present => PRESENT_TTL_SECONDS,
            Outcome::Absent => negative_ttl_seconds,
            Outcome::Failed(_) | Outcome::Rejected(_) | Outcome::BreakerOpen => 0,
        }
    }

    /// What the outcome says about the copy's health, for its breaker.
    pub fn health(self) -> Health {
        match self {
            Outcome::Present | Outcome::Absent => Health::Answered,
            Outcome::Failed(_) => Health::Failed,
            Outcome::Rejected(_) | Outcome::BreakerOpen => Health::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CheckTarget, CopyKind, Failure, Outcome};

    #[test]
    fn a_registry_is_missing_content_only_on_404() {
        assert_eq!(CopyKind::Registry.outcome(200), Outcome::Present);
        assert_eq!(CopyKind::Registry.outcome(404), Outcome::Absent);
        for s in [301, 302, 307, 408, 429, 500, 503] {
            assert_eq!(
                CopyKind::Registry.outcome(s),
                Outcome::Failed(Failure::Status(s)),
                "{s}"
            );
        }
        for s in [400, 401, 403, 405, 410, 414] {
            assert_eq!(CopyKind::Registry.outcome(s), Outcome::Rejected(s), "{s}");
        }
    }

    #[test]
    fn a_binding_s_head_is_present_absent_or_failed() {
        assert_eq!(CopyKind::found(Ok(true)), Outcome::Present);
        assert_eq!(CopyKind::found(Ok(false)), Outcome::Absent);
        for f in [Failure::Binding, Failure::Unbound, Failure::Timeout] {
            assert_eq!(CopyKind::found(Err(f)), Outcome::Failed(f));
        }
    }

    #[test]
    fn an_r2_target_is_named_by_its_public_url_and_keyed_in_its_bucket() {
        let d = "sha256:00";
        let url = format!("https://blobs.example/containers/images/{d}");
        let t = CheckTarget::r2("BLOBS", &url);
        assert_eq!(
            (t.kind, t.copy, t.object(), t.path()),
            (
                CopyKind::R2 { binding: "BLOBS" },
                "https://blobs.example",
                d,
                "containers/images/sha256:00"
            )
        );
        assert_eq!(t.kind.asked_by(), super::CheckSource::R2);
        assert_eq!(CopyKind::Mirror.asked_by(), super::CheckSource::Head);
    }

    #[test]
    fn targets_name_their_copy_and_object() {
        let d = "sha256:00";
        let mirror = format!("https://m.example/p/containers/images/{d}");
        let t = CheckTarget::mirror(&mirror);
        assert_eq!(
            (t.kind, t.copy, t.object()),
            (CopyKind::Mirror, "https://m.example/p", d)
        );
        let up = format!("https://up.example/v2/prod/images/pause/manifests/{d}");
        let t = CheckTarget::registry("https://up.example", &up);
        assert_eq!(
            (t.kind, t.copy, t.object()),
            (
                CopyKind::Registry,
                "https://up.example",
                "v2/prod/images/pause/manifests/sha256:00"
            )
        );
    }

    #[test]
    fn only_absence_means_absent_and_only_the_copy_s_failures_count() {
        let mirror = CopyKind::Mirror;
        assert_eq!(mirror.outcome(200), Outcome::Present);
        for s in [403, 404, 410] {
            assert_eq!(mirror.outcome(s), Outcome::Absent, "{s}");
        }
        for s in [
            201, 204, 206, 301, 302, 304, 307, 408, 429, 500, 502, 503, 504,
        ] {
            assert_eq!(
                mirror.outcome(s),
                Outcome::Failed(Failure::Status(s)),
                "{s}"
            );
        }
        for s in [400, 401, 405, 414, 416, 451] {
            assert_eq!(mirror.outcome(s), Outcome::Rejected(s), "{s}");
        }
    }

    #[test]
    fn ttls() {
        assert_eq!(Outcome::Present.ttl_seconds(60), 86_400);
        assert_eq!(Outcome::Absent.ttl_seconds(60), 60);
        assert_eq!(Outcome::Failed(Failure::Timeout).ttl_seconds(60), 0);
        assert_eq!(Outcome::Failed(Failure::Status(429)).ttl_seconds(60), 0);
        assert_eq!(Outcome::Rejected(400).ttl_seconds(60), 0);
        assert_eq!(Outcome::BreakerOpen.ttl_seconds(60), 0);
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(Failure::Timeout.to_string(), "timeout");
        assert_eq!(Failure::Status(503).to_string(), "status 503");
        assert_eq!(Failure::Network.to_string(), "network error");
        assert_eq!(Failure::Binding.to_string(), "binding error");
        assert_eq!(Failure::Unbound.to_string(), "binding missing");
    }
}
