//! The redirect decision: a pure function of the request, the
//! configuration, the range tables and the answers of a blob existence
//! check. docs/request-handling.md lists the steps; this module takes them
//! from "Legacy hosts" to "Signature upstream fallback", in that order.

mod blobs;
pub mod nearest_mirror;
pub mod reason;
mod signature_fallback;
pub mod upstream;

pub use reason::Reason;

use crate::checks::blob::{BlobCheck, CheckReport, CheckTarget};
use crate::checks::known_repositories::{top_level, RepositoryList};
use crate::config::{Config, MirrorName, Upstream};
use crate::oci::grammar::MAX_NAME_LEN;
use crate::oci::{Endpoint, OciError, Pull};
use crate::places::RangeTables;
use crate::request::raw::{is_path_text, is_query_text};
use crate::request::{Method, Page, Request, Route};
use reason::Asked;
use std::cell::Cell;

/// Where a redirect points (its [`Reason`] says why).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'c> {
    PrimaryHost,
    Info,
    Privacy,
    /// An upstream registry; `region` is the `UPSTREAM_REGIONS` entry
    /// whose endpoint it is, if any.
    Upstream {
        region: Option<&'c str>,
    },
    /// `SIGNATURE_UPSTREAM_ENDPOINT`; `region` as for [`Target::Upstream`].
    SignatureUpstream {
        region: Option<&'c str>,
    },
    /// A mirror bucket: the client's region's, or the nearest one.
    Mirror(MirrorName<'c>),
    DefaultBlobBase,
}

impl<'c> Target<'c> {
    /// How the record names it.
    pub fn name(self) -> &'static str {
        match self {
            Target::PrimaryHost => "primary-host",
            Target::Info => "info",
            Target::Privacy => "privacy",
            Target::Upstream { .. } => "upstream",
            Target::SignatureUpstream { .. } => "signature-upstream",
            Target::Mirror(_) => "mirror",
            Target::DefaultBlobBase => "cdn",
        }
    }

    /// The upstream region an upstream redirect goes to.
    pub fn upstream_region(self) -> Option<&'c str> {
        match self {
            Target::Upstream { region } | Target::SignatureUpstream { region } => region,
            _ => None,
        }
    }
}

/// A 301 or 307, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Redirect<'c> {
    pub status: u16,
    pub location: String,
    pub target: Target<'c>,
    pub reason: Reason<'c>,
    /// The last check made for it (where its answer came from), with every
    /// check's time added up; `None` when nothing was checked.
    pub check: Option<CheckReport>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision<'c> {
    Redirect(Redirect<'c>),
    /// `/v2/`: 200 with `Docker-Distribution-Api-Version`.
    ApiVersion,
    MethodNotAllowed {
        oci: bool,
    },
    /// 404 outside `/v2`.
    NotFound,
    /// 400 for a path or query that cannot be passed on outside `/v2`.
    BadRequest(&'static str),
    /// Any error on a `/v2/` path.
    Oci(OciError),
    /// 404 `NAME_UNKNOWN` for a pull of a repository whose top-level name
    /// the upstream does not list (docs/request-handling.md, "Known
    /// repositories"): an OCI error, told apart from the others because
    /// the record names why.
    UnknownRepository(OciError),
}

impl<'c> Decision<'c> {
    pub fn status(&self) -> u16 {
        match self {
            Decision::Redirect(r) => r.status,
            Decision::ApiVersion => 200,
            Decision::MethodNotAllowed { .. } => 405,
            Decision::NotFound => 404,
            Decision::BadRequest(_) => 400,
            Decision::Oci(e) | Decision::UnknownRepository(e) => e.status,
        }
    }

    pub fn redirect(&self) -> Option<&Redirect<'c>> {
        match self {
            Decision::Redirect(r) => Some(r),
            _ => None,
        }
    }

    /// Where a redirect points.
    pub fn target(&self) -> Option<Target<'c>> {
        self.redirect().map(|r| r.target)
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.redirect().map(|r| r.location.as_str())
    }

    /// The reason for the decision, in a few words: sent on redirects as
    /// [`REASON_HEADER`] and written to logs.
    pub fn reason(&self) -> String {
        match self {
            Decision::Redirect(r) => r.reason.to_string(),
            Decision::ApiVersion => "api version check".into(),
            Decision::MethodNotAllowed { .. } => "method not allowed".into(),
            Decision::NotFound => "not found".into(),
            Decision::BadRequest(reason) => (*reason).into(),
            Decision::Oci(e) => format!("{} {}", e.status, e.code),
            Decision::UnknownRepository(_) => "unknown repository".into(),
        }
    }
}

/// The response header carrying [`Decision::reason`] on redirects.
pub const REASON_HEADER: &str = "X-Registry-Edge-Reason";

fn redirect<'c>(location: String, target: Target<'c>, reason: Reason<'c>) -> Decision<'c> {
    Decision::Redirect(Redirect {
        status: 307,
        location,
        target,
        reason,
        check: None,
    })
}

/// `?query`, or nothing.
fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// `<endpoint>/v2/<UPSTREAM_REGISTRY_PATH>/<pull's path>` (no empty segment).
pub(crate) fn upstream_url(endpoint: &str, upstream: &Upstream, pull: &Pull<'_>) -> String {
    let mut url = String::with_capacity(endpoint.len() + upstream.path.len() + 120);
    url.push_str(endpoint);
    url.push_str("/v2/");
    if !upstream.path.is_empty() {
        url.push_str(&upstream.path);
        url.push('/');
    }
    pull.push_path(&mut url);
    url
}

/// What the worker has learned at run time apart from the request, for
/// the decision (each part fails open: empty when unknown).
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed<'a> {
    /// The `UPSTREAM_REGIONS` entries to avoid: the health record's
    /// verdict; empty when health checks are off, the record is missing or
    /// stale.
    pub unhealthy_upstreams: &'a [String],
    /// The upstream's top-level repositories; `None` when
    /// `KNOWN_REPOSITORIES` is off or no usable list is known, and then
    /// every repository is routed.
    pub known_repositories: Option<&'a RepositoryList>,
}

/// Decides how to answer `req`; `tables` place regions (the worker passes
/// the compiled [`crate::places::TABLES`]).
pub async fn decide<'c, B: BlobCheck>(
    req: &Request<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    observed: &Observed<'_>,
) -> Decision<'c> {
    match prepare(req, config, observed) {
        Prepared::Answered(decision) => decision,
        Prepared::Pull(pull) => decide_pull(req, pull, config, tables, blobs, observed).await,
    }
}

/// What the steps that need no check leave: their answer, or a pull to
/// decide.
// Returned and matched at once, never stored: the size of the answer
// costs nothing that boxing it would not cost more.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Prepared<'r, 'a, 'c> {
    Answered(Decision<'c>),
    Pull(&'r Pull<'a>),
}

/// The steps that need no check, from "Legacy hosts" to "Known
/// repositories".
pub fn prepare<'r, 'a, 'c>(
    req: &'r Request<'a>,
    config: &'c Config,
    observed: &Observed<'_>,
) -> Prepared<'r, 'a, 'c> {
    use Prepared::Answered;
    let oci = req.route.in_v2();

    // Legacy hosts move wholesale.
    if let Some(primary) = &config.hosts.primary {
        if config.hosts.is_legacy(req.host) {
            if !is_path_text(req.path) || !is_query_text(req.query) {
                return Answered(bad_input(oci, "path or query cannot be redirected"));
            }
            let location = with_query(format!("https://{primary}{}", req.path), req.query);
            return Answered(Decision::Redirect(Redirect {
                status: 301,
                location,
                target: Target::PrimaryHost,
                reason: Reason::LegacyHost,
                check: None,
            }));
        }
    }

    // Pulls only.
    if !matches!(req.method, Method::Get | Method::Head) {
        return Answered(Decision::MethodNotAllowed { oci });
    }

    match &req.route {
        // Outside the registry API.
        Route::Page(Page::Info) => Answered(redirect(
            config.hosts.info_url.clone(),
            Target::Info,
            Reason::InfoPage,
        )),
        Route::Page(Page::Privacy) => Answered(redirect(
            config.hosts.privacy_url.clone(),
            Target::Privacy,
            Reason::PrivacyPolicy,
        )),
        Route::Page(_) => Answered(Decision::NotFound),
        // The API version check, without an auth challenge.
        Route::Ping => Answered(Decision::ApiVersion),
        Route::Rejected(error) => Answered(Decision::Oci(error.clone())),
        // Before any copy is checked: a name the upstream would refuse, and
        // a repository the upstream does not have (in no copy either).
        Route::Pull(pull) => match upstream_name_too_long(&config.upstream, pull) {
            Some(error) => Answered(Decision::Oci(error)),
            None => match observed.known_repositories {
                Some(known) if !known.knows(pull.repository) => {
                    Answered(Decision::UnknownRepository(name_unknown(pull.repository)))
                }
                _ => Prepared::Pull(pull),
            },
        },
    }
}

/// The error for a repository whose name on the upstreams
/// (`UPSTREAM_REGISTRY_PATH/<name>`) is longer than the 255 bytes a
/// registry accepts; `None` when it fits.
fn upstream_name_too_long(upstream: &Upstream, pull: &Pull<'_>) -> Option<OciError> {
    let prefix = match upstream.path.len() {
        0 => 0,
        n => n + 1,
    };
    let length = prefix + pull.repository.len();
    (length > MAX_NAME_LEN).then(|| {
        OciError::new(
            400,
            "NAME_INVALID",
            format!(
                "repository name too long: {length} bytes on the upstream registry \
                 (with its prefix), at most {MAX_NAME_LEN}"
            ),
        )
    })
}

/// The distribution spec's error for a repository the registry lacks.
fn name_unknown(repository: &str) -> OciError {
    OciError::new(
        404,
        "NAME_UNKNOWN",
        format!(
            "repository name not known to registry: no repository {:?}",
            top_level(repository)
        ),
    )
}

/// The redirect of `pull` (which [`prepare`] left to decide), with the
/// checks it needs.
pub async fn decide_pull<'c, B: BlobCheck>(
    req: &Request<'_>,
    pull: &Pull<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    observed: &Observed<'_>,
) -> Decision<'c> {
    let checks = Checks::new(blobs);
    let mut decision = redirect_pull(req, pull, config, tables, &checks, observed).await;
    if let Decision::Redirect(r) = &mut decision {
        r.check = checks.report();
    }
    decision
}

/// A pull's redirect: signatures, manifests, tags and referrers, blobs.
async fn redirect_pull<'c, B: BlobCheck>(
    req: &Request<'_>,
    pull: &Pull<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    checks: &Checks<'_, B>,
    observed: &Observed<'_>,
) -> Decision<'c> {
    let upstream = &config.upstream;
    // Chosen only when a redirect goes upstream (most blobs do not).
    let choose =
        || upstream::choose_upstream(upstream, tables, &req.client, observed.unhealthy_upstreams);
    let to_signatures = |signatures: &str, reason| {
        redirect(
            with_query(upstream_url(signatures, upstream, pull), req.query),
            Target::SignatureUpstream {
                region: upstream.signature_region.as_deref(),
            },
            reason,
        )
    };
    if let Some(signatures) = upstream.signature_endpoint.as_deref() {
        // Signatures and attestations, by their tags (the referrers tag
        // schema, cosign's) and through referrers (which list them), live
        // in one canonical registry, when there is one; otherwise they are
        // manifests and referrers like any other.
        if pull.is_signature_tag() {
            return to_signatures(signatures, Reason::Signature);
        }
        if let Endpoint::Referrers(_) = pull.endpoint {
            return to_signatures(signatures, Reason::Referrers);
        }
    }
    let asked = match &pull.endpoint {
        Endpoint::Blob(digest) => {
            return blobs::decide_blob(req, pull, digest, config, tables, checks, choose).await
        }
        Endpoint::Manifest(_) => Asked::Manifest,
        Endpoint::TagsList => Asked::TagsList,
        Endpoint::Referrers(_) => Asked::Referrers,
    };
    let chosen = choose();
    // Content by digest may be only in the signature upstream.
    if pull.digest().is_some() {
        return signature_fallback::by_digest(req, pull, config, checks, chosen, |fallback| {
            Reason::Upstream {
                asked,
                upstream: chosen,
                fallback,
            }
        })
        .await;
    }
    redirect(
        with_query(upstream_url(chosen.endpoint, upstream, pull), req.query),
        Target::Upstream {
            region: chosen.serving_region,
        },
        Reason::Upstream {
            asked,
            upstream: chosen,
            fallback: None,
        },
    )
}

fn bad_input(oci: bool, reason: &'static str) -> Decision<'static> {
    if oci {
        Decision::Oci(OciError::new(400, "UNSUPPORTED", reason))
    } else {
        Decision::BadRequest(reason)
    }
}

/// The decision's blob check, remembering what it reported: the last
/// check's outcome and source with every check's time added up (a blob
/// that misses its mirror may then be checked in the regional upstream).
struct Checks<'b, B> {
    inner: &'b B,
    last: Cell<Option<CheckReport>>,
}

impl<'b, B: BlobCheck> Checks<'b, B> {
    fn new(inner: &'b B) -> Self {
        Checks {
            inner,
            last: Cell::new(None),
        }
    }

    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let report = self.inner.check(target).await;
        let before = self.last.get().map_or(0, |r| r.ms);
        self.last.set(Some(CheckReport {
            ms: before.saturating_add(report.ms),
            ..report
        }));
        report
    }

    fn report(&self) -> Option<CheckReport> {
        self.last.get()
    }
}
