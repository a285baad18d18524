//! Which mirror serves a client's blobs: its own region's, or else the
//! nearest mirror of the same cloud and partition within
//! `MIRROR_FALLBACK_KM` (great-circle distance between the regions' sites).
//! Explicit `BLOB_MIRRORS` keys (aliases included) always win.

use crate::config::{mirror_name, Config};
use crate::geo::{nearest, Point};
use crate::ranges::{Location, RangeTables};

/// The mirror chosen for a client.
#[derive(Clone, Debug, PartialEq)]
pub struct MirrorChoice<'c> {
    /// How the mirror's key is named (`eu-west-3`, `azure:westeurope`).
    pub name: String,
    pub base: &'c str,
    /// `None`: the client's own region has this key; otherwise the
    /// distance to the nearest mirror's region.
    pub km: Option<f64>,
}

/// The mirror for a client in `client` (placed by `tables`), if there is
/// one for it. Mirror keys were placed when the configuration was read.
pub fn mirror_for<'c>(
    config: &'c Config,
    tables: &RangeTables<'_>,
    client: Location,
) -> Option<MirrorChoice<'c>> {
    if let Some(base) = config
        .blob_mirrors
        .get(&(client.cloud, client.region.to_string()))
    {
        return Some(MirrorChoice {
            name: mirror_name(client.cloud, client.region),
            base,
            km: None,
        });
    }
    if config.mirror_fallback_km == 0 {
        return None;
    }
    let site = tables.site(client)?;
    let here = Point::new(site.lat, site.lon);
    let candidates = config
        .mirror_sites
        .iter()
        .filter(|((cloud, _), there)| *cloud == client.cloud && there.partition == site.partition)
        .map(|(key, there)| (&there.point, key));
    let ((cloud, region), km) = nearest(&here, candidates)?;
    if km > f64::from(config.mirror_fallback_km) {
        return None;
    }
    Some(MirrorChoice {
        name: mirror_name(*cloud, region),
        base: config.blob_mirrors.get(&(*cloud, region.clone()))?,
        km: Some(km),
    })
}
