//! registry-edge: the registry.k8s.io redirector as an edge worker.
//!
//! The pure core (range lookup, request parsing, the redirect decision) is
//! plain Rust, tested natively; the worker adapter exists only on wasm32.

pub mod cloud;
pub mod config;
pub mod decision;
pub mod existence_cache;
pub mod oci;
pub mod ranges;
pub mod request;
pub mod trie;

pub use ranges::{lookup, Cloud, Location};

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;
