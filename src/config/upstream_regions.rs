//! `UPSTREAM_REGIONS` entries: `{ name, endpoint, lat, lon }`, where lat
//! and lon may be left out for a GCP region that ranges/regions.txt places.

use super::{base_url, UpstreamRegion};
use crate::ranges::find_site;
use crate::ranges::{Cloud, RegionSite};
use serde::Deserialize;

/// An entry as written (coordinates optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    endpoint: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

/// Parses the variable's JSON text and places every entry.
pub fn upstream_regions(text: &str, sites: &[RegionSite]) -> Result<Vec<UpstreamRegion>, String> {
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
        format!("expected a list of {{name, endpoint}} (lat and lon optional for GCP regions): {e}")
    })?;
    let mut checked: Vec<UpstreamRegion> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let name = entry.name.trim().to_string();
        let at = format!("entry {i} ({name:?})");
        if name.is_empty() {
            return Err(format!("{at}: name is empty"));
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
        checked.push(UpstreamRegion::new(name, endpoint, lat, lon));
    }
    Ok(checked)
}
