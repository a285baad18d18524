//! `registry-edge config check [--env NAME] [PATH]`: the `[vars]` of one
//! environment of a wrangler.toml, read by the worker's own parser, so a
//! wrong variable is found before `wrangler deploy` and not as a 500 on
//! every request after it.

use crate::exit::Exit;
use crate::wrangler::Environment;
use registry_edge::config::Config;
use registry_edge::places::TABLES;

/// Every problem of this environment: the worker's own, and any variable
/// the worker does not read (a misspelt name is otherwise silently unset).
pub fn problems(env: &Environment) -> Vec<String> {
    let vars = &env.vars;
    let mut problems: Vec<String> = Config::problems(|name| vars.get(name).cloned(), TABLES.sites)
        .iter()
        .map(ToString::to_string)
        .collect();
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
