//! The upstream registries: where manifests go, where blobs fall back to,
//! the canonical registry of signatures, and the regions that can serve
//! upstream redirects.

use super::values::{base_url, boolean, repository_path};
use super::vars::Vars;
use crate::places::geo::Point;
use crate::places::ranges::find_site;
use crate::places::{Cloud, RegionSite};
use serde::Deserialize;

const ENDPOINT: &str = "UPSTREAM_REGISTRY_ENDPOINT";
const REGIONS: &str = "UPSTREAM_REGIONS";

/// One Artifact Registry region that can serve upstream redirects.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamRegion {
    pub name: String,
    pub endpoint: String,
    /// Where it is, for nearest-region searches.
    pub point: Point,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Upstream {
    /// `UPSTREAM_REGISTRY_ENDPOINT`: manifests and blob fallbacks when no
    /// region is chosen.
    pub endpoint: String,
    /// `UPSTREAM_REGISTRY_PATH`: the repository prefix on every upstream,
    /// e.g. `k8s-artifacts-prod/images` (no leading or trailing `/`; may be
    /// empty).
    pub path: String,
    /// `SIGNATURE_UPSTREAM_ENDPOINT`: the canonical registry of cosign
    /// signatures, attestations and referrers.
    pub signature_endpoint: Option<String>,
    /// `UPSTREAM_REGIONS`: when not empty, upstream redirects go to the
    /// region nearest the client.
    pub regions: Vec<UpstreamRegion>,
    /// `UPSTREAM_HEALTH_CHECKS`: probe the regions on a schedule and skip
    /// unhealthy ones.
    pub health_checks: bool,
    /// The region whose endpoint `endpoint` is, if any.
    pub endpoint_region: Option<String>,
    /// The region whose endpoint `signature_endpoint` is, if any.
    pub signature_region: Option<String>,
}

impl Upstream {
    pub(super) fn read(vars: &Vars<'_>, sites: &[RegionSite]) -> Upstream {
        let endpoint = vars
            .required(ENDPOINT, "https://us-central1-docker.pkg.dev", base_url)
            .unwrap_or_default();
        let regions = vars
            .get(REGIONS, |v| upstream_regions(v, sites))
            .unwrap_or_default();
        let health_checks = vars.get_or("UPSTREAM_HEALTH_CHECKS", false, |v| match boolean(v)? {
            true if regions.is_empty() => Err(format!("needs {REGIONS} to probe")),
            on => Ok(on),
        });
        let signature_endpoint = vars.get("SIGNATURE_UPSTREAM_ENDPOINT", base_url);
        let region_of = |endpoint: &str| {
            regions
                .iter()
                .find(|r| r.endpoint == endpoint)
                .map(|r| r.name.clone())
        };
        Upstream {
            path: vars.get_or("UPSTREAM_REGISTRY_PATH", String::new(), repository_path),
            endpoint_region: region_of(&endpoint),
            signature_region: signature_endpoint.as_deref().and_then(region_of),
            endpoint,
            signature_endpoint,
            regions,
            health_checks,
        }
    }
}

/// An entry as written: `{ name, endpoint, lat, lon }`, where lat and lon
/// may be left out for a GCP region that ranges/regions.txt places.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    endpoint: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

/// Parses the variable's JSON text and places every entry.
fn upstream_regions(text: &str, sites: &[RegionSite]) -> Result<Vec<UpstreamRegion>, String> {
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
        format!("expected a list of {{name, endpoint}} (lat and lon optional for GCP regions): {e}")
    })?;
    let mut checked: Vec<UpstreamRegion> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let name = entry.name.trim().to_string();
        let at = format!("entry {i} ({name:?})");
        // The name goes into reason headers and records.
        if name.is_empty()
            || name.len() > 63
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "{at}: a region name is 1 to 63 characters of a-z, 0-9 and -"
            ));
        }
        if checked.iter().any(|r| r.name == name) {
            return Err(format!("{at}: {name} is listed twice"));
        }
        let (lat, lon) = match (entry.lat, entry.lon) {
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err(format!("{at}: lat must be within ±90 and lon within ±180"));
                }
                (lat, lon)
            }
            (None, None) => match find_site(sites, Cloud::Gcp, &name) {
                Some(site) => (site.lat, site.lon),
                None => {
                    return Err(format!(
                        "{at}: no lat/lon, and {name} is not a GCP region of ranges/regions.txt"
                    ))
                }
            },
            _ => return Err(format!("{at}: give both lat and lon, or neither")),
        };
        let endpoint = base_url(entry.endpoint.trim()).map_err(|p| format!("{at}: {p}"))?;
        checked.push(UpstreamRegion {
            name,
            endpoint,
            point: Point::new(lat, lon),
        });
    }
    Ok(checked)
}
