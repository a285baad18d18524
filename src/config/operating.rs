//! Operating the worker: how much is logged, pull sessions, the rate
//! limit binding's period, and how old the range data may get
//! (docs/operating.md).

use super::values::{boolean, fraction, number};
use super::vars::Vars;

pub const DEFAULT_RATE_LIMIT_PERIOD_SECONDS: u32 = 60;
pub const DEFAULT_IPV6_PREFIX: u8 = 64;
/// The bounds of `RATE_LIMIT_IPV6_PREFIX`: a /32 is a whole provider's
/// allocation, a /128 one address.
pub const IPV6_PREFIXES: std::ops::RangeInclusive<u8> = 32..=128;
/// Range data older than this many days is stale: registry.k8s.io's
/// providers publish new prefixes weekly, and a client on an unknown
/// prefix goes to the CDN instead of its in-region mirror.
pub const DEFAULT_RANGES_MAX_AGE_DAYS: u32 = 45;
/// The bounds of `RANGES_MAX_AGE_DAYS` (a day to ten years).
pub const RANGES_MAX_AGE_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

/// The shares of ordinary requests that leave a trace (each 0 to 1); what
/// is kept whatever they say is src/serving/sampling.rs's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleRates {
    /// `LOG_SAMPLE_RATE`: the share whose record is logged.
    pub log: f64,
    /// `ANALYTICS_SAMPLE_RATE`: the share whose data point is written.
    pub analytics: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operating {
    /// `LOG_SAMPLE_RATE`: share of ordinary requests whose record is
    /// logged (0 to 1; errors are always logged).
    pub log_sample_rate: f64,
    /// `ANALYTICS_SAMPLE_RATE`: share of ordinary requests whose data point
    /// is written, weighted by its inverse (0 to 1; errors always are).
    pub analytics_sample_rate: f64,
    /// `PULL_SESSIONS`: challenge anonymous pulls to fetch a session token.
    pub pull_sessions: bool,
    /// `RATE_LIMIT_PERIOD_SECONDS`: the `simple.period` of the
    /// `PULL_RATE_LIMIT` binding, which the binding does not expose and
    /// `Retry-After` needs.
    pub rate_limit_period_seconds: u32,
    /// `RATE_LIMIT_IPV6_PREFIX`: IPv6 clients are limited by their network
    /// of this length (IPv4 clients by their address).
    pub rate_limit_ipv6_prefix: u8,
    /// `RANGES_MAX_AGE_DAYS`: range data older than this is stale
    /// (`/_status` says so, and each scheduled run logs an error).
    pub ranges_max_age_days: u32,
}

impl Operating {
    /// The sampling rates (src/serving/sampling.rs).
    pub fn sampling(&self) -> SampleRates {
        SampleRates {
            log: self.log_sample_rate,
            analytics: self.analytics_sample_rate,
        }
    }

    pub(super) fn read(vars: &Vars<'_>) -> Operating {
        Operating {
            log_sample_rate: vars.get_or("LOG_SAMPLE_RATE", 1.0, fraction),
            analytics_sample_rate: vars.get_or("ANALYTICS_SAMPLE_RATE", 1.0, fraction),
            pull_sessions: vars.get_or("PULL_SESSIONS", false, boolean),
            rate_limit_period_seconds: vars.get_or(
                "RATE_LIMIT_PERIOD_SECONDS",
                DEFAULT_RATE_LIMIT_PERIOD_SECONDS,
                |v| match v.trim_matches('"') {
                    "10" => Ok(10),
                    "60" => Ok(60),
                    _ => Err(format!(
                        "{v:?} is not 10 or 60 (the periods a rate limit binding allows)"
                    )),
                },
            ),
            rate_limit_ipv6_prefix: vars.get_or(
                "RATE_LIMIT_IPV6_PREFIX",
                DEFAULT_IPV6_PREFIX,
                |v| {
                    let range = u32::from(*IPV6_PREFIXES.start())..=u32::from(*IPV6_PREFIXES.end());
                    number(v, range).map(|n| n as u8)
                },
            ),
            ranges_max_age_days: vars.get_or(
                "RANGES_MAX_AGE_DAYS",
                DEFAULT_RANGES_MAX_AGE_DAYS,
                |v| number(v, RANGES_MAX_AGE_DAYS),
            ),
        }
    }
}
