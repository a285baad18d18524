//! The canonical form of a pull path's last segment (the reference or
//! digest): clients and proxies may percent-encode characters that need no
//! encoding, e.g. `sha256%3A<hex>` for `sha256:<hex>`. Those are decoded
//! before validation, so the request is the same one, and the redirect
//! names the canonical form. Only unreserved characters (RFC 3986) and `:`
//! are decoded: an encoded `/` (or `%`) stays encoded and fails the grammar,
//! and a decoded `..` is no tag or digest either.

use std::borrow::Cow;

/// The reference or digest segment of a manifest, blob or referrers path
/// in canonical form (borrowed unless something was decoded).
pub fn canonical_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains('%') {
        Cow::Owned(decode_unreserved(segment))
    } else {
        Cow::Borrowed(segment)
    }
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
    use super::canonical_segment;

    const HEX: &str = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    #[test]
    fn decodes_unreserved_and_colon() {
        assert_eq!(
            canonical_segment(&format!("sha256%3A{HEX}")),
            format!("sha256:{HEX}")
        );
        assert_eq!(
            canonical_segment(&format!("sha256%3a{HEX}")),
            format!("sha256:{HEX}")
        );
        assert_eq!(canonical_segment("v1%2E0%2d%5Frc%7E"), "v1.0-_rc~");
        assert_eq!(canonical_segment("%33.9"), "3.9");
    }

    #[test]
    fn leaves_everything_else_alone() {
        for segment in [
            "3.9",
            "a%2Fb",
            "a%2fb",
            "a%25b",
            "a%3Fb",
            "a%",
            "a%4",
            "a%zz",
            "caf%C3%A9",
        ] {
            assert_eq!(canonical_segment(segment), segment, "{segment}");
        }
        // Mixed: only the decodable ones are decoded.
        assert_eq!(canonical_segment("%2e%2e%2Fx"), "..%2Fx");
        assert_eq!(canonical_segment("é%41"), "éA");
    }
}
