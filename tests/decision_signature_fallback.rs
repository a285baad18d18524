//! docs/request-handling.md, "Signature upstream fallback": content by
//! digest that the regional upstream lacks goes to
//! SIGNATURE_UPSTREAM_ENDPOINT. Natively on the fixture tables, first with
//! a fake check that answers per URL, then through the real check state
//! machine (`checks::blob::Checker`) on the simulated runtime, as the
//! worker runs it.

use registry_edge::checks::blob::{CheckState, Failure, Outcome};
use registry_edge::config::Config;
use registry_edge::decision::{decide, Decision, Observed, Target};
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::sim::{Copy, Sim};
use registry_edge_testkit::*;
use std::cell::RefCell;
use std::rc::Rc;

const PATH: &str = "v2/k8s-artifacts-prod/images";
const CENTRAL: &str = "https://us-central1.example";
const EUROPE: &str = "https://europe-west1.example";
const EU_WEST_3: &str = "https://eu-west-3.example";
const REGIONS: &str = r#"[
    {"name": "us-east4", "endpoint": "https://us-east4.example"},
    {"name": "europe-west1", "endpoint": "https://europe-west1.example"},
    {"name": "us-central1", "endpoint": "https://us-central1.example", "lat": 41.26, "lon": -95.86}
]"#;

/// Production's shape: the signature upstream is one of the regions
/// (us-central1), and the default endpoint.
fn config_with(signatures: Option<&str>) -> Config {
    let mut vars = vec![
        ("UPSTREAM_REGISTRY_ENDPOINT", CENTRAL),
        ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images"),
        ("UPSTREAM_REGIONS", REGIONS),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example"}"#,
        ),
        ("NEGATIVE_CACHE_SECONDS", "60"),
        ("BLOB_CHECK_TIMEOUT_MS", "1000"),
        ("BREAKER_FAILURES", "3"),
        ("BREAKER_SECONDS", "30"),
    ];
    if let Some(s) = signatures {
        vars.push(("SIGNATURE_UPSTREAM_ENDPOINT", s));
    }
    fixture_config(&vars)
}

fn config() -> Config {
    config_with(Some(CENTRAL))
}

fn at(endpoint: &str, rest: &str) -> String {
    format!("{endpoint}/{PATH}/{rest}")
}

fn to_signatures(d: &Decision<'_>) -> bool {
    matches!(d.target(), Some(Target::SignatureUpstream { .. }))
}

fn in_region(d: &Decision<'_>) -> bool {
    matches!(d.target(), Some(Target::Upstream { .. }))
}

#[test]
fn a_manifest_by_digest_the_region_lacks_goes_to_the_signature_upstream() {
    let cfg = config();
    let manifest = format!("pause/manifests/{D}");
    let blobs = FakeBlobs::default().lacking(&[&at(EUROPE, &manifest)]);
    for method in ["GET", "HEAD"] {
        let d = get(&format!("/v2/{manifest}?ns=registry.k8s.io"))
            .method(method)
            .from(GCP_EUROPE_WEST1)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            (
                307,
                Some(format!("{}?ns=registry.k8s.io", at(CENTRAL, &manifest)))
            )
        );
        assert!(to_signatures(&d), "{d:?}");
        assert_eq!(
            d.reason(),
            "manifest -> upstream europe-west1 (the client's region), not there -> signature upstream"
        );
        assert_eq!(d.cache_control(), "no-store");
    }
    // The regional URL was asked, without the query, once per request.
    assert_eq!(
        *blobs.asked_upstream.borrow(),
        vec![at(EUROPE, &manifest), at(EUROPE, &manifest)]
    );
    assert!(blobs.asked.borrow().is_empty());
}

#[test]
fn content_the_region_has_keeps_the_regional_upstream_unchanged() {
    let cfg = config();
    let blobs = FakeBlobs::default();
    let d = get(&format!("/v2/pause/manifests/{D}"))
        .from(GCP_EUROPE_WEST1)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        (307, Some(at(EUROPE, &format!("pause/manifests/{D}"))))
    );
    assert!(in_region(&d), "{d:?}");
    assert_eq!(
        d.reason(),
        "manifest -> upstream europe-west1 (the client's region)"
    );
    assert_eq!(blobs.asked_upstream.borrow().len(), 1);
}

#[test]
fn tags_tag_lists_and_referrers_are_never_checked() {
    let cfg = config();
    let everything_lacking = FakeBlobs::default().lacking(&[
        &at(EUROPE, "pause/manifests/3.9"),
        &at(EUROPE, "pause/tags/list"),
        &at(EUROPE, &format!("pause/referrers/{D}")),
    ]);
    for path in [
        "/v2/pause/manifests/3.9".to_string(),
        "/v2/pause/tags/list".to_string(),
        format!("/v2/pause/manifests/sha256-{}.sig", &D[7..]),
        format!("/v2/pause/referrers/{D}"),
    ] {
        let d = get(&path)
            .from(GCP_EUROPE_WEST1)
            .decide(&cfg, &everything_lacking);
        assert_eq!(d.status(), 307, "{path}");
        assert!(!d.reason().contains("not there"), "{path}: {}", d.reason());
    }
    assert!(everything_lacking.asked_upstream.borrow().is_empty());
}

#[test]
fn blobs_going_upstream_are_checked_after_the_copy_choice() {
    let cfg = config();
    let blob = format!("pause/blobs/{D}");
    let in_mirror = format!("{EU_WEST_3}/containers/images/{D}");

    // A GCP client's blob goes upstream (no copy): checked there.
    let blobs = FakeBlobs::default().lacking(&[&at(EUROPE, &blob)]);
    let d = get(&format!("/v2/{blob}"))
        .from(GCP_EUROPE_WEST1)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), (307, Some(at(CENTRAL, &blob))));
    assert!(to_signatures(&d), "{d:?}");
    assert_eq!(
        d.reason(),
        "blob: GCP europe-west1 -> upstream europe-west1 (the client's region), not there -> signature upstream"
    );
    assert_eq!(d.cache_control(), "private, no-store");

    // An AWS client whose mirror has it: the mirror, no upstream check.
    let blobs = FakeBlobs::with(&[&in_mirror]).lacking(&[&at(EUROPE, &blob)]);
    let d = get(&format!("/v2/{blob}"))
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), (307, Some(in_mirror.clone())));
    assert!(blobs.asked_upstream.borrow().is_empty());

    // Its mirror lacks it: the upstream nearest Paris is asked next.
    let blobs = FakeBlobs::default().lacking(&[&at(EUROPE, &blob)]);
    let d = get(&format!("/v2/{blob}"))
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), (307, Some(at(CENTRAL, &blob))));
    assert!(
        d.reason().starts_with("blob: AWS eu-west-3, not in eu-west-3 mirror -> upstream europe-west1 (nearest to AWS eu-west-3")
            && d.reason().ends_with(", not there -> signature upstream"),
        "{}",
        d.reason()
    );
    assert_eq!(*blobs.asked.borrow(), vec![in_mirror]);
    assert_eq!(*blobs.asked_upstream.borrow(), vec![at(EUROPE, &blob)]);
}

#[test]
fn only_with_a_signature_upstream_other_than_the_chosen_one() {
    let manifest = format!("/v2/pause/manifests/{D}");
    let lacking_everywhere = || {
        FakeBlobs::default().lacking(&[&at(EUROPE, &manifest[4..]), &at(CENTRAL, &manifest[4..])])
    };
    // No signature upstream: nothing asked.
    let blobs = lacking_everywhere();
    let without = config_with(None);
    let d = get(&manifest)
        .from(GCP_EUROPE_WEST1)
        .decide(&without, &blobs);
    assert_eq!(answer(&d), (307, Some(at(EUROPE, &manifest[4..]))));
    assert!(blobs.asked_upstream.borrow().is_empty());
    // The chosen upstream is the signature upstream (an unplaced client
    // gets the default endpoint, us-central1): nothing asked.
    let blobs = lacking_everywhere();
    let cfg = config();
    let d = get(&manifest).from(UNKNOWN).decide(&cfg, &blobs);
    assert_eq!(answer(&d), (307, Some(at(CENTRAL, &manifest[4..]))));
    assert!(in_region(&d), "{d:?}");
    assert!(blobs.asked_upstream.borrow().is_empty());
}

#[test]
fn only_a_404_moves_the_request_errors_keep_the_region() {
    let cfg = config();
    let manifest = format!("pause/manifests/{D}");
    let base = "manifest -> upstream europe-west1 (the client's region)";
    let cases = [
        (Outcome::Present, base.to_string(), EUROPE),
        (
            Outcome::Absent,
            format!("{base}, not there -> signature upstream"),
            CENTRAL,
        ),
        (
            Outcome::Failed(Failure::Timeout),
            format!("{base}, upstream check failed (timeout), kept"),
            EUROPE,
        ),
        (
            Outcome::Failed(Failure::Status(403)),
            format!("{base}, upstream check failed (status 403), kept"),
            EUROPE,
        ),
        (
            Outcome::Failed(Failure::Network),
            format!("{base}, upstream check failed (network error), kept"),
            EUROPE,
        ),
        (
            Outcome::BreakerOpen,
            format!("{base}, upstream check breaker open, kept"),
            EUROPE,
        ),
    ];
    for (outcome, reason, endpoint) in cases {
        let req = get(&format!("/v2/{manifest}")).from(GCP_EUROPE_WEST1);
        // Copies have nothing.
        let checks = Outcomes {
            mirror: Outcome::Absent,
            registry: outcome,
            ms: 0,
        };
        let d = req.decide(&cfg, &checks);
        assert_eq!(d.reason(), reason, "{outcome:?}");
        assert_eq!(d.location(), Some(at(endpoint, &manifest).as_str()));
    }
}

/// One request's decision through the real check state machine.
fn decide_on<'c>(
    sim: &Sim,
    state: &Rc<RefCell<CheckState>>,
    cfg: &'c Config,
    path: &str,
) -> Decision<'c> {
    let checker = sim.checker(state, "registry.k8s.io", cfg.checks);
    let req = get(path).from(GCP_EUROPE_WEST1);
    sim.run(decide(
        &req.read(),
        cfg,
        client_tables(),
        &checker,
        &Observed::default(),
    ))
}

#[test]
fn through_the_check_machinery_missing_for_the_negative_ttl_found_kept_long() {
    let cfg = config();
    let sim = Sim::at(1_800_000_000_000);
    let state: Rc<RefCell<CheckState>> = Rc::default();
    sim.set_copy(EUROPE, Copy::Serves { delay_ms: 20 });
    let there = format!("pause/manifests/{D}");
    let missing_digest = format!("sha256:{}", "0".repeat(64));
    let missing = format!("pause/manifests/{missing_digest}");
    sim.add_blob(&at(EUROPE, &there));

    let d = decide_on(&sim, &state, &cfg, &format!("/v2/{missing}"));
    assert_eq!(d.location(), Some(at(CENTRAL, &missing).as_str()));
    let d = decide_on(&sim, &state, &cfg, &format!("/v2/{there}"));
    assert_eq!(d.location(), Some(at(EUROPE, &there).as_str()));
    assert_eq!(sim.heads().len(), 2);
    sim.settle();

    // Both answers are remembered: no HEAD for 60 s...
    sim.pass(59_000);
    decide_on(&sim, &state, &cfg, &format!("/v2/{missing}"));
    decide_on(&sim, &state, &cfg, &format!("/v2/{there}"));
    assert_eq!(sim.heads().len(), 2);
    // ...then "missing" is asked again (the region may have caught up),
    // "found" is not (content by digest never changes).
    sim.pass(2_000);
    sim.add_blob(&at(EUROPE, &missing));
    let d = decide_on(&sim, &state, &cfg, &format!("/v2/{missing}"));
    assert_eq!(d.location(), Some(at(EUROPE, &missing).as_str()));
    decide_on(&sim, &state, &cfg, &format!("/v2/{there}"));
    assert_eq!(sim.head_count(&at(EUROPE, &missing)), 2);
    assert_eq!(sim.head_count(&at(EUROPE, &there)), 1);
}

#[test]
fn through_the_check_machinery_a_refusing_region_is_kept_and_a_failing_one_broken() {
    let cfg = config();
    let sim = Sim::at(1_800_000_000_000);
    let state: Rc<RefCell<CheckState>> = Rc::default();
    // Artifact Registry refusing the anonymous reader says nothing about
    // the digest, nor about the region's health: the region is kept, the
    // refusal is neither cached nor counted.
    sim.set_copy(EUROPE, Copy::Status(401));
    for i in 0..5u64 {
        let path = format!("pause/manifests/sha256:{i:064x}");
        let d = decide_on(&sim, &state, &cfg, &format!("/v2/{path}"));
        sim.settle();
        assert_eq!(d.location(), Some(at(EUROPE, &path).as_str()), "{i}");
        assert!(
            d.reason()
                .ends_with("upstream check rejected (status 401), kept"),
            "{i}: {}",
            d.reason()
        );
    }
    assert_eq!(sim.heads().len(), 5, "asked every time");
    assert!(!state.borrow().breakers.any_counted());
    // A failing region is kept too, and its breaker counts the failures.
    sim.set_copy(EUROPE, Copy::Status(503));
    for i in 5..10u64 {
        let path = format!("pause/manifests/sha256:{i:064x}");
        let d = decide_on(&sim, &state, &cfg, &format!("/v2/{path}"));
        sim.settle();
        assert_eq!(d.location(), Some(at(EUROPE, &path).as_str()), "{i}");
        let want = if i < 8 {
            "upstream check failed (status 503), kept"
        } else {
            "upstream check breaker open, kept"
        };
        assert!(d.reason().ends_with(want), "{i}: {}", d.reason());
    }
    assert_eq!(sim.heads().len(), 8, "the breaker stops the HEADs");
    // The breaker is the region's own: another region is still asked.
    sim.set_copy("https://us-east4.example", Copy::Serves { delay_ms: 5 });
    let checker = sim.checker(&state, "registry.k8s.io", cfg.checks);
    let req = get(&format!("/v2/pause/manifests/{D}")).from(GCP_US_EAST4);
    let d = sim.run(decide(
        &req.read(),
        &cfg,
        client_tables(),
        &checker,
        &Observed::default(),
    ));
    assert!(to_signatures(&d), "{d:?}");
    assert_eq!(sim.heads().len(), 9);
}

/// Requests a client chooses cannot turn the fallback off: names too long
/// for the registry are refused before any check, and a region refusing
/// requests (400, 401, 403) is never counted against, so content it lacks
/// still goes to the signature upstream.
#[test]
fn hostile_names_leave_signature_fallback_working() {
    let cfg = config();
    let sim = Sim::at(1_800_000_000_000);
    let state: Rc<RefCell<CheckState>> = Rc::default();
    sim.set_copy(EUROPE, Copy::Status(400));
    let long = "n".repeat(235);
    for i in 0..3u64 {
        let d = decide_on(
            &sim,
            &state,
            &cfg,
            &format!("/v2/{long}/manifests/sha256:{i:064x}"),
        );
        sim.settle();
        assert_eq!(d.status(), 400, "{d:?}");
    }
    assert!(
        sim.heads().is_empty(),
        "nothing asked about over-long names"
    );
    // A region answering 400 to everything still counts for nothing.
    for i in 0..5u64 {
        let d = decide_on(
            &sim,
            &state,
            &cfg,
            &format!("/v2/pause/manifests/sha256:{i:064x}"),
        );
        sim.settle();
        assert!(
            d.reason().ends_with("rejected (status 400), kept"),
            "{}",
            d.reason()
        );
    }
    assert!(!state.borrow().breakers.any_counted());
    // The region lacks a signature: it goes to the signature upstream.
    sim.set_copy(EUROPE, Copy::Serves { delay_ms: 5 });
    let sig = format!("pause/manifests/sha256:{:064x}", 99);
    let d = decide_on(&sim, &state, &cfg, &format!("/v2/{sig}"));
    assert_eq!(d.location(), Some(at(CENTRAL, &sig).as_str()));
    assert!(
        d.reason().ends_with("not there -> signature upstream"),
        "{}",
        d.reason()
    );
}

/// Only sha256 content is checked: a sha512 manifest or blob stays in the
/// region, unasked.
#[test]
fn sha512_content_is_not_checked_in_the_region() {
    let cfg = config();
    let sha512 = format!("sha512:{}", "ab".repeat(64));
    for path in [
        format!("/v2/pause/manifests/{sha512}"),
        format!("/v2/pause/blobs/{sha512}"),
    ] {
        let blobs = FakeBlobs::default();
        let d = get(&path).from(GCP_EUROPE_WEST1).decide(&cfg, &blobs);
        assert_eq!(
            d.location(),
            Some(at(EUROPE, &path[4..]).as_str()),
            "{path}"
        );
        assert!(blobs.asked_upstream.borrow().is_empty(), "{path}");
        assert!(blobs.asked.borrow().is_empty(), "{path}");
    }
    // An AWS client's sha512 blob: no mirror asked, no region asked.
    let blobs = FakeBlobs::default();
    let d = get(&format!("/v2/pause/blobs/{sha512}"))
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert!(d.reason().contains("sha512 digest"), "{}", d.reason());
    assert!(blobs.asked.borrow().is_empty() && blobs.asked_upstream.borrow().is_empty());
}
