//! Step 8: where a blob comes from, by the client's cloud and region.

use super::{redirect, upstream_url, with_query, BlobCheck, Decision, Target};
use crate::blob_check::Outcome;
use crate::config::Config;
use crate::ranges::{Cloud, Location, RangeTables};
use crate::request::RequestInfo;
use std::net::IpAddr;

/// The client's location from `CF-Connecting-IP`; anything missing or
/// unparsable is simply unknown.
pub fn client_location(tables: &RangeTables<'_>, client_ip: Option<&str>) -> Option<Location> {
    let ip: IpAddr = client_ip?.trim().parse().ok()?;
    tables.lookup(ip)
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
    let location = client_location(tables, req.client_ip);
    let client = match location {
        Some(l) => format!("{} {}", l.cloud, l.region),
        None => "unknown client".to_string(),
    };
    let upstream = |reason: String| {
        redirect(
            with_query(upstream_url(upstream_endpoint, config, api_path), req.query),
            Target::Upstream,
            reason,
        )
    };

    // A copy near the client, if the configuration has one for it.
    let candidate = match location {
        Some(Location {
            cloud: Cloud::Gcp, ..
        }) => return upstream(format!("blob: {client} -> upstream")),
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
        return upstream(format!("blob: {client}, no copy configured -> upstream"));
    };
    let url = mirror_blob_url(base, digest);
    let copy = match &target {
        Target::Mirror(region) => format!("{region} mirror"),
        _ => "default blob base".to_string(),
    };
    if blobs.check(&url).await.outcome == Outcome::Present {
        redirect(
            with_query(url, req.query),
            target,
            format!("blob: {client} -> {copy}"),
        )
    } else {
        upstream(format!("blob: {client}, not in {copy} -> upstream"))
    }
}
