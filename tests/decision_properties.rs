//! Property test: thousands of generated hostile requests (seeded, so any
//! failure reproduces) against the invariants the fuzz target checks too
//! (registry_edge_testkit::invariants): never a panic or a 5xx, only
//! header-safe text, at most one blob check (of a configured copy), and
//! every Location's scheme and host a configured one. Half of them are
//! decided with a known-repositories list, and then no pull of another
//! repository is redirected. The requests go through the whole answer
//! (src/answer.rs: pull sessions, rate limits, status), and their records
//! never hold the client address.

use registry_edge::config::Config;
use registry_edge::decision::{decide, Decision, Observed};
use registry_edge::request::{Coordinates, RawRequest, Request};
use registry_edge::serving::record::{Edge, Record};
use registry_edge::serving::status::Bindings;
use registry_edge::serving::{answer, Conditions};
use registry_edge_testkit::fixture::{self, client_tables, D, D_HEX};
use registry_edge_testkit::{block_on, config, invariants, known_list, Rng, ScriptedBlobs};
use std::collections::BTreeSet;

const DIGEST: &str = D;
const HEX: &str = D_HEX;

/// Hostile text on top of the shared generator.
trait Hostile {
    fn chance(&mut self, percent: u64) -> bool;
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str;
    fn unit(&mut self) -> f64;
    fn char(&mut self) -> char;
    fn junk(&mut self, max: usize) -> String;
}

impl Hostile for Rng {
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Any char: mostly ASCII (controls included), sometimes not.
    fn char(&mut self) -> char {
        match self.below(10) {
            0 => char::from_u32(0x80 + self.below(0x800) as u32).unwrap_or('é'),
            1 => [
                '\u{202e}', '\u{feff}', '\u{2028}', '\u{ff0f}', '\u{2215}', '🦀',
            ][self.below(6)],
            _ => char::from(self.below(128) as u8),
        }
    }
    fn junk(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        (0..len).map(|_| self.char()).collect()
    }
}

const SHA512: &str = "sha512:3b0998121425143be7164ea1555efbdf5b8a02ceedaa26e01910e7d017ff78ddbba27877bd42510a06cc14ac1bc6c451128ca3f0d0afba28b695e29b2702c9c7";

/// A pull path the grammar accepts: what the properties need to reach the
/// pull steps (hostile paths rarely parse).
fn pull_path(rng: &mut Rng) -> String {
    let long = "a".repeat(1 + rng.below(200));
    let name = match rng.below(8) {
        0 => long.as_str(),
        _ => rng.pick(&[
            "pause",
            "kubernetes",
            "sig-storage/csi-provisioner",
            "not-a-k8s-repo",
            "e2e/multi-arch",
            "blobs/manifests",
            "pause2",
        ]),
    };
    let suffix = rng.pick(&["", ".sig", ".att", ".sbom", ".x"]);
    let endpoint = match rng.below(6) {
        0 => format!("manifests/{}", rng.pick(&["latest", "3.10", DIGEST])),
        1 => format!("manifests/sha256-{HEX}{suffix}"),
        2 => format!("blobs/{}", rng.pick(&[DIGEST, SHA512])),
        3 => "tags/list".to_string(),
        4 => format!("referrers/{DIGEST}"),
        _ => format!("blobs/{DIGEST}"),
    };
    format!("/v2/{name}/{endpoint}")
}

fn hostile_path(rng: &mut Rng) -> String {
    if rng.chance(15) {
        return pull_path(rng);
    }
    let pieces = [
        "pause",
        "kubernetes",
        "manifests",
        "blobs",
        "tags",
        "list",
        "referrers",
        "_catalog",
        "uploads",
        "latest",
        "v2",
        "privacy",
        DIGEST,
        SHA512,
        "..",
        ".",
        "",
        "%2e%2e",
        "%2F",
        "%00",
        "\\",
        "\0",
        "é",
        "\u{202e}",
        "@evil.example",
        "evil.example:443",
        ":",
        "?",
        "#",
        " ",
        "\r\n",
        "Pause",
        "sha256:",
        "sha256-",
        ".sig",
        "__",
        "--",
        "a.b",
        "\t",
        "token",
        "_status",
    ];
    let mut path = String::new();
    match rng.below(10) {
        0 => {}
        1 => path.push_str("/v2"),
        2 => path.push('/'),
        3 => path.push_str("//"),
        _ => path.push_str("/v2/"),
    }
    for i in 0..rng.below(8) {
        if i > 0 || rng.chance(20) {
            path.push(if rng.chance(90) { '/' } else { '\\' });
        }
        match rng.below(12) {
            0 => path.push_str(&rng.junk(12)),
            1 => path.push_str(&"a".repeat(rng.below(400))),
            2 => {
                path.push_str("sha256-");
                path.push_str(HEX);
                path.push_str(if rng.chance(50) { ".sig" } else { ".att" });
            }
            _ => path.push_str(rng.pick(&pieces)),
        }
    }
    if rng.chance(2) {
        path.push_str(&"/x".repeat(1100));
    }
    path
}

fn hostile_query(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=2 => String::new(),
        3 => "n=10&last=v1.2.3".to_string(),
        4 => "a".repeat(2040 + rng.below(20)),
        5 => (0..rng.below(40))
            .map(|_| char::from(0x21 + rng.below(94) as u8))
            .collect(),
        _ => rng.junk(30),
    }
}

fn hostile_ip(rng: &mut Rng) -> Option<String> {
    let known = [
        fixture::AWS_EU_WEST_3,
        fixture::AWS_US_EAST_2,
        fixture::AWS_GLOBAL,
        fixture::AWS_ME_SOUTH_1,
        fixture::GCP_EUROPE_WEST1,
        fixture::AZURE_AUSTRALIACENTRAL,
        fixture::UNKNOWN,
        fixture::AWS_US_WEST_2_V6,
        fixture::AWS_AP_SOUTHEAST_3_V6,
        fixture::AWS_EU_WEST_3_MAPPED,
        fixture::AWS_US_EAST_1,
        fixture::AWS_EU_WEST_2,
        fixture::AWS_CN_NORTH_1,
        fixture::AWS_AP_EAST_2,
        fixture::AWS_UNPLACED,
        fixture::GCP_US_EAST4,
        fixture::GCP_ASIA_SOUTHEAST1,
        fixture::AZURE_WESTEUROPE,
        fixture::AZURE_NORTHEUROPE,
        "::",
        "0.0.0.0",
        "255.255.255.255",
    ];
    match rng.below(8) {
        0 => None,
        1 => Some(rng.junk(20)),
        2 => Some(format!(
            "{}.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256)
        )),
        3 => Some(format!(
            "{:x}:{:x}::{:x}",
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000)
        )),
        4 => Some(format!("{}, 8.8.8.8", rng.pick(&known))),
        _ => Some(rng.pick(&known).to_string()),
    }
}

fn hostile_coordinates(rng: &mut Rng) -> Option<Coordinates> {
    match rng.below(5) {
        0 => None,
        1 => Some(Coordinates {
            latitude: [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e308, -91.0][rng.below(5)],
            longitude: rng.unit() * 720.0 - 360.0,
        }),
        _ => Some(Coordinates {
            latitude: rng.unit() * 180.0 - 90.0,
            longitude: rng.unit() * 360.0 - 180.0,
        }),
    }
}

fn configs() -> Vec<Config> {
    let regions = r#"[
      {"name": "us-central1", "endpoint": "https://us-central1-docker.pkg.dev", "lat": 41.26, "lon": -95.86},
      {"name": "europe-west1", "endpoint": "https://europe-west1-docker.pkg.dev", "lat": 50.45, "lon": 3.82},
      {"name": "asia-east1", "endpoint": "http://asia-east1.example:8080/base", "lat": 24.05, "lon": 120.52}
    ]"#;
    let mirrors = r#"{"us-east-2": "https://us-east-2.example", "eu-west-3": "https://eu-west-3.example:8443/bucket",
        "us-west-2": "http://us-west-2.example", "ap-southeast-3": "https://ap-southeast-3.example",
        "azure:westeurope": "https://westeurope.example", "aws:ap-east-1": "https://ap-east-1.example"}"#;
    vec![
        config(&[
            (
                "UPSTREAM_REGISTRY_ENDPOINT",
                "https://us-central1-docker.pkg.dev",
            ),
            ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images"),
            ("SIGNATURE_UPSTREAM_ENDPOINT", "https://signatures.example"),
            (
                "DEFAULT_BLOB_BASE_URL",
                "https://d1be1w964nk82h.cloudfront.net",
            ),
            ("BLOB_MIRRORS", mirrors),
            ("UPSTREAM_REGIONS", regions),
            ("LEGACY_HOSTS", "k8s.gcr.io,eu.gcr.io"),
            ("PRIMARY_HOST", "registry.k8s.io"),
            ("PULL_SESSIONS", "true"),
        ]),
        config(&[("UPSTREAM_REGISTRY_ENDPOINT", "https://k8s.gcr.io")]),
    ]
}

/// A byte that varies with the request (the token's "random" bytes).
fn rng_byte(path: &str) -> u8 {
    path.len() as u8
}

#[test]
fn hostile_requests_never_escape() {
    let methods = [
        "GET", "HEAD", "GET", "HEAD", "POST", "get", "", "OPTIONS", "GET\0",
    ];
    let hosts = [
        "registry.k8s.io",
        "k8s.gcr.io",
        "K8S.GCR.IO:443",
        "k8s.gcr.io.",
        "eu.gcr.io:1",
        "evil.example",
        "[::1]:80",
        "",
    ];
    let mut statuses = BTreeSet::new();
    let mut unknown_repositories = 0;
    // Names the generator's paths hold, and some it never makes.
    let known = known_list(&["pause", "kubernetes", "blobs", "sig-storage", "e2e"]);
    for (index, config) in configs().iter().enumerate() {
        let mut rng = Rng(0x6b38_7324_0000 + index as u64);
        let check = ScriptedBlobs::default();
        for _ in 0..10_000 {
            let method = rng.pick(&methods);
            let host = if rng.chance(90) {
                rng.pick(&hosts).to_string()
            } else {
                rng.junk(20)
            };
            let path = hostile_path(&mut rng);
            let query = hostile_query(&mut rng);
            let ip = hostile_ip(&mut rng);
            let ipv6 = hostile_ip(&mut rng);
            check.answers.set(if rng.chance(50) { 0xff } else { 0 });
            let authorization = match rng.below(4) {
                0 => None,
                1 => Some(format!("Bearer {}", &HEX[..32])),
                2 => Some(format!("Bearer {}", rng.junk(40))),
                _ => Some(rng.junk(40)),
            };
            let raw = RawRequest {
                method: method.to_string(),
                scheme: rng.pick(&["https", "http", "", "javascript"]).to_string(),
                host: host.clone(),
                path: path.clone(),
                query: query.clone(),
                client_ip: ip.clone(),
                client_ipv6: ipv6.clone(),
                coordinates: hostile_coordinates(&mut rng),
                authorization,
            };
            let req = Request::read(&raw, client_tables());
            let unhealthy: Vec<String> = ["us-central1", "europe-west1", "asia-east1"]
                .into_iter()
                .filter(|_| rng.chance(30))
                .map(String::from)
                .collect();
            let observed = Observed {
                unhealthy_upstreams: &unhealthy,
                known_repositories: rng.chance(50).then_some(&known),
            };
            let decision = block_on(decide(&req, config, client_tables(), &check, &observed));
            let _ = decision.reason();
            statuses.insert(decision.status());
            invariants::check(&req, config, &decision, &check.take_asked());
            invariants::check_rejections(&req, config, client_tables(), &observed, rng.below(7));
            if let (Some(list), Some(pull)) = (observed.known_repositories, req.route.pull()) {
                let status = decision.status();
                if status == 307 {
                    assert!(list.knows(pull.repository), "{req:?} -> {decision:?}");
                }
            }
            if let Decision::UnknownRepository(_) = decision {
                assert!(observed.known_repositories.is_some(), "{req:?}");
                unknown_repositories += 1;
            }
            let conditions = Conditions {
                rate_limited: rng.chance(3),
                now_ms: rng.unit() * 2e12,
                bindings: Bindings::default(),
                observed,
            };
            let random = || [rng_byte(&path); 16];
            let answer = block_on(answer(
                &req,
                &conditions,
                config,
                client_tables(),
                &check,
                random,
            ));
            statuses.insert(answer.status());
            invariants::check_answer(&req, config, &answer, &check.take_asked());
            let record = Record::new(&req, &answer, Edge::default());
            let line = record.to_json();
            serde_json::from_str::<serde_json::Value>(&line).expect("a record is JSON");
            if let Some(ip) = ip
                .as_deref()
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
            {
                // Unless the client wrote its own address into the request.
                let echoed = [&host, &path, &query].iter().any(|t| t.contains(ip));
                assert!(echoed || !line.contains(ip), "{ip} in {line}");
            }
        }
    }
    // The generator reaches every kind of answer, 404 NAME_UNKNOWN included.
    assert!(unknown_repositories > 0, "never an unknown repository");
    for status in invariants::STATUSES {
        assert!(
            statuses.contains(&status),
            "never saw {status}: {statuses:?}"
        );
    }
}
