//! Request in, reply out: the only places worker types meet the core's.

use crate::decision::Reply;
use crate::request::{split_url, Coordinates, RequestInfo};
use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;
use worker::{Headers, Request, Response, Result};

/// The core's [`RequestInfo`], owned: what the decision needs from a
/// worker request.
pub struct OwnedRequest {
    method: String,
    host: String,
    path: String,
    query: String,
    client_ip: Option<String>,
    client_ipv6: Option<String>,
    coordinates: Option<Coordinates>,
}

impl OwnedRequest {
    pub fn read(req: &Request) -> Result<Self> {
        let url = req.inner().url();
        let (host, path, query) = split_url(&url).unwrap_or(("", "/", ""));
        Ok(OwnedRequest {
            // The raw method: worker::Method has no variant for unknown ones.
            method: req.inner().method(),
            host: host.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            // Cloudflare's edge sets CF-Connecting-IP; X-Forwarded-For is
            // client-controlled and never read.
            client_ip: req.headers().get("CF-Connecting-IP")?,
            // The real address when CF-Connecting-IP is a Pseudo IPv4 one.
            client_ipv6: req.headers().get("CF-Connecting-IPv6")?,
            coordinates: coordinates(req),
        })
    }

    pub fn info(&self) -> RequestInfo<'_> {
        RequestInfo {
            method: &self.method,
            host: &self.host,
            path: &self.path,
            query: &self.query,
            client_ip: self.client_ip.as_deref(),
            coordinates: self.coordinates,
            client_ipv6: self.client_ipv6.as_deref(),
        }
    }

    /// The worker's own host, as the request URL names it.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// `request.cf.latitude` / `longitude` (strings), read without trusting
/// their shape: anything unparsable means "location unknown".
fn coordinates(req: &Request) -> Option<Coordinates> {
    let cf = Reflect::get(req.inner(), &JsValue::from_str("cf")).ok()?;
    if cf.is_undefined() || cf.is_null() {
        return None;
    }
    let number = |key: &str| -> Option<f64> {
        let value = Reflect::get(&cf, &JsValue::from_str(key)).ok()?;
        value
            .as_f64()
            .or_else(|| value.as_string()?.trim().parse().ok())
    };
    let latitude = number("latitude")?;
    let longitude = number("longitude")?;
    (latitude.is_finite() && longitude.is_finite()).then_some(Coordinates {
        latitude,
        longitude,
    })
}

/// The core's reply as a worker response (no body for HEAD).
pub fn respond(req: &Request, reply: Reply) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.set(name, value)?;
    }
    let response = if req.inner().method() == "HEAD" || reply.body.is_empty() {
        Response::empty()?
    } else {
        Response::ok(reply.body)?
    };
    Ok(response.with_status(reply.status).with_headers(headers))
}
