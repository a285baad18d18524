//! The answer around the decision (src/serving/answer.rs): pull sessions,
//! rate limits, the status page and the ranges header, on fixture tables.

use registry_edge::config::Config;
use registry_edge::decision::{Decision, Observed};
use registry_edge::places::ranges::PROVIDERS;
use registry_edge::request::Session;
use registry_edge::request::{Credentials, Request};
use registry_edge::serving::status::{oldest_created, Bindings, RANGES_HEADER};
use registry_edge::serving::worker_version::WorkerVersion;
use registry_edge::serving::{answer, Answer, Conditions};
use registry_edge_testkit::fixture::{self, client_tables, D};
use registry_edge_testkit::{block_on, config, get, invariants, FakeBlobs, Req};

const UP: &str = "https://upstream.example";
const MIRROR: &str = "https://eu-west-3.mirror.example";
const TOKEN: &str = "00112233445566778899aabbccddeeff";
const RANDOM: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];

fn vars(extra: &[(&'static str, &'static str)]) -> Config {
    let mut all = vec![
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.mirror.example"}"#,
        ),
        ("LEGACY_HOSTS", "k8s.gcr.io"),
        ("PRIMARY_HOST", "registry.k8s.io"),
    ];
    all.extend_from_slice(extra);
    config(&all)
}

fn sessions_on() -> Config {
    vars(&[("PULL_SESSIONS", "true")])
}

struct Call<'a> {
    authorization: Option<&'a str>,
    rate_limited: bool,
    scheme: &'a str,
}

const PLAIN: Call<'static> = Call {
    authorization: None,
    rate_limited: false,
    scheme: "https",
};

fn run<'c>(req: &Req, config: &'c Config, call: Call<'_>) -> Answer<'c> {
    let blobs = FakeBlobs::with(&[&format!("{MIRROR}/containers/images/{D}")]);
    let mut raw = req.request.clone();
    raw.scheme = call.scheme.into();
    raw.authorization = call.authorization.map(str::to_string);
    let request = Request::read(&raw, client_tables());
    let conditions = Conditions {
        rate_limited: call.rate_limited,
        now_ms: 1_795_641_923_500.0,
        bindings: Bindings::default(),
        observed: Observed::default(),
    };
    let answer = block_on(answer(
        &request,
        &conditions,
        config,
        client_tables(),
        &blobs,
        || RANDOM,
    ));
    invariants::check_answer(&request, config, &answer, &blobs.asked.borrow());
    answer
}

fn header<'r>(reply: &'r registry_edge::serving::Reply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn sessions_are_off_by_default() {
    let c = vars(&[]);
    assert!(!c.operating.pull_sessions);
    assert_eq!(
        run(&get("/v2/"), &c, PLAIN),
        Answer::Decided(Decision::ApiVersion)
    );
    assert_eq!(
        run(&get("/token"), &c, PLAIN),
        Answer::Decided(Decision::NotFound)
    );
    assert_eq!(
        run(&get("/v2/pause/manifests/3.10"), &c, PLAIN).status(),
        307
    );
}

#[test]
fn an_anonymous_ping_or_manifest_is_challenged_to_fetch_a_token() {
    let c = sessions_on();
    let challenge = r#"Bearer realm="https://registry.k8s.io/token",service="registry.k8s.io""#;
    for path in [
        "/v2/",
        "/v2",
        "/v2/pause/manifests/3.10",
        &format!("/v2/pause/manifests/{D}"),
    ] {
        let a = run(&get(path), &c, PLAIN);
        assert_eq!(a, Answer::Challenge(challenge.into()), "{path}");
        let reply = a.reply(&get(path).read());
        assert_eq!(reply.status, 401);
        assert_eq!(header(&reply, "WWW-Authenticate"), Some(challenge));
        assert_eq!(
            header(&reply, "Docker-Distribution-Api-Version"),
            Some("registry/2.0")
        );
        assert_eq!(header(&reply, "Cache-Control"), Some("no-store"));
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
    }
    // The realm is on the host and scheme the client used (plain-HTTP rigs).
    let local = get("/v2/").host("127.0.0.1:8787");
    assert_eq!(
        run(
            &local,
            &c,
            Call {
                scheme: "http",
                ..PLAIN
            }
        ),
        Answer::Challenge(
            r#"Bearer realm="http://127.0.0.1:8787/token",service="127.0.0.1:8787""#.into()
        )
    );
}

#[test]
fn everything_else_is_answered_as_without_sessions() {
    let c = sessions_on();
    let off = vars(&[]);
    let aws = |path: &str| get(path).from(fixture::AWS_EU_WEST_3);
    for req in [
        aws(&format!("/v2/pause/blobs/{D}")),
        aws("/v2/pause/tags/list"),
        aws(&format!("/v2/pause/referrers/{D}")),
        aws("/v2/_catalog"),
        aws("/v2/Bad/manifests/1"),
        aws("/"),
        aws("/privacy"),
        aws("/nothing"),
    ] {
        assert_eq!(run(&req, &c, PLAIN), run(&req, &off, PLAIN), "{}", req.path);
    }
    // Legacy hosts still move wholesale, methods are still refused.
    let legacy = run(&get("/v2/").host("k8s.gcr.io"), &c, PLAIN);
    assert_eq!(legacy.status(), 301);
    assert_eq!(
        run(&get("/token").host("k8s.gcr.io"), &c, PLAIN).status(),
        301
    );
    assert_eq!(run(&get("/v2/").method("POST"), &c, PLAIN).status(), 405);
    assert_eq!(run(&get("/token").method("POST"), &c, PLAIN).status(), 405);
}

#[test]
fn any_authorization_header_passes_and_only_a_token_names_a_session() {
    let c = sessions_on();
    let bearer = format!("Bearer {TOKEN}");
    for authorization in [
        bearer.as_str(),
        "Bearer not-one-of-ours",
        "Basic dXNlcjpwYXNz",
        "",
    ] {
        let call = Call {
            authorization: Some(authorization),
            ..PLAIN
        };
        assert_eq!(
            run(&get("/v2/"), &c, call),
            Answer::Decided(Decision::ApiVersion),
            "{authorization:?}"
        );
        let call = Call {
            authorization: Some(authorization),
            ..PLAIN
        };
        assert_eq!(
            run(&get("/v2/pause/manifests/3.10"), &c, call).status(),
            307
        );
    }
    assert_eq!(
        Credentials::read(Some(&bearer))
            .session()
            .map(|s| s.as_str().to_string()),
        Some(TOKEN.to_string())
    );
    assert_eq!(
        Credentials::read(Some("Bearer not-one-of-ours")).session(),
        None
    );
}

#[test]
fn the_token_endpoint_issues_a_random_session() {
    let c = sessions_on();
    let a = run(
        &get("/token?scope=repository:pause:pull&service=registry.k8s.io"),
        &c,
        PLAIN,
    );
    assert_eq!(a, Answer::Token(Session::from_random(RANDOM)));
    let reply = a.reply(&get("/token").read());
    assert_eq!(reply.status, 200);
    assert_eq!(header(&reply, "Cache-Control"), Some("no-store"));
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["token"], TOKEN);
    assert_eq!(body["access_token"], TOKEN);
    assert_eq!(body["expires_in"], 3600);
    // The random source is asked only for a token.
    let blobs = FakeBlobs::default();
    let conditions = Conditions {
        rate_limited: false,
        now_ms: 0.0,
        bindings: Bindings::default(),
        observed: Observed::default(),
    };
    let never = || -> [u8; 16] { panic!("random bytes drawn for a request that issues no token") };
    let ping = get("/v2/");
    block_on(answer(
        &ping.read(),
        &conditions,
        &c,
        client_tables(),
        &blobs,
        never,
    ));
}

#[test]
fn over_the_limit_is_429_with_retry_after() {
    let c = vars(&[("RATE_LIMIT_PERIOD_SECONDS", "10")]);
    let limited = Call {
        rate_limited: true,
        ..PLAIN
    };
    let path = format!("/v2/pause/blobs/{D}");
    let a = run(&get(&path).from(fixture::AWS_EU_WEST_3), &c, limited);
    // now_ms ends in 3,500: 6.5 s of the 10 s window are left.
    assert_eq!(
        a,
        Answer::RateLimited {
            retry_after: 7,
            oci: true
        }
    );
    let reply = a.reply(&get(&path).read());
    assert_eq!(reply.status, 429);
    assert_eq!(header(&reply, "Retry-After"), Some("7"));
    assert_eq!(header(&reply, "Cache-Control"), Some("no-store"));
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["errors"][0]["code"], "TOOMANYREQUESTS");
    // Outside the registry API the answer is plain text.
    let limited = Call {
        rate_limited: true,
        ..PLAIN
    };
    let reply = run(&get("/"), &c, limited).reply(&get("/").read());
    assert_eq!(
        (reply.status, header(&reply, "Retry-After")),
        (429, Some("7"))
    );
    assert!(reply.body.starts_with("Too many requests"));
    // A minute-long window.
    let c = vars(&[("RATE_LIMIT_PERIOD_SECONDS", "60")]);
    let limited = Call {
        rate_limited: true,
        ..PLAIN
    };
    assert_eq!(
        run(&get("/v2/"), &c, limited),
        Answer::RateLimited {
            retry_after: 37,
            oci: true
        }
    );
}

#[test]
fn status_page() {
    let c = vars(&[(
        "UPSTREAM_REGIONS",
        r#"[{"name": "europe-west1", "endpoint": "https://europe-west1.example", "lat": 50.45, "lon": 3.82}]"#,
    )]);
    let a = run(&get("/_status"), &c, PLAIN);
    let Answer::Status(document) = &a else {
        panic!("{a:?}")
    };
    let status: serde_json::Value = serde_json::from_str(document).unwrap();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    let commit = status["commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    let providers = status["ranges"]["providers"].as_array().unwrap();
    let clouds: Vec<_> = providers
        .iter()
        .map(|p| p["cloud"].as_str().unwrap())
        .collect();
    assert_eq!(clouds, ["AWS", "GCP", "Azure"]);
    for p in providers {
        assert!(p["sync_token"].is_string() && p["v4_prefixes"].as_u64().unwrap() > 0);
        if p["cloud"] == "Azure" {
            // The Azure file carries no creation date.
            assert!(p["created"].is_null() && p["age_days"].is_null(), "{p}");
        } else {
            assert!(p["created"].as_str().unwrap().ends_with('Z'), "{p}");
            assert!(p["age_days"].as_i64().unwrap() >= 0, "{p}");
        }
    }
    assert_eq!(
        status["copies"]["mirrors"],
        serde_json::json!(["eu-west-3"])
    );
    assert_eq!(
        status["copies"]["upstream_regions"],
        serde_json::json!(["europe-west1"])
    );
    assert_eq!(status["features"]["pull_sessions"], false);
    assert_eq!(status["features"]["log_sample_rate"], 1.0);
    // Names, never URLs.
    assert!(!document.contains("://"), "{document}");
    assert_eq!(a.reply(&get("/_status").read()).status, 200);
}

/// The `/_status` document of `config` at `now_ms`, with these bindings.
fn status_at(config: &Config, bindings: Bindings, now_ms: f64) -> serde_json::Value {
    let req = get("/_status");
    let request = Request::read(&req.request, client_tables());
    let conditions = Conditions {
        rate_limited: false,
        now_ms,
        bindings,
        observed: Observed::default(),
    };
    let blobs = FakeBlobs::with(&[]);
    match block_on(answer(
        &request,
        &conditions,
        config,
        client_tables(),
        &blobs,
        || RANDOM,
    )) {
        Answer::Status(document) => serde_json::from_str(&document).unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn status_names_the_workers_version_beside_the_build() {
    static VERSION: WorkerVersion = WorkerVersion {
        id: "d6d3515a-5614-4649-acb7-b5863d41ed8d",
        tag: Some("5f0c2a1e"),
        timestamp: Some("2026-12-07T19:34:22.160Z"),
    };
    let c = vars(&[]);
    let bound = Bindings {
        version: Some(&VERSION),
        ..Bindings::default()
    };
    assert_eq!(
        status_at(&c, bound, 1_795_641_923_500.0)["worker_version"],
        serde_json::json!({"id": VERSION.id, "tag": "5f0c2a1e", "timestamp": "2026-12-07T19:34:22.160Z"})
    );
    // wrangler dev's binding has an empty tag: absent, as without --tag.
    let local = WorkerVersion::new(
        "d6d3515a-5614-4649-acb7-b5863d41ed8d",
        "",
        "2026-12-07T19:34:22.160Z",
    );
    assert_eq!(local.tag, None);
    // Without the binding.
    assert!(status_at(&c, Bindings::default(), 1_795_641_923_500.0)["worker_version"].is_null());
}

#[test]
fn status_marks_range_data_older_than_ranges_max_age_days_stale() {
    let oldest_ms = PROVIDERS
        .iter()
        .filter_map(|p| registry_edge::serving::dates::created_seconds(p.created))
        .min()
        .unwrap() as f64
        * 1000.0;
    let day = 86_400_000.0;
    for (max, now_ms, age, stale) in [
        (None, oldest_ms + 45.5 * day, 45, false),
        (None, oldest_ms + 46.0 * day, 46, true),
        (Some("10"), oldest_ms + 10.5 * day, 10, false),
        (Some("10"), oldest_ms + 11.0 * day, 11, true),
    ] {
        let c = match max {
            Some(days) => vars(&[("RANGES_MAX_AGE_DAYS", days)]),
            None => vars(&[]),
        };
        let ranges = &status_at(&c, Bindings::default(), now_ms)["ranges"];
        assert_eq!(
            (
                &ranges["age_days"],
                &ranges["max_age_days"],
                &ranges["stale"]
            ),
            (
                &serde_json::json!(age),
                &serde_json::json!(max.map_or(45, |d| d.parse::<u32>().unwrap())),
                &serde_json::json!(stale)
            ),
            "RANGES_MAX_AGE_DAYS {max:?} at {age} days"
        );
    }
}

#[test]
fn registry_answers_name_the_oldest_range_data() {
    let c = sessions_on();
    for (path, call_auth) in [
        ("/v2/", None),
        ("/v2/", Some("Bearer x")),
        ("/v2/pause/manifests/3.10", Some("Bearer x")),
        ("/v2/_catalog", None),
    ] {
        let call = Call {
            authorization: call_auth,
            ..PLAIN
        };
        let reply = run(&get(path), &c, call).reply(&get(path).read());
        let value = header(&reply, RANGES_HEADER).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(Some(value.to_string()), oldest_created(&PROVIDERS));
        assert!(value.ends_with('Z') && value.len() == 20, "{value}");
    }
    let reply = run(&get("/"), &c, PLAIN).reply(&get("/").read());
    assert_eq!(header(&reply, RANGES_HEADER), None);
}

/// A percent-encoded reference or digest is the same request as its
/// decoded form: the same answer, the same challenge, the same record.
#[test]
fn percent_encoded_requests_are_answered_and_recorded_as_decoded() {
    use registry_edge::serving::record::{Edge, Record};
    let hex = &D[7..];
    let pairs = [
        (
            "/v2/pause/manifests/3.10".to_string(),
            "/v2/pause/manifests/3%2E10".to_string(),
        ),
        (
            format!("/v2/pause/manifests/{D}"),
            format!("/v2/pause/manifests/sha256%3A{hex}"),
        ),
        (
            format!("/v2/pause/blobs/{D}"),
            format!("/v2/pause/blobs/sha256%3a{hex}"),
        ),
        (
            format!("/v2/pause/referrers/{D}"),
            format!("/v2/pause/referrers/sha256%3A{hex}"),
        ),
    ];
    for c in [sessions_on(), vars(&[])] {
        for authorization in [None, Some("Bearer 00112233445566778899aabbccddeeff")] {
            for (decoded, encoded) in &pairs {
                let call = || Call {
                    authorization,
                    ..PLAIN
                };
                let seen = |path: &str| {
                    let req = get(path).from(fixture::AWS_EU_WEST_3);
                    let answer = run(&req, &c, call());
                    let mut raw = req.request.clone();
                    raw.authorization = authorization.map(str::to_string);
                    let request = Request::read(&raw, client_tables());
                    let record = Record::new(&request, &answer, Edge::default()).to_json();
                    (answer.reply(&request), record)
                };
                assert_eq!(seen(decoded), seen(encoded), "{encoded}");
            }
        }
    }
    // With sessions on, the encoded manifest is challenged like its
    // decoded form.
    let c = sessions_on();
    let a = run(&get("/v2/pause/manifests/3%2E10"), &c, PLAIN);
    assert!(matches!(a, Answer::Challenge(_)), "{a:?}");
}

/// With sessions on, a request that will be challenged is challenged
/// before anything is checked: no HEAD to a regional upstream (a manifest
/// by digest the signature fallback would check), the same challenge.
#[test]
fn a_challenged_request_checks_nothing() {
    let c = vars(&[
        ("PULL_SESSIONS", "true"),
        ("SIGNATURE_UPSTREAM_ENDPOINT", "https://signatures.example"),
    ]);
    let manifest = format!("/v2/pause/manifests/{D}");
    let blobs = FakeBlobs::default();
    let raw = get(&manifest).from(fixture::AWS_EU_WEST_3);
    let request = raw.read();
    let conditions = Conditions {
        rate_limited: false,
        now_ms: 0.0,
        bindings: Bindings::default(),
        observed: Observed::default(),
    };
    let a = block_on(answer(
        &request,
        &conditions,
        &c,
        client_tables(),
        &blobs,
        || RANDOM,
    ));
    assert!(matches!(a, Answer::Challenge(_)), "{a:?}");
    assert!(blobs.asked_upstream.borrow().is_empty() && blobs.asked.borrow().is_empty());
    // With a session, the same request is checked and redirected.
    let raw = raw.authorization(Some(&format!("Bearer {TOKEN}")));
    let a = block_on(answer(
        &raw.read(),
        &conditions,
        &c,
        client_tables(),
        &blobs,
        || RANDOM,
    ));
    assert_eq!(a.status(), 307);
    assert_eq!(blobs.asked_upstream.borrow().len(), 1);
}

/// IPv6 clients are limited by their network: every address of one /64
/// is one key (what the binding counts), another /64 another key.
#[test]
fn one_ipv6_network_is_one_rate_limit_key() {
    use registry_edge::serving::rate_limit::key;
    use std::net::{IpAddr, Ipv6Addr};
    let mut rng = registry_edge_testkit::Rng(0x64);
    let network: u128 = 0x2600_1f01_4874_0012 << 64;
    let keys: std::collections::BTreeSet<String> = (0..5_000)
        .map(|_| {
            let address = network | u128::from(rng.next_u64());
            key(IpAddr::V6(Ipv6Addr::from(address)), 64)
        })
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let other = key(IpAddr::V6(Ipv6Addr::from(network + (1u128 << 64))), 64);
    assert!(!keys.contains(&other));
    // The prefix length is the configured one.
    let c = vars(&[("RATE_LIMIT_IPV6_PREFIX", "48")]);
    assert_eq!(c.operating.rate_limit_ipv6_prefix, 48);
    assert_eq!(vars(&[]).operating.rate_limit_ipv6_prefix, 64);
}
