//! `registry-edge config check [--env NAME] [PATH]`: the `[vars]` of one
//! environment of a wrangler.toml (the top level without `--env`; wrangler
//! does not inherit `[vars]` into `[env.*]`), read by the worker's own
//! parser, so a wrong variable is found before `wrangler deploy` and not
//! as a 500 on every request after it.

use registry_edge::config::Config;
use registry_edge::places::TABLES;
use std::collections::BTreeMap;
use std::path::Path;

/// A variable as the worker receives it: a TOML string as itself, any
/// other value as its JSON text (what `JSON.stringify` gives the worker).
fn as_worker_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The `[vars]` table of `env` (`None`: the top level), as the worker's
/// text; an error when the file or the environment is not there.
pub fn vars_of(path: &Path, env: Option<&str>) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let document: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: not TOML: {e}", path.display()))?;
    let table = match env {
        None => &document,
        Some(name) => document
            .get("env")
            .and_then(|e| e.get(name))
            .and_then(toml::Value::as_table)
            .ok_or_else(|| format!("{}: no [env.{name}]", path.display()))?,
    };
    let vars = match table.get("vars") {
        None => return Ok(BTreeMap::new()),
        Some(toml::Value::Table(vars)) => vars,
        Some(_) => return Err(format!("{}: [vars] is not a table", path.display())),
    };
    Ok(vars
        .iter()
        .map(|(name, value)| (name.clone(), as_worker_text(value)))
        .collect())
}

/// Every problem of these variables: the worker's own, and any variable
/// the worker does not read (a misspelt name is otherwise silently unset).
pub fn problems(vars: &BTreeMap<String, String>) -> Vec<String> {
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

/// Runs the check; the exit code: 0 clean, 1 problems, 2 unusable input.
pub fn run(args: &[String]) -> u8 {
    let mut env = None;
    let mut path = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--env" => match args.next() {
                Some(name) => env = Some(name.as_str()),
                None => return usage(),
            },
            other if other.starts_with('-') || path.is_some() => return usage(),
            other => path = Some(other),
        }
    }
    let path = Path::new(path.unwrap_or("wrangler.toml"));
    let table = env.map_or("[vars]".to_string(), |e| format!("[env.{e}.vars]"));
    let vars = match vars_of(path, env) {
        Ok(vars) => vars,
        Err(e) => {
            eprintln!("registry-edge config check: {e}");
            return 2;
        }
    };
    let problems = problems(&vars);
    for problem in &problems {
        println!("{} {table} {problem}", path.display());
    }
    if problems.is_empty() {
        println!("{} {table}: ok ({} variables)", path.display(), vars.len());
        0
    } else {
        1
    }
}

fn usage() -> u8 {
    eprintln!("usage: registry-edge config check [--env NAME] [PATH]");
    2
}
