//! The canonical form of a pull path's last segment (the reference or
//! digest): clients and proxies may percent-encode characters that need no
//! encoding, e.g. `sha256%3A<hex>` for `sha256:<hex>`. Those are decoded
//! before validation, so the request is the same one, and the redirect
//! names the canonical form. Only unreserved characters (RFC 3986) and `:`
//! are decoded: an encoded `/` (or `%`) stays encoded and fails the grammar,
//! and a decoded `..` is no tag or digest either.

use std::borrow::Cow;

/// `api_path` (what follows `/v2/`) with its reference/digest segment
/// decoded, when it is a manifest, blob or referrers path.
pub fn canonical_path(api_path: &str) -> Cow<'_, str> {
    let Some((head, last)) = api_path.rsplit_once('/') else {
        return Cow::Borrowed(api_path);
    };
    let kind = head.rsplit_once('/').map_or(head, |(_, kind)| kind);
    if !last.contains('%') || !matches!(kind, "manifests" | "blobs" | "referrers") {
        return Cow::Borrowed(api_path);
    }
    Cow::Owned(format!("{head}/{}", decode_unreserved(last)))
}

/// Decodes `%XX` where the byte is unreserved or `:`; leaves any other
/// `%` sequence as it is.
fn decode_unreserved(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? << 4 | hex(*bytes.get(i + 2)?)?))
            .flatten()
            .filter(|b| b.is_ascii_alphanumeric() || b"-._~:".contains(b));
        match decoded {
            Some(b) => {
                out.push(b as char);
                i += 3;
            }
            None => {
                // Whole UTF-8 sequences: copy up to the next '%'.
                let next = bytes[i + 1..]
                    .iter()
                    .position(|&b| b == b'%')
                    .map_or(bytes.len(), |p| i + 1 + p);
                out.push_str(&segment[i..next]);
                i = next;
            }
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    const HEX: &str = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    #[test]
    fn decodes_unreserved_and_colon_in_the_last_segment() {
        assert_eq!(
            canonical_path(&format!("pause/blobs/sha256%3A{HEX}")),
            format!("pause/blobs/sha256:{HEX}")
        );
        assert_eq!(
            canonical_path(&format!("pause/referrers/sha256%3a{HEX}")),
            format!("pause/referrers/sha256:{HEX}")
        );
        assert_eq!(
            canonical_path("pause/manifests/v1%2E0%2d%5Frc%7E"),
            "pause/manifests/v1.0-_rc~"
        );
        assert_eq!(
            canonical_path("pause/manifests/%33.9"),
            "pause/manifests/3.9"
        );
    }

    #[test]
    fn leaves_everything_else_alone() {
        for path in [
            "pause/manifests/3.9",
            "pause/manifests/a%2Fb",
            "pause/manifests/a%2fb",
            "pause/manifests/a%25b",
            "pause/manifests/a%3Fb",
            "pause/manifests/a%",
            "pause/manifests/a%4",
            "pause/manifests/a%zz",
            "pause/manifests/caf%C3%A9",
            "pa%75se/tags/list",
            "pause/tags/%6Cist",
            "a%2Fb/manifests/3.9",
        ] {
            assert_eq!(canonical_path(path), path, "{path}");
        }
        // Mixed: only the decodable ones are decoded.
        assert_eq!(
            canonical_path("pause/manifests/%2e%2e%2Fx"),
            "pause/manifests/..%2Fx"
        );
        assert_eq!(canonical_path("pause/manifests/é%41"), "pause/manifests/éA");
    }
}
