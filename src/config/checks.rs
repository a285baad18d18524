//! The blob existence check and its breaker: how long a check may take,
//! how long "absent" is remembered, when a failing copy is skipped.

use super::values::number;
use super::vars::Vars;
use crate::checks::blob::{BreakerSettings, CheckSettings, WAIT_MARGIN_MS};

pub const DEFAULT_BLOB_CHECK_TIMEOUT_MS: u32 = 2000;
pub const DEFAULT_NEGATIVE_CACHE_SECONDS: u32 = 60;
pub const DEFAULT_BREAKER_FAILURES: u32 = 3;
pub const DEFAULT_BREAKER_SECONDS: u32 = 30;

pub(super) fn read(vars: &Vars<'_>) -> CheckSettings {
    let timeout_ms = u64::from(vars.get_or(
        "BLOB_CHECK_TIMEOUT_MS",
        DEFAULT_BLOB_CHECK_TIMEOUT_MS,
        |v| number(v, 1..=60_000),
    ));
    let negative_cache_seconds = vars.get_or(
        "NEGATIVE_CACHE_SECONDS",
        DEFAULT_NEGATIVE_CACHE_SECONDS,
        |v| number(v, 0..=86_400),
    );
    let failures = vars.get_or("BREAKER_FAILURES", DEFAULT_BREAKER_FAILURES, |v| {
        number(v, 0..=100)
    });
    let open_seconds = vars.get_or("BREAKER_SECONDS", DEFAULT_BREAKER_SECONDS, |v| {
        number(v, 1..=3600)
    });
    CheckSettings {
        timeout_ms,
        negative_ttl_seconds: u64::from(negative_cache_seconds),
        breaker: BreakerSettings {
            failures,
            open_ms: u64::from(open_seconds) * 1000,
            probe_stale_ms: timeout_ms + WAIT_MARGIN_MS,
        },
    }
}
