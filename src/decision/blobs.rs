//! docs/request-handling.md, "Blobs and their copies": where a blob comes from, by the
//! client's cloud and region.

use super::nearest_mirror::mirror_for;
use super::reason::{BlobWay, CheckedThrough, Copy, CopyName, Miss, NotNear};
use super::upstream::UpstreamChoice;
use super::{redirect, signature_fallback, Checks, Decision, Reason, Target};
use crate::checks::blob::{BlobCheck, CheckTarget, Outcome};
use crate::config::{BlobCopy, Config, CopyCheck};
use crate::oci::{Algorithm, Digest, Pull};
use crate::places::{Cloud, Location, RangeTables};
use crate::request::Request;

/// `<base>/containers/images/<digest>`: the GCS layout the mirrors copy.
pub fn mirror_blob_url(base: &str, digest: &str) -> String {
    let mut url = String::with_capacity(base.len() + 19 + digest.len());
    url.push_str(base);
    url.push_str("/containers/images/");
    url.push_str(digest);
    url
}

/// The blob `digest` of `pull`: from a copy near the client that has it,
/// or upstream (`choose` picks the upstream), where the signature upstream
/// fallback may move it on.
pub async fn decide_blob<'c, B: BlobCheck>(
    req: &Request<'_>,
    pull: &Pull<'_>,
    digest: &Digest<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    checks: &Checks<'_, B>,
    choose: impl FnOnce() -> UpstreamChoice<'c>,
) -> Decision<'c> {
    let client = req.client.location;
    let why = match near_copy(config, tables, checks, client, digest).await {
        Ok((url, target, copy)) => {
            let way = BlobWay::Copy(copy);
            return redirect(url, target, Reason::Blob { client, way });
        }
        Err(why) => why,
    };
    let chosen = choose();
    signature_fallback::by_digest(req, pull, config, checks, chosen, |fallback| Reason::Blob {
        client,
        way: BlobWay::Upstream {
            why,
            upstream: chosen,
            fallback,
        },
    })
    .await
}

/// The copy near the client that has the blob (its URL, target and name),
/// or why the blob goes upstream instead. Only upstream redirects keep the
/// client's query: a copy is fetched exactly as it was checked.
async fn near_copy<'c, B: BlobCheck>(
    config: &'c Config,
    tables: &RangeTables<'_>,
    checks: &Checks<'_, B>,
    client: Option<Location>,
    digest: &Digest<'_>,
) -> Result<(String, Target<'c>, Copy<'c>), NotNear<'c>> {
    let mirrors = &config.mirrors;
    let default_copy = || {
        mirrors.default_blob_base.as_ref().map(|blob_copy| {
            let copy = Copy {
                name: CopyName::DefaultBlobBase,
                km: None,
                checked: CheckedThrough::of(&blob_copy.check),
            };
            (blob_copy, Target::DefaultBlobBase, copy)
        })
    };
    // A copy near the client, if the configuration has one for it: its
    // region's mirror, the nearest mirror of its cloud, or the default CDN.
    let candidate = match client {
        Some(Location {
            cloud: Cloud::Gcp, ..
        }) => return Err(NotNear::Gcp),
        Some(l) => match mirror_for(mirrors, tables, l) {
            Some(m) => {
                let copy = Copy {
                    name: CopyName::Mirror(m.name),
                    km: m.km,
                    checked: CheckedThrough::of(&m.copy.check),
                };
                Some((m.copy, Target::Mirror(m.name), copy))
            }
            None => default_copy(),
        },
        None => default_copy(),
    };
    let Some((blob_copy, target, copy)) = candidate else {
        return Err(NotNear::NoCopy);
    };
    // The copies hold sha256 blobs only: others go upstream unchecked.
    let algorithm = digest.algorithm();
    if algorithm != Algorithm::Sha256 {
        return Err(NotNear::NotSha256(algorithm));
    }
    let url = mirror_blob_url(&blob_copy.base, digest.as_str());
    let asked = check_target(blob_copy, &url);
    // Present, absent, failed (and why) and breaker-open stay apart: a sick
    // copy must not look like a missing blob.
    let miss = match checks.check(asked).await.outcome {
        Outcome::Present => return Ok((url, target, copy)),
        Outcome::Absent => Miss::Absent,
        Outcome::Failed(failure) => Miss::Failed(failure),
        Outcome::Rejected(status) => Miss::Rejected(status),
        Outcome::BreakerOpen => Miss::BreakerOpen,
    };
    Err(NotNear::Checked { copy, miss })
}

/// How the existence of `url` in `copy` is checked: a HEAD of the URL, or
/// `head()` through the copy's R2 binding.
fn check_target<'a>(copy: &'a BlobCopy, url: &'a str) -> CheckTarget<'a> {
    match &copy.check {
        CopyCheck::Http => CheckTarget::mirror(url),
        CopyCheck::R2 { binding } => CheckTarget::r2(binding, url),
    }
}
