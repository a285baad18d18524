//! The decision tree, branch by branch, natively (the worker adapter only
//! converts types; tests/worker/ covers it over HTTP in workerd).

use registry_edge::blob_check::{
    BlobCheck, CheckReport, CheckSource, CheckTarget, CopyKind, Failure, Outcome,
};
use registry_edge::config::Config;
use registry_edge::decision::{decide, Decision, Target, REASON_HEADER};
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::*;

const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";
const UP: &str = "https://upstream.example/v2/k8s-artifacts-prod/images";
const CDN: &str = "https://cdn.example";
const EU_WEST_3: &str = "https://eu-west-3.example";
const US_EAST_2: &str = "https://us-east-2.example";
const ME_CENTRAL_1: &str = "https://me-central-1.example";

fn full_config() -> Config {
    config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example/"),
        ("UPSTREAM_REGISTRY_PATH", "/k8s-artifacts-prod/images/"),
        ("SIGNATURE_UPSTREAM_ENDPOINT", "https://signatures.example"),
        ("INFO_URL", "https://info.example/about?x=1"),
        ("PRIVACY_URL", "https://privacy.example/policy/"),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example", "us-east-2": "https://us-east-2.example/",
                "me-central-1": "https://me-central-1.example", "me-south-1": "https://me-central-1.example"}"#,
        ),
        ("LEGACY_HOSTS", "k8s.gcr.io, Old.Example"),
        ("PRIMARY_HOST", "registry.k8s.io"),
    ])
}

/// A fake that has `D` everywhere.
fn everywhere() -> FakeBlobs {
    FakeBlobs::with(&[
        &format!("{CDN}/containers/images/{D}"),
        &format!("{EU_WEST_3}/containers/images/{D}"),
        &format!("{US_EAST_2}/containers/images/{D}"),
        &format!("{ME_CENTRAL_1}/containers/images/{D}"),
    ])
}

fn location(s: &str) -> (u16, Option<String>) {
    (307, Some(s.to_string()))
}

#[test]
fn legacy_hosts_move_with_path_and_query() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    for host in [
        "k8s.gcr.io",
        "K8S.GCR.IO",
        "k8s.gcr.io:443",
        "old.example",
        "k8s.gcr.io.",
    ] {
        let d = get("/v2/pause/tags/list?n=10&last=3.9")
            .host(host)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            (
                301,
                Some("https://registry.k8s.io/v2/pause/tags/list?n=10&last=3.9".into())
            ),
            "{host}"
        );
    }
    // Before the method check, like the host it replaces.
    let d = get("/")
        .host("k8s.gcr.io")
        .method("POST")
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), (301, Some("https://registry.k8s.io/".into())));
    // Other hosts are served normally.
    let d = get("/v2/").host("registry.k8s.io").decide(&cfg, &blobs);
    assert_eq!(d.status(), 200);
    let d = get("/v2/")
        .host("k8s.gcr.io.evil.example")
        .decide(&cfg, &blobs);
    assert_eq!(d.status(), 200);
}

#[test]
fn only_get_and_head() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "get", "BREW",
    ] {
        for path in ["/v2/pause/manifests/3.9", "/"] {
            let d = get(path).method(method).decide(&cfg, &blobs);
            let reply = d.reply();
            assert_eq!(reply.status, 405, "{method} {path}");
            assert!(reply.headers.contains(&("Allow", "GET, HEAD".into())));
        }
    }
    let d = get("/v2/pause/manifests/3.9")
        .method("PUT")
        .decide(&cfg, &blobs);
    assert_eq!(
        oci_code(&d).as_deref(),
        Some("UNSUPPORTED"),
        "JSON error on /v2 paths"
    );
    assert!(blobs.asked.borrow().is_empty());
}

#[test]
fn outside_v2() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    assert_eq!(
        answer(&get("/").decide(&cfg, &blobs)),
        location("https://info.example/about?x=1")
    );
    assert_eq!(
        answer(&get("/?utm=1").decide(&cfg, &blobs)),
        location("https://info.example/about?x=1")
    );
    assert_eq!(
        answer(&get("/privacy").decide(&cfg, &blobs)),
        location("https://privacy.example/policy/")
    );
    for path in [
        "/v3/",
        "/v2foo",
        "/v1/_ping",
        "/privacy/",
        "/privacyx",
        "/favicon.ico",
        "/V2/",
    ] {
        assert_eq!(
            answer(&get(path).decide(&cfg, &blobs)),
            (404, None),
            "{path}"
        );
    }
}

#[test]
fn api_version_check() {
    let cfg = full_config();
    for path in ["/v2", "/v2/"] {
        for method in ["GET", "HEAD"] {
            let reply = get(path)
                .method(method)
                .decide(&cfg, &FakeBlobs::default())
                .reply();
            assert_eq!(reply.status, 200);
            assert!(reply
                .headers
                .contains(&("Docker-Distribution-Api-Version", "registry/2.0".into())));
            assert!(!reply
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("www-authenticate")));
        }
    }
}

#[test]
fn catalog_and_unparsable_paths_are_oci_errors() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    let cases = [
        ("/v2/_catalog", 404, "UNSUPPORTED"),
        ("/v2/_catalog?n=10", 404, "UNSUPPORTED"),
        ("/v2/Pause/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/pa..use/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a//b/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a/../b/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a%2Fb/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a%2e%2e/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a\\b/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/a\0b/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/caf%C3%A9/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/pause/blobs/sha256:abc", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/SHA256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/sha256:DA86E6BA6CA197BF6BC5E9D900FEBD906B133EAA4750E6BED647B0FBE50ED43E", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/latest", 400, "DIGEST_INVALID"),
        ("/v2/pause/referrers/latest", 400, "DIGEST_INVALID"),
        ("/v2/pause/manifests/sha256:1234", 400, "DIGEST_INVALID"),
        ("/v2/pause/manifests/-latest", 404, "MANIFEST_UNKNOWN"),
        ("/v2/pause/blobs/uploads/", 404, "UNSUPPORTED"),
        ("/v2/pause/tags/list/extra", 404, "UNSUPPORTED"),
        ("/v2/pause", 404, "UNSUPPORTED"),
        ("/v2//", 404, "UNSUPPORTED"),
    ];
    for (path, status, code) in cases {
        let d = get(path).from(AWS_EU_WEST_3).decide(&cfg, &blobs);
        assert_eq!(d.status(), status, "{path}: {d:?}");
        assert_eq!(oci_code(&d).as_deref(), Some(code), "{path}");
        assert!(d
            .reply()
            .headers
            .iter()
            .any(|(k, v)| *k == "Content-Type" && v.starts_with("application/json")));
    }
    let long_name = format!("/v2/{}/manifests/latest", "a".repeat(256));
    assert_eq!(
        oci_code(&get(&long_name).decide(&cfg, &blobs)).as_deref(),
        Some("NAME_INVALID")
    );
    let long_path = format!("/v2/{}/manifests/latest", "a/".repeat(1100));
    assert_eq!(get(&long_path).decide(&cfg, &blobs).status(), 414);
    assert!(blobs.asked.borrow().is_empty());
}

#[test]
fn cosign_signatures() {
    let hex = &D[7..];
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    for suffix in ["sig", "att"] {
        let d = get(&format!("/v2/pause/manifests/sha256-{hex}.{suffix}?x=1")).decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("https://signatures.example/v2/k8s-artifacts-prod/images/pause/manifests/sha256-{hex}.{suffix}?x=1"))
        );
        assert!(matches!(
            d,
            Decision::Redirect {
                target: Target::SignatureUpstream,
                ..
            }
        ));
    }
    // A near miss is an ordinary tag.
    let tag = format!("sha256-{}.sig", &hex[1..]);
    let d = get(&format!("/v2/pause/manifests/{tag}")).decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/manifests/{tag}")));
}

#[test]
fn manifests_tags_and_referrers_go_upstream_with_their_query() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    let sig = "https://signatures.example/v2/k8s-artifacts-prod/images";
    let cases = [
        (
            "/v2/pause/manifests/3.9".to_string(),
            format!("{UP}/pause/manifests/3.9"),
        ),
        (
            format!("/v2/pause/manifests/{D}"),
            format!("{UP}/pause/manifests/{D}"),
        ),
        (
            "/v2/kube-apiserver/tags/list?n=10&last=v1.30.0".to_string(),
            format!("{UP}/kube-apiserver/tags/list?n=10&last=v1.30.0"),
        ),
        // Referrers list signatures: the signature upstream, query kept.
        (
            format!("/v2/a/b/referrers/{D}?artifactType=application%2Fvnd.example"),
            format!("{sig}/a/b/referrers/{D}?artifactType=application%2Fvnd.example"),
        ),
    ];
    for (path, want) in cases {
        // Without UPSTREAM_REGIONS, manifests never depend on the client.
        for client in [AWS_EU_WEST_3, GCP_EUROPE_WEST1, "garbage"] {
            let d = get(&path).from(client).decide(&cfg, &blobs);
            assert_eq!(answer(&d), location(&want), "{path} from {client}");
        }
    }
    assert!(
        blobs.asked.borrow().is_empty(),
        "no existence checks for manifests"
    );
}

#[test]
fn blobs_by_client_location() {
    let cfg = full_config();
    let up = format!("{UP}/pause/blobs/{D}");
    let mirror = |base: &str| format!("{base}/containers/images/{D}");
    let cases = [
        // AWS with a mirror that has the blob.
        (AWS_EU_WEST_3, mirror(EU_WEST_3)),
        // A regional /24 inside a GLOBAL /17 is that region.
        (AWS_US_EAST_2, mirror(US_EAST_2)),
        (AWS_US_EAST_2_LAST, mirror(US_EAST_2)),
        // AWS IPv4-mapped IPv6 is the IPv4 client.
        (AWS_EU_WEST_3_MAPPED, mirror(EU_WEST_3)),
        // AWS GLOBAL, AWS without a mirror (IPv6 us-west-2), Azure, unknown.
        (AWS_GLOBAL, mirror(CDN)),
        (AWS_US_WEST_2_V6, mirror(CDN)),
        (AWS_AP_SOUTHEAST_3_V6, mirror(CDN)),
        (AZURE_AUSTRALIACENTRAL, mirror(CDN)),
        (UNKNOWN, mirror(CDN)),
        ("::1", mirror(CDN)),
        // Garbage is unknown, never an error.
        (&format!("{AWS_EU_WEST_3}:443"), mirror(CDN)),
        (&format!("{AWS_EU_WEST_3}, 10.0.0.1"), mirror(CDN)),
        ("", mirror(CDN)),
        ("not an address", mirror(CDN)),
        // GCP stays in GCP.
        (GCP_EUROPE_WEST1, up.clone()),
    ];
    for (client, want) in cases {
        let blobs = everywhere();
        let d = get(&format!("/v2/pause/blobs/{D}"))
            .from(client)
            .decide(&cfg, &blobs);
        assert_eq!(answer(&d), location(&want), "client {client:?}");
        let asked = blobs.asked.borrow();
        if want == up {
            assert!(asked.is_empty(), "GCP clients are not checked");
        } else {
            assert_eq!(
                *asked,
                vec![want.clone()],
                "exactly the candidate is checked"
            );
        }
    }
    // No CF-Connecting-IP at all.
    let blobs = everywhere();
    assert_eq!(
        answer(&get(&format!("/v2/pause/blobs/{D}")).decide(&cfg, &blobs)),
        location(&mirror(CDN))
    );
}

#[test]
fn blob_aliases_and_fallbacks() {
    let cfg = full_config();
    // me-south-1 (Bahrain) is an alias of the me-central-1 bucket.
    let blobs = everywhere();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(AWS_ME_SOUTH_1)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("{ME_CENTRAL_1}/containers/images/{D}"))
    );

    // Missing in the mirror: upstream (the default CDN is not tried).
    let blobs = FakeBlobs::with(&[&format!("{CDN}/containers/images/{D}")]);
    let d = get(&format!("/v2/pause/blobs/{D}?q=1"))
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/blobs/{D}?q=1")));
    assert_eq!(blobs.asked.borrow().len(), 1);

    // Missing in the CDN: upstream.
    let blobs = FakeBlobs::default();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(UNKNOWN)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/blobs/{D}")));

    // No DEFAULT_BLOB_BASE_URL: upstream without asking anyone.
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example"}"#,
        ),
    ]);
    let blobs = everywhere();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(AZURE_AUSTRALIACENTRAL)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("https://upstream.example/v2/pause/blobs/{D}"))
    );
    assert!(blobs.asked.borrow().is_empty());
}

#[test]
fn head_is_decided_like_get() {
    let cfg = full_config();
    let blobs = everywhere();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .method("HEAD")
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("{EU_WEST_3}/containers/images/{D}"))
    );
}

#[test]
fn nearest_upstream_region() {
    let regions = r#"[
        {"name": "us-central1", "endpoint": "https://us-central1.example", "lat": 41.26, "lon": -95.86},
        {"name": "europe-west1", "endpoint": "https://europe-west1.example/", "lat": 50.45, "lon": 3.82},
        {"name": "asia-northeast1", "endpoint": "https://asia-northeast1.example", "lat": 35.68, "lon": 139.69},
        {"name": "australia-southeast1", "endpoint": "https://australia-southeast1.example", "lat": -33.87, "lon": 151.21}
    ]"#;
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://fallback.example"),
        ("UPSTREAM_REGISTRY_PATH", "images"),
        ("UPSTREAM_REGIONS", regions),
    ]);
    let blobs = FakeBlobs::default();
    let cases = [
        ((40.71, -74.0), "us-central1"),            // New York
        ((48.86, 2.35), "europe-west1"),            // Paris
        ((-1.29, 36.82), "europe-west1"),           // Nairobi
        ((37.57, 126.98), "asia-northeast1"),       // Seoul
        ((-36.85, 174.76), "australia-southeast1"), // Auckland
        ((21.3, -157.8), "us-central1"),            // Honolulu
    ];
    for ((lat, lon), region) in cases {
        let d = get("/v2/pause/manifests/3.9")
            .at(lat, lon)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!(
                "https://{region}.example/v2/images/pause/manifests/3.9"
            )),
            "{lat},{lon}"
        );
        // Blob fallbacks of a client the tables do not place use the same
        // region.
        let d = get(&format!("/v2/pause/blobs/{D}"))
            .from(UNKNOWN)
            .at(lat, lon)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!(
                "https://{region}.example/v2/images/pause/blobs/{D}"
            ))
        );
    }
    // Without a location: UPSTREAM_REGISTRY_ENDPOINT.
    let d = get("/v2/pause/manifests/3.9").decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location("https://fallback.example/v2/images/pause/manifests/3.9")
    );
}

#[test]
fn empty_upstream_path_has_no_empty_segment() {
    let cfg = config(&[("UPSTREAM_REGISTRY_ENDPOINT", "https://k8s.gcr.io")]);
    let d = get("/v2/pause/manifests/latest").decide(&cfg, &FakeBlobs::default());
    assert_eq!(
        answer(&d),
        location("https://k8s.gcr.io/v2/pause/manifests/latest")
    );
}

#[test]
fn queries_that_cannot_be_passed_on_are_rejected() {
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    for query in [
        "a b",
        "a\r\nLocation: https://evil.example",
        "x#frag",
        "\u{7f}",
        "é",
    ] {
        let mut req = get("/v2/pause/tags/list");
        req.query = query.to_string();
        let d = req.decide(&cfg, &blobs);
        assert_eq!(d.status(), 400, "{query:?}");
        assert_eq!(oci_code(&d).as_deref(), Some("UNSUPPORTED"));
    }
    let mut req = get("/v2/pause/tags/list");
    req.query = "n=1&".repeat(600);
    assert_eq!(req.decide(&cfg, &blobs).status(), 400);
    // Legacy redirects refuse what they cannot carry, too.
    let mut req = get("/v2/x").host("k8s.gcr.io");
    req.path = "/v2/x\r\nSet-Cookie: a=b".into();
    assert_eq!(req.decide(&cfg, &blobs).status(), 400);
}

/// Issue 8, item 8: the client's query stays on redirects to the upstream
/// registry (tags/list pagination), and is dropped on redirects to a copy,
/// so the URL the client fetches is the URL that was checked.
#[test]
fn queries_stay_on_upstream_redirects_only() {
    let cfg = full_config();
    let q = "n=10&last=v1.30.0";
    let cases = [
        // To a copy: dropped.
        (
            AWS_EU_WEST_3,
            everywhere(),
            format!("{EU_WEST_3}/containers/images/{D}"),
        ),
        (
            UNKNOWN,
            everywhere(),
            format!("{CDN}/containers/images/{D}"),
        ),
        // Upstream (GCP, or the copy lacks it): kept.
        (
            GCP_EUROPE_WEST1,
            everywhere(),
            format!("{UP}/pause/blobs/{D}?{q}"),
        ),
        (
            AWS_EU_WEST_3,
            FakeBlobs::default(),
            format!("{UP}/pause/blobs/{D}?{q}"),
        ),
    ];
    for (client, blobs, want) in cases {
        let d = get(&format!("/v2/pause/blobs/{D}?{q}"))
            .from(client)
            .decide(&cfg, &blobs);
        assert_eq!(answer(&d), location(&want), "{client}");
        for asked in blobs.asked.borrow().iter() {
            assert!(!asked.contains('?'), "checked without the query: {asked}");
        }
    }
    let blobs = FakeBlobs::default();
    let d = get(&format!("/v2/pause/tags/list?{q}")).decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/tags/list?{q}")));
    let d = get(&format!("/v2/pause/tags/list?{q}"))
        .host("k8s.gcr.io")
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        (
            301,
            Some(format!("https://registry.k8s.io/v2/pause/tags/list?{q}"))
        )
    );
}

/// Issue 8, item 9: percent-encoded unreserved characters and `:` in the
/// reference or digest are the same request; the redirect names the
/// canonical form. Encoded `/` and `..` stay rejected.
#[test]
fn percent_encoded_references_and_digests_are_canonical() {
    let cfg = full_config();
    let hex = &D[7..];
    let blobs = everywhere();
    for encoded in [
        format!("sha256%3A{hex}"),
        format!("sha256%3a{hex}"),
        format!("%73ha256:{hex}"),
    ] {
        let d = get(&format!("/v2/pause/blobs/{encoded}"))
            .from(AWS_EU_WEST_3)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("{EU_WEST_3}/containers/images/{D}")),
            "{encoded}"
        );
        let d = get(&format!("/v2/pause/blobs/{encoded}"))
            .from(GCP_EUROPE_WEST1)
            .decide(&cfg, &blobs);
        assert_eq!(answer(&d), location(&format!("{UP}/pause/blobs/{D}")));
        let d = get(&format!("/v2/pause/manifests/{encoded}")).decide(&cfg, &blobs);
        assert_eq!(answer(&d), location(&format!("{UP}/pause/manifests/{D}")));
        // Referrers go to the signature upstream (step 6), canonical too.
        let d = get(&format!("/v2/pause/referrers/{encoded}")).decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!(
                "https://signatures.example/v2/k8s-artifacts-prod/images/pause/referrers/{D}"
            ))
        );
    }
    assert!(blobs
        .asked
        .borrow()
        .iter()
        .all(|u| *u == format!("{EU_WEST_3}/containers/images/{D}")));
    let d = get("/v2/pause/manifests/v1%2E30%2e0").decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("{UP}/pause/manifests/v1.30.0"))
    );

    let rejected = [
        ("/v2/pause/manifests/a%2Fb", 404, "MANIFEST_UNKNOWN"),
        ("/v2/pause/manifests/%2e%2e", 404, "MANIFEST_UNKNOWN"),
        ("/v2/pause/manifests/%2E%2E%2Fx", 404, "MANIFEST_UNKNOWN"),
        ("/v2/pause/blobs/sha256%3A..", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/%2e%2e", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/sha256%2F%2e%2e", 400, "DIGEST_INVALID"),
        ("/v2/pause/blobs/sha256%253A0", 400, "DIGEST_INVALID"),
        ("/v2/pa%75se/manifests/3.9", 400, "NAME_INVALID"),
    ];
    for (path, status, code) in rejected {
        let d = get(path).from(AWS_EU_WEST_3).decide(&cfg, &blobs);
        assert_eq!(d.status(), status, "{path}: {d:?}");
        assert_eq!(oci_code(&d).as_deref(), Some(code), "{path}");
    }
}

/// Issue 8, item 10: a Pseudo IPv4 address (240.0.0.0/4) with a
/// CF-Connecting-IPv6 header is the IPv6 client.
#[test]
fn pseudo_ipv4_clients_are_their_ipv6_address() {
    let us_west_2 = "https://us-west-2.example";
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example", "us-west-2": "https://us-west-2.example"}"#,
        ),
    ]);
    let blobs = FakeBlobs::with(&[
        &format!("{CDN}/containers/images/{D}"),
        &format!("{EU_WEST_3}/containers/images/{D}"),
        &format!("{us_west_2}/containers/images/{D}"),
    ]);
    let cases = [
        ("240.0.0.7", Some(AWS_US_WEST_2_V6), us_west_2),
        ("255.255.255.254", Some(AWS_US_WEST_2_V6), us_west_2),
        (" 247.1.2.3 ", Some(" 2001:db8:1::1 "), us_west_2),
        // Without a usable IPv6 header it stays an unknown client.
        ("240.0.0.7", None, CDN),
        ("240.0.0.7", Some("not an address"), CDN),
        ("240.0.0.7", Some(AWS_EU_WEST_3), CDN),
        // A real IPv4 address wins over the header.
        (AWS_EU_WEST_3, Some(AWS_US_WEST_2_V6), EU_WEST_3),
        ("239.255.255.255", Some(AWS_US_WEST_2_V6), CDN),
    ];
    for (v4, v6, copy) in cases {
        let mut req = get(&format!("/v2/pause/blobs/{D}")).from(v4);
        if let Some(v6) = v6 {
            req = req.from_v6(v6);
        }
        let d = req.decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("{copy}/containers/images/{D}")),
            "{v4} / {v6:?}: {}",
            d.reason()
        );
    }
}

/// Issue 8, item 11: per-client (blob) redirects are `private, no-store`;
/// manifest and tag redirects and errors `no-store`; the legacy 301 has an
/// explicit max-age.
#[test]
fn caching_headers() {
    let cfg = full_config();
    let blobs = everywhere();
    let cache_control = |d: &Decision| {
        let reply = d.reply();
        let values: Vec<&String> = reply
            .headers
            .iter()
            .filter(|(k, _)| *k == "Cache-Control")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(values.len(), 1, "{d:?}");
        values[0].clone()
    };
    let blob = format!("/v2/pause/blobs/{D}");
    for client in [AWS_EU_WEST_3, UNKNOWN, GCP_EUROPE_WEST1] {
        let d = get(&blob).from(client).decide(&cfg, &blobs);
        assert_eq!(cache_control(&d), "private, no-store", "{client}");
    }
    let d = get(&blob)
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &FakeBlobs::default());
    assert_eq!(cache_control(&d), "private, no-store", "blob upstream");
    for path in [
        "/v2/pause/manifests/3.9",
        "/v2/pause/tags/list",
        &format!("/v2/pause/referrers/{D}"),
        &format!("/v2/pause/manifests/sha256-{}.sig", &D[7..]),
        "/",
        "/privacy",
        "/v2/",
        "/v2/_catalog",
        "/v2/Pause/manifests/1",
        "/nothing",
    ] {
        let d = get(path).decide(&cfg, &blobs);
        assert_eq!(cache_control(&d), "no-store", "{path}");
    }
    let d = get("/v2/").method("POST").decide(&cfg, &blobs);
    assert_eq!(cache_control(&d), "no-store");
    let d = get("/v2/pause/tags/list")
        .host("k8s.gcr.io")
        .decide(&cfg, &blobs);
    assert_eq!(d.status(), 301);
    assert_eq!(cache_control(&d), "max-age=86400");
    let error = registry_edge::config::Config::from_vars(|_| None).unwrap_err();
    assert!(error
        .reply()
        .headers
        .contains(&("Cache-Control", "no-store".into())));
}

/// Issue 8, item 7: mirrors hold sha256 blobs only; any other algorithm
/// goes upstream without a check.
#[test]
fn only_sha256_blobs_are_checked() {
    let cfg = full_config();
    let sha512 = format!("sha512:{}{}", &D[7..], &D[7..]);
    for client in [AWS_EU_WEST_3, UNKNOWN] {
        let blobs = FakeBlobs::with(&[
            &format!("{EU_WEST_3}/containers/images/{sha512}"),
            &format!("{CDN}/containers/images/{sha512}"),
        ]);
        let d = get(&format!("/v2/pause/blobs/{sha512}?x=1"))
            .from(client)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("{UP}/pause/blobs/{sha512}?x=1")),
            "{client}"
        );
        assert!(blobs.asked.borrow().is_empty(), "{client}: checked");
        assert!(d.reason().contains("sha512"), "{}", d.reason());
    }
}

/// A blob check that answers one outcome for the copies (the regional
/// upstream has everything).
struct Answers(Outcome);

impl BlobCheck for Answers {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        CheckReport {
            outcome: match target.kind {
                CopyKind::Mirror => self.0,
                CopyKind::Registry => Outcome::Present,
            },
            source: CheckSource::Head,
            ms: 0,
        }
    }
}

/// Issue 8, item 13: the reason says whether the copy had the blob, did
/// not, failed (and why), or was skipped by its breaker.
#[test]
fn the_reason_tells_absent_from_failed() {
    let cfg = full_config();
    let cases = [
        (
            AWS_EU_WEST_3,
            Outcome::Present,
            "blob: AWS eu-west-3 -> eu-west-3 mirror",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Absent,
            "blob: AWS eu-west-3, not in eu-west-3 mirror -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Timeout),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (timeout) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Status(503)),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (status 503) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Network),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (network error) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::BreakerOpen,
            "blob: AWS eu-west-3, eu-west-3 mirror breaker open -> upstream",
        ),
        (
            UNKNOWN,
            Outcome::Failed(Failure::Timeout),
            "blob: unknown client, default blob base failed (timeout) -> upstream",
        ),
        (
            UNKNOWN,
            Outcome::BreakerOpen,
            "blob: unknown client, default blob base breaker open -> upstream",
        ),
    ];
    for (client, outcome, reason) in cases {
        let req = get(&format!("/v2/pause/blobs/{D}")).from(client);
        let d = block_on(decide(
            &req.info(),
            &cfg,
            client_tables(),
            &Answers(outcome),
            &[],
        ));
        assert_eq!(d.reason(), reason, "{outcome:?}");
        assert!(d
            .reply()
            .headers
            .contains(&(REASON_HEADER, reason.to_string())));
        let upstream = outcome != Outcome::Present;
        assert_eq!(
            d.location().unwrap().starts_with(UP),
            upstream,
            "{outcome:?}: {d:?}"
        );
    }
}
