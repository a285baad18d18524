//! One record per request, assembled here and nowhere else: the worker
//! logs it as one JSON line and, with the `PULL_ANALYTICS` binding, writes
//! the same values as one Analytics Engine data point (docs/operating.md,
//! "The record: one per request").
//!
//! Every field is read from the request as it was read once and from the
//! answer's facts. The client address is not among them: the request
//! carries it, and no field holds it.

use super::answer::Answer;
use crate::request::{Request, Session};
use serde::Serialize;

/// Longest user agent kept, in bytes.
pub const MAX_USER_AGENT_BYTES: usize = 256;
/// Longest colo or country code kept (they are 2–3 letters).
const MAX_EDGE_FIELD_BYTES: usize = 16;
/// Analytics Engine accepts one index of at most 96 bytes.
pub const MAX_INDEX_BYTES: usize = 96;

/// What the edge says about the request (`request.cf`) and the client's
/// user agent, as the adapter reads them, and the Workers version that
/// answered.
#[derive(Clone, Copy, Debug, Default)]
pub struct Edge<'a> {
    pub asn: Option<u32>,
    pub colo: Option<&'a str>,
    pub country: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The version id of the `CF_VERSION_METADATA` binding.
    pub version: Option<&'a str>,
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
    /// The Workers version that answered (`null` without the binding).
    pub version: Option<&'a str>,
}

fn session_text<S: serde::Serializer>(session: &Option<Session>, s: S) -> Result<S::Ok, S::Error> {
    match session {
        Some(session) => s.serialize_str(session.as_str()),
        None => s.serialize_none(),
    }
}

impl<'a> Record<'a> {
    /// The record of `request` answered with `answer`; `edge` is what the
    /// edge says about it.
    pub fn new(request: &'a Request<'a>, answer: &'a Answer<'a>, edge: Edge<'a>) -> Record<'a> {
        let kind = request.kind();
        let pull = request.route.pull();
        let redirect = answer.decision().and_then(|d| d.redirect());
        let client = request.client.location;
        Record {
            event: if kind.is_pull() { "pull" } else { "other" },
            method: request.method.as_str(),
            status: answer.status(),
            kind: kind.as_str(),
            host: request.host,
            repository: pull.map(|p| p.repository),
            reference: pull.and_then(|p| p.reference()),
            target: redirect.map(|r| r.target.name()),
            upstream_region: redirect.and_then(|r| r.target.upstream_region()),
            cloud: client.map(|l| l.cloud.as_str()),
            region: client.map(|l| l.region),
            asn: edge.asn,
            colo: edge.colo.map(|c| truncate(c, MAX_EDGE_FIELD_BYTES)),
            country: edge.country.map(|c| truncate(c, MAX_EDGE_FIELD_BYTES)),
            user_agent: edge.user_agent.map(|ua| truncate(ua, MAX_USER_AGENT_BYTES)),
            check: redirect
                .and_then(|r| r.check)
                .map_or("none", |c| c.source.as_str()),
            check_ms: redirect.and_then(|r| r.check).map(|c| c.ms),
            session: match answer {
                Answer::Token(issued) => Some(*issued),
                _ => request.credentials.session(),
            },
            reason: answer.reason(),
            version: edge.version,
        }
    }

    /// The log line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The same values as an Analytics Engine data point
    /// (docs/operating.md, "Analytics Engine": [`BLOB_FIELDS`],
    /// [`DOUBLE_FIELDS`], [`INDEX_FIELD`]).
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
                text(self.version),
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
pub const BLOB_FIELDS: [&str; 17] = [
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
    "version",
];
/// Which record field each data point double holds (double1 first); absent
/// numbers are 0.
pub const DOUBLE_FIELDS: [&str; 3] = ["status", "asn", "check_ms"];
/// The record field the data point is indexed (sampled) by.
pub const INDEX_FIELD: &str = "repository";
/// The double after [`DOUBLE_FIELDS`]: how many requests the data point
/// stands for (its weight, from [`super::sampling`]). Not a record field:
/// a logged line and a data point are sampled at different rates.
pub const WEIGHT_COLUMN: &str = "double4";

/// One Analytics Engine data point; absent text is "".
#[derive(Clone, Debug, PartialEq)]
pub struct DataPoint<'r> {
    pub index: &'r str,
    pub blobs: [&'r str; 17],
    pub doubles: [f64; 3],
}

impl DataPoint<'_> {
    /// The doubles as written: the record's, then [`WEIGHT_COLUMN`].
    pub fn weighted_doubles(&self, weight: f64) -> [f64; 4] {
        let [first, second, third] = self.doubles;
        [first, second, third, weight]
    }
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
}
