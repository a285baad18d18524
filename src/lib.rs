//! registry-edge: the registry.k8s.io redirector as an edge worker.
//!
//! The layers, each using only those above it (docs/request-handling.md
//! says what a request goes through):
//!
//! - [`oci`]: the OCI distribution grammar (names, tags, digests, pull
//!   paths, error bodies);
//! - [`places`]: where addresses and regions are (the range tables build.rs
//!   compiled from the committed snapshot) and the distances between them;
//! - [`request`]: one request, read once into typed values;
//! - [`checks`]: the platform-free cores of the blob existence check, of
//!   the upstream health record and of the known-repositories list;
//! - [`config`]: the worker's variables, in typed groups;
//! - [`decision`]: the redirect decision, a pure function, and the facts it
//!   carries;
//! - [`serving`]: the answer around the decision (rate limits, pull
//!   sessions, the status page), its HTTP reply and its record;
//! - `worker` (wasm32 only): the Workers adapter, which reads requests and
//!   bindings, performs the checks' I/O and writes replies and records.
//!
//! Everything but the adapter is plain Rust, tested natively.

pub mod checks;
pub mod config;
pub mod decision;
pub mod oci;
pub mod places;
pub mod request;
pub mod serving;

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;
