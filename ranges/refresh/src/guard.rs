//! The guard against a broken download: a provider whose prefixes changed
//! by more than `--max-change` percent (default 30) is refused, and
//! nothing is written, unless the run says `--force`. A truncated or
//! half-served provider file looks like a mass removal; a real change that
//! large is rare enough to be looked at by a person first.

use crate::diff::{CloudChange, Diff};

/// The default `--max-change`, in percent of a provider's prefixes.
pub const DEFAULT_MAX_CHANGE_PERCENT: f64 = 30.0;

/// The providers of `diff` that changed by more than `max_percent`.
pub fn over_limit(diff: &Diff, max_percent: f64) -> Vec<&CloudChange> {
    diff.clouds
        .iter()
        .filter(|c| c.percent().is_some_and(|p| p > max_percent))
        .collect()
}

/// One line per provider over the limit: what changed, against what.
pub fn describe(over: &[&CloudChange], max_percent: f64) -> String {
    over.iter()
        .map(|c| {
            format!(
                "{} changed by {:.1} % of its {} prefixes (+{} -{}), more than {max_percent} %",
                c.cloud,
                c.percent().unwrap_or_default(),
                c.before,
                c.added,
                c.removed
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
