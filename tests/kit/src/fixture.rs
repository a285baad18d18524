//! Small range tables for tests, compiled through the same pipeline as the
//! real ones (resolve → layout → trie compiler), and the
//! client addresses the decision tests use with them.
//!
//! The fixture prefixes are documentation and special-purpose ranges, so a
//! decision test can never pass by accident on the real data.

use range_tablegen::compile::{compile, CompiledTrie};
use range_tablegen::layout::Layout;
use range_tablegen::providers::ProviderData;
use range_tablegen::{resolve, Cloud, Entry};
use registry_edge::ranges::{Location, RangeTables, Trie};
use std::sync::OnceLock;

/// Compiles `(prefix, cloud label, region)` triples. Identical prefixes
/// are resolved as `make ranges` resolves them. The arrays are leaked so
/// the tables are `'static`, like the compiled ones.
pub fn tables(entries: &[(&str, &str, &str)]) -> RangeTables<'static> {
    let providers: Vec<ProviderData> = Cloud::ALL
        .into_iter()
        .map(|cloud| {
            let mut mine: Vec<Entry> = entries
                .iter()
                .filter(|(_, c, _)| *c == cloud.as_str())
                .map(|(net, _, region)| Entry {
                    net: net
                        .parse()
                        .unwrap_or_else(|_| panic!("fixture prefix {net}")),
                    cloud,
                    region: region.to_string(),
                })
                .collect();
            mine.sort();
            mine.dedup();
            ProviderData {
                cloud,
                file: format!("{cloud}.json"),
                url: format!("https://{cloud}.example/ranges"),
                sync_token: "1".into(),
                created: String::new(),
                published_entries: mine.len(),
                excluded_entries: 0,
                exclude_regions: Vec::new(),
                entries: mine,
            }
        })
        .collect();
    let (snapshot, _) = resolve::resolve(&providers);
    let layout = Layout::of(&snapshot.entries).expect("fixture layout");
    let leak = |t: CompiledTrie| -> Trie<'static> {
        Trie {
            words: Vec::leak(t.words),
            entries: Vec::leak(t.entries),
        }
    };
    let locations: Vec<Location> = layout
        .locations
        .iter()
        .map(|(cloud, region)| Location {
            cloud: *cloud,
            region: String::leak(region.clone()),
        })
        .collect();
    RangeTables {
        v4: leak(compile(32, &layout.v4).expect("v4 fixture")),
        v6: leak(compile(128, &layout.v6).expect("v6 fixture")),
        locations: Vec::leak(locations),
    }
}

/// An AWS eu-west-3 client (a region with a mirror in most test configs).
pub const AWS_EU_WEST_3: &str = "198.51.100.7";
/// An AWS us-east-2 client, in a regional /24 inside an AWS GLOBAL /17.
pub const AWS_US_EAST_2: &str = "203.0.113.7";
/// The last address of that regional /24.
pub const AWS_US_EAST_2_LAST: &str = "203.0.113.255";
/// AWS GLOBAL: inside the /17 but outside the regional /24.
pub const AWS_GLOBAL: &str = "203.0.100.1";
/// An AWS me-south-1 (Bahrain) client.
pub const AWS_ME_SOUTH_1: &str = "100.64.1.9";
/// An AWS us-west-2 client over IPv6.
pub const AWS_US_WEST_2_V6: &str = "2001:db8:1::47";
/// An AWS ap-southeast-3 client over IPv6.
pub const AWS_AP_SOUTHEAST_3_V6: &str = "2001:db8:2::2";
/// The eu-west-3 client as an IPv4-mapped IPv6 address.
pub const AWS_EU_WEST_3_MAPPED: &str = "::ffff:198.51.100.7";
/// A GCP client.
pub const GCP_EUROPE_WEST1: &str = "192.0.2.7";
/// An Azure client.
pub const AZURE_AUSTRALIACENTRAL: &str = "198.18.0.5";
/// An address in no fixture prefix.
pub const UNKNOWN: &str = "192.168.0.1";

/// The fixture prefixes behind the named addresses above.
pub const CLIENT_PREFIXES: &[(&str, &str, &str)] = &[
    ("198.51.100.0/24", "AWS", "eu-west-3"),
    ("203.0.0.0/17", "AWS", "GLOBAL"),
    ("203.0.113.0/24", "AWS", "us-east-2"),
    ("100.64.1.0/24", "AWS", "me-south-1"),
    ("2001:db8:1::/48", "AWS", "us-west-2"),
    ("2001:db8:2::/48", "AWS", "ap-southeast-3"),
    ("192.0.2.0/24", "GCP", "europe-west1"),
    ("198.18.0.0/15", "Azure", "australiacentral"),
];

/// [`CLIENT_PREFIXES`], compiled once.
pub fn client_tables() -> &'static RangeTables<'static> {
    static TABLES: OnceLock<RangeTables<'static>> = OnceLock::new();
    TABLES.get_or_init(|| tables(CLIENT_PREFIXES))
}
