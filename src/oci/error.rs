//! OCI distribution error bodies: `{"errors":[{"code":…,"message":…}]}`.

use serde::Serialize;

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

    /// The JSON body (serde_json escapes whatever the message holds),
    /// serialised straight from borrowed fields: no JSON value tree.
    pub fn body(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            errors: [Entry<'a>; 1],
        }
        #[derive(Serialize)]
        struct Entry<'a> {
            code: &'a str,
            message: &'a str,
        }
        let body = Body {
            errors: [Entry {
                code: self.code,
                message: &self.message,
            }],
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::OciError;

    #[test]
    fn body_is_the_spec_shape_with_the_message_escaped() {
        let error = OciError::new(404, "UNSUPPORTED", "a \"quoted\"\nline");
        assert_eq!(
            error.body(),
            r#"{"errors":[{"code":"UNSUPPORTED","message":"a \"quoted\"\nline"}]}"#
        );
        let value: serde_json::Value = serde_json::from_str(&error.body()).unwrap();
        assert_eq!(value["errors"][0]["message"], "a \"quoted\"\nline");
    }
}
