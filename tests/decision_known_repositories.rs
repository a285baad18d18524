//! Known repositories in the decision (docs/request-handling.md, "Known
//! repositories"): with a list, a pull of a repository whose top-level
//! name is not in it gets 404 NAME_UNKNOWN before any copy is checked;
//! without one, every repository is routed; nothing outside pulls changes.
//! The answer's status page and the request's record say what happened.

use registry_edge::decision::{Decision, Target};
use registry_edge::request::Request;
use registry_edge::serving::record::{Edge, Record};
use registry_edge::serving::status::Bindings;
use registry_edge::serving::{answer, Answer, Conditions};
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

const KNOWN: &[&str] = &["pause", "sig-storage", "kube-apiserver"];

fn unknown_pulls() -> Vec<String> {
    vec![
        "/v2/not-a-k8s-repo/manifests/latest".into(),
        format!("/v2/not-a-k8s-repo/manifests/{D}"),
        format!("/v2/not-a-k8s-repo/blobs/{D}"),
        "/v2/not-a-k8s-repo/tags/list?n=10".into(),
        format!("/v2/not-a-k8s-repo/referrers/{D}"),
        format!("/v2/not-a-k8s-repo/manifests/sha256-{D_HEX}.sig"),
        format!("/v2/not-a-k8s-repo/manifests/sha256-{D_HEX}"),
        // Only the top-level name counts.
        "/v2/pause2/manifests/3.10".into(),
        "/v2/sig/storage/manifests/v1".into(),
        "/v2/kube/apiserver/tags/list".into(),
    ]
}

#[test]
fn unknown_repositories_get_404_name_unknown_and_no_check() {
    let cfg = full_config();
    for path in unknown_pulls() {
        for client in [AWS_EU_WEST_3, GCP_EUROPE_WEST1, UNKNOWN] {
            let blobs = everywhere();
            let req = get(&path).from(client).known(KNOWN);
            let d = req.decide(&cfg, &blobs);
            assert!(matches!(d, Decision::UnknownRepository(_)), "{path}: {d:?}");
            assert_eq!(d.status(), 404, "{path}");
            assert_eq!(oci_code(&d).as_deref(), Some("NAME_UNKNOWN"), "{path}");
            assert_eq!(d.reason(), "unknown repository");
            assert_eq!(d.cache_control(), "no-store");
            assert!(blobs.asked.borrow().is_empty(), "{path}: a copy was asked");
            assert!(blobs.asked_upstream.borrow().is_empty(), "{path}");
            invariants::check(&req.read(), &cfg, &d, &blobs.asked.borrow());
        }
    }
    let d = get("/v2/not-a-k8s-repo/manifests/latest")
        .known(KNOWN)
        .decide(&cfg, &everywhere());
    let body: serde_json::Value = serde_json::from_str(&d.reply().body).unwrap();
    assert_eq!(
        body["errors"][0]["message"],
        "repository name not known to registry: no repository \"not-a-k8s-repo\""
    );
}

#[test]
fn known_repositories_nested_ones_included_are_routed_as_without_a_list() {
    let cfg = full_config();
    let paths = [
        "/v2/pause/manifests/3.10".to_string(),
        format!("/v2/pause/blobs/{D}"),
        "/v2/sig-storage/csi-provisioner/manifests/v5.0.0".into(),
        format!("/v2/sig-storage/csi-provisioner/blobs/{D}"),
        "/v2/kube-apiserver/tags/list?n=1".into(),
        format!("/v2/sig-storage/nfs/referrers/{D}"),
        format!("/v2/pause/manifests/sha256-{D_HEX}.att"),
    ];
    for path in paths {
        for client in [AWS_EU_WEST_3, GCP_EUROPE_WEST1, UNKNOWN] {
            let with = get(&path)
                .from(client)
                .known(KNOWN)
                .decide(&cfg, &everywhere());
            let without = get(&path).from(client).decide(&cfg, &everywhere());
            assert_eq!(with.status(), 307, "{path}");
            assert_eq!(with, without, "{path} from {client}");
        }
    }
}

#[test]
fn without_a_list_every_repository_is_routed() {
    let cfg = full_config();
    for path in unknown_pulls() {
        let d = get(&path).from(AWS_EU_WEST_3).decide(&cfg, &everywhere());
        assert_eq!(d.status(), 307, "{path}: {d:?}");
    }
}

#[test]
fn requests_that_are_no_pull_are_unaffected() {
    let cfg = full_config();
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/v2/", 200, None),
        ("/v2", 200, None),
        // The root tags/list is no pull: the same error as ever.
        ("/v2/tags/list", 404, Some("UNSUPPORTED")),
        ("/v2/_catalog", 404, Some("UNSUPPORTED")),
        ("/v2/Not-A-Repo/manifests/x", 400, Some("NAME_INVALID")),
        ("/token", 404, None),
        ("/_status", 404, None),
        ("/", 307, None),
        ("/privacy", 307, None),
        ("/favicon.ico", 404, None),
    ];
    for &(path, status, code) in cases {
        let with = get(path).known(KNOWN).decide(&cfg, &everywhere());
        let without = get(path).decide(&cfg, &everywhere());
        assert_eq!(with, without, "{path}");
        assert_eq!(
            (with.status(), oci_code(&with).as_deref()),
            (status, code),
            "{path}"
        );
    }
    // Legacy hosts and methods answer first.
    let legacy = get("/v2/not-a-k8s-repo/manifests/latest")
        .host("k8s.gcr.io")
        .known(KNOWN)
        .decide(&cfg, &everywhere());
    assert_eq!(legacy.status(), 301);
    assert_eq!(legacy.target(), Some(Target::PrimaryHost));
    let post = get("/v2/not-a-k8s-repo/manifests/latest")
        .method("POST")
        .known(KNOWN)
        .decide(&cfg, &everywhere());
    assert_eq!(post.status(), 405);
}

/// The whole answer to `req` at `now_ms`, and its record.
fn answered(req: &Req, now_ms: f64, f: impl FnOnce(&Answer<'_>, &Record<'_>)) {
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        ("KNOWN_REPOSITORIES", "true"),
        ("PULL_SESSIONS", "true"),
    ]);
    let request = Request::read(req, client_tables());
    let conditions = Conditions {
        rate_limited: false,
        now_ms,
        bindings: Bindings::default(),
        observed: req.observed(),
    };
    let blobs = everywhere();
    let answer = block_on(answer(
        &request,
        &conditions,
        &cfg,
        client_tables(),
        &blobs,
        || [7; 16],
    ));
    invariants::check_answer(&request, &cfg, &answer, &blobs.asked.borrow());
    let record = Record::new(&request, &answer, Edge::default());
    f(&answer, &record);
}

#[test]
fn the_record_says_why_and_keeps_the_kind() {
    let cases = [
        ("/v2/nope/manifests/latest".to_string(), "manifest"),
        (format!("/v2/nope/blobs/{D}"), "blob"),
        ("/v2/nope/tags/list".into(), "tags"),
        (format!("/v2/nope/referrers/{D}"), "referrers"),
        (
            format!("/v2/nope/manifests/sha256-{D_HEX}.sbom"),
            "signature",
        ),
    ];
    for (path, kind) in cases {
        // Unchallenged even with pull sessions on: nothing to pull.
        answered(&get(&path).known(KNOWN), 0.0, |answer, record| {
            assert_eq!(answer.status(), 404, "{path}");
            let line: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
            assert_eq!(line["reason"], "unknown repository", "{path}");
            assert_eq!(line["kind"], kind, "{path}");
            assert_eq!(line["status"], 404);
            assert_eq!(line["repository"], "nope");
            assert_eq!(line["target"], serde_json::Value::Null);
            assert_eq!(line["check"], "none");
        });
    }
}

#[test]
fn the_status_page_shows_the_list_in_use() {
    let status = |req: &Req, now_ms: f64| {
        let mut doc = serde_json::Value::Null;
        answered(req, now_ms, |answer, _| match answer {
            Answer::Status(text) => doc = serde_json::from_str(text).unwrap(),
            other => panic!("{other:?}"),
        });
        doc["features"]["known_repositories"].clone()
    };
    // The kit's lists were listed at time 0.
    assert_eq!(
        status(&get("/_status").known(KNOWN), 125_999.0),
        serde_json::json!({"on": true, "repositories": 3, "age_seconds": 125})
    );
    assert_eq!(
        status(&get("/_status"), 1000.0),
        serde_json::json!({"on": true, "repositories": null, "age_seconds": null})
    );
}
