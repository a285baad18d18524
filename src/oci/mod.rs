//! The OCI distribution API surface the redirector understands: request
//! paths, the name/tag/digest grammars, and error bodies.

pub mod error;
pub mod grammar;
pub mod route;

pub use error::OciError;
pub use route::{parse_route, Reference, Route};
