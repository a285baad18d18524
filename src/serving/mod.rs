//! Serving a request: the answer around the redirect decision (rate limits,
//! pull sessions, the status page), its HTTP reply, and its record.

pub mod answer;
pub mod dates;
pub mod freshness;
pub mod rate_limit;
pub mod record;
pub mod reply;
pub mod sampling;
pub mod sessions;
pub mod status;
pub mod worker_version;

pub use answer::{answer, Answer, Conditions};
pub use reply::Reply;
