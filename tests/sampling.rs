//! Sampling (src/serving/sampling.rs; docs/operating.md, "Sampling"): a
//! request the sample drops writes nothing, yet the weights of the data
//! points written estimate every count within the stated error; errors,
//! failed copies and open breakers are kept whatever the draw.

use registry_edge::checks::blob::{Failure, Outcome};
use registry_edge::config::Config;
use registry_edge::serving::sampling::{always_kept, relative_error, sample, Rates, Sample};
use registry_edge::serving::status::Bindings;
use registry_edge::serving::{answer, Answer, Conditions};
use registry_edge_testkit::fixture::{self, client_tables, D};
use registry_edge_testkit::{block_on, config, get, Outcomes, Req, Rng};
use std::collections::BTreeMap;

const UP: &str = "https://upstream.example";

fn configured() -> Config {
    config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        ("DEFAULT_BLOB_BASE_URL", "https://cdn.example"),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.mirror.example"}"#,
        ),
        ("PULL_SESSIONS", "true"),
        ("LOG_SAMPLE_RATE", "0.01"),
        ("ANALYTICS_SAMPLE_RATE", "0.1"),
    ])
}

fn answer_of<'c>(req: &Req, config: &'c Config, copies: Outcomes, limited: bool) -> Answer<'c> {
    let request = req.read_with(client_tables());
    let conditions = Conditions {
        rate_limited: limited,
        now_ms: 0.0,
        bindings: Bindings::default(),
        observed: req.observed(),
    };
    block_on(answer(
        &request,
        &conditions,
        config,
        client_tables(),
        &copies,
        || [7; 16],
    ))
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

const BEARER: &str = "Bearer 00112233445566778899aabbccddeeff";

#[test]
fn the_configuration_reads_both_rates() {
    let c = configured();
    assert_eq!(
        c.operating.sampling(),
        Rates {
            log: 0.01,
            analytics: 0.1
        }
    );
    let defaults = config(&[("UPSTREAM_REGISTRY_ENDPOINT", UP)]);
    assert_eq!(defaults.operating.analytics_sample_rate, 1.0);
    for bad in ["1.5", "-0.1", "NaN", "ten percent"] {
        let e = Config::from_vars(|name| match name {
            "UPSTREAM_REGISTRY_ENDPOINT" => Some(UP.into()),
            "ANALYTICS_SAMPLE_RATE" => Some(bad.into()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(e.variable, "ANALYTICS_SAMPLE_RATE", "{bad}");
    }
}

#[test]
fn errors_and_failed_copies_are_kept_challenges_and_refusals_are_drawn() {
    let c = configured();
    let present = Outcomes::all(Outcome::Present);
    let blob = get(&format!("/v2/pause/blobs/{D}")).from(fixture::AWS_EU_WEST_3);
    let manifest = get("/v2/pause/manifests/3.10").authorization(Some(BEARER));
    let kept = |req: &Req, copies: Outcomes, limited: bool| {
        always_kept(&answer_of(req, &c, copies, limited))
    };
    // Ordinary redirects and pages: drawn.
    assert!(!kept(
        &blob.clone().authorization(Some(BEARER)),
        present,
        false
    ));
    assert!(!kept(&manifest, present, false));
    assert!(!kept(
        &get("/v2/").authorization(Some(BEARER)),
        present,
        false
    ));
    // The challenge (401) and the rate limit's refusal (429): drawn.
    assert!(!kept(&get("/v2/pause/manifests/3.10"), present, false));
    assert!(!kept(&manifest, present, true));
    // Error answers: kept.
    assert!(kept(&get("/v2/Bad/blobs/x"), present, false));
    assert!(kept(&get("/v2/_catalog"), present, false));
    assert!(kept(
        &get("/v2/pause/manifests/3.10").method("DELETE"),
        present,
        false
    ));
    assert!(kept(&get("/nowhere"), present, false));
    // A copy that failed its check, or whose breaker is open: kept, though
    // the answer is an ordinary redirect upstream.
    let bearer_blob = blob.clone().authorization(Some(BEARER));
    for failed in [
        Outcome::Failed(Failure::Timeout),
        Outcome::Failed(Failure::Status(503)),
        Outcome::Failed(Failure::Network),
        Outcome::BreakerOpen,
    ] {
        let copies = Outcomes {
            mirror: failed,
            registry: Outcome::Present,
            ms: 0,
        };
        let a = answer_of(&bearer_blob, &c, copies, false);
        assert_eq!(a.status(), 307, "{failed:?}");
        assert!(always_kept(&a), "{failed:?}");
    }
    // A blob the copy lacks is no failure.
    let absent = Outcomes {
        mirror: Outcome::Absent,
        registry: Outcome::Present,
        ms: 0,
    };
    assert!(!kept(&bearer_blob, absent, false));
}

/// 40,000 requests of five kinds, each answered by the decision and drawn
/// once: the lines and points written, and the weighted counts per kind.
#[test]
fn weighted_points_count_every_kind_and_errors_exactly() {
    let c = configured();
    let rates = c.operating.sampling();
    let present = Outcomes::all(Outcome::Present);
    let failing = Outcomes {
        mirror: Outcome::Failed(Failure::Timeout),
        registry: Outcome::Present,
        ms: 0,
    };
    let kinds: [(&str, Req, Outcomes, usize); 5] = [
        (
            "blob",
            get(&format!("/v2/pause/blobs/{D}"))
                .from(fixture::AWS_EU_WEST_3)
                .authorization(Some(BEARER)),
            present,
            24_000,
        ),
        (
            "manifest",
            get("/v2/pause/manifests/3.10").authorization(Some(BEARER)),
            present,
            12_000,
        ),
        ("challenge", get("/v2/pause/manifests/3.10"), present, 3_000),
        ("error", get("/v2/Bad/blobs/x"), present, 500),
        (
            "failed copy",
            get(&format!("/v2/pause/blobs/{D}"))
                .from(fixture::AWS_EU_WEST_3)
                .authorization(Some(BEARER)),
            failing,
            500,
        ),
    ];
    let mut rng = Rng(2026);
    let mut weighted: BTreeMap<&str, f64> = BTreeMap::new();
    let mut lines: BTreeMap<&str, usize> = BTreeMap::new();
    let mut points = 0usize;
    for (name, req, copies, n) in &kinds {
        let a = answer_of(req, &c, *copies, false);
        let kept = always_kept(&a);
        for _ in 0..*n {
            let Sample { log, point } = sample(kept, rates, uniform(&mut rng));
            *lines.entry(name).or_default() += usize::from(log);
            if let Some(weight) = point {
                points += 1;
                *weighted.entry(name).or_default() += weight;
            }
        }
    }
    // Errors and failed copies: every one logged and written, counted
    // exactly.
    for name in ["error", "failed copy"] {
        assert_eq!(weighted[name], 500.0, "{name}");
        assert_eq!(lines[name], 500, "{name}");
    }
    // The rest: estimates within five standard errors of the true count.
    for (name, _, _, n) in &kinds[..3] {
        let n = *n as f64;
        let bound = 5.0 * relative_error(rates.analytics, n) * n;
        let estimate = weighted[name];
        assert!(
            (estimate - n).abs() <= bound,
            "{name}: {estimate} for {n} (bound {bound})"
        );
        let logged = lines[name] as f64;
        let expected = n * rates.log;
        assert!(
            (logged - expected).abs() <= 5.0 * (expected * (1.0 - rates.log)).sqrt(),
            "{name}: {logged} lines for {expected} expected"
        );
    }
    // What it costs: a tenth of the 39,000 ordinary requests' points, and
    // the 1,000 kept ones.
    assert!((4_700..5_100).contains(&points), "{points}");
}
