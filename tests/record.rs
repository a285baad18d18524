//! The per-request record (src/serving/record.rs): its fields, the data point that
//! carries the same values, the user agent bound, and that no field ever
//! holds the client address.

use registry_edge::checks::blob::{
    BlobCheck, CheckReport, CheckSource, CheckTarget, CopyKind, Outcome,
};
use registry_edge::config::Config;
use registry_edge::decision::Observed;
use registry_edge::request::Request;
use registry_edge::serving::rate_limit;
use registry_edge::serving::record::{
    Edge, Record, BLOB_FIELDS, DOUBLE_FIELDS, INDEX_FIELD, MAX_USER_AGENT_BYTES, WEIGHT_COLUMN,
};
use registry_edge::serving::status::Bindings;
use registry_edge::serving::{answer, Conditions};
use registry_edge_testkit::fixture::{self, client_tables, CLIENT_PREFIXES, D};
use registry_edge_testkit::{block_on, config, get, inside, Outcomes, Req, Rng};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const UP: &str = "https://upstream.example";
const SIGNATURES: &str = "https://signatures.example";
const MIRROR: &str = "https://eu-west-3.mirror.example";
const CDN: &str = "https://cdn.example";
const TOKEN: &str = "00112233445566778899aabbccddeeff";

fn production_like() -> Config {
    config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        ("SIGNATURE_UPSTREAM_ENDPOINT", SIGNATURES),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.mirror.example"}"#,
        ),
        (
            "UPSTREAM_REGIONS",
            r#"[{"name": "europe-west1", "endpoint": "https://europe-west1.upstream.example", "lat": 50.45, "lon": 3.82},
                {"name": "us-central1", "endpoint": "https://upstream.example", "lat": 41.26, "lon": -95.86}]"#,
        ),
        ("LEGACY_HOSTS", "k8s.gcr.io"),
        ("PRIMARY_HOST", "registry.k8s.io"),
        ("PULL_SESSIONS", "true"),
    ])
}

/// A blob check answering "present" for the mirror and CDN copies (and the
/// regional upstreams, which have everything), from the colo cache in 3 ms.
struct Copies;

impl BlobCheck for Copies {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let url = target.url;
        CheckReport {
            outcome: if target.kind == CopyKind::Registry
                || url.starts_with(MIRROR)
                || url.starts_with(CDN)
            {
                Outcome::Present
            } else {
                Outcome::Absent
            },
            source: CheckSource::Colo,
            ms: 3,
        }
    }
}

const EDGE: Edge<'static> = Edge {
    asn: Some(16509),
    colo: Some("CDG"),
    country: Some("FR"),
    user_agent: Some("containerd/v1.6.20"),
    version: Some(VERSION_ID),
};

/// A Workers version id, as the `CF_VERSION_METADATA` binding gives it.
const VERSION_ID: &str = "d6d3515a-5614-4649-acb7-b5863d41ed8d";

/// The record of `req` as the worker assembles it, as parsed JSON, and the
/// data point's values.
fn record(
    req: &Req,
    config: &Config,
    authorization: Option<&str>,
    edge: Edge<'_>,
) -> (Value, Vec<String>, Vec<f64>, String) {
    let raw = req.clone().authorization(authorization);
    let request = Request::read(&raw, client_tables());
    let conditions = Conditions {
        rate_limited: false,
        now_ms: 0.0,
        bindings: Bindings::default(),
        observed: Observed::default(),
    };
    let answer = block_on(answer(
        &request,
        &conditions,
        config,
        client_tables(),
        &Copies,
        || [0xab; 16],
    ));
    let record = Record::new(&request, &answer, edge);
    let point = record.data_point();
    let line = record.to_json();
    assert!(!line.contains('\n'), "one line: {line}");
    (
        serde_json::from_str(&line).unwrap(),
        point.blobs.iter().map(|b| b.to_string()).collect(),
        point.doubles.to_vec(),
        point.index.to_string(),
    )
}

#[test]
fn a_blob_pull_from_an_aws_region() {
    let bearer = format!("Bearer {TOKEN}");
    let req = get(&format!("/v2/pause/blobs/{D}")).from(fixture::AWS_EU_WEST_3);
    let (r, ..) = record(&req, &production_like(), Some(&bearer), EDGE);
    assert_eq!(
        r,
        json!({
            "event": "pull",
            "method": "GET",
            "status": 307,
            "kind": "blob",
            "host": "registry.k8s.io",
            "repository": "pause",
            "reference": D,
            "target": "mirror",
            "upstream_region": null,
            "cloud": "AWS",
            "region": "eu-west-3",
            "asn": 16509,
            "colo": "CDG",
            "country": "FR",
            "user_agent": "containerd/v1.6.20",
            "check": "colo",
            "check_ms": 3,
            "session": TOKEN,
            "reason": "blob: AWS eu-west-3 -> eu-west-3 mirror",
            "version": VERSION_ID,
        })
    );
}

#[test]
fn targets_regions_and_checks() {
    let c = production_like();
    let auth = format!("Bearer {TOKEN}");
    let auth = Some(auth.as_str());
    let field = |req: &Req, authorization: Option<&str>, name: &str| {
        record(req, &c, authorization, EDGE).0[name].clone()
    };

    // A manifest near Europe: the europe-west1 upstream; no check.
    let paris = get("/v2/pause/manifests/3.10").at(48.85, 2.35);
    assert_eq!(field(&paris, auth, "target"), "upstream");
    assert_eq!(field(&paris, auth, "upstream_region"), "europe-west1");
    assert_eq!(field(&paris, auth, "check"), "none");
    assert_eq!(field(&paris, auth, "check_ms"), Value::Null);
    assert_eq!(field(&paris, auth, "kind"), "manifest");
    assert_eq!(field(&paris, auth, "reference"), "3.10");
    // No location: UPSTREAM_REGISTRY_ENDPOINT, which is us-central1's.
    let nowhere = get("/v2/pause/manifests/3.10");
    assert_eq!(field(&nowhere, auth, "upstream_region"), "us-central1");
    // A GCP client's blob: upstream, no check.
    let gcp = get(&format!("/v2/pause/blobs/{D}"))
        .from(fixture::GCP_EUROPE_WEST1)
        .at(50.0, 4.0);
    assert_eq!(field(&gcp, auth, "target"), "upstream");
    assert_eq!(field(&gcp, auth, "upstream_region"), "europe-west1");
    assert_eq!(
        (field(&gcp, auth, "cloud"), field(&gcp, auth, "region")),
        (json!("GCP"), json!("europe-west1"))
    );
    // An Azure client's blob: the CDN after a check.
    let azure = get(&format!("/v2/pause/blobs/{D}")).from(fixture::AZURE_AUSTRALIACENTRAL);
    assert_eq!(field(&azure, auth, "target"), "cdn");
    assert_eq!(field(&azure, auth, "check"), "colo");
    assert_eq!(field(&azure, auth, "upstream_region"), Value::Null);
    // Cosign signatures.
    let sig = get(&format!("/v2/pause/manifests/sha256-{}.sig", &D[7..]));
    assert_eq!(field(&sig, auth, "kind"), "signature");
    assert_eq!(field(&sig, auth, "target"), "signature-upstream");
    // Legacy host, info, privacy; an unknown client has no cloud.
    let legacy = get("/v2/pause/tags/list").host("k8s.gcr.io");
    assert_eq!(field(&legacy, auth, "target"), "primary-host");
    assert_eq!(field(&legacy, auth, "status"), 301);
    assert_eq!(field(&get("/"), None, "target"), "info");
    assert_eq!(field(&get("/"), None, "event"), "other");
    assert_eq!(field(&get("/privacy"), None, "target"), "privacy");
    assert_eq!(
        field(&get("/v2/").from(fixture::UNKNOWN), None, "cloud"),
        Value::Null
    );
    // Errors, challenges, tokens, the status page.
    let bad = get("/v2/Bad/manifests/x");
    assert_eq!(
        (field(&bad, auth, "kind"), field(&bad, auth, "status")),
        (json!("error"), json!(400))
    );
    assert_eq!(field(&get("/v2/"), None, "status"), 401);
    assert_eq!(field(&get("/v2/"), None, "session"), Value::Null);
    assert_eq!(
        field(&get("/v2/"), Some("Bearer other"), "session"),
        Value::Null
    );
    // A token answer starts the session it issues.
    assert_eq!(
        field(&get("/token"), None, "session"),
        "abababababababababababababababab"
    );
    assert_eq!(field(&get("/token"), None, "kind"), "token");
    assert_eq!(field(&get("/_status"), None, "kind"), "status");
    let post = get(&format!("/v2/pause/blobs/{D}")).method("POST");
    assert_eq!(
        (field(&post, None, "status"), field(&post, None, "method")),
        (json!(405), json!("POST"))
    );
}

#[test]
fn the_user_agent_is_cut_to_256_bytes_at_a_character_boundary() {
    let c = production_like();
    let req = get("/v2/");
    for ua in [
        "a".repeat(300),
        format!("{}é{}", "a".repeat(255), "b".repeat(10)),
        "🦀".repeat(100),
        "short".to_string(),
    ] {
        let edge = Edge {
            user_agent: Some(&ua),
            ..EDGE
        };
        let (r, ..) = record(&req, &c, None, edge);
        let kept = r["user_agent"].as_str().unwrap();
        assert!(kept.len() <= MAX_USER_AGENT_BYTES, "{}", kept.len());
        assert!(ua.starts_with(kept));
        assert!(
            ua.len() <= MAX_USER_AGENT_BYTES || kept.len() > MAX_USER_AGENT_BYTES - 4,
            "{}",
            kept.len()
        );
    }
    let (r, ..) = record(&req, &c, None, Edge::default());
    assert_eq!(
        (
            &r["user_agent"],
            &r["asn"],
            &r["colo"],
            &r["country"],
            &r["version"]
        ),
        (
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &Value::Null
        )
    );
}

#[test]
fn the_data_point_holds_the_same_values() {
    let c = production_like();
    let auth = format!("Bearer {TOKEN}");
    for (req, authorization) in [
        (
            get(&format!("/v2/pause/blobs/{D}")).from(fixture::AWS_EU_WEST_3),
            Some(auth.as_str()),
        ),
        (
            get("/v2/a/b/manifests/3.10").at(48.85, 2.35),
            Some(auth.as_str()),
        ),
        (get("/v2/"), None),
        (get("/nothing"), None),
        (
            get(&format!("/v2/{}/tags/list", "x".repeat(200))),
            Some(auth.as_str()),
        ),
    ] {
        let (r, blobs, doubles, index) = record(&req, &c, authorization, EDGE);
        for (field, blob) in BLOB_FIELDS.iter().zip(&blobs) {
            let expected = r[field].as_str().unwrap_or("");
            assert_eq!(blob, expected, "{field} of {}", req.path);
        }
        for (field, double) in DOUBLE_FIELDS.iter().zip(&doubles) {
            let expected = r[field].as_f64().unwrap_or(0.0);
            assert_eq!(*double, expected, "{field} of {}", req.path);
        }
        let repository = r[INDEX_FIELD].as_str().unwrap_or("");
        assert!(
            repository.starts_with(&index) && index.len() <= 96,
            "{index}"
        );
        // Analytics Engine's limits: 20 blobs of 16,000 bytes in all, 20 doubles.
        assert!(blobs.len() <= 20 && doubles.len() <= 20);
        assert!(blobs.iter().map(String::len).sum::<usize>() <= 16_000);
    }
}

/// Every field name the record has is in the data point, once.
#[test]
fn the_mapping_covers_the_record() {
    let (r, ..) = record(&get("/v2/"), &production_like(), None, EDGE);
    let mut fields: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    let mut mapped: Vec<&str> = BLOB_FIELDS
        .iter()
        .chain(DOUBLE_FIELDS.iter())
        .copied()
        .collect();
    mapped.sort_unstable();
    assert_eq!(fields, mapped);
}

/// The Analytics Engine table of docs/operating.md is the mapping in the code.
#[test]
fn the_docs_document_the_mapping() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operating.md")).unwrap();
    let mut documented = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        let column = cells.get(1).copied().unwrap_or_default();
        let numbered = ["index", "blob", "double"].iter().any(|p| {
            column
                .strip_prefix(p)
                .is_some_and(|n| n.parse::<u8>().is_ok())
        });
        if cells.len() >= 4 && numbered {
            let field = cells[2].split_whitespace().next().unwrap_or_default();
            documented.push((column.to_string(), field.trim_matches('`').to_string()));
        }
    }
    let mut expected = vec![("index1".to_string(), INDEX_FIELD.to_string())];
    expected.extend(
        BLOB_FIELDS
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("blob{}", i + 1), f.to_string())),
    );
    expected.extend(
        DOUBLE_FIELDS
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("double{}", i + 1), f.to_string())),
    );
    // After the record's doubles, the point's own weight.
    expected.push((WEIGHT_COLUMN.to_string(), "weight".to_string()));
    assert_eq!(
        documented, expected,
        "docs/operating.md \"Analytics Engine\" table"
    );
}

/// Property: for thousands of generated client addresses (inside every
/// fixture prefix and anywhere, both families, in several spellings) and
/// every kind of request, neither the log line nor the data point holds
/// the address in any spelling, nor the rate limit key it is counted by.
#[test]
fn no_record_ever_holds_the_client_address() {
    let c = production_like();
    let mut rng = Rng(0x1b_ad_c0_ff_ee);
    let paths = [
        format!("/v2/pause/blobs/{D}"),
        "/v2/pause/manifests/3.10".to_string(),
        "/v2/kube-proxy/tags/list".to_string(),
        format!("/v2/pause/referrers/{D}"),
        "/v2/".to_string(),
        "/v2/_catalog".to_string(),
        "/token".to_string(),
        "/_status".to_string(),
        "/".to_string(),
    ];
    let auth = format!("Bearer {TOKEN}");
    let mut seen_clouds = std::collections::BTreeSet::new();
    for n in 0..6000 {
        let ip: IpAddr = match n % 4 {
            0 | 1 => {
                let (prefix, ..) = CLIENT_PREFIXES[rng.below(CLIENT_PREFIXES.len())];
                let (addr, len) = prefix.split_once('/').unwrap();
                let len: u8 = len.parse().unwrap();
                match addr.parse::<IpAddr>().unwrap() {
                    IpAddr::V4(a) => {
                        IpAddr::V4(Ipv4Addr::from(
                            inside(&mut rng, u32::from(a).into(), len, 32) as u32,
                        ))
                    }
                    IpAddr::V6(a) => {
                        IpAddr::V6(Ipv6Addr::from(inside(&mut rng, u128::from(a), len, 128)))
                    }
                }
            }
            2 => IpAddr::V4(Ipv4Addr::from(rng.next_u64() as u32)),
            _ => IpAddr::V6(Ipv6Addr::from(rng.next_u128())),
        };
        // The rate limit's key for the address is not in a record either.
        let mut spellings = vec![ip.to_string(), rate_limit::key(ip, 64)];
        if let IpAddr::V4(v4) = ip {
            spellings.push(v4.to_ipv6_mapped().to_string());
            spellings.push(v4.octets().map(|o| o.to_string()).join("-"));
        }
        let written = &spellings[rng.below(spellings.len())];
        let req = get(&paths[rng.below(paths.len())]).from(written);
        let authorization = [None, Some(auth.as_str())][rng.below(2)];
        let ua = format!(
            "client/{} ({})",
            rng.below(100),
            ["linux", "darwin", "windows"][rng.below(3)]
        );
        let edge = Edge {
            user_agent: Some(&ua),
            ..EDGE
        };
        let (r, blobs, ..) = record(&req, &c, authorization, edge);
        let line = r.to_string();
        if let Some(cloud) = r["cloud"].as_str() {
            seen_clouds.insert(cloud.to_string());
        }
        for spelling in &spellings {
            assert!(!line.contains(spelling.as_str()), "{spelling} in {line}");
            assert!(
                !blobs.iter().any(|b| b.contains(spelling.as_str())),
                "{spelling} in {blobs:?}"
            );
        }
    }
    // The generator placed clients in every cloud.
    assert_eq!(seen_clouds.len(), 3, "{seen_clouds:?}");
}

#[test]
fn the_sample_rate_is_a_validated_fraction() {
    let c = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        ("LOG_SAMPLE_RATE", "0.25"),
    ]);
    assert_eq!(c.operating.log_sample_rate, 0.25);
    assert_eq!(
        config(&[("UPSTREAM_REGISTRY_ENDPOINT", UP)])
            .operating
            .log_sample_rate,
        1.0
    );
    for bad in ["1.5", "-0.1", "NaN", "half", "inf"] {
        let e = Config::from_vars(|name| match name {
            "UPSTREAM_REGISTRY_ENDPOINT" => Some(UP.into()),
            "LOG_SAMPLE_RATE" => Some(bad.into()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(e.variable, "LOG_SAMPLE_RATE", "{bad}");
    }
    // Over many draws a rate keeps about that share of the lines.
    let rates = registry_edge::config::operating::SampleRates {
        log: 0.25,
        analytics: 1.0,
    };
    let mut rng = Rng(7);
    let kept = (0..100_000)
        .filter(|_| {
            let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            registry_edge::serving::sampling::sample(false, rates, draw).log
        })
        .count();
    assert!((24_000..26_000).contains(&kept), "{kept}");
}

#[test]
fn the_decision_reports_the_checks_it_made() {
    let c = production_like();
    let blob = get(&format!("/v2/pause/blobs/{D}")).from(fixture::AWS_EU_WEST_3);
    // One check, answered from the colo.
    let d = blob.decide(&c, &Copies);
    let report = d.redirect().and_then(|r| r.check).unwrap();
    assert_eq!((report.source.as_str(), report.ms), ("colo", 3));
    // None for a manifest by tag.
    let d = get("/v2/pause/manifests/3.10").decide(&c, &Copies);
    assert_eq!(d.redirect().and_then(|r| r.check), None);
    // The mirror misses, then the regional upstream is asked: the last
    // check's source, both checks' time.
    // Mirrors lack everything, regional upstreams have everything; each
    // answer takes 3 ms, from a HEAD.
    let mirrors_lack = Outcomes {
        mirror: Outcome::Absent,
        registry: Outcome::Present,
        ms: 3,
    };
    let d = blob.decide(&c, &mirrors_lack);
    let report = d.redirect().and_then(|r| r.check).unwrap();
    assert_eq!((report.source.as_str(), report.ms), ("head", 6), "{d:?}");
    assert_eq!(report.outcome, Outcome::Present);
}
