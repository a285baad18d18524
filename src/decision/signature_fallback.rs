//! Step 9: content by digest that the regional upstream lacks goes to
//! `SIGNATURE_UPSTREAM_ENDPOINT` (archeio #324, #337). The image promoter
//! pushes signatures and attestations only to the canonical registry;
//! clients then fetch their manifests and layers by digest, and a regional
//! Artifact Registry answers 404.
//!
//! Before a manifest by digest, or a blob, is redirected to a regional
//! upstream, that upstream is asked (HEAD, through the same cached,
//! coalesced, breaker-protected check as the mirrors, as a
//! [`CopyKind::Registry`] copy): only "absent" (a 404) moves the request;
//! present, a failure or an open breaker keep the regional upstream. Only
//! when a signature upstream is configured and is not the chosen upstream.

use super::upstream::UpstreamChoice;
use super::{redirect, upstream_url, with_query, Decision, Target};
use crate::blob_check::{BlobCheck, CheckTarget, Outcome};
use crate::config::Config;

/// The redirect of a request by digest for `api_path` to `upstream`, or to
/// the signature upstream when `upstream` lacks it; `reason` says why it
/// went upstream at all (the fallback's outcome is appended to it).
pub async fn by_digest<B: BlobCheck>(
    config: &Config,
    blobs: &B,
    upstream: UpstreamChoice<'_>,
    api_path: &str,
    query: &str,
    reason: String,
) -> Decision {
    let regional = upstream_url(upstream.endpoint, config, api_path);
    let signatures = config
        .signature_upstream_endpoint
        .as_deref()
        .filter(|s| *s != upstream.endpoint);
    let Some(signatures) = signatures else {
        return redirect(with_query(regional, query), Target::Upstream, reason);
    };
    // Checked without the query: the content is what is asked about.
    let target = CheckTarget::registry(upstream.endpoint, &regional);
    let reason = match blobs.check(target).await.outcome {
        Outcome::Absent => {
            return redirect(
                with_query(upstream_url(signatures, config, api_path), query),
                Target::SignatureUpstream,
                format!("{reason}, not there -> signature upstream"),
            )
        }
        Outcome::Present => reason,
        Outcome::Failed(failure) => format!("{reason}, upstream check failed ({failure}), kept"),
        Outcome::BreakerOpen => format!("{reason}, upstream check breaker open, kept"),
    };
    redirect(with_query(regional, query), Target::Upstream, reason)
}
