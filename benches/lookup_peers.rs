//! `make bench`: registry-edge's lookup against two published longest-prefix
//! matchers, `prefix-trie` (a tree bitmap) and `ip_network_table` (a
//! treebitmap), in one process, loaded with exactly the prefixes the tables
//! were compiled from (each mapped to its location number), on the same
//! seeded address mix as benches/lookup.rs.
//!
//! First every answer is compared: each address of the mix, and the first
//! and last address of every prefix and the addresses just outside it, must
//! get the same location from all three. `lookup_disagreements N` is printed
//! first and the benchmark fails if N > 0, so a ratio is never printed for
//! matchers that answer differently.
//!
//! Then rounds are interleaved (ours, prefix-trie, ip_network_table, with
//! the order rotated each round) so that drift on a shared machine hits all
//! three alike. `lookup_ratio_<family>_vs_<crate>` is the median over the
//! rounds of theirs / ours within the round; the `*_ns` lines are medians
//! of the absolute times, for information.

use ip_network::{Ipv4Network, Ipv6Network};
use ip_network_table::IpNetworkTable;
use prefix_trie::PrefixMap;
use range_tablegen::layout::Layout;
use range_tablegen::Prefix;
use registry_edge::places::ranges::{Location, TABLES};
use registry_edge_testkit::last;
use registry_edge_testkit::lookup_mix::{lookup_mix, median, pass_ns, real_data};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::ExitCode;

const ROUNDS: usize = 31;
const PEERS: [&str; 2] = ["prefix_trie", "ip_network_table"];

/// Both peers loaded with one family's prefixes.
struct Peers<K: prefix_trie::Prefix> {
    prefix_trie: PrefixMap<K, u16>,
    table: IpNetworkTable<u16>,
}

fn load_v4(prefixes: &[(Prefix, u16)]) -> Peers<(u32, u8)> {
    let mut peers = Peers {
        prefix_trie: PrefixMap::new(),
        table: IpNetworkTable::new(),
    };
    for (p, number) in prefixes {
        let addr = p.addr as u32;
        peers.prefix_trie.insert((addr, p.len), *number);
        let net = Ipv4Network::new(Ipv4Addr::from(addr), p.len).expect("a normalised prefix");
        peers.table.insert(net, *number);
    }
    peers
}

fn load_v6(prefixes: &[(Prefix, u16)]) -> Peers<(u128, u8)> {
    let mut peers = Peers {
        prefix_trie: PrefixMap::new(),
        table: IpNetworkTable::new(),
    };
    for (p, number) in prefixes {
        peers.prefix_trie.insert((p.addr, p.len), *number);
        let net = Ipv6Network::new(Ipv6Addr::from(p.addr), p.len).expect("a normalised prefix");
        peers.table.insert(net, *number);
    }
    peers
}

/// The three answers for one address, as location numbers (0: no match).
type Answers = [u16; 3];

fn answers_v4(peers: &Peers<(u32, u8)>, number: &impl Fn(Location) -> u16, a: Ipv4Addr) -> Answers {
    [
        TABLES.lookup_v4(a).map_or(0, number),
        peers
            .prefix_trie
            .get_lpm(&(u32::from(a), 32))
            .map_or(0, |(_, n)| *n),
        peers.table.longest_match_ipv4(a).map_or(0, |(_, n)| *n),
    ]
}

fn answers_v6(
    peers: &Peers<(u128, u8)>,
    number: &impl Fn(Location) -> u16,
    a: Ipv6Addr,
) -> Answers {
    [
        TABLES.lookup_v6(a).map_or(0, number),
        peers
            .prefix_trie
            .get_lpm(&(u128::from(a), 128))
            .map_or(0, |(_, n)| *n),
        peers.table.longest_match_ipv6(a).map_or(0, |(_, n)| *n),
    ]
}

/// Every prefix's first and last address and the addresses just outside.
fn boundaries(width: u32, prefixes: &[(Prefix, u16)]) -> Vec<u128> {
    let max = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let mut out = Vec::with_capacity(prefixes.len() * 4);
    for (p, _) in prefixes {
        let end = last(p.addr, p.len, width);
        out.extend([p.addr, end]);
        out.extend(p.addr.checked_sub(1));
        if end < max {
            out.push(end + 1);
        }
    }
    out
}

/// Counts (address, peer) pairs whose answer differs from ours, printing the
/// first few.
fn disagreements(addresses: impl Iterator<Item = (String, Answers)>) -> usize {
    let mut count = 0;
    for (address, answers) in addresses {
        for (peer, theirs) in PEERS.iter().zip(&answers[1..]) {
            if *theirs != answers[0] {
                if count < 10 {
                    eprintln!(
                        "{address}: registry-edge says location {}, {peer} says {theirs}",
                        answers[0]
                    );
                }
                count += 1;
            }
        }
    }
    count
}

/// Times of one family per round: [ours, prefix-trie, ip_network_table].
#[derive(Default)]
struct Samples {
    ns: [Vec<f64>; 3],
}

impl Samples {
    /// Runs the three passes of one round, starting with `first`. Each
    /// timed pass follows an untimed one of the same matcher, so that it
    /// measures the matcher with its own data in cache (as it is when it
    /// serves lookups), not the cost of evicting the previous one's.
    fn round(&mut self, first: usize, passes: [&dyn Fn() -> f64; 3]) {
        for i in 0..3 {
            let who = (first + i) % 3;
            passes[who]();
            self.ns[who].push(passes[who]());
        }
    }

    fn print(&mut self, family: &str) {
        for (peer, theirs) in PEERS.iter().zip(1..) {
            let mut ratios: Vec<f64> = self.ns[theirs]
                .iter()
                .zip(&self.ns[0])
                .map(|(t, o)| t / o)
                .collect();
            println!("lookup_ratio_{family}_vs_{peer} {:.2}", median(&mut ratios));
        }
        println!("lookup_{family}_ns {:.2}", median(&mut self.ns[0]));
        for (peer, theirs) in PEERS.iter().zip(1..) {
            println!(
                "lookup_{family}_{peer}_ns {:.2}",
                median(&mut self.ns[theirs])
            );
        }
    }
}

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, layout) = real_data(root, option_env!("RANGES_SNAPSHOT"));
    let (v4, v6) = lookup_mix(&layout);
    let peers4 = load_v4(&layout.v4);
    let peers6 = load_v6(&layout.v6);
    let number = location_numbers(&layout);

    let v4_checked = v4.iter().copied().chain(
        boundaries(32, &layout.v4)
            .into_iter()
            .map(|a| Ipv4Addr::from(a as u32)),
    );
    let v6_checked = v6
        .iter()
        .copied()
        .chain(boundaries(128, &layout.v6).into_iter().map(Ipv6Addr::from));
    let differing = disagreements(
        v4_checked
            .map(|a| (a.to_string(), answers_v4(&peers4, &number, a)))
            .chain(v6_checked.map(|a| (a.to_string(), answers_v6(&peers6, &number, a)))),
    );
    println!("lookup_disagreements {differing}");
    if differing > 0 {
        eprintln!("the matchers disagree: no ratios");
        return ExitCode::FAILURE;
    }

    let mut s4 = Samples::default();
    let mut s6 = Samples::default();
    for round in 0..=ROUNDS {
        let first = round % 3;
        s4.round(
            first,
            [
                &|| pass_ns(&v4, |a| TABLES.lookup_v4(a).is_some()),
                &|| {
                    pass_ns(&v4, |a| {
                        peers4.prefix_trie.get_lpm(&(u32::from(a), 32)).is_some()
                    })
                },
                &|| pass_ns(&v4, |a| peers4.table.longest_match_ipv4(a).is_some()),
            ],
        );
        s6.round(
            first,
            [
                &|| pass_ns(&v6, |a| TABLES.lookup_v6(a).is_some()),
                &|| {
                    pass_ns(&v6, |a| {
                        peers6.prefix_trie.get_lpm(&(u128::from(a), 128)).is_some()
                    })
                },
                &|| pass_ns(&v6, |a| peers6.table.longest_match_ipv6(a).is_some()),
            ],
        );
        if round == 0 {
            // A warm-up round: caches, branch predictors, CPU frequency.
            s4 = Samples::default();
            s6 = Samples::default();
        }
    }
    s4.print("v4");
    s6.print("v6");
    ExitCode::SUCCESS
}

/// Our answer as the location number the peers were loaded with.
fn location_numbers(layout: &Layout) -> impl Fn(Location) -> u16 + '_ {
    move |l: Location| {
        let index = layout
            .locations
            .iter()
            .position(|(cloud, region)| *cloud == l.cloud && region == l.region)
            .expect("every location of the tables is in the layout");
        (index + 1) as u16
    }
}
