//! One environment of a `wrangler.toml`, read into typed values: its
//! `[vars]` as the worker receives them, the bindings `config check`
//! checks copies against (`[[r2_buckets]]`), and the bindings, triggers
//! and observability settings the cost model prices. wrangler (4.164,
//! `normalizeAndValidateEnvironment`) inherits neither `[vars]` nor
//! bindings into `[env.*]`, but does inherit `[triggers]` and
//! `[observability]`, each as a whole table: an environment's own table
//! replaces the top level's, it is not merged with it.

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
    /// What the environment binds and triggers, and how it is observed.
    pub platform: Platform,
}

/// The bindings, triggers and observability of one environment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Platform {
    /// `[observability]`, the environment's own or else the top level's;
    /// `None` when neither has one (Workers Logs off).
    pub observability: Option<Observability>,
    /// `[[analytics_engine_datasets]]`: (binding, dataset).
    pub analytics_datasets: Vec<(String, String)>,
    /// `[[ratelimits]]`: binding names.
    pub ratelimits: Vec<String>,
    /// `[[kv_namespaces]]`: binding names.
    pub kv_namespaces: Vec<String>,
    /// `[[r2_buckets]]`: the R2 buckets bound to the worker.
    pub r2_buckets: Vec<R2Bucket>,
    /// `[triggers] crons`, the environment's own or else the top level's.
    pub crons: Vec<String>,
}

/// One `[[r2_buckets]]` entry: the binding the worker reads, and the
/// bucket it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R2Bucket {
    pub binding: String,
    pub bucket_name: String,
}

/// `[observability]` as Workers Logs applies it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observability {
    /// Logs are stored (`logs.enabled`, else `enabled`).
    pub logs: bool,
    /// The share of invocations whose logs are kept (`logs.head_sampling_rate`,
    /// else `head_sampling_rate`, else 1).
    pub head_sampling_rate: f64,
    /// Each kept invocation also stores its invocation log
    /// (`logs.invocation_logs`, default true).
    pub invocation_logs: bool,
}

impl Platform {
    fn read(document: &toml::Table, table: &toml::Table) -> Result<Platform, String> {
        let inherited = |key: &str| table.get(key).or_else(|| document.get(key));
        let observability = match inherited("observability") {
            None => None,
            Some(toml::Value::Table(o)) => Some(Observability::read(o)?),
            Some(_) => return Err("[observability] is not a table".into()),
        };
        let crons = match inherited("triggers").and_then(|t| t.get("crons")) {
            None => Vec::new(),
            Some(toml::Value::Array(crons)) => crons
                .iter()
                .map(|c| c.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or("[triggers] crons holds something other than text")?,
            Some(_) => return Err("[triggers] crons is not an array".into()),
        };
        Ok(Platform {
            observability,
            analytics_datasets: bindings(
                table,
                "analytics_engine_datasets",
                &["binding", "dataset"],
            )?
            .into_iter()
            .map(|mut b| (b.remove(0), b.remove(0)))
            .collect(),
            ratelimits: names(table, "ratelimits", "name")?,
            kv_namespaces: names(table, "kv_namespaces", "binding")?,
            r2_buckets: bindings(table, "r2_buckets", &["binding", "bucket_name"])?
                .into_iter()
                .map(|mut b| R2Bucket {
                    binding: b.remove(0),
                    bucket_name: b.remove(0),
                })
                .collect(),
            crons,
        })
    }
}

impl Observability {
    fn read(table: &toml::Table) -> Result<Observability, String> {
        let flag = |t: &toml::Table, key: &str| match t.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("[observability] {key} is not true or false")),
        };
        let rate = |t: &toml::Table, key: &str| match t.get(key) {
            None => Ok(None),
            Some(v) => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(r) if (0.0..=1.0).contains(&r) => Ok(Some(r)),
                _ => Err(format!("[observability] {key} is not a number from 0 to 1")),
            },
        };
        let empty = toml::Table::new();
        let logs = match table.get("logs") {
            None => &empty,
            Some(toml::Value::Table(logs)) => logs,
            Some(_) => return Err("[observability] logs is not a table".into()),
        };
        let enabled = flag(table, "enabled")?.unwrap_or(false);
        Ok(Observability {
            logs: flag(logs, "enabled")?.unwrap_or(enabled),
            head_sampling_rate: rate(logs, "head_sampling_rate")?
                .or(rate(table, "head_sampling_rate")?)
                .unwrap_or(1.0),
            invocation_logs: flag(logs, "invocation_logs")?.unwrap_or(true),
        })
    }
}

/// The `field` of each entry of the array of tables `key`.
fn names(table: &toml::Table, key: &str, field: &str) -> Result<Vec<String>, String> {
    Ok(bindings(table, key, &[field])?
        .into_iter()
        .map(|mut b| b.remove(0))
        .collect())
}

/// The text `fields` of each entry of the array of tables `key` (absent:
/// no entries); an entry without one of them is a problem.
fn bindings(table: &toml::Table, key: &str, fields: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let Some(value) = table.get(key) else {
        return Ok(Vec::new());
    };
    let entries = value
        .as_array()
        .ok_or_else(|| format!("{key} is not an array of tables"))?;
    entries
        .iter()
        .map(|entry| {
            fields
                .iter()
                .map(|f| {
                    entry
                        .get(f)
                        .and_then(toml::Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| format!("an entry of {key} has no text {f}"))
                })
                .collect()
        })
        .collect()
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
        let platform = Platform::read(&document, table)
            .map_err(|problem| Unusable(format!("{}: {problem}", path.display())))?;
        Ok(Environment {
            path: path.to_path_buf(),
            section: Section::of(env),
            vars,
            platform,
        })
    }

    /// `PATH [vars]`, how problems name where they are.
    pub fn label(&self) -> String {
        format!("{} {}", self.path.display(), self.section)
    }
}

/// A variable as the worker receives it: a TOML string as itself, any
/// other value as its JSON text (what `JSON.stringify` gives the worker).
fn as_worker_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}
