//! Answers as plain HTTP replies (status, headers, body), Cache-Control
//! chosen from the decision's facts.

use crate::config::ConfigError;
use crate::decision::{Decision, REASON_HEADER};
use crate::oci::OciError;

/// What the worker adapter sends back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

pub(super) const JSON: &str = "application/json; charset=utf-8";
/// Blob redirects depend on the client's address: no shared cache may keep
/// one, and the client should ask again next time (copies come and go).
pub const CACHE_PER_CLIENT: &str = "private, no-store";
/// Everything else but the legacy 301: tags move, errors are transient.
pub const CACHE_NONE: &str = "no-store";
/// The legacy host's 301: permanent, but bounded, so it can be undone.
pub const CACHE_LEGACY: &str = "max-age=86400";
const TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    pub(super) fn oci(error: &OciError) -> Reply {
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

impl Decision<'_> {
    /// The `Cache-Control` of this decision's reply.
    pub fn cache_control(&self) -> &'static str {
        match self {
            Decision::Redirect(r) if r.status == 301 => CACHE_LEGACY,
            Decision::Redirect(r) if r.reason.is_per_client() => CACHE_PER_CLIENT,
            _ => CACHE_NONE,
        }
    }

    pub fn reply(&self) -> Reply {
        let mut reply = self.reply_without_caching();
        reply
            .headers
            .push(("Cache-Control", self.cache_control().into()));
        reply
    }

    fn reply_without_caching(&self) -> Reply {
        match self {
            Decision::Redirect(r) => Reply {
                status: r.status,
                headers: vec![
                    ("Location", r.location.clone()),
                    (REASON_HEADER, r.reason.to_string()),
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
            Decision::Oci(error) | Decision::UnknownRepository(error) => Reply::oci(error),
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
            headers: vec![
                ("Content-Type", JSON.into()),
                ("Cache-Control", CACHE_NONE.into()),
            ],
            body: body.to_string(),
        }
    }
}
