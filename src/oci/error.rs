//! OCI distribution error bodies: `{"errors":[{"code":…,"message":…}]}`.

/// An error answered on a `/v2/` path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciError {
    pub status: u16,
    /// One of the spec's error codes (distribution-spec "Error Codes").
    pub code: &'static str,
    pub message: String,
}

impl OciError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        OciError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The JSON body (serde_json escapes whatever the message holds).
    pub fn body(&self) -> String {
        serde_json::json!({ "errors": [{ "code": self.code, "message": self.message }] })
            .to_string()
    }
}
