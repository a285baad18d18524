//! The client's address, from the headers Cloudflare's edge sets.

use std::net::{IpAddr, Ipv6Addr};

/// Cloudflare's Pseudo IPv4 range (240.0.0.0/4): in "overwrite" mode the
/// edge puts an address from it in `CF-Connecting-IP` for IPv6 clients and
/// the real address in `CF-Connecting-IPv6`.
fn is_pseudo_ipv4(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 240)
}

/// The client's address: `CF-Connecting-IP`, or `CF-Connecting-IPv6` when
/// the former is a Pseudo IPv4 address. Anything missing or unparsable is
/// simply unknown, never an error.
pub fn client_address(
    connecting_ip: Option<&str>,
    connecting_ipv6: Option<&str>,
) -> Option<IpAddr> {
    let ip: IpAddr = connecting_ip?.trim().parse().ok()?;
    if is_pseudo_ipv4(ip) {
        if let Some(v6) = connecting_ipv6.and_then(|h| h.trim().parse::<Ipv6Addr>().ok()) {
            return Some(IpAddr::V6(v6));
        }
    }
    Some(ip)
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn pseudo_ipv4_gives_way_to_the_real_address() {
        let v6 = "2600:1f01:4874::47";
        assert_eq!(
            client_address(Some("240.1.2.3"), Some(v6)),
            Some(v6.parse().unwrap())
        );
        assert_eq!(
            client_address(Some("240.1.2.3"), Some("junk")),
            Some("240.1.2.3".parse().unwrap())
        );
        assert_eq!(
            client_address(Some(" 35.180.1.1 "), Some(v6)),
            Some("35.180.1.1".parse().unwrap())
        );
        assert_eq!(client_address(Some("not an address"), None), None);
        assert_eq!(client_address(None, Some(v6)), None);
    }
}
