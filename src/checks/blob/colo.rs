//! What the colo-wide Cache API layer holds, and under which keys.
//!
//! Keys are synthetic URLs on the worker's own host (the Cache API stores
//! entries for the zone the worker runs on; a key on a mirror's hostname is
//! not the worker's to write):
//!
//! - `https://<host>/.blob-exists/<copy id>/<digest>`: a blob's existence
//!   in a mirror;
//! - `https://<host>/.blob-exists/<endpoint id>/v2/<path>`: content by
//!   digest in a regional upstream registry;
//! - `https://<host>/.blob-exists/breaker/<copy id>`: a copy's open breaker.
//!
//! Each entry carries its absolute expiry, so an isolate that reads it
//! remembers it no longer than the entry itself lives.

/// Where mirrors keep blobs under their base URL (the GCS layout).
pub const BLOB_PATH: &str = "/containers/images/";

/// What a Cache API entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remembered {
    Present,
    Absent,
    BreakerOpen,
}

impl Remembered {
    pub fn as_str(self) -> &'static str {
        match self {
            Remembered::Present => "present",
            Remembered::Absent => "absent",
            Remembered::BreakerOpen => "breaker-open",
        }
    }

    pub fn parse(text: &str) -> Option<Remembered> {
        match text {
            "present" => Some(Remembered::Present),
            "absent" => Some(Remembered::Absent),
            "breaker-open" => Some(Remembered::BreakerOpen),
            _ => None,
        }
    }
}

/// A Cache API entry: what it says, and until when (ms since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColoEntry {
    pub what: Remembered,
    pub expires_ms: u64,
}

impl ColoEntry {
    /// Whole seconds left at `now_ms`, rounded up (for `max-age`).
    pub fn seconds_left(&self, now_ms: u64) -> u64 {
        self.expires_ms.saturating_sub(now_ms).div_ceil(1000)
    }
}

/// `(<base>, <digest>)` of `<base>/containers/images/<digest>`.
pub fn split_blob_url(url: &str) -> Option<(&str, &str)> {
    url.rsplit_once(BLOB_PATH)
}

/// A copy's base URL as one path segment: `<scheme>.<rest>` with every
/// byte but `[A-Za-z0-9._~-]` percent-encoded (`http://127.0.0.1:9000` ->
/// `http.127.0.0.1%3A9000`). Readable, and distinct for distinct bases.
pub fn copy_id(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let mut id = String::with_capacity(base.len() + 8);
    id.push_str(scheme);
    id.push('.');
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b"._~-".contains(&b) {
            id.push(b as char);
        } else {
            id.push_str(&format!("%{b:02X}"));
        }
    }
    id
}

/// The Cache API key of an object's existence in a copy (`object`: a
/// mirror blob's digest, or a registry URL's path under its endpoint).
pub fn existence_key(host: &str, base: &str, object: &str) -> String {
    format!("https://{host}/.blob-exists/{}/{object}", copy_id(base))
}

/// The Cache API key of a copy's open breaker.
pub fn breaker_key(host: &str, base: &str) -> String {
    format!("https://{host}/.blob-exists/breaker/{}", copy_id(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    #[test]
    fn keys_live_on_the_workers_own_host() {
        let base = "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com";
        assert_eq!(
            existence_key("registry.k8s.io", base, D),
            format!("https://registry.k8s.io/.blob-exists/https.prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com/{D}")
        );
        assert_eq!(
            breaker_key("registry.k8s.io", base),
            "https://registry.k8s.io/.blob-exists/breaker/https.prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com"
        );
    }

    #[test]
    fn copy_ids_are_one_segment_and_distinct() {
        assert_eq!(copy_id("http://127.0.0.1:9000"), "http.127.0.0.1%3A9000");
        assert_eq!(
            copy_id("https://cdn.example/some/prefix"),
            "https.cdn.example%2Fsome%2Fprefix"
        );
        assert_ne!(
            copy_id("http://cdn.example"),
            copy_id("https://cdn.example")
        );
        assert_ne!(
            copy_id("https://a.example/b"),
            copy_id("https://a.example%2Fb")
        );
        assert!(!copy_id("https://x.example/a/b").contains('/'));
    }

    #[test]
    fn blob_urls_split_into_copy_and_digest() {
        let url = format!("https://cdn.example/prefix/containers/images/{D}");
        assert_eq!(
            split_blob_url(&url),
            Some(("https://cdn.example/prefix", D))
        );
        assert_eq!(split_blob_url("https://cdn.example/x"), None);
    }

    #[test]
    fn entries_round_trip_and_round_up() {
        for what in [
            Remembered::Present,
            Remembered::Absent,
            Remembered::BreakerOpen,
        ] {
            assert_eq!(Remembered::parse(what.as_str()), Some(what));
        }
        assert_eq!(Remembered::parse("1"), None);
        let e = ColoEntry {
            what: Remembered::Absent,
            expires_ms: 60_001,
        };
        assert_eq!(e.seconds_left(0), 61);
        assert_eq!(e.seconds_left(60_000), 1);
        assert_eq!(e.seconds_left(70_000), 0);
    }
}
