//! What the record needs from a request besides
//! [`crate::request::RawRequest`]: the user agent and `request.cf` fields.

use super::convert::Incoming;
use crate::serving::record::Edge;

/// The record's view of the entry module's fields.
pub fn edge<'a>(req: &Incoming<'a>) -> Edge<'a> {
    Edge {
        asn: req
            .asn
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
            .map(|n| n as u32),
        colo: req.colo,
        country: req.country,
        user_agent: req.user_agent,
        // The isolate's, not the request's: the handler adds it.
        version: None,
    }
}
