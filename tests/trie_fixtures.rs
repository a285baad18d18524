//! Edge cases of the trie on small hand-written prefix sets, compiled by the
//! same code build.rs runs and read by the same lookup the worker uses.

use registry_edge::places::ranges::RangeTables;
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

// The cases below are about the layout (ranges/trie/src/trie.rs): strides
// chosen per group of siblings, runs that cross words, children stored
// after their parent word, nodes that must stop at bit 64 of an IPv6 key.

#[test]
fn a_run_crosses_the_words_of_a_node() {
    // The /8 covers root slots 0x0a00..=0x0aff: four 64-slot words, the
    // last three starting in the middle of the run; the /24 cuts it.
    let t = tables(&[
        ("10.0.0.0/8", "AWS", "eight"),
        ("10.64.5.0/24", "AWS", "inner"),
    ]);
    for ip in ["10.0.0.0", "10.63.255.255", "10.64.0.0", "10.64.4.255"] {
        assert_eq!(region(&t, ip), Some("eight"), "{ip}");
    }
    assert_eq!(region(&t, "10.64.5.0"), Some("inner"));
    assert_eq!(region(&t, "10.64.5.255"), Some("inner"));
    for ip in ["10.64.6.0", "10.128.0.0", "10.255.255.255"] {
        assert_eq!(region(&t, ip), Some("eight"), "{ip}");
    }
    assert_eq!(region(&t, "9.255.255.255"), None);
    assert_eq!(region(&t, "11.0.0.0"), None);
}

#[test]
fn siblings_in_one_word_share_a_stride_however_deep_each_goes() {
    // 172.16.0.0/16 .. 172.16.3.0: four /24s in one root word's children,
    // one holding a host route (needs 16 more bits), one a /25 (needs 9),
    // one a /26 next to a gap, one nothing deeper.
    let t = tables(&[
        ("172.16.0.0/24", "AWS", "a"),
        ("172.16.0.77/32", "AWS", "a-host"),
        ("172.16.1.128/25", "GCP", "b-half"),
        ("172.16.2.64/26", "Azure", "c-quarter"),
        ("172.17.0.0/16", "AWS", "next16"),
    ]);
    assert_eq!(region(&t, "172.16.0.76"), Some("a"));
    assert_eq!(region(&t, "172.16.0.77"), Some("a-host"));
    assert_eq!(region(&t, "172.16.0.78"), Some("a"));
    assert_eq!(region(&t, "172.16.1.127"), None);
    assert_eq!(region(&t, "172.16.1.128"), Some("b-half"));
    assert_eq!(region(&t, "172.16.1.255"), Some("b-half"));
    assert_eq!(region(&t, "172.16.2.63"), None);
    assert_eq!(region(&t, "172.16.2.64"), Some("c-quarter"));
    assert_eq!(region(&t, "172.16.2.127"), Some("c-quarter"));
    assert_eq!(region(&t, "172.16.2.128"), None);
    assert_eq!(region(&t, "172.16.3.1"), None);
    assert_eq!(region(&t, "172.17.200.1"), Some("next16"));
}

#[test]
fn ipv6_nodes_stop_at_bit_64() {
    // Prefixes on both sides of the two 64-bit halves the lookup reads: a
    // node starting at bit 60 may not run past bit 64.
    let t = tables(&[
        ("2001:db8:0:10::/60", "AWS", "m60"),
        ("2001:db8:0:1f::/64", "AWS", "m64"),
        ("2001:db8:0:1f::/66", "GCP", "m66"),
        ("2001:db8:0:1f:4000::/70", "Azure", "m70"),
        ("2001:db8:0:1f:8000::/65", "AWS", "m65"),
        ("2001:db8:0:1e::1/128", "AWS", "host"),
    ]);
    assert_eq!(region(&t, "2001:db8:0:10::1"), Some("m60"));
    assert_eq!(region(&t, "2001:db8:0:1e::"), Some("m60"));
    assert_eq!(region(&t, "2001:db8:0:1e::1"), Some("host"));
    assert_eq!(region(&t, "2001:db8:0:1e::2"), Some("m60"));
    assert_eq!(region(&t, "2001:db8:0:1f::"), Some("m66"));
    assert_eq!(region(&t, "2001:db8:0:1f:3fff:ffff:ffff:ffff"), Some("m66"));
    assert_eq!(region(&t, "2001:db8:0:1f:4000::"), Some("m70"));
    assert_eq!(region(&t, "2001:db8:0:1f:43ff:ffff:ffff:ffff"), Some("m70"));
    assert_eq!(region(&t, "2001:db8:0:1f:4400::"), Some("m64"));
    assert_eq!(region(&t, "2001:db8:0:1f:7fff:ffff:ffff:ffff"), Some("m64"));
    assert_eq!(region(&t, "2001:db8:0:1f:8000::"), Some("m65"));
    assert_eq!(region(&t, "2001:db8:0:1f:ffff:ffff:ffff:ffff"), Some("m65"));
    assert_eq!(region(&t, "2001:db8:0:20::"), None);
    assert_eq!(region(&t, "2001:db8:0:f:ffff:ffff:ffff:ffff"), None);
}

#[test]
fn a_dense_region_and_a_sparse_chain() {
    // 256 adjacent /48s under one /40 (where a wide stride pays), next to
    // a lone /64 at the end of a long chain below a /32.
    let mut owned: Vec<(String, &str, String)> = (0..256)
        .map(|i| {
            (
                format!("2001:db8:{:x}::/48", 0xab00 + i),
                if i % 2 == 0 { "AWS" } else { "GCP" },
                format!("d{i}"),
            )
        })
        .collect();
    owned.push(("2001:db9::/32".into(), "Azure", "chain32".into()));
    owned.push(("2001:db9:1234:5678::/64".into(), "Azure", "chain64".into()));
    let entries: Vec<(&str, &str, &str)> = owned
        .iter()
        .map(|(n, c, r)| (n.as_str(), *c, r.as_str()))
        .collect();
    let t = tables(&entries);
    for i in [0u32, 1, 127, 128, 254, 255] {
        let want = format!("d{i}");
        let first = format!("2001:db8:{:x}::", 0xab00 + i);
        let last = format!("2001:db8:{:x}:ffff:ffff:ffff:ffff:ffff", 0xab00 + i);
        assert_eq!(region(&t, &first), Some(want.as_str()), "{first}");
        assert_eq!(region(&t, &last), Some(want.as_str()), "{last}");
    }
    assert_eq!(region(&t, "2001:db8:aaff:ffff::"), None);
    assert_eq!(region(&t, "2001:db8:ac00::"), None);
    assert_eq!(region(&t, "2001:db9:1234:5678::1"), Some("chain64"));
    assert_eq!(region(&t, "2001:db9:1234:5679::"), Some("chain32"));
    assert_eq!(region(&t, "2001:db9:1234:5677:ffff::"), Some("chain32"));
    assert_eq!(region(&t, "2001:db9::"), Some("chain32"));
    assert_eq!(region(&t, "2001:dba::"), None);
}

#[test]
fn random_prefix_sets_match_a_brute_force_matcher() {
    // Clustered random prefixes (so that nesting, adjacency and sibling
    // groups with different depths all occur), each set compiled with the
    // build's compiler and checked against a linear longest-prefix scan at
    // every prefix boundary and at random addresses near them.
    use range_tablegen::compile::compile;
    use range_tablegen::Prefix;
    use registry_edge_testkit::{inside, last, Rng};

    fn brute(prefixes: &[(Prefix, u16)], width: u32, addr: u128) -> u16 {
        let mut best: Option<(u8, u16)> = None;
        for (p, n) in prefixes {
            if p.addr <= addr
                && addr <= last(p.addr, p.len, width)
                && best.is_none_or(|(l, _)| p.len > l)
            {
                best = Some((p.len, *n));
            }
        }
        best.map_or(0, |(_, n)| n)
    }

    let mut rng = Rng(0x7a1e_5eed);
    for round in 0..60 {
        for width in [32u32, 128] {
            let max = if width == 32 {
                u128::from(u32::MAX)
            } else {
                u128::MAX
            };
            // A few cluster centres; prefixes of random lengths around them.
            let centres: Vec<u128> = (0..3).map(|_| rng.next_u128() & max).collect();
            let mut prefixes: Vec<(Prefix, u16)> = Vec::new();
            for i in 0..(20 + rng.below(200)) {
                let centre = centres[rng.below(centres.len())];
                let len = if width == 32 {
                    8 + rng.below(25) as u8
                } else {
                    [
                        16, 24, 29, 32, 36, 40, 44, 48, 56, 60, 63, 64, 65, 70, 96, 128,
                    ][rng.below(16)]
                };
                // Near the centre: flip a few bits below bit 8.
                let jitter =
                    rng.next_u128() & (max >> 8) & (max >> (rng.below(width as usize - 8) + 8));
                let host_bits = width - u32::from(len);
                let addr = if host_bits == 0 {
                    centre ^ jitter
                } else {
                    ((centre ^ jitter) >> host_bits) << host_bits
                };
                if !prefixes.iter().any(|(p, _)| p.addr == addr && p.len == len) {
                    prefixes.push((Prefix { addr, len }, (i % 40 + 1) as u16));
                }
            }
            let trie = compile(width, &prefixes).expect("compiles");
            let view = trie.view();
            let look = |a: u128| {
                if width == 32 {
                    view.lookup(a as u32)
                } else {
                    view.lookup(a)
                }
            };
            for (p, _) in &prefixes {
                let end = last(p.addr, p.len, width);
                let mut probes = vec![p.addr, end, inside(&mut rng, p.addr, p.len, width)];
                probes.extend(p.addr.checked_sub(1));
                if end < max {
                    probes.push(end + 1);
                }
                for a in probes {
                    assert_eq!(
                        look(a),
                        brute(&prefixes, width, a),
                        "round {round}, {width}-bit address {a:#x}"
                    );
                }
            }
        }
    }
}
