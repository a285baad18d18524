//! Step 8: where a blob comes from, by the client's cloud and region.

use super::nearest_mirror::mirror_for;
use super::signature_fallback;
use super::upstream::UpstreamChoice;
use super::{redirect, BlobCheck, Decision, Target};
use crate::blob_check::{CheckTarget, Outcome};
use crate::config::Config;
use crate::geo::whole_km;
use crate::ranges::{Cloud, Location, RangeTables};
use crate::request::RequestInfo;

/// Every blob decision's reason starts with this (the reply marks those
/// redirects as per-client: they depend on the client's address).
pub const REASON_PREFIX: &str = "blob:";

/// The client's location from its address ([`RequestInfo::client_address`]);
/// anything missing or unparsable is simply unknown.
pub fn client_location(tables: &RangeTables<'_>, req: &RequestInfo<'_>) -> Option<Location> {
    tables.lookup(req.client_address()?)
}

/// `<base>/containers/images/<digest>`: the GCS layout the mirrors copy.
pub fn mirror_blob_url(base: &str, digest: &str) -> String {
    let mut url = String::with_capacity(base.len() + 19 + digest.len());
    url.push_str(base);
    url.push_str("/containers/images/");
    url.push_str(digest);
    url
}

/// Step 8 for a blob of a client in `location` (if the tables place it);
/// `upstream` chooses the upstream when the blob goes there, and step 9
/// ([`signature_fallback`]) may move it on to the signature upstream.
#[allow(clippy::too_many_arguments)]
pub async fn decide_blob<'c, B: BlobCheck>(
    req: &RequestInfo<'_>,
    config: &'c Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    location: Option<Location>,
    upstream: impl Fn() -> UpstreamChoice<'c>,
    api_path: &str,
    digest: &str,
) -> Decision {
    match near_copy(config, tables, blobs, location, digest).await {
        Ok(decision) => decision,
        Err(why) => {
            let upstream = upstream();
            let reason = format!("{REASON_PREFIX} {why} -> {upstream}");
            signature_fallback::by_digest(config, blobs, upstream, api_path, req.query, reason)
                .await
        }
    }
}

/// The redirect to a copy near the client that has the blob, or why the
/// blob goes upstream instead.
async fn near_copy<B: BlobCheck>(
    config: &Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    location: Option<Location>,
    digest: &str,
) -> Result<Decision, String> {
    let client = match location {
        Some(l) => format!("{} {}", l.cloud, l.region),
        None => "unknown client".to_string(),
    };
    // Only upstream redirects keep the client's query (the registry API
    // has query parameters; a copy is fetched exactly as it was checked).

    // A copy near the client, if the configuration has one for it: its
    // region's mirror, the nearest mirror of its cloud, or the default CDN.
    let candidate = match location {
        Some(Location {
            cloud: Cloud::Gcp, ..
        }) => return Err(client),
        Some(l) => match mirror_for(config, tables, l) {
            Some(m) => {
                let copy = match m.km {
                    None => format!("{} mirror", m.name),
                    Some(km) => format!("{} mirror (nearest, {} km)", m.name, whole_km(km)),
                };
                Some((m.base, Target::Mirror(m.name), copy))
            }
            None => default_copy(config),
        },
        None => default_copy(config),
    };
    let Some((base, target, copy)) = candidate else {
        return Err(format!("{client}, no copy configured"));
    };
    // Mirrors hold sha256 blobs only: other algorithms go upstream unchecked.
    if let Some((algorithm, _)) = digest.split_once(':').filter(|(a, _)| *a != "sha256") {
        return Err(format!(
            "{client}, {algorithm} digest, copies hold sha256 only"
        ));
    }
    let url = mirror_blob_url(base, digest);
    // The reason tells present, absent, failed (and why) and breaker-open
    // apart: a sick copy must not look like a missing blob.
    match blobs.check(CheckTarget::mirror(&url)).await.outcome {
        Outcome::Present => Ok(redirect(
            url,
            target,
            format!("{REASON_PREFIX} {client} -> {copy}"),
        )),
        Outcome::Absent => Err(format!("{client}, not in {copy}")),
        Outcome::Failed(failure) => Err(format!("{client}, {copy} failed ({failure})")),
        Outcome::BreakerOpen => Err(format!("{client}, {copy} breaker open")),
    }
}

/// `DEFAULT_BLOB_BASE_URL`, if set.
fn default_copy(config: &Config) -> Option<(&str, Target, String)> {
    config
        .default_blob_base_url
        .as_deref()
        .map(|b| (b, Target::DefaultBlobBase, "default blob base".to_string()))
}
