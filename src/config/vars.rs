//! The one helper every configuration group reads its variables through.
//! Each call names the variable once; a problem is recorded against that
//! name and reading goes on, so one pass finds every problem (the worker
//! answers with the first, `registry-edge config check` prints them all).

use super::ConfigError;
use std::cell::RefCell;

/// The variables of one deployment, as text.
pub struct Vars<'v> {
    var: &'v dyn Fn(&str) -> Option<String>,
    problems: RefCell<Vec<ConfigError>>,
    names: RefCell<Vec<&'static str>>,
}

impl<'v> Vars<'v> {
    /// `var` returns a variable as text: a string variable as itself, a
    /// table, array, number or boolean as its JSON serialization (so a JSON
    /// string and a TOML table are the same).
    pub fn new(var: &'v dyn Fn(&str) -> Option<String>) -> Self {
        Vars {
            var,
            problems: RefCell::new(Vec::new()),
            names: RefCell::new(Vec::new()),
        }
    }

    /// The text of `name`, trimmed; `None` when unset or empty.
    fn text(&self, name: &'static str) -> Option<String> {
        self.names.borrow_mut().push(name);
        (self.var)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// `name` read by `parse`; `None` when unset, or when `parse` rejects it
    /// (the problem is recorded).
    pub fn get<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.text(name)?;
        parse(&text).map_err(|p| self.problem(name, p)).ok()
    }

    /// [`Vars::get`], with `default` when unset or rejected.
    pub fn get_or<T>(
        &self,
        name: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        self.get(name, parse).unwrap_or(default)
    }

    /// [`Vars::get`] of a variable that must be set (`example` shows a value).
    pub fn required<T>(
        &self,
        name: &'static str,
        example: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.text(name).is_none() {
            self.problem(name, format!("is required (e.g. {example})"));
            return None;
        }
        self.get(name, parse)
    }

    /// Records a problem with `name` found beyond its own text (how it
    /// goes with other variables).
    pub fn problem(&self, name: &'static str, problem: impl Into<String>) {
        self.problems.borrow_mut().push(ConfigError {
            variable: name,
            problem: problem.into(),
        });
    }

    /// The names asked for so far, in order, each once.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = self.names.borrow().clone();
        let mut seen = Vec::new();
        names.retain(|n| {
            let first = !seen.contains(n);
            seen.push(*n);
            first
        });
        names
    }

    /// Every problem recorded, in the order found.
    pub fn problems(&self) -> Vec<ConfigError> {
        self.problems.borrow().clone()
    }
}
