//! The worker's hosts and pages: legacy hosts redirected wholesale to the
//! primary one, and where `/` and `/privacy` point.

use super::values::page_url;
use super::vars::Vars;
use crate::request::host::{host_name, is_authority, is_host};

const LEGACY_HOSTS: &str = "LEGACY_HOSTS";
const PRIMARY_HOST: &str = "PRIMARY_HOST";

pub const DEFAULT_INFO_URL: &str = "https://github.com/kubernetes/registry.k8s.io";
pub const DEFAULT_PRIVACY_URL: &str = "https://www.linuxfoundation.org/privacy-policy/";

#[derive(Clone, Debug, PartialEq)]
pub struct Hosts {
    /// `LEGACY_HOSTS`: lower-case host names (no port) redirected wholesale
    /// to `primary`.
    pub legacy: Vec<String>,
    /// `PRIMARY_HOST`: `host[:port]`, lower-case.
    pub primary: Option<String>,
    /// `INFO_URL`: where `/` redirects.
    pub info_url: String,
    /// `PRIVACY_URL`: where `/privacy` redirects.
    pub privacy_url: String,
}

impl Hosts {
    pub(super) fn read(vars: &Vars<'_>) -> Hosts {
        let legacy = vars.get_or(LEGACY_HOSTS, Vec::new(), legacy_hosts);
        let primary = vars.get(PRIMARY_HOST, |v| {
            let host = v.to_ascii_lowercase();
            if is_authority(&host) {
                Ok(host)
            } else {
                Err(format!("{v:?} is not a host name"))
            }
        });
        match &primary {
            None if !legacy.is_empty() => vars.problem(
                PRIMARY_HOST,
                format!("is required when {LEGACY_HOSTS} is set"),
            ),
            // A legacy host equal to the primary one would 301 every
            // request to itself.
            Some(primary) if legacy.iter().any(|h| h == host_name(primary)) => vars.problem(
                LEGACY_HOSTS,
                format!(
                    "contains {PRIMARY_HOST} {:?}: every request would redirect to itself",
                    host_name(primary)
                ),
            ),
            _ => {}
        }
        Hosts {
            legacy,
            primary,
            info_url: vars.get_or("INFO_URL", DEFAULT_INFO_URL.into(), page_url),
            privacy_url: vars.get_or("PRIVACY_URL", DEFAULT_PRIVACY_URL.into(), page_url),
        }
    }

    /// Whether requests for `authority` (`host[:port]` as received) move
    /// to the primary host.
    pub fn is_legacy(&self, authority: &str) -> bool {
        let name = host_name(authority);
        self.legacy.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// Comma-separated host names.
fn legacy_hosts(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            let host = h.to_ascii_lowercase();
            if is_host(&host) {
                Ok(host)
            } else {
                Err(format!("{h:?} is not a host name"))
            }
        })
        .collect()
}
