//! What must hold for every decision, whatever the input: checked on
//! generated hostile requests by tests/decision_properties.rs and on
//! fuzzed ones by fuzz/fuzz_targets/decide.rs (one copy of each rule).
//!
//! - the status is one the README lists (never 5xx: the config is valid);
//! - header values are printable ASCII (the Headers API rejects others);
//! - a `Location` exactly on redirects, with no space or control byte, on
//!   a configured base URL, whose scheme and authority are a configured
//!   one's: no input moves a redirect to another host;
//! - one `Cache-Control`, `no-store` on everything but the legacy 301;
//! - a JSON reply body parses, and an OCI error has an `errors[0].code`;
//! - at most one existence check, of `<configured copy>/containers/images/…`.

use registry_edge::config::Config;
use registry_edge::decision::Decision;
use registry_edge::request::RequestInfo;
use std::collections::BTreeSet;

/// Every status a decision may answer with.
pub const STATUSES: [u16; 7] = [200, 301, 307, 400, 404, 405, 414];

/// The configured URLs a redirect may start with.
pub fn allowed_bases(config: &Config) -> Vec<String> {
    let mut bases = vec![
        config.upstream_registry_endpoint.clone(),
        config.info_url.clone(),
        config.privacy_url.clone(),
    ];
    bases.extend(config.signature_upstream_endpoint.clone());
    bases.extend(config.default_blob_base_url.clone());
    bases.extend(config.blob_mirrors.values().cloned());
    bases.extend(config.upstream_regions.iter().map(|r| r.endpoint.clone()));
    bases.extend(config.primary_host.iter().map(|h| format!("https://{h}")));
    bases
}

/// The copies an existence check may ask.
pub fn blob_bases(config: &Config) -> Vec<String> {
    let mut bases: Vec<String> = config.blob_mirrors.values().cloned().collect();
    bases.extend(config.default_blob_base_url.clone());
    bases
}

/// `scheme://authority` of a URL, if it has that shape.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    Some(&url[..scheme_end + 3 + authority_end])
}

fn header_safe(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Asserts every invariant for one decision; `asked` is the existence
/// checks it made.
pub fn check(request: &RequestInfo<'_>, config: &Config, decision: &Decision, asked: &[String]) {
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
    let cache_control: Vec<&str> = reply
        .headers
        .iter()
        .filter(|(k, _)| *k == "Cache-Control")
        .map(|(_, v)| v.as_str())
        .collect();
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
        if let Decision::Oci(_) = decision {
            assert!(body["errors"][0]["code"].is_string(), "{}", reply.body);
        }
    }

    assert!(
        asked.len() <= 1,
        "{request:?}: {} existence checks: {asked:?}",
        asked.len()
    );
    let copies = blob_bases(config);
    for url in asked {
        assert!(
            copies.iter().any(|b| url
                .strip_prefix(b.as_str())
                .is_some_and(|r| r.starts_with("/containers/images/sha"))),
            "{request:?}: existence check of {url:?}"
        );
        assert!(header_safe(url), "{url:?}");
    }
}

fn check_location(request: &RequestInfo<'_>, location: &str, config: &Config) {
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
