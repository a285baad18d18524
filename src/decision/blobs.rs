//! Step 8: where a blob comes from, by the client's cloud and region.

use super::{redirect, upstream_url, with_query, BlobCheck, Decision, Target};
use crate::blob_check::Outcome;
use crate::config::Config;
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

pub async fn decide_blob<B: BlobCheck>(
    req: &RequestInfo<'_>,
    config: &Config,
    tables: &RangeTables<'_>,
    blobs: &B,
    upstream_endpoint: &str,
    api_path: &str,
    digest: &str,
) -> Decision {
    let location = client_location(tables, req);
    let client = match location {
        Some(l) => format!("{} {}", l.cloud, l.region),
        None => "unknown client".to_string(),
    };
    // Only upstream redirects keep the client's query (the registry API
    // has query parameters; a copy is fetched exactly as it was checked).
    let upstream = |why: String| {
        redirect(
            with_query(upstream_url(upstream_endpoint, config, api_path), req.query),
            Target::Upstream,
            format!("{REASON_PREFIX} {why}"),
        )
    };

    // A copy near the client, if the configuration has one for it.
    let candidate = match location {
        Some(Location {
            cloud: Cloud::Gcp, ..
        }) => return upstream(format!("{client} -> upstream")),
        Some(Location {
            cloud: Cloud::Aws,
            region,
        }) => match config.blob_mirrors.get(region) {
            Some(base) => Some((base, Target::Mirror(region.to_string()))),
            None => config
                .default_blob_base_url
                .as_ref()
                .map(|b| (b, Target::DefaultBlobBase)),
        },
        _ => config
            .default_blob_base_url
            .as_ref()
            .map(|b| (b, Target::DefaultBlobBase)),
    };
    let Some((base, target)) = candidate else {
        return upstream(format!("{client}, no copy configured -> upstream"));
    };
    // Mirrors hold sha256 blobs only: other algorithms go upstream unchecked.
    if let Some((algorithm, _)) = digest.split_once(':').filter(|(a, _)| *a != "sha256") {
        return upstream(format!(
            "{client}, {algorithm} digest, copies hold sha256 only -> upstream"
        ));
    }
    let url = mirror_blob_url(base, digest);
    let copy = match &target {
        Target::Mirror(region) => format!("{region} mirror"),
        _ => "default blob base".to_string(),
    };
    // The reason tells present, absent, failed (and why) and breaker-open
    // apart: a sick copy must not look like a missing blob.
    match blobs.check(&url).await.outcome {
        Outcome::Present => redirect(url, target, format!("{REASON_PREFIX} {client} -> {copy}")),
        Outcome::Absent => upstream(format!("{client}, not in {copy} -> upstream")),
        Outcome::Failed(failure) => {
            upstream(format!("{client}, {copy} failed ({failure}) -> upstream"))
        }
        Outcome::BreakerOpen => upstream(format!("{client}, {copy} breaker open -> upstream")),
    }
}
