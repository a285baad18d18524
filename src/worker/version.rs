//! The `[version_metadata]` binding (`CF_VERSION_METADATA`), read through
//! workers-rs once per isolate: an isolate runs one version, so its
//! requests share what the first one read.

use crate::serving::worker_version::WorkerVersion;
use std::sync::OnceLock;
use worker::{Env, WorkerVersionMetadata};

pub const VERSION_BINDING: &str = "CF_VERSION_METADATA";

static VERSION: OnceLock<Option<WorkerVersion>> = OnceLock::new();

/// The version this isolate runs, or `None` without the binding.
pub fn current(env: &Env) -> Option<&'static WorkerVersion> {
    VERSION
        .get_or_init(|| {
            let metadata = env
                .get_binding::<WorkerVersionMetadata>(VERSION_BINDING)
                .ok()?;
            // Leaked once per isolate, so that records and the status page
            // borrow the texts for as long as the isolate lives.
            let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
            Some(WorkerVersion::new(
                leak(metadata.id()),
                leak(metadata.tag()),
                leak(metadata.timestamp()),
            ))
        })
        .as_ref()
}
