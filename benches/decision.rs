//! `make bench`: median native time of one redirect decision with the real
//! compiled tables, the request read from its text included, subrequest
//! excluded (the existence check answers at once, as the in-isolate cache
//! does). Prints, each alone on a line:
//! `decide_blob_ns` (an AWS eu-west-3 client, mirror hit),
//! `decide_manifest_ns` (a tag manifest), `decide_regions_ns` (the slower
//! of a manifest and a nearest-mirror blob of an AWS us-east-1 client, with
//! production's 22 upstream regions) and `decide_blob_with_record_ns` (the
//! blob request's whole answer with its record assembled, serialised to
//! its JSON line and mapped to its data point, as the worker does per
//! request).

use registry_edge::checks::blob::{BlobCheck, CheckReport, CheckSource, CheckTarget, Outcome};
use registry_edge::config::Config;
use registry_edge::decision::{decide, Observed};
use registry_edge::places::TABLES;
use registry_edge::request::{RawRequest, Request};
use registry_edge::serving::record::{Edge, Record};
use registry_edge::serving::status::Bindings;
use registry_edge::serving::{answer, Conditions};
use registry_edge_testkit::block_on;
use std::hint::black_box;
use std::time::Instant;

const CALLS: usize = 100_000;
const ROUNDS: usize = 31;

struct Present;

impl BlobCheck for Present {
    async fn check(&self, _target: CheckTarget<'_>) -> CheckReport {
        CheckReport {
            outcome: Outcome::Present,
            source: CheckSource::Isolate,
            ms: 0,
        }
    }
}

fn median_ns(mut one_call: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                one_call();
            }
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2]
}

fn decision_ns(config: &Config, raw: &RawRequest) -> f64 {
    median_ns(|| {
        let req = Request::read(black_box(raw), &TABLES);
        let decision = block_on(decide(
            &req,
            config,
            &TABLES,
            &Present,
            &Observed::default(),
        ));
        black_box(decision);
    })
}

/// What the worker does per request besides I/O: the answer (decision
/// included), the record, its JSON line and its data point.
fn answer_with_record_ns(config: &Config, raw: &RawRequest) -> f64 {
    let raw = RawRequest {
        authorization: Some("Bearer 0123456789abcdef0123456789abcdef".into()),
        ..raw.clone()
    };
    let conditions = Conditions {
        rate_limited: false,
        now_ms: 1.8e12,
        bindings: Bindings::default(),
        observed: Observed::default(),
    };
    let edge = Edge {
        asn: Some(16509),
        colo: Some("CDG"),
        country: Some("FR"),
        user_agent: Some("containerd/v1.7.27"),
        version: Some("d6d3515a-5614-4649-acb7-b5863d41ed8d"),
    };
    median_ns(|| {
        let req = Request::read(black_box(&raw), &TABLES);
        let answer = block_on(answer(&req, &conditions, config, &TABLES, &Present, || {
            [0; 16]
        }));
        let record = Record::new(&req, &answer, edge);
        black_box(record.to_json());
        black_box(record.data_point());
    })
}

fn main() {
    let vars = [
        (
            "UPSTREAM_REGISTRY_ENDPOINT",
            "https://us-central1-docker.pkg.dev",
        ),
        ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images"),
        (
            "DEFAULT_BLOB_BASE_URL",
            "https://d1be1w964nk82h.cloudfront.net",
        ),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com",
                "us-east-2": "https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com"}"#,
        ),
    ];
    let config = Config::from_vars(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("valid configuration");
    let blob = RawRequest {
        method: "GET".into(),
        scheme: "https".into(),
        host: "registry.k8s.io".into(),
        path: "/v2/pause/blobs/sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e"
            .into(),
        client_ip: Some("35.180.1.1".into()),
        ..RawRequest::default()
    };
    let manifest = RawRequest {
        path: "/v2/pause/manifests/3.10".into(),
        client_ip: Some("35.220.26.1".into()),
        ..blob.clone()
    };
    println!("decide_blob_ns {:.0}", decision_ns(&config, &blob));
    println!("decide_manifest_ns {:.0}", decision_ns(&config, &manifest));

    // Production's 22 regions, placed by the compiled sites.
    let regions: Vec<String> = [
        "asia-east1",
        "asia-northeast1",
        "asia-northeast2",
        "asia-south1",
        "australia-southeast1",
        "europe-north1",
        "europe-southwest1",
        "europe-west1",
        "europe-west10",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west8",
        "europe-west9",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
    ]
    .iter()
    .map(|r| format!(r#"{{"name": "{r}", "endpoint": "https://{r}-docker.pkg.dev"}}"#))
    .collect();
    let regions = format!("[{}]", regions.join(","));
    let with_regions = Config::from_vars(|name| {
        if name == "UPSTREAM_REGIONS" {
            return Some(regions.clone());
        }
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("valid configuration");
    let us_east_1 = RawRequest {
        path: "/v2/pause/manifests/3.10".into(),
        client_ip: Some("44.192.0.9".into()),
        ..blob.clone()
    };
    let nearest_blob = RawRequest {
        client_ip: Some("44.192.0.9".into()),
        ..blob.clone()
    };
    let manifest_ns = decision_ns(&with_regions, &us_east_1);
    let blob_ns = decision_ns(&with_regions, &nearest_blob);
    println!("decide_regions_ns {:.0}", manifest_ns.max(blob_ns));
    println!(
        "decide_blob_with_record_ns {:.0}",
        answer_with_record_ns(&config, &blob)
    );
}
