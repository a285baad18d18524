//! A bounded, time-limited memory of blob existence answers, kept per
//! isolate in front of the colo-wide Cache API.
//!
//! Present and absent answers have bounds of their own: a flood of distinct
//! missing digests (anyone can ask for any digest) only pushes out other
//! absent answers, never the known-present blobs real pulls depend on.
//! Each answer is kept until its own expiry time, which the caller gives
//! (an answer read from the Cache API expires when its entry there does).
//!
//! Plain Rust (the caller passes the clock) so it is tested natively.

use std::collections::{HashMap, VecDeque};

/// Present answers remembered per isolate.
pub const PRESENT_CAPACITY: usize = 10_000;
/// Absent answers remembered per isolate (they live for
/// `NEGATIVE_CACHE_SECONDS` only; a smaller bound is enough).
pub const ABSENT_CAPACITY: usize = 2_000;

#[derive(Debug)]
pub struct ExistenceCache {
    present: Bounded,
    absent: Bounded,
}

impl Default for ExistenceCache {
    fn default() -> Self {
        ExistenceCache::new(PRESENT_CAPACITY, ABSENT_CAPACITY)
    }
}

impl ExistenceCache {
    pub fn new(present_capacity: usize, absent_capacity: usize) -> Self {
        ExistenceCache {
            present: Bounded::new(present_capacity),
            absent: Bounded::new(absent_capacity),
        }
    }

    /// The remembered answer for `url`, if it has not expired at `now_ms`.
    pub fn get(&mut self, url: &str, now_ms: u64) -> Option<bool> {
        if self.present.get(url, now_ms) {
            Some(true)
        } else if self.absent.get(url, now_ms) {
            Some(false)
        } else {
            None
        }
    }

    /// Remembers `exists` for `url` until `expires_at_ms` (nothing when that
    /// is not after `now_ms`), replacing any earlier answer.
    pub fn insert(&mut self, url: &str, exists: bool, expires_at_ms: u64, now_ms: u64) {
        self.present.remove(url);
        self.absent.remove(url);
        if expires_at_ms <= now_ms {
            return;
        }
        if exists {
            self.present.insert(url, expires_at_ms);
        } else {
            self.absent.insert(url, expires_at_ms);
        }
    }

    /// (present, absent) answers held, expired ones included until looked
    /// up or pushed out.
    pub fn len(&self) -> (usize, usize) {
        (self.present.entries.len(), self.absent.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

/// Up to `capacity` URLs, each with its expiry; when full, the oldest
/// insertion is forgotten first.
#[derive(Debug)]
struct Bounded {
    capacity: usize,
    /// url -> (expires at ms, insertion sequence)
    entries: HashMap<String, (u64, u64)>,
    /// Insertion order; an element is stale when its sequence no longer
    /// matches the entry's (the URL was re-inserted or removed).
    order: VecDeque<(String, u64)>,
    next_sequence: u64,
}

impl Bounded {
    fn new(capacity: usize) -> Self {
        Bounded {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_sequence: 0,
        }
    }

    fn get(&mut self, url: &str, now_ms: u64) -> bool {
        match self.entries.get(url) {
            Some(&(expires, _)) if now_ms < expires => true,
            Some(_) => {
                self.entries.remove(url);
                false
            }
            None => false,
        }
    }

    fn remove(&mut self, url: &str) {
        self.entries.remove(url);
    }

    fn insert(&mut self, url: &str, expires_at_ms: u64) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.entries
            .insert(url.to_string(), (expires_at_ms, sequence));
        self.order.push_back((url.to_string(), sequence));
        while self.entries.len() > self.capacity {
            self.evict_oldest();
        }
        // Stale order elements from re-insertions must not grow unbounded.
        while self.order.len() > 2 * self.capacity {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        if let Some((url, sequence)) = self.order.pop_front() {
            if self.entries.get(&url).is_some_and(|e| e.1 == sequence) {
                self.entries.remove(&url);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExistenceCache;

    #[test]
    fn answers_until_expiry() {
        let mut c = ExistenceCache::new(10, 10);
        c.insert("a", true, 1_000, 0);
        c.insert("b", false, 60, 0);
        assert_eq!(c.get("a", 999), Some(true));
        assert_eq!(c.get("b", 59), Some(false));
        assert_eq!(c.get("b", 60), None);
        assert_eq!(c.get("a", 1_000), None);
        assert_eq!(c.get("never", 0), None);
        assert!(c.is_empty());
    }

    #[test]
    fn an_expiry_in_the_past_forgets() {
        let mut c = ExistenceCache::new(10, 10);
        c.insert("a", false, 100, 0);
        c.insert("a", false, 5, 5);
        assert_eq!(c.get("a", 5), None);
    }

    #[test]
    fn a_new_answer_replaces_the_old_one() {
        let mut c = ExistenceCache::new(10, 10);
        c.insert("a", false, 100, 0);
        c.insert("a", true, 1_000, 10);
        assert_eq!(c.get("a", 500), Some(true));
        c.insert("a", false, 600, 500);
        assert_eq!(c.get("a", 550), Some(false));
        assert_eq!(c.get("a", 700), None);
    }

    #[test]
    fn bounded_oldest_first() {
        let mut c = ExistenceCache::new(3, 3);
        for (i, url) in ["a", "b", "c", "d"].iter().enumerate() {
            c.insert(url, true, 1_000, i as u64);
        }
        assert_eq!(c.len(), (3, 0));
        assert_eq!(c.get("a", 5), None);
        assert_eq!(c.get("d", 5), Some(true));
    }

    #[test]
    fn reinsertion_stays_bounded() {
        let mut c = ExistenceCache::new(2, 2);
        for i in 0..1_000 {
            c.insert("a", true, 2_000, i);
        }
        c.insert("b", true, 2_000, 1_000);
        c.insert("c", true, 2_000, 1_000);
        assert_eq!(c.len(), (2, 0));
        assert!(c.present.order.len() <= 4);
        // "a" was inserted first: evicted.
        assert_eq!(c.get("a", 1_001), None);
        assert_eq!(c.get("c", 1_001), Some(true));
    }

    /// A flood of distinct missing digests cannot evict
    /// known-present entries.
    #[test]
    fn negatives_cannot_evict_positives() {
        let mut c = ExistenceCache::new(100, 10);
        for i in 0..100 {
            c.insert(&format!("present-{i}"), true, 86_400_000, 0);
        }
        for i in 0..100_000 {
            c.insert(&format!("missing-{i}"), false, 60_000, 1);
        }
        for i in 0..100 {
            assert_eq!(c.get(&format!("present-{i}"), 2), Some(true), "{i}");
        }
        assert_eq!(c.len(), (100, 10));
        assert_eq!(c.get("missing-99999", 2), Some(false));
        assert_eq!(c.get("missing-0", 2), None);
    }
}
