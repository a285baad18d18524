//! Upstream health checks, the I/O half: the scheduled probe of every
//! `UPSTREAM_REGIONS` endpoint, the KV record it writes, and the KV read
//! and timers of the fetch handler's [`HealthReader`]. What the answers
//! mean, and when a request reads or waits, lives in
//! `crate::checks::upstream_health` (tested natively).

use super::outgoing;
use crate::checks::upstream_health::{
    probe_healthy, probe_url, HealthIo, HealthReader, HealthRecord, HealthState, KV_BINDING,
    KV_KEY, PROBE_TIMEOUT_MS, READ_STALE_MS,
};
use crate::config::Upstream;
use futures_util::future::{join_all, select, Either};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{console_log, console_warn, AbortController, Context, Delay, Env, Fetch};

thread_local! {
    // One per isolate, shared by its requests.
    static STATE: Rc<RefCell<HealthState>> = Rc::default();
}

fn now_ms() -> u64 {
    // One call into the runtime, no Date object (worker::Date makes one).
    worker::js_sys::Date::now() as u64
}

/// The regions `decide` should skip now: empty unless health checks are on
/// and a fresh, believable record names some (docs/operating.md,
/// "Upstream health checks").
pub async fn unhealthy_upstreams(env: &Env, ctx: &Rc<Context>, upstream: &Upstream) -> Vec<String> {
    if !upstream.health_checks {
        return Vec::new();
    }
    let io = EdgeHealthIo {
        env: env.clone(),
        ctx: ctx.clone(),
    };
    HealthReader::new(STATE.with(Rc::clone), io)
        .unhealthy(upstream.regions.len())
        .await
}

#[derive(Clone)]
struct EdgeHealthIo {
    env: Env,
    ctx: Rc<Context>,
}

impl HealthIo for EdgeHealthIo {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await
    }

    async fn read(&self) -> Result<Option<String>, String> {
        let store = self
            .env
            .kv(KV_BINDING)
            .map_err(|e| format!("no KV binding {KV_BINDING}: {e}"))?;
        let get = Box::pin(store.get(KV_KEY).text());
        // Bounded even in the background: a hung read must not keep the
        // isolate's one read slot (or its waitUntil) forever.
        let deadline = Delay::from(Duration::from_millis(READ_STALE_MS));
        match select(get, deadline).await {
            Either::Left((read, _)) => read.map_err(|e| e.to_string()),
            Either::Right(_) => Err(format!("no answer within {READ_STALE_MS} ms")),
        }
    }

    fn background(&self, task: impl std::future::Future<Output = ()> + 'static) {
        self.ctx.wait_until(task);
    }

    fn warn(&self, message: &str) {
        console_warn!("registry-edge: {message}");
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
    STATE.with(|s| s.borrow_mut().remember(now_ms(), Some(record)));
}

/// One probe's verdict ([`probe_healthy`]), within `PROBE_TIMEOUT_MS`.
async fn probe(url: String) -> bool {
    let request = match outgoing::request("GET", &url, None) {
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
