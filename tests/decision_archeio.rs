//! Every case of archeio's cmd/archeio/internal/app/handlers_test.go
//! (TestMakeHandler and TestMakeV2Handler), in our configuration names.
//!
//! Two deliberate deviations, each marked below:
//! - archeio answers 400 for an unparsable client address; we treat it as
//!   an unknown client (it is never the client's fault, and an edge worker
//!   gets the address from CF-Connecting-IP, not a socket).
//! - archeio's case named "sha512" requests `sha256:<128 hex>`, which the
//!   OCI digest grammar for sha256 forbids: we answer 400 DIGEST_INVALID,
//!   and a real `sha512:<128 hex>` digest is redirected.

use registry_edge::places::ranges::TABLES;
use registry_edge_testkit::fixture::{D, D_HEX};
use registry_edge_testkit::*;

const HEX: &str = D_HEX;
const EU_WEST_3: &str =
    "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com";
// httptest.NewRequest's default RemoteAddr.
const HTTPTEST_CLIENT: &str = "192.0.2.1";

fn redirect_307(location: &str) -> (u16, Option<String>) {
    (307, Some(location.to_string()))
}

#[test]
fn make_handler() {
    let mirrors = archeio_mirrors_json();
    let cfg = config(&[
        (
            "UPSTREAM_REGISTRY_ENDPOINT",
            "https://us-central1-docker.pkg.dev",
        ),
        ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images"),
        (
            "INFO_URL",
            "https://github.com/kubernetes/k8s.io/tree/main/registry.k8s.io",
        ),
        (
            "PRIVACY_URL",
            "https://www.linuxfoundation.org/privacy-policy/",
        ),
        ("BLOB_MIRRORS", &mirrors),
        // SIGNATURE_UPSTREAM_ENDPOINT intentionally unset to test fallback behaviour.
    ]);
    // archeio checks S3 for real here; the fake knows the eu-west-3 copy.
    let blobs = FakeBlobs::with(&[&format!("{EU_WEST_3}/containers/images/{D}")]);
    let up = "https://us-central1-docker.pkg.dev/v2/k8s-artifacts-prod/images";

    let cases: Vec<Case> = vec![
        (
            "/",
            get("/"),
            redirect_307("https://github.com/kubernetes/k8s.io/tree/main/registry.k8s.io"),
        ),
        (
            "/privacy",
            get("/privacy"),
            redirect_307("https://www.linuxfoundation.org/privacy-policy/"),
        ),
        ("/v3/", get("/v3/"), (404, None)),
        ("/v2/", get("/v2/"), (200, None)),
        ("/v2", get("/v2"), (200, None)),
        ("HEAD /v2", get("/v2").method("HEAD"), (200, None)),
        ("POST /v2/", get("/v2/").method("POST"), (405, None)),
        (
            "manifest",
            get("/v2/pause/manifests/latest"),
            redirect_307(&format!("{up}/pause/manifests/latest")),
        ),
        (
            "blob, httptest client",
            get(&format!("/v2/pause/blobs/{D}")).from(HTTPTEST_CLIENT),
            redirect_307(&format!("{up}/pause/blobs/{D}")),
        ),
        (
            "AWS eu-west-3 IP blob",
            get(&format!("/v2/pause/blobs/{D}")).from("35.180.1.1"),
            redirect_307(&format!("{EU_WEST_3}/containers/images/{D}")),
        ),
        (
            "GCP IP blob",
            get(&format!("/v2/pause/blobs/{D}")).from("35.220.26.1"),
            redirect_307(&format!("{up}/pause/blobs/{D}")),
        ),
        (
            "Cosign .sig tag without canonical upstream falls back to regional",
            get(&format!("/v2/pause/manifests/sha256-{HEX}.sig")),
            redirect_307(&format!("{up}/pause/manifests/sha256-{HEX}.sig")),
        ),
    ];
    for (name, req, want) in cases {
        assert_eq!(
            answer(&req.decide_with(&TABLES, &cfg, &blobs)),
            want,
            "{name}"
        );
    }
}

#[test]
fn make_v2_handler() {
    let mirrors = archeio_mirrors_json();
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://k8s.gcr.io"),
        ("UPSTREAM_REGISTRY_PATH", ""),
        (
            "SIGNATURE_UPSTREAM_ENDPOINT",
            "https://us-central1-docker.pkg.dev",
        ),
        (
            "INFO_URL",
            "https://github.com/kubernetes/k8s.io/tree/main/registry.k8s.io",
        ),
        (
            "PRIVACY_URL",
            "https://www.linuxfoundation.org/privacy-policy/",
        ),
        ("BLOB_MIRRORS", &mirrors),
    ]);
    let known: Vec<String> = [
        "https://prod-registry-k8s-io-ap-south-1.s3.dualstack.ap-south-1.amazonaws.com",
        "https://prod-registry-k8s-io-ap-southeast-1.s3.dualstack.ap-southeast-1.amazonaws.com",
        "https://prod-registry-k8s-io-eu-central-1.s3.dualstack.eu-central-1.amazonaws.com",
        "https://prod-registry-k8s-io-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com",
        EU_WEST_3,
        "https://prod-registry-k8s-io-us-east-1.s3.dualstack.us-east-2.amazonaws.com",
        "https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com",
        "https://prod-registry-k8s-io-us-west-1.s3.dualstack.us-west-1.amazonaws.com",
    ]
    .iter()
    .map(|base| format!("{base}/containers/images/{D}"))
    .collect();
    let blobs = FakeBlobs::with(&known.iter().map(String::as_str).collect::<Vec<_>>());
    let sig = "https://us-central1-docker.pkg.dev/v2";
    let hex128 = "3b0998121425143be7164ea1555efbdf5b8a02ceedaa26e01910e7d017ff78ddbba27877bd42510a06cc14ac1bc6c451128ca3f0d0afba28b695e29b2702c9c7";
    let unknown_blob = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1234567";
    assert_eq!(unknown_blob.len(), "sha256:".len() + 64);

    let cases: Vec<Case> = vec![
        (
            "blob, httptest client",
            get(&format!("/v2/pause/blobs/{D}")).from(HTTPTEST_CLIENT),
            redirect_307(&format!("https://k8s.gcr.io/v2/pause/blobs/{D}")),
        ),
        // Deviation: archeio's "sha512" case is really sha256 with 128 hex digits.
        (
            "sha256 with 128 hex digits",
            get(&format!("/v2/pause/blobs/sha256:{hex128}")),
            (400, None),
        ),
        (
            "a real sha512 digest",
            get(&format!("/v2/pause/blobs/sha512:{hex128}")),
            redirect_307(&format!(
                "https://k8s.gcr.io/v2/pause/blobs/sha512:{hex128}"
            )),
        ),
        // Deviation: archeio answers 400 for a bogus remote address.
        (
            "Somehow bogus remote addr",
            get(&format!("/v2/pause/blobs/{D}")).from("35.180.1.1asdfasdfsd:888"),
            redirect_307(&format!("https://k8s.gcr.io/v2/pause/blobs/{D}")),
        ),
        (
            "/v2/_catalog",
            get("/v2/_catalog").from("35.180.1.1"),
            (404, None),
        ),
        (
            "AWS eu-west-3 IP blob",
            get(&format!("/v2/pause/blobs/{D}")).from("35.180.1.1"),
            redirect_307(&format!("{EU_WEST_3}/containers/images/{D}")),
        ),
        (
            "Fetching image manifest",
            get("/v2/pause/manifests/latest"),
            redirect_307("https://k8s.gcr.io/v2/pause/manifests/latest"),
        ),
        (
            "AWS eu-west-3 IP, blob not in the bucket",
            get(&format!("/v2/pause/blobs/{unknown_blob}")).from("35.180.1.1"),
            redirect_307(&format!("https://k8s.gcr.io/v2/pause/blobs/{unknown_blob}")),
        ),
        (
            "Cosign .sig tag redirects to canonical upstream",
            get(&format!("/v2/pause/manifests/sha256-{HEX}.sig")),
            redirect_307(&format!("{sig}/pause/manifests/sha256-{HEX}.sig")),
        ),
        (
            "Cosign .att tag redirects to canonical upstream",
            get(&format!("/v2/pause/manifests/sha256-{HEX}.att")),
            redirect_307(&format!("{sig}/pause/manifests/sha256-{HEX}.att")),
        ),
        (
            "HEAD on .sig tag redirects to canonical upstream",
            get(&format!("/v2/pause/manifests/sha256-{HEX}.sig")).method("HEAD"),
            redirect_307(&format!("{sig}/pause/manifests/sha256-{HEX}.sig")),
        ),
        (
            "Cosign .sig tag for nested image name",
            get(&format!("/v2/kubernetes/pause/manifests/sha256-{HEX}.sig")),
            redirect_307(&format!(
                "{sig}/kubernetes/pause/manifests/sha256-{HEX}.sig"
            )),
        ),
        (
            "Tag list still redirects to regional upstream",
            get("/v2/pause/tags/list"),
            redirect_307("https://k8s.gcr.io/v2/pause/tags/list"),
        ),
    ];
    for (name, req, want) in cases {
        let decision = req.decide_with(&TABLES, &cfg, &blobs);
        assert_eq!(answer(&decision), want, "{name}");
        if want.0 == 400 {
            assert_eq!(
                oci_code(&decision).as_deref(),
                Some("DIGEST_INVALID"),
                "{name}"
            );
        }
    }
}
