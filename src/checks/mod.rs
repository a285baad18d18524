//! The platform-free cores of what the worker checks and learns at run
//! time: whether a copy holds an object ([`blob`]), which upstream regions
//! are healthy ([`upstream_health`]) and which repositories the upstream
//! has ([`known_repositories`]). The worker adapter supplies their I/O;
//! all are tested natively with time passed in.

pub mod blob;
pub mod known_repositories;
pub mod upstream_health;
