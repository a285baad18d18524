//! The blob check's I/O on the Workers runtime: HEAD with a deadline, an
//! R2 binding's `head()` (super::r2_copies), the Cache API, timers and
//! `ctx.waitUntil`. The state machine (caches, checks in flight, breakers)
//! is the platform-free `crate::checks::blob::Checker`.

use super::{outgoing, r2_copies};
use crate::checks::blob::{
    CheckIo, CheckSettings, CheckState, Checker, ColoEntry, Failure, HeadAnswer, R2Answer,
    Remembered,
};
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{console_warn, AbortController, Cache, Context, Delay, Env, Fetch, Headers, Response};

/// The named Cache API cache holding existence answers and open breakers.
const CACHE_NAME: &str = "registry-edge-blob-existence";
/// Header carrying what a cached entry says ([`Remembered`]).
const WHAT_HEADER: &str = "x-registry-edge-remembered";
/// Header carrying a cached entry's expiry (ms since the epoch).
const EXPIRES_HEADER: &str = "x-registry-edge-expires-ms";

thread_local! {
    // One per isolate, shared by its requests.
    static STATE: Rc<RefCell<CheckState>> = Rc::new(RefCell::new(CheckState::default()));
}

/// The blob check of one request; `host` is the worker's own (from the
/// request URL), where the Cache API keys live; `env` holds the R2
/// bindings copies may be checked through.
pub fn checker(
    settings: CheckSettings,
    ctx: Rc<Context>,
    env: &Env,
    host: &str,
) -> Checker<EdgeIo> {
    let io = EdgeIo {
        ctx,
        env: env.clone(),
    };
    Checker::new(STATE.with(Rc::clone), io, host, settings)
}

#[derive(Clone)]
pub struct EdgeIo {
    ctx: Rc<Context>,
    env: Env,
}

impl CheckIo for EdgeIo {
    fn now_ms(&self) -> u64 {
        // One call into the runtime, no Date object (worker::Date makes one).
        worker::js_sys::Date::now() as u64
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await
    }

    async fn head(&self, url: &str, accept: Option<&str>, timeout_ms: u64) -> HeadAnswer {
        head(url, accept, timeout_ms).await
    }

    async fn r2_head(&self, binding: &str, key: &str, timeout_ms: u64) -> R2Answer {
        r2_copies::head(&self.env, binding, key, timeout_ms).await
    }

    async fn colo_get(&self, key: &str) -> Option<ColoEntry> {
        let cache = Cache::open(CACHE_NAME.to_string()).await;
        let response = cache.get(key, false).await.ok()??;
        let headers = response.headers();
        Some(ColoEntry {
            what: Remembered::parse(&headers.get(WHAT_HEADER).ok()??)?,
            expires_ms: headers.get(EXPIRES_HEADER).ok()??.parse().ok()?,
        })
    }

    async fn colo_put(&self, key: &str, entry: ColoEntry) {
        if let Err(e) = put(key, entry, self.now_ms()).await {
            console_warn!("registry-edge: cannot cache {key}: {e}");
        }
    }

    async fn colo_delete(&self, key: &str) {
        let cache = Cache::open(CACHE_NAME.to_string()).await;
        if let Err(e) = cache.delete(key, false).await {
            console_warn!("registry-edge: cannot delete {key} from the cache: {e}");
        }
    }

    fn background(&self, task: impl std::future::Future<Output = ()> + 'static) {
        self.ctx.wait_until(task);
    }

    fn warn(&self, message: &str) {
        console_warn!("registry-edge: {message}");
    }
}

async fn put(key: &str, entry: ColoEntry, now_ms: u64) -> worker::Result<()> {
    let seconds = entry.seconds_left(now_ms);
    if seconds == 0 {
        return Ok(());
    }
    let headers = Headers::new();
    headers.set(WHAT_HEADER, entry.what.as_str())?;
    headers.set(EXPIRES_HEADER, &entry.expires_ms.to_string())?;
    headers.set("Cache-Control", &format!("max-age={seconds}"))?;
    let cache = Cache::open(CACHE_NAME.to_string()).await;
    cache
        .put(key, Response::empty()?.with_headers(headers))
        .await
}

/// HEAD with a deadline; redirects are not followed (a 3xx is a failure).
async fn head(url: &str, accept: Option<&str>, timeout_ms: u64) -> HeadAnswer {
    let request = outgoing::request("HEAD", url, accept).map_err(|e| {
        console_warn!("registry-edge: bad blob check URL {url}: {e}");
        Failure::Network
    })?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    let answer = select(send, deadline).await;
    match answer {
        Either::Left((Ok(response), _)) => Ok(response.status_code()),
        Either::Left((Err(e), _)) => {
            console_warn!("registry-edge: blob check of {url}: {e}");
            Err(Failure::Network)
        }
        Either::Right(_) => {
            controller.abort();
            Err(Failure::Timeout)
        }
    }
}
