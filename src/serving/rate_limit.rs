//! The rate limit's answer (docs/operating.md, "Rate limits"): the key the
//! `PULL_RATE_LIMIT` binding counts a client by, and how long a refused
//! client should wait. The key is handed to the binding and nowhere else:
//! no record, log line or data point holds it.

use crate::config::operating::IPV6_PREFIXES;
use std::net::{IpAddr, Ipv6Addr};

/// What the binding counts `address` as: an IPv4 address by itself, an
/// IPv6 address by its `/ipv6_prefix` network (one subscriber holds a whole
/// /64 and can send from any address in it).
pub fn key(address: IpAddr, ipv6_prefix: u8) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let bits = u32::from(ipv6_prefix.clamp(*IPV6_PREFIXES.start(), *IPV6_PREFIXES.end()));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let network = Ipv6Addr::from(u128::from(v6) & mask);
            format!("{network}/{bits}")
        }
    }
}

/// Seconds until the rate limit window (`period` seconds, aligned to the
/// clock as the binding's windows are) ends; at least 1.
pub fn retry_after(now_ms: f64, period: u32) -> u32 {
    let period_ms = f64::from(period.max(1)) * 1000.0;
    let left = period_ms - now_ms.rem_euclid(period_ms);
    ((left / 1000.0).ceil() as u32).clamp(1, period.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_ends_the_window() {
        assert_eq!(retry_after(1_000_000.0, 10), 10);
        assert_eq!(retry_after(1_000_001.0, 10), 10);
        assert_eq!(retry_after(1_003_500.0, 10), 7);
        assert_eq!(retry_after(1_009_999.0, 10), 1);
        assert_eq!(retry_after(1_020_000.0, 60), 60);
        assert_eq!(retry_after(1_079_000.0, 60), 1);
    }

    #[test]
    fn ipv4_by_address_ipv6_by_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(key(ip("35.180.1.1"), 64), "35.180.1.1");
        assert_eq!(
            key(ip("2600:1f01:4874:12:a:b:c:d"), 64),
            "2600:1f01:4874:12::/64"
        );
        assert_eq!(
            key(ip("2600:1f01:4874:12:a:b:c:d"), 48),
            "2600:1f01:4874::/48"
        );
        assert_eq!(
            key(ip("2600:1f01:4874:12:a:b:c:d"), 128),
            "2600:1f01:4874:12:a:b:c:d/128"
        );
        assert_eq!(key(ip("2600:1f01::1"), 32), "2600:1f01::/32");
        // Out-of-range prefixes never reach here (the configuration
        // rejects them); clamped all the same.
        assert_eq!(key(ip("2600:1f01::1"), 0), "2600:1f01::/32");
    }
}
