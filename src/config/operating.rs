//! Operating the worker: how much is logged, pull sessions, and the rate
//! limit binding's period (docs/operating.md).

use super::values::{boolean, fraction};
use super::vars::Vars;

pub const DEFAULT_RATE_LIMIT_PERIOD_SECONDS: u32 = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct Operating {
    /// `LOG_SAMPLE_RATE`: share of requests whose record is logged (0 to
    /// 1; data points are written for every request).
    pub log_sample_rate: f64,
    /// `PULL_SESSIONS`: challenge anonymous pulls to fetch a session token.
    pub pull_sessions: bool,
    /// `RATE_LIMIT_PERIOD_SECONDS`: the `simple.period` of the
    /// `PULL_RATE_LIMIT` binding, which the binding does not expose and
    /// `Retry-After` needs.
    pub rate_limit_period_seconds: u32,
}

impl Operating {
    pub(super) fn read(vars: &Vars<'_>) -> Operating {
        Operating {
            log_sample_rate: vars.get_or("LOG_SAMPLE_RATE", 1.0, fraction),
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
        }
    }
}
