//! The worker's configuration: wrangler `[vars]`, with archeio's names where
//! they exist. Parsed once per isolate; every problem names the variable.

mod mirrors;
mod upstream_regions;

pub use mirrors::{mirror_name, MirrorKey, MirrorSite};

use crate::geo::Point;
use crate::ranges::{RegionSite, TABLES};
use crate::request::is_path_byte;
use std::collections::BTreeMap;
use std::fmt;

/// One Artifact Registry region that can serve upstream redirects.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamRegion {
    pub name: String,
    pub endpoint: String,
    pub lat: f64,
    pub lon: f64,
    point: Point,
}

impl UpstreamRegion {
    pub fn new(name: String, endpoint: String, lat: f64, lon: f64) -> UpstreamRegion {
        UpstreamRegion {
            name,
            endpoint,
            lat,
            lon,
            point: Point::new(lat, lon),
        }
    }

    /// Where it is, for nearest-region searches.
    pub fn point(&self) -> &Point {
        &self.point
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Registry all manifests (and blob fallbacks) are redirected to.
    pub upstream_registry_endpoint: String,
    /// Repository prefix on the upstream, e.g. `k8s-artifacts-prod/images`
    /// (no leading or trailing `/`; may be empty).
    pub upstream_registry_path: String,
    /// Canonical registry for cosign `.sig` / `.att` manifests.
    pub signature_upstream_endpoint: Option<String>,
    pub info_url: String,
    pub privacy_url: String,
    /// CDN base for blobs of clients without a regional mirror.
    pub default_blob_base_url: Option<String>,
    /// (cloud, region) -> mirror base URL (aliases are more keys, same URL).
    pub blob_mirrors: BTreeMap<MirrorKey, String>,
    /// Where each key's region is (placed when the configuration is read).
    pub mirror_sites: BTreeMap<MirrorKey, MirrorSite>,
    /// When non-empty, upstream redirects go to the region nearest the client.
    pub upstream_regions: Vec<UpstreamRegion>,
    /// Lower-case hosts (no port) redirected wholesale to `primary_host`.
    pub legacy_hosts: Vec<String>,
    pub primary_host: Option<String>,
    pub blob_check_timeout_ms: u32,
    pub negative_cache_seconds: u32,
    /// A client whose region has no mirror goes to the nearest mirror of
    /// its cloud (and partition) within this distance; 0 turns it off.
    pub mirror_fallback_km: u32,
    /// Probe the upstream regions on a schedule and skip unhealthy ones.
    pub upstream_health_checks: bool,
    /// Share of requests whose record is logged (0 to 1; data points are
    /// written for every request).
    pub log_sample_rate: f64,
    /// Challenge anonymous pulls to fetch a session token (README "Pull
    /// sessions").
    pub pull_sessions: bool,
    /// The `simple.period` of the PULL_RATE_LIMIT binding: the binding does
    /// not expose it, and `Retry-After` needs it.
    pub rate_limit_period_seconds: u32,
    /// Consecutive failed checks that open a copy's breaker (0: never).
    pub breaker_failures: u32,
    /// How long an open breaker skips its copy.
    pub breaker_seconds: u32,
}

/// A variable that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

pub const DEFAULT_INFO_URL: &str = "https://github.com/kubernetes/registry.k8s.io";
pub const DEFAULT_PRIVACY_URL: &str = "https://www.linuxfoundation.org/privacy-policy/";
pub const DEFAULT_BLOB_CHECK_TIMEOUT_MS: u32 = 2000;
pub const DEFAULT_NEGATIVE_CACHE_SECONDS: u32 = 60;
pub const DEFAULT_MIRROR_FALLBACK_KM: u32 = 2000;
/// Half the Earth's circumference, rounded up: no two places are further apart.
pub const MAX_MIRROR_FALLBACK_KM: u32 = 20_040;
pub const DEFAULT_RATE_LIMIT_PERIOD_SECONDS: u32 = 60;
pub const DEFAULT_BREAKER_FAILURES: u32 = 3;
pub const DEFAULT_BREAKER_SECONDS: u32 = 30;

/// Every variable the worker reads.
pub const VARIABLES: [&str; 19] = [
    "UPSTREAM_REGISTRY_ENDPOINT",
    "UPSTREAM_REGISTRY_PATH",
    "SIGNATURE_UPSTREAM_ENDPOINT",
    "INFO_URL",
    "PRIVACY_URL",
    "DEFAULT_BLOB_BASE_URL",
    "BLOB_MIRRORS",
    "UPSTREAM_REGIONS",
    "LEGACY_HOSTS",
    "PRIMARY_HOST",
    "BLOB_CHECK_TIMEOUT_MS",
    "NEGATIVE_CACHE_SECONDS",
    "MIRROR_FALLBACK_KM",
    "UPSTREAM_HEALTH_CHECKS",
    "LOG_SAMPLE_RATE",
    "PULL_SESSIONS",
    "RATE_LIMIT_PERIOD_SECONDS",
    "BREAKER_FAILURES",
    "BREAKER_SECONDS",
];

impl Config {
    /// Reads the configuration through `var`, which returns a variable as
    /// text: a string variable as itself, a table, array or number as its
    /// JSON serialization (so a JSON string and a TOML table are the same).
    /// Region names are checked against, and placed by, the compiled
    /// region sites.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::from_vars_with_sites(var, TABLES.sites)
    }

    /// [`Config::from_vars`] with region sites of the caller's own (tests
    /// pass their fixture sites).
    pub fn from_vars_with_sites(
        var: impl Fn(&str) -> Option<String>,
        sites: &[RegionSite],
    ) -> Result<Config, ConfigError> {
        let get = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let err = |variable: &'static str, problem: String| ConfigError { variable, problem };

        let upstream_registry_endpoint = match get("UPSTREAM_REGISTRY_ENDPOINT") {
            Some(v) => base_url(&v).map_err(|p| err("UPSTREAM_REGISTRY_ENDPOINT", p))?,
            None => {
                return Err(err(
                    "UPSTREAM_REGISTRY_ENDPOINT",
                    "is required (e.g. https://us-central1-docker.pkg.dev)".into(),
                ))
            }
        };
        let upstream_registry_path = match get("UPSTREAM_REGISTRY_PATH") {
            Some(v) => repository_path(&v).map_err(|p| err("UPSTREAM_REGISTRY_PATH", p))?,
            None => String::new(),
        };
        let optional_base = |name: &'static str| -> Result<Option<String>, ConfigError> {
            get(name)
                .map(|v| base_url(&v).map_err(|p| err(name, p)))
                .transpose()
        };
        let page = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            match get(name) {
                Some(v) => page_url(&v).map_err(|p| err(name, p)),
                None => Ok(default.to_string()),
            }
        };

        let mut mirror_sites = BTreeMap::new();
        let blob_mirrors = match get("BLOB_MIRRORS") {
            None => BTreeMap::new(),
            Some(v) => {
                let raw: BTreeMap<String, String> = serde_json::from_str(&v).map_err(|e| {
                    err(
                        "BLOB_MIRRORS",
                        format!("expected a table of \"<cloud>:<region>\" = \"base URL\": {e}"),
                    )
                })?;
                let mut mirrors = BTreeMap::new();
                for (key, url) in raw {
                    let (parsed, site) =
                        mirrors::mirror_key(&key, sites).map_err(|p| err("BLOB_MIRRORS", p))?;
                    mirror_sites.insert(parsed.clone(), site);
                    let url = base_url(url.trim())
                        .map_err(|p| err("BLOB_MIRRORS", format!("key {key:?}: {p}")))?;
                    if mirrors.insert(parsed, url).is_some() {
                        return Err(err(
                            "BLOB_MIRRORS",
                            format!("key {key:?} names a region given twice"),
                        ));
                    }
                }
                mirrors
            }
        };

        let upstream_regions = match get("UPSTREAM_REGIONS") {
            None => Vec::new(),
            Some(v) => upstream_regions::upstream_regions(&v, sites)
                .map_err(|p| err("UPSTREAM_REGIONS", p))?,
        };
        let upstream_health_checks = boolean(get("UPSTREAM_HEALTH_CHECKS"), false)
            .map_err(|p| err("UPSTREAM_HEALTH_CHECKS", p))?;
        if upstream_health_checks && upstream_regions.is_empty() {
            return Err(err(
                "UPSTREAM_HEALTH_CHECKS",
                "needs UPSTREAM_REGIONS to probe".into(),
            ));
        }

        let legacy_hosts = match get("LEGACY_HOSTS") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(|h| {
                    let host = h.to_ascii_lowercase();
                    if is_host(&host) {
                        Ok(host)
                    } else {
                        Err(err("LEGACY_HOSTS", format!("{h:?} is not a host name")))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let primary_host = match get("PRIMARY_HOST") {
            Some(v) if host_and_port(&v.to_ascii_lowercase()) => Some(v.to_ascii_lowercase()),
            Some(v) => return Err(err("PRIMARY_HOST", format!("{v:?} is not a host name"))),
            None => None,
        };
        if !legacy_hosts.is_empty() && primary_host.is_none() {
            return Err(err(
                "PRIMARY_HOST",
                "is required when LEGACY_HOSTS is set".into(),
            ));
        }
        // A legacy host equal to the primary one would 301 every request to itself.
        if let Some(primary) = &primary_host {
            let primary_name = strip_port(primary);
            if legacy_hosts.iter().any(|h| h == primary_name) {
                return Err(err(
                    "LEGACY_HOSTS",
                    format!("contains PRIMARY_HOST {primary_name:?}: every request would redirect to itself"),
                ));
            }
        }

        Ok(Config {
            upstream_registry_endpoint,
            upstream_registry_path,
            signature_upstream_endpoint: optional_base("SIGNATURE_UPSTREAM_ENDPOINT")?,
            info_url: page("INFO_URL", DEFAULT_INFO_URL)?,
            privacy_url: page("PRIVACY_URL", DEFAULT_PRIVACY_URL)?,
            default_blob_base_url: optional_base("DEFAULT_BLOB_BASE_URL")?,
            blob_mirrors,
            mirror_sites,
            upstream_regions,
            legacy_hosts,
            primary_host,
            blob_check_timeout_ms: number(
                get("BLOB_CHECK_TIMEOUT_MS"),
                DEFAULT_BLOB_CHECK_TIMEOUT_MS,
                1..=60_000,
            )
            .map_err(|p| err("BLOB_CHECK_TIMEOUT_MS", p))?,
            negative_cache_seconds: number(
                get("NEGATIVE_CACHE_SECONDS"),
                DEFAULT_NEGATIVE_CACHE_SECONDS,
                0..=86_400,
            )
            .map_err(|p| err("NEGATIVE_CACHE_SECONDS", p))?,
            mirror_fallback_km: number(
                get("MIRROR_FALLBACK_KM"),
                DEFAULT_MIRROR_FALLBACK_KM,
                0..=MAX_MIRROR_FALLBACK_KM,
            )
            .map_err(|p| err("MIRROR_FALLBACK_KM", p))?,
            upstream_health_checks,
            log_sample_rate: fraction(get("LOG_SAMPLE_RATE"), 1.0)
                .map_err(|p| err("LOG_SAMPLE_RATE", p))?,
            pull_sessions: boolean(get("PULL_SESSIONS"), false)
                .map_err(|p| err("PULL_SESSIONS", p))?,
            rate_limit_period_seconds: match get("RATE_LIMIT_PERIOD_SECONDS") {
                None => DEFAULT_RATE_LIMIT_PERIOD_SECONDS,
                Some(v) => match v.trim_matches('"') {
                    "10" => 10,
                    "60" => 60,
                    _ => {
                        return Err(err(
                            "RATE_LIMIT_PERIOD_SECONDS",
                            format!(
                                "{v:?} is not 10 or 60 (the periods a rate limit binding allows)"
                            ),
                        ))
                    }
                },
            },
            breaker_failures: number(get("BREAKER_FAILURES"), DEFAULT_BREAKER_FAILURES, 0..=100)
                .map_err(|p| err("BREAKER_FAILURES", p))?,
            breaker_seconds: number(get("BREAKER_SECONDS"), DEFAULT_BREAKER_SECONDS, 1..=3600)
                .map_err(|p| err("BREAKER_SECONDS", p))?,
        })
    }
}

/// A number from 0 to 1 (`0.25`), or the default when unset.
fn fraction(text: Option<String>, default: f64) -> Result<f64, String> {
    let Some(text) = text else { return Ok(default) };
    match text.trim_matches('"').parse::<f64>() {
        Ok(n) if (0.0..=1.0).contains(&n) => Ok(n),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// `true` or `false` (a TOML boolean arrives as its JSON text), or the
/// default when unset.
fn boolean(text: Option<String>, default: bool) -> Result<bool, String> {
    let Some(text) = text else { return Ok(default) };
    match text.trim_matches('"') {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

fn number(
    text: Option<String>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, String> {
    let Some(text) = text else { return Ok(default) };
    // A JSON string variable arrives quoted when given as "2000" in JSON.
    let digits = text.trim_matches('"');
    match digits.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

/// `[a-z0-9.-]+` labels, or a bracketed IPv6 literal.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `host` of `host` or `host:port` (a bracketed IPv6 literal stays whole).
fn strip_port(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => host,
        _ => authority,
    }
}

/// `host` or `host:port`.
fn host_and_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
            is_host(host)
                && !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
        }
        _ => is_host(authority),
    }
}

/// `http(s)://host[:port][/path]` without query, fragment or user info;
/// a trailing `/` is dropped so paths can be appended.
fn base_url(text: &str) -> Result<String, String> {
    let url = page_url(text)?;
    if url.contains(['?', '#']) {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// An absolute `http(s)` URL with a host, no spaces or control characters.
fn page_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an absolute http:// or https:// URL"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !host_and_port(&authority.to_ascii_lowercase()) {
        return Err(format!("{text:?} has no valid host"));
    }
    if !tail
        .bytes()
        .all(|b| is_path_byte(b) || b == b'?' || b == b'#')
    {
        return Err(format!(
            "{text:?} has characters that need percent-encoding"
        ));
    }
    Ok(text.to_string())
}

/// `a/b/c` of `[a-z0-9._-]` segments; leading and trailing `/` dropped.
fn repository_path(text: &str) -> Result<String, String> {
    let path = text.trim_matches('/');
    if path.is_empty() {
        return Ok(String::new());
    }
    let ok = path.split('/').all(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    if ok {
        Ok(path.to_string())
    } else {
        Err(format!(
            "{text:?} is not a repository path like k8s-artifacts-prod/images"
        ))
    }
}
