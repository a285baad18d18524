//! The OCI distribution API surface the redirector understands: request
//! paths, the name/tag/digest grammars, and error bodies.

pub mod canonical;
pub mod error;
pub mod grammar;
pub mod route;

pub use canonical::canonical_path;
pub use error::OciError;
pub use route::{parse_route, Reference, Route};
