//! Decisions as plain HTTP answers (status, headers, body).

use super::{Decision, REASON_HEADER};
use crate::config::ConfigError;
use crate::oci::OciError;

/// What the worker adapter sends back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

const JSON: &str = "application/json; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    fn oci(error: &OciError) -> Reply {
        Reply {
            status: error.status,
            headers: vec![("Content-Type", JSON.into())],
            body: error.body(),
        }
    }

    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", TEXT.into())],
            body: format!("{body}\n"),
        }
    }
}

impl Decision {
    pub fn reply(&self) -> Reply {
        match self {
            Decision::Redirect {
                status, location, ..
            } => Reply {
                status: *status,
                headers: vec![
                    ("Location", location.clone()),
                    (REASON_HEADER, self.reason()),
                ],
                body: String::new(),
            },
            Decision::ApiVersion => Reply {
                status: 200,
                headers: vec![("Docker-Distribution-Api-Version", "registry/2.0".into())],
                body: String::new(),
            },
            Decision::MethodNotAllowed { oci } => {
                let mut reply = if *oci {
                    Reply::oci(&OciError::new(
                        405,
                        "UNSUPPORTED",
                        "only GET and HEAD are allowed",
                    ))
                } else {
                    Reply::text(405, "Only GET and HEAD are allowed.")
                };
                reply.headers.push(("Allow", "GET, HEAD".into()));
                reply
            }
            Decision::NotFound => Reply::text(404, "404 page not found"),
            Decision::BadRequest(reason) => Reply::text(400, reason),
            Decision::Oci(error) => Reply::oci(error),
        }
    }
}

impl ConfigError {
    /// 500 naming the variable and the problem: the deployment is broken,
    /// and whoever looks at the response should learn why.
    pub fn reply(&self) -> Reply {
        let body = serde_json::json!({
            "errors": [{ "code": "CONFIGURATION", "message": format!("invalid configuration: {self}") }]
        });
        Reply {
            status: 500,
            headers: vec![("Content-Type", JSON.into())],
            body: body.to_string(),
        }
    }
}
