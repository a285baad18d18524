//! The known-repositories list on the simulated runtime
//! (src/checks/known_repositories/; docs/request-handling.md, "Known
//! repositories"): a fixture listing, every way a listing fails open, and
//! the refresh schedule: requests never wait, each location lists the
//! upstream at most once per KNOWN_REPOSITORIES_SECONDS, its isolates share
//! the list through the Cache API, a failed refresh keeps the last good
//! list for at most a day.

use registry_edge::checks::known_repositories::{
    attempt_key, list_key, ListState, RepositoryList, LISTING_TIMEOUT_MS, MAX_LIST_AGE_MS,
    MAX_PAGES,
};
use registry_edge_testkit::sim::{Listing, Sim, TextOp};
use std::cell::RefCell;
use std::rc::Rc;

const T0: u64 = 1_800_000_000_000;
const HOST: &str = "registry.k8s.io";
const URL: &str = "https://upstream.example/v2/k8s-artifacts-prod/images/tags/list";
const SECONDS: u32 = 600;
const INTERVAL_MS: u64 = SECONDS as u64 * 1000;

/// One isolate of the colo the runtime simulates.
struct Isolate {
    sim: Sim,
    state: Rc<RefCell<ListState>>,
}

impl Isolate {
    fn new(sim: &Sim) -> Isolate {
        Isolate {
            sim: sim.clone(),
            state: Rc::default(),
        }
    }

    /// What one request is decided by: the names, or `None` (fail open).
    /// Synchronous: a request never waits for the list.
    fn request(&self) -> Option<Vec<String>> {
        self.sim
            .refresher(&self.state, HOST, URL, SECONDS)
            .current()
            .map(|l| l.names().map(str::to_string).collect())
    }
}

fn names(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|n| n.to_string()).collect())
}

/// The fixture: Artifact Registry's listing of k8s-artifacts-prod/images.
fn fixture() -> Listing {
    Listing::children(&["kube-apiserver", "pause", "sig-storage"])
}

#[test]
fn the_first_request_starts_the_listing_in_the_background_and_does_not_wait() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture().after(300));
    let isolate = Isolate::new(&sim);
    assert_eq!(isolate.request(), None, "no list yet: fail open");
    assert!(
        sim.gets().is_empty(),
        "nothing was sent before the request ended"
    );
    assert_eq!(sim.background_tasks(), 1);
    // Requests while the listing is in flight: no list, no second look.
    sim.pass(100);
    assert_eq!(isolate.request(), None);
    assert_eq!(sim.background_tasks(), 1);
    sim.settle();
    assert_eq!(sim.gets(), [(T0, URL.to_string())]);
    assert_eq!(
        isolate.request(),
        names(&["kube-apiserver", "pause", "sig-storage"])
    );
    // The colo holds the attempt (for the interval) and the list (for a day).
    let ops = sim.text_ops();
    let puts: Vec<_> = ops
        .iter()
        .filter_map(|(at, op)| match op {
            TextOp::Put(key, _, ttl) => Some((*at, key.clone(), *ttl)),
            TextOp::Get(_) => None,
        })
        .collect();
    assert_eq!(
        puts,
        [
            (T0, attempt_key(HOST, URL), INTERVAL_MS / 1000),
            (T0 + 300, list_key(HOST, URL), MAX_LIST_AGE_MS / 1000),
        ]
    );
    let stored = RepositoryList::from_stored(&sim.text_entry(&list_key(HOST, URL)).unwrap());
    assert_eq!(
        stored.map(|l| (l.len(), l.listed_ms())),
        Some((3, T0 + 300))
    );
}

#[test]
fn each_location_lists_the_upstream_at_most_once_per_interval() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture().after(50));
    let isolates: Vec<Isolate> = (0..3).map(|_| Isolate::new(&sim)).collect();
    // Three isolates take turns serving a request every 7 s for 2 hours.
    let mut served_without_list = 0;
    for i in 0..(2 * 3600 / 7) {
        if isolates[i % 3].request().is_none() {
            served_without_list += 1;
        }
        sim.pass(7_000);
    }
    let gets: Vec<u64> = sim.gets().iter().map(|(at, _)| at - T0).collect();
    assert_eq!(gets.len(), 12, "{gets:?}");
    for pair in gets.windows(2) {
        assert!(pair[1] - pair[0] >= INTERVAL_MS, "{gets:?}");
        assert!(pair[1] - pair[0] < INTERVAL_MS + 7 * 3 * 1000, "{gets:?}");
    }
    // Only each isolate's first request has no list.
    assert_eq!(served_without_list, 3);
    // Between looks an isolate reads nothing: one look per isolate per
    // interval, two Cache API reads at most each (list, then attempt).
    let reads = sim
        .text_ops()
        .iter()
        .filter(|(_, op)| matches!(op, TextOp::Get(_)))
        .count();
    assert!(reads <= 3 * 12 * 2 + 3, "{reads} Cache API reads");
}

#[test]
fn another_isolate_of_the_colo_reads_the_list_instead_of_listing() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture());
    let first = Isolate::new(&sim);
    first.request();
    sim.settle();
    sim.pass(60_000);
    let second = Isolate::new(&sim);
    assert_eq!(second.request(), None);
    sim.settle();
    assert!(second.request().is_some());
    assert_eq!(sim.gets().len(), 1);
}

#[test]
fn a_listing_in_flight_in_another_isolate_is_waited_for_not_repeated() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture().after(3_000));
    let first = Isolate::new(&sim);
    let second = Isolate::new(&sim);
    first.request();
    sim.pass(100);
    assert_eq!(second.request(), None);
    // The second looks again every 2 s until the list is there.
    let mut waited = 100;
    while second.request().is_none() {
        sim.pass(500);
        waited += 500;
        assert!(waited < 10_000, "the second isolate never got the list");
    }
    assert_eq!(sim.gets().len(), 1);
    assert!(waited <= 3_000 + 2_000 + 500, "{waited} ms");
}

#[test]
fn every_failed_listing_fails_open_and_is_retried_after_the_interval() {
    let link_to =
        |n: usize| format!("</v2/k8s-artifacts-prod/images/tags/list?page={n}>; rel=\"next\"");
    let cases: Vec<(&str, Listing, &str)> = vec![
        ("500", Listing::answer(500, "oops"), "status 500"),
        ("401", Listing::answer(401, "{}"), "status 401"),
        ("a redirect", Listing::answer(302, ""), "status 302"),
        (
            "HTML",
            Listing::answer(200, "<html></html>"),
            "not a JSON listing",
        ),
        (
            "no child",
            Listing::answer(200, r#"{"name":"x","tags":["a"]}"#),
            "not a JSON listing",
        ),
        ("an empty child", Listing::children(&[]), "no repositories"),
        (
            "no valid name",
            Listing::children(&["A", "a/b", ""]),
            "no repositories",
        ),
        ("a timeout", Listing::Hangs, "timeout"),
        ("a refused connection", Listing::Refuses, "network error"),
        (
            "a next page on another host",
            Listing::children(&["pause"]).with_link("<https://evil.example/v2/x>; rel=\"next\""),
            "a next page on another host",
        ),
        (
            "a page linking to itself",
            Listing::children(&["pause"]).with_link(&format!("<{URL}>; rel=\"next\"")),
            "pages",
        ),
        (
            "too many pages",
            Listing::children(&["pause"]).with_link(&link_to(1)),
            "pages",
        ),
    ];
    for (what, listing, why) in cases {
        let sim = Sim::at(T0);
        sim.set_listing(URL, listing);
        for n in 1..=MAX_PAGES + 1 {
            let url =
                format!("https://upstream.example/v2/k8s-artifacts-prod/images/tags/list?page={n}");
            sim.set_listing(
                &url,
                Listing::children(&["pause"]).with_link(&link_to(n + 1)),
            );
        }
        let isolate = Isolate::new(&sim);
        isolate.request();
        sim.settle();
        assert_eq!(isolate.request(), None, "{what}");
        let warnings = sim.warnings();
        assert_eq!(warnings.len(), 1, "{what}: {warnings:?}");
        assert!(
            warnings[0].contains(why)
                && warnings[0].contains("no list: every repository is routed"),
            "{what}: {warnings:?}"
        );
        assert_eq!(sim.text_entry(&list_key(HOST, URL)), None, "{what}");
        let listed = sim.gets().len();
        assert!((1..=MAX_PAGES).contains(&listed), "{what}: {listed} GETs");
        // No new attempt within the interval, one right after it.
        sim.pass(INTERVAL_MS - LISTING_TIMEOUT_MS - 1);
        isolate.request();
        sim.settle();
        assert_eq!(sim.gets().len(), listed, "{what}");
        sim.pass(LISTING_TIMEOUT_MS + 1);
        isolate.request();
        sim.settle();
        assert_eq!(sim.gets().len(), 2 * listed, "{what}");
    }
}

#[test]
fn pages_linked_by_link_headers_make_one_list() {
    let sim = Sim::at(T0);
    let page2 = "https://upstream.example/v2/k8s-artifacts-prod/images/tags/list?n=2&last=b";
    let page3 = "https://upstream.example/v2/k8s-artifacts-prod/images/tags/list?n=2&last=d";
    sim.set_listing(
        URL,
        Listing::children(&["a", "b"])
            .with_link("</v2/k8s-artifacts-prod/images/tags/list?n=2&last=b>; rel=\"next\""),
    );
    sim.set_listing(
        page2,
        Listing::children(&["c", "d"]).with_link(&format!("<{page3}>; rel=\"next\"")),
    );
    sim.set_listing(page3, Listing::children(&["e"]));
    let isolate = Isolate::new(&sim);
    isolate.request();
    sim.settle();
    assert_eq!(isolate.request(), names(&["a", "b", "c", "d", "e"]));
    let urls: Vec<String> = sim.gets().into_iter().map(|(_, u)| u).collect();
    assert_eq!(urls, [URL, page2, page3]);
    // A failing page fails the whole listing: a partial list is no list.
    let sim = Sim::at(T0);
    sim.set_listing(
        URL,
        Listing::children(&["a"]).with_link(&format!("<{page2}>; rel=\"next\"")),
    );
    sim.set_listing(page2, Listing::answer(503, ""));
    let isolate = Isolate::new(&sim);
    isolate.request();
    sim.settle();
    assert_eq!(isolate.request(), None);
}

#[test]
fn a_failed_refresh_keeps_the_last_good_list_for_at_most_a_day() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture());
    let isolate = Isolate::new(&sim);
    isolate.request();
    sim.settle();
    assert!(isolate.request().is_some());
    sim.set_listing(URL, Listing::answer(500, ""));
    sim.pass(INTERVAL_MS);
    assert!(isolate.request().is_some(), "due, still the last good list");
    sim.settle();
    assert!(
        isolate.request().is_some(),
        "a failed refresh keeps the list"
    );
    assert_eq!(sim.gets().len(), 2);
    assert!(
        sim.warnings()[0]
            .contains("failed (status 500); keeping the list of 3 repositories from 600 s ago"),
        "{:?}",
        sim.warnings()
    );
    // The upstream keeps failing: the list is used for a day, then not.
    while sim.now() - T0 < MAX_LIST_AGE_MS {
        assert!(isolate.request().is_some(), "at {} ms", sim.now() - T0);
        sim.pass(60_000);
    }
    sim.pass(60_000);
    assert_eq!(isolate.request(), None, "older than a day: fail open");
    sim.settle();
    // One attempt per interval all along.
    let attempts = sim.gets().len() as u64;
    assert_eq!(attempts, (sim.now() - T0) / INTERVAL_MS + 1, "{attempts}");
    // When the upstream answers again, the next refresh brings a list.
    sim.set_listing(URL, fixture());
    sim.pass(INTERVAL_MS);
    isolate.request();
    sim.settle();
    assert!(isolate.request().is_some());
}

#[test]
fn a_list_another_isolate_stored_is_used_while_the_upstream_fails() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, Listing::answer(500, ""));
    let old = RepositoryList::new(["pause".to_string()], T0 - 2 * 3600 * 1000).unwrap();
    sim.text_insert(&list_key(HOST, URL), &old.to_stored(), 22 * 3600);
    let isolate = Isolate::new(&sim);
    isolate.request();
    sim.settle();
    assert_eq!(isolate.request(), names(&["pause"]));
    assert_eq!(sim.gets().len(), 1, "older than the interval: listed again");
    // An unreadable entry is no entry.
    let sim = Sim::at(T0);
    sim.set_listing(URL, Listing::answer(500, ""));
    sim.text_insert(&list_key(HOST, URL), "{not json", 3600);
    let isolate = Isolate::new(&sim);
    isolate.request();
    sim.settle();
    assert_eq!(isolate.request(), None);
}

#[test]
fn a_look_the_runtime_dropped_does_not_stop_the_isolate_for_good() {
    let sim = Sim::at(T0);
    sim.set_listing(URL, fixture());
    let isolate = Isolate::new(&sim);
    sim.lose_background_tasks(true);
    isolate.request();
    sim.lose_background_tasks(false);
    sim.pass(1_000);
    isolate.request();
    sim.settle();
    assert!(
        sim.gets().is_empty(),
        "the lost look still counts as in flight"
    );
    sim.pass(MAX_PAGES as u64 * LISTING_TIMEOUT_MS + 5_000);
    isolate.request();
    sim.settle();
    assert!(isolate.request().is_some());
    assert_eq!(sim.gets().len(), 1);
}
