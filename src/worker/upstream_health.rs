//! Upstream health checks, the I/O half: the scheduled probe of every
//! `UPSTREAM_REGIONS` endpoint, the KV record it writes, and the fetch
//! handler's read of that record through a per-isolate cache. What the
//! answers mean lives in `crate::checks::upstream_health` (tested natively).

use crate::checks::upstream_health::{
    probe_healthy, probe_url, HealthRecord, RecordCache, KV_BINDING, KV_KEY, PROBE_TIMEOUT_MS,
};
use crate::config::Upstream;
use futures_util::future::{join_all, select, Either};
use std::cell::RefCell;
use std::time::Duration;
use worker::{
    console_log, console_warn, AbortController, Date, Delay, Env, Fetch, Method, Request,
    RequestInit, RequestRedirect,
};

thread_local! {
    static CACHE: RefCell<RecordCache> = RefCell::new(RecordCache::default());
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// The regions `decide` should skip now: empty unless health checks are on
/// and a fresh record names some. Reads KV at most once per
/// `ISOLATE_CACHE_MS` per isolate.
pub async fn unhealthy_upstreams(env: &Env, upstream: &Upstream) -> Vec<String> {
    if !upstream.health_checks {
        return Vec::new();
    }
    let now = now_ms();
    if let Some(record) = CACHE.with(|c| c.borrow().get(now).map(|r| r.cloned())) {
        return record.map_or_else(Vec::new, |r| r.unhealthy_at(now).to_vec());
    }
    let record = read_record(env).await;
    let unhealthy = record
        .as_ref()
        .map_or_else(Vec::new, |r| r.unhealthy_at(now).to_vec());
    CACHE.with(|c| c.borrow_mut().put(now, record));
    unhealthy
}

/// The stored record; any failure is "no record" (fail open), logged.
async fn read_record(env: &Env) -> Option<HealthRecord> {
    let store = match env.kv(KV_BINDING) {
        Ok(store) => store,
        Err(e) => {
            console_warn!("registry-edge: upstream health: no KV binding {KV_BINDING}: {e}");
            return None;
        }
    };
    match store.get(KV_KEY).text().await {
        Ok(Some(text)) => {
            let record = HealthRecord::parse(&text);
            if record.is_none() {
                console_warn!("registry-edge: upstream health: unreadable record {text:?}");
            }
            record
        }
        Ok(None) => None,
        Err(e) => {
            console_warn!("registry-edge: upstream health: cannot read the record: {e}");
            None
        }
    }
}

/// The scheduled probe: `GET <endpoint>/v2/` of every region at once, each
/// with a deadline, then the record into KV (and this isolate's cache).
pub async fn probe_and_store(env: &Env, upstream: &Upstream) {
    if !upstream.health_checks {
        console_log!(
            "registry-edge: upstream health: UPSTREAM_HEALTH_CHECKS is off, nothing probed"
        );
        return;
    }
    let checked_at_ms = now_ms();
    let verdicts = join_all(
        upstream
            .regions
            .iter()
            .map(|r| probe(probe_url(&r.endpoint))),
    )
    .await;
    let unhealthy: Vec<String> = upstream
        .regions
        .iter()
        .zip(verdicts)
        .filter(|(_, healthy)| !healthy)
        .map(|(r, _)| r.name.clone())
        .collect();
    let record = HealthRecord {
        checked_at_ms,
        unhealthy,
    };
    console_log!(
        "registry-edge: upstream health: {} regions probed, unhealthy: [{}]",
        upstream.regions.len(),
        record.unhealthy.join(", ")
    );
    match env.kv(KV_BINDING) {
        Ok(store) => {
            let written = match store.put(KV_KEY, record.to_json()) {
                Ok(put) => put.execute().await,
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                console_warn!("registry-edge: upstream health: cannot store the record: {e}");
            }
        }
        Err(e) => console_warn!("registry-edge: upstream health: no KV binding {KV_BINDING}: {e}"),
    }
    // This isolate knows the fresh answer already; others read it from KV.
    CACHE.with(|c| c.borrow_mut().put(now_ms(), Some(record)));
}

/// One probe's verdict ([`probe_healthy`]), within `PROBE_TIMEOUT_MS`.
async fn probe(url: String) -> bool {
    let mut init = RequestInit::new();
    init.with_method(Method::Get)
        .with_redirect(RequestRedirect::Manual);
    let request = match Request::new_with_init(&url, &init) {
        Ok(request) => request,
        Err(e) => {
            console_warn!("registry-edge: upstream health: bad probe URL {url}: {e}");
            return false;
        }
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let deadline = Delay::from(Duration::from_millis(PROBE_TIMEOUT_MS));
    let status = match select(send, deadline).await {
        Either::Left((Ok(response), _)) => Some(response.status_code()),
        Either::Left((Err(e), _)) => {
            console_warn!("registry-edge: upstream health: probe of {url} failed: {e}");
            None
        }
        Either::Right(_) => {
            controller.abort();
            console_warn!("registry-edge: upstream health: probe of {url} timed out after {PROBE_TIMEOUT_MS} ms");
            None
        }
    };
    let healthy = probe_healthy(status);
    if !healthy {
        if let Some(status) = status {
            console_warn!("registry-edge: upstream health: probe of {url} answered {status}");
        }
    }
    healthy
}
