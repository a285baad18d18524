//! The whole answer to a request: the redirect decision ([`decide`]) and,
//! around it, what an operator adds (README "Operating"):
//!
//! 0. over the `PULL_RATE_LIMIT` budget of its address -> 429 (the adapter
//!    asks the binding; the key is the address, which is never logged);
//! 1. the decision;
//! 2. with `PULL_SESSIONS`, an anonymous ping or manifest request that the
//!    decision would answer 200 or 307 -> 401 challenge; `GET /token` ->
//!    a new session;
//! 3. `GET /_status` -> the status document.
//!
//! Steps 2 and 3 only replace the decision's 200, 307 and 404 answers, so
//! legacy hosts (301) and methods (405) keep their answers. Every answer
//! on a `/v2` path carries [`RANGES_HEADER`].

use crate::blob_check::BlobCheck;
use crate::config::Config;
use crate::decision::{decide, Decision, Reply, Target};
use crate::kind::{Asked, STATUS_PATH};
use crate::oci::OciError;
use crate::ranges::RangeTables;
use crate::request::RequestInfo;
use crate::sessions::{self, Session, TOKEN_PATH};
use crate::status::{self, Bindings, RANGES_HEADER};

/// What the adapter knows about a request beyond [`RequestInfo`].
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The request URL's scheme (`https` at the edge).
    pub scheme: &'a str,
    /// The raw `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The rate limit binding refused this client's address.
    pub rate_limited: bool,
    /// Milliseconds since the epoch.
    pub now_ms: f64,
    pub bindings: Bindings,
    /// Upstream regions the last health probe found down (README "Upstream
    /// health checks"); empty when the checks are off.
    pub unhealthy_upstreams: &'a [String],
}

#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The redirect decision's own answer.
    Decided(Decision),
    /// 429: the client's address is over its budget.
    RateLimited { retry_after: u32, oci: bool },
    /// 401 with this `WWW-Authenticate` value: fetch a session token.
    Challenge(String),
    /// 200 `/token`: a new session.
    Token(Session),
    /// 200 `/_status` with this JSON document.
    Status(String),
}

/// Seconds until the rate limit window (`period` seconds, aligned to the
/// clock as the binding's windows are) ends; at least 1.
pub fn retry_after(now_ms: f64, period: u32) -> u32 {
    let period_ms = f64::from(period.max(1)) * 1000.0;
    let left = period_ms - now_ms.rem_euclid(period_ms);
    ((left / 1000.0).ceil() as u32).clamp(1, period.max(1))
}

/// Answers `req`. `random` gives 16 random bytes; it is called only to
/// issue a session token.
pub async fn answer<B: BlobCheck>(
    req: &RequestInfo<'_>,
    context: &Context<'_>,
    config: &Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    random: impl FnOnce() -> [u8; 16],
) -> Answer {
    let asked = Asked::of(req.path);
    if context.rate_limited {
        return Answer::RateLimited {
            retry_after: retry_after(context.now_ms, config.rate_limit_period_seconds),
            oci: asked.is_pull(),
        };
    }
    let decision = decide(req, config, tables, blobs, context.unhealthy_upstreams).await;
    let challenged = config.pull_sessions
        && context.authorization.is_none()
        && asked.starts_a_pull()
        && match &decision {
            Decision::ApiVersion => true,
            Decision::Redirect { status, target, .. } => {
                *status == 307 && matches!(target, Target::Upstream | Target::SignatureUpstream)
            }
            _ => false,
        };
    if challenged {
        if let Some(challenge) = sessions::challenge(context.scheme, req.host) {
            return Answer::Challenge(challenge);
        }
    }
    match decision {
        Decision::NotFound if req.path == TOKEN_PATH && config.pull_sessions => {
            Answer::Token(Session::from_random(random()))
        }
        Decision::NotFound if req.path == STATUS_PATH => Answer::Status(status::document(
            config,
            context.bindings,
            &crate::ranges::PROVIDERS,
            context.now_ms,
        )),
        decision => Answer::Decided(decision),
    }
}

const JSON: &str = "application/json; charset=utf-8";

impl Answer {
    pub fn status(&self) -> u16 {
        match self {
            Answer::Decided(d) => d.status(),
            Answer::RateLimited { .. } => 429,
            Answer::Challenge(_) => 401,
            Answer::Token(_) | Answer::Status(_) => 200,
        }
    }

    /// The decision, when the answer is the decision's.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Answer::Decided(d) => Some(d),
            _ => None,
        }
    }

    /// Why, in a few words (logged with the request).
    pub fn reason(&self) -> String {
        match self {
            Answer::Decided(d) => d.reason(),
            Answer::RateLimited { .. } => "rate limited".into(),
            Answer::Challenge(_) => "pull session challenge".into(),
            Answer::Token(_) => "pull session token".into(),
            Answer::Status(_) => "status".into(),
        }
    }

    /// The HTTP answer to a request for `path`.
    pub fn reply(&self, path: &str) -> Reply {
        let mut reply = match self {
            Answer::Decided(d) => d.reply(),
            Answer::RateLimited { retry_after, oci } => {
                let (content_type, body) = if *oci {
                    let error = OciError::new(
                        429,
                        "TOOMANYREQUESTS",
                        format!("too many requests from this address; retry after {retry_after} s"),
                    );
                    (JSON, error.body())
                } else {
                    ("text/plain; charset=utf-8", "Too many requests.\n".into())
                };
                Reply {
                    status: 429,
                    headers: vec![
                        ("Content-Type", content_type.into()),
                        ("Retry-After", retry_after.to_string()),
                    ],
                    body,
                }
            }
            Answer::Challenge(challenge) => Reply {
                status: 401,
                headers: vec![
                    ("Content-Type", JSON.into()),
                    ("Docker-Distribution-Api-Version", "registry/2.0".into()),
                    ("WWW-Authenticate", challenge.clone()),
                ],
                body: OciError::new(
                    401,
                    "UNAUTHORIZED",
                    "fetch an anonymous pull session token from the realm",
                )
                .body(),
            },
            Answer::Token(session) => Reply {
                status: 200,
                headers: vec![
                    ("Content-Type", JSON.into()),
                    ("Cache-Control", "no-store".into()),
                ],
                body: session.token_body(),
            },
            Answer::Status(document) => Reply {
                status: 200,
                headers: vec![
                    ("Content-Type", JSON.into()),
                    ("Cache-Control", "no-store".into()),
                ],
                body: document.clone(),
            },
        };
        if path == "/v2" || path.starts_with("/v2/") {
            reply
                .headers
                .push((RANGES_HEADER, status::ranges_header_value().into()));
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    #[test]
    fn retry_after_ends_the_window() {
        assert_eq!(retry_after(1_000_000.0, 10), 10);
        assert_eq!(retry_after(1_000_001.0, 10), 10);
        assert_eq!(retry_after(1_003_500.0, 10), 7);
        assert_eq!(retry_after(1_009_999.0, 10), 1);
        assert_eq!(retry_after(1_020_000.0, 60), 60);
        assert_eq!(retry_after(1_079_000.0, 60), 1);
    }
}
