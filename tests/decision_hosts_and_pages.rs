//! The decision before any pull: legacy hosts, methods, the pages outside
//! `/v2` and the API version check (docs/request-handling.md, "Legacy
//! hosts" to "The /v2/ ping"), natively; tests/worker/ covers them over
//! HTTP in workerd.

use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

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
