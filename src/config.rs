//! The worker's configuration: wrangler `[vars]`, with archeio's names where
//! they exist. Parsed once per isolate; every problem names the variable.

use crate::request::is_path_byte;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One Artifact Registry region that can serve upstream redirects.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamRegion {
    pub name: String,
    pub endpoint: String,
    pub lat: f64,
    pub lon: f64,
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
    /// AWS region -> mirror base URL (aliases are more keys, same URL).
    pub blob_mirrors: BTreeMap<String, String>,
    /// When non-empty, upstream redirects go to the region nearest the client.
    pub upstream_regions: Vec<UpstreamRegion>,
    /// Lower-case hosts (no port) redirected wholesale to `primary_host`.
    pub legacy_hosts: Vec<String>,
    pub primary_host: Option<String>,
    pub blob_check_timeout_ms: u32,
    pub negative_cache_seconds: u32,
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
pub const DEFAULT_BREAKER_FAILURES: u32 = 3;
pub const DEFAULT_BREAKER_SECONDS: u32 = 30;

/// Every variable the worker reads.
pub const VARIABLES: [&str; 14] = [
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
    "BREAKER_FAILURES",
    "BREAKER_SECONDS",
];

impl Config {
    /// Reads the configuration through `var`, which returns a variable as
    /// text: a string variable as itself, a table, array or number as its
    /// JSON serialization (so a JSON string and a TOML table are the same).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
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

        let blob_mirrors = match get("BLOB_MIRRORS") {
            None => BTreeMap::new(),
            Some(v) => {
                let raw: BTreeMap<String, String> = serde_json::from_str(&v).map_err(|e| {
                    err(
                        "BLOB_MIRRORS",
                        format!("expected a table of AWS region = \"base URL\": {e}"),
                    )
                })?;
                let mut mirrors = BTreeMap::new();
                for (region, url) in raw {
                    if region.trim().is_empty() {
                        return Err(err("BLOB_MIRRORS", "a region name is empty".into()));
                    }
                    let url = base_url(url.trim())
                        .map_err(|p| err("BLOB_MIRRORS", format!("region {region:?}: {p}")))?;
                    mirrors.insert(region.trim().to_string(), url);
                }
                mirrors
            }
        };

        let upstream_regions = match get("UPSTREAM_REGIONS") {
            None => Vec::new(),
            Some(v) => {
                let regions: Vec<UpstreamRegion> = serde_json::from_str(&v).map_err(|e| {
                    err(
                        "UPSTREAM_REGIONS",
                        format!("expected a list of {{name, endpoint, lat, lon}}: {e}"),
                    )
                })?;
                let mut checked = Vec::with_capacity(regions.len());
                for (i, mut r) in regions.into_iter().enumerate() {
                    let at = format!("entry {i} ({:?})", r.name);
                    if r.name.trim().is_empty() {
                        return Err(err("UPSTREAM_REGIONS", format!("{at}: name is empty")));
                    }
                    if !(-90.0..=90.0).contains(&r.lat) || !(-180.0..=180.0).contains(&r.lon) {
                        return Err(err(
                            "UPSTREAM_REGIONS",
                            format!("{at}: lat must be within ±90 and lon within ±180"),
                        ));
                    }
                    r.endpoint = base_url(r.endpoint.trim())
                        .map_err(|p| err("UPSTREAM_REGIONS", format!("{at}: {p}")))?;
                    checked.push(r);
                }
                checked
            }
        };

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
            breaker_failures: number(get("BREAKER_FAILURES"), DEFAULT_BREAKER_FAILURES, 0..=100)
                .map_err(|p| err("BREAKER_FAILURES", p))?,
            breaker_seconds: number(get("BREAKER_SECONDS"), DEFAULT_BREAKER_SECONDS, 1..=3600)
                .map_err(|p| err("BREAKER_SECONDS", p))?,
        })
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
