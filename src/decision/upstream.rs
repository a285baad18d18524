//! Which upstream endpoint serves a request (docs/request-handling.md,
//! "Upstream selection"), in order:
//!
//! 1. a GCP client whose region is one of `UPSTREAM_REGIONS`: that region
//!    (traffic inside a GCP region is free);
//! 2. a client whose (cloud, region) the tables place: the configured region
//!    nearest that region's site (cloud addresses are often geolocated to a
//!    company's headquarters; the region is exact);
//! 3. otherwise the configured region nearest the edge's `request.cf`
//!    coordinates;
//! 4. otherwise `UPSTREAM_REGISTRY_ENDPOINT`.
//!
//! Regions the health record marks unhealthy are skipped (the nearest
//! healthy one wins), unless every region is unhealthy: then all are
//! eligible (fail open).

use crate::config::{Upstream, UpstreamRegion};
use crate::places::geo::{nearest, whole_km, Point};
use crate::places::{Cloud, Location, RangeTables};
use crate::request::{Client, Coordinates};
use std::fmt;

/// The region nearest `at`, if any are configured.
pub fn nearest_region(regions: &[UpstreamRegion], at: Coordinates) -> Option<&UpstreamRegion> {
    let here = Point::new(at.latitude, at.longitude);
    nearest(&here, regions.iter().map(|r| (&r.point, r))).map(|(r, _)| r)
}

/// Where upstream redirects of one request go, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpstreamChoice<'c> {
    pub endpoint: &'c str,
    /// The `UPSTREAM_REGIONS` entry chosen, if any.
    pub region: Option<&'c str>,
    pub basis: Basis,
    /// Configured regions skipped as unhealthy.
    pub skipped: usize,
    /// The region whose endpoint this is: the chosen one, or the one
    /// `UPSTREAM_REGISTRY_ENDPOINT` belongs to (for the record).
    pub serving_region: Option<&'c str>,
}

/// Why a region (or the default endpoint) was chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Basis {
    /// No `UPSTREAM_REGIONS`: the one upstream.
    OnlyEndpoint,
    /// A GCP client in that very region.
    ClientRegion(Location),
    /// Nearest to the site of the client's region.
    NearClientRegion(Location, f64),
    /// Nearest to the edge's coordinates (no placed region).
    NearCoordinates,
    /// Nothing known about the client: `UPSTREAM_REGISTRY_ENDPOINT`.
    Default,
}

impl fmt::Display for UpstreamChoice<'_> {
    /// `upstream us-east4 (nearest to AWS us-east-1, 0 km)` and the like,
    /// for the reason header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upstream")?;
        if let Some(region) = self.region {
            write!(f, " {region}")?;
        }
        let healthy = if self.skipped > 0 { "healthy " } else { "" };
        match self.basis {
            Basis::OnlyEndpoint => Ok(()),
            Basis::ClientRegion(_) => write!(f, " (the client's region)"),
            Basis::NearClientRegion(l, km) => {
                write!(
                    f,
                    " ({healthy}nearest to {} {}, {} km)",
                    l.cloud,
                    l.region,
                    whole_km(km)
                )
            }
            Basis::NearCoordinates => write!(f, " ({healthy}nearest to the client's location)"),
            Basis::Default => write!(f, " (client location unknown)"),
        }?;
        if self.skipped > 0 {
            write!(f, " [{} unhealthy skipped]", self.skipped)?;
        }
        Ok(())
    }
}

/// The regions upstream redirects may use: all but the unhealthy ones, or
/// all when every one is unhealthy (fail open).
fn eligible<'c>(upstream: &'c Upstream, unhealthy: &[String]) -> Vec<&'c UpstreamRegion> {
    let healthy: Vec<&UpstreamRegion> = upstream
        .regions
        .iter()
        .filter(|r| !unhealthy.contains(&r.name))
        .collect();
    if healthy.is_empty() {
        upstream.regions.iter().collect()
    } else {
        healthy
    }
}

/// The nearest of `regions` to `here` and its distance.
fn nearest_of<'c>(
    regions: &[&'c UpstreamRegion],
    here: &Point,
) -> Option<(&'c UpstreamRegion, f64)> {
    nearest(here, regions.iter().map(|r| (&r.point, *r)))
}

/// The upstream for a request from `client` (its cloud region, if the
/// tables know it, and the edge's coordinates), skipping the regions named
/// in `unhealthy`.
pub fn choose_upstream<'c>(
    upstream: &'c Upstream,
    tables: &RangeTables<'_>,
    client: &Client,
    unhealthy: &[String],
) -> UpstreamChoice<'c> {
    let default = UpstreamChoice {
        endpoint: &upstream.endpoint,
        region: None,
        basis: Basis::OnlyEndpoint,
        skipped: 0,
        serving_region: upstream.endpoint_region.as_deref(),
    };
    if upstream.regions.is_empty() {
        return default;
    }
    let regions = eligible(upstream, unhealthy);
    let skipped = upstream.regions.len() - regions.len();
    let chosen = |region: &'c UpstreamRegion, basis| UpstreamChoice {
        endpoint: &region.endpoint,
        region: Some(&region.name),
        basis,
        skipped,
        serving_region: Some(&region.name),
    };

    if let Some(location) = client.location {
        if location.cloud == Cloud::Gcp {
            if let Some(same) = regions.iter().find(|r| r.name == location.region) {
                return chosen(same, Basis::ClientRegion(location));
            }
        }
        if let Some(site) = tables.site(location) {
            let here = Point::new(site.lat, site.lon);
            if let Some((region, km)) = nearest_of(&regions, &here) {
                return chosen(region, Basis::NearClientRegion(location, km));
            }
        }
    }
    let at = client
        .coordinates
        .filter(|c| c.latitude.abs() <= 90.0 && c.longitude.abs() <= 180.0);
    if let Some(c) = at {
        let here = Point::new(c.latitude, c.longitude);
        if let Some((region, _)) = nearest_of(&regions, &here) {
            return chosen(region, Basis::NearCoordinates);
        }
    }
    // Nothing known: the default endpoint, unless it is an unhealthy
    // region's, then the first eligible region.
    let default_is_unhealthy = skipped > 0
        && upstream
            .endpoint_region
            .as_ref()
            .is_some_and(|region| unhealthy.contains(region));
    match regions.first() {
        Some(first) if default_is_unhealthy => chosen(first, Basis::Default),
        _ => UpstreamChoice {
            basis: Basis::Default,
            skipped,
            ..default
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_across_the_antimeridian() {
        let region = |name: &str, lat, lon| UpstreamRegion {
            name: name.into(),
            endpoint: format!("https://{name}"),
            point: Point::new(lat, lon),
        };
        let regions = [
            region("tokyo", 35.68, 139.69),
            region("hawaii", 21.3, -157.8),
            region("lisbon", 38.7, -9.1),
        ];
        // (25 N, 175 E) is nearer Hawaii (157.8 W) than Tokyo only when
        // distances wrap across the antimeridian.
        let at = |latitude, longitude| Coordinates {
            latitude,
            longitude,
        };
        assert_eq!(
            nearest_region(&regions, at(19.0, -170.0)).unwrap().name,
            "hawaii"
        );
        assert_eq!(
            nearest_region(&regions, at(25.0, 175.0)).unwrap().name,
            "hawaii"
        );
        assert_eq!(
            nearest_region(&regions, at(34.0, 131.0)).unwrap().name,
            "tokyo"
        );
        assert_eq!(
            nearest_region(&regions, at(40.4, -3.7)).unwrap().name,
            "lisbon"
        );
        assert!(nearest_region(&[], at(0.0, 0.0)).is_none());
    }
}
