//! `registry-edge config check [--env NAME] [PATH]`: the `[vars]` of one
//! environment of a wrangler.toml, read by the worker's own parser, so a
//! wrong variable is found before `wrangler deploy` and not as a 500 on
//! every request after it; and the R2 bindings its copies name, against
//! the buckets the environment binds.

use crate::exit::Exit;
use crate::wrangler::Environment;
use registry_edge::config::{BlobCopy, Config};
use registry_edge::places::TABLES;

/// Every problem of this environment: the worker's own, a copy checked
/// through an R2 binding the environment does not declare, and any
/// variable the worker does not read (a misspelt name is otherwise
/// silently unset).
pub fn problems(env: &Environment) -> Vec<String> {
    let vars = &env.vars;
    let (config, problems) = Config::read_all(|name| vars.get(name).cloned(), TABLES.sites);
    let mut problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    problems.extend(undeclared_r2_bindings(env, &config));
    let known = Config::variables();
    for name in vars.keys() {
        if !known.contains(&name.as_str()) {
            problems.push(format!("{name}: not a variable the worker reads"));
        }
    }
    problems
}

/// Prints each problem, or `ok`; clean, or problems found.
pub fn run(env: &Environment) -> Exit {
    let problems = problems(env);
    let label = env.label();
    for problem in &problems {
        println!("{label} {problem}");
    }
    if problems.is_empty() {
        println!("{label}: ok ({} variables)", env.vars.len());
        Exit::Clean
    } else {
        Exit::Problems
    }
}

/// A copy whose R2 binding the environment lacks would fail every check
/// (and be skipped by its breaker): its blobs would all go upstream.
fn undeclared_r2_bindings(env: &Environment, config: &Config) -> Vec<String> {
    let declared = |binding: &str| env.platform.r2_buckets.iter().any(|b| b.binding == binding);
    let variable = |copy: &BlobCopy| {
        if config.mirrors.default_blob_base.as_ref() == Some(copy) {
            "DEFAULT_BLOB_BASE_URL"
        } else {
            "BLOB_MIRRORS"
        }
    };
    config
        .mirrors
        .r2_bindings()
        .into_iter()
        .filter(|(_, binding)| !declared(binding))
        .map(|(copy, binding)| {
            format!(
                "{}: the copy {} is checked through r2_binding {binding:?}, which {} does not \
                 declare (wrangler does not inherit [[r2_buckets]] into [env.*])",
                variable(copy),
                copy.base,
                env.section.array("r2_buckets"),
            )
        })
        .collect()
}
