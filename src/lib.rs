//! registry-edge: the registry.k8s.io redirector as an edge worker.
//!
//! The pipeline: provider data → `ranges/cloud-ranges.txt` (committed) →
//! compiled tries ([`ranges`], built by build.rs with range-tablegen) →
//! the decision ([`decision`], a pure function given the tables) → the
//! worker adapter (`src/worker`, wasm32 only).
//!
//! The pure core is plain Rust, tested natively.

pub mod blob_check;
pub mod config;
pub mod decision;
pub mod geo;
pub mod oci;
pub mod ranges;
pub mod request;
pub mod upstream_health;

// Operating it: the answer around the decision, pull sessions, the status
// page and the per-request record.
pub mod answer;
pub mod kind;
pub mod record;
pub mod sessions;
pub mod status;

pub use ranges::{Cloud, Location};

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;
