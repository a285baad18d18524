//! A simulated runtime for the checks' state machines (the blob check's
//! `registry_edge::checks::blob::Checker`, the known-repositories
//! `Refresher`): a manual clock with timers, background tasks (what
//! `ctx.waitUntil` runs), scripted copies answering HEADs, scripted R2
//! bindings answering `head()`, a scripted upstream answering listings, and
//! an in-memory Cache API that records every operation.
//!
//! Like the Workers runtime, a future that is no longer polled simply stops:
//! its timers never fire for it and nothing of it is dropped. A test can
//! therefore abandon a request mid-check exactly as the runtime does when a
//! client disconnects (`std::mem::forget` of the pinned future after a poll).
//!
//! Time only moves when nothing can make progress at the current instant;
//! when nothing is left to wait for, [`Sim::run`] panics: that is a check
//! stranded for good.

use registry_edge::checks::blob::{
    CheckIo, CheckSettings, CheckState, Checker, ColoEntry, Failure, HeadAnswer, R2Answer,
};
use registry_edge::checks::known_repositories::{
    ListState, ListingFailure, ListingIo, ListingPage, Refresher, MAX_PAGE_BYTES,
};
use registry_edge::checks::upstream_health::HealthIo;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// How a copy answers HEADs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copy {
    /// 200 for the URLs marked present ([`Sim::add_blob`]), 404 for others,
    /// after `delay_ms`.
    Serves { delay_ms: u64 },
    /// Always this status, at once.
    Status(u16),
    /// Never answers (the check times out).
    Hangs,
    /// The connection fails at once.
    Refuses,
}

/// How an R2 binding answers `head()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// An object for the keys marked present ([`Sim::add_r2_object`]),
    /// `null` for others, after `delay_ms`.
    Serves { delay_ms: u64 },
    /// Throws at once (the bucket's service failed).
    Fails,
    /// Never answers (the check times out).
    Hangs,
}

/// How the upstream answers one listing URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listing {
    /// This status, `Link` header and body, after `delay_ms`.
    Answers {
        status: u16,
        link: Option<String>,
        body: String,
        delay_ms: u64,
    },
    /// Never answers (the listing times out).
    Hangs,
    /// The connection fails at once.
    Refuses,
}

impl Listing {
    /// 200 with a `child` array of `names`, at once.
    pub fn children(names: &[&str]) -> Listing {
        Listing::Answers {
            status: 200,
            link: None,
            body: serde_json::json!({ "name": "k8s-artifacts-prod/images", "child": names, "manifest": {}, "tags": [] })
                .to_string(),
            delay_ms: 0,
        }
    }

    /// This status and body, at once.
    pub fn answer(status: u16, body: &str) -> Listing {
        Listing::Answers {
            status,
            link: None,
            body: body.to_string(),
            delay_ms: 0,
        }
    }

    /// The same answer with a `Link` header.
    pub fn with_link(self, value: &str) -> Listing {
        match self {
            Listing::Answers {
                status,
                body,
                delay_ms,
                ..
            } => Listing::Answers {
                status,
                link: Some(value.to_string()),
                body,
                delay_ms,
            },
            other => other,
        }
    }

    /// The same answer after `ms`.
    pub fn after(self, ms: u64) -> Listing {
        match self {
            Listing::Answers {
                status, link, body, ..
            } => Listing::Answers {
                status,
                link,
                body,
                delay_ms: ms,
            },
            other => other,
        }
    }
}

/// One Cache API operation on a text entry (the known-repositories list
/// and attempt), with the entry's time to live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextOp {
    Get(String),
    Put(String, String, u64),
}

/// One Cache API operation, as the check performed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColoOp {
    Get(String),
    Put(String, ColoEntry),
    Delete(String),
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Inner {
    now: Cell<u64>,
    timers: RefCell<Vec<u64>>,
    background: RefCell<Vec<Task>>,
    copies: RefCell<HashMap<String, Copy>>,
    present: RefCell<HashSet<String>>,
    heads: RefCell<Vec<(u64, String)>>,
    buckets: RefCell<HashMap<String, Bucket>>,
    r2_objects: RefCell<HashSet<(String, String)>>,
    r2_heads: RefCell<Vec<(u64, String, String)>>,
    accepts: RefCell<Vec<Option<String>>>,
    colo: RefCell<HashMap<String, ColoEntry>>,
    colo_ops: RefCell<Vec<(u64, ColoOp)>>,
    colo_writes_hang: Cell<bool>,
    lose_background: Cell<bool>,
    warnings: RefCell<Vec<String>>,
    kv: RefCell<Kv>,
    kv_reads: RefCell<Vec<u64>>,
    listings: RefCell<HashMap<String, Listing>>,
    gets: RefCell<Vec<(u64, String)>>,
    /// Text entries: body and expiry (ms).
    texts: RefCell<HashMap<String, (String, u64)>>,
    text_ops: RefCell<Vec<(u64, TextOp)>>,
}

/// How the health record's KV store answers reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Kv {
    /// No record.
    #[default]
    Empty,
    /// This text, after `delay_ms`.
    Holds { text: String, delay_ms: u64 },
    /// An error, at once.
    Fails,
    /// Never answers.
    Hangs,
}

/// The simulated runtime; clones share it.
#[derive(Clone, Default)]
pub struct Sim(Rc<Inner>);

impl Sim {
    /// A runtime whose clock starts at `now_ms`.
    pub fn at(now_ms: u64) -> Sim {
        let sim = Sim::default();
        sim.0.now.set(now_ms);
        sim
    }

    pub fn now(&self) -> u64 {
        self.0.now.get()
    }

    /// A checker for one request on this runtime, with the isolate's
    /// `state` (a fresh state is a fresh isolate of the same colo).
    pub fn checker(
        &self,
        state: &Rc<RefCell<CheckState>>,
        host: &str,
        settings: CheckSettings,
    ) -> Checker<Sim> {
        Checker::new(state.clone(), self.clone(), host, settings)
    }

    /// The known-repositories list of one request on this runtime, with
    /// the isolate's `state` (a fresh state is a fresh isolate of the same
    /// colo).
    pub fn refresher<'a>(
        &self,
        state: &Rc<RefCell<ListState>>,
        host: &'a str,
        listing_url: &'a str,
        refresh_seconds: u32,
    ) -> Refresher<'a, Sim> {
        Refresher::new(
            state.clone(),
            self.clone(),
            host,
            listing_url,
            refresh_seconds,
        )
    }

    /// How the upstream answers GETs of `url` (others: 404).
    pub fn set_listing(&self, url: &str, listing: Listing) {
        self.0
            .listings
            .borrow_mut()
            .insert(url.to_string(), listing);
    }

    /// Listing GETs sent so far: (time, URL).
    pub fn gets(&self) -> Vec<(u64, String)> {
        self.0.gets.borrow().clone()
    }

    /// Cache API operations on text entries so far: (time, operation).
    pub fn text_ops(&self) -> Vec<(u64, TextOp)> {
        self.0.text_ops.borrow().clone()
    }

    /// A text entry of the Cache API, if live: its body.
    pub fn text_entry(&self, key: &str) -> Option<String> {
        let now = self.now();
        self.0
            .texts
            .borrow()
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(body, _)| body.clone())
    }

    /// Writes a text entry directly (as another isolate would).
    pub fn text_insert(&self, key: &str, body: &str, ttl_seconds: u64) {
        let expires = self.now() + ttl_seconds * 1000;
        self.0
            .texts
            .borrow_mut()
            .insert(key.to_string(), (body.to_string(), expires));
    }

    /// Forgets every text entry (a colo whose cache was evicted).
    pub fn clear_texts(&self) {
        self.0.texts.borrow_mut().clear();
    }

    pub fn set_copy(&self, base: &str, copy: Copy) {
        self.0.copies.borrow_mut().insert(base.to_string(), copy);
    }

    /// Marks `url` as present in its copy.
    pub fn add_blob(&self, url: &str) {
        self.0.present.borrow_mut().insert(url.to_string());
    }

    /// How the R2 binding `binding` answers; a binding never set is not
    /// bound at all.
    pub fn set_bucket(&self, binding: &str, bucket: Bucket) {
        self.0
            .buckets
            .borrow_mut()
            .insert(binding.to_string(), bucket);
    }

    /// Stores `key` in the bucket bound as `binding`.
    pub fn add_r2_object(&self, binding: &str, key: &str) {
        self.0
            .r2_objects
            .borrow_mut()
            .insert((binding.to_string(), key.to_string()));
    }

    /// `head()` calls through R2 bindings so far: (time, binding, key).
    pub fn r2_heads(&self) -> Vec<(u64, String, String)> {
        self.0.r2_heads.borrow().clone()
    }

    /// HEADs sent so far: (time, URL).
    pub fn heads(&self) -> Vec<(u64, String)> {
        self.0.heads.borrow().clone()
    }

    /// The `Accept` header of each HEAD so far, in order.
    pub fn accepts(&self) -> Vec<Option<String>> {
        self.0.accepts.borrow().clone()
    }

    pub fn head_count(&self, url: &str) -> usize {
        self.0
            .heads
            .borrow()
            .iter()
            .filter(|(_, u)| u == url)
            .count()
    }

    /// Cache API operations so far: (time, operation).
    pub fn colo_ops(&self) -> Vec<(u64, ColoOp)> {
        self.0.colo_ops.borrow().clone()
    }

    /// Writes the colo cache directly (as another colo writer would).
    pub fn colo_insert(&self, key: &str, entry: ColoEntry) {
        self.0.colo.borrow_mut().insert(key.to_string(), entry);
    }

    pub fn colo_entry(&self, key: &str) -> Option<ColoEntry> {
        self.0.colo.borrow().get(key).copied()
    }

    /// From now on Cache API writes never complete.
    pub fn hang_colo_writes(&self) {
        self.0.colo_writes_hang.set(true);
    }

    /// Whether background tasks started from now on are lost (never run
    /// at all), as if the runtime dropped `waitUntil` work too.
    pub fn lose_background_tasks(&self, lose: bool) {
        self.0.lose_background.set(lose);
    }

    pub fn warnings(&self) -> Vec<String> {
        self.0.warnings.borrow().clone()
    }

    /// Background tasks not finished yet.
    pub fn background_tasks(&self) -> usize {
        self.0.background.borrow().len()
    }

    /// Drives `future` (and every background task) to completion, moving
    /// the clock as timers require.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            self.0.timers.borrow_mut().clear();
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // Background work at this instant, and whatever it released.
            self.poll_background();
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            if !self.advance() {
                panic!(
                    "stranded at {} ms: nothing left that could finish the future",
                    self.now()
                );
            }
        }
    }

    /// Polls `future` once, as a request that the runtime then cancels,
    /// and abandons it without dropping it.
    pub fn poll_once_and_abandon<F: Future>(&self, future: F) {
        let mut future = Box::pin(future);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            future.as_mut().poll(&mut cx).is_pending(),
            "the future finished at its first poll"
        );
        std::mem::forget(future);
    }

    /// Lets time pass for `ms`, running background tasks meanwhile.
    pub fn pass(&self, ms: u64) {
        let io = self.clone();
        self.run(async move { CheckIo::sleep(&io, ms).await });
    }

    /// Runs background tasks until none is left or all that remain can
    /// never finish.
    pub fn settle(&self) {
        loop {
            self.0.timers.borrow_mut().clear();
            self.poll_background();
            if self.0.background.borrow().is_empty() || !self.advance() {
                return;
            }
        }
    }

    fn poll_background(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        let tasks = std::mem::take(&mut *self.0.background.borrow_mut());
        let mut left: Vec<Task> = tasks
            .into_iter()
            .filter_map(|mut t| t.as_mut().poll(&mut cx).is_pending().then_some(t))
            .collect();
        // Tasks started while polling.
        left.append(&mut self.0.background.borrow_mut());
        *self.0.background.borrow_mut() = left;
    }

    /// Moves the clock to the next timer; false when there is none.
    fn advance(&self) -> bool {
        match self.0.timers.borrow().iter().min() {
            Some(&at) => {
                self.0.now.set(at.max(self.now()));
                true
            }
            None => false,
        }
    }
}

/// Runs `futures` concurrently (as concurrent requests); their outputs
/// in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                if let Poll::Ready(o) = future.as_mut().poll(cx) {
                    *output = Some(o);
                }
            }
        }
        if outputs.iter().all(Option::is_some) {
            Poll::Ready(outputs.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// A timer: ready once the clock reaches `until`.
struct Sleep {
    sim: Sim,
    until: u64,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.sim.now() >= self.until {
            Poll::Ready(())
        } else {
            self.sim.0.timers.borrow_mut().push(self.until);
            Poll::Pending
        }
    }
}

/// Never ready (a write that never completes).
struct Never;

impl Future for Never {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl CheckIo for Sim {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        Sleep {
            sim: self.clone(),
            until: self.now() + ms,
        }
    }

    async fn head(&self, url: &str, accept: Option<&str>, timeout_ms: u64) -> HeadAnswer {
        self.0
            .heads
            .borrow_mut()
            .push((self.now(), url.to_string()));
        self.0.accepts.borrow_mut().push(accept.map(str::to_string));
        // The copy whose base URL is the longest prefix of `url`.
        let behaviour = self
            .0
            .copies
            .borrow()
            .iter()
            .filter(|(base, _)| url.starts_with(base.as_str()))
            .max_by_key(|(base, _)| base.len())
            .map(|(_, copy)| *copy);
        match behaviour.unwrap_or(Copy::Refuses) {
            Copy::Serves { delay_ms } if delay_ms < timeout_ms => {
                CheckIo::sleep(self, delay_ms).await;
                Ok(if self.0.present.borrow().contains(url) {
                    200
                } else {
                    404
                })
            }
            Copy::Serves { .. } | Copy::Hangs => {
                CheckIo::sleep(self, timeout_ms).await;
                Err(Failure::Timeout)
            }
            Copy::Status(status) => Ok(status),
            Copy::Refuses => Err(Failure::Network),
        }
    }

    async fn r2_head(&self, binding: &str, key: &str, timeout_ms: u64) -> R2Answer {
        self.0
            .r2_heads
            .borrow_mut()
            .push((self.now(), binding.to_string(), key.to_string()));
        let bucket = self.0.buckets.borrow().get(binding).copied();
        match bucket {
            None => Err(Failure::Unbound),
            Some(Bucket::Serves { delay_ms }) if delay_ms < timeout_ms => {
                CheckIo::sleep(self, delay_ms).await;
                let object = (binding.to_string(), key.to_string());
                Ok(self.0.r2_objects.borrow().contains(&object))
            }
            Some(Bucket::Serves { .. } | Bucket::Hangs) => {
                CheckIo::sleep(self, timeout_ms).await;
                Err(Failure::Timeout)
            }
            Some(Bucket::Fails) => Err(Failure::Binding),
        }
    }

    async fn colo_get(&self, key: &str) -> Option<ColoEntry> {
        self.record(ColoOp::Get(key.to_string()));
        self.0.colo.borrow().get(key).copied()
    }

    async fn colo_put(&self, key: &str, entry: ColoEntry) {
        self.record(ColoOp::Put(key.to_string(), entry));
        if self.0.colo_writes_hang.get() {
            Never.await;
        }
        self.0.colo.borrow_mut().insert(key.to_string(), entry);
    }

    async fn colo_delete(&self, key: &str) {
        self.record(ColoOp::Delete(key.to_string()));
        if self.0.colo_writes_hang.get() {
            Never.await;
        }
        self.0.colo.borrow_mut().remove(key);
    }

    fn background(&self, task: impl Future<Output = ()> + 'static) {
        if !self.0.lose_background.get() {
            self.0.background.borrow_mut().push(Box::pin(task));
        }
    }

    fn warn(&self, message: &str) {
        self.0.warnings.borrow_mut().push(message.to_string());
    }
}

impl ListingIo for Sim {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    async fn get(&self, url: &str, timeout_ms: u64) -> Result<ListingPage, ListingFailure> {
        self.0.gets.borrow_mut().push((self.now(), url.to_string()));
        let listing = self.0.listings.borrow().get(url).cloned();
        match listing.unwrap_or_else(|| Listing::answer(404, "")) {
            Listing::Answers {
                status,
                link,
                body,
                delay_ms,
            } if delay_ms < timeout_ms => {
                CheckIo::sleep(self, delay_ms).await;
                if body.len() > MAX_PAGE_BYTES {
                    return Err(ListingFailure::TooLarge);
                }
                Ok(ListingPage { status, link, body })
            }
            Listing::Answers { .. } | Listing::Hangs => {
                CheckIo::sleep(self, timeout_ms).await;
                Err(ListingFailure::Timeout)
            }
            Listing::Refuses => Err(ListingFailure::Network),
        }
    }

    async fn cache_get(&self, key: &str) -> Option<String> {
        self.0
            .text_ops
            .borrow_mut()
            .push((self.now(), TextOp::Get(key.to_string())));
        self.text_entry(key)
    }

    async fn cache_put(&self, key: &str, body: String, ttl_seconds: u64) {
        self.0.text_ops.borrow_mut().push((
            self.now(),
            TextOp::Put(key.to_string(), body.clone(), ttl_seconds),
        ));
        self.text_insert(key, &body, ttl_seconds);
    }

    fn background(&self, task: impl Future<Output = ()> + 'static) {
        CheckIo::background(self, task)
    }

    fn warn(&self, message: &str) {
        CheckIo::warn(self, message)
    }
}

impl Sim {
    /// How KV answers reads from now on.
    pub fn set_kv(&self, kv: Kv) {
        *self.0.kv.borrow_mut() = kv;
    }

    /// When each KV read started.
    pub fn kv_reads(&self) -> Vec<u64> {
        self.0.kv_reads.borrow().clone()
    }
}

impl HealthIo for Sim {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        CheckIo::sleep(self, ms)
    }

    async fn read(&self) -> Result<Option<String>, String> {
        self.0.kv_reads.borrow_mut().push(self.now());
        let kv = self.0.kv.borrow().clone();
        match kv {
            Kv::Empty => Ok(None),
            Kv::Holds { text, delay_ms } => {
                CheckIo::sleep(self, delay_ms).await;
                Ok(Some(text))
            }
            Kv::Fails => Err("KV GET failed".into()),
            Kv::Hangs => {
                Never.await;
                Ok(None)
            }
        }
    }

    fn background(&self, task: impl Future<Output = ()> + 'static) {
        CheckIo::background(self, task)
    }

    fn warn(&self, message: &str) {
        CheckIo::warn(self, message)
    }
}

impl Sim {
    fn record(&self, op: ColoOp) {
        self.0.colo_ops.borrow_mut().push((self.now(), op));
    }
}
