//! The HTTP replies of decisions: Cache-Control by what the redirect
//! depends on (docs/request-handling.md, "Query, Cache-Control and
//! Location").

use registry_edge::decision::Decision;
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

/// Per-client (blob) redirects are `private, no-store`;
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
