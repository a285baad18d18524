//! The blob check's state machine (`checks::blob::Checker`) on a simulated
//! runtime (tests/kit/src/sim.rs): time is passed in, copies are scripted,
//! the Cache API is in memory. The worker's I/O half is covered over HTTP
//! in tests/worker/.

use registry_edge::checks::blob::{
    breaker_key, existence_key, BlobCheck, CheckReport, CheckSettings, CheckSource, CheckState,
    CheckTarget, ColoEntry, Failure, Outcome, Remembered, MANIFEST_ACCEPT, PRESENT_TTL_SECONDS,
    WAIT_MARGIN_MS,
};
use registry_edge_testkit::config;
use registry_edge_testkit::sim::{join_all, Bucket, ColoOp, Copy, Sim};
use std::cell::RefCell;
use std::rc::Rc;

const HOST: &str = "registry.k8s.io";
const MIRROR: &str = "https://eu-west-3.example";
const TIMEOUT_MS: u64 = 1000;
const BREAKER_MS: u64 = 30_000;
/// Some time in 2027: the clock is absolute, like `Date.now()`.
const T0: u64 = 1_800_000_000_000;
/// A waiting request looks at the check it waits for this often.
const TICK: u64 = 5;

fn settings() -> CheckSettings {
    (config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        ("BLOB_CHECK_TIMEOUT_MS", "1000"),
        ("NEGATIVE_CACHE_SECONDS", "60"),
        ("BREAKER_FAILURES", "3"),
        ("BREAKER_SECONDS", "30"),
    ]))
    .checks
}

fn digest(i: u64) -> String {
    format!("sha256:{i:064x}")
}

fn blob(i: u64) -> String {
    format!("{MIRROR}/containers/images/{}", digest(i))
}

/// A fresh isolate's memory.
fn isolate() -> Rc<RefCell<CheckState>> {
    Rc::default()
}

/// One request's check, run to its end.
fn check(sim: &Sim, state: &Rc<RefCell<CheckState>>, url: &str) -> CheckReport {
    let checker = sim.checker(state, HOST, settings());
    sim.run(checker.check(CheckTarget::mirror(url)))
}

/// The runtime cancels a request whose client went away by
/// never polling its future again, without dropping it. The check it
/// started must still finish, be shared, and be remembered.
#[test]
fn a_request_abandoned_mid_check_strands_nothing() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 300 });
    let url = blob(1);
    sim.add_blob(&url);
    let state = isolate();

    let first = sim.checker(&state, HOST, settings());
    sim.poll_once_and_abandon(first.check(CheckTarget::mirror(&url)));

    // The next request for the blob, at once: answered when the HEAD the
    // abandoned request started answers, not after a timeout.
    let report = check(&sim, &state, &url);
    assert_eq!(
        (report.outcome, report.source),
        (Outcome::Present, CheckSource::Head)
    );
    assert!(
        u64::from(report.ms) <= 300 + TICK,
        "waited {} ms for a check that answers in 300 ms",
        report.ms
    );
    assert_eq!(sim.head_count(&url), 1, "one HEAD, shared");

    // Remembered by the isolate.
    sim.settle();
    let again = check(&sim, &state, &url);
    assert_eq!(
        (again.outcome, again.source, again.ms),
        (Outcome::Present, CheckSource::Isolate, 0)
    );
    assert_eq!(sim.head_count(&url), 1);
}

/// Even if the check's own background work were lost, the
/// entry of a check in flight counts as absent once it is older than the
/// timeout plus the margin: no URL stays "pending" for the isolate's life.
#[test]
fn a_check_lost_altogether_expires_after_the_timeout_and_margin() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 100 });
    let url = blob(2);
    sim.add_blob(&url);
    let state = isolate();

    sim.lose_background_tasks(true);
    let first = sim.checker(&state, HOST, settings());
    sim.poll_once_and_abandon(first.check(CheckTarget::mirror(&url)));
    sim.lose_background_tasks(false);

    // A request meanwhile waits no longer than the timeout plus the margin.
    let waiter = check(&sim, &state, &url);
    assert_eq!(waiter.outcome, Outcome::Failed(Failure::Timeout));
    assert_eq!(u64::from(waiter.ms), TIMEOUT_MS + WAIT_MARGIN_MS);
    // The next one starts a check of its own.
    let next = check(&sim, &state, &url);
    assert_eq!(
        (next.outcome, next.source),
        (Outcome::Present, CheckSource::Head)
    );
    assert!(u64::from(next.ms) <= 100 + TICK);
    assert_eq!(sim.head_count(&url), 1);
}

/// Concurrent checks of one URL share one HEAD.
#[test]
fn concurrent_checks_of_one_url_share_one_head() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 250 });
    let url = blob(3);
    sim.add_blob(&url);
    let state = isolate();
    let checkers: Vec<_> = (0..12)
        .map(|_| sim.checker(&state, HOST, settings()))
        .collect();
    let reports = sim.run(join_all(
        checkers
            .iter()
            .map(|c| c.check(CheckTarget::mirror(&url)))
            .collect(),
    ));
    for r in reports {
        assert_eq!((r.outcome, r.source), (Outcome::Present, CheckSource::Head));
        assert!(u64::from(r.ms) <= 250 + TICK);
    }
    assert_eq!(sim.head_count(&url), 1);
}

/// After BREAKER_FAILURES consecutive failed checks the
/// copy is skipped for BREAKER_SECONDS (in this isolate and, through the
/// Cache API, in the colo's others); then one probe; its success closes it.
#[test]
fn a_failing_copy_is_skipped_then_probed_once() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Hangs);
    let state = isolate();

    for i in 0..3 {
        let r = check(&sim, &state, &blob(i));
        assert_eq!(
            (r.outcome, r.source),
            (Outcome::Failed(Failure::Timeout), CheckSource::Head),
            "check {i}"
        );
        assert!((TIMEOUT_MS..=TIMEOUT_MS + TICK).contains(&u64::from(r.ms)));
    }
    sim.settle();
    let third_failure = sim.heads()[2].0 + TIMEOUT_MS;
    // Skipped at once, nobody asked.
    for i in 3..10 {
        let r = check(&sim, &state, &blob(i));
        assert_eq!(
            (r.outcome, r.source, r.ms),
            (Outcome::BreakerOpen, CheckSource::Breaker, 0),
            "check {i}"
        );
    }
    assert_eq!(sim.heads().len(), 3);
    // The colo knows, until the breaker is due to close.
    assert_eq!(
        sim.colo_entry(&breaker_key(HOST, MIRROR)),
        Some(ColoEntry {
            what: Remembered::BreakerOpen,
            expires_ms: third_failure + BREAKER_MS
        })
    );
    assert!(sim
        .warnings()
        .iter()
        .any(|w| w.contains("breaker") && w.contains("open")));

    // Another isolate of the colo skips the copy too, after one Cache API look.
    let other = isolate();
    let r = check(&sim, &other, &blob(20));
    assert_eq!(
        (r.outcome, r.source),
        (Outcome::BreakerOpen, CheckSource::Breaker)
    );
    let r = check(&sim, &other, &blob(21));
    assert_eq!((r.outcome, r.ms), (Outcome::BreakerOpen, 0));
    assert_eq!(sim.heads().len(), 3);

    // Still open just before the time is up.
    sim.pass(third_failure + BREAKER_MS - 1 - sim.now());
    assert_eq!(check(&sim, &state, &blob(22)).outcome, Outcome::BreakerOpen);
    sim.pass(1);

    // Half-open: one probe goes through; the others are skipped while it runs.
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 200 });
    sim.add_blob(&blob(30));
    let checkers: Vec<_> = (0..5)
        .map(|_| sim.checker(&state, HOST, settings()))
        .collect();
    let urls: Vec<String> = (30..35).map(blob).collect();
    let reports = sim.run(join_all(
        checkers
            .iter()
            .zip(&urls)
            .map(|(c, u)| c.check(CheckTarget::mirror(u)))
            .collect(),
    ));
    assert_eq!(
        (reports[0].outcome, reports[0].source),
        (Outcome::Present, CheckSource::Head)
    );
    for r in &reports[1..] {
        assert_eq!((r.outcome, r.ms), (Outcome::BreakerOpen, 0));
    }
    assert_eq!(sim.heads().len(), 4, "a single probe");

    // Closed: checks go to the copy again, and the colo entry is gone.
    sim.settle();
    let r = check(&sim, &state, &blob(31));
    assert_eq!((r.outcome, r.source), (Outcome::Absent, CheckSource::Head));
    assert_eq!(sim.colo_entry(&breaker_key(HOST, MIRROR)), None);
    assert!(sim.warnings().iter().any(|w| w.contains("closed")));
}

/// A probe that fails opens the breaker for another period.
#[test]
fn a_failed_probe_opens_the_breaker_again() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Status(503));
    let state = isolate();
    for i in 0..3 {
        check(&sim, &state, &blob(i));
    }
    sim.settle();
    let open_until = || {
        sim.colo_entry(&breaker_key(HOST, MIRROR))
            .unwrap()
            .expires_ms
    };
    let first_until = open_until();
    sim.pass(first_until - sim.now());
    let probe = check(&sim, &state, &blob(10));
    assert_eq!(probe.outcome, Outcome::Failed(Failure::Status(503)));
    sim.settle();
    assert_eq!(open_until(), sim.heads()[3].0 + BREAKER_MS, "open again");
    sim.pass(open_until() - 1 - sim.now());
    assert_eq!(check(&sim, &state, &blob(11)).outcome, Outcome::BreakerOpen);
    assert_eq!(sim.heads().len(), 4);
}

/// 200 is present; 403, 404 and 410 are absent (cached); the copy's own
/// failures (3xx, 408, 429, 5xx, network errors, timeouts) are not cached
/// and are counted by the breaker; other 4xx, a refusal of the request the
/// client chose, are neither cached nor counted.
#[test]
fn only_absence_means_absent() {
    for status in [403, 404, 410] {
        let sim = Sim::at(T0);
        sim.set_copy(MIRROR, Copy::Status(status));
        let state = isolate();
        let r = check(&sim, &state, &blob(1));
        assert_eq!(r.outcome, Outcome::Absent, "{status}");
        sim.settle();
        let r = check(&sim, &state, &blob(1));
        assert_eq!(
            (r.outcome, r.source),
            (Outcome::Absent, CheckSource::Isolate),
            "{status}: cached"
        );
    }
    let failures = [
        (Copy::Status(301), Failure::Status(301)),
        (Copy::Status(302), Failure::Status(302)),
        (Copy::Status(307), Failure::Status(307)),
        (Copy::Status(408), Failure::Status(408)),
        (Copy::Status(429), Failure::Status(429)),
        (Copy::Status(500), Failure::Status(500)),
        (Copy::Status(503), Failure::Status(503)),
        (Copy::Refuses, Failure::Network),
        (Copy::Hangs, Failure::Timeout),
    ];
    for (copy, failure) in failures {
        let sim = Sim::at(T0);
        sim.set_copy(MIRROR, copy);
        let state = isolate();
        // The same blob three times: asked every time (not cached), and the
        // third failure opens the breaker.
        for n in 0..3 {
            let r = check(&sim, &state, &blob(1));
            assert_eq!(
                (r.outcome, r.source),
                (Outcome::Failed(failure), CheckSource::Head),
                "{copy:?} #{n}"
            );
            sim.settle();
        }
        assert_eq!(sim.head_count(&blob(1)), 3, "{copy:?}: not cached");
        assert!(
            !sim.colo_ops()
                .iter()
                .any(|(_, op)| matches!(op, ColoOp::Put(k, _) if !k.contains("/breaker/"))),
            "{copy:?}: a failure reached the Cache API"
        );
        assert_eq!(
            check(&sim, &state, &blob(1)).outcome,
            Outcome::BreakerOpen,
            "{copy:?}: counted by the breaker"
        );
    }
    for status in [400, 401, 405, 414] {
        let sim = Sim::at(T0);
        sim.set_copy(MIRROR, Copy::Status(status));
        let state = isolate();
        for n in 0..10 {
            let r = check(&sim, &state, &blob(n));
            assert_eq!(
                (r.outcome, r.source),
                (Outcome::Rejected(status), CheckSource::Head),
                "{status} #{n}"
            );
            sim.settle();
        }
        assert_eq!(sim.heads().len(), 10, "{status}: asked every time");
        assert!(
            !sim.colo_ops()
                .iter()
                .any(|(_, op)| matches!(op, ColoOp::Put(..))),
            "{status}: nothing cached, no breaker opened"
        );
        assert!(
            !state.borrow().breakers.any_counted(),
            "{status}: not counted"
        );
        assert_eq!(
            check(&sim, &state, &blob(1)).outcome,
            Outcome::Rejected(status)
        );
    }
}

/// An answer read from the Cache API is kept in the
/// isolate only as long as its Cache API entry had left, so "absent" is
/// remembered for at most NEGATIVE_CACHE_SECONDS in all.
#[test]
fn an_answer_from_the_colo_lives_no_longer_than_its_entry() {
    let sim = Sim::at(T0);
    let url = blob(7);
    // Another isolate stored "absent" 55 s ago: 5 s are left.
    sim.colo_insert(
        &existence_key(HOST, MIRROR, &digest(7)),
        ColoEntry {
            what: Remembered::Absent,
            expires_ms: T0 + 5_000,
        },
    );
    let state = isolate();
    let r = check(&sim, &state, &url);
    assert_eq!((r.outcome, r.source), (Outcome::Absent, CheckSource::Colo));
    sim.pass(T0 + 4_999 - sim.now());
    let r = check(&sim, &state, &url);
    assert_eq!(
        (r.outcome, r.source),
        (Outcome::Absent, CheckSource::Isolate)
    );

    // Mirroring caught up; the entry expires, here as in the colo.
    sim.add_blob(&url);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 20 });
    sim.pass(1);
    let r = check(&sim, &state, &url);
    assert_eq!((r.outcome, r.source), (Outcome::Present, CheckSource::Head));
}

/// Cache API writes happen after the waiters have their
/// answer (a write that never completes delays nobody), under a key on the
/// worker's own host, never the mirror's.
#[test]
fn cache_writes_are_off_the_response_path_and_keyed_on_the_workers_host() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 80 });
    let url = blob(9);
    sim.add_blob(&url);
    sim.hang_colo_writes();
    let state = isolate();
    let checkers: Vec<_> = (0..3)
        .map(|_| sim.checker(&state, HOST, settings()))
        .collect();
    let reports = sim.run(join_all(
        checkers
            .iter()
            .map(|c| c.check(CheckTarget::mirror(&url)))
            .collect(),
    ));
    for r in reports {
        assert_eq!(r.outcome, Outcome::Present);
        assert!(u64::from(r.ms) <= 80 + TICK, "{} ms", r.ms);
    }
    let key = format!(
        "https://{HOST}/.blob-exists/https.eu-west-3.example/{}",
        digest(9)
    );
    assert_eq!(
        sim.colo_ops(),
        vec![
            (T0, ColoOp::Get(key.clone())),
            (T0, ColoOp::Get(breaker_key(HOST, MIRROR))),
            (
                T0 + 80,
                ColoOp::Put(
                    key,
                    ColoEntry {
                        what: Remembered::Present,
                        expires_ms: T0 + 80 + PRESENT_TTL_SECONDS * 1000
                    }
                )
            ),
        ]
    );
    assert_eq!(sim.background_tasks(), 1, "the write is still pending");
}

/// A flood of distinct missing digests does not flush the
/// known-present blobs from the isolate's memory.
#[test]
fn a_flood_of_missing_digests_does_not_evict_present_blobs() {
    let sim = Sim::at(T0);
    sim.set_copy(MIRROR, Copy::Serves { delay_ms: 0 });
    let state = isolate();
    let present: Vec<String> = (0..100).map(blob).collect();
    for url in &present {
        sim.add_blob(url);
        assert_eq!(check(&sim, &state, url).outcome, Outcome::Present);
    }
    for i in 1_000..13_000 {
        assert_eq!(check(&sim, &state, &blob(i)).outcome, Outcome::Absent);
    }
    let heads = sim.heads().len();
    for url in &present {
        let r = check(&sim, &state, url);
        assert_eq!(
            (r.outcome, r.source),
            (Outcome::Present, CheckSource::Isolate),
            "{url}"
        );
    }
    assert_eq!(sim.heads().len(), heads);
}

/// A regional upstream registry is checked through the
/// same machinery, with its own reading of statuses (`CopyKind::Registry`):
/// only 404 is absent (cached for NEGATIVE_CACHE_SECONDS), 200 present
/// (kept long); 401, 403, 410 are rejections of the request the client
/// chose (not cached, not counted); 3xx, 429 and 5xx are failures (not
/// cached, counted by the endpoint's breaker). Entries are keyed by the
/// endpoint and the path under it, on the worker's host.
#[test]
fn a_regional_upstream_is_missing_content_only_on_404() {
    const UPSTREAM: &str = "https://europe-west1.example";
    let url = format!(
        "{UPSTREAM}/v2/k8s-artifacts-prod/images/pause/manifests/{}",
        digest(1)
    );
    let target = || CheckTarget::registry(UPSTREAM, &url);
    let run = |sim: &Sim, state: &Rc<RefCell<CheckState>>| {
        sim.run(sim.checker(state, HOST, settings()).check(target()))
    };

    let sim = Sim::at(T0);
    sim.set_copy(UPSTREAM, Copy::Status(404));
    let state = isolate();
    assert_eq!(run(&sim, &state).outcome, Outcome::Absent);
    sim.settle();
    let key = existence_key(HOST, UPSTREAM, &url[UPSTREAM.len() + 1..]);
    assert_eq!(
        key,
        format!(
            "https://{HOST}/.blob-exists/https.europe-west1.example/v2/k8s-artifacts-prod/images/pause/manifests/{}",
            digest(1)
        )
    );
    assert_eq!(
        sim.colo_entry(&key),
        Some(ColoEntry {
            what: Remembered::Absent,
            expires_ms: T0 + 60_000
        })
    );
    assert_eq!(
        (run(&sim, &state).outcome, run(&sim, &state).source),
        (Outcome::Absent, CheckSource::Isolate)
    );

    let sim = Sim::at(T0);
    sim.set_copy(UPSTREAM, Copy::Status(200));
    let state = isolate();
    assert_eq!(run(&sim, &state).outcome, Outcome::Present);
    sim.settle();
    assert_eq!(
        sim.colo_entry(&key).map(|e| e.expires_ms),
        Some(T0 + PRESENT_TTL_SECONDS * 1000)
    );

    // What a mirror would call absent is a rejection from a registry.
    for status in [401, 403, 410] {
        let sim = Sim::at(T0);
        sim.set_copy(UPSTREAM, Copy::Status(status));
        let state = isolate();
        for _ in 0..5 {
            assert_eq!(run(&sim, &state).outcome, Outcome::Rejected(status));
            sim.settle();
        }
        assert_eq!(sim.colo_entry(&key), None, "{status}: not cached");
        assert!(!state.borrow().breakers.any_counted(), "{status}");
    }
    for status in [302, 429, 503] {
        let sim = Sim::at(T0);
        sim.set_copy(UPSTREAM, Copy::Status(status));
        let state = isolate();
        for _ in 0..3 {
            assert_eq!(
                run(&sim, &state).outcome,
                Outcome::Failed(Failure::Status(status)),
                "{status}"
            );
            sim.settle();
        }
        assert_eq!(sim.colo_entry(&key), None, "{status}: not cached");
        assert_eq!(run(&sim, &state).outcome, Outcome::BreakerOpen, "{status}");
        assert!(sim.colo_entry(&breaker_key(HOST, UPSTREAM)).is_some());
        assert!(sim
            .warnings()
            .iter()
            .any(|w| w.contains("requests stay on this upstream")));
    }
    // A registry is asked accepting every manifest type; mirrors plainly.
    let sim = Sim::at(T0);
    sim.set_copy(UPSTREAM, Copy::Status(200));
    sim.set_copy(MIRROR, Copy::Status(200));
    run(&sim, &isolate());
    check(&sim, &isolate(), &blob(1));
    assert_eq!(sim.accepts(), vec![Some(MANIFEST_ACCEPT.to_string()), None]);
}

// ---- an R2 copy, checked through its binding's head() -----------------

const R2_BASE: &str = "https://blobs.example";
const BINDING: &str = "R2_BLOBS";

fn r2_blob(i: u64) -> String {
    format!("{R2_BASE}/containers/images/{}", digest(i))
}

fn r2_key(i: u64) -> String {
    format!("containers/images/{}", digest(i))
}

fn r2_check(sim: &Sim, state: &Rc<RefCell<CheckState>>, url: &str) -> CheckReport {
    let checker = sim.checker(state, HOST, settings());
    sim.run(checker.check(CheckTarget::r2(BINDING, url)))
}

/// An R2 copy goes through the same layers as a mirror: the binding's
/// `head()` of `containers/images/<digest>` answers once, with no HTTP
/// request; present and absent are remembered in the isolate and in the
/// Cache API under the copy's public base URL, so a second request, and a
/// fresh isolate of the colo, send no second `head()`.
#[test]
fn an_r2_copy_is_asked_through_its_binding_once_then_remembered() {
    let sim = Sim::at(T0);
    sim.set_bucket(BINDING, Bucket::Serves { delay_ms: 15 });
    sim.add_r2_object(BINDING, &r2_key(1));
    let state = isolate();

    for (i, outcome) in [(1, Outcome::Present), (2, Outcome::Absent)] {
        let r = r2_check(&sim, &state, &r2_blob(i));
        assert_eq!((r.outcome, r.source), (outcome, CheckSource::R2));
        assert!((15..=15 + TICK).contains(&u64::from(r.ms)), "{} ms", r.ms);
        let r = r2_check(&sim, &state, &r2_blob(i));
        assert_eq!(
            (r.outcome, r.source, r.ms),
            (outcome, CheckSource::Isolate, 0)
        );
    }
    let asked: Vec<(String, String)> = sim
        .r2_heads()
        .into_iter()
        .map(|(_, binding, key)| (binding, key))
        .collect();
    assert_eq!(
        asked,
        [
            (BINDING.to_string(), r2_key(1)),
            (BINDING.to_string(), r2_key(2))
        ]
    );
    assert!(sim.heads().is_empty(), "no HTTP request");
    sim.settle();
    assert_eq!(
        sim.colo_entry(&existence_key(HOST, R2_BASE, &digest(1)))
            .map(|e| e.what),
        Some(Remembered::Present)
    );

    // A fresh isolate of the colo: the Cache API answers.
    let other = isolate();
    let r = r2_check(&sim, &other, &r2_blob(1));
    assert_eq!((r.outcome, r.source), (Outcome::Present, CheckSource::Colo));
    assert_eq!(sim.r2_heads().len(), 2);
}

/// A binding that throws is a failure, like a 5xx: not remembered, counted
/// by the copy's breaker, which opens after BREAKER_FAILURES and then skips
/// the binding altogether; once the bucket answers, one probe closes it.
#[test]
fn a_failing_binding_opens_the_breaker_and_is_not_remembered() {
    let sim = Sim::at(T0);
    sim.set_bucket(BINDING, Bucket::Fails);
    sim.add_r2_object(BINDING, &r2_key(1));
    let state = isolate();
    for _ in 0..3 {
        let r = r2_check(&sim, &state, &r2_blob(1));
        assert_eq!(
            (r.outcome, r.source),
            (Outcome::Failed(Failure::Binding), CheckSource::R2)
        );
    }
    sim.settle();
    for i in 1..5 {
        let r = r2_check(&sim, &state, &r2_blob(i));
        assert_eq!(
            (r.outcome, r.source, r.ms),
            (Outcome::BreakerOpen, CheckSource::Breaker, 0)
        );
    }
    assert_eq!(sim.r2_heads().len(), 3, "an open breaker asks nobody");
    assert_eq!(
        sim.colo_entry(&breaker_key(HOST, R2_BASE)).map(|e| e.what),
        Some(Remembered::BreakerOpen)
    );
    assert!(sim.warnings().iter().any(|w| w
        == &format!(
            "blob check of {} through R2 binding {BINDING} failed (binding error)",
            r2_blob(1)
        )));

    sim.pass(BREAKER_MS);
    sim.set_bucket(BINDING, Bucket::Serves { delay_ms: 0 });
    let r = r2_check(&sim, &state, &r2_blob(1));
    assert_eq!((r.outcome, r.source), (Outcome::Present, CheckSource::R2));
    sim.settle();
    assert_eq!(sim.colo_entry(&breaker_key(HOST, R2_BASE)), None);
}

/// A binding that does not answer within BLOB_CHECK_TIMEOUT_MS, and a
/// binding the environment lacks, are failures too; requests waiting for
/// the check wait no longer than the timeout.
#[test]
fn a_hanging_or_missing_binding_is_a_failure() {
    let sim = Sim::at(T0);
    sim.set_bucket(BINDING, Bucket::Hangs);
    let state = isolate();
    let r = r2_check(&sim, &state, &r2_blob(1));
    assert_eq!(
        (r.outcome, r.source),
        (Outcome::Failed(Failure::Timeout), CheckSource::R2)
    );
    assert!((TIMEOUT_MS..=TIMEOUT_MS + TICK).contains(&u64::from(r.ms)));

    let checker = sim.checker(&state, HOST, settings());
    let r = sim.run(checker.check(CheckTarget::r2("NOT_BOUND", &r2_blob(2))));
    assert_eq!(
        (r.outcome, r.source),
        (Outcome::Failed(Failure::Unbound), CheckSource::R2)
    );
    sim.settle();
    assert!(sim
        .warnings()
        .iter()
        .any(|w| w.ends_with("through R2 binding NOT_BOUND failed (binding missing)")));
}

/// Concurrent requests for one blob share one `head()`.
#[test]
fn concurrent_checks_of_one_r2_object_share_one_head() {
    let sim = Sim::at(T0);
    sim.set_bucket(BINDING, Bucket::Serves { delay_ms: 200 });
    sim.add_r2_object(BINDING, &r2_key(4));
    let state = isolate();
    let url = r2_blob(4);
    let checkers: Vec<_> = (0..10)
        .map(|_| sim.checker(&state, HOST, settings()))
        .collect();
    let reports = sim.run(join_all(
        checkers
            .iter()
            .map(|c| c.check(CheckTarget::r2(BINDING, &url)))
            .collect(),
    ));
    for r in reports {
        assert_eq!((r.outcome, r.source), (Outcome::Present, CheckSource::R2));
    }
    assert_eq!(sim.r2_heads().len(), 1);
}
