//! One record per request, assembled here and nowhere else: the worker
//! logs it as one JSON line and, with the `PULL_ANALYTICS` binding, writes
//! the same values as one Analytics Engine data point (README "Operating").
//!
//! The client address is an input (its cloud and region are looked up in
//! the range tables) and never an output: no field holds it.

use crate::answer::Answer;
use crate::blob_check::{BlobCheck, CheckReport, CheckTarget};
use crate::config::UpstreamRegion;
use crate::decision::{Decision, Target};
use crate::kind::Asked;
use crate::ranges::RangeTables;
use crate::request::RequestInfo;
use crate::sessions::Session;
use serde::Serialize;
use std::cell::Cell;

/// Longest user agent kept, in bytes.
pub const MAX_USER_AGENT_BYTES: usize = 256;
/// Longest colo or country code kept (they are 2–3 letters).
const MAX_EDGE_FIELD_BYTES: usize = 16;
/// Analytics Engine accepts one index of at most 96 bytes.
pub const MAX_INDEX_BYTES: usize = 96;

/// What the edge says about the request (`request.cf`) and the client's
/// user agent, as the adapter reads them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Edge<'a> {
    pub asn: Option<u32>,
    pub colo: Option<&'a str>,
    pub country: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Everything a record is made from.
pub struct Inputs<'a> {
    pub request: &'a RequestInfo<'a>,
    pub answer: &'a Answer,
    pub tables: &'a RangeTables<'a>,
    /// For `upstream_region`: the configured regions (empty when unknown).
    pub upstream_regions: &'a [UpstreamRegion],
    pub edge: Edge<'a>,
    /// The blob check the decision made, if any.
    pub check: Option<CheckReport>,
    /// The raw `Authorization` header (a pull session's token).
    pub authorization: Option<&'a str>,
}

/// The fields of one request's log line, in their JSON order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record<'a> {
    /// `pull` for `/v2` requests, `other` otherwise.
    pub event: &'static str,
    pub method: &'a str,
    pub status: u16,
    pub kind: &'static str,
    pub host: &'a str,
    pub repository: Option<&'a str>,
    pub reference: Option<&'a str>,
    /// Where a redirect sends the client.
    pub target: Option<&'static str>,
    /// The `UPSTREAM_REGIONS` entry an upstream redirect goes to.
    pub upstream_region: Option<&'a str>,
    /// The client's cloud and region, from the range tables.
    pub cloud: Option<&'static str>,
    pub region: Option<&'static str>,
    pub asn: Option<u32>,
    pub colo: Option<&'a str>,
    pub country: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Where the blob check's answer came from, or `none`.
    pub check: &'static str,
    pub check_ms: Option<u32>,
    /// The pull session: the one presented, or the one a `/token` answer
    /// starts.
    #[serde(serialize_with = "session_text")]
    pub session: Option<Session>,
    pub reason: String,
}

fn session_text<S: serde::Serializer>(session: &Option<Session>, s: S) -> Result<S::Ok, S::Error> {
    match session {
        Some(session) => s.serialize_str(session.as_str()),
        None => s.serialize_none(),
    }
}

impl<'a> Record<'a> {
    pub fn new(inputs: Inputs<'a>) -> Record<'a> {
        let Inputs {
            request,
            answer,
            tables,
            upstream_regions,
            edge,
            check,
            authorization,
        } = inputs;
        let asked = Asked::of(request.path);
        // The same client address the decision places (Pseudo IPv4 included).
        let client = request.client_address().and_then(|ip| tables.lookup(ip));
        let redirect = match answer.decision() {
            Some(Decision::Redirect {
                location, target, ..
            }) => Some((location.as_str(), target)),
            _ => None,
        };
        Record {
            event: if asked.is_pull() { "pull" } else { "other" },
            method: request.method,
            status: answer.status(),
            kind: asked.kind,
            host: request.host,
            repository: asked.repository,
            reference: asked.reference,
            target: redirect.map(|(_, target)| target_name(target)),
            upstream_region: redirect.and_then(|(location, target)| {
                matches!(target, Target::Upstream | Target::SignatureUpstream)
                    .then(|| region_of(location, upstream_regions))
                    .flatten()
            }),
            cloud: client.map(|l| l.cloud.as_str()),
            region: client.map(|l| l.region),
            asn: edge.asn,
            colo: edge.colo.map(|c| truncate(c, MAX_EDGE_FIELD_BYTES)),
            country: edge.country.map(|c| truncate(c, MAX_EDGE_FIELD_BYTES)),
            user_agent: edge.user_agent.map(|ua| truncate(ua, MAX_USER_AGENT_BYTES)),
            check: check.map_or("none", |c| c.source.as_str()),
            check_ms: check.map(|c| c.ms),
            session: match answer {
                Answer::Token(issued) => Some(*issued),
                _ => Session::from_authorization(authorization),
            },
            reason: answer.reason(),
        }
    }

    /// The log line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The same values as an Analytics Engine data point (README
    /// "Analytics Engine": [`BLOB_FIELDS`], [`DOUBLE_FIELDS`], [`INDEX_FIELD`]).
    pub fn data_point(&self) -> DataPoint<'_> {
        let text = |v: Option<&'a str>| v.unwrap_or("");
        DataPoint {
            index: truncate(text(self.repository), MAX_INDEX_BYTES),
            blobs: [
                self.event,
                self.kind,
                self.method,
                text(self.repository),
                text(self.reference),
                self.target.unwrap_or(""),
                text(self.upstream_region),
                self.cloud.unwrap_or(""),
                self.region.unwrap_or(""),
                text(self.colo),
                text(self.country),
                text(self.user_agent),
                self.check,
                self.session.as_ref().map_or("", Session::as_str),
                self.host,
                &self.reason,
            ],
            doubles: [
                f64::from(self.status),
                f64::from(self.asn.unwrap_or(0)),
                f64::from(self.check_ms.unwrap_or(0)),
            ],
        }
    }
}

/// Which record field each data point blob holds (blob1 first).
pub const BLOB_FIELDS: [&str; 16] = [
    "event",
    "kind",
    "method",
    "repository",
    "reference",
    "target",
    "upstream_region",
    "cloud",
    "region",
    "colo",
    "country",
    "user_agent",
    "check",
    "session",
    "host",
    "reason",
];
/// Which record field each data point double holds (double1 first); absent
/// numbers are 0.
pub const DOUBLE_FIELDS: [&str; 3] = ["status", "asn", "check_ms"];
/// The record field the data point is indexed (sampled) by.
pub const INDEX_FIELD: &str = "repository";

/// One Analytics Engine data point; absent text is "".
#[derive(Clone, Debug, PartialEq)]
pub struct DataPoint<'r> {
    pub index: &'r str,
    pub blobs: [&'r str; 16],
    pub doubles: [f64; 3],
}

/// Whether this request's line is logged at `LOG_SAMPLE_RATE` = `rate`,
/// given a uniform random number in [0, 1).
pub fn sampled(rate: f64, random: f64) -> bool {
    random < rate
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn target_name(target: &Target) -> &'static str {
    match target {
        Target::PrimaryHost => "primary-host",
        Target::Info => "info",
        Target::Privacy => "privacy",
        Target::Upstream => "upstream",
        Target::SignatureUpstream => "signature-upstream",
        Target::Mirror { .. } => "mirror",
        Target::DefaultBlobBase => "cdn",
    }
}

/// The upstream region whose endpoint `location` is on. Endpoints are
/// distinct base URLs, so at most one matches.
fn region_of<'r>(location: &str, regions: &'r [UpstreamRegion]) -> Option<&'r str> {
    regions
        .iter()
        .find(|r| {
            location
                .strip_prefix(r.endpoint.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
        })
        .map(|r| r.name.as_str())
}

/// Wraps a blob check and remembers its report for the record: the last
/// check's source, and the time of all (a blob that misses its mirror may
/// then be checked in the regional upstream).
pub struct Recorded<'c, B> {
    inner: &'c B,
    last: Cell<Option<CheckReport>>,
}

impl<'c, B: BlobCheck> Recorded<'c, B> {
    pub fn new(inner: &'c B) -> Self {
        Recorded {
            inner,
            last: Cell::new(None),
        }
    }

    /// The last check's outcome and source with every check's time
    /// added up; `None` when no check was made.
    pub fn report(&self) -> Option<CheckReport> {
        self.last.get()
    }
}

impl<B: BlobCheck> BlobCheck for Recorded<'_, B> {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let report = self.inner.check(target).await;
        let before = self.last.get().map_or(0, |r| r.ms);
        self.last.set(Some(CheckReport {
            ms: before.saturating_add(report.ms),
            ..report
        }));
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("abc", 256), "abc");
        assert_eq!(truncate("abcdef", 3), "abc");
        // "é" is two bytes: a cut inside it moves back before it.
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("🦀🦀", 5), "🦀");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn sampling() {
        assert!(sampled(1.0, 0.0) && sampled(1.0, 0.999_999));
        assert!(!sampled(0.0, 0.0));
        assert!(sampled(0.25, 0.1) && !sampled(0.25, 0.25));
    }
}
