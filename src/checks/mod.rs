//! The platform-free cores of what the worker checks: whether a copy holds
//! an object ([`blob`]) and which upstream regions are healthy
//! ([`upstream_health`]). The worker adapter supplies their I/O; both are
//! tested natively with time passed in.

pub mod blob;
pub mod upstream_health;
