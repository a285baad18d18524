//! The plain inputs of a redirect decision, as the worker adapter reads
//! them from a request.

use std::net::{IpAddr, Ipv6Addr};

/// Where the request came from, per the edge (`request.cf`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// One request, borrowed from whatever holds it.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    pub method: &'a str,
    /// URL host as received, possibly with `:port`.
    pub host: &'a str,
    /// Path from the URL, starting with `/`.
    pub path: &'a str,
    /// Query without the `?`; empty when there is none.
    pub query: &'a str,
    /// The raw `CF-Connecting-IP` header (set by Cloudflare's edge).
    pub client_ip: Option<&'a str>,
    pub coordinates: Option<Coordinates>,
    /// The raw `CF-Connecting-IPv6` header: the client's real address when
    /// Cloudflare's Pseudo IPv4 put a 240.0.0.0/4 one in `client_ip`.
    pub client_ipv6: Option<&'a str>,
}

/// Cloudflare's Pseudo IPv4 range (240.0.0.0/4): in "overwrite" mode the
/// edge puts an address from it in `CF-Connecting-IP` for IPv6 clients and
/// the real address in `CF-Connecting-IPv6`.
fn is_pseudo_ipv4(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 240)
}

impl RequestInfo<'_> {
    /// The client's address: `CF-Connecting-IP`, or `CF-Connecting-IPv6`
    /// when the former is a Pseudo IPv4 address. Anything missing or
    /// unparsable is simply unknown.
    pub fn client_address(&self) -> Option<IpAddr> {
        let ip: IpAddr = self.client_ip?.trim().parse().ok()?;
        if is_pseudo_ipv4(ip) {
            if let Some(v6) = self
                .client_ipv6
                .and_then(|h| h.trim().parse::<Ipv6Addr>().ok())
            {
                return Some(IpAddr::V6(v6));
            }
        }
        Some(ip)
    }
}

/// A [`RequestInfo`] that owns its text: what the adapter reads from a
/// worker request, and what the tests build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OwnedRequest {
    pub method: String,
    /// URL host as received, possibly with `:port`.
    pub host: String,
    pub path: String,
    pub query: String,
    pub client_ip: Option<String>,
    pub client_ipv6: Option<String>,
    pub coordinates: Option<Coordinates>,
}

impl OwnedRequest {
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
}

/// RFC 3986 `pchar` or `/`: a byte a URL path may hold as it is.
pub fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b)
}

/// The parts of an absolute URL the decision needs, from the runtime's
/// serialised (WHATWG-normalised) request URL:
/// `scheme://host[:port][/path][?query][#fragment]` -> (host, path, query).
/// Split by hand: the url crate would bring Unicode tables into the wasm.
pub fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (_, rest) = url.split_once("://")?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    Some((host, path, query))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("https://registry.k8s.io/v2/pause/tags/list?n=1&last=a"),
            Some(("registry.k8s.io", "/v2/pause/tags/list", "n=1&last=a"))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8787/"),
            Some(("127.0.0.1:8787", "/", ""))
        );
        assert_eq!(
            split_url("http://[::1]:8787"),
            Some(("[::1]:8787", "/", ""))
        );
        assert_eq!(split_url("http://h/a?b?c#d?e"), Some(("h", "/a", "b?c")));
        assert_eq!(split_url("http://h?q"), Some(("h", "/", "q")));
        assert_eq!(
            split_url("http://h/%2e%2e/x?"),
            Some(("h", "/%2e%2e/x", ""))
        );
        assert_eq!(split_url("not a url"), None);
    }
}
