//! Edge cases of the trie on small hand-written prefix sets, compiled by the
//! same code build.rs runs and read by the same lookup the worker uses.

use registry_edge::ranges::RangeTables;
use registry_edge_testkit::fixture::tables;
use std::net::IpAddr;

fn region(t: &RangeTables<'_>, ip: &str) -> Option<&'static str> {
    let ip: IpAddr = ip.parse().unwrap();
    t.lookup(ip).map(|l| l.region)
}

#[test]
fn empty_tables_match_nothing() {
    let t = tables(&[]);
    for ip in [
        "0.0.0.0",
        "10.1.2.3",
        "255.255.255.255",
        "::",
        "2001:db8::1",
        "ffff::",
    ] {
        assert_eq!(region(&t, ip), None, "{ip}");
    }
}

#[test]
fn default_routes_cover_everything() {
    let t = tables(&[("0.0.0.0/0", "AWS", "v4-all"), ("::/0", "AWS", "v6-all")]);
    for ip in ["0.0.0.0", "10.1.2.3", "255.255.255.255"] {
        assert_eq!(region(&t, ip), Some("v4-all"), "{ip}");
    }
    for ip in [
        "::",
        "2001:db8::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert_eq!(region(&t, ip), Some("v6-all"), "{ip}");
    }
}

#[test]
fn host_prefixes() {
    let t = tables(&[
        ("10.0.0.0/24", "AWS", "net"),
        ("10.0.0.7/32", "AWS", "host"),
        ("255.255.255.255/32", "AWS", "top"),
        ("0.0.0.0/32", "AWS", "bottom"),
        ("2001:db8::/64", "AWS", "net6"),
        ("2001:db8::7/128", "AWS", "host6"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "AWS", "top6"),
    ]);
    assert_eq!(region(&t, "10.0.0.7"), Some("host"));
    assert_eq!(region(&t, "10.0.0.6"), Some("net"));
    assert_eq!(region(&t, "10.0.0.8"), Some("net"));
    assert_eq!(region(&t, "255.255.255.255"), Some("top"));
    assert_eq!(region(&t, "255.255.255.254"), None);
    assert_eq!(region(&t, "0.0.0.0"), Some("bottom"));
    assert_eq!(region(&t, "0.0.0.1"), None);
    assert_eq!(region(&t, "2001:db8::7"), Some("host6"));
    assert_eq!(region(&t, "2001:db8::6"), Some("net6"));
    assert_eq!(region(&t, "2001:db8::8"), Some("net6"));
    assert_eq!(region(&t, "2001:db8:0:1::"), None);
    assert_eq!(
        region(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        Some("top6")
    );
    assert_eq!(region(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), None);
}

#[test]
fn prefixes_nested_three_deep() {
    let t = tables(&[
        ("10.0.0.0/8", "AWS", "l8"),
        ("10.1.0.0/16", "AWS", "l16"),
        ("10.1.2.0/24", "AWS", "l24"),
        ("10.1.2.128/28", "AWS", "l28"),
        ("2001:db8::/32", "AWS", "m32"),
        ("2001:db8:1::/48", "AWS", "m48"),
        ("2001:db8:1:2::/63", "AWS", "m63"),
        ("2001:db8:1:2::/65", "AWS", "m65"),
    ]);
    assert_eq!(region(&t, "10.200.0.1"), Some("l8"));
    assert_eq!(region(&t, "10.1.0.1"), Some("l16"));
    assert_eq!(region(&t, "10.1.2.1"), Some("l24"));
    assert_eq!(region(&t, "10.1.2.127"), Some("l24"));
    assert_eq!(region(&t, "10.1.2.128"), Some("l28"));
    assert_eq!(region(&t, "10.1.2.143"), Some("l28"));
    assert_eq!(region(&t, "10.1.2.144"), Some("l24"));
    assert_eq!(region(&t, "10.1.3.0"), Some("l16"));
    assert_eq!(region(&t, "11.0.0.0"), None);
    assert_eq!(region(&t, "9.255.255.255"), None);
    // /65 crosses the 64-bit half the IPv6 lookup switches on.
    assert_eq!(region(&t, "2001:db8:1:2::1"), Some("m65"));
    assert_eq!(region(&t, "2001:db8:1:2:8000::1"), Some("m63"));
    assert_eq!(region(&t, "2001:db8:1:3::1"), Some("m63"));
    assert_eq!(region(&t, "2001:db8:1:4::1"), Some("m48"));
    assert_eq!(region(&t, "2001:db8:2::1"), Some("m32"));
    assert_eq!(region(&t, "2001:db9::"), None);
}

#[test]
fn adjacent_prefixes_split_exactly_at_their_boundary() {
    let t = tables(&[
        ("10.0.0.0/25", "AWS", "low"),
        ("10.0.0.128/25", "GCP", "high"),
        ("10.0.1.0/24", "Azure", "next"),
        ("172.16.0.0/16", "AWS", "a16"),
        ("172.17.0.0/16", "AWS", "b16"),
        ("2001:db8::/48", "AWS", "low6"),
        ("2001:db8:1::/48", "AWS", "high6"),
    ]);
    assert_eq!(region(&t, "9.255.255.255"), None);
    assert_eq!(region(&t, "10.0.0.0"), Some("low"));
    assert_eq!(region(&t, "10.0.0.127"), Some("low"));
    assert_eq!(region(&t, "10.0.0.128"), Some("high"));
    assert_eq!(region(&t, "10.0.0.255"), Some("high"));
    assert_eq!(region(&t, "10.0.1.0"), Some("next"));
    assert_eq!(region(&t, "10.0.2.0"), None);
    assert_eq!(region(&t, "172.16.255.255"), Some("a16"));
    assert_eq!(region(&t, "172.17.0.0"), Some("b16"));
    assert_eq!(region(&t, "172.18.0.0"), None);
    assert_eq!(region(&t, "2001:db8:0:ffff::"), Some("low6"));
    assert_eq!(region(&t, "2001:db8:1::"), Some("high6"));
    assert_eq!(region(&t, "2001:db8:2::"), None);
}

#[test]
fn duplicate_prefixes_resolve_by_documented_precedence() {
    let t = tables(&[
        // A specific region beats AWS GLOBAL.
        ("10.0.0.0/24", "AWS", "GLOBAL"),
        ("10.0.0.0/24", "AWS", "us-east-1"),
        // Otherwise the first provider in sources.json (AWS, GCP, Azure)...
        ("10.0.1.0/24", "Azure", "eastus"),
        ("10.0.1.0/24", "GCP", "us-east1"),
        ("10.0.1.0/24", "AWS", "us-west-2"),
        // ...and within a provider the region name that sorts first.
        ("10.0.2.0/24", "AWS", "us-west-2"),
        ("10.0.2.0/24", "AWS", "eu-west-1"),
        // GLOBAL loses even to another provider.
        ("10.0.3.0/24", "AWS", "GLOBAL"),
        ("10.0.3.0/24", "Azure", "westeurope"),
        // Host bits are masked: this is 10.0.4.0/24 again.
        ("10.0.4.0/24", "GCP", "b"),
        ("10.0.4.9/24", "GCP", "a"),
    ]);
    assert_eq!(region(&t, "10.0.0.1"), Some("us-east-1"));
    assert_eq!(region(&t, "10.0.1.1"), Some("us-west-2"));
    assert_eq!(region(&t, "10.0.2.1"), Some("eu-west-1"));
    assert_eq!(region(&t, "10.0.3.1"), Some("westeurope"));
    assert_eq!(region(&t, "10.0.4.1"), Some("a"));
}

#[test]
fn ipv4_mapped_ipv6_uses_the_ipv4_trie() {
    let t = tables(&[("10.0.0.0/8", "AWS", "v4"), ("::/0", "GCP", "v6-default")]);
    assert_eq!(region(&t, "::ffff:10.1.2.3"), Some("v4"));
    assert_eq!(region(&t, "::ffff:11.1.2.3"), None);
    // IPv4-compatible (deprecated, not mapped) and NAT64 stay IPv6.
    assert_eq!(region(&t, "::10.1.2.3"), Some("v6-default"));
    assert_eq!(region(&t, "64:ff9b::10.1.2.3"), Some("v6-default"));
}

#[test]
fn every_length_at_every_stride_boundary() {
    // One prefix per length in a distinct region, all nested on one path:
    // each address must resolve to exactly the longest one containing it.
    let base: u32 = 0xC633_6400; // 198.51.100.0
    let mut v4 = Vec::new();
    for len in 1..=32u32 {
        let mask = if len == 32 {
            u32::MAX
        } else {
            !(u32::MAX >> len)
        };
        let addr = std::net::Ipv4Addr::from(base & mask);
        v4.push((format!("{addr}/{len}"), format!("len{len}")));
    }
    let entries: Vec<(&str, &str, &str)> = v4
        .iter()
        .map(|(n, r)| (n.as_str(), "AWS", r.as_str()))
        .collect();
    let t = tables(&entries);
    for len in 1..=32u32 {
        // Flipping bit `len` (0-based from the top) leaves the address in
        // the /len prefix but outside every longer one.
        let ip = base;
        assert_eq!(
            region(&t, &std::net::Ipv4Addr::from(ip).to_string()),
            Some("len32")
        );
        if len < 32 {
            let flipped = ip ^ (1 << (31 - len));
            let want = format!("len{len}");
            assert_eq!(
                region(&t, &std::net::Ipv4Addr::from(flipped).to_string()),
                Some(want.as_str()),
                "flipped bit {len}"
            );
        }
    }
}
