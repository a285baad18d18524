//! Request in, reply out: the only places worker types meet the core's.

use crate::request::raw::split_url;
use crate::request::{Coordinates, RawRequest};
use crate::serving::Reply;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;
use worker::Result;

/// What is read from the runtime's request, each property once (every
/// read is a call into the runtime).
pub struct Incoming {
    pub url: String,
    pub method: String,
    pub headers: web_sys::Headers,
    /// `request.cf` when it is an object.
    pub cf: Option<JsValue>,
}

impl Incoming {
    pub fn read(req: &web_sys::Request) -> Incoming {
        Incoming {
            url: req.url(),
            method: req.method(),
            headers: req.headers(),
            cf: Reflect::get(req, &JsValue::from_str("cf"))
                .ok()
                .filter(|cf| cf.is_object()),
        }
    }

    /// A header's value; `None` when absent.
    pub fn header(&self, name: &str) -> Result<Option<String>> {
        Ok(self.headers.get(name)?)
    }

    /// A `request.cf` field; `None` without `cf`.
    pub fn cf_field(&self, key: &str) -> Option<JsValue> {
        Reflect::get(self.cf.as_ref()?, &JsValue::from_str(key)).ok()
    }
}

/// The core's [`RawRequest`], read from a worker request.
pub fn read_request(req: &Incoming) -> Result<RawRequest> {
    let (scheme, host, path, query) = split_url(&req.url).unwrap_or(("", "", "/", ""));
    Ok(RawRequest {
        // The raw method: worker::Method has no variant for unknown ones.
        method: req.method.clone(),
        scheme: scheme.to_string(),
        host: host.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        // Cloudflare's edge sets CF-Connecting-IP; X-Forwarded-For is
        // client-controlled and never read.
        client_ip: req.header("CF-Connecting-IP")?,
        // The real address when CF-Connecting-IP is a Pseudo IPv4 one.
        client_ipv6: req.header("CF-Connecting-IPv6")?,
        coordinates: coordinates(req),
        authorization: req.header("Authorization")?,
    })
}

/// `request.cf.latitude` / `longitude` (strings), read without trusting
/// their shape: anything unparsable means "location unknown".
fn coordinates(req: &Incoming) -> Option<Coordinates> {
    let number = |key: &str| -> Option<f64> {
        let value = req.cf_field(key)?;
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

/// The core's reply as a runtime response (no body for HEAD). Built
/// directly: one `Headers`, one `ResponseInit`, the body as bytes (so the
/// runtime adds no content-type of its own).
pub fn respond(method: &str, reply: Reply) -> Result<web_sys::Response> {
    let headers = web_sys::Headers::new()?;
    for (name, value) in &reply.headers {
        headers.set(name, value)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers(&headers);
    let response = if method == "HEAD" || reply.body.is_empty() {
        web_sys::Response::new_with_opt_str_and_init(None, &init)?
    } else {
        let body = Uint8Array::from(reply.body.as_bytes());
        web_sys::Response::new_with_opt_buffer_source_and_init(Some(&body), &init)?
    };
    Ok(response)
}
