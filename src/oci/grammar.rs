//! The grammars of the OCI distribution spec ("Pulling manifests" and
//! "Pulling blobs") and image-spec descriptor.md ("Digests"), as small
//! hand-written matchers.

/// Longest repository name accepted (clients cap host + `/` + name at 255).
pub const MAX_NAME_LEN: usize = 255;
/// Longest tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub const MAX_TAG_LEN: usize = 128;

/// `<name>`: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
pub fn is_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && name.split('/').all(is_name_component)
}

fn is_name_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        // A run of [a-z0-9]+.
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        // A separator: `.`, `_`, `__` or `-+`, followed by another run.
        match bytes[i] {
            b'.' => i += 1,
            b'_' => {
                i += if bytes.get(i + 1) == Some(&b'_') {
                    2
                } else {
                    1
                }
            }
            b'-' => {
                while i < bytes.len() && bytes[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `<tag>`: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
pub fn is_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= MAX_TAG_LEN
                && (first.is_ascii_alphanumeric() || *first == b'_')
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        None => false,
    }
}

/// `<digest>`: `algorithm ":" encoded` with algorithm
/// `[a-z0-9]+([+._-][a-z0-9]+)*` and encoded `[a-zA-Z0-9=_-]+`; the
/// registered algorithms are checked strictly (sha256: 64 lowercase hex,
/// sha512: 128), and any other algorithm is rejected, since no registry
/// behind us can serve it.
pub fn is_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let hex = |len: usize| {
        encoded.len() == len
            && encoded
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    match algorithm {
        "sha256" => hex(64),
        "sha512" => hex(128),
        _ => false,
    }
}

/// A tag naming signatures or attestations of the manifest with digest
/// `sha256:<hex>`: the distribution spec's referrers tag schema
/// (`sha256-<64 hex>`, what OCI 1.1 clients read when a registry has no
/// referrers API) and cosign's tags (`.sig`, `.att`, `.sbom` after it).
pub fn is_signature_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let hex = [".sig", ".att", ".sbom"]
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix))
        .unwrap_or(rest);
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "pause",
            "a",
            "kube-apiserver",
            "sig-storage/csi-provisioner",
            "a.b",
            "a_b",
            "a__b",
            "a---b",
            "0",
            "a/b/c/d",
        ] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in [
            "", "Pause", "a//b", "/a", "a/", "a..b", "a___b", ".a", "a.", "-a", "a-", "a_", "a b",
            "a%2fb", "a\\b", "..", "a/../b", "é", "a\0b",
        ] {
            assert!(!is_name(bad), "{bad:?}");
        }
        assert!(is_name(&"a".repeat(MAX_NAME_LEN)));
        assert!(!is_name(&"a".repeat(MAX_NAME_LEN + 1)));
    }

    #[test]
    fn tags() {
        for ok in ["latest", "3.9", "v1.30.0-rc.1", "_x", "A", "sha256-abc.sig"] {
            assert!(is_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a:b", "a/b", "a b", "a%20"] {
            assert!(!is_tag(bad), "{bad:?}");
        }
        assert!(is_tag(&"a".repeat(MAX_TAG_LEN)));
        assert!(!is_tag(&"a".repeat(MAX_TAG_LEN + 1)));
    }

    #[test]
    fn digests() {
        let h64 = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
        assert!(is_digest(&format!("sha256:{h64}")));
        assert!(is_digest(&format!("sha512:{h64}{h64}")));
        assert!(
            !is_digest(&format!("sha256:{h64}{h64}")),
            "sha256 with 128 hex"
        );
        assert!(!is_digest(&format!("sha512:{h64}")));
        assert!(!is_digest(&format!("sha256:{}", h64.to_uppercase())));
        assert!(!is_digest(&format!("sha256:{}", &h64[1..])));
        assert!(!is_digest("md5:d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_digest(h64));
        assert!(!is_digest("sha256:"));
        assert!(!is_digest(""));
    }

    #[test]
    fn signature_tags() {
        let h64 = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
        for suffix in ["", ".sig", ".att", ".sbom"] {
            assert!(
                is_signature_tag(&format!("sha256-{h64}{suffix}")),
                "{suffix}"
            );
            assert!(!is_signature_tag(&format!("sha256-{}{suffix}", &h64[1..])));
            assert!(!is_signature_tag(&format!("sha256-{h64}0{suffix}")));
            assert!(!is_signature_tag(&format!("sha512-{h64}{suffix}")));
            let upper = h64.to_uppercase();
            assert!(!is_signature_tag(&format!("sha256-{upper}{suffix}")));
        }
        for other in [".sig.sig", ".foo", ".", ".SIG", "-sig", ".sig2"] {
            assert!(
                !is_signature_tag(&format!("sha256-{h64}{other}")),
                "{other}"
            );
        }
        assert!(!is_signature_tag("sha256-"));
        assert!(!is_signature_tag("latest"));
    }
}
