//! What the record and the pull sessions need from a request besides
//! [`crate::request::RequestInfo`]: headers and `request.cf` fields.

use crate::record::Edge;
use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{Request, Result};

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
    pub fn read(req: &Request) -> Result<Self> {
        let url = req.inner().url();
        let scheme = url.split_once("://").map_or("", |(s, _)| s).to_string();
        let headers = req.headers();
        let cf = Reflect::get(req.inner(), &JsValue::from_str("cf"))
            .ok()
            .filter(|cf| cf.is_object());
        let field = |key: &str| {
            cf.as_ref()
                .and_then(|cf| Reflect::get(cf, &JsValue::from_str(key)).ok())
        };
        Ok(EdgeFields {
            scheme,
            authorization: headers.get("Authorization")?,
            user_agent: headers.get("User-Agent")?,
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
