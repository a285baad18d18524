//! What the record needs from a request besides
//! [`crate::request::RawRequest`]: the user agent and `request.cf` fields.

use super::convert::Incoming;
use crate::serving::record::Edge;
use worker::Result;

/// Owned copies of the fields, read once per request.
pub struct EdgeFields {
    user_agent: Option<String>,
    asn: Option<u32>,
    colo: Option<String>,
    country: Option<String>,
}

impl EdgeFields {
    pub fn read(req: &Incoming) -> Result<Self> {
        let field = |key: &str| req.cf_field(key);
        Ok(EdgeFields {
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
            // The isolate's, not the request's: the handler adds it.
            version: None,
        }
    }
}
