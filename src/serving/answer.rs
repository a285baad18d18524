//! The whole answer to a request: the redirect decision and, around it,
//! what an operator adds (docs/request-handling.md, "Rate limit",
//! "Pull-session challenge", and the token and status pages of "Outside
//! /v2"). Those only replace the decision's 200, 307 and 404 answers, so
//! legacy hosts (301), methods (405) and errors keep their answers. A pull
//! that will be challenged is challenged before anything is checked. Every
//! answer carries `Cache-Control`, and every answer on a `/v2` path
//! [`RANGES_HEADER`].

use super::rate_limit::retry_after;
use super::reply::{Reply, CACHE_NONE, JSON};
use super::sessions::{self, token_body};
use super::status::{self, Bindings, RANGES_HEADER};
use crate::checks::blob::BlobCheck;
use crate::config::Config;
use crate::decision::{decide_pull, prepare, Decision, Observed, Prepared};
use crate::oci::OciError;
use crate::places::RangeTables;
use crate::request::{Credentials, Page, Request, Route, Session};

/// What the adapter knows around a request: the answers of bindings, the
/// clock and the health record.
#[derive(Clone, Copy, Debug)]
pub struct Conditions<'a> {
    /// The rate limit binding refused this client.
    pub rate_limited: bool,
    /// Milliseconds since the epoch.
    pub now_ms: f64,
    pub bindings: Bindings,
    /// What the decision takes besides the request: the upstream health
    /// record's verdict and the known-repositories list (docs/operating.md,
    /// "Upstream health checks"; docs/request-handling.md, "Known
    /// repositories").
    pub observed: Observed<'a>,
}

// Returned and matched at once, never stored (as decision::Prepared): the
// size of the decision costs nothing that boxing it would not cost more.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<'c> {
    /// The redirect decision's own answer.
    Decided(Decision<'c>),
    /// 429: the client is over its budget.
    RateLimited { retry_after: u32, oci: bool },
    /// 401 with this `WWW-Authenticate` value: fetch a session token.
    Challenge(String),
    /// 200 `/token`: a new session.
    Token(Session),
    /// 200 `/_status` with this JSON document.
    Status(String),
}

/// Answers `req`. `random` gives 16 random bytes; it is called only to
/// issue a session token.
pub async fn answer<'c, B: BlobCheck>(
    req: &Request<'_>,
    conditions: &Conditions<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    random: impl FnOnce() -> [u8; 16],
) -> Answer<'c> {
    if conditions.rate_limited {
        return Answer::RateLimited {
            retry_after: retry_after(
                conditions.now_ms,
                config.operating.rate_limit_period_seconds,
            ),
            oci: req.kind().is_pull(),
        };
    }
    // A pull session starts with a ping or a manifest: anonymous ones are
    // sent for a token.
    let challenge = || {
        let starts = config.operating.pull_sessions
            && req.credentials == Credentials::None
            && req.kind().starts_a_pull();
        starts
            .then(|| sessions::challenge(req.scheme, req.host))
            .flatten()
    };
    let decision = match prepare(req, config, &conditions.observed) {
        Prepared::Answered(decision) => decision,
        // Challenged before anything is checked: a manifest goes upstream
        // whatever the checks say, and a challenge must cost no HEAD.
        Prepared::Pull(pull) => match challenge() {
            Some(challenge) => return Answer::Challenge(challenge),
            None => decide_pull(req, pull, config, tables, blobs, &conditions.observed).await,
        },
    };
    if decision == Decision::ApiVersion {
        if let Some(challenge) = challenge() {
            return Answer::Challenge(challenge);
        }
    }
    let sessions_on = config.operating.pull_sessions;
    match (decision, &req.route) {
        (Decision::NotFound, Route::Page(Page::Token)) if sessions_on => {
            Answer::Token(Session::from_random(random()))
        }
        (Decision::NotFound, Route::Page(Page::Status)) => Answer::Status(status::document(
            config,
            conditions.bindings,
            &crate::places::ranges::PROVIDERS,
            conditions.observed.known_repositories,
            conditions.now_ms,
        )),
        (decision, _) => Answer::Decided(decision),
    }
}

impl<'c> Answer<'c> {
    pub fn status(&self) -> u16 {
        match self {
            Answer::Decided(d) => d.status(),
            Answer::RateLimited { .. } => 429,
            Answer::Challenge(_) => 401,
            Answer::Token(_) | Answer::Status(_) => 200,
        }
    }

    /// The decision, when the answer is the decision's.
    pub fn decision(&self) -> Option<&Decision<'c>> {
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

    /// The HTTP answer to `req`.
    pub fn reply(&self, req: &Request<'_>) -> Reply {
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
                        ("Cache-Control", CACHE_NONE.into()),
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
                    ("Cache-Control", CACHE_NONE.into()),
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
                    ("Cache-Control", CACHE_NONE.into()),
                ],
                body: token_body(session),
            },
            Answer::Status(document) => Reply {
                status: 200,
                headers: vec![
                    ("Content-Type", JSON.into()),
                    ("Cache-Control", CACHE_NONE.into()),
                ],
                body: document.clone(),
            },
        };
        if req.route.in_v2() {
            reply
                .headers
                .push((RANGES_HEADER, status::ranges_header_value().into()));
        }
        reply
    }
}
