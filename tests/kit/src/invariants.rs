//! What must hold for every decision, whatever the input: checked on
//! generated hostile requests by tests/decision_properties.rs and on
//! fuzzed ones by fuzz/fuzz_targets/decide.rs (one copy of each rule).
//!
//! - the status is one docs/request-handling.md lists (never 5xx: the
//!   config is valid);
//! - header values are printable ASCII (the Headers API rejects others);
//! - a `Location` exactly on redirects, with no space or control byte, on
//!   a configured base URL, whose scheme and authority are a configured
//!   one's: no input moves a redirect to another host;
//! - one `Cache-Control`, `no-store` on everything but the legacy 301;
//! - a JSON reply body parses, and an OCI error has an `errors[0].code`;
//! - an unknown repository is `404 NAME_UNKNOWN` and made no check;
//! - at most one existence check of a copy, `<configured copy>/containers/images/…`,
//!   and at most one of a regional upstream, `<configured upstream endpoint>/v2/…`,
//!   only when `SIGNATURE_UPSTREAM_ENDPOINT` is set: checks ask configured
//!   copies and upstreams, nothing else.
//!
//! [`check_answer`] adds the answers around the decision
//! (src/serving/answer.rs): every answer carries one `Cache-Control`,
//! `no-store` but for the legacy 301; a challenge's realm is on the
//! request's own host and the challenged request checked nothing; a 429
//! has a `Retry-After`; every `/v2` answer names its range data.
//!
//! [`check_rejections`] runs the request again against copies that refuse
//! it or lack what it asks (what a client can make them answer): no
//! breaker counts anything, and a rejection routes the request as if the
//! copy had not been asked.

use crate::decision::{block_on, Outcomes};
use crate::sim::{Copy, Sim};
use registry_edge::checks::blob::{CheckState, Outcome};
use registry_edge::config::Config;
use registry_edge::decision::{decide, Decision, Observed};
use registry_edge::places::RangeTables;
use registry_edge::request::Request;
use registry_edge::serving::status::RANGES_HEADER;
use registry_edge::serving::{Answer, Reply};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Every status a decision may answer with.
pub const STATUSES: [u16; 9] = [200, 301, 307, 400, 401, 404, 405, 414, 429];

/// The configured URLs a redirect may start with.
pub fn allowed_bases(config: &Config) -> Vec<String> {
    let mut bases = vec![
        config.upstream.endpoint.clone(),
        config.hosts.info_url.clone(),
        config.hosts.privacy_url.clone(),
    ];
    bases.extend(config.upstream.signature_endpoint.clone());
    bases.extend(blob_bases(config));
    bases.extend(config.upstream.regions.iter().map(|r| r.endpoint.clone()));
    bases.extend(config.hosts.primary.iter().map(|h| format!("https://{h}")));
    bases
}

/// The copies an existence check may ask.
pub fn blob_bases(config: &Config) -> Vec<String> {
    let mut bases: Vec<String> = config
        .mirrors
        .by_region
        .values()
        .map(|m| m.copy.base.clone())
        .collect();
    bases.extend(
        config
            .mirrors
            .default_blob_base
            .iter()
            .map(|c| c.base.clone()),
    );
    bases
}

/// The regional upstreams an existence check may ask (the signature
/// upstream fallback).
pub fn upstream_bases(config: &Config) -> Vec<String> {
    let mut bases = vec![config.upstream.endpoint.clone()];
    bases.extend(config.upstream.regions.iter().map(|r| r.endpoint.clone()));
    bases
}

/// `scheme://authority` of a URL, if it has that shape.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    Some(&url[..scheme_end + 3 + authority_end])
}

/// Every value of the header `name` in `reply`.
fn values<'r>(reply: &'r Reply, name: &str) -> Vec<&'r str> {
    reply
        .headers
        .iter()
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn header_safe(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Asserts every invariant for one decision; `asked` is the existence
/// checks it made.
pub fn check(request: &Request<'_>, config: &Config, decision: &Decision<'_>, asked: &[String]) {
    let reply = decision.reply();
    let status = reply.status;
    assert_eq!(status, decision.status());
    assert!(
        STATUSES.contains(&status),
        "status {status} for {request:?}: {decision:?}"
    );
    for (name, value) in &reply.headers {
        assert!(header_safe(value), "{request:?}: header {name}: {value:?}");
    }
    // One Cache-Control; nothing but the legacy 301 may be stored.
    let cache_control = values(&reply, "Cache-Control");
    assert_eq!(cache_control.len(), 1, "{request:?}: {cache_control:?}");
    assert!(
        status == 301 || cache_control[0].contains("no-store"),
        "{request:?}: {status} with Cache-Control {cache_control:?}"
    );

    let location = reply
        .headers
        .iter()
        .find(|(k, _)| *k == "Location")
        .map(|(_, v)| v.as_str());
    assert_eq!(location, decision.location(), "{request:?}");
    assert_eq!(
        location.is_some(),
        matches!(status, 301 | 307),
        "{request:?} -> {decision:?}"
    );
    if let Some(location) = location {
        check_location(request, location, config);
    }

    if reply
        .headers
        .iter()
        .any(|(_, v)| v.starts_with("application/json"))
    {
        let body: serde_json::Value = serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("{request:?}: body {:?}: {e}", reply.body));
        if let Decision::Oci(_) | Decision::UnknownRepository(_) = decision {
            assert!(body["errors"][0]["code"].is_string(), "{}", reply.body);
        }
    }
    if let Decision::UnknownRepository(_) = decision {
        assert_eq!(status, 404, "{request:?}");
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
        assert_eq!(body["errors"][0]["code"], "NAME_UNKNOWN", "{request:?}");
        assert!(
            asked.is_empty(),
            "{request:?}: an unknown repository checked {asked:?}"
        );
    }

    let copies = blob_bases(config);
    let upstreams = upstream_bases(config);
    let under = |bases: &[String], url: &str, path: &str| {
        bases.iter().any(|b| {
            url.strip_prefix(b.as_str())
                .is_some_and(|r| r.starts_with(path))
        })
    };
    let (of_copies, of_upstreams): (Vec<&String>, Vec<&String>) = asked
        .iter()
        .partition(|url| under(&copies, url, "/containers/images/sha"));
    assert!(
        of_copies.len() <= 1 && of_upstreams.len() <= 1,
        "{request:?}: {} existence checks: {asked:?}",
        asked.len()
    );
    for url in &of_upstreams {
        assert!(
            config.upstream.signature_endpoint.is_some() && under(&upstreams, url, "/v2/"),
            "{request:?}: existence check of {url:?}"
        );
        assert!(
            !url.contains('?'),
            "{request:?}: checked with a query: {url}"
        );
    }
    for url in asked {
        assert!(header_safe(url), "{url:?}");
    }
}

/// Asserts every invariant for one answer (the decision's, or one around
/// it); `asked` is the existence checks it made.
pub fn check_answer(request: &Request<'_>, config: &Config, answer: &Answer<'_>, asked: &[String]) {
    let reply = answer.reply(request);
    assert_eq!(reply.status, answer.status(), "{request:?}");
    let in_v2 = request.path == "/v2" || request.path.starts_with("/v2/");
    let ranges = reply
        .headers
        .iter()
        .filter(|(k, _)| *k == RANGES_HEADER)
        .count();
    assert_eq!(ranges, usize::from(in_v2), "{request:?}: {RANGES_HEADER}");
    let header = |name: &str| {
        reply
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    match answer {
        Answer::Decided(decision) => return check(request, config, decision, asked),
        Answer::Challenge(challenge) => {
            assert_eq!(reply.status, 401);
            assert!(
                asked.is_empty(),
                "{request:?}: a challenged request checked {asked:?}"
            );
            let realm = challenge
                .strip_prefix("Bearer realm=\"")
                .and_then(|r| r.split_once('"'))
                .map(|(realm, _)| realm)
                .unwrap_or_else(|| panic!("{request:?}: challenge {challenge:?}"));
            let host = realm.split_once("://").map(|(_, rest)| rest);
            assert_eq!(
                host,
                Some(format!("{}/token", request.host).as_str()),
                "{request:?}: the realm must be this host's token endpoint"
            );
        }
        Answer::RateLimited { .. } => {
            assert_eq!(reply.status, 429);
            let retry: u32 = header("Retry-After")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{request:?}: 429 without a Retry-After in seconds"));
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            assert!(
                asked.is_empty(),
                "{request:?}: a limited request checked blobs"
            );
        }
        Answer::Token(_) | Answer::Status(_) => assert_eq!(reply.status, 200),
    }
    assert!(STATUSES.contains(&reply.status), "{request:?}: {answer:?}");
    assert_eq!(
        values(&reply, "Cache-Control"),
        ["no-store"],
        "{request:?}: {answer:?}"
    );
    for (name, value) in &reply.headers {
        assert!(header_safe(value), "{request:?}: header {name}: {value:?}");
    }
    assert!(header("Location").is_none(), "{request:?}: {answer:?}");
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_else(|e| {
        assert!(
            !reply.body.starts_with('{'),
            "{request:?}: body {:?}: {e}",
            reply.body
        );
        serde_json::Value::Null
    });
    if in_v2 {
        assert!(
            body["errors"][0]["code"].is_string(),
            "{request:?}: {}",
            reply.body
        );
    }
}

fn check_location(request: &Request<'_>, location: &str, config: &Config) {
    assert!(
        location.bytes().all(|b| (0x21..0x7f).contains(&b)),
        "{request:?}: Location has a control, space or non-ASCII byte: {location:?}"
    );
    let bases = allowed_bases(config);
    let on_a_base = bases.iter().any(|base| {
        location.strip_prefix(base.as_str()).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') || base.ends_with('/')
        })
    });
    assert!(
        on_a_base,
        "{request:?}: Location {location:?} is not under a configured base"
    );
    let origins: BTreeSet<&str> = bases.iter().filter_map(|b| origin(b)).collect();
    let o = origin(location).unwrap_or_else(|| panic!("{request:?}: Location {location:?}"));
    assert!(
        origins.contains(o),
        "{request:?}: Location {location:?} leaves {origins:?}"
    );
    let rest = &location[o.len()..];
    assert!(
        rest.is_empty() || rest.starts_with('/'),
        "{request:?}: {location:?}"
    );
}

/// Statuses a client can make a copy answer by what it asks: refusals of
/// the request (too long a name, a name it does not serve) and absence.
pub const CLIENT_CHOSEN_STATUSES: [u16; 7] = [400, 401, 403, 404, 405, 410, 414];

/// Asserts, for one request, that what a client can make the copies
/// answer changes no breaker and that a rejection changes no route;
/// `pick` chooses the copies' status from [`CLIENT_CHOSEN_STATUSES`].
pub fn check_rejections(
    request: &Request<'_>,
    config: &Config,
    tables: &RangeTables<'_>,
    observed: &Observed<'_>,
    pick: usize,
) {
    // Rejected, every copy routes the request as an unasked one.
    let status = CLIENT_CHOSEN_STATUSES[pick % CLIENT_CHOSEN_STATUSES.len()];
    let rejected = block_on(decide(
        request,
        config,
        tables,
        &Outcomes::all(Outcome::Rejected(status)),
        observed,
    ));
    let unasked = block_on(decide(
        request,
        config,
        tables,
        &Outcomes::all(Outcome::BreakerOpen),
        observed,
    ));
    assert_eq!(
        (rejected.status(), rejected.location()),
        (unasked.status(), unasked.location()),
        "{request:?}: a rejected check moved the request"
    );

    // Through the real check, every copy answering that status.
    let sim = Sim::at(1_800_000_000_000);
    for base in allowed_bases(config) {
        sim.set_copy(&base, Copy::Status(status));
    }
    let state: Rc<RefCell<CheckState>> = Rc::default();
    let checker = sim.checker(&state, "registry.k8s.io", config.checks);
    sim.run(decide(request, config, tables, &checker, observed));
    sim.settle();
    assert!(
        !state.borrow().breakers.any_counted(),
        "{request:?}: a {status} answer counted against a copy"
    );
}
