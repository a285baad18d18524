//! Request in, reply out: the only places worker types meet the core's.
//!
//! Each crosses between JavaScript and the wasm once, as one string. The
//! entry module (`src/worker/entry.js`) reads what the worker needs of the
//! runtime's request into [`Incoming`]'s lines; [`respond`] hands the
//! reply, and the record's log line, to `src/worker/reply.js` in one call,
//! which makes the `Response`. Every call into the runtime from the wasm
//! converts its strings and makes objects, so these two replace a dozen
//! of them (docs/performance.md).

use crate::request::raw::split_url;
use crate::request::{Coordinates, RawRequest};
use crate::serving::Reply;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;
use worker::{Error, Result};

/// The request as the entry module reads it: one field a line, in the
/// order of the fields below. An optional field is empty when absent and
/// its value after a `+` when present. No field holds a line feed: URLs are
/// serialised without one, and the runtime refuses header values with one
/// (the Fetch standard forbids them).
pub struct Incoming<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub client_ip: Option<&'a str>,
    pub client_ipv6: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// `request.cf` fields, when `cf` is an object: `latitude` and
    /// `longitude` when numbers or strings, `asn` when a number, `colo` and
    /// `country` when strings.
    pub latitude: Option<&'a str>,
    pub longitude: Option<&'a str>,
    pub asn: Option<&'a str>,
    pub colo: Option<&'a str>,
    pub country: Option<&'a str>,
}

impl<'a> Incoming<'a> {
    pub fn parse(text: &'a str) -> Result<Incoming<'a>> {
        let mut lines = Lines(text.split('\n'));
        Ok(Incoming {
            method: lines.field()?,
            url: lines.field()?,
            client_ip: lines.optional()?,
            client_ipv6: lines.optional()?,
            authorization: lines.optional()?,
            user_agent: lines.optional()?,
            latitude: lines.optional()?,
            longitude: lines.optional()?,
            asn: lines.optional()?,
            colo: lines.optional()?,
            country: lines.optional()?,
        })
    }
}

struct Lines<'a>(std::str::Split<'a, char>);

impl<'a> Lines<'a> {
    fn field(&mut self) -> Result<&'a str> {
        self.0
            .next()
            .ok_or_else(|| Error::RustError("the entry module sent too few fields".into()))
    }

    fn optional(&mut self) -> Result<Option<&'a str>> {
        Ok(self.field()?.strip_prefix('+'))
    }
}

/// The core's [`RawRequest`], read from the entry module's fields.
pub fn read_request(req: &Incoming) -> RawRequest {
    let (scheme, host, path, query) = split_url(req.url).unwrap_or(("", "", "/", ""));
    let own = |field: Option<&str>| field.map(str::to_string);
    RawRequest {
        // The raw method: worker::Method has no variant for unknown ones.
        method: req.method.to_string(),
        scheme: scheme.to_string(),
        host: host.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        // Cloudflare's edge sets CF-Connecting-IP; X-Forwarded-For is
        // client-controlled and never read.
        client_ip: own(req.client_ip),
        // The real address when CF-Connecting-IP is a Pseudo IPv4 one.
        client_ipv6: own(req.client_ipv6),
        coordinates: coordinates(req),
        authorization: own(req.authorization),
    }
}

/// `request.cf.latitude` / `longitude`, read without trusting their shape:
/// anything unparsable means "location unknown".
fn coordinates(req: &Incoming) -> Option<Coordinates> {
    let number = |field: Option<&str>| -> Option<f64> { field?.trim().parse().ok() };
    let latitude = number(req.latitude)?;
    let longitude = number(req.longitude)?;
    (latitude.is_finite() && longitude.is_finite()).then_some(Coordinates {
        latitude,
        longitude,
    })
}

#[wasm_bindgen(module = "/src/worker/reply.js")]
extern "C" {
    /// The `Response` of a reply packed by [`respond`]; logs its line.
    #[wasm_bindgen(catch, js_name = reply)]
    fn make_response(packed: &str) -> std::result::Result<web_sys::Response, JsValue>;
}

/// The core's reply as a runtime response (no body for HEAD), and `line`
/// logged, in one call. Packed as `reply.js` reads it, one field a line:
/// the status, the number of headers, each header's name and value, the
/// log line (empty for none), then the body up to the end.
pub fn respond(method: &str, reply: Reply, line: Option<&str>) -> Result<web_sys::Response> {
    let body = if method == "HEAD" { "" } else { &reply.body };
    let line = line.unwrap_or("");
    let mut packed = String::with_capacity(256 + body.len() + line.len());
    push_number(&mut packed, reply.status.into());
    push_number(&mut packed, reply.headers.len());
    for (name, value) in &reply.headers {
        // The runtime refuses such a header; a line feed would also shift
        // the fields that follow it.
        if value.bytes().any(|b| b == b'\n' || b == b'\r') {
            return Err(Error::RustError(format!("invalid {name} header value")));
        }
        packed.push_str(name);
        packed.push('\n');
        packed.push_str(value);
        packed.push('\n');
    }
    packed.push_str(line);
    packed.push('\n');
    packed.push_str(body);
    Ok(make_response(&packed)?)
}

/// `n` in decimal and a line feed, without the formatting machinery.
fn push_number(packed: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        packed.push(char::from(digit));
    }
    packed.push('\n');
}
