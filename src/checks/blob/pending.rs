//! The checks in flight in an isolate, one per URL, each with its start
//! time: concurrent requests for one blob share one check.
//!
//! An entry older than the check's timeout plus a margin counts as absent.
//! The check itself runs under `ctx.waitUntil` and always finishes, so this
//! only matters if the runtime dropped that work too (an isolate evicted
//! mid-check, a `waitUntil` cut off): no URL stays "pending" for the life of
//! the isolate, whatever happens to the request that started it.

use super::{CheckSource, Outcome};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

/// Entries swept for staleness once the map holds this many.
const SWEEP_AT: usize = 256;

/// One check in flight; its outcome is filled in when it ends.
#[derive(Debug)]
pub struct PendingCheck {
    pub started_ms: u64,
    result: Cell<Option<(Outcome, CheckSource)>>,
}

impl PendingCheck {
    pub fn result(&self) -> Option<(Outcome, CheckSource)> {
        self.result.get()
    }
}

#[derive(Debug, Default)]
pub struct PendingChecks {
    checks: HashMap<String, Rc<PendingCheck>>,
}

impl PendingChecks {
    /// The live check of `url`, if one started less than `stale_after_ms`
    /// ago; a stale one is forgotten.
    pub fn join(
        &mut self,
        url: &str,
        now_ms: u64,
        stale_after_ms: u64,
    ) -> Option<Rc<PendingCheck>> {
        let check = self.checks.get(url)?;
        if now_ms.saturating_sub(check.started_ms) < stale_after_ms {
            return Some(check.clone());
        }
        self.checks.remove(url);
        None
    }

    /// Registers a new check of `url` starting at `now_ms`.
    pub fn start(&mut self, url: &str, now_ms: u64, stale_after_ms: u64) -> Rc<PendingCheck> {
        if self.checks.len() >= SWEEP_AT {
            self.checks
                .retain(|_, c| now_ms.saturating_sub(c.started_ms) < stale_after_ms);
        }
        let check = Rc::new(PendingCheck {
            started_ms: now_ms,
            result: Cell::new(None),
        });
        self.checks.insert(url.to_string(), check.clone());
        check
    }

    /// Records the outcome (releasing every waiter) and forgets the entry,
    /// unless a newer check of the URL has replaced it.
    pub fn finish(
        &mut self,
        url: &str,
        check: &Rc<PendingCheck>,
        outcome: Outcome,
        source: CheckSource,
    ) {
        check.result.set(Some((outcome, source)));
        if self.checks.get(url).is_some_and(|c| Rc::ptr_eq(c, check)) {
            self.checks.remove(url);
        }
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_then_finished() {
        let mut p = PendingChecks::default();
        assert!(p.join("u", 0, 100).is_none());
        let first = p.start("u", 0, 100);
        let joined = p.join("u", 50, 100).expect("live");
        assert!(Rc::ptr_eq(&first, &joined));
        p.finish("u", &first, Outcome::Present, CheckSource::Head);
        assert_eq!(joined.result(), Some((Outcome::Present, CheckSource::Head)));
        assert!(p.is_empty());
    }

    #[test]
    fn a_stale_entry_counts_as_absent() {
        let mut p = PendingChecks::default();
        let old = p.start("u", 0, 100);
        assert!(p.join("u", 100, 100).is_none(), "stale at the limit");
        let new = p.start("u", 100, 100);
        // The old check ending late must not remove the new one.
        p.finish("u", &old, Outcome::Absent, CheckSource::Head);
        assert!(Rc::ptr_eq(&p.join("u", 150, 100).unwrap(), &new));
    }

    #[test]
    fn stale_entries_are_swept() {
        let mut p = PendingChecks::default();
        for i in 0..SWEEP_AT {
            p.start(&format!("u{i}"), 0, 100);
        }
        p.start("fresh", 1_000, 100);
        assert_eq!(p.len(), 1);
    }
}
