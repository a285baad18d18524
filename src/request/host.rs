//! Host names and ports: the one rule for `host[:port]`, used for the
//! request's own host and for every host the configuration names.

/// The host and the port of an authority `host[:port]`. A bracketed IPv6
/// literal keeps its brackets; a bare IPv6 address (which a URL cannot
/// hold) is all host.
pub fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.split_once(']') {
            Some((inside, rest)) => match (rest, rest.strip_prefix(':')) {
                ("", _) => (&authority[..inside.len() + 1], None),
                (_, Some(port)) => (&authority[..inside.len() + 1], Some(port)),
                _ => (authority, None),
            },
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (authority, None),
    }
}

/// The host of an authority, without its port and a trailing dot (the
/// fully qualified spelling names the same host). Compare case-insensitively.
pub fn host_name(authority: &str) -> &str {
    split_port(authority).0.trim_end_matches('.')
}

/// `[a-z0-9-]` labels separated by dots (any case), or a bracketed IPv6
/// literal.
pub fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `host` or `host:port` with a port of 1 to 5 digits.
pub fn is_authority(authority: &str) -> bool {
    let (host, port) = split_port(authority);
    is_host(host)
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_split_off_one_way() {
        assert_eq!(split_port("registry.k8s.io"), ("registry.k8s.io", None));
        assert_eq!(split_port("k8s.gcr.io:443"), ("k8s.gcr.io", Some("443")));
        assert_eq!(split_port("[::1]:8787"), ("[::1]", Some("8787")));
        assert_eq!(split_port("[::1]"), ("[::1]", None));
        assert_eq!(split_port("::1"), ("::1", None));
        assert_eq!(split_port("h:"), ("h", Some("")));
        assert_eq!(host_name("K8S.GCR.IO.:443"), "K8S.GCR.IO");
        assert_eq!(host_name("[::1]:80"), "[::1]");
    }

    #[test]
    fn hosts_and_authorities() {
        for ok in ["a", "registry.k8s.io", "a-b.c", "[::1]", "127.0.0.1"] {
            assert!(is_host(ok), "{ok}");
            assert!(is_authority(ok), "{ok}");
            assert!(is_authority(&format!("{ok}:8080")), "{ok}:8080");
        }
        for bad in ["", "a..b", "a.", "a b", "a_b", "[::g]", "::1", "é"] {
            assert!(!is_host(bad), "{bad}");
        }
        for bad in ["a:", "a:123456", "a:8o", "[::1]x", "a:1:2"] {
            assert!(!is_authority(bad), "{bad}");
        }
    }
}
