//! Which mirror serves a client's blobs: its own region's, or else the
//! nearest mirror of the same cloud and partition within
//! `MIRROR_FALLBACK_KM` (great-circle distance between the regions' sites).
//! Explicit `BLOB_MIRRORS` keys (aliases included) always win.

use crate::config::{BlobCopy, MirrorName, Mirrors};
use crate::places::geo::{nearest, Point};
use crate::places::{Location, RangeTables};

/// The mirror chosen for a client.
#[derive(Clone, Debug, PartialEq)]
pub struct MirrorChoice<'c> {
    /// The mirror's key (`eu-west-3`, `azure:westeurope`).
    pub name: MirrorName<'c>,
    pub copy: &'c BlobCopy,
    /// `None`: the client's own region has this key; otherwise the
    /// distance to the nearest mirror's region.
    pub km: Option<f64>,
}

/// The mirror for a client in `client` (placed by `tables`), if there is
/// one for it. Mirror keys were placed when the configuration was read.
pub fn mirror_for<'c>(
    mirrors: &'c Mirrors,
    tables: &RangeTables<'_>,
    client: Location,
) -> Option<MirrorChoice<'c>> {
    if let Some((key, mirror)) = mirrors
        .by_region
        .get_key_value(&(client.cloud, client.region.to_string()))
    {
        return Some(MirrorChoice {
            name: MirrorName::of(key),
            copy: &mirror.copy,
            km: None,
        });
    }
    if mirrors.fallback_km == 0 {
        return None;
    }
    let site = tables.site(client)?;
    let here = Point::new(site.lat, site.lon);
    let candidates = mirrors
        .by_region
        .iter()
        .filter(|((cloud, _), there)| *cloud == client.cloud && there.partition == site.partition)
        .map(|(key, there)| (&there.point, (key, there)));
    let ((key, mirror), km) = nearest(&here, candidates)?;
    if km > f64::from(mirrors.fallback_km) {
        return None;
    }
    Some(MirrorChoice {
        name: MirrorName::of(key),
        copy: &mirror.copy,
        km: Some(km),
    })
}
