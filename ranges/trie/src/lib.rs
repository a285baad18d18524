//! The range tables as the worker reads them: the [`Cloud`] type, the trie
//! layout and its longest-prefix lookup, and [`RangeTables`] (both tries
//! plus the locations their entries number, and where those regions are).
//!
//! No dependencies and no allocation: the runtime uses it on static arrays
//! compiled at build time, and `range-tablegen` uses the same layout
//! constants to write those arrays.

#![no_std]

mod cloud;
mod site;
mod tables;
pub mod trie;

pub use cloud::Cloud;
pub use site::{find_site, RegionSite};
pub use tables::{Location, Provenance, RangeTables};
pub use trie::Trie;
