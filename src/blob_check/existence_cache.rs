//! A bounded, time-limited memory of blob existence answers, kept per
//! isolate in front of the colo-wide Cache API.
//!
//! Plain Rust (the caller passes the clock) so it is tested natively.

use std::collections::{HashMap, VecDeque};

/// Remembers up to `capacity` URLs, each for its own time to live; when
/// full, the oldest insertion is forgotten first.
#[derive(Debug)]
pub struct ExistenceCache {
    capacity: usize,
    /// url -> (exists, expires at ms, insertion sequence)
    entries: HashMap<String, (bool, u64, u64)>,
    /// Insertion order; an element is stale when its sequence no longer
    /// matches the entry's (the URL was re-inserted or removed).
    order: VecDeque<(String, u64)>,
    next_sequence: u64,
}

impl ExistenceCache {
    pub fn new(capacity: usize) -> Self {
        ExistenceCache {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_sequence: 0,
        }
    }

    /// The remembered answer for `url`, if it has not expired at `now_ms`.
    pub fn get(&mut self, url: &str, now_ms: u64) -> Option<bool> {
        let (exists, expires, _) = *self.entries.get(url)?;
        if now_ms < expires {
            Some(exists)
        } else {
            self.entries.remove(url);
            None
        }
    }

    /// Remembers `exists` for `url` until `now_ms + ttl_ms`.
    pub fn insert(&mut self, url: &str, exists: bool, ttl_ms: u64, now_ms: u64) {
        if ttl_ms == 0 {
            self.entries.remove(url);
            return;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let fresh = self
            .entries
            .insert(
                url.to_string(),
                (exists, now_ms.saturating_add(ttl_ms), sequence),
            )
            .is_none();
        self.order.push_back((url.to_string(), sequence));
        if fresh {
            while self.entries.len() > self.capacity {
                self.evict_oldest();
            }
        }
        // Stale order elements from re-insertions must not grow unbounded.
        while self.order.len() > 2 * self.capacity {
            self.evict_oldest();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict_oldest(&mut self) {
        if let Some((url, sequence)) = self.order.pop_front() {
            if self.entries.get(&url).is_some_and(|e| e.2 == sequence) {
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
        let mut c = ExistenceCache::new(10);
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
    fn zero_ttl_forgets() {
        let mut c = ExistenceCache::new(10);
        c.insert("a", false, 100, 0);
        c.insert("a", false, 0, 0);
        assert_eq!(c.get("a", 1), None);
    }

    #[test]
    fn bounded_oldest_first() {
        let mut c = ExistenceCache::new(3);
        for (i, url) in ["a", "b", "c", "d"].iter().enumerate() {
            c.insert(url, true, 1_000, i as u64);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("a", 5), None);
        assert_eq!(c.get("d", 5), Some(true));
    }

    #[test]
    fn reinsertion_updates_and_stays_bounded() {
        let mut c = ExistenceCache::new(2);
        for i in 0..1_000 {
            c.insert("a", i % 2 == 0, 1_000, i);
        }
        assert_eq!(c.get("a", 1_000), Some(false));
        c.insert("b", true, 1_000, 1_000);
        c.insert("c", true, 1_000, 1_000);
        assert_eq!(c.len(), 2);
        assert!(c.order.len() <= 4);
        // "a" was inserted first: evicted.
        assert_eq!(c.get("a", 1_001), None);
        assert_eq!(c.get("c", 1_001), Some(true));
    }
}
