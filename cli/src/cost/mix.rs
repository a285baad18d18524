//! The request mix the bill is for, and where the worker sends each part
//! of it. The default is `make load`'s mix (tests/load/mix.mjs): per blob,
//! one request per persona of the end-to-end rig, manifests by tag and by
//! digest, tag lists, and blobs no copy holds. Each part is routed by the
//! worker's own decision (`registry_edge::decision::decide`) against the
//! environment's configuration and the compiled range tables, so the bill
//! follows the configuration: which mirror a client reaches, whether it is
//! in the client's region, which requests are errors.

use super::model::{Class, Copy, Payload, Placement};
use registry_edge::checks::blob::{
    BlobCheck, CheckReport, CheckSource, CheckTarget, CopyKind, Outcome,
};
use registry_edge::config::{BlobCopy, Config, MirrorName};
use registry_edge::decision::reason::{BlobWay, CopyName, NotNear};
use registry_edge::decision::{decide, Decision, Observed, Reason};
use registry_edge::places::{Cloud, Location, TABLES};
use registry_edge::request::raw::RawRequest;
use registry_edge::request::Request;
use registry_edge::serving::sampling;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The kinds of request a mix is made of (`--share KIND=FRACTION`).
pub const KINDS: [&str; 6] = [
    "blob",
    "absent-blob",
    "manifest-tag",
    "manifest-digest",
    "tags",
    "error",
];

/// The end-to-end rig's personas, as tests/support/personas.mjs lists
/// them (RIG_PERSONAS, in order); cli/tests/cost.rs checks them against the module.
pub const RIG_PERSONAS: [&str; 6] = [
    "35.180.1.1",
    "35.55.34.7",
    "35.220.26.1",
    "2600:1f01:4874::47",
    "192.168.0.1",
    "44.192.0.9",
];

/// A digest any copy is asked about (its value decides nothing).
const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// One part of a mix: requests of one kind from one client.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub kind: &'static str,
    /// `CF-Connecting-IP`; `None` for requests sent without one.
    pub client: Option<&'static str>,
    /// Its weight within the mix (requests per cycle of the load mix).
    pub weight: f64,
}

/// tests/load/mix.mjs's `loadRequests()`, counted by kind and client
/// (cli/tests/cost.rs compares each kind's share with the module's own).
pub fn load_mix() -> Vec<Part> {
    let mut counts: BTreeMap<(usize, Option<&'static str>), f64> = BTreeMap::new();
    let mut add = |kind: usize, client: Option<&'static str>| {
        *counts.entry((kind, client)).or_default() += 1.0;
    };
    for i in 0..64 {
        for persona in RIG_PERSONAS {
            add(0, Some(persona));
        }
        add(2, Some(RIG_PERSONAS[i % RIG_PERSONAS.len()]));
        add(3, None);
        if i % 4 == 0 {
            add(4, None);
        }
        if i % 16 == 0 {
            add(1, Some(RIG_PERSONAS[0]));
        }
    }
    counts
        .into_iter()
        .map(|((kind, client), weight)| Part {
            kind: KINDS[kind],
            client,
            weight,
        })
        .collect()
}

/// `parts` with the shares of some kinds set: each named kind takes its
/// share, split among its clients as before; the other kinds share what
/// is left, in their old proportions. An error names the problem.
pub fn with_shares(parts: &[Part], shares: &[(String, f64)]) -> Result<Vec<(Part, f64)>, String> {
    let mut set: BTreeMap<&str, f64> = BTreeMap::new();
    for (kind, share) in shares {
        let Some(kind) = KINDS.iter().find(|k| *k == kind) else {
            return Err(format!(
                "unknown kind {kind:?} (one of {})",
                KINDS.join(", ")
            ));
        };
        if !(0.0..=1.0).contains(share) {
            return Err(format!("{kind}={share}: a share is from 0 to 1"));
        }
        set.insert(kind, *share);
    }
    let named: f64 = set.values().sum();
    if named > 1.0 + 1e-9 {
        return Err(format!("the shares given add up to {named}, more than 1"));
    }
    let weight_of = |kind: &str| -> f64 {
        parts
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.weight)
            .sum()
    };
    let rest: f64 = KINDS
        .iter()
        .filter(|k| !set.contains_key(*k))
        .map(|k| weight_of(k))
        .sum();
    let mut out = Vec::new();
    for kind in KINDS {
        let of_kind = weight_of(kind);
        match set.get(kind) {
            Some(&share) if share > 0.0 => {
                let clients: Vec<Part> = parts.iter().filter(|p| p.kind == kind).cloned().collect();
                if clients.is_empty() {
                    // A kind the mix lacks (errors): from an unknown client.
                    out.push((
                        Part {
                            kind,
                            client: None,
                            weight: 1.0,
                        },
                        share,
                    ));
                } else {
                    for p in clients {
                        let w = p.weight / of_kind;
                        out.push((p, share * w));
                    }
                }
            }
            Some(_) => {}
            None if rest > 0.0 && named < 1.0 => {
                for p in parts.iter().filter(|p| p.kind == kind) {
                    out.push((p.clone(), (1.0 - named) * p.weight / rest));
                }
            }
            None => {}
        }
    }
    let total: f64 = out.iter().map(|(_, s)| s).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(format!(
            "the shares add up to {total}, not 1: name every kind"
        ));
    }
    Ok(out)
}

/// The blob check of a mix: every copy holds the mix's blobs, except that
/// mirrors and the CDN lack the absent ones (the registries have all).
struct Copies {
    absent: bool,
}

impl BlobCheck for Copies {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let held = target.kind == CopyKind::Registry || !self.absent;
        CheckReport {
            outcome: if held {
                Outcome::Present
            } else {
                Outcome::Absent
            },
            source: CheckSource::Head,
            ms: 0,
        }
    }
}

/// Runs a future that never waits (the decision with [`Copies`]).
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// The request a part sends.
fn raw(part: &Part) -> RawRequest {
    let path = match part.kind {
        "blob" | "absent-blob" => format!("/v2/pause/blobs/{DIGEST}"),
        "manifest-tag" => "/v2/pause/manifests/v1.0.0".to_string(),
        "manifest-digest" => format!("/v2/pause/manifests/{DIGEST}"),
        "tags" => "/v2/pause/tags/list".to_string(),
        _ => "/v2/Bad/blobs/x".to_string(),
    };
    RawRequest {
        method: "GET".into(),
        scheme: "https".into(),
        host: "registry.k8s.io".into(),
        path,
        client_ip: part.client.map(str::to_string),
        ..RawRequest::default()
    }
}

/// Routes each part of the mix with the worker's decision.
pub fn route(config: &Config, parts: &[(Part, f64)]) -> Vec<Class> {
    parts
        .iter()
        .map(|(part, share)| {
            let raw = raw(part);
            let request = Request::read(&raw, &TABLES);
            let copies = Copies {
                absent: part.kind == "absent-blob",
            };
            let decision = run(decide(
                &request,
                config,
                &TABLES,
                &copies,
                &Observed::default(),
            ));
            let client = request.client.location;
            let payload = match part.kind {
                "blob" | "absent-blob" => Payload::Blob,
                "tags" => Payload::TagList,
                _ => Payload::Manifest,
            };
            let redirect = decision.redirect();
            let checked = redirect.and_then(|r| checked_copy(config, &r.reason, client));
            // A blob sent to the copy near the client is served by the copy
            // that was checked (an R2 bucket whatever its URL's host).
            let served = redirect.map(|r| {
                let copy = match &r.reason {
                    Reason::Blob {
                        way: BlobWay::Copy(_),
                        ..
                    } => checked.clone(),
                    _ => None,
                };
                (
                    copy.unwrap_or_else(|| classify(&r.location, client)),
                    payload,
                )
            });
            Class {
                kind: part.kind.to_string(),
                client: client.map_or("unknown".into(), |l| {
                    format!("{} {}", l.cloud.as_str(), l.region)
                }),
                share: *share,
                status: decision.status(),
                always_kept: kept(&decision),
                served,
                checked,
            }
        })
        .collect()
}

/// Whether the sampling keeps this decision's answer whatever the draw.
fn kept(decision: &Decision<'_>) -> bool {
    sampling::always_kept(&registry_edge::serving::Answer::Decided(decision.clone()))
}

/// The copy a blob's check asked: the copy near the client, whether it
/// served the blob or missed it.
fn checked_copy(config: &Config, reason: &Reason<'_>, client: Option<Location>) -> Option<Copy> {
    let Reason::Blob { way, .. } = reason else {
        return None;
    };
    let copy = match way {
        BlobWay::Copy(copy)
        | BlobWay::Upstream {
            why: NotNear::Checked { copy, .. },
            ..
        } => copy,
        BlobWay::Upstream { .. } => return None,
    };
    let blob_copy = configured_copy(config, copy.name)?;
    // A copy in R2 is known by its binding, whatever its public URL's host.
    Some(match blob_copy.r2_binding() {
        Some(_) => Copy::R2,
        None => classify(&blob_copy.base, client),
    })
}

/// The copy `name` names in `config`.
fn configured_copy<'c>(config: &'c Config, name: CopyName<'_>) -> Option<&'c BlobCopy> {
    match name {
        CopyName::Mirror(MirrorName { cloud, region }) => config
            .mirrors
            .by_region
            .get(&(cloud, region.to_string()))
            .map(|m| &m.copy),
        CopyName::DefaultBlobBase => config.mirrors.default_blob_base.as_ref(),
    }
}

/// How a copy at `url` bills a client at `client`, by the URL's host:
/// S3 (`*.s3[.dualstack].<region>.amazonaws.com`), CloudFront
/// (`*.cloudfront.net`), Artifact Registry (`<region>-docker.pkg.dev`), R2
/// (`*.r2.dev`, `*.r2.cloudflarestorage.com`).
pub fn classify(url: &str, client: Option<Location>) -> Copy {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let placement = |cloud: Cloud, region: &str| match client {
        Some(l) if l.cloud == cloud && l.region == region => Placement::SameRegion,
        Some(l) if l.cloud == cloud => Placement::OtherRegion,
        _ => Placement::Internet,
    };
    if let Some(rest) = host.strip_suffix(".amazonaws.com") {
        let labels: Vec<&str> = rest.split('.').collect();
        if let Some(s3) = labels.iter().position(|l| *l == "s3") {
            let region = labels[s3 + 1..]
                .iter()
                .find(|l| **l != "dualstack")
                .copied()
                .unwrap_or("us-east-1");
            return Copy::S3 {
                placement: placement(Cloud::Aws, region),
            };
        }
    }
    if host.ends_with(".cloudfront.net") {
        return Copy::CloudFront;
    }
    if let Some(region) = host.strip_suffix("-docker.pkg.dev") {
        return Copy::ArtifactRegistry {
            placement: placement(Cloud::Gcp, region),
        };
    }
    if host.ends_with(".r2.dev") || host.ends_with(".r2.cloudflarestorage.com") {
        return Copy::R2;
    }
    Copy::Unpriced { host }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_mix_counts() {
        let mix = load_mix();
        let of = |kind: &str| -> f64 {
            mix.iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.weight)
                .sum()
        };
        // 64 blobs x 6 personas, 64 + 64 manifests, 16 tag lists, 4 absent blobs.
        assert_eq!(
            [
                of("blob"),
                of("manifest-tag"),
                of("manifest-digest"),
                of("tags"),
                of("absent-blob"),
                of("error")
            ],
            [384.0, 64.0, 64.0, 16.0, 4.0, 0.0]
        );
        // Tag manifests cycle through the personas: 11, 11, 11, 11, 10, 10.
        let tags: Vec<f64> = RIG_PERSONAS
            .iter()
            .map(|ip| {
                mix.iter()
                    .find(|p| p.kind == "manifest-tag" && p.client == Some(ip))
                    .unwrap()
                    .weight
            })
            .collect();
        assert_eq!(tags, [11.0, 11.0, 11.0, 11.0, 10.0, 10.0]);
    }

    #[test]
    fn shares_override_and_rescale() {
        let mix = load_mix();
        let default = with_shares(&mix, &[]).unwrap();
        let share = |parts: &[(Part, f64)], kind: &str| -> f64 {
            parts
                .iter()
                .filter(|(p, _)| p.kind == kind)
                .map(|(_, s)| s)
                .sum()
        };
        assert!((share(&default, "blob") - 384.0 / 532.0).abs() < 1e-12);
        // Errors at 1 %: the rest keeps its proportions in the other 99 %.
        let e = with_shares(&mix, &[("error".into(), 0.01)]).unwrap();
        assert!((share(&e, "error") - 0.01).abs() < 1e-12);
        assert!((share(&e, "blob") - 0.99 * 384.0 / 532.0).abs() < 1e-12);
        // Blob at 50 %, its six personas at 1/12 each.
        let b = with_shares(&mix, &[("blob".into(), 0.5)]).unwrap();
        assert!(b
            .iter()
            .filter(|(p, _)| p.kind == "blob")
            .all(|(_, s)| (s - 0.5 / 6.0).abs() < 1e-12));
        assert!(with_shares(&mix, &[("blobs".into(), 0.5)])
            .unwrap_err()
            .contains("unknown kind"));
        assert!(with_shares(&mix, &[("blob".into(), 0.7), ("tags".into(), 0.6)]).is_err());
    }

    #[test]
    fn copies_by_host() {
        let eu_west_3 = Some(Location {
            cloud: Cloud::Aws,
            region: "eu-west-3",
        });
        let s3 = "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com/containers/images/x";
        assert_eq!(
            classify(s3, eu_west_3),
            Copy::S3 {
                placement: Placement::SameRegion
            }
        );
        let us_east_1 = Some(Location {
            cloud: Cloud::Aws,
            region: "us-east-1",
        });
        assert_eq!(
            classify(s3, us_east_1),
            Copy::S3 {
                placement: Placement::OtherRegion
            }
        );
        assert_eq!(
            classify(s3, None),
            Copy::S3 {
                placement: Placement::Internet
            }
        );
        assert_eq!(
            classify("https://d1be1w964nk82h.cloudfront.net", None),
            Copy::CloudFront
        );
        let gcp = Some(Location {
            cloud: Cloud::Gcp,
            region: "europe-north1",
        });
        assert_eq!(
            classify("https://europe-north1-docker.pkg.dev/v2/x", gcp),
            Copy::ArtifactRegistry {
                placement: Placement::SameRegion
            }
        );
        assert_eq!(
            classify("https://us-central1-docker.pkg.dev/v2/x", gcp),
            Copy::ArtifactRegistry {
                placement: Placement::OtherRegion
            }
        );
        assert_eq!(
            classify("https://pub-1.r2.dev/containers/images/x", None),
            Copy::R2
        );
        assert_eq!(
            classify("http://127.0.0.1:9000/x", None),
            Copy::Unpriced {
                host: "127.0.0.1".into()
            }
        );
    }
}
