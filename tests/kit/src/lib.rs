//! Rust test support, shared by tests/*.rs, benches/ and fuzz/ as a crate
//! (a workspace crate, not files included by path attributes).
//!
//! - [`rng`]: a seeded generator and address helpers;
//! - [`fixture`]: small range tables compiled by the build's own compiler,
//!   with named client addresses;
//! - [`decision`]: a fake blob check, an executor, request and config
//!   builders, archeio's bucket table;
//! - [`invariants`]: what must hold for every decision, whatever the input;
//! - [`lookup_mix`]: the lookup benchmarks' prefixes and seeded address mix;
//! - [`table`]: the configuration and fakes of the decision tables;
//! - [`sim`]: a simulated runtime (clock, timers, background tasks, copies,
//!   Cache API) for the blob check's state machine.

pub mod decision;
pub mod fixture;
pub mod invariants;
pub mod lookup_mix;
pub mod rng;
pub mod sim;
pub mod table;

pub use decision::*;
pub use rng::{inside, last, Rng};
