//! Configuration parsing: defaults, both spellings of structured variables,
//! and an error naming the variable for every kind of mistake.

use registry_edge::config::{Config, ConfigError};
use registry_edge::places::ranges::{find_site, Cloud, TABLES};

fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

const UP: (&str, &str) = (
    "UPSTREAM_REGISTRY_ENDPOINT",
    "https://us-central1-docker.pkg.dev",
);

fn error(vars: &[(&str, &str)]) -> ConfigError {
    parse(vars).expect_err("must be rejected")
}

#[test]
fn defaults() {
    let c = parse(&[UP]).unwrap();
    assert_eq!(c.upstream.endpoint, "https://us-central1-docker.pkg.dev");
    assert_eq!(c.upstream.path, "");
    assert_eq!(
        c.hosts.info_url,
        "https://github.com/kubernetes/registry.k8s.io"
    );
    assert_eq!(
        c.hosts.privacy_url,
        "https://www.linuxfoundation.org/privacy-policy/"
    );
    assert_eq!(
        (c.checks.timeout_ms, c.checks.negative_ttl_seconds),
        (2000, 60)
    );
    assert_eq!(c.mirrors.fallback_km, 2000);
    assert!(!c.upstream.health_checks);
    assert_eq!(
        (c.checks.breaker.failures, c.checks.breaker.open_ms / 1000),
        (3, 30)
    );
    assert!(
        c.mirrors.by_region.is_empty()
            && c.upstream.regions.is_empty()
            && c.hosts.legacy.is_empty()
    );
    assert_eq!(
        (
            c.upstream.signature_endpoint,
            c.mirrors.default_blob_base,
            c.hosts.primary
        ),
        (None, None, None)
    );
}

#[test]
fn structured_variables_as_tables_or_json_strings() {
    // What the adapter hands over for a TOML table is its JSON text; a JSON
    // string variable arrives as the same text.
    let c = parse(&[
        UP,
        (
            "BLOB_MIRRORS",
            r#"{"us-east-1":"https://a.example/","cn-north-1":"https://b.example"}"#,
        ),
        (
            "UPSTREAM_REGIONS",
            r#"[{"name":"eu","endpoint":"https://eu.example/","lat":50.4,"lon":3.8}]"#,
        ),
        ("BLOB_CHECK_TIMEOUT_MS", "1500"),
        ("NEGATIVE_CACHE_SECONDS", "0"),
        ("LEGACY_HOSTS", " k8s.gcr.io ,, OLD.example "),
        ("PRIMARY_HOST", "Registry.K8s.io"),
        ("UPSTREAM_REGISTRY_PATH", "/k8s-artifacts-prod/images/"),
        ("SIGNATURE_UPSTREAM_ENDPOINT", ""),
        ("BREAKER_FAILURES", "0"),
        ("BREAKER_SECONDS", "\"3600\""),
    ])
    .unwrap();
    assert_eq!(
        (c.checks.breaker.failures, c.checks.breaker.open_ms / 1000),
        (0, 3600)
    );
    assert_eq!(
        c.mirrors.by_region[&(Cloud::Aws, "us-east-1".into())]
            .copy
            .base,
        "https://a.example"
    );
    assert_eq!(
        c.mirrors.by_region[&(Cloud::Aws, "cn-north-1".into())]
            .copy
            .base,
        "https://b.example"
    );
    assert_eq!(c.upstream.regions[0].endpoint, "https://eu.example");
    assert_eq!(
        (c.checks.timeout_ms, c.checks.negative_ttl_seconds),
        (1500, 0)
    );
    assert_eq!(c.hosts.legacy, ["k8s.gcr.io", "old.example"]);
    assert_eq!(c.hosts.primary.as_deref(), Some("registry.k8s.io"));
    assert_eq!(c.upstream.path, "k8s-artifacts-prod/images");
    assert_eq!(c.upstream.signature_endpoint, None, "empty means unset");
}

#[test]
fn every_mistake_names_its_variable() {
    // (variables, the variable blamed, words of the problem)
    type Case = (
        Vec<(&'static str, &'static str)>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (vec![], "UPSTREAM_REGISTRY_ENDPOINT", "required"),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "us-central1-docker.pkg.dev")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "absolute",
        ),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "ftp://x.example")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "absolute",
        ),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "https://")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "host",
        ),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "https://user@x.example")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "host",
        ),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "https://x.example/?a=1")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "query",
        ),
        (
            vec![("UPSTREAM_REGISTRY_ENDPOINT", "https://x.example/a b")],
            "UPSTREAM_REGISTRY_ENDPOINT",
            "percent",
        ),
        (
            vec![UP, ("UPSTREAM_REGISTRY_PATH", "Images/../x")],
            "UPSTREAM_REGISTRY_PATH",
            "repository path",
        ),
        (
            vec![UP, ("SIGNATURE_UPSTREAM_ENDPOINT", "nope")],
            "SIGNATURE_UPSTREAM_ENDPOINT",
            "absolute",
        ),
        (
            vec![UP, ("DEFAULT_BLOB_BASE_URL", "//cdn.example")],
            "DEFAULT_BLOB_BASE_URL",
            "absolute",
        ),
        (
            vec![UP, ("INFO_URL", "javascript:alert(1)")],
            "INFO_URL",
            "absolute",
        ),
        (
            vec![UP, ("PRIVACY_URL", "https://p.example/a\nb")],
            "PRIVACY_URL",
            "percent",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", "not json")],
            "BLOB_MIRRORS",
            "table of \"<cloud>:<region>\"",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", r#"["https://a.example"]"#)],
            "BLOB_MIRRORS",
            "table of \"<cloud>:<region>\"",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", r#"{"us-east-1": 5}"#)],
            "BLOB_MIRRORS",
            "table of \"<cloud>:<region>\"",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", r#"{"us-east-1": "s3://bucket"}"#)],
            "BLOB_MIRRORS",
            "\"us-east-1\"",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", r#"{"": "https://a.example"}"#)],
            "BLOB_MIRRORS",
            "not a region name",
        ),
        (
            vec![UP, ("BLOB_MIRRORS", r#"{"aws:": "https://a.example"}"#)],
            "BLOB_MIRRORS",
            "not a region name",
        ),
        (
            vec![
                UP,
                ("BLOB_MIRRORS", r#"{"gcp:us-east1": "https://a.example"}"#),
            ],
            "BLOB_MIRRORS",
            "GCP clients are served by the upstream",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"oci:us-ashburn-1": "https://a.example"}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "unknown cloud \"oci\"",
        ),
        (
            vec![
                UP,
                ("BLOB_MIRRORS", r#"{"eu-west-33": "https://a.example"}"#),
            ],
            "BLOB_MIRRORS",
            "AWS eu-west-33 is not a region of ranges/regions.txt",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"azure:eu-west-3": "https://a.example"}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "Azure eu-west-3 is not a region",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"eu-west-3": "https://a.example", "AWS:eu-west-3": "https://b.example"}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "given twice",
        ),
        (
            vec![UP, ("DEFAULT_BLOB_BASE_URL", r#"{"r2_binding": "BLOBS"}"#)],
            "DEFAULT_BLOB_BASE_URL",
            "needs its url",
        ),
        (
            vec![
                UP,
                (
                    "DEFAULT_BLOB_BASE_URL",
                    r#"{"url": "https://b.example", "binding": "BLOBS"}"#,
                ),
            ],
            "DEFAULT_BLOB_BASE_URL",
            "unknown field `binding`",
        ),
        (
            vec![
                UP,
                (
                    "DEFAULT_BLOB_BASE_URL",
                    r#"{"url": "https://b.example", "r2_binding": "9 blobs"}"#,
                ),
            ],
            "DEFAULT_BLOB_BASE_URL",
            "r2_binding \"9 blobs\" is not a binding name",
        ),
        (
            vec![
                UP,
                (
                    "DEFAULT_BLOB_BASE_URL",
                    r#"{"url": "blobs.example", "r2_binding": "BLOBS"}"#,
                ),
            ],
            "DEFAULT_BLOB_BASE_URL",
            "absolute",
        ),
        (
            vec![
                UP,
                (
                    "DEFAULT_BLOB_BASE_URL",
                    r#"{"url": "https://b.example", "r2_binding": 5}"#,
                ),
            ],
            "DEFAULT_BLOB_BASE_URL",
            "a base URL or a table { url",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"us-east-1": {"url": "https://a.example", "r2_binding": ""}}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "key \"us-east-1\": r2_binding \"\" is not a binding name",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"us-east-1": {"url": "https://a.example", "region": "x"}}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "unknown field `region`",
        ),
        (
            vec![
                UP,
                (
                    "BLOB_MIRRORS",
                    r#"{"us-east-1": "https://a.example",
                        "us-east-2": {"url": "https://a.example/", "r2_binding": "BLOBS"}}"#,
                ),
            ],
            "BLOB_MIRRORS",
            "checked another way",
        ),
        (
            vec![
                UP,
                ("BLOB_MIRRORS", r#"{"us-east-1": "https://a.example"}"#),
                (
                    "DEFAULT_BLOB_BASE_URL",
                    r#"{"url": "https://a.example", "r2_binding": "BLOBS"}"#,
                ),
            ],
            "DEFAULT_BLOB_BASE_URL",
            "checked another way",
        ),
        (
            vec![UP, ("MIRROR_FALLBACK_KM", "-1")],
            "MIRROR_FALLBACK_KM",
            "whole number",
        ),
        (
            vec![UP, ("MIRROR_FALLBACK_KM", "50000")],
            "MIRROR_FALLBACK_KM",
            "0 to 20040",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "europe-west99", "endpoint": "https://x.example"}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "no lat/lon, and europe-west99 is not a GCP region of ranges/regions.txt",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "us-east1", "endpoint": "https://a.example"}, {"name": "us-east1", "endpoint": "https://b.example"}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "listed twice",
        ),
        (
            vec![UP, ("UPSTREAM_HEALTH_CHECKS", "yes")],
            "UPSTREAM_HEALTH_CHECKS",
            "not true or false",
        ),
        (
            vec![UP, ("UPSTREAM_HEALTH_CHECKS", "true")],
            "UPSTREAM_HEALTH_CHECKS",
            "needs UPSTREAM_REGIONS",
        ),
        (
            vec![UP, ("UPSTREAM_REGIONS", r#"{"name": "x"}"#)],
            "UPSTREAM_REGIONS",
            "list",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "x", "endpoint": "https://x.example", "lat": 1}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "lon",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "x", "endpoint": "https://x.example", "lat": 91, "lon": 0}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "±90",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "x", "endpoint": "https://x.example", "lat": 0, "lon": 0, "zone": 1}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "zone",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "x", "endpoint": "x.example", "lat": 0, "lon": 0}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "\"x\"",
        ),
        (
            vec![UP, ("LEGACY_HOSTS", "k8s.gcr.io")],
            "PRIMARY_HOST",
            "LEGACY_HOSTS",
        ),
        (
            vec![
                UP,
                ("LEGACY_HOSTS", "k8s.gcr.io/x"),
                ("PRIMARY_HOST", "r.example"),
            ],
            "LEGACY_HOSTS",
            "host name",
        ),
        (
            vec![UP, ("PRIMARY_HOST", "https://registry.k8s.io")],
            "PRIMARY_HOST",
            "host name",
        ),
        (
            vec![UP, ("BLOB_CHECK_TIMEOUT_MS", "soon")],
            "BLOB_CHECK_TIMEOUT_MS",
            "whole number",
        ),
        (
            vec![UP, ("BLOB_CHECK_TIMEOUT_MS", "0")],
            "BLOB_CHECK_TIMEOUT_MS",
            "1 to 60000",
        ),
        (
            vec![UP, ("BLOB_CHECK_TIMEOUT_MS", "-5")],
            "BLOB_CHECK_TIMEOUT_MS",
            "whole number",
        ),
        (
            vec![UP, ("NEGATIVE_CACHE_SECONDS", "1e9")],
            "NEGATIVE_CACHE_SECONDS",
            "whole number",
        ),
        (
            vec![UP, ("BREAKER_FAILURES", "101")],
            "BREAKER_FAILURES",
            "0 to 100",
        ),
        (
            vec![UP, ("BREAKER_FAILURES", "three")],
            "BREAKER_FAILURES",
            "whole number",
        ),
        (
            vec![UP, ("BREAKER_SECONDS", "0")],
            "BREAKER_SECONDS",
            "1 to 3600",
        ),
        (
            vec![UP, ("BREAKER_SECONDS", "86400")],
            "BREAKER_SECONDS",
            "1 to 3600",
        ),
        // Names that end up in headers.
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "us-east1\r\nX-Evil: 1", "endpoint": "https://a.example", "lat": 1, "lon": 1}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "a-z, 0-9 and -",
        ),
        (
            vec![
                UP,
                (
                    "UPSTREAM_REGIONS",
                    r#"[{"name": "US East", "endpoint": "https://a.example", "lat": 1, "lon": 1}]"#,
                ),
            ],
            "UPSTREAM_REGIONS",
            "a-z, 0-9 and -",
        ),
        (
            vec![UP, ("RATE_LIMIT_IPV6_PREFIX", "16")],
            "RATE_LIMIT_IPV6_PREFIX",
            "32 to 128",
        ),
        (
            vec![UP, ("RATE_LIMIT_IPV6_PREFIX", "/64")],
            "RATE_LIMIT_IPV6_PREFIX",
            "32 to 128",
        ),
        // Every request would 301 to itself.
        (
            vec![
                UP,
                ("LEGACY_HOSTS", "k8s.gcr.io,registry.k8s.io"),
                ("PRIMARY_HOST", "registry.k8s.io"),
            ],
            "LEGACY_HOSTS",
            "PRIMARY_HOST \"registry.k8s.io\"",
        ),
        (
            vec![
                UP,
                ("LEGACY_HOSTS", "Registry.K8s.IO"),
                ("PRIMARY_HOST", "registry.k8s.io:443"),
            ],
            "LEGACY_HOSTS",
            "redirect to itself",
        ),
    ];
    for (vars, variable, problem) in cases {
        let e = error(&vars);
        assert_eq!(e.variable, variable, "{vars:?} -> {e}");
        assert!(
            e.problem.contains(problem),
            "{vars:?}: {e} should mention {problem:?}"
        );
        let reply = e.reply();
        assert_eq!(reply.status, 500);
        assert!(reply.body.contains(variable), "{}", reply.body);
    }
}

#[test]
fn a_copy_is_a_base_url_or_a_table_naming_its_r2_binding() {
    use registry_edge::config::{BlobCopy, CopyCheck};
    let r2 = |base: &str, binding: &str| BlobCopy {
        base: base.into(),
        check: CopyCheck::R2 {
            binding: binding.into(),
        },
    };
    let http = |base: &str| BlobCopy {
        base: base.into(),
        check: CopyCheck::Http,
    };
    // A TOML table arrives as its JSON text; so does a JSON string holding one.
    let c = parse(&[
        UP,
        (
            "DEFAULT_BLOB_BASE_URL",
            r#"{"url": "https://blobs.example/", "r2_binding": "R2_BLOBS"}"#,
        ),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": {"url": "https://eu.example", "r2_binding": "R2_EU"},
                "us-east-1": "https://us.example",
                "us-east-2": {"url": "https://us2.example"},
                "cn-north-1": {"r2_binding": "R2_EU", "url": "https://eu.example"}}"#,
        ),
    ])
    .unwrap();
    assert_eq!(
        c.mirrors.default_blob_base,
        Some(r2("https://blobs.example", "R2_BLOBS"))
    );
    let mirror = |region: &str| {
        c.mirrors.by_region[&(Cloud::Aws, region.into())]
            .copy
            .clone()
    };
    assert_eq!(mirror("eu-west-3"), r2("https://eu.example", "R2_EU"));
    assert_eq!(mirror("cn-north-1"), r2("https://eu.example", "R2_EU"));
    assert_eq!(mirror("us-east-1"), http("https://us.example"));
    assert_eq!(
        mirror("us-east-2"),
        http("https://us2.example"),
        "a table without r2_binding"
    );
    assert_eq!(mirror("eu-west-3").r2_binding(), Some("R2_EU"));
    assert_eq!(mirror("us-east-1").r2_binding(), None);
    // Each copy once (an alias is the same copy), with its binding.
    let bindings: Vec<(&str, &str)> = c
        .mirrors
        .r2_bindings()
        .into_iter()
        .map(|(copy, binding)| (copy.base.as_str(), binding))
        .collect();
    assert_eq!(
        bindings,
        [
            ("https://eu.example", "R2_EU"),
            ("https://blobs.example", "R2_BLOBS")
        ]
    );
    // A string keeps its meaning: an HTTP-checked copy.
    let c = parse(&[UP, ("DEFAULT_BLOB_BASE_URL", "https://cdn.example/")]).unwrap();
    assert_eq!(
        c.mirrors.default_blob_base,
        Some(http("https://cdn.example"))
    );
    assert!(c.mirrors.r2_bindings().is_empty());
}

#[test]
fn mirror_keys_name_a_cloud_and_region() {
    let c = parse(&[
        UP,
        (
            "BLOB_MIRRORS",
            r#"{"aws:eu-west-3": "https://a.example", "us-east-2": "https://b.example",
                "AZURE:westeurope": "https://c.example/"}"#,
        ),
        ("MIRROR_FALLBACK_KM", "0"),
    ])
    .unwrap();
    let keys: Vec<(Cloud, &str)> = c
        .mirrors
        .by_region
        .keys()
        .map(|(cloud, region)| (*cloud, region.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (Cloud::Aws, "eu-west-3"),
            (Cloud::Aws, "us-east-2"),
            (Cloud::Azure, "westeurope")
        ]
    );
    assert_eq!(
        c.mirrors.by_region[&(Cloud::Azure, "westeurope".into())]
            .copy
            .base,
        "https://c.example"
    );
    assert_eq!(c.mirrors.fallback_km, 0);
}

#[test]
fn upstream_regions_without_coordinates_are_placed_by_the_region_sites() {
    let c = parse(&[
        UP,
        (
            "UPSTREAM_REGIONS",
            r#"[{"name": "europe-west9", "endpoint": "https://europe-west9-docker.pkg.dev"},
                {"name": "europe-west9b", "endpoint": "https://b.example", "lat": 48.0, "lon": 2.0},
                {"name": "us-east1", "endpoint": "https://us-east1-docker.pkg.dev", "lat": 33.0, "lon": -80.0}]"#,
        ),
        ("UPSTREAM_HEALTH_CHECKS", "true"),
    ])
    .unwrap();
    let paris = find_site(TABLES.sites, Cloud::Gcp, "europe-west9").expect("a GCP site");
    let placed: Vec<(&str, f64, f64)> = c
        .upstream
        .regions
        .iter()
        .map(|r| (r.name.as_str(), r.point.lat, r.point.lon))
        .collect();
    assert_eq!(
        placed,
        [
            ("europe-west9", paris.lat, paris.lon),
            // Given coordinates are kept, known region or not.
            ("europe-west9b", 48.0, 2.0),
            ("us-east1", 33.0, -80.0),
        ]
    );
    assert!(c.upstream.health_checks);
}

#[test]
fn operating_variables() {
    let c = parse(&[UP]).unwrap();
    assert_eq!(
        (
            c.operating.log_sample_rate,
            c.operating.pull_sessions,
            c.operating.rate_limit_period_seconds
        ),
        (1.0, false, 60)
    );
    let c = parse(&[
        UP,
        ("LOG_SAMPLE_RATE", "0"),
        ("PULL_SESSIONS", "true"),
        ("RATE_LIMIT_PERIOD_SECONDS", "10"),
    ])
    .unwrap();
    assert_eq!(
        (
            c.operating.log_sample_rate,
            c.operating.pull_sessions,
            c.operating.rate_limit_period_seconds
        ),
        (0.0, true, 10)
    );
    // A JSON string variable arrives quoted.
    assert!(parse(&[UP, ("PULL_SESSIONS", "\"false\"")]).is_ok());
    for (name, bad) in [
        ("LOG_SAMPLE_RATE", "2"),
        ("LOG_SAMPLE_RATE", "10%"),
        ("PULL_SESSIONS", "yes"),
        ("PULL_SESSIONS", "1"),
        ("RATE_LIMIT_PERIOD_SECONDS", "30"),
        ("RATE_LIMIT_PERIOD_SECONDS", "ten"),
    ] {
        let e = error(&[UP, (name, bad)]);
        assert_eq!(e.variable, name, "{bad}: {e}");
    }
}

#[test]
fn known_repositories_variables() {
    let c = parse(&[UP]).unwrap();
    assert_eq!(
        (
            c.known_repositories.enabled,
            c.known_repositories.refresh_seconds
        ),
        (false, 600)
    );
    let c = parse(&[
        UP,
        ("KNOWN_REPOSITORIES", "true"),
        ("KNOWN_REPOSITORIES_SECONDS", "60"),
    ])
    .unwrap();
    assert_eq!(
        (
            c.known_repositories.enabled,
            c.known_repositories.refresh_seconds
        ),
        (true, 60)
    );
    assert!(parse(&[UP, ("KNOWN_REPOSITORIES_SECONDS", "43200")]).is_ok());
    for (name, bad) in [
        ("KNOWN_REPOSITORIES", "yes"),
        ("KNOWN_REPOSITORIES", "1"),
        // More often than a minute would ask the upstream per request.
        ("KNOWN_REPOSITORIES_SECONDS", "59"),
        ("KNOWN_REPOSITORIES_SECONDS", "0"),
        // A list must be listed again before it is a day old.
        ("KNOWN_REPOSITORIES_SECONDS", "43201"),
        ("KNOWN_REPOSITORIES_SECONDS", "10m"),
    ] {
        let e = error(&[UP, (name, bad)]);
        assert_eq!(e.variable, name, "{bad}: {e}");
    }
    assert!(Config::variables().contains(&"KNOWN_REPOSITORIES"));
    assert!(Config::variables().contains(&"KNOWN_REPOSITORIES_SECONDS"));
}
