//! A bounded, evicting store: least recently used entries go first when the store is over its
//! entry count or its byte budget, and entries unused for longer than the TTL are dropped.

use lru::LruCache;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// The bounds of one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Most entries kept.
    pub max_entries: usize,
    /// Most bytes kept (the sum of the entries' costs).
    pub max_bytes: usize,
    /// An entry unused for this long is dropped.
    pub ttl: Duration,
}

/// What an entry costs in bytes (an estimate of the memory it holds).
pub trait Cost {
    /// The entry's cost in bytes.
    fn cost(&self) -> usize;
}

struct Entry<V> {
    value: V,
    used: Instant,
    cost: usize,
}

/// An LRU map with a TTL (from last use), an entry cap and a byte cap.
pub struct BoundedStore<K: Hash + Eq, V> {
    map: LruCache<K, Entry<V>>,
    bounds: Bounds,
    bytes: usize,
}

impl<K: Hash + Eq + Clone, V: Cost> BoundedStore<K, V> {
    /// An empty store.
    pub fn new(bounds: Bounds) -> Self {
        BoundedStore { map: LruCache::unbounded(), bounds, bytes: 0 }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Bytes held (the sum of the costs).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Drops expired entries (the least recently used come first, so it stops at the first live
    /// one), then the least recently used until the store is within its bounds.
    fn evict(&mut self, now: Instant) {
        while let Some((_, e)) = self.map.peek_lru() {
            let expired = now.saturating_duration_since(e.used) >= self.bounds.ttl;
            let over = self.map.len() > self.bounds.max_entries || self.bytes > self.bounds.max_bytes;
            if !expired && !over {
                break;
            }
            if let Some((_, e)) = self.map.pop_lru() {
                self.bytes -= e.cost;
            }
        }
    }

    /// The live entry for `key` (marked used now).
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.get_at(key, Instant::now())
    }

    /// [`BoundedStore::get`] at a given time (tests).
    pub fn get_at(&mut self, key: &K, now: Instant) -> Option<&V> {
        self.evict(now);
        let e = self.map.get_mut(key)?;
        e.used = now;
        Some(&e.value)
    }

    /// Changes the entry for `key` (created with `make` when absent or expired), marks it used,
    /// re-counts its cost and evicts what no longer fits. Returns what `change` returned.
    pub fn update<R>(&mut self, key: &K, make: impl FnOnce() -> V, change: impl FnOnce(&mut V) -> R) -> R {
        let now = Instant::now();
        self.evict(now);
        if !self.map.contains(key) {
            self.map.put(key.clone(), Entry { value: make(), used: now, cost: 0 });
        }
        let e = self.map.get_mut(key).expect("present");
        let result = change(&mut e.value);
        let cost = e.value.cost();
        self.bytes = self.bytes - e.cost + cost;
        e.cost = cost;
        e.used = now;
        self.evict(now);
        result
    }

    /// Stores `value` under `key` (replacing any), then evicts what no longer fits. An entry
    /// larger than the whole byte budget is not kept.
    pub fn insert(&mut self, key: K, value: V) {
        self.insert_at(key, value, Instant::now());
    }

    /// [`BoundedStore::insert`] at a given time (tests).
    pub fn insert_at(&mut self, key: K, value: V, now: Instant) {
        let cost = value.cost();
        if let Some(old) = self.map.pop(&key) {
            self.bytes -= old.cost;
        }
        if cost > self.bounds.max_bytes {
            return;
        }
        self.map.put(key, Entry { value, used: now, cost });
        self.bytes += cost;
        self.evict(now);
    }
}

impl Cost for Vec<String> {
    fn cost(&self) -> usize {
        self.iter().map(|s| s.capacity() + std::mem::size_of::<String>()).sum::<usize>() + 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(max_entries: usize, max_bytes: usize, ttl_s: u64) -> BoundedStore<u32, Vec<String>> {
        BoundedStore::new(Bounds { max_entries, max_bytes, ttl: Duration::from_secs(ttl_s) })
    }

    fn value(bytes: usize) -> Vec<String> {
        vec!["x".repeat(bytes)]
    }

    #[test]
    fn the_least_recently_used_goes_first_beyond_the_entry_cap() {
        let mut s = store(2, usize::MAX, 60);
        s.insert(1, value(1));
        s.insert(2, value(1));
        assert!(s.get(&1).is_some(), "1 is now the most recently used");
        s.insert(3, value(1));
        assert!(s.get(&2).is_none());
        assert!(s.get(&1).is_some() && s.get(&3).is_some());
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn the_byte_budget_holds_and_oversized_entries_are_not_kept() {
        let one = value(1_000).cost();
        let mut s = store(100, one * 3, 60);
        for k in 0..10 {
            s.insert(k, value(1_000));
        }
        assert_eq!(s.len(), 3);
        assert!(s.bytes() <= one * 3);
        s.insert(99, value(10_000));
        assert!(s.get(&99).is_none(), "larger than the budget");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn entries_expire_after_the_ttl_from_last_use() {
        let mut s = store(10, usize::MAX, 60);
        let t0 = Instant::now();
        s.insert_at(1, value(1), t0);
        s.insert_at(2, value(1), t0);
        assert!(s.get_at(&1, t0 + Duration::from_secs(50)).is_some());
        assert!(s.get_at(&2, t0 + Duration::from_secs(61)).is_none(), "unused for 61 s");
        assert!(s.get_at(&1, t0 + Duration::from_secs(100)).is_some(), "used at 50 s");
        assert_eq!(s.bytes(), value(1).cost());
    }

    #[test]
    fn updates_recount_the_cost() {
        let mut s = store(10, 10_000, 60);
        s.update(&1, Vec::new, |v| v.push("y".repeat(5_000)));
        assert!(s.bytes() >= 5_000);
        s.update(&1, Vec::new, |v| v.push("y".repeat(5_000)));
        assert!(s.get(&1).is_none(), "grew beyond the budget and was evicted");
        assert_eq!(s.bytes(), 0);
    }
}
