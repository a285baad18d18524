//! Known answers from the real provider data (the committed snapshot).

use registry_edge::places::ranges::TABLES;
use registry_edge::places::Cloud;
use std::net::IpAddr;

fn answer(ip: &str) -> Option<(Cloud, &'static str)> {
    let ip: IpAddr = ip.parse().unwrap();
    TABLES.lookup(ip).map(|l| (l.cloud, l.region))
}

#[test]
fn aws_regions() {
    assert_eq!(answer("35.180.1.1"), Some((Cloud::Aws, "eu-west-3")));
    assert_eq!(answer("52.94.76.1"), Some((Cloud::Aws, "us-west-2")));
    assert_eq!(answer("52.93.127.172"), Some((Cloud::Aws, "us-east-1")));
    assert_eq!(
        answer("2600:1f01:4874::47"),
        Some((Cloud::Aws, "us-west-2"))
    );
    assert_eq!(
        answer("2400:6500:0:9::2"),
        Some((Cloud::Aws, "ap-southeast-3"))
    );
}

#[test]
fn regional_slash_24_inside_a_global_slash_17_is_regional() {
    // 35.55.34.0/24 us-east-2 sits inside 35.55.0.0/17 GLOBAL.
    assert_eq!(answer("35.55.34.255"), Some((Cloud::Aws, "us-east-2")));
    assert_eq!(answer("35.55.34.0"), Some((Cloud::Aws, "us-east-2")));
    assert_eq!(answer("35.55.28.1"), Some((Cloud::Aws, "GLOBAL")));
}

#[test]
fn gcp_and_azure() {
    assert_eq!(answer("35.220.26.1").map(|a| a.0), Some(Cloud::Gcp));
    // 20.36.32.0/19 is published in AzureCloud.australiacentral.
    assert_eq!(
        answer("20.36.32.5"),
        Some((Cloud::Azure, "australiacentral"))
    );
}

#[test]
fn unpublished_addresses_match_nothing() {
    for ip in [
        "192.168.0.1",
        "35.250.1.1",
        "::1",
        "0.0.0.0",
        "255.255.255.255",
        "::",
    ] {
        assert_eq!(answer(ip), None, "{ip}");
    }
}

#[test]
fn ipv4_mapped_ipv6_is_looked_up_as_ipv4() {
    assert_eq!(answer("::ffff:35.180.1.1"), Some((Cloud::Aws, "eu-west-3")));
    assert_eq!(answer("::ffff:192.168.0.1"), None);
}

#[test]
fn unopened_aws_regions_are_excluded() {
    // ranges/sources.json excludes me-west-1, sa-west-1 and us-south-1.
    for (location, _, _) in registry_edge::places::ranges::locations() {
        assert!(
            !["me-west-1", "sa-west-1", "us-south-1"].contains(&location.region),
            "{location:?}"
        );
    }
}
