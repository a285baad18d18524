//! The optional bindings (docs/configuration.md, "Bindings"): `PULL_RATE_LIMIT` (a
//! `[[ratelimits]]` binding) and `PULL_ANALYTICS` (an Analytics Engine
//! dataset). Without them nothing is limited and no data point is written.
//! Also the runtime's random sources.

use crate::serving::record::Record;
use crate::serving::status::Bindings;
use std::cell::OnceCell;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{
    console_warn, AnalyticsEngineDataPointBuilder, AnalyticsEngineDataset, Env, EnvBinding,
    RateLimiter,
};

pub const RATE_LIMIT_BINDING: &str = "PULL_RATE_LIMIT";
pub const ANALYTICS_BINDING: &str = "PULL_ANALYTICS";

pub struct Optional {
    rate_limit: Option<RateLimiter>,
    analytics: Option<AnalyticsEngineDataset>,
}

thread_local! {
    // An isolate's `env` is one object for all its requests, and its
    // bindings never change: each is looked up on the first request only.
    static OPTIONAL: OnceCell<Rc<Optional>> = const { OnceCell::new() };
}

impl Optional {
    pub fn of(env: &Env) -> Rc<Optional> {
        OPTIONAL.with(|cell| {
            cell.get_or_init(|| {
                Rc::new(Optional {
                    rate_limit: bound(env, RATE_LIMIT_BINDING),
                    analytics: bound(env, ANALYTICS_BINDING),
                })
            })
            .clone()
        })
    }

    pub fn present(&self) -> Bindings {
        Bindings {
            rate_limit: self.rate_limit.is_some(),
            analytics: self.analytics.is_some(),
            ..Bindings::default()
        }
    }

    /// Whether the client counted as `key` ([`crate::serving::rate_limit::key`])
    /// is over its budget. The key goes nowhere else; no key, no binding or
    /// a failing binding means not limited.
    pub async fn over_limit(&self, key: Option<String>) -> bool {
        let (Some(limiter), Some(key)) = (&self.rate_limit, key) else {
            return false;
        };
        match limiter.limit(key.clone()).await {
            Ok(outcome) => !outcome.success,
            Err(e) => {
                // The error could quote the key: never log the address.
                let message = e.to_string().replace(&key, "<client address>");
                console_warn!("registry-edge: rate limit binding failed, not limiting: {message}");
                false
            }
        }
    }

    /// Whether [`Optional::write`] writes anything (the dataset is bound).
    pub fn writes(&self) -> bool {
        self.analytics.is_some()
    }

    /// Writes the record as one data point standing for `weight` requests,
    /// when the dataset is bound.
    pub fn write(&self, record: &Record<'_>, weight: f64) {
        let Some(dataset) = &self.analytics else {
            return;
        };
        let point = record.data_point();
        let written = AnalyticsEngineDataPointBuilder::new()
            .indexes([point.index])
            .blobs(point.blobs)
            .doubles(point.weighted_doubles(weight))
            .write_to(dataset);
        if let Err(e) = written {
            console_warn!("registry-edge: cannot write the analytics data point: {e}");
        }
    }
}

/// The binding `name`, or `None` when it is absent (without building the
/// error text `Env::get_binding` would) or of another type.
fn bound<T: EnvBinding>(env: &Env, name: &str) -> Option<T> {
    let value = worker::js_sys::Reflect::get(env, &name.into()).ok()?;
    if value.is_undefined() {
        return None;
    }
    T::get(value).ok()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);
}

/// 16 bytes from `crypto.getRandomValues` (a session token).
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    get_random_values(&mut bytes);
    bytes
}

/// A uniform number in [0, 1) (`Math.random`, the sampling draw).
pub fn random_unit() -> f64 {
    worker::js_sys::Math::random()
}
