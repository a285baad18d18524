//! One published prefix and the location it answers.

use ipnet::IpNet;
use range_trie::Cloud;

/// A prefix with the (cloud, region) it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub net: IpNet,
    pub cloud: Cloud,
    pub region: String,
}

/// A prefix as a left-aligned bit string: IPv4 uses the low 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    pub addr: u128,
    pub len: u8,
}

impl Prefix {
    pub fn of(net: &IpNet) -> Prefix {
        match net {
            IpNet::V4(n) => Prefix {
                addr: u32::from(n.network()).into(),
                len: n.prefix_len(),
            },
            IpNet::V6(n) => Prefix {
                addr: u128::from(n.network()),
                len: n.prefix_len(),
            },
        }
    }
}
