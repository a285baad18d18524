//! The blob check as a state machine over an abstract runtime ([`CheckIo`]):
//! the worker supplies HEAD, the Cache API, timers and `ctx.waitUntil`;
//! tests supply a simulated clock and scripted copies.
//!
//! A check of `<copy>/containers/images/<digest>`:
//!
//! 1. the copy's breaker is open in this isolate -> breaker-open, nobody asked;
//! 2. the isolate remembers the answer -> that answer;
//! 3. a check of the URL is in flight (and not stale) -> wait for it;
//! 4. otherwise start one **in the background** (`ctx.waitUntil`) and wait
//!    for it like any other waiter. The background check reads the Cache
//!    API entry (then the copy's shared breaker entry), asks the copy if
//!    neither answers (an HTTP HEAD, or an R2 binding's `head()`), records
//!    the outcome in the breaker and the isolate's
//!    memory, releases the waiters, and only then writes the Cache API.
//!
//! Running the check in the background is what makes it survive the
//! request: when a client disconnects, the runtime cancels the request's
//! own work (its future is never polled, nor dropped, again) but lets
//! `waitUntil` work finish. Requests wait on timers of their own, because
//! the runtime cancels a request as hung when all it awaits is I/O that
//! belongs to another request.

use super::{
    breaker_key, existence_key, BlobCheck, BreakerSettings, Breakers, CheckReport, CheckSource,
    CheckTarget, ColoEntry, CopyKind, ExistenceCache, Failure, Outcome, PendingCheck,
    PendingChecks, Remembered, Transition,
};
use core::future::Future;
use std::cell::RefCell;
use std::rc::Rc;

/// How often a waiting request looks at the outcome of the check it waits for.
pub const WAIT_TICK_MS: u64 = 5;
/// Beyond the HEAD's own timeout, how long the Cache API steps of a check
/// may take before its waiters give up (and before it counts as stale).
pub const WAIT_MARGIN_MS: u64 = 1000;

/// A HEAD's status, or why there was none (timeout, network error).
pub type HeadAnswer = Result<u16, Failure>;

/// Whether an R2 binding's `head()` found the object, or why it did not
/// answer (its error, a missing binding, the timeout).
pub type R2Answer = Result<bool, Failure>;

/// The runtime a [`Checker`] runs on.
pub trait CheckIo: Clone + 'static {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    fn sleep(&self, ms: u64) -> impl Future<Output = ()>;
    /// HEAD `url` (redirects not followed) with this `Accept` header, if
    /// any, given up after `timeout_ms`.
    fn head(
        &self,
        url: &str,
        accept: Option<&str>,
        timeout_ms: u64,
    ) -> impl Future<Output = HeadAnswer>;
    /// `head(key)` through the R2 binding named `binding` (no HTTP request),
    /// given up after `timeout_ms`.
    fn r2_head(&self, binding: &str, key: &str, timeout_ms: u64) -> impl Future<Output = R2Answer>;
    /// The Cache API entry under `key`, if any (errors are misses).
    fn colo_get(&self, key: &str) -> impl Future<Output = Option<ColoEntry>>;
    /// Stores `entry` under `key` until it expires.
    fn colo_put(&self, key: &str, entry: ColoEntry) -> impl Future<Output = ()>;
    fn colo_delete(&self, key: &str) -> impl Future<Output = ()>;
    /// Runs `task` to completion even if the request that started it is
    /// cancelled (`ctx.waitUntil`).
    fn background(&self, task: impl Future<Output = ()> + 'static);
    /// A line for the operator's log.
    fn warn(&self, message: &str);
}

/// The configuration a check needs (read from the variables by
/// `crate::config::checks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSettings {
    /// `BLOB_CHECK_TIMEOUT_MS`: a HEAD's deadline.
    pub timeout_ms: u64,
    /// `NEGATIVE_CACHE_SECONDS`: how long "absent" is remembered.
    pub negative_ttl_seconds: u64,
    pub breaker: BreakerSettings,
}

impl CheckSettings {
    /// How long a check may be in flight before its waiters give up and a
    /// new check of the URL may start.
    fn wait_limit_ms(&self) -> u64 {
        self.timeout_ms + WAIT_MARGIN_MS
    }
}

/// What an isolate knows about blobs and copies (one per isolate, shared
/// by its requests).
#[derive(Debug, Default)]
pub struct CheckState {
    pub remembered: ExistenceCache,
    pub pending: PendingChecks,
    pub breakers: Breakers,
}

/// The blob check of one request.
pub struct Checker<Io> {
    state: Rc<RefCell<CheckState>>,
    io: Io,
    /// The worker's own host: the Cache API keys live there.
    host: String,
    settings: CheckSettings,
}

impl<Io: CheckIo> Checker<Io> {
    pub fn new(
        state: Rc<RefCell<CheckState>>,
        io: Io,
        host: &str,
        settings: CheckSettings,
    ) -> Self {
        Checker {
            state,
            io,
            host: host.to_string(),
            settings,
        }
    }

    async fn answer(&self, target: CheckTarget<'_>) -> (Outcome, CheckSource) {
        let now = self.io.now_ms();
        let (url, copy) = (target.url, target.copy);
        let pending = {
            let mut state = self.state.borrow_mut();
            if state.breakers.is_open(copy, now, &self.settings.breaker) {
                return (Outcome::BreakerOpen, CheckSource::Breaker);
            }
            match state.remembered.get(url, now) {
                Some(true) => return (Outcome::Present, CheckSource::Isolate),
                Some(false) => return (Outcome::Absent, CheckSource::Isolate),
                None => {}
            }
            let limit = self.settings.wait_limit_ms();
            match state.pending.join(url, now, limit) {
                Some(pending) => pending,
                None => {
                    let probe = state.breakers.begin(copy, now);
                    let pending = state.pending.start(url, now, limit);
                    drop(state);
                    self.io.background(run(
                        self.state.clone(),
                        self.io.clone(),
                        self.settings,
                        self.host.clone(),
                        Owned::of(target),
                        pending.clone(),
                        probe,
                    ));
                    pending
                }
            }
        };
        let limit = self.settings.wait_limit_ms();
        wait(&self.io, &pending, limit, target.kind.asked_by()).await
    }
}

impl<Io: CheckIo> BlobCheck for Checker<Io> {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let started = self.io.now_ms();
        let (outcome, source) = self.answer(target).await;
        let elapsed = self.io.now_ms().saturating_sub(started);
        CheckReport {
            outcome,
            source,
            ms: u32::try_from(elapsed).unwrap_or(u32::MAX),
        }
    }
}

/// Waits, on this request's own timers, for a check in flight (one that
/// asks the copy through `asker`).
async fn wait<Io: CheckIo>(
    io: &Io,
    pending: &PendingCheck,
    limit_ms: u64,
    asker: CheckSource,
) -> (Outcome, CheckSource) {
    let deadline = pending.started_ms.saturating_add(limit_ms);
    loop {
        if let Some(result) = pending.result() {
            return result;
        }
        let now = io.now_ms();
        if now >= deadline {
            return (Outcome::Failed(Failure::Timeout), asker);
        }
        io.sleep(WAIT_TICK_MS.min(deadline - now)).await;
    }
}

/// A [`CheckTarget`] the background check owns.
struct Owned {
    kind: OwnedKind,
    copy: String,
    url: String,
    object: String,
}

/// A [`CopyKind`] with what it needs owned: an R2 copy's binding, and the
/// object's key in its bucket.
enum OwnedKind {
    Mirror,
    Registry,
    R2 { binding: String, key: String },
}

impl Owned {
    fn of(target: CheckTarget<'_>) -> Self {
        Owned {
            kind: match target.kind {
                CopyKind::Mirror => OwnedKind::Mirror,
                CopyKind::Registry => OwnedKind::Registry,
                CopyKind::R2 { binding } => OwnedKind::R2 {
                    binding: binding.to_string(),
                    key: target.path().to_string(),
                },
            },
            copy: target.copy.to_string(),
            url: target.url.to_string(),
            object: target.object().to_string(),
        }
    }

    fn kind(&self) -> CopyKind<'_> {
        match &self.kind {
            OwnedKind::Mirror => CopyKind::Mirror,
            OwnedKind::Registry => CopyKind::Registry,
            OwnedKind::R2 { binding, .. } => CopyKind::R2 { binding },
        }
    }
}

/// The check itself, in the background: Cache API, then the copy (HEAD or
/// the R2 binding); records the outcome, releases the waiters, then writes
/// the Cache API.
async fn run<Io: CheckIo>(
    state: Rc<RefCell<CheckState>>,
    io: Io,
    settings: CheckSettings,
    host: String,
    target: Owned,
    pending: Rc<PendingCheck>,
    probe: bool,
) {
    let (url, copy) = (target.url.as_str(), target.copy.as_str());
    let finish = |outcome: Outcome, source: CheckSource| {
        state
            .borrow_mut()
            .pending
            .finish(url, &pending, outcome, source);
    };

    // The colo's answer, kept here only as long as it lives there.
    let key = existence_key(&host, copy, &target.object);
    if let Some(entry) = io.colo_get(&key).await {
        let outcome = match entry.what {
            Remembered::Present => Some(Outcome::Present),
            Remembered::Absent => Some(Outcome::Absent),
            Remembered::BreakerOpen => None,
        };
        let now = io.now_ms();
        if let Some(outcome) = outcome.filter(|_| entry.expires_ms > now) {
            let mut s = state.borrow_mut();
            s.remembered
                .insert(url, outcome == Outcome::Present, entry.expires_ms, now);
            if probe {
                s.breakers.release_probe(copy, now);
            }
            drop(s);
            finish(outcome, CheckSource::Colo);
            return;
        }
    }

    // Another isolate of the colo may have given up on this copy.
    let breaker = breaker_key(&host, copy);
    if let Some(entry) = io.colo_get(&breaker).await {
        let now = io.now_ms();
        if entry.what == Remembered::BreakerOpen && entry.expires_ms > now {
            state
                .borrow_mut()
                .breakers
                .adopt_open(copy, entry.expires_ms);
            finish(Outcome::BreakerOpen, CheckSource::Breaker);
            return;
        }
    }

    let kind = target.kind();
    let outcome = match &target.kind {
        OwnedKind::R2 { binding, key } => {
            CopyKind::found(io.r2_head(binding, key, settings.timeout_ms).await)
        }
        OwnedKind::Mirror | OwnedKind::Registry => {
            match io.head(url, kind.accept(), settings.timeout_ms).await {
                Ok(status) => kind.outcome(status),
                Err(failure) => Outcome::Failed(failure),
            }
        }
    };
    let now = io.now_ms();
    let ttl_ms = outcome.ttl_seconds(settings.negative_ttl_seconds) * 1000;
    let transition = {
        let mut s = state.borrow_mut();
        if ttl_ms > 0 {
            s.remembered
                .insert(url, outcome == Outcome::Present, now + ttl_ms, now);
        }
        s.breakers
            .record(copy, outcome.health(), now, &settings.breaker)
    };
    finish(outcome, kind.asked_by());

    // Waiters are released; what follows is off every response's path.
    match (outcome, kind) {
        (Outcome::Failed(failure), CopyKind::R2 { binding }) => io.warn(&format!(
            "blob check of {url} through R2 binding {binding} failed ({failure})"
        )),
        (Outcome::Failed(failure), _) => {
            io.warn(&format!("blob check of {url} failed ({failure})"))
        }
        (Outcome::Rejected(status), _) => io.warn(&format!(
            "blob check of {url} rejected (status {status}): not counted against the copy"
        )),
        _ => {}
    }
    if ttl_ms > 0 {
        let what = if outcome == Outcome::Present {
            Remembered::Present
        } else {
            Remembered::Absent
        };
        let entry = ColoEntry {
            what,
            expires_ms: now + ttl_ms,
        };
        io.colo_put(&key, entry).await;
    }
    match transition {
        Transition::Opened { until_ms } => {
            let meanwhile = match kind {
                CopyKind::Mirror | CopyKind::R2 { .. } => "blobs go upstream",
                CopyKind::Registry => "requests stay on this upstream",
            };
            io.warn(&format!(
                "blob check breaker for {copy} open for {} s: checks skipped, {meanwhile}",
                settings.breaker.open_ms / 1000
            ));
            let entry = ColoEntry {
                what: Remembered::BreakerOpen,
                expires_ms: until_ms,
            };
            io.colo_put(&breaker, entry).await;
        }
        Transition::Closed => {
            io.warn(&format!(
                "blob check breaker for {copy} closed: the copy answers again"
            ));
            io.colo_delete(&breaker).await;
        }
        Transition::None => {}
    }
}
