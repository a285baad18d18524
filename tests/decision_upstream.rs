//! Manifests, tags, referrers and signatures (docs/request-handling.md,
//! "Signatures and referrers", "Manifests, tags and referrers", "Upstream
//! selection"): where they go, with their query.

use registry_edge::decision::Target;
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

#[test]
fn signature_tags_go_to_the_signature_upstream_unchecked() {
    let hex = &D[7..];
    let cfg = full_config();
    let blobs = FakeBlobs::default();
    // The referrers tag schema (no suffix) and cosign's three suffixes.
    for suffix in ["", ".sig", ".att", ".sbom"] {
        let d = get(&format!("/v2/pause/manifests/sha256-{hex}{suffix}?x=1")).decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("https://signatures.example/v2/k8s-artifacts-prod/images/pause/manifests/sha256-{hex}{suffix}?x=1"))
        );
        assert!(matches!(d.target(), Some(Target::SignatureUpstream { .. })));
        assert_eq!(d.reason(), "signature tag -> signature upstream");
    }
    assert!(blobs.asked.borrow().is_empty() && blobs.asked_upstream.borrow().is_empty());
    // Near misses are ordinary tags.
    for tag in [
        format!("sha256-{}.sig", &hex[1..]),
        format!("sha256-{}", &hex[1..]),
        format!("sha256-{hex}.sbom2"),
        format!("sha512-{hex}"),
    ] {
        let d = get(&format!("/v2/pause/manifests/{tag}")).decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("{UP}/pause/manifests/{tag}")),
            "{tag}"
        );
    }
    // Without a signature upstream they are tags like any other.
    let cfg = config(&[("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example")]);
    let d = get(&format!("/v2/pause/manifests/sha256-{hex}")).decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!(
            "https://upstream.example/v2/pause/manifests/sha256-{hex}"
        ))
    );
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

/// The client's query stays on redirects to the upstream
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
