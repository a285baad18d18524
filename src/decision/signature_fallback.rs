//! docs/request-handling.md, "Signature upstream fallback": content by
//! digest that the regional upstream lacks goes to
//! `SIGNATURE_UPSTREAM_ENDPOINT` (archeio #324, #337). The image promoter
//! pushes signatures and attestations only to the canonical registry;
//! clients then fetch their manifests and layers by digest, and a regional
//! Artifact Registry answers 404.
//!
//! Before a manifest by digest, or a blob, is redirected to a regional
//! upstream, that upstream is asked (HEAD, through the same cached,
//! coalesced, breaker-protected check as the mirrors, as a
//! [`CopyKind::Registry`](crate::checks::blob::CopyKind) copy): only
//! "absent" (a 404) moves the request; present, a failure or an open
//! breaker keep the regional upstream. Only when a signature upstream is
//! configured and is not the chosen upstream, and only for sha256 content
//! (what the checks know).

use super::reason::Fallback;
use super::upstream::UpstreamChoice;
use super::{redirect, upstream_url, with_query, Checks, Decision, Reason, Target};
use crate::checks::blob::{BlobCheck, CheckTarget, Outcome};
use crate::config::Config;
use crate::oci::{Algorithm, Pull};
use crate::request::Request;

/// The redirect of `pull` (content by digest) to `chosen`, or to the
/// signature upstream when `chosen` lacks it; `reason` says why it went
/// upstream at all, given what the regional check found.
pub async fn by_digest<'c, B: BlobCheck>(
    req: &Request<'_>,
    pull: &Pull<'_>,
    config: &'c Config,
    checks: &Checks<'_, B>,
    chosen: UpstreamChoice<'c>,
    reason: impl FnOnce(Option<Fallback>) -> Reason<'c>,
) -> Decision<'c> {
    let upstream = &config.upstream;
    let regional = upstream_url(chosen.endpoint, upstream, pull);
    let in_region = Target::Upstream {
        region: chosen.serving_region,
    };
    let sha256 = pull
        .digest()
        .is_some_and(|d| d.algorithm() == Algorithm::Sha256);
    let signatures = upstream
        .signature_endpoint
        .as_deref()
        .filter(|s| *s != chosen.endpoint && sha256);
    let Some(signatures) = signatures else {
        return redirect(with_query(regional, req.query), in_region, reason(None));
    };
    // Checked without the query: the content is what is asked about.
    let target = CheckTarget::registry(chosen.endpoint, &regional);
    let fallback = match checks.check(target).await.outcome {
        Outcome::Absent => {
            return redirect(
                with_query(upstream_url(signatures, upstream, pull), req.query),
                Target::SignatureUpstream {
                    region: upstream.signature_region.as_deref(),
                },
                reason(Some(Fallback::Moved)),
            )
        }
        Outcome::Present => Fallback::Present,
        Outcome::Failed(failure) => Fallback::Failed(failure),
        Outcome::Rejected(status) => Fallback::Rejected(status),
        Outcome::BreakerOpen => Fallback::BreakerOpen,
    };
    redirect(
        with_query(regional, req.query),
        in_region,
        reason(Some(fallback)),
    )
}
