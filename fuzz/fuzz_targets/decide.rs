//! Fuzzes `registry_edge::decision::decide`, the pure decision core, with a
//! fixed realistic configuration, the fixture range tables and a blob
//! existence check answered from the input. On every input: the decision
//! is made without waiting (the check never waits, so the future is ready
//! on the first poll) and without a panic, and every rule of
//! `registry_edge_testkit::invariants` holds (the same checker the
//! property test in tests/decision_properties.rs runs), including that
//! what a client can make the copies answer changes no breaker and that a
//! rejected check routes the request as an unasked one.
//!
//! The input is structured (arbitrary) so that the fuzzer reaches the blob
//! branch for every kind of client: a persona address, a random IPv4/IPv6
//! address, or raw text; raw paths cover everything else. Half the inputs
//! are decided with a known-repositories list.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use registry_edge::config::Config;
use registry_edge::decision::{decide, Observed};
use registry_edge::request::{Coordinates, RawRequest, Request};
use registry_edge_testkit::fixture::{self, client_tables};
use registry_edge_testkit::{block_on, invariants, known_list, ScriptedBlobs};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

const UPSTREAM: &str = "https://us-central1-docker.pkg.dev";
const SIGNATURES: &str = "https://signatures.example";
const CDN: &str = "https://d1be1w964nk82h.cloudfront.net";
const INFO: &str = "https://github.com/kubernetes/registry.k8s.io";
const PRIVACY: &str = "https://www.linuxfoundation.org/privacy-policy/";
const PRIMARY: &str = "registry.k8s.io";
const MIRRORS: &[(&str, &str)] = &[
    (
        "eu-west-3",
        "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com",
    ),
    (
        "us-east-2",
        "https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com",
    ),
    ("us-west-2", "http://127.0.0.1:9000"),
    (
        "me-central-1",
        "https://prod-registry-k8s-io-me-central-1.s3.dualstack.me-central-1.amazonaws.com",
    ),
    (
        "me-south-1",
        "https://prod-registry-k8s-io-me-central-1.s3.dualstack.me-central-1.amazonaws.com",
    ),
];
const REGIONS: &[(&str, &str, f64, f64)] = &[
    (
        "us-central1",
        "https://us-central1-docker.pkg.dev",
        41.26,
        -95.86,
    ),
    (
        "europe-west1",
        "https://europe-west1-docker.pkg.dev",
        50.45,
        3.82,
    ),
    (
        "asia-east1",
        "https://asia-east1-docker.pkg.dev",
        24.05,
        120.52,
    ),
];

/// Two configurations: the production-like one, and a minimal one (no CDN,
/// no regions, empty upstream path, no legacy hosts).
fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let mirrors: serde_json::Map<String, serde_json::Value> = MIRRORS
            .iter()
            .map(|(r, u)| (r.to_string(), serde_json::Value::from(*u)))
            .collect();
        let regions: Vec<serde_json::Value> = REGIONS
            .iter()
            .map(|(n, e, lat, lon)| serde_json::json!({"name": n, "endpoint": e, "lat": lat, "lon": lon}))
            .collect();
        let full = [
            ("UPSTREAM_REGISTRY_ENDPOINT", UPSTREAM.to_string()),
            ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images".to_string()),
            ("SIGNATURE_UPSTREAM_ENDPOINT", SIGNATURES.to_string()),
            ("INFO_URL", INFO.to_string()),
            ("PRIVACY_URL", PRIVACY.to_string()),
            ("DEFAULT_BLOB_BASE_URL", CDN.to_string()),
            ("BLOB_MIRRORS", serde_json::Value::Object(mirrors.clone()).to_string()),
            ("UPSTREAM_REGIONS", serde_json::Value::Array(regions).to_string()),
            ("LEGACY_HOSTS", "k8s.gcr.io,Legacy.Example".to_string()),
            ("PRIMARY_HOST", PRIMARY.to_string()),
            ("BLOB_CHECK_TIMEOUT_MS", "2000".to_string()),
            ("NEGATIVE_CACHE_SECONDS", "60".to_string()),
        ];
        let minimal = [
            ("UPSTREAM_REGISTRY_ENDPOINT", "http://127.0.0.1:5000/".to_string()),
            ("BLOB_MIRRORS", serde_json::Value::Object(mirrors).to_string()),
        ];
        let build = |vars: &[(&str, String)]| {
            Config::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
                .unwrap_or_else(|e| panic!("fuzz configuration is invalid: {e}"))
        };
        [build(&full), build(&minimal)]
    })
}

#[derive(Arbitrary, Debug)]
enum Method<'a> {
    Get,
    Head,
    Other(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Host<'a> {
    Primary,
    Legacy,
    LegacyUpperWithPort,
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Name<'a> {
    Known(u8),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Digest<'a> {
    Sha256([u8; 32]),
    Sha512([u8; 32], [u8; 32]),
    /// The algorithm and hex part as given (upper case, wrong length, ...).
    Raw(&'a str, &'a str),
}

#[derive(Arbitrary, Debug)]
enum Path<'a> {
    Blob(Name<'a>, Digest<'a>),
    Manifest(Name<'a>, &'a str),
    ManifestDigest(Name<'a>, Digest<'a>),
    Cosign(Name<'a>, [u8; 32], bool),
    Tags(Name<'a>),
    Referrers(Name<'a>, Digest<'a>),
    /// A pull path with something inserted somewhere.
    Spliced(Name<'a>, Digest<'a>, u16, &'a str),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Client<'a> {
    None,
    Persona(u8),
    V4([u8; 4]),
    V6([u8; 16]),
    /// A persona address with decoration (spaces, a list, a port, a zone).
    Decorated(u8, &'a str, &'a str),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    minimal_config: bool,
    method: Method<'a>,
    host: Host<'a>,
    path: Path<'a>,
    query: &'a str,
    client: Client<'a>,
    /// CF-Connecting-IPv6 (read when `client` is a Pseudo IPv4 address).
    client_ipv6: Client<'a>,
    coordinates: Option<(f64, f64)>,
    blob_answers: u8,
    /// Decide with a known-repositories list (of some of [`NAMES`]' top
    /// levels) or, as when none is known, without.
    known_repositories: bool,
}

const NAMES: &[&str] = &[
    "pause",
    "e2e/multi-arch",
    "sig-storage/csi-provisioner",
    "a",
    "blobs/manifests",
];
const PERSONAS: &[&str] = &[
    fixture::AWS_EU_WEST_3,
    fixture::AWS_US_EAST_2,
    fixture::AWS_ME_SOUTH_1,
    fixture::GCP_EUROPE_WEST1,
    fixture::AWS_US_WEST_2_V6,
    fixture::UNKNOWN,
    fixture::AZURE_AUSTRALIACENTRAL,
    fixture::AWS_EU_WEST_3_MAPPED,
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn name(n: &Name) -> String {
    match n {
        Name::Known(i) => NAMES[*i as usize % NAMES.len()].to_string(),
        Name::Raw(s) => s.to_string(),
    }
}

fn digest(d: &Digest) -> String {
    match d {
        Digest::Sha256(b) => format!("sha256:{}", hex(b)),
        Digest::Sha512(a, b) => format!("sha512:{}{}", hex(a), hex(b)),
        Digest::Raw(alg, h) => format!("{alg}:{h}"),
    }
}

fn path(p: &Path) -> String {
    match p {
        Path::Blob(n, d) => format!("/v2/{}/blobs/{}", name(n), digest(d)),
        Path::Manifest(n, r) => format!("/v2/{}/manifests/{r}", name(n)),
        Path::ManifestDigest(n, d) => format!("/v2/{}/manifests/{}", name(n), digest(d)),
        Path::Cosign(n, h, att) => format!(
            "/v2/{}/manifests/sha256-{}.{}",
            name(n),
            hex(h),
            if *att { "att" } else { "sig" }
        ),
        Path::Tags(n) => format!("/v2/{}/tags/list", name(n)),
        Path::Referrers(n, d) => format!("/v2/{}/referrers/{}", name(n), digest(d)),
        Path::Spliced(n, d, at, insert) => {
            let mut s = format!("/v2/{}/blobs/{}", name(n), digest(d));
            let mut at = *at as usize % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.insert_str(at, insert);
            s
        }
        Path::Raw(s) => s.to_string(),
    }
}

fn client(c: &Client) -> Option<String> {
    match c {
        Client::None => None,
        Client::Persona(i) => Some(PERSONAS[*i as usize % PERSONAS.len()].to_string()),
        Client::V4(b) => Some(Ipv4Addr::from(*b).to_string()),
        Client::V6(b) => Some(Ipv6Addr::from(*b).to_string()),
        Client::Decorated(i, before, after) => Some(format!(
            "{before}{}{after}",
            PERSONAS[*i as usize % PERSONAS.len()]
        )),
        Client::Raw(s) => Some(s.to_string()),
    }
}

fuzz_target!(|input: Input| {
    let config = &configs()[usize::from(input.minimal_config)];
    let host = match &input.host {
        Host::Primary => PRIMARY.to_string(),
        Host::Legacy => "k8s.gcr.io".to_string(),
        Host::LegacyUpperWithPort => "K8S.GCR.IO.:443".to_string(),
        Host::Raw(s) => s.to_string(),
    };
    let method = match &input.method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Other(m) => m,
    };
    let path = path(&input.path);
    let client_ip = client(&input.client);
    let client_ipv6 = client(&input.client_ipv6);
    let raw = RawRequest {
        method: method.to_string(),
        scheme: "https".into(),
        host,
        path,
        query: input.query.to_string(),
        client_ip,
        client_ipv6,
        coordinates: input.coordinates.map(|(latitude, longitude)| Coordinates {
            latitude,
            longitude,
        }),
        authorization: None,
    };
    let request = Request::read(&raw, client_tables());
    let blobs = ScriptedBlobs::new(input.blob_answers);
    let known = known_list(&["pause", "e2e"]);
    let observed = Observed {
        known_repositories: input.known_repositories.then_some(&known),
        ..Observed::default()
    };
    let decision = block_on(decide(&request, config, client_tables(), &blobs, &observed));
    invariants::check(&request, config, &decision, &blobs.take_asked());
    invariants::check_rejections(
        &request,
        config,
        client_tables(),
        &observed,
        usize::from(input.blob_answers),
    );
});
