//! `registry-edge cost`: what an environment of a wrangler.toml costs a
//! month at a volume of requests, per meter and per million requests
//! (docs/operating.md, "What it costs"). The facts come from the
//! configuration (what is sampled, which bindings exist), the routes from
//! the worker's own decision (mix.rs), the prices from prices.toml; the
//! arithmetic is model.rs's.

pub mod mix;
pub mod model;
pub mod prices;
mod report;

use crate::exit::Exit;
use crate::wrangler::Environment;
use model::{Assumptions, Observed};
use registry_edge::config::Config;
use registry_edge::places::TABLES;

/// The worker's binding names (src/worker/bindings.rs, src/worker/upstream_health.rs).
const ANALYTICS_BINDING: &str = "PULL_ANALYTICS";
const RATE_LIMIT_BINDING: &str = "PULL_RATE_LIMIT";
const HEALTH_BINDING: &str = "UPSTREAM_HEALTH";

/// What the command was asked.
pub struct Request {
    pub requests: f64,
    pub shares: Vec<(String, f64)>,
    pub assumptions: Assumptions,
    pub json: bool,
}

/// The defaults of [`Assumptions`], each a command-line option.
pub const DEFAULT_ASSUMPTIONS: Assumptions = Assumptions {
    cpu_ms: 0.15,
    cron_cpu_ms: 5.0,
    log_event_bytes: 4_840.0,
    blob_bytes: 10_000_000.0,
    manifest_bytes: 2_000.0,
    tag_list_bytes: 1_000.0,
    check_share: 0.01,
    isolates: 300.0,
    queries: 10_000.0,
};

/// The observed facts of `env`, or why they cannot be had.
pub fn observed(env: &Environment, config: &Config) -> Result<Observed, String> {
    let platform = &env.platform;
    let has = |names: &[String], name: &str| names.iter().any(|n| n == name);
    let datasets: Vec<String> = platform
        .analytics_datasets
        .iter()
        .map(|(b, _)| b.clone())
        .collect();
    let crons_per_month = platform
        .crons
        .iter()
        .map(|c| crons_a_month(c))
        .sum::<Result<f64, String>>()?;
    Ok(Observed {
        logs: platform.observability.is_some_and(|o| o.logs),
        head_sampling_rate: platform.observability.map_or(1.0, |o| o.head_sampling_rate),
        invocation_logs: platform.observability.is_some_and(|o| o.invocation_logs),
        log_sample_rate: config.operating.log_sample_rate,
        analytics_sample_rate: has(&datasets, ANALYTICS_BINDING)
            .then_some(config.operating.analytics_sample_rate),
        rate_limit: has(&platform.ratelimits, RATE_LIMIT_BINDING),
        health_checks: config.upstream.health_checks
            && has(&platform.kv_namespaces, HEALTH_BINDING),
        crons_per_month,
    })
}

/// Invocations a 30-day month of a cron expression whose day, month and
/// weekday fields are `*` (minute and hour: `*`, `*/N`, or a list).
pub fn crons_a_month(expression: &str) -> Result<f64, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let count = |field: &str, range: f64| -> Option<f64> {
        if field == "*" {
            return Some(range);
        }
        if let Some(step) = field.strip_prefix("*/") {
            let step: f64 = step.parse().ok().filter(|s: &f64| *s >= 1.0)?;
            return Some((range / step).ceil());
        }
        let list: Option<Vec<u32>> = field.split(',').map(|n| n.parse().ok()).collect();
        list.map(|l| l.len() as f64)
    };
    match fields.as_slice() {
        [minute, hour, "*", "*", "*"] => match (count(minute, 60.0), count(hour, 24.0)) {
            (Some(m), Some(h)) => Ok(m * h * 30.0),
            _ => Err(format!("cron {expression:?}: not a form the model counts")),
        },
        _ => Err(format!(
            "cron {expression:?}: the model counts crons whose day, month and weekday are *"
        )),
    }
}

/// Runs the command: prints the bill, or the problem.
pub fn run(env: &Environment, request: &Request) -> Exit {
    let vars = &env.vars;
    let config = match Config::from_vars_with_sites(|name| vars.get(name).cloned(), TABLES.sites) {
        Ok(config) => config,
        Err(problem) => {
            eprintln!(
                "registry-edge cost: {} {problem} (registry-edge config check lists every problem)",
                env.label()
            );
            return Exit::Problems;
        }
    };
    let observed = match observed(env, &config) {
        Ok(observed) => observed,
        Err(problem) => {
            eprintln!("registry-edge cost: {}: {problem}", env.path.display());
            return Exit::Unusable;
        }
    };
    let parts = match mix::with_shares(&mix::load_mix(), &request.shares) {
        Ok(parts) => parts,
        Err(problem) => {
            eprintln!("registry-edge cost: --share: {problem}");
            return Exit::Unusable;
        }
    };
    let classes = mix::route(&config, &parts);
    let prices = prices::table();
    let quantities = model::quantities(request.requests, &classes, &observed, &request.assumptions);
    let bill = model::bill(request.requests, &quantities, &prices);
    let print = if request.json {
        report::json
    } else {
        report::text
    };
    let printed = print(
        env,
        &observed,
        &request.assumptions,
        &classes,
        &bill,
        &prices,
    );
    match printed {
        Ok(()) => Exit::Clean,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Clean,
        Err(e) => {
            eprintln!("registry-edge cost: {e}");
            Exit::Unusable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crons() {
        assert_eq!(crons_a_month("* * * * *").unwrap(), 43_200.0);
        assert_eq!(crons_a_month("*/5 * * * *").unwrap(), 8_640.0);
        assert_eq!(crons_a_month("0 * * * *").unwrap(), 720.0);
        assert_eq!(crons_a_month("0,30 3 * * *").unwrap(), 60.0);
        assert!(crons_a_month("0 0 1 * *").is_err());
        assert!(crons_a_month("often").is_err());
    }
}
