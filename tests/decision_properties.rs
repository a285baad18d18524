//! Property test: thousands of generated hostile requests (seeded, so any
//! failure reproduces). `decide` never panics, never answers 5xx, emits
//! only header-safe text, asks at most one blob check (of a configured
//! base), and every Location's scheme and host is a configured one.

mod common;
mod decision_support;

use common::Rng;
use decision_support::*;
use registry_edge::config::Config;
use registry_edge::decision::{decide, BlobCheck};
use registry_edge::request::{Coordinates, RequestInfo};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

const DIGEST: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
const HEX: &str = "da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

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

fn hostile_path(rng: &mut Rng) -> String {
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
        "35.180.1.1",
        "35.55.34.7",
        "35.55.100.1",
        "35.220.26.1",
        "20.36.32.5",
        "192.168.0.1",
        "2600:1f01:4874::47",
        "2400:6500:0:9::2",
        "::ffff:35.180.1.1",
        "3.5.140.1",
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

/// Answers with a preset bit and records what it is asked.
struct CoinCheck {
    answer: Cell<bool>,
    asked: RefCell<Vec<String>>,
}

impl BlobCheck for CoinCheck {
    async fn blob_exists(&self, url: &str) -> bool {
        self.asked.borrow_mut().push(url.to_string());
        self.answer.get()
    }
}

/// `scheme://authority` of a URL, if it has that shape.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    Some(&url[..scheme_end + 3 + authority_end])
}

fn allowed_origins(config: &Config) -> BTreeSet<String> {
    let mut urls = vec![
        config.upstream_registry_endpoint.clone(),
        config.info_url.clone(),
        config.privacy_url.clone(),
    ];
    urls.extend(config.signature_upstream_endpoint.clone());
    urls.extend(config.default_blob_base_url.clone());
    urls.extend(config.blob_mirrors.values().cloned());
    urls.extend(config.upstream_regions.iter().map(|r| r.endpoint.clone()));
    urls.extend(config.primary_host.iter().map(|h| format!("https://{h}")));
    urls.iter()
        .map(|u| origin(u).unwrap().to_string())
        .collect()
}

fn blob_bases(config: &Config) -> Vec<String> {
    let mut bases: Vec<String> = config.blob_mirrors.values().cloned().collect();
    bases.extend(config.default_blob_base_url.clone());
    bases
}

fn header_safe(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn configs() -> Vec<Config> {
    let regions = r#"[
      {"name": "us-central1", "endpoint": "https://us-central1-docker.pkg.dev", "lat": 41.26, "lon": -95.86},
      {"name": "europe-west1", "endpoint": "https://europe-west1-docker.pkg.dev", "lat": 50.45, "lon": 3.82},
      {"name": "asia-east1", "endpoint": "http://asia-east1.example:8080/base", "lat": 24.05, "lon": 120.52}
    ]"#;
    let mirrors = r#"{"us-east-2": "https://us-east-2.example", "eu-west-3": "https://eu-west-3.example:8443/bucket",
        "us-west-2": "http://us-west-2.example", "ap-southeast-3": "https://ap-southeast-3.example"}"#;
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
        ]),
        config(&[("UPSTREAM_REGISTRY_ENDPOINT", "https://k8s.gcr.io")]),
    ]
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
    for (index, config) in configs().iter().enumerate() {
        let origins = allowed_origins(config);
        let bases = blob_bases(config);
        let mut rng = Rng(0x6b38_7324_0000 + index as u64);
        let check = CoinCheck {
            answer: Cell::new(false),
            asked: RefCell::default(),
        };
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
            check.answer.set(rng.chance(50));
            let req = RequestInfo {
                method,
                host: &host,
                path: &path,
                query: &query,
                client_ip: ip.as_deref(),
                coordinates: hostile_coordinates(&mut rng),
            };
            let decision = block_on(decide(&req, config, &check));
            let reply = decision.reply();
            let _ = decision.reason();
            statuses.insert(reply.status);
            assert!(
                matches!(reply.status, 200 | 301 | 307 | 400 | 404 | 405 | 414),
                "{req:?} -> {decision:?}"
            );
            for (name, value) in &reply.headers {
                assert!(header_safe(value), "{req:?}: header {name}: {value:?}");
            }
            let location = reply
                .headers
                .iter()
                .find(|(k, _)| *k == "Location")
                .map(|(_, v)| v.as_str());
            assert_eq!(
                location.is_some(),
                matches!(reply.status, 301 | 307),
                "{req:?} -> {decision:?}"
            );
            if let Some(location) = location {
                assert!(
                    location.bytes().all(|b| (0x21..0x7f).contains(&b)),
                    "{req:?}: Location {location:?}"
                );
                let o =
                    origin(location).unwrap_or_else(|| panic!("{req:?}: Location {location:?}"));
                assert!(
                    origins.contains(o),
                    "{req:?}: Location {location:?} leaves {origins:?}"
                );
                let rest = &location[o.len()..];
                assert!(
                    rest.is_empty() || rest.starts_with('/'),
                    "{req:?}: {location:?}"
                );
            }
            if reply
                .headers
                .iter()
                .any(|(_, v)| v.starts_with("application/json"))
            {
                serde_json::from_str::<serde_json::Value>(&reply.body)
                    .unwrap_or_else(|e| panic!("{req:?}: body {:?}: {e}", reply.body));
            }
            let asked = std::mem::take(&mut *check.asked.borrow_mut());
            assert!(asked.len() <= 1, "{req:?}: asked {asked:?}");
            for url in &asked {
                assert!(
                    bases
                        .iter()
                        .any(|b| url.starts_with(&format!("{b}/containers/images/"))),
                    "{req:?}: asked {url:?}"
                );
                assert!(header_safe(url));
            }
        }
    }
    // The generator reaches every kind of answer.
    for status in [200, 301, 307, 400, 404, 405, 414] {
        assert!(
            statuses.contains(&status),
            "never saw {status}: {statuses:?}"
        );
    }
}
