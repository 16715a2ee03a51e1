//! Key eviction under `maxmemory`: which key goes next, by Redis's
//! approximated algorithms, and what removing it entails.
//!
//! Redis does not keep keys ordered by access time or frequency; it samples
//! `maxmemory-samples` keys from every database (the main table, or the
//! expires table for `volatile-*` policies), scores them, and keeps the best
//! candidates seen so far in a small pool ordered by score, evicting from
//! its best end. Scores are "higher goes first": idle time for LRU,
//! `255 - counter` for LFU, and "expires sooner" for `volatile-ttl`. The
//! pool survives between evictions, so later samples compete with earlier
//! ones; an entry whose key has since disappeared is skipped. The random
//! policies take one random key, visiting the databases in turn.
//!
//! How much memory is used, and therefore when to stop, is the server's
//! business: this module evicts one key per call and does no I/O.

use crate::clock;
use crate::keyspace::Keyspace;
use crate::notify;

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Evict nothing: writes that may grow memory are refused.
    #[default]
    NoEviction,
    /// Least recently used among all keys.
    AllKeysLru,
    /// Least recently used among keys with a TTL.
    VolatileLru,
    /// Least frequently used among all keys.
    AllKeysLfu,
    /// Least frequently used among keys with a TTL.
    VolatileLfu,
    /// Any key.
    AllKeysRandom,
    /// Any key with a TTL.
    VolatileRandom,
    /// The key with a TTL that expires soonest.
    VolatileTtl,
}

impl Policy {
    /// The policy named as in the configuration file; `None` when unknown.
    pub fn from_name(name: &str) -> Option<Policy> {
        Some(match name {
            "noeviction" => Policy::NoEviction,
            "allkeys-lru" => Policy::AllKeysLru,
            "volatile-lru" => Policy::VolatileLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "volatile-lfu" => Policy::VolatileLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => return None,
        })
    }

    /// True when any key may go; false when only keys with a TTL may.
    pub fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllKeysLru | Policy::AllKeysLfu | Policy::AllKeysRandom
        )
    }

    /// True for the policies that score sampled keys through the pool.
    fn uses_pool(self) -> bool {
        !matches!(
            self,
            Policy::NoEviction | Policy::AllKeysRandom | Policy::VolatileRandom
        )
    }
}

/// Candidates kept between evictions (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// A key worth evicting, with its score (higher: evicted sooner).
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// What eviction remembers between calls: the candidate pool (ascending
/// score, best last) and where the random policies resume.
#[derive(Debug, Default)]
pub struct Evictor {
    pool: Vec<Candidate>,
    next_db: usize,
    /// The policy the pool's scores were computed for.
    pool_policy: Policy,
}

impl Evictor {
    /// Offers a sampled key to the pool (Redis's insertion rule): it enters
    /// at its rank; when the pool is full it displaces the worst candidate,
    /// and a key worse than all of them is dropped.
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let rank = self.pool.partition_point(|c| c.score < score);
        if self.pool.len() < POOL_SIZE {
            self.pool.insert(
                rank,
                Candidate {
                    score,
                    db,
                    key: key.to_vec(),
                },
            );
        } else if rank > 0 {
            // Full: drop the worst (first) and insert just below `rank`,
            // reusing its key buffer.
            let mut worst = self.pool.remove(0);
            worst.score = score;
            worst.db = db;
            worst.key.clear();
            worst.key.extend_from_slice(key);
            self.pool.insert(rank - 1, worst);
        }
    }
}

impl Keyspace {
    /// Evicts one key chosen by `maxmemory-policy` and returns true, or
    /// returns false when nothing can be evicted (`noeviction`, or no key
    /// the policy may take). The key is deleted like a server-side delete
    /// (freed in the background under `lazyfree-lazy-eviction`), WATCHers
    /// of it are invalidated, `evicted` is raised and counted.
    pub fn evict_one(&mut self) -> bool {
        let policy = self.config.maxmemory_policy;
        let chosen = if policy.uses_pool() {
            self.pick_from_pool(policy)
        } else if policy == Policy::NoEviction {
            None
        } else {
            self.pick_random(policy)
        };
        let Some((db, key)) = chosen else {
            return false;
        };
        self.delete_evicted(db, &key);
        true
    }

    /// Refills the pool by sampling every database, then takes its best
    /// candidate that still exists; repeats while only stale ones remain.
    fn pick_from_pool(&mut self, policy: Policy) -> Option<(usize, Vec<u8>)> {
        if self.evictor.pool_policy != policy {
            self.evictor.pool.clear();
            self.evictor.pool_policy = policy;
        }
        loop {
            let mut total = 0;
            for db in 0..self.db_count() {
                let size = if policy.all_keys() {
                    self.db(db).len()
                } else {
                    self.db(db).expires_len()
                };
                if size > 0 {
                    total += size;
                    self.sample_into_pool(policy, db);
                }
            }
            if total == 0 {
                return None;
            }
            while let Some(c) = self.evictor.pool.pop() {
                let d = self.db(c.db);
                let present = if policy.all_keys() {
                    d.main.contains_key(&c.key)
                } else {
                    d.expires.contains_key(&c.key)
                };
                if present {
                    return Some((c.db, c.key));
                }
            }
        }
    }

    /// Samples `maxmemory-samples` keys of `db` and offers them to the pool.
    fn sample_into_pool(&mut self, policy: Policy, db: usize) {
        let samples = self.config.maxmemory_samples.max(1);
        let (now, lru_clock, decay) = (self.now_ms(), self.lru_clock(), self.config.lfu_decay_time);
        let score_of = |lru: u32| -> u64 {
            match policy {
                Policy::AllKeysLfu | Policy::VolatileLfu => {
                    255 - clock::lfu_decayed_counter(lru, now, decay) as u64
                }
                _ => clock::idle_ms(lru, lru_clock) as u64,
            }
        };
        let mut scored: Vec<(u64, Vec<u8>)> = Vec::with_capacity(samples);
        let d = self.db(db);
        if policy.all_keys() {
            d.main.sample(samples, |e| {
                scored.push((score_of(e.lru), e.key().to_vec()))
            });
        } else {
            d.expires.sample(samples, |e| {
                let score = if policy == Policy::VolatileTtl {
                    u64::MAX - e.at_ms.max(0) as u64
                } else {
                    match d.entry(e.key()) {
                        Some(entry) => score_of(entry.lru),
                        None => return,
                    }
                };
                scored.push((score, e.key().to_vec()));
            });
        }
        for (score, key) in scored {
            self.evictor.offer(score, db, &key);
        }
    }

    /// One random key for the random policies, trying each database in
    /// turn from where the last eviction left off.
    fn pick_random(&mut self, policy: Policy) -> Option<(usize, Vec<u8>)> {
        let dbs = self.db_count();
        for _ in 0..dbs {
            self.evictor.next_db = (self.evictor.next_db + 1) % dbs;
            let d = self.db(self.evictor.next_db);
            let key = if policy.all_keys() {
                d.main.random().map(|e| e.key().to_vec())
            } else {
                d.expires.random().map(|e| e.key().to_vec())
            };
            if let Some(key) = key {
                return Some((self.evictor.next_db, key));
            }
        }
        None
    }

    /// Deletes an evicted key with every side effect of eviction.
    fn delete_evicted(&mut self, db: usize, key: &[u8]) {
        let Some(value) = self.db_mut(db).remove(key) else {
            return;
        };
        self.dispose(value, self.config.lazyfree_lazy_eviction);
        self.stats.evicted_keys += 1;
        self.signal_changed(db, key, true);
        self.notify(notify::EVICTED, "evicted", db, key);
        self.log_eviction(db, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lazyfree::LazyFree;
    use crate::value::Value;

    fn ks(policy: Policy) -> Keyspace {
        let mut k = Keyspace::new(4, LazyFree::start());
        k.set_time(1_000_000_000);
        k.config.maxmemory_policy = policy;
        k.config.maxmemory_samples = 10;
        k.config.lfu = matches!(policy, Policy::AllKeysLfu | Policy::VolatileLfu);
        k
    }

    fn keys(k: &Keyspace, db: usize) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = k.db(db).iter().map(|e| e.key().to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn pool_keeps_the_best_in_order() {
        let mut e = Evictor::default();
        for s in 0..40u64 {
            e.offer((s * 7) % 40, 0, format!("k{s}").as_bytes());
        }
        assert_eq!(e.pool.len(), POOL_SIZE);
        let scores: Vec<u64> = e.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        e.offer(1, 0, b"worse than all");
        assert_eq!(e.pool[0].score, 24);
    }

    #[test]
    fn noeviction_evicts_nothing() {
        let mut k = ks(Policy::NoEviction);
        k.set(0, b"a", Value::string(b"1"), false);
        assert!(!k.evict_one());
        assert_eq!(k.db(0).len(), 1);
    }

    #[test]
    fn lru_evicts_the_idlest_first() {
        let mut k = ks(Policy::AllKeysLru);
        let base = 1_000_000_000;
        for i in 0..5i64 {
            k.set_time(base + i * 10_000);
            k.set(0, format!("k{i}").as_bytes(), Value::string(b"v"), false);
        }
        k.set_time(base + 100_000);
        assert!(k.lookup_read(0, b"k0").is_some());
        assert!(k.evict_one());
        assert!(k.evict_one());
        assert_eq!(
            keys(&k, 0),
            vec![b"k0".to_vec(), b"k3".to_vec(), b"k4".to_vec()]
        );
        assert_eq!(k.stats.evicted_keys, 2);
    }

    #[test]
    fn volatile_policies_spare_keys_without_ttl() {
        for policy in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let mut k = ks(policy);
            k.set(1, b"persistent", Value::string(b"1"), false);
            k.set(2, b"volatile", Value::string(b"1"), false);
            k.set_expire(2, b"volatile", 2_000_000_000);
            assert!(k.evict_one(), "{policy:?}");
            assert!(!k.evict_one(), "{policy:?}");
            assert_eq!(keys(&k, 1), vec![b"persistent".to_vec()]);
            assert!(k.db(2).is_empty());
        }
    }

    #[test]
    fn volatile_ttl_evicts_the_nearest_expiry_first() {
        let mut k = ks(Policy::VolatileTtl);
        for (i, at) in [5, 1, 4, 2, 3].iter().enumerate() {
            let key = format!("k{i}");
            k.set(0, key.as_bytes(), Value::string(b"v"), false);
            k.set_expire(0, key.as_bytes(), 2_000_000_000 + at * 1000);
        }
        assert!(k.evict_one());
        assert!(k.evict_one());
        assert_eq!(
            keys(&k, 0),
            vec![b"k0".to_vec(), b"k2".to_vec(), b"k4".to_vec()]
        );
    }

    #[test]
    fn lfu_evicts_the_least_used_first() {
        let mut k = ks(Policy::AllKeysLfu);
        k.config.lfu_log_factor = 0;
        for i in 0..4 {
            k.set(0, format!("k{i}").as_bytes(), Value::string(b"v"), false);
        }
        for _ in 0..20 {
            for hot in [b"k1", b"k3"] {
                assert!(k.lookup_read(0, hot).is_some());
            }
        }
        assert!(k.evict_one());
        assert!(k.evict_one());
        assert_eq!(keys(&k, 0), vec![b"k1".to_vec(), b"k3".to_vec()]);
    }

    #[test]
    fn eviction_notifies_and_counts() {
        let mut k = ks(Policy::AllKeysRandom);
        k.config.notify_flags = notify::parse_flags(b"Ee").unwrap_or(0);
        k.set(3, b"only", Value::string(b"v"), false);
        assert!(k.evict_one());
        assert!(!k.evict_one());
        let events: Vec<_> = k
            .take_notifications()
            .into_iter()
            .map(|n| (n.event, n.db, n.key))
            .collect();
        assert_eq!(events, vec![("evicted", 3, b"only".to_vec())]);
        assert_eq!(k.stats.evicted_keys, 1);
    }
}
