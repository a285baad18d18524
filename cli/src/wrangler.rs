//! One environment of a `wrangler.toml`, read into typed values: its
//! `[vars]` as the worker receives them and the bindings the commands
//! check against (its `[[r2_buckets]]`). wrangler inherits neither `[vars]`
//! nor bindings into `[env.*]`, so an environment is its own section only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Which section of the file: the top level, or `[env.NAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Section {
    TopLevel,
    Env(String),
}

impl Section {
    pub fn of(env: Option<&str>) -> Section {
        env.map_or(Section::TopLevel, |name| Section::Env(name.to_string()))
    }
}

impl Section {
    /// How an array of tables of this section is written (`[[r2_buckets]]`,
    /// `[[env.NAME.r2_buckets]]`).
    pub fn array(&self, name: &str) -> String {
        match self {
            Section::TopLevel => format!("[[{name}]]"),
            Section::Env(env) => format!("[[env.{env}.{name}]]"),
        }
    }
}

impl fmt::Display for Section {
    /// The section's `[vars]` table as it is written in the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Section::TopLevel => f.write_str("[vars]"),
            Section::Env(name) => write!(f, "[env.{name}.vars]"),
        }
    }
}

/// The file cannot be used: missing, not TOML, or without the section.
#[derive(Debug)]
pub struct Unusable(pub String);

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One environment, as the worker deployed from it sees its configuration.
#[derive(Clone, Debug)]
pub struct Environment {
    pub path: PathBuf,
    pub section: Section,
    /// `[vars]`: each value as the worker's text (a TOML string as itself,
    /// any other value as its JSON).
    pub vars: BTreeMap<String, String>,
    /// `[[r2_buckets]]`: the R2 buckets bound to the worker.
    pub r2_buckets: Vec<R2Bucket>,
}

/// One `[[r2_buckets]]` entry: the binding the worker reads, and the
/// bucket it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R2Bucket {
    pub binding: String,
    pub bucket_name: Option<String>,
}

impl Environment {
    pub fn read(path: &Path, env: Option<&str>) -> Result<Environment, Unusable> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Unusable(format!("{}: {e}", path.display())))?;
        let document: toml::Table = text
            .parse()
            .map_err(|e| Unusable(format!("{}: not TOML: {e}", path.display())))?;
        let table = match env {
            None => &document,
            Some(name) => document
                .get("env")
                .and_then(|e| e.get(name))
                .and_then(toml::Value::as_table)
                .ok_or_else(|| Unusable(format!("{}: no [env.{name}]", path.display())))?,
        };
        let vars = match table.get("vars") {
            None => BTreeMap::new(),
            Some(toml::Value::Table(vars)) => vars
                .iter()
                .map(|(name, value)| (name.clone(), as_worker_text(value)))
                .collect(),
            Some(_) => {
                return Err(Unusable(format!(
                    "{}: [vars] is not a table",
                    path.display()
                )))
            }
        };
        let section = Section::of(env);
        let r2_buckets = r2_buckets(table).map_err(|problem| {
            Unusable(format!(
                "{}: {} {problem}",
                path.display(),
                section.array("r2_buckets")
            ))
        })?;
        Ok(Environment {
            path: path.to_path_buf(),
            section,
            vars,
            r2_buckets,
        })
    }

    /// `PATH [vars]`, how problems name where they are.
    pub fn label(&self) -> String {
        format!("{} {}", self.path.display(), self.section)
    }
}

/// The section's `r2_buckets` (none when absent).
fn r2_buckets(table: &toml::Table) -> Result<Vec<R2Bucket>, &'static str> {
    let Some(value) = table.get("r2_buckets") else {
        return Ok(Vec::new());
    };
    let entries = value.as_array().ok_or("is not an array of tables")?;
    entries
        .iter()
        .map(|entry| {
            let text = |key: &str| entry.get(key).and_then(toml::Value::as_str);
            Ok(R2Bucket {
                binding: text("binding")
                    .ok_or("has an entry without a binding")?
                    .to_string(),
                bucket_name: text("bucket_name").map(str::to_string),
            })
        })
        .collect()
}

/// A variable as the worker receives it: a TOML string as itself, any
/// other value as its JSON text (what `JSON.stringify` gives the worker).
fn as_worker_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}
