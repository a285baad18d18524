//! "Is this blob in that bucket?": HEAD `<base>/containers/images/<digest>`,
//! cached in two layers.
//!
//! 1. A bounded in-isolate map ([`ExistenceCache`]): no I/O at all.
//! 2. The Cache API (a named cache shared by every isolate of the colo).
//! 3. The HEAD itself, bounded by `BLOB_CHECK_TIMEOUT_MS`.
//!
//! Present is remembered for a day (blobs are content-addressed and never
//! change), absent for `NEGATIVE_CACHE_SECONDS` (mirroring is asynchronous),
//! errors and timeouts not at all. Concurrent checks of one URL inside an
//! isolate share a single pending check: the first request performs it, the
//! others wait for its outcome. They wait on short timers of their own,
//! because the Workers runtime cancels a request as hung when all it awaits
//! is I/O belonging to another request.

use crate::blob_check::{CheckReport, CheckSource, ExistenceCache, Outcome};
use crate::config::Config;
use crate::decision::BlobCheck;
use futures_util::future::{select, Either};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use worker::{
    console_warn, AbortController, Cache, Date, Delay, Fetch, Headers, Method, Request,
    RequestInit, RequestRedirect, Response,
};

/// URLs remembered per isolate.
const ISOLATE_CACHE_CAPACITY: usize = 10_000;
/// The named Cache API cache holding existence answers.
const CACHE_NAME: &str = "registry-edge-blob-existence";
/// Header carrying the answer in a cached entry.
const EXISTS_HEADER: &str = "x-registry-edge-blob-exists";
/// How often a request waiting for another's check looks at the outcome.
const WAIT_TICK_MS: u64 = 5;
/// Beyond the check's own timeout, how long a waiting request gives the
/// Cache API steps of the check before it stops waiting.
const WAIT_MARGIN_MS: u64 = 1000;

/// The outcome of a check in progress, filled in when it ends.
type PendingCheck = Rc<Cell<Option<Outcome>>>;

thread_local! {
    static REMEMBERED: RefCell<ExistenceCache> = RefCell::new(ExistenceCache::new(ISOLATE_CACHE_CAPACITY));
    static PENDING: RefCell<HashMap<String, PendingCheck>> = RefCell::new(HashMap::new());
}

pub struct EdgeBlobCheck {
    timeout_ms: u64,
    negative_ttl_seconds: u64,
}

impl EdgeBlobCheck {
    pub fn new(config: &Config) -> Self {
        EdgeBlobCheck {
            timeout_ms: u64::from(config.blob_check_timeout_ms),
            negative_ttl_seconds: u64::from(config.negative_cache_seconds),
        }
    }
}

impl BlobCheck for EdgeBlobCheck {
    async fn check(&self, url: &str) -> CheckReport {
        let started = Date::now().as_millis();
        let remembered = REMEMBERED.with(|c| c.borrow_mut().get(url, started));
        let (outcome, source) = match remembered {
            Some(true) => (Outcome::Present, CheckSource::Isolate),
            Some(false) => (Outcome::Absent, CheckSource::Isolate),
            None => match PENDING.with(|p| p.borrow().get(url).cloned()) {
                Some(pending) => (
                    wait_for(&pending, self.timeout_ms + WAIT_MARGIN_MS).await,
                    CheckSource::Head,
                ),
                None => {
                    let leader = Leader::register(url);
                    let (outcome, source) =
                        check(url, self.timeout_ms, self.negative_ttl_seconds).await;
                    leader.finish(outcome);
                    (outcome, source)
                }
            },
        };
        let elapsed = Date::now().as_millis().saturating_sub(started);
        CheckReport {
            outcome,
            source,
            ms: u32::try_from(elapsed).unwrap_or(u32::MAX),
        }
    }
}

/// The request performing a check. Dropping it unfinished (the request was
/// cancelled mid-check) releases the waiters with a failure, so a URL never
/// stays "pending" forever.
struct Leader {
    url: String,
    pending: PendingCheck,
}

impl Leader {
    fn register(url: &str) -> Leader {
        let pending = PendingCheck::default();
        PENDING.with(|p| p.borrow_mut().insert(url.to_string(), pending.clone()));
        Leader {
            url: url.to_string(),
            pending,
        }
    }

    fn finish(self, outcome: Outcome) {
        self.pending.set(Some(outcome));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if self.pending.get().is_none() {
            self.pending.set(Some(Outcome::Failed));
        }
        PENDING.with(|p| p.borrow_mut().remove(&self.url));
    }
}

/// Waits (on this request's own timers) for another request's check.
async fn wait_for(pending: &PendingCheck, limit_ms: u64) -> Outcome {
    let mut waited = 0;
    while waited < limit_ms {
        if let Some(outcome) = pending.get() {
            return outcome;
        }
        Delay::from(Duration::from_millis(WAIT_TICK_MS)).await;
        waited += WAIT_TICK_MS;
    }
    pending.get().unwrap_or(Outcome::Failed)
}

/// Cache API, then HEAD; remembers the answer in both caches.
async fn check(url: &str, timeout_ms: u64, negative_ttl_seconds: u64) -> (Outcome, CheckSource) {
    let cache = Cache::open(CACHE_NAME.to_string()).await;
    let (outcome, source) = match cached(&cache, url).await {
        Some(outcome) => (outcome, CheckSource::Colo),
        None => {
            let outcome = head(url, timeout_ms).await;
            let ttl = outcome.ttl_seconds(negative_ttl_seconds);
            if ttl > 0 {
                if let Err(e) = store(&cache, url, outcome, ttl).await {
                    console_warn!("registry-edge: cannot cache the check of {url}: {e}");
                }
            }
            (outcome, CheckSource::Head)
        }
    };
    let ttl_ms = outcome.ttl_seconds(negative_ttl_seconds) * 1000;
    let now = Date::now().as_millis();
    REMEMBERED.with(|c| {
        c.borrow_mut()
            .insert(url, outcome == Outcome::Present, ttl_ms, now)
    });
    (outcome, source)
}

async fn cached(cache: &Cache, url: &str) -> Option<Outcome> {
    let response = cache.get(url, false).await.ok()??;
    match response.headers().get(EXISTS_HEADER).ok()??.as_str() {
        "1" => Some(Outcome::Present),
        "0" => Some(Outcome::Absent),
        _ => None,
    }
}

async fn store(cache: &Cache, url: &str, outcome: Outcome, ttl_seconds: u64) -> worker::Result<()> {
    let headers = Headers::new();
    headers.set(
        EXISTS_HEADER,
        if outcome == Outcome::Present {
            "1"
        } else {
            "0"
        },
    )?;
    headers.set("Cache-Control", &format!("max-age={ttl_seconds}"))?;
    cache
        .put(url, Response::empty()?.with_headers(headers))
        .await
}

/// HEAD with a deadline ([`Outcome::of_status`]); network errors and the
/// deadline are failures.
async fn head(url: &str, timeout_ms: u64) -> Outcome {
    let mut init = RequestInit::new();
    init.with_method(Method::Head)
        .with_redirect(RequestRedirect::Manual);
    let request = match Request::new_with_init(url, &init) {
        Ok(request) => request,
        Err(e) => {
            console_warn!("registry-edge: bad blob check URL {url}: {e}");
            return Outcome::Failed;
        }
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    let answer = match select(send, deadline).await {
        Either::Left((result, _)) => Some(result.map(|response| response.status_code())),
        Either::Right(_) => None,
    };
    match answer {
        Some(Ok(status)) => {
            let outcome = Outcome::of_status(status);
            if outcome == Outcome::Failed {
                console_warn!("registry-edge: blob check of {url} answered {status}");
            }
            outcome
        }
        Some(Err(e)) => {
            console_warn!("registry-edge: blob check of {url} failed: {e}");
            Outcome::Failed
        }
        None => {
            controller.abort();
            console_warn!("registry-edge: blob check of {url} timed out after {timeout_ms} ms");
            Outcome::Failed
        }
    }
}
