//! The committed region locations (ranges/regions.txt) as compiled: every
//! region the range tables route to is placed (the build checks it too),
//! the partitions are the AWS SDKs', and the sites can be searched.

use registry_edge::places::ranges::{find_site, Cloud, TABLES};

fn regions_file() -> range_tablegen::RegionFile {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ranges/regions.txt");
    range_tablegen::RegionFile::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_routed_region_is_placed_except_the_global_ones() {
    let mut unplaced = Vec::new();
    for location in TABLES.locations {
        match TABLES.site(*location) {
            Some(site) => {
                assert_eq!((site.cloud, site.region), (location.cloud, location.region));
                assert!(site.lat.abs() <= 90.0 && site.lon.abs() <= 180.0);
            }
            None => unplaced.push(format!("{} {}", location.cloud, location.region)),
        }
    }
    assert_eq!(unplaced, ["AWS GLOBAL", "GCP global"]);
    let file = regions_file();
    let nowhere: Vec<String> = file
        .regions
        .iter()
        .filter(|r| r.place.is_none())
        .map(|r| format!("{} {}", r.cloud, r.region))
        .collect();
    assert_eq!(nowhere, ["AWS GLOBAL", "GCP global"]);
    assert_eq!(file.sources.len(), 3, "a source per cloud");
}

#[test]
fn aws_partitions_follow_the_sdk_region_patterns() {
    for site in TABLES.sites.iter().filter(|s| s.cloud == Cloud::Aws) {
        let want = if site.region.starts_with("cn-") {
            "aws-cn"
        } else if site.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else if site.region.starts_with("eusc-") {
            "aws-eusc"
        } else {
            ""
        };
        assert_eq!(site.partition, want, "AWS {}", site.region);
    }
    assert!(TABLES
        .sites
        .iter()
        .filter(|s| s.cloud != Cloud::Aws)
        .all(|s| s.partition.is_empty()));
}

#[test]
fn sites_are_sorted_and_found() {
    assert!(TABLES
        .sites
        .windows(2)
        .all(|w| (w[0].cloud, w[0].region) < (w[1].cloud, w[1].region)));
    for site in TABLES.sites {
        assert_eq!(find_site(TABLES.sites, site.cloud, site.region), Some(site));
    }
    assert_eq!(find_site(TABLES.sites, Cloud::Gcp, "eu-west-3"), None);
    let paris = find_site(TABLES.sites, Cloud::Aws, "eu-west-3").unwrap();
    assert_eq!((paris.lat, paris.lon), (48.86, 2.35));
}
