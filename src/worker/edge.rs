//! What the record and the pull sessions need from a request besides
//! [`crate::request::RequestInfo`]: headers and `request.cf` fields.

use super::convert::Incoming;
use crate::record::Edge;
use worker::Result;

/// Owned copies of the fields, read once per request.
pub struct EdgeFields {
    pub scheme: String,
    pub authorization: Option<String>,
    user_agent: Option<String>,
    asn: Option<u32>,
    colo: Option<String>,
    country: Option<String>,
}

impl EdgeFields {
    pub fn read(req: &Incoming) -> Result<Self> {
        let scheme = req.url.split_once("://").map_or("", |(s, _)| s).to_string();
        let field = |key: &str| req.cf_field(key);
        Ok(EdgeFields {
            scheme,
            authorization: req.header("Authorization")?,
            user_agent: req.header("User-Agent")?,
            asn: field("asn")
                .and_then(|v| v.as_f64())
                .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
                .map(|n| n as u32),
            colo: field("colo").and_then(|v| v.as_string()),
            country: field("country").and_then(|v| v.as_string()),
        })
    }

    pub fn edge(&self) -> Edge<'_> {
        Edge {
            asn: self.asn,
            colo: self.colo.as_deref(),
            country: self.country.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }
}
