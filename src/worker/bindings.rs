//! The optional bindings (README "Operating"): `PULL_RATE_LIMIT` (a
//! `[[ratelimits]]` binding) and `PULL_ANALYTICS` (an Analytics Engine
//! dataset). Without them nothing is limited and no data point is written.
//! Also the runtime's random sources.

use crate::record::Record;
use crate::status::Bindings;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{
    console_warn, AnalyticsEngineDataPointBuilder, AnalyticsEngineDataset, Env, RateLimiter,
};

pub const RATE_LIMIT_BINDING: &str = "PULL_RATE_LIMIT";
pub const ANALYTICS_BINDING: &str = "PULL_ANALYTICS";

pub struct Optional {
    rate_limit: Option<RateLimiter>,
    analytics: Option<AnalyticsEngineDataset>,
}

impl Optional {
    pub fn of(env: &Env) -> Optional {
        Optional {
            rate_limit: env.rate_limiter(RATE_LIMIT_BINDING).ok(),
            analytics: env.analytics_engine(ANALYTICS_BINDING).ok(),
        }
    }

    pub fn present(&self) -> Bindings {
        Bindings {
            rate_limit: self.rate_limit.is_some(),
            analytics: self.analytics.is_some(),
        }
    }

    /// Whether `client_ip` is over its budget. The address is the key and
    /// goes nowhere else; no address, no binding or a failing binding
    /// means not limited.
    pub async fn over_limit(&self, client_ip: Option<&str>) -> bool {
        let (Some(limiter), Some(ip)) = (&self.rate_limit, client_ip.map(str::trim)) else {
            return false;
        };
        if ip.is_empty() {
            return false;
        }
        match limiter.limit(ip.to_string()).await {
            Ok(outcome) => !outcome.success,
            Err(e) => {
                // The error could quote the key: never log the address.
                let message = e.to_string().replace(ip, "<client address>");
                console_warn!("registry-edge: rate limit binding failed, not limiting: {message}");
                false
            }
        }
    }

    /// Writes the record as one data point, when the dataset is bound.
    pub fn write(&self, record: &Record<'_>) {
        let Some(dataset) = &self.analytics else {
            return;
        };
        let point = record.data_point();
        let written = AnalyticsEngineDataPointBuilder::new()
            .indexes([point.index])
            .blobs(point.blobs)
            .doubles(point.doubles)
            .write_to(dataset);
        if let Err(e) = written {
            console_warn!("registry-edge: cannot write the analytics data point: {e}");
        }
    }
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

/// A uniform number in [0, 1) (`Math.random`, for log sampling).
pub fn random_unit() -> f64 {
    worker::js_sys::Math::random()
}
