//! When the list is read and when it is listed again, as a state machine
//! over an abstract runtime ([`ListingIo`]).
//!
//! A request only reads what its isolate holds ([`Refresher::current`]):
//! it never waits for the Cache API or the upstream. When a look is due it
//! starts one under `ctx.waitUntil`, which, in order:
//!
//! 1. reads the colo's list from the Cache API and adopts it if it is newer
//!    than the isolate's; a list younger than `KNOWN_REPOSITORIES_SECONDS`
//!    ends the look (the next one is due when it gets that old);
//! 2. reads the colo's last listing attempt: one started less than
//!    `KNOWN_REPOSITORIES_SECONDS` ago, by any isolate of the colo, ends the
//!    look (if it is still in flight, the isolate looks again in a moment to
//!    pick up its list);
//! 3. otherwise writes its own attempt, lists the upstream (every page),
//!    keeps the list in the isolate, and then writes it to the Cache API.
//!
//! So a location lists the upstream at most once per
//! `KNOWN_REPOSITORIES_SECONDS` whether the listing succeeds or fails
//! (bar isolates that read the attempt entry at the same moment), and a
//! failed listing keeps the last good list.

use super::listing::{list_of, next_page, origin, page_children, ListingFailure, ListingPage};
use super::{
    attempt_key, list_key, RepositoryList, LISTING_TIMEOUT_MS, MAX_LIST_AGE_MS, MAX_PAGES,
    MAX_REPOSITORIES,
};
use core::future::Future;
use std::cell::RefCell;
use std::rc::Rc;

/// How long a look may take (every page at its deadline, and the Cache
/// API) before the isolate counts it as gone and may start another.
pub const LOOK_BUDGET_MS: u64 = MAX_PAGES as u64 * LISTING_TIMEOUT_MS + 5_000;
/// While another isolate's listing is in flight, how soon to look for its
/// list again.
pub const IN_FLIGHT_RELOOK_MS: u64 = 2_000;

/// The runtime a [`Refresher`] runs on.
pub trait ListingIo: Clone + 'static {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// GET `url` (redirects not followed), given up after `timeout_ms`; a
    /// body over `MAX_PAGE_BYTES` is [`ListingFailure::TooLarge`].
    fn get(
        &self,
        url: &str,
        timeout_ms: u64,
    ) -> impl Future<Output = Result<ListingPage, ListingFailure>>;
    /// The body of the Cache API entry under `key`, if any (errors are
    /// misses).
    fn cache_get(&self, key: &str) -> impl Future<Output = Option<String>>;
    /// Stores `body` under `key` for `ttl_seconds`.
    fn cache_put(&self, key: &str, body: String, ttl_seconds: u64) -> impl Future<Output = ()>;
    /// Runs `task` to completion even if the request that started it ends
    /// or is cancelled (`ctx.waitUntil`).
    fn background(&self, task: impl Future<Output = ()> + 'static);
    /// A line for the operator's log.
    fn warn(&self, message: &str);
}

/// What an isolate knows of the list (one per isolate, shared by its
/// requests).
#[derive(Debug, Default)]
pub struct ListState {
    list: Option<Rc<RepositoryList>>,
    /// When the next look is due (ms since the epoch; 0: at once).
    next_look_ms: u64,
    /// When the look in flight started, if one is.
    looking_since: Option<u64>,
}

impl ListState {
    /// The isolate's list, usable or not.
    pub fn list(&self) -> Option<&RepositoryList> {
        self.list.as_deref()
    }

    fn finish_look(&mut self, next_look_ms: u64) {
        self.looking_since = None;
        self.next_look_ms = next_look_ms;
    }

    fn adopt(&mut self, list: RepositoryList) {
        if self
            .list
            .as_ref()
            .is_none_or(|ours| list.listed_ms() > ours.listed_ms())
        {
            self.list = Some(Rc::new(list));
        }
    }
}

/// The known-repositories list of one request. It borrows its text, so
/// a request that starts no look allocates nothing.
pub struct Refresher<'a, Io> {
    state: Rc<RefCell<ListState>>,
    io: Io,
    /// The worker's own host: the Cache API keys live there.
    host: &'a str,
    listing_url: &'a str,
    refresh_ms: u64,
}

impl<'a, Io: ListingIo> Refresher<'a, Io> {
    /// `listing_url` is [`super::listing_url`] of the upstream;
    /// `refresh_seconds` is `KNOWN_REPOSITORIES_SECONDS`.
    pub fn new(
        state: Rc<RefCell<ListState>>,
        io: Io,
        host: &'a str,
        listing_url: &'a str,
        refresh_seconds: u32,
    ) -> Self {
        Refresher {
            state,
            io,
            host,
            listing_url,
            refresh_ms: u64::from(refresh_seconds) * 1000,
        }
    }

    /// The list to decide this request by (`None`: no usable list, so
    /// every repository is routed), starting a look in the background when
    /// one is due. Never waits.
    pub fn current(&self) -> Option<Rc<RepositoryList>> {
        let now = self.io.now_ms();
        let mut state = self.state.borrow_mut();
        let looking = state
            .looking_since
            .is_some_and(|since| now.saturating_sub(since) < LOOK_BUDGET_MS);
        if !looking && now >= state.next_look_ms {
            state.looking_since = Some(now);
            self.io.background(look(
                self.state.clone(),
                self.io.clone(),
                list_key(self.host, self.listing_url),
                attempt_key(self.host, self.listing_url),
                self.listing_url.to_string(),
                self.refresh_ms,
            ));
        }
        state.list.clone().filter(|l| l.is_usable_at(now))
    }
}

/// One look, in the background (the steps in the module's comment).
async fn look<Io: ListingIo>(
    state: Rc<RefCell<ListState>>,
    io: Io,
    list_key: String,
    attempt_key: String,
    listing_url: String,
    refresh_ms: u64,
) {
    if let Some(list) = io
        .cache_get(&list_key)
        .await
        .and_then(|text| RepositoryList::from_stored(&text))
    {
        state.borrow_mut().adopt(list);
    }
    let now = io.now_ms();
    let listed = state.borrow().list.as_ref().map(|l| l.listed_ms());
    if let Some(due) = listed
        .map(|listed| listed.saturating_add(refresh_ms))
        .filter(|&due| now < due)
    {
        state.borrow_mut().finish_look(due);
        return;
    }

    // The attempt entry holds when it started (ms since the epoch).
    if let Some(attempt_ms) = io
        .cache_get(&attempt_key)
        .await
        .and_then(|text| text.parse::<u64>().ok())
    {
        let now = io.now_ms();
        let next_attempt = attempt_ms.saturating_add(refresh_ms);
        if now < next_attempt {
            let in_flight = now < attempt_ms.saturating_add(LOOK_BUDGET_MS);
            let next = if in_flight {
                now + IN_FLIGHT_RELOOK_MS
            } else {
                next_attempt
            };
            state.borrow_mut().finish_look(next);
            return;
        }
    }

    let started_ms = io.now_ms();
    io.cache_put(&attempt_key, started_ms.to_string(), refresh_ms / 1000)
        .await;
    let listed = list_upstream(&io, &listing_url)
        .await
        .and_then(|names| list_of(names, io.now_ms()));
    match listed {
        Ok(list) => {
            let stored = list.to_stored();
            let listed_ms = list.listed_ms();
            {
                let mut state = state.borrow_mut();
                state.adopt(list);
                state.finish_look(listed_ms.saturating_add(refresh_ms));
            }
            // The isolate uses it already; the colo's isolates read it from
            // here, for as long as it may be used.
            io.cache_put(&list_key, stored, MAX_LIST_AGE_MS / 1000)
                .await;
        }
        Err(failure) => {
            let kept = match state.borrow().list.as_deref() {
                Some(list) => format!(
                    "keeping the list of {} repositories from {} s ago",
                    list.len(),
                    list.age_ms(io.now_ms()) / 1000
                ),
                None => "no list: every repository is routed".to_string(),
            };
            state
                .borrow_mut()
                .finish_look(started_ms.saturating_add(refresh_ms));
            io.warn(&format!(
                "known repositories: listing {listing_url} failed ({failure}); {kept}"
            ));
        }
    }
}

/// Every page's `child` names, following `Link` to at most `MAX_PAGES`
/// pages on the listing's origin.
async fn list_upstream<Io: ListingIo>(
    io: &Io,
    listing_url: &str,
) -> Result<Vec<String>, ListingFailure> {
    let origin = origin(listing_url).ok_or(ListingFailure::ForeignNextPage)?;
    let mut names = Vec::new();
    let mut fetched: Vec<String> = Vec::new();
    let mut next = Some(listing_url.to_string());
    while let Some(url) = next.take() {
        if fetched.len() == MAX_PAGES || fetched.contains(&url) {
            return Err(ListingFailure::TooMany);
        }
        let page = io.get(&url, LISTING_TIMEOUT_MS).await?;
        if page.status != 200 {
            return Err(ListingFailure::Status(page.status));
        }
        names.extend(page_children(&page.body)?);
        if names.len() > MAX_REPOSITORIES {
            return Err(ListingFailure::TooMany);
        }
        fetched.push(url);
        next = match page.link.as_deref() {
            Some(link) => next_page(link, origin)?,
            None => None,
        };
    }
    Ok(names)
}
