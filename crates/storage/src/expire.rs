//! The active expiry cycle: finds and removes expired keys that nobody reads.
//!
//! Lazy expiry alone would let never-read keys (OTP codes, idempotency keys)
//! accumulate. Every server tick the cycle samples keys with a TTL from each
//! database, resuming a SCAN of the expires table where it left off, and
//! keeps going while more than a small share of the sample was expired,
//! within a CPU budget. A fast variant runs between event-loop iterations
//! when the previous cycle ran out of time. Effort scales with
//! `active-expire-effort`, as in Redis.

use crate::keyspace::Keyspace;
use std::time::Instant;

/// Which cycle to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    /// From the server tick: up to ~25% of a tick's time.
    Slow,
    /// Between event-loop iterations: about a millisecond, only when needed.
    Fast,
}

/// Databases visited per call at most.
const DBS_PER_CALL: usize = 16;

impl Keyspace {
    /// Runs one active expiry cycle at `now_ms`; `hz` is the server tick rate.
    pub fn active_expire_cycle(&mut self, kind: CycleKind, now_ms: i64, hz: u32) {
        if self.expiry_paused() {
            return;
        }
        let effort = self.config.active_expire_effort.clamp(1, 10) - 1;
        let keys_per_loop = 20 + 20 / 4 * effort as usize;
        let fast_duration_us = 1000 + 1000 / 4 * effort as u64;
        let slow_time_perc = 25 + 2 * effort as u64;
        let acceptable_stale = 10 - effort as u64;

        if kind == CycleKind::Fast {
            if !self.last_cycle_time_capped
                && self.stats.expired_stale_perc < acceptable_stale as f64
            {
                return;
            }
            if now_ms < self.last_fast_cycle_ms + (fast_duration_us as i64 * 2) / 1000 {
                return;
            }
            self.last_fast_cycle_ms = now_ms;
        }
        let budget_us = match kind {
            CycleKind::Slow => (slow_time_perc * 1_000_000 / hz.max(1) as u64 / 100).max(1),
            CycleKind::Fast => fast_duration_us,
        };
        let start = Instant::now();
        let saved_now = self.now_ms();
        self.set_time(now_ms);

        let dbs = self.db_count();
        let (mut total_sampled, mut total_expired) = (0u64, 0u64);
        let mut capped = false;
        let mut iteration = 0u64;
        'dbs: for _ in 0..DBS_PER_CALL.min(dbs) {
            let db = self.expire_db_cursor % dbs;
            self.expire_db_cursor = self.expire_db_cursor.wrapping_add(1);
            loop {
                iteration += 1;
                let volatile = self.db(db).expires_len();
                if volatile == 0 {
                    self.db_mut(db).avg_ttl_ms = 0;
                    break;
                }
                let num = volatile.min(keys_per_loop);
                let max_buckets = num * 20;
                let (mut sampled, mut checked) = (0usize, 0usize);
                let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
                let mut expired_keys: Vec<Vec<u8>> = Vec::new();
                while sampled < num && checked < max_buckets {
                    let dbref = self.db(db);
                    let cursor = dbref.expire_cursor;
                    let next = dbref.expires.scan(cursor, |e| {
                        sampled += 1;
                        if e.at_ms < now_ms {
                            expired_keys.push(e.key().to_vec());
                        } else {
                            ttl_sum += e.at_ms - now_ms;
                            ttl_samples += 1;
                        }
                    });
                    self.db_mut(db).expire_cursor = next;
                    checked += 1;
                    if next == 0 {
                        break;
                    }
                }
                let expired = expired_keys.len();
                for key in expired_keys {
                    self.delete_expired(db, &key);
                }
                total_sampled += sampled as u64;
                total_expired += expired as u64;
                if ttl_samples > 0 {
                    let avg = ttl_sum / ttl_samples;
                    let d = self.db_mut(db);
                    d.avg_ttl_ms = if d.avg_ttl_ms == 0 {
                        avg
                    } else {
                        (d.avg_ttl_ms / 50) * 49 + avg / 50
                    };
                }
                if iteration.is_multiple_of(16) && start.elapsed().as_micros() as u64 > budget_us {
                    capped = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break 'dbs;
                }
                if sampled == 0 || (expired as u64 * 100 / sampled as u64) <= acceptable_stale {
                    break;
                }
            }
        }
        self.last_cycle_time_capped = capped;
        self.stats.expire_cycle_cpu_milliseconds += start.elapsed().as_millis() as u64;
        let perc = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        self.set_time(saved_now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LazyFree, Value};

    #[test]
    fn removes_unread_expired_keys() {
        let mut ks = Keyspace::new(16, LazyFree::start());
        ks.set_time(1_000);
        for i in 0..1_000 {
            let key = format!("k{i}");
            ks.set(3, key.as_bytes(), Value::string(b"v"), false);
            ks.set_expire(3, key.as_bytes(), if i % 2 == 0 { 1_500 } else { 100_000 });
        }
        for _ in 0..200 {
            ks.active_expire_cycle(CycleKind::Slow, 2_000, 10);
        }
        assert_eq!(ks.db(3).len(), 500);
        assert_eq!(ks.stats.expired_keys, 500);
        assert!(ks.db(3).avg_ttl_ms() > 0);
    }
}
