//! Both tries of one data set and the locations their entries number.

use crate::cloud::Cloud;
use crate::site::{find_site, RegionSite};
use crate::trie::Trie;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A cloud region, as named by its provider (`GLOBAL` for AWS's global
/// prefixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub cloud: Cloud,
    pub region: &'static str,
}

/// Where one provider's data came from, as recorded in the snapshot header.
#[derive(Debug)]
pub struct Provenance {
    pub cloud: Cloud,
    /// Where the provider publishes it.
    pub url: &'static str,
    /// syncToken (AWS, GCP) or changeNumber (Azure).
    pub sync_token: &'static str,
    /// createDate (AWS) or creationTime (GCP); empty for Azure.
    pub created: &'static str,
    /// Entries in the provider's file, before dedupe and exclusion.
    pub published_entries: u32,
    /// Entries dropped because of `exclude_regions`.
    pub excluded_entries: u32,
    pub exclude_regions: &'static [&'static str],
    /// Distinct (prefix, region) pairs kept from this provider.
    pub v4_prefixes: u32,
    pub v6_prefixes: u32,
}

/// A lookup structure: one trie per address family and the locations their
/// entries number. The worker uses the tables compiled at build time; tests
/// build small ones from fixtures with the same compiler.
#[derive(Clone, Copy, Debug)]
pub struct RangeTables<'a> {
    pub v4: Trie<'a>,
    pub v6: Trie<'a>,
    /// Entry `n` of a trie means `locations[n - 1]`; 0 means no match.
    pub locations: &'a [Location],
    /// Where the regions are, sorted by (cloud, region) (see [`find_site`]).
    pub sites: &'a [RegionSite],
}

impl RangeTables<'_> {
    /// The location of the longest published prefix containing `ip`.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<Location> {
        match ip {
            IpAddr::V4(v4) => self.lookup_v4(v4),
            IpAddr::V6(v6) => self.lookup_v6(v6),
        }
    }

    #[inline(always)]
    pub fn lookup_v4(&self, ip: Ipv4Addr) -> Option<Location> {
        self.location(self.v4.lookup(u32::from(ip)))
    }

    /// IPv4-mapped addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    // Always inlined: a call and an `Option<Location>` returned through
    // memory cost as much as a trie step. The mapped case stays out of line
    // so the inlined body holds one trie walk.
    #[inline(always)]
    pub fn lookup_v6(&self, ip: Ipv6Addr) -> Option<Location> {
        let bits = u128::from(ip);
        // `ip.to_ipv4_mapped()`, as one comparison.
        if bits >> 32 == 0xffff {
            return self.lookup_mapped(bits as u32);
        }
        self.location(self.v6.lookup(bits))
    }

    #[inline(never)]
    fn lookup_mapped(&self, v4: u32) -> Option<Location> {
        self.lookup_v4(Ipv4Addr::from(v4))
    }

    #[inline(always)]
    fn location(&self, number: u16) -> Option<Location> {
        let index = usize::from(number).checked_sub(1)?;
        self.locations.get(index).copied()
    }

    /// Bytes of both tries and the location list.
    pub fn size_bytes(&self) -> usize {
        self.v4.size_bytes() + self.v6.size_bytes() + core::mem::size_of_val(self.locations)
    }
}

impl<'a> RangeTables<'a> {
    /// Where `location`'s region is, if the sites know it (AWS `GLOBAL` and
    /// GCP `global` are nowhere).
    pub fn site(&self, location: Location) -> Option<&'a RegionSite> {
        find_site(self.sites, location.cloud, location.region)
    }
}
