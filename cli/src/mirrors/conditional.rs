//! Conditional completion of multipart uploads. object_store completes a
//! multipart upload unconditionally; this transport under it adds the
//! condition the sync registered for that object to the completing request
//! only: `If-None-Match: *` for a missing object (create-only, so two syncs
//! never clash), `If-Match: <ETag>` for a wrong one (replace only what was
//! audited). S3 and R2 answer 412 when the condition fails, which
//! object_store reports as a precondition error. It also counts requests.

use async_trait::async_trait;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What completing an upload of a key requires of the object there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// No object under the key.
    Absent,
    /// The object with this ETag (S3, R2, Azure) or generation (GCS).
    Matches(String),
}

/// The API family of a store: where a completion is, and how a condition
/// is said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `POST <key>?uploadId=...` (S3, R2, S3-compatible).
    S3,
    /// `POST <key>?uploadId=...` on the XML API, conditions by generation.
    Gcs,
    /// `PUT <key>?comp=blocklist`.
    Azure,
}

impl Protocol {
    /// Whether `method` and `query` are a multipart completion.
    pub fn is_completion(self, method: &str, query: &str) -> bool {
        let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
        match self {
            Protocol::S3 | Protocol::Gcs => {
                method == "POST" && has("uploadId") && !has("partNumber")
            }
            Protocol::Azure => method == "PUT" && query.split('&').any(|p| p == "comp=blocklist"),
        }
    }

    /// The header that says `condition` on a completion.
    pub fn header(self, condition: &Condition) -> (&'static str, String) {
        match (self, condition) {
            (Protocol::Gcs, Condition::Absent) => ("x-goog-if-generation-match", "0".into()),
            (Protocol::Gcs, Condition::Matches(generation)) => {
                ("x-goog-if-generation-match", generation.clone())
            }
            (_, Condition::Absent) => ("if-none-match", "*".into()),
            (_, Condition::Matches(e_tag)) => ("if-match", e_tag.clone()),
        }
    }
}

/// The conditions of uploads in flight, by object key.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    by_key: Arc<Mutex<HashMap<String, Condition>>>,
    requests: Arc<AtomicU64>,
}

impl Conditions {
    pub fn set(&self, key: &str, condition: Condition) {
        self.by_key
            .lock()
            .unwrap()
            .insert(key.to_string(), condition);
    }

    pub fn clear(&self, key: &str) {
        self.by_key.lock().unwrap().remove(key);
    }

    /// Requests sent to the store so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The condition for a request to `path` (percent-encoded), if its
    /// decoded path ends with a registered key.
    fn for_path(&self, path: &str) -> Option<Condition> {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let by_key = self.by_key.lock().unwrap();
        by_key
            .iter()
            .find(|(key, _)| {
                decoded
                    .strip_suffix(key.as_str())
                    .is_some_and(|head| head.ends_with('/'))
            })
            .map(|(_, c)| c.clone())
    }
}

/// The connector object_store builds its client with.
#[derive(Debug)]
pub struct Connector {
    pub protocol: Protocol,
    pub conditions: Conditions,
}

impl HttpConnector for Connector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Conditional {
            inner,
            protocol: self.protocol,
            conditions: self.conditions.clone(),
        }))
    }
}

#[derive(Debug)]
struct Conditional {
    inner: HttpClient,
    protocol: Protocol,
    conditions: Conditions,
}

#[async_trait]
impl HttpService for Conditional {
    async fn call(&self, mut request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.conditions.requests.fetch_add(1, Ordering::Relaxed);
        let uri = request.uri().clone();
        if self
            .protocol
            .is_completion(request.method().as_str(), uri.query().unwrap_or(""))
        {
            if let Some(condition) = self.conditions.for_path(uri.path()) {
                let (name, value) = self.protocol.header(&condition);
                if let Ok(value) = value.parse() {
                    request.headers_mut().insert(name, value);
                }
            }
        }
        self.inner.execute(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_are_told_apart_from_parts_and_other_requests() {
        assert!(Protocol::S3.is_completion("POST", "uploadId=abc"));
        assert!(!Protocol::S3.is_completion("PUT", "partNumber=1&uploadId=abc"));
        assert!(!Protocol::S3.is_completion("POST", "uploads"));
        assert!(!Protocol::S3.is_completion("DELETE", "uploadId=abc"));
        assert!(Protocol::Azure.is_completion("PUT", "comp=blocklist"));
        assert!(!Protocol::Azure.is_completion("PUT", "comp=block&blockid=x"));
    }

    #[test]
    fn conditions_are_said_as_each_store_says_them() {
        assert_eq!(
            Protocol::S3.header(&Condition::Absent),
            ("if-none-match", "*".to_string())
        );
        assert_eq!(
            Protocol::Azure.header(&Condition::Matches("\"e\"".into())),
            ("if-match", "\"e\"".to_string())
        );
        assert_eq!(
            Protocol::Gcs.header(&Condition::Absent),
            ("x-goog-if-generation-match", "0".to_string())
        );
    }

    #[test]
    fn a_condition_applies_to_its_key_only() {
        let conditions = Conditions::default();
        let key = "containers/images/sha256:ab";
        conditions.set(key, Condition::Absent);
        assert_eq!(
            conditions.for_path("/bucket/containers/images/sha256%3Aab"),
            Some(Condition::Absent)
        );
        assert_eq!(
            conditions.for_path("/containers/images/sha256:ab"),
            Some(Condition::Absent)
        );
        assert_eq!(
            conditions.for_path("/bucket/xcontainers/images/sha256:ab"),
            None
        );
        assert_eq!(
            conditions.for_path("/bucket/containers/images/sha256:abc"),
            None
        );
        conditions.clear(key);
        assert_eq!(
            conditions.for_path("/bucket/containers/images/sha256:ab"),
            None
        );
    }
}
