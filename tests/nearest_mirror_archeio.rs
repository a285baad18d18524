//! archeio's hand-written bucket aliases against the automatic nearest
//! mirror, on the real data: the compiled range tables, the compiled region
//! sites (ranges/regions.txt) and archeio's bucket table.
//!
//! archeio (cmd/archeio/internal/app/buckets.go) aliases four AWS regions
//! without a bucket: ap-east-2 (Taipei) and both China regions to ap-east-1
//! (Hong Kong), me-south-1 (Bahrain) to me-central-1 (UAE). With the
//! aliases taken out, the automatic choice reproduces two of them. It does
//! not reproduce the China ones, for two reasons this test pins down:
//! - cn-north-1 and cn-northwest-1 are the aws-cn partition, and a mirror
//!   is never chosen across a partition boundary;
//! - geography alone would not pick Hong Kong either: Beijing is 952 km
//!   from Seoul (ap-northeast-2) and 1,966 km from Hong Kong. archeio's
//!   comment calls the China -> Hong Kong mapping a deliberate choice.
//!
//! So production keeps the two China aliases explicit in BLOB_MIRRORS
//! (explicit keys win), and drops the two the distance reproduces.

use registry_edge::config::Config;
use registry_edge::places::geo::distance_km;
use registry_edge::places::ranges::{find_site, Cloud, TABLES};
use registry_edge_testkit::fixture::D;
use registry_edge_testkit::*;
use std::net::IpAddr;

const CDN: &str = "https://d1be1w964nk82h.cloudfront.net";
const ALIASES: [(&str, &str); 4] = [
    ("ap-east-2", "ap-east-1"),
    ("me-south-1", "me-central-1"),
    ("cn-north-1", "ap-east-1"),
    ("cn-northwest-1", "ap-east-1"),
];

fn bucket(region: &str) -> &'static str {
    ARCHEIO_BUCKETS
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, url)| *url)
        .unwrap_or_else(|| panic!("no bucket for {region}"))
}

/// archeio's table, without the alias keys when `aliases` is false.
fn archeio_config(aliases: bool) -> Config {
    let map: serde_json::Map<String, serde_json::Value> = ARCHEIO_BUCKETS
        .iter()
        .filter(|(region, _)| aliases || !ALIASES.iter().any(|(a, _)| a == region))
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    let mirrors = serde_json::Value::Object(map).to_string();
    config(&[
        (
            "UPSTREAM_REGISTRY_ENDPOINT",
            "https://us-central1-docker.pkg.dev",
        ),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        ("BLOB_MIRRORS", &mirrors),
    ])
}

/// A real address of an AWS region: the first prefix of the committed
/// snapshot that the compiled tables answer with that region.
fn client_in(region: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ranges/cloud-ranges.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let snapshot = range_tablegen::Snapshot::parse(path, &text).unwrap();
    snapshot
        .entries
        .iter()
        .filter(|e| e.cloud == Cloud::Aws && e.region == region)
        .map(|e| e.net.network())
        .find(|ip: &IpAddr| TABLES.lookup(*ip).is_some_and(|l| l.region == region))
        .unwrap_or_else(|| panic!("no address of AWS {region} in the snapshot"))
        .to_string()
}

fn blob_location(cfg: &Config, client: &str) -> String {
    // Every copy has the blob: where it goes is the choice of copy alone.
    let everything: Vec<String> = ARCHEIO_BUCKETS
        .iter()
        .map(|(_, base)| format!("{base}/containers/images/{D}"))
        .chain([format!("{CDN}/containers/images/{D}")])
        .collect();
    let blobs = FakeBlobs::with(&everything.iter().map(String::as_str).collect::<Vec<_>>());
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(client)
        .decide_with(&TABLES, cfg, &blobs);
    d.location().expect("a redirect").to_string()
}

#[test]
fn without_its_aliases_archeio_s_table_reproduces_the_two_aliases_in_the_aws_partition() {
    let cfg = archeio_config(false);
    for (region, target) in ALIASES {
        let got = blob_location(&cfg, &client_in(region));
        let want = if region.starts_with("cn-") {
            // aws-cn: no automatic mirror, archeio's default URL.
            format!("{CDN}/containers/images/{D}")
        } else {
            format!("{}/containers/images/{D}", bucket(target))
        };
        assert_eq!(got, want, "AWS {region}");
    }
}

#[test]
fn with_its_aliases_archeio_s_table_routes_every_alias_as_archeio_does() {
    let cfg = archeio_config(true);
    for (region, target) in ALIASES {
        assert_eq!(
            blob_location(&cfg, &client_in(region)),
            format!("{}/containers/images/{D}", bucket(target)),
            "AWS {region}"
        );
    }
}

#[test]
fn by_distance_alone_beijing_is_nearest_seoul_not_hong_kong() {
    let km = |a: &str, b: &str| {
        let (a, b) = (
            find_site(TABLES.sites, Cloud::Aws, a).unwrap(),
            find_site(TABLES.sites, Cloud::Aws, b).unwrap(),
        );
        distance_km((a.lat, a.lon), (b.lat, b.lon)).round()
    };
    let nearest_bucket = |from: &str| {
        ARCHEIO_BUCKETS
            .iter()
            .filter(|(r, _)| !ALIASES.iter().any(|(a, _)| a == r))
            .map(|(r, _)| (km(from, r), *r))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap()
    };
    assert_eq!(nearest_bucket("cn-north-1"), (952.0, "ap-northeast-2"));
    assert_eq!(km("cn-north-1", "ap-east-1"), 1966.0);
    // Ningxia is a near tie, decided by where in Ningxia the region is.
    assert_eq!(nearest_bucket("cn-northwest-1"), (1895.0, "ap-east-1"));
    assert_eq!(km("cn-northwest-1", "ap-northeast-2"), 1916.0);
    assert_eq!(nearest_bucket("ap-east-2"), (811.0, "ap-east-1"));
    assert_eq!(nearest_bucket("me-south-1"), (483.0, "me-central-1"));
    // The partition, not the distance, keeps China on its explicit aliases.
    for region in ["cn-north-1", "cn-northwest-1"] {
        assert_eq!(
            find_site(TABLES.sites, Cloud::Aws, region)
                .unwrap()
                .partition,
            "aws-cn"
        );
    }
}

#[test]
fn other_partitions_keep_archeio_s_default() {
    // GovCloud and the European Sovereign Cloud have no bucket; archeio
    // sends them to its default URL, and so does the partition rule (their
    // sites are 0 and 423 km from us-east-2 and eu-central-1 buckets).
    let cfg = archeio_config(true);
    for region in ["us-gov-east-1", "us-gov-west-1", "eusc-de-east-1"] {
        assert_eq!(
            blob_location(&cfg, &client_in(region)),
            format!("{CDN}/containers/images/{D}"),
            "AWS {region}"
        );
    }
}
