//! `make bench`: median native time of one redirect decision with the real
//! compiled tables, subrequest excluded (the existence check answers at once, as the in-isolate cache
//! does). Prints `decide_blob_ns` (an AWS eu-west-3 client, mirror hit) and
//! `decide_manifest_ns` (a tag manifest), each alone on a line.

use registry_edge::blob_check::{CheckReport, CheckSource, Outcome};
use registry_edge::config::Config;
use registry_edge::decision::{decide, BlobCheck};
use registry_edge::ranges::TABLES;
use registry_edge::request::RequestInfo;
use registry_edge_testkit::block_on;
use std::hint::black_box;
use std::time::Instant;

const CALLS: usize = 100_000;
const ROUNDS: usize = 31;

struct Present;

impl BlobCheck for Present {
    async fn check(&self, _url: &str) -> CheckReport {
        CheckReport {
            outcome: Outcome::Present,
            source: CheckSource::Isolate,
            ms: 0,
        }
    }
}

fn median_ns(config: &Config, req: &RequestInfo<'_>) -> f64 {
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                let decision = block_on(decide(black_box(req), config, &TABLES, &Present));
                black_box(decision);
            }
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2]
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
    let blob = RequestInfo {
        method: "GET",
        host: "registry.k8s.io",
        path: "/v2/pause/blobs/sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e",
        query: "",
        client_ip: Some("35.180.1.1"),
        coordinates: None,
        client_ipv6: None,
    };
    let manifest = RequestInfo {
        path: "/v2/pause/manifests/3.10",
        client_ip: Some("35.220.26.1"),
        ..blob
    };
    println!("decide_blob_ns {:.0}", median_ns(&config, &blob));
    println!("decide_manifest_ns {:.0}", median_ns(&config, &manifest));
}
