//! The copies of blobs near clients: mirror buckets by cloud region
//! (`BLOB_MIRRORS`), the default CDN, and how far a client may be sent to
//! the nearest mirror of its cloud.

use super::values::{base_url, number};
use super::vars::Vars;
use crate::places::geo::Point;
use crate::places::ranges::find_site;
use crate::places::{Cloud, RegionSite};
use std::collections::BTreeMap;
use std::fmt;

const MIRRORS: &str = "BLOB_MIRRORS";

pub const DEFAULT_MIRROR_FALLBACK_KM: u32 = 2000;
/// Half the Earth's circumference, rounded up: no two places are further apart.
pub const MAX_MIRROR_FALLBACK_KM: u32 = 20_040;

/// What a mirror key names: the clients of this cloud region.
pub type MirrorKey = (Cloud, String);

/// One mirror bucket, and where its key's region is.
#[derive(Clone, Debug, PartialEq)]
pub struct Mirror {
    pub base: String,
    /// The point the nearest mirror search measures from.
    pub point: Point,
    /// The key region's partition: mirrors serve their own partition only.
    pub partition: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mirrors {
    /// `BLOB_MIRRORS`: (cloud, region) -> mirror (aliases are more keys,
    /// same base URL).
    pub by_region: BTreeMap<MirrorKey, Mirror>,
    /// `DEFAULT_BLOB_BASE_URL`: the CDN for blobs of other clients.
    pub default_blob_base: Option<String>,
    /// `MIRROR_FALLBACK_KM`: a client whose region has no mirror goes to
    /// the nearest mirror of its cloud and partition within this distance;
    /// 0 turns it off.
    pub fallback_km: u32,
}

impl Mirrors {
    pub(super) fn read(vars: &Vars<'_>, sites: &[RegionSite]) -> Mirrors {
        Mirrors {
            by_region: vars.get(MIRRORS, |v| mirrors(v, sites)).unwrap_or_default(),
            default_blob_base: vars.get("DEFAULT_BLOB_BASE_URL", base_url),
            fallback_km: vars.get_or("MIRROR_FALLBACK_KM", DEFAULT_MIRROR_FALLBACK_KM, |v| {
                number(v, 0..=MAX_MIRROR_FALLBACK_KM)
            }),
        }
    }
}

/// The table `"<cloud>:<region>" = "base URL"`.
fn mirrors(text: &str, sites: &[RegionSite]) -> Result<BTreeMap<MirrorKey, Mirror>, String> {
    let raw: BTreeMap<String, String> = serde_json::from_str(text)
        .map_err(|e| format!("expected a table of \"<cloud>:<region>\" = \"base URL\": {e}"))?;
    let mut mirrors = BTreeMap::new();
    for (key, url) in raw {
        let (parsed, site) = mirror_key(&key, sites)?;
        let base = base_url(url.trim()).map_err(|p| format!("key {key:?}: {p}"))?;
        let mirror = Mirror {
            base,
            point: Point::new(site.lat, site.lon),
            partition: site.partition,
        };
        if mirrors.insert(parsed, mirror).is_some() {
            return Err(format!("key {key:?} names a region given twice"));
        }
    }
    Ok(mirrors)
}

/// Parses one key (`aws:eu-west-3`, `azure:westeurope`, or a bare region,
/// which means AWS), checking that its region is a placed region of its
/// cloud (a typo would otherwise never match a client).
fn mirror_key<'s>(
    key: &str,
    sites: &'s [RegionSite],
) -> Result<(MirrorKey, &'s RegionSite), String> {
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
    Ok(((cloud, region.to_string()), site))
}

/// How a mirror is named in reasons, records and the status page: the bare
/// region for AWS (as archeio names its buckets), `azure:<region>` for Azure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MirrorName<'c> {
    pub cloud: Cloud,
    pub region: &'c str,
}

impl<'c> MirrorName<'c> {
    pub fn of(key: &'c MirrorKey) -> Self {
        MirrorName {
            cloud: key.0,
            region: &key.1,
        }
    }
}

impl fmt::Display for MirrorName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cloud {
            Cloud::Aws => f.write_str(self.region),
            other => write!(f, "{}:{}", other.as_str().to_ascii_lowercase(), self.region),
        }
    }
}
