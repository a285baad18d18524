//! Which cloud and region an address belongs to, answered from tables that
//! build.rs compiled from the committed range snapshot, and where those
//! regions are (ranges/regions.txt). Nothing here parses, allocates or
//! initialises at run time.

pub use range_trie::{find_site, Cloud, Location, Provenance, RangeTables, RegionSite, Trie};

mod compiled {
    include!(concat!(env!("OUT_DIR"), "/range_tables.rs"));
}

/// Data provenance of every provider compiled into the tables.
pub use compiled::PROVIDERS;

/// The tables baked in at build time. The decision takes tables as an
/// argument; the worker and the CLI pass these.
pub static TABLES: RangeTables<'static> = RangeTables {
    v4: Trie {
        words: &compiled::V4_WORDS,
        entries: &compiled::V4_ENTRIES,
    },
    v6: Trie {
        words: &compiled::V6_WORDS,
        entries: &compiled::V6_ENTRIES,
    },
    locations: &compiled::LOCATIONS,
    sites: &compiled::SITES,
};

/// Every location in the tables with the number of IPv4 and IPv6 prefixes
/// that answer it.
pub fn locations() -> impl Iterator<Item = (Location, u32, u32)> {
    compiled::LOCATIONS
        .iter()
        .zip(compiled::LOCATION_PREFIXES.iter())
        .map(|(location, (v4, v6))| (*location, *v4, *v6))
}

/// Bytes of the baked tables (both tries and the location list).
pub fn table_bytes() -> usize {
    TABLES.size_bytes() + core::mem::size_of_val(&compiled::LOCATION_PREFIXES)
}
