//! Where the cloud regions are: compiled from ranges/regions.txt next to the
//! tries, so the decision can measure the distance between regions.

use crate::cloud::Cloud;

/// A cloud region's place (the city its provider names for it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionSite {
    pub cloud: Cloud,
    pub region: &'static str,
    /// Decimal degrees.
    pub lat: f64,
    pub lon: f64,
    /// The provider partition the region belongs to, when it is not the
    /// provider's standard one (AWS `aws-cn`, `aws-us-gov`, `aws-eusc`);
    /// empty for the standard partition. Copies are never shared across
    /// partitions.
    pub partition: &'static str,
    /// The provider publishes no location for it: the place is inferred or
    /// a placeholder (ranges/regions.txt says which).
    pub unverified: bool,
}

/// The site of `(cloud, region)` in `sites`, which is sorted by
/// (cloud, region) as the build writes it.
pub fn find_site<'a>(
    sites: &'a [RegionSite],
    cloud: Cloud,
    region: &str,
) -> Option<&'a RegionSite> {
    sites
        .binary_search_by(|s| (s.cloud, s.region).cmp(&(cloud, region)))
        .ok()
        .map(|i| &sites[i])
}
