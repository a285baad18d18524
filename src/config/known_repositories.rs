//! Known repositories (docs/request-handling.md, "Known repositories"):
//! whether pulls of repositories the upstream does not list are refused,
//! and how often the list is refreshed.

use super::values::{boolean, number};
use super::vars::Vars;

pub const DEFAULT_KNOWN_REPOSITORIES_SECONDS: u32 = 600;
/// Half the day a list is used for: a list is listed again halfway through
/// its life, so after one failed refresh it is still used until about the
/// next attempt.
pub const MAX_KNOWN_REPOSITORIES_SECONDS: u32 = 43_200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownRepositories {
    /// `KNOWN_REPOSITORIES`: answer `404 NAME_UNKNOWN` for repositories
    /// whose top-level name the upstream does not list.
    pub enabled: bool,
    /// `KNOWN_REPOSITORIES_SECONDS`: how often each location lists the
    /// upstream again.
    pub refresh_seconds: u32,
}

impl KnownRepositories {
    pub(super) fn read(vars: &Vars<'_>) -> KnownRepositories {
        KnownRepositories {
            enabled: vars.get_or("KNOWN_REPOSITORIES", false, boolean),
            refresh_seconds: vars.get_or(
                "KNOWN_REPOSITORIES_SECONDS",
                DEFAULT_KNOWN_REPOSITORIES_SECONDS,
                |v| number(v, 60..=MAX_KNOWN_REPOSITORIES_SECONDS),
            ),
        }
    }
}
