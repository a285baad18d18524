//! `BLOB_MIRRORS` keys: `"<cloud>:<region>"` (`aws:eu-west-3`,
//! `azure:westeurope`), or a bare region, which means AWS.

use crate::geo::Point;
use crate::ranges::{find_site, Cloud, RegionSite};

/// What a mirror key names: the clients of this cloud region.
pub type MirrorKey = (Cloud, String);

/// Where a mirror key's region is: the point and partition the nearest
/// mirror search compares with the client's region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MirrorSite {
    pub point: Point,
    pub partition: &'static str,
}

/// Parses one key, checking that its region is a placed region of its
/// cloud (a typo would otherwise never match a client), and places it.
pub fn mirror_key(key: &str, sites: &[RegionSite]) -> Result<(MirrorKey, MirrorSite), String> {
    let key = key.trim();
    let (cloud, region) = match key.split_once(':') {
        None => (Cloud::Aws, key),
        Some((label, region)) => {
            let cloud = match label.to_ascii_lowercase().as_str() {
                "aws" => Cloud::Aws,
                "azure" => Cloud::Azure,
                "gcp" => {
                    return Err(format!(
                        "key {key:?}: GCP clients are served by the upstream (UPSTREAM_REGIONS), not by mirrors"
                    ))
                }
                _ => {
                    return Err(format!(
                        "key {key:?}: unknown cloud {label:?} (expected aws: or azure:, or a bare AWS region)"
                    ))
                }
            };
            (cloud, region)
        }
    };
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!("key {key:?}: {region:?} is not a region name"));
    }
    let Some(site) = find_site(sites, cloud, region) else {
        return Err(format!(
            "key {key:?}: {cloud} {region} is not a region of ranges/regions.txt"
        ));
    };
    let placed = MirrorSite {
        point: Point::new(site.lat, site.lon),
        partition: site.partition,
    };
    Ok(((cloud, region.to_string()), placed))
}

/// How a mirror is named in reasons and logs: the bare region for AWS (as
/// archeio names its buckets), `azure:<region>` for Azure.
pub fn mirror_name(cloud: Cloud, region: &str) -> String {
    match cloud {
        Cloud::Aws => region.to_string(),
        other => format!("{}:{region}", other.as_str().to_ascii_lowercase()),
    }
}
