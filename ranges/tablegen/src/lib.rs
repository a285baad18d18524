//! The build-time half of the range tables.
//!
//! ```text
//! provider files --(providers, resolve)--> Snapshot --(snapshot)--> ranges/cloud-ranges.txt
//! ranges/cloud-ranges.txt --(snapshot, layout, compile, emit)--> OUT_DIR/range_tables.rs
//! ranges/regions.txt --(regions: every snapshot region placed)--> the same file's SITES
//! ```
//!
//! The first line is `make ranges` (the refresh tool, with the `providers`
//! feature); the second is build.rs ([`build_script::generate`]), which
//! reads only the committed snapshot. Nothing here reaches the wasm.

pub mod build_script;
pub mod compile;
pub mod emit;
pub mod entry;
pub mod layout;
pub mod regions;
pub mod snapshot;
pub mod strides;

#[cfg(feature = "providers")]
pub mod manifest;
#[cfg(feature = "providers")]
pub mod providers;
#[cfg(feature = "providers")]
pub mod resolve;

pub use entry::{Entry, Prefix};
pub use range_trie::Cloud;
pub use regions::RegionFile;
pub use snapshot::{ProviderInfo, Snapshot};
