//! Reads the configuration variables from the worker's `env` once per
//! isolate.

use crate::config::{Config, ConfigError};
use std::cell::RefCell;
use std::rc::Rc;
use worker::js_sys::{Reflect, JSON};
use worker::wasm_bindgen::JsValue;
use worker::Env;

thread_local! {
    // An isolate serves one deployment, whose variables never change.
    static CONFIG: RefCell<Option<Result<Rc<Config>, Rc<ConfigError>>>> = const { RefCell::new(None) };
}

/// The parsed configuration (parsed on the first request of the isolate).
pub fn config(env: &Env) -> Result<Rc<Config>, Rc<ConfigError>> {
    CONFIG.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                Config::from_vars(|name| var_text(env, name))
                    .map(Rc::new)
                    .map_err(Rc::new)
            })
            .clone()
    })
}

/// A variable as text: a string as itself, anything else (a TOML table,
/// array or number in wrangler.toml) as its JSON serialization.
fn var_text(env: &Env, name: &str) -> Option<String> {
    let value = Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    JSON::stringify(&value).ok().and_then(|s| s.as_string())
}
