//! Which upstream endpoint serves a request: the configured region nearest
//! the client (great-circle distance), else UPSTREAM_REGISTRY_ENDPOINT.

use crate::config::{Config, UpstreamRegion};
use crate::request::Coordinates;

/// Mean Earth radius; only relative distances matter.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Haversine distance between two points given in degrees.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The region nearest `at`, if any are configured.
pub fn nearest_region(regions: &[UpstreamRegion], at: Coordinates) -> Option<&UpstreamRegion> {
    let here = (at.latitude, at.longitude);
    regions
        .iter()
        .map(|r| (distance_km(here, (r.lat, r.lon)), r))
        .filter(|(d, _)| d.is_finite())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r)
}

/// The endpoint for upstream redirects of a request from `at`.
pub fn upstream_endpoint(config: &Config, at: Option<Coordinates>) -> &str {
    at.and_then(|c| nearest_region(&config.upstream_regions, c))
        .map_or(&config.upstream_registry_endpoint, |r| &r.endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // London - Paris is about 344 km; antipodes about half the circumference.
        let d = distance_km((51.5074, -0.1278), (48.8566, 2.3522));
        assert!((d - 344.0).abs() < 5.0, "{d}");
        let d = distance_km((0.0, 0.0), (0.0, 180.0));
        assert!((d - 20_015.0).abs() < 10.0, "{d}");
        assert_eq!(distance_km((10.0, 10.0), (10.0, 10.0)), 0.0);
    }

    #[test]
    fn nearest_across_the_antimeridian() {
        let region = |name: &str, lat, lon| UpstreamRegion {
            name: name.into(),
            endpoint: format!("https://{name}"),
            lat,
            lon,
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
