//! Small range tables for tests, compiled through the same pipeline as the
//! real ones (resolve → layout → trie compiler), with a small table of
//! region sites of their own ([`SITES`]), and the client addresses the
//! decision tests use with them.
//!
//! The fixture prefixes are documentation and special-purpose ranges, so a
//! decision test can never pass by accident on the real data.

use range_tablegen::compile::{compile, CompiledTrie};
use range_tablegen::layout::Layout;
use range_tablegen::providers::ProviderData;
use range_tablegen::{resolve, Cloud, Entry};
use registry_edge::places::ranges::{Location, RangeTables, RegionSite, Trie};
use std::sync::OnceLock;

/// Compiles `(prefix, cloud label, region)` triples, placed by the fixture
/// [`SITES`]. Identical prefixes are resolved as `make ranges` resolves
/// them. The arrays are leaked so the tables are `'static`, like the
/// compiled ones.
pub fn tables(entries: &[(&str, &str, &str)]) -> RangeTables<'static> {
    tables_placed(entries, SITES)
}

/// [`tables`] with region sites of the caller's own.
pub fn tables_placed(entries: &[(&str, &str, &str)], sites: &[Site]) -> RangeTables<'static> {
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
        sites: Vec::leak(region_sites(sites)),
    }
}

/// A fixture region site: (cloud label, region, lat, lon, partition).
pub type Site = (&'static str, &'static str, f64, f64, &'static str);

/// Sites as the compiled table holds them (sorted by cloud, region).
pub fn region_sites(sites: &[Site]) -> Vec<RegionSite> {
    let mut out: Vec<RegionSite> = sites
        .iter()
        .map(|&(cloud, region, lat, lon, partition)| RegionSite {
            cloud: Cloud::from_label(cloud).unwrap_or_else(|| panic!("fixture cloud {cloud}")),
            region,
            lat,
            lon,
            partition,
            unverified: false,
        })
        .collect();
    out.sort_by(|a, b| (a.cloud, a.region).cmp(&(b.cloud, b.region)));
    out
}

/// The fixture tables' region sites (the cities the providers name, as in
/// ranges/regions.txt, but owned by the tests). `AWS xx-unplaced-1` is
/// deliberately missing: a region the tables route to but cannot place.
pub const SITES: &[Site] = &[
    ("AWS", "eu-west-3", 48.86, 2.35, ""),             // Paris
    ("AWS", "eu-west-2", 51.51, -0.13, ""),            // London
    ("AWS", "us-east-1", 39.04, -77.49, ""),           // Ashburn
    ("AWS", "us-east-2", 39.96, -83.0, ""),            // Columbus
    ("AWS", "us-west-2", 45.84, -119.7, ""),           // Boardman
    ("AWS", "me-south-1", 26.23, 50.59, ""),           // Manama
    ("AWS", "me-central-1", 25.2, 55.27, ""),          // Dubai
    ("AWS", "ap-southeast-3", -6.21, 106.85, ""),      // Jakarta
    ("AWS", "ap-east-1", 22.32, 114.17, ""),           // Hong Kong
    ("AWS", "ap-east-2", 25.03, 121.57, ""),           // Taipei
    ("AWS", "ap-northeast-2", 37.57, 126.98, ""),      // Seoul
    ("AWS", "cn-north-1", 39.9, 116.41, "aws-cn"),     // Beijing
    ("GCP", "europe-west1", 50.45, 3.82, ""),          // St. Ghislain
    ("GCP", "us-east4", 39.04, -77.49, ""),            // Ashburn
    ("GCP", "asia-southeast1", 1.35, 103.82, ""),      // Jurong West
    ("Azure", "australiacentral", -35.28, 149.13, ""), // Canberra
    ("Azure", "westeurope", 52.37, 4.9, ""),           // Amsterdam
    ("Azure", "northeurope", 53.35, -6.26, ""),        // Dublin
];

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
/// An AWS us-east-1 client (Ashburn: 484 km from us-east-2).
pub const AWS_US_EAST_1: &str = "100.64.2.9";
/// An AWS cn-north-1 client (Beijing, partition aws-cn).
pub const AWS_CN_NORTH_1: &str = "100.64.3.9";
/// An AWS ap-east-2 client (Taipei: 811 km from ap-east-1).
pub const AWS_AP_EAST_2: &str = "100.64.4.9";
/// An AWS client in a region [`SITES`] cannot place.
pub const AWS_UNPLACED: &str = "100.64.5.9";
/// A GCP us-east4 client.
pub const GCP_US_EAST4: &str = "100.64.6.9";
/// A GCP asia-southeast1 client.
pub const GCP_ASIA_SOUTHEAST1: &str = "100.64.7.9";
/// An Azure westeurope client.
pub const AZURE_WESTEUROPE: &str = "100.64.8.9";
/// An Azure northeurope client (Dublin: 757 km from westeurope).
pub const AZURE_NORTHEUROPE: &str = "100.64.9.9";
/// An AWS eu-west-2 client (London: 344 km from eu-west-3).
pub const AWS_EU_WEST_2: &str = "100.64.10.9";

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
    ("100.64.2.0/24", "AWS", "us-east-1"),
    ("100.64.3.0/24", "AWS", "cn-north-1"),
    ("100.64.4.0/24", "AWS", "ap-east-2"),
    ("100.64.5.0/24", "AWS", "xx-unplaced-1"),
    ("100.64.6.0/24", "GCP", "us-east4"),
    ("100.64.7.0/24", "GCP", "asia-southeast1"),
    ("100.64.8.0/24", "Azure", "westeurope"),
    ("100.64.9.0/24", "Azure", "northeurope"),
    ("100.64.10.0/24", "AWS", "eu-west-2"),
];

/// [`CLIENT_PREFIXES`], compiled once.
pub fn client_tables() -> &'static RangeTables<'static> {
    static TABLES: OnceLock<RangeTables<'static>> = OnceLock::new();
    TABLES.get_or_init(|| tables(CLIENT_PREFIXES))
}

/// The digest the tests ask about: sha256 of the empty tar stream's layer
/// used throughout (any valid sha256 digest would do).
pub const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
/// `D`'s hex, as cosign's tags spell it.
pub const D_HEX: &str = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
