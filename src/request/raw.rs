//! The request as text, as the worker adapter reads it from the runtime
//! (and as tests write it), and what of that text may be passed on
//! verbatim.

/// Where the request came from, per the edge (`request.cf`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// One request's text, before anything is read from it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawRequest {
    pub method: String,
    /// The request URL's scheme (`https` at the edge).
    pub scheme: String,
    /// URL host as received, possibly with `:port`.
    pub host: String,
    /// Path from the URL, starting with `/`.
    pub path: String,
    /// Query without the `?`; empty when there is none.
    pub query: String,
    /// The `CF-Connecting-IP` header (set by Cloudflare's edge;
    /// `X-Forwarded-For` is client-controlled and never read).
    pub client_ip: Option<String>,
    /// The `CF-Connecting-IPv6` header: the client's real address when
    /// Cloudflare's Pseudo IPv4 put a 240.0.0.0/4 one in `client_ip`.
    pub client_ipv6: Option<String>,
    pub coordinates: Option<Coordinates>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// Longest path or query passed through (longer ones get a 4xx).
pub const MAX_PATH_LEN: usize = 2048;
pub const MAX_QUERY_LEN: usize = 2048;

/// RFC 3986 `pchar` or `/`: a byte a URL path may hold as it is.
pub fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b)
}

/// A path that can be put into a redirect verbatim: `pchar` and `/`, bounded.
pub fn is_path_text(path: &str) -> bool {
    path.len() <= MAX_PATH_LEN && path.starts_with('/') && path.bytes().all(is_path_byte)
}

/// A query that can be appended to a redirect verbatim: visible ASCII, no
/// `#`, bounded. (The URL parser already percent-encoded anything else.)
pub fn is_query_text(query: &str) -> bool {
    query.len() <= MAX_QUERY_LEN && query.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
}

/// The parts of an absolute URL a request is read from, out of the
/// runtime's serialised (WHATWG-normalised) request URL:
/// `scheme://host[:port][/path][?query][#fragment]` -> (scheme, host, path,
/// query). Split by hand: the url crate would bring Unicode tables into the
/// wasm.
pub fn split_url(url: &str) -> Option<(&str, &str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    Some((scheme, host, path, query))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("https://registry.k8s.io/v2/pause/tags/list?n=1&last=a"),
            Some((
                "https",
                "registry.k8s.io",
                "/v2/pause/tags/list",
                "n=1&last=a"
            ))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8787/"),
            Some(("http", "127.0.0.1:8787", "/", ""))
        );
        assert_eq!(
            split_url("http://[::1]:8787"),
            Some(("http", "[::1]:8787", "/", ""))
        );
        assert_eq!(
            split_url("http://h/a?b?c#d?e"),
            Some(("http", "h", "/a", "b?c"))
        );
        assert_eq!(split_url("http://h?q"), Some(("http", "h", "/", "q")));
        assert_eq!(
            split_url("http://h/%2e%2e/x?"),
            Some(("http", "h", "/%2e%2e/x", ""))
        );
        assert_eq!(split_url("not a url"), None);
    }
}
