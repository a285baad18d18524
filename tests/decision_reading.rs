//! How a request's path and query are read (docs/request-handling.md,
//! "Reading the request"): OCI errors for what is no pull, paths and
//! queries that cannot be passed on, the canonical form of percent-encoded
//! references and digests, and the client's address.

use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

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

/// Percent-encoded unreserved characters and `:` in the
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

/// A Pseudo IPv4 address (240.0.0.0/4) with a
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

/// A name whose upstream form (`UPSTREAM_REGISTRY_PATH/<name>`) is longer
/// than a registry accepts is refused here, and nothing is asked.
#[test]
fn names_too_long_for_the_upstream_are_refused_before_any_check() {
    let cfg = full_config();
    // "k8s-artifacts-prod/images/" is 26 bytes: 229 fit, 230 do not.
    let fits = "a".repeat(229);
    let too_long = format!("{}/{}", "b".repeat(200), "c".repeat(30));
    assert_eq!(26 + too_long.len(), 257);
    for path in [
        format!("/v2/{too_long}/manifests/{D}"),
        format!("/v2/{too_long}/manifests/latest"),
        format!("/v2/{too_long}/blobs/{D}"),
        format!("/v2/{too_long}/tags/list"),
        format!("/v2/{too_long}/referrers/{D}"),
    ] {
        let blobs = everywhere();
        let d = get(&path).from(AWS_EU_WEST_3).decide(&cfg, &blobs);
        assert_eq!(d.status(), 400, "{path}");
        assert_eq!(oci_code(&d).as_deref(), Some("NAME_INVALID"), "{path}");
        assert_eq!(d.cache_control(), "no-store");
        assert!(blobs.asked.borrow().is_empty(), "{path}");
        assert!(blobs.asked_upstream.borrow().is_empty(), "{path}");
    }
    let d = get(&format!("/v2/{fits}/manifests/latest")).decide(&cfg, &everywhere());
    assert_eq!(
        answer(&d),
        location(&format!("{UP}/{fits}/manifests/latest"))
    );
    // Without an upstream path the whole 255 bytes are the name's.
    let bare = config(&[("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example")]);
    let d = get(&format!("/v2/{}/manifests/latest", "a".repeat(255))).decide(&bare, &everywhere());
    assert_eq!(d.status(), 307);
}
