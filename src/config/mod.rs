//! The worker's configuration: wrangler `[vars]`, with archeio's names where
//! they exist (docs/configuration.md), read once per isolate into typed
//! groups. Each group is read in its own module through [`vars::Vars`],
//! which names the variable in every problem; each consumer takes its own
//! group.

pub mod checks;
pub mod hosts;
pub mod known_repositories;
pub mod mirrors;
pub mod operating;
pub mod upstream;
pub mod values;
pub mod vars;

pub use hosts::Hosts;
pub use known_repositories::KnownRepositories;
pub use mirrors::{BlobCopy, CopyCheck, Mirror, MirrorKey, MirrorName, Mirrors};
pub use operating::Operating;
pub use upstream::{Upstream, UpstreamRegion};

use crate::checks::blob::CheckSettings;
use crate::places::{RegionSite, TABLES};
use std::fmt;
use vars::Vars;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub upstream: Upstream,
    pub mirrors: Mirrors,
    /// The blob existence check and its breaker.
    pub checks: CheckSettings,
    pub hosts: Hosts,
    pub known_repositories: KnownRepositories,
    pub operating: Operating,
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

impl Config {
    /// Reads the configuration through `var`, which returns a variable as
    /// text: a string variable as itself, a table, array or number as its
    /// JSON serialization (so a JSON string and a TOML table are the same).
    /// Region names are checked against, and placed by, the compiled region
    /// sites. The first problem found, if any, is the error.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::from_vars_with_sites(var, TABLES.sites)
    }

    /// [`Config::from_vars`] with region sites of the caller's own (tests
    /// pass their fixture sites).
    pub fn from_vars_with_sites(
        var: impl Fn(&str) -> Option<String>,
        sites: &[RegionSite],
    ) -> Result<Config, ConfigError> {
        let (config, problems) = Config::read(&var, sites);
        match problems.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(config),
        }
    }

    /// Every problem of the variables `var` gives, in the order found.
    pub fn problems(
        var: impl Fn(&str) -> Option<String>,
        sites: &[RegionSite],
    ) -> Vec<ConfigError> {
        Config::read(&var, sites).1
    }

    /// The configuration `var` gives and every problem of it, in the order
    /// found: where a variable is wrong, its default or nothing stands in
    /// (for `registry-edge config check`, which checks what it can).
    pub fn read_all(
        var: impl Fn(&str) -> Option<String>,
        sites: &[RegionSite],
    ) -> (Config, Vec<ConfigError>) {
        Config::read(&var, sites)
    }

    /// The names of every variable the worker reads.
    pub fn variables() -> Vec<&'static str> {
        let none = |_: &str| None;
        let vars = Vars::new(&none);
        Config::read_groups(&vars, &[]);
        vars.names()
    }

    fn read(
        var: &dyn Fn(&str) -> Option<String>,
        sites: &[RegionSite],
    ) -> (Config, Vec<ConfigError>) {
        let vars = Vars::new(var);
        let config = Config::read_groups(&vars, sites);
        (config, vars.problems())
    }

    fn read_groups(vars: &Vars<'_>, sites: &[RegionSite]) -> Config {
        Config {
            upstream: Upstream::read(vars, sites),
            mirrors: Mirrors::read(vars, sites),
            checks: checks::read(vars),
            hosts: Hosts::read(vars),
            known_repositories: KnownRepositories::read(vars),
            operating: Operating::read(vars),
        }
    }
}
