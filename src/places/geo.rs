//! Great-circle geometry for choosing the nearest region: haversine
//! distances for what is reported, unit vectors for fast comparisons
//! (the nearest of many points is the one with the largest dot product, so
//! a search costs no trigonometry beyond placing the query point).

/// Mean Earth radius.
pub const EARTH_RADIUS_KM: f64 = 6371.0;

/// Haversine distance between two points given in degrees.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Kilometres as a whole number, for reasons and logs (integer formatting
/// keeps core's float formatting out of the wasm).
pub fn whole_km(km: f64) -> u32 {
    km.round() as u32
}

/// A place on the globe, with its unit vector computed once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
    xyz: [f64; 3],
}

impl Point {
    /// `lat`/`lon` in degrees.
    pub fn new(lat: f64, lon: f64) -> Point {
        let (lat_r, lon_r) = (lat.to_radians(), lon.to_radians());
        Point {
            lat,
            lon,
            xyz: [
                lat_r.cos() * lon_r.cos(),
                lat_r.cos() * lon_r.sin(),
                lat_r.sin(),
            ],
        }
    }

    /// Larger is nearer: the cosine of the angle between the two points
    /// (NaN if either is not a place).
    pub fn closeness(&self, other: &Point) -> f64 {
        self.xyz[0] * other.xyz[0] + self.xyz[1] * other.xyz[1] + self.xyz[2] * other.xyz[2]
    }

    pub fn km_to(&self, other: &Point) -> f64 {
        distance_km((self.lat, self.lon), (other.lat, other.lon))
    }
}

/// The nearest of `items` to `here` (the first of equally near ones) and
/// its distance; items whose point is not a place are skipped.
pub fn nearest<'a, T>(
    here: &Point,
    items: impl IntoIterator<Item = (&'a Point, T)>,
) -> Option<(T, f64)> {
    let mut best: Option<(&Point, T, f64)> = None;
    for (point, item) in items {
        let c = here.closeness(point);
        if c.is_nan() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, b)| c > *b) {
            best = Some((point, item, c));
        }
    }
    best.map(|(point, item, _)| (item, here.km_to(point)))
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
    fn closeness_orders_like_distance() {
        let here = Point::new(25.0, 175.0);
        let places = [
            Point::new(35.68, 139.69),
            Point::new(21.3, -157.8),
            Point::new(38.7, -9.1),
            Point::new(-33.87, 151.21),
        ];
        let mut by_closeness: Vec<usize> = (0..places.len()).collect();
        by_closeness.sort_by(|&a, &b| {
            here.closeness(&places[b])
                .total_cmp(&here.closeness(&places[a]))
        });
        let mut by_km: Vec<usize> = (0..places.len()).collect();
        by_km.sort_by(|&a, &b| here.km_to(&places[a]).total_cmp(&here.km_to(&places[b])));
        assert_eq!(by_closeness, by_km);
        let (index, km) = nearest(&here, places.iter().zip(0..)).unwrap();
        assert_eq!(index, 1, "Hawaii, across the antimeridian");
        assert_eq!(km, here.km_to(&places[1]));
        // Ties: the first wins; NaN points are skipped.
        let twice = [
            Point::new(1.0, 1.0),
            Point::new(1.0, 1.0),
            Point::new(f64::NAN, 0.0),
        ];
        assert_eq!(
            nearest(&Point::new(0.0, 0.0), twice.iter().zip(0..))
                .unwrap()
                .0,
            0
        );
        assert_eq!(
            nearest(&Point::new(f64::NAN, 0.0), twice.iter().zip(0..)),
            None
        );
    }
}
