//! The redirect decision: a pure function of the request, the configuration,
//! the range tables and the answers of a blob existence check (README:
//! "Request handling").
//!
//! 1. legacy host -> 301 to PRIMARY_HOST, same path and query
//! 2. not GET/HEAD -> 405
//! 3. `/` and `/privacy` -> 307 to INFO_URL / PRIVACY_URL; other non-/v2 -> 404
//! 4. `/v2`, `/v2/` -> 200 (no auth challenge)
//! 5. `/v2/_catalog` and unparsable paths -> OCI JSON errors (the reference
//!    or digest is percent-decoded to its canonical form first)
//! 6. cosign `.sig`/`.att` manifests and referrers -> SIGNATURE_UPSTREAM_ENDPOINT if set
//! 7. manifests, tags/list (and referrers otherwise) -> upstream (see [`upstream`])
//! 8. blobs -> by client cloud/region: GCP upstream; AWS/Azure with a mirror
//!    of its region, or the nearest of its cloud, that has it -> that mirror;
//!    others -> DEFAULT_BLOB_BASE_URL if it has it; otherwise (or not
//!    sha256) upstream. Only upstream redirects keep the query.
//! 9. manifests by digest, and blobs going upstream: when
//!    SIGNATURE_UPSTREAM_ENDPOINT is set and is not the chosen upstream, the
//!    regional upstream is asked first; content it lacks (a 404) goes to
//!    the signature upstream (see [`signature_fallback`]).

mod blobs;
pub mod nearest_mirror;
mod reply;
mod signature_fallback;
pub mod upstream;

pub use reply::Reply;

pub use crate::blob_check::BlobCheck;
use crate::config::Config;
use crate::oci::{canonical_path, grammar, parse_route, OciError, Reference, Route};
use crate::ranges::RangeTables;
use crate::request::{is_path_byte, RequestInfo};

/// Longest path or query passed through (longer ones get a 4xx).
pub const MAX_PATH_LEN: usize = 2048;
pub const MAX_QUERY_LEN: usize = 2048;

/// Where a redirect points (its [`Decision::reason`] says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    PrimaryHost,
    Info,
    Privacy,
    Upstream,
    SignatureUpstream,
    /// A mirror bucket, named as its `BLOB_MIRRORS` key (`eu-west-3`,
    /// `azure:westeurope`): the client's region's, or the nearest one.
    Mirror(String),
    DefaultBlobBase,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// 301 (legacy host) or 307.
    Redirect {
        status: u16,
        location: String,
        target: Target,
        /// Why it goes there (see [`Decision::reason`]).
        reason: String,
    },
    /// `/v2/`: 200 with `Docker-Distribution-Api-Version`.
    ApiVersion,
    MethodNotAllowed {
        oci: bool,
    },
    /// 404 outside `/v2`.
    NotFound,
    /// 400 for a path or query that cannot be passed on outside `/v2`.
    BadRequest(String),
    /// Any error on a `/v2/` path.
    Oci(OciError),
}

impl Decision {
    pub fn status(&self) -> u16 {
        match self {
            Decision::Redirect { status, .. } => *status,
            Decision::ApiVersion => 200,
            Decision::MethodNotAllowed { .. } => 405,
            Decision::NotFound => 404,
            Decision::BadRequest(_) => 400,
            Decision::Oci(e) => e.status,
        }
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&str> {
        match self {
            Decision::Redirect { location, .. } => Some(location),
            _ => None,
        }
    }

    /// The reason for the decision, in a few words: sent on redirects as
    /// [`REASON_HEADER`] and written to logs.
    pub fn reason(&self) -> String {
        match self {
            Decision::Redirect { reason, .. } => reason.clone(),
            Decision::ApiVersion => "api version check".into(),
            Decision::MethodNotAllowed { .. } => "method not allowed".into(),
            Decision::NotFound => "not found".into(),
            Decision::BadRequest(reason) => reason.clone(),
            Decision::Oci(e) => format!("{} {}", e.status, e.code),
        }
    }
}

/// The response header carrying [`Decision::reason`] on redirects.
pub const REASON_HEADER: &str = "X-Registry-Edge-Reason";

fn redirect(location: String, target: Target, reason: impl Into<String>) -> Decision {
    Decision::Redirect {
        status: 307,
        location,
        target,
        reason: reason.into(),
    }
}

/// `?query`, or nothing.
fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// RFC 3986 `pchar` and `/`: what a path may hold to be passed on verbatim.
fn is_path_text(path: &str) -> bool {
    path.len() <= MAX_PATH_LEN && path.starts_with('/') && path.bytes().all(is_path_byte)
}

/// A query that can be appended to a redirect verbatim: visible ASCII, no
/// `#`, bounded. (The URL parser already percent-encoded anything else.)
fn is_query_text(query: &str) -> bool {
    query.len() <= MAX_QUERY_LEN && query.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
}

/// The host without `:port`, lower-cased.
fn host_name(host: &str) -> String {
    let without_port = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

/// `<endpoint>/v2/<UPSTREAM_REGISTRY_PATH>/<rest>` (no empty segment).
pub(crate) fn upstream_url(endpoint: &str, config: &Config, rest: &str) -> String {
    let mut url = String::with_capacity(
        endpoint.len() + config.upstream_registry_path.len() + rest.len() + 6,
    );
    url.push_str(endpoint);
    url.push_str("/v2/");
    if !config.upstream_registry_path.is_empty() {
        url.push_str(&config.upstream_registry_path);
        url.push('/');
    }
    url.push_str(rest);
    url
}

/// Decides how to answer `req`; `tables` place the client address and its
/// region (the worker passes the compiled [`crate::ranges::TABLES`]).
/// `unhealthy_upstreams` names the `UPSTREAM_REGIONS` entries to avoid
/// (the worker reads them from the health record; empty when health
/// checks are off, the record is missing or stale).
pub async fn decide<B: BlobCheck>(
    req: &RequestInfo<'_>,
    config: &Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    unhealthy_upstreams: &[String],
) -> Decision {
    let in_v2 = req.path == "/v2" || req.path.starts_with("/v2/");

    // 1. Legacy hosts move wholesale.
    if let Some(primary) = &config.primary_host {
        if !config.legacy_hosts.is_empty() && config.legacy_hosts.contains(&host_name(req.host)) {
            if !is_path_text(req.path) || !is_query_text(req.query) {
                return bad_input(in_v2, "path or query cannot be redirected");
            }
            let location = with_query(format!("https://{primary}{}", req.path), req.query);
            return Decision::Redirect {
                status: 301,
                location,
                target: Target::PrimaryHost,
                reason: "legacy host".into(),
            };
        }
    }

    // 2. Pulls only.
    if req.method != "GET" && req.method != "HEAD" {
        return Decision::MethodNotAllowed { oci: in_v2 };
    }

    // 3. Outside the registry API.
    if !in_v2 {
        return match req.path {
            "/" => redirect(config.info_url.clone(), Target::Info, "info page"),
            "/privacy" => redirect(
                config.privacy_url.clone(),
                Target::Privacy,
                "privacy policy",
            ),
            _ => Decision::NotFound,
        };
    }

    // 4. The API version check, without an auth challenge.
    let rest = req.path.strip_prefix("/v2").unwrap_or_default();
    if rest.is_empty() || rest == "/" {
        return Decision::ApiVersion;
    }
    if req.path.len() > MAX_PATH_LEN {
        return Decision::Oci(OciError::new(414, "UNSUPPORTED", "path too long"));
    }
    if !is_query_text(req.query) {
        return Decision::Oci(OciError::new(
            400,
            "UNSUPPORTED",
            "query string rejected: too long or not URL-encoded",
        ));
    }

    // 5. The pull endpoints; everything else is an error. The reference or
    // digest is validated, and redirected, in its canonical form.
    let canonical = canonical_path(&rest[1..]);
    let api_path: &str = &canonical;
    let route = match parse_route(api_path) {
        Ok(route) => route,
        Err(e) => return Decision::Oci(e),
    };
    let location = blobs::client_location(tables, req);
    // Chosen only when a redirect goes upstream (most blobs do not).
    let upstream = || {
        upstream::choose_upstream(
            config,
            tables,
            location,
            req.coordinates,
            unhealthy_upstreams,
        )
    };
    match (route, config.signature_upstream_endpoint.as_deref()) {
        // 6. Cosign signatures and attestations, and referrers (which list
        // them), live in one canonical registry, when there is one;
        // otherwise they are manifests and referrers like any other.
        (
            Route::Manifest {
                reference: Reference::Tag(tag),
                ..
            },
            Some(signatures),
        ) if grammar::is_cosign_tag(tag) => redirect(
            with_query(upstream_url(signatures, config, api_path), req.query),
            Target::SignatureUpstream,
            "cosign signature/attestation",
        ),
        (Route::Referrers { .. }, Some(signatures)) => redirect(
            with_query(upstream_url(signatures, config, api_path), req.query),
            Target::SignatureUpstream,
            "referrers -> signature upstream",
        ),
        // 7. Manifests, tags and referrers.
        (Route::Manifest { .. } | Route::TagsList { .. } | Route::Referrers { .. }, _) => {
            let what = match route {
                Route::TagsList { .. } => "tags/list",
                Route::Referrers { .. } => "referrers",
                _ => "manifest",
            };
            let upstream = upstream();
            let reason = format!("{what} -> {upstream}");
            // 9. Content by digest may be only in the signature upstream.
            if let Route::Manifest {
                reference: Reference::Digest(_),
                ..
            } = route
            {
                return signature_fallback::by_digest(
                    config, blobs, upstream, api_path, req.query, reason,
                )
                .await;
            }
            redirect(
                with_query(upstream_url(upstream.endpoint, config, api_path), req.query),
                Target::Upstream,
                reason,
            )
        }
        // 8. Blobs.
        (Route::Blob { digest, .. }, _) => {
            blobs::decide_blob(
                req, config, tables, blobs, location, upstream, api_path, digest,
            )
            .await
        }
    }
}

fn bad_input(in_v2: bool, reason: &str) -> Decision {
    if in_v2 {
        Decision::Oci(OciError::new(400, "UNSUPPORTED", reason))
    } else {
        Decision::BadRequest(reason.into())
    }
}
