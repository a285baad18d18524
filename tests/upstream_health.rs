//! The upstream health record as the fetch handler reads it
//! (`checks::upstream_health::HealthReader`), on the simulated runtime:
//! KV is read at most once at a time per isolate, never waited on for
//! long, and every doubtful record fails open.

use registry_edge::checks::upstream_health::{
    HealthReader, HealthRecord, HealthState, ISOLATE_CACHE_MS, READ_STALE_MS, READ_WAIT_MS,
};
use registry_edge_testkit::sim::{join_all, Kv, Sim};
use std::cell::RefCell;
use std::rc::Rc;

const T0: u64 = 1_800_000_000_000;
const REGIONS: usize = 22;

fn record(checked_at_ms: u64, unhealthy: &[&str]) -> Kv {
    let record = HealthRecord {
        checked_at_ms,
        unhealthy: unhealthy.iter().map(|r| r.to_string()).collect(),
    };
    Kv::Holds {
        text: record.to_json(),
        delay_ms: 10,
    }
}

/// One request's view, with the isolate's `state`.
fn unhealthy(sim: &Sim, state: &Rc<RefCell<HealthState>>) -> Vec<String> {
    let reader = HealthReader::new(state.clone(), sim.clone());
    sim.run(async move { reader.unhealthy(REGIONS).await })
}

#[test]
fn concurrent_requests_share_one_read_and_the_isolate_keeps_it() {
    let sim = Sim::at(T0);
    sim.set_kv(record(T0 - 1000, &["us-east1"]));
    let state: Rc<RefCell<HealthState>> = Rc::default();
    let readers: Vec<_> = (0..20)
        .map(|_| HealthReader::new(state.clone(), sim.clone()))
        .collect();
    let answers = sim.run(join_all(
        readers.iter().map(|r| r.unhealthy(REGIONS)).collect(),
    ));
    assert!(answers.iter().all(|a| a == &["us-east1"]), "{answers:?}");
    assert_eq!(sim.kv_reads().len(), 1, "one read for 20 requests");
    // Reused for the isolate's period, then read again in the background
    // while requests go on with what is known.
    sim.pass(ISOLATE_CACHE_MS - 100);
    assert_eq!(unhealthy(&sim, &state), ["us-east1"]);
    assert_eq!(sim.kv_reads().len(), 1);
    sim.pass(200);
    sim.set_kv(Kv::Hangs);
    let started = sim.now();
    assert_eq!(unhealthy(&sim, &state), ["us-east1"]);
    assert_eq!(sim.now(), started, "a request with a record never waits");
    sim.settle();
    assert_eq!(sim.kv_reads().len(), 2);
}

#[test]
fn a_slow_or_failing_kv_fails_open_within_the_wait() {
    for kv in [
        Kv::Hangs,
        Kv::Holds {
            text: "{}".into(),
            delay_ms: 10_000,
        },
    ] {
        let sim = Sim::at(T0);
        sim.set_kv(kv.clone());
        let state: Rc<RefCell<HealthState>> = Rc::default();
        let started = sim.now();
        assert!(unhealthy(&sim, &state).is_empty(), "{kv:?}");
        assert!(
            sim.now() - started <= READ_WAIT_MS,
            "{kv:?}: waited too long"
        );
        // The requests that follow do not wait and share the read in flight.
        let started = sim.now();
        assert!(unhealthy(&sim, &state).is_empty());
        assert_eq!(sim.now(), started, "{kv:?}");
        assert_eq!(sim.kv_reads().len(), 1, "{kv:?}");
        // A read in flight too long is given up; the next request starts one.
        sim.pass(READ_STALE_MS);
        unhealthy(&sim, &state);
        assert_eq!(sim.kv_reads().len(), 2, "{kv:?}");
    }
    let sim = Sim::at(T0);
    sim.set_kv(Kv::Fails);
    let state: Rc<RefCell<HealthState>> = Rc::default();
    assert!(unhealthy(&sim, &state).is_empty());
    assert!(sim
        .warnings()
        .iter()
        .any(|w| w.contains("cannot read the record")));
}

#[test]
fn a_failed_read_keeps_the_record_known() {
    let sim = Sim::at(T0);
    sim.set_kv(record(T0, &["us-east1"]));
    let state: Rc<RefCell<HealthState>> = Rc::default();
    assert_eq!(unhealthy(&sim, &state), ["us-east1"]);
    sim.set_kv(Kv::Fails);
    sim.pass(ISOLATE_CACHE_MS);
    unhealthy(&sim, &state);
    sim.settle();
    assert_eq!(unhealthy(&sim, &state), ["us-east1"]);
    assert_eq!(sim.kv_reads().len(), 2, "not retried before the period");
}

#[test]
fn doubtful_records_fail_open() {
    let cases = [
        (
            "five minutes old",
            record(T0 - 5 * 60 * 1000 - 1, &["us-east1"]),
        ),
        (
            "more than a minute ahead",
            record(T0 + 60_100, &["us-east1"]),
        ),
        ("far in the future", record(u64::MAX, &["us-east1"])),
        (
            "not a record",
            Kv::Holds {
                text: "[\"us-east1\"]".into(),
                delay_ms: 0,
            },
        ),
        ("none", Kv::Empty),
    ];
    for (what, kv) in cases {
        let sim = Sim::at(T0);
        sim.set_kv(kv);
        let state: Rc<RefCell<HealthState>> = Rc::default();
        assert!(unhealthy(&sim, &state).is_empty(), "{what}");
    }
    // A little ahead is a clock difference, not a stale record.
    let sim = Sim::at(T0);
    sim.set_kv(record(T0 + 30_000, &["us-east1"]));
    assert_eq!(unhealthy(&sim, &Rc::default()), ["us-east1"]);
}

#[test]
fn a_record_marking_more_than_half_unhealthy_is_ignored_and_logged_once() {
    let sim = Sim::at(T0);
    let all_but_one: Vec<String> = (0..REGIONS - 1).map(|i| format!("region-{i}")).collect();
    let names: Vec<&str> = all_but_one.iter().map(String::as_str).collect();
    sim.set_kv(record(T0, &names));
    let state: Rc<RefCell<HealthState>> = Rc::default();
    for _ in 0..5 {
        assert!(unhealthy(&sim, &state).is_empty());
    }
    let logged = |sim: &Sim| {
        sim.warnings()
            .iter()
            .filter(|w| w.contains("21 of 22 regions unhealthy"))
            .count()
    };
    assert_eq!(logged(&sim), 1);
    // Half of them is believed.
    let sim = Sim::at(T0);
    sim.set_kv(record(T0, &names[..11]));
    assert_eq!(unhealthy(&sim, &Rc::default()).len(), 11);
    assert_eq!(logged(&sim), 0);
}
