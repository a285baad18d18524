//! The Workers version an isolate runs, as the `[version_metadata]`
//! binding (`CF_VERSION_METADATA`) gives it: the version id, the tag it was
//! uploaded with (`wrangler versions upload --tag`, the commit) and when it
//! was created. The adapter reads it once per isolate; `/_status` shows it
//! and every record and data point carries its id, so a version's answers
//! can be told apart while a deployment splits traffic.

/// One version's metadata; empty texts are absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerVersion {
    pub id: &'static str,
    pub tag: Option<&'static str>,
    pub timestamp: Option<&'static str>,
}

impl WorkerVersion {
    /// From the binding's three texts (an isolate's, so `'static`).
    pub fn new(id: &'static str, tag: &'static str, timestamp: &'static str) -> WorkerVersion {
        let present = |text: &'static str| (!text.is_empty()).then_some(text);
        WorkerVersion {
            id,
            tag: present(tag),
            timestamp: present(timestamp),
        }
    }
}
