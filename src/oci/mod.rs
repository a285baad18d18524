//! The OCI distribution API surface the redirector understands: the
//! name/tag/digest grammars, pull paths in canonical form, and error bodies.

pub mod canonical;
pub mod error;
pub mod grammar;
pub mod pull;

pub use error::OciError;
pub use pull::{parse_pull, Algorithm, Digest, Endpoint, Pull, Reference};
