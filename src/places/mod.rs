//! Where things are: which cloud region an address belongs to (the range
//! tables build.rs compiled in), where each region is, and the distances
//! between places.

pub mod geo;
pub mod ranges;

pub use ranges::{Cloud, Location, RangeTables, RegionSite, TABLES};
