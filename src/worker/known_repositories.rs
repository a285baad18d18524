//! Known repositories, the I/O half: GET of the upstream's listing with a
//! deadline, the Cache API entries of the colo's list and last attempt,
//! and `ctx.waitUntil`. When to look and what the answers mean is the
//! platform-free `crate::checks::known_repositories::Refresher`.

use super::outgoing;
use crate::checks::known_repositories::{
    listing_url, ListState, ListingFailure, ListingIo, ListingPage, Refresher, RepositoryList,
    MAX_PAGE_BYTES,
};
use crate::config::Config;
use futures_util::future::{select, Either};
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::web_sys;
use worker::{console_warn, AbortController, Cache, Context, Delay, Fetch, Headers, Response};

/// The named Cache API cache holding the colo's list and last attempt.
const CACHE_NAME: &str = "registry-edge-known-repositories";

thread_local! {
    // One per isolate, shared by its requests.
    static STATE: Rc<RefCell<ListState>> = Rc::new(RefCell::new(ListState::default()));
    // An isolate serves one configuration: its listing URL is built once.
    static LISTING_URL: OnceCell<String> = const { OnceCell::new() };
}

/// The list this request is decided by (`None` when `KNOWN_REPOSITORIES`
/// is off or no usable list is known); starts a look in the background
/// when one is due. `host` is the worker's own, where the Cache API keys
/// live.
pub fn current(config: &Config, ctx: &Rc<Context>, host: &str) -> Option<Rc<RepositoryList>> {
    let settings = &config.known_repositories;
    if !settings.enabled {
        return None;
    }
    LISTING_URL.with(|url| {
        let url = url.get_or_init(|| listing_url(&config.upstream.endpoint, &config.upstream.path));
        Refresher::new(
            STATE.with(Rc::clone),
            EdgeIo { ctx: ctx.clone() },
            host,
            url,
            settings.refresh_seconds,
        )
        .current()
    })
}

#[derive(Clone)]
struct EdgeIo {
    ctx: Rc<Context>,
}

impl ListingIo for EdgeIo {
    fn now_ms(&self) -> u64 {
        worker::js_sys::Date::now() as u64
    }

    async fn get(&self, url: &str, timeout_ms: u64) -> Result<ListingPage, ListingFailure> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Box::pin(async {
            let request = outgoing::request("GET", url, Some("application/json")).map_err(|e| {
                console_warn!("registry-edge: bad listing URL {url}: {e}");
                ListingFailure::Network
            })?;
            let response = Fetch::Request(request)
                .send_with_signal(&signal)
                .await
                .map_err(|e| {
                    console_warn!("registry-edge: listing {url}: {e}");
                    ListingFailure::Network
                })?;
            read_page(response).await
        });
        let deadline = Delay::from(Duration::from_millis(timeout_ms));
        let answer = match select(fetch, deadline).await {
            Either::Left((page, _)) => page,
            Either::Right(_) => {
                controller.abort();
                Err(ListingFailure::Timeout)
            }
        };
        answer
    }

    async fn cache_get(&self, key: &str) -> Option<String> {
        let cache = Cache::open(CACHE_NAME.to_string()).await;
        let response = cache.get(key, false).await.ok()??;
        text(response.into()).await
    }

    async fn cache_put(&self, key: &str, body: String, ttl_seconds: u64) {
        if let Err(e) = put(key, body, ttl_seconds).await {
            console_warn!("registry-edge: cannot cache {key}: {e}");
        }
    }

    fn background(&self, task: impl std::future::Future<Output = ()> + 'static) {
        self.ctx.wait_until(task);
    }

    fn warn(&self, message: &str) {
        console_warn!("registry-edge: {message}");
    }
}

/// Status, `Link` and body of a listing answer; a body over
/// `MAX_PAGE_BYTES` (by its `Content-Length`, or once read) is not kept.
async fn read_page(response: Response) -> Result<ListingPage, ListingFailure> {
    let status = response.status_code();
    let headers = response.headers();
    let link = headers.get("Link").ok().flatten();
    let declared = headers
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if status != 200 {
        return Ok(ListingPage {
            status,
            link,
            body: String::new(),
        });
    }
    if declared.is_some_and(|n| n > MAX_PAGE_BYTES) {
        return Err(ListingFailure::TooLarge);
    }
    let body = text(response.into()).await.ok_or(ListingFailure::Network)?;
    if body.len() > MAX_PAGE_BYTES {
        return Err(ListingFailure::TooLarge);
    }
    Ok(ListingPage { status, link, body })
}

/// A body as text, read by the runtime (`Response.text()`, which decodes
/// UTF-8 itself): less wasm than the worker crate's byte stream.
async fn text(response: web_sys::Response) -> Option<String> {
    let promise = response.text().ok()?;
    JsFuture::from(promise).await.ok()?.as_string()
}

async fn put(key: &str, body: String, ttl_seconds: u64) -> worker::Result<()> {
    if ttl_seconds == 0 {
        return Ok(());
    }
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", &format!("max-age={ttl_seconds}"))?;
    let cache = Cache::open(CACHE_NAME.to_string()).await;
    cache
        .put(key, Response::ok(body)?.with_headers(headers))
        .await
}
