//! Enforcing `maxmemory` (Redis's `performEvictions`): before a command
//! runs, and from the event loop while a previous attempt ran out of time,
//! evict keys until used memory is under the limit.
//!
//! Which key goes is the storage layer's choice (`lodestone_storage::evict`);
//! this module measures memory ([`crate::memory::UsedMemory`]), bounds the
//! time spent (`maxmemory-eviction-tenacity`), keeps evicting on later
//! event-loop iterations when the budget ran out, and keeps the statistics
//! (`total_eviction_exceeded_time`, `current_eviction_exceeded_time`).
//!
//! Not implemented: client eviction (`maxmemory-clients`, `CLIENT
//! NO-EVICT`); replication and AOF buffers, which Redis leaves out of the
//! count, do not exist here, so nothing is left out.

use crate::server::Server;
use std::time::Instant;

/// Keys evicted between checks of the clock.
const KEYS_PER_CHECK: u64 = 16;

/// Where eviction stands after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under the limit (or eviction is not allowed right now).
    Ok,
    /// Still over the limit, but the time budget ran out: the event loop
    /// keeps evicting. Commands are not refused meanwhile.
    Running,
    /// Over the limit with nothing left to evict: `denyoom` commands are
    /// refused.
    Fail,
}

/// Eviction state kept between attempts.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// The event loop must keep evicting (Redis's eviction time proc).
    pub running: bool,
    /// Since when memory has been over the limit, while it is.
    pub exceeded_since: Option<Instant>,
    /// Time spent over the limit in past episodes (µs).
    pub exceeded_total_us: u64,
}

impl EvictionState {
    /// Milliseconds over the limit in the current episode, and in all
    /// episodes including the current one (INFO's
    /// `current_eviction_exceeded_time`, `total_eviction_exceeded_time`).
    pub fn exceeded_ms(&self) -> (u64, u64) {
        let current = self
            .exceeded_since
            .map_or(0, |t| t.elapsed().as_micros() as u64);
        (current / 1000, (self.exceeded_total_us + current) / 1000)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        self.exceeded_since = None;
        self.exceeded_total_us = 0;
    }
}

/// The time one eviction attempt may take for a tenacity (0-100), as
/// Redis's `evictionTimeLimitUs`: linear up to 500 µs at 10, then growing
/// 15% per step (about two minutes at 99), unlimited at 100.
pub fn time_limit_us(tenacity: i64) -> u64 {
    let t = tenacity.clamp(0, 100);
    if t <= 10 {
        50 * t as u64
    } else if t < 100 {
        (500.0 * 1.15f64.powi(t as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

impl Server {
    /// Whether used memory is over `max`, re-reading the allocator when the
    /// cheap estimate says "over" but the lazyfree thread freed objects the
    /// estimate may not have seen.
    fn over_limit(&mut self, max: u64) -> bool {
        if self.estimated_used_memory() <= max {
            return false;
        }
        if self.used_memory.missed_frees(&self.lazyfree_figures()) {
            self.refresh_memory();
            return self.estimated_used_memory() > max;
        }
        true
    }

    /// Evicts keys until used memory is under `maxmemory`, within the time
    /// budget (Redis's `performEvictions`). Call only with `maxmemory` set.
    pub fn perform_evictions(&mut self) -> EvictResult {
        let max = self.rt.maxmemory;
        // Like Redis: nothing moves while CLIENT PAUSE holds writes (the
        // dataset must stay static), nor while a busy script yields.
        if max == 0 || self.pause.is_some() || self.busy_script.is_some() {
            return EvictResult::Ok;
        }
        let result = self.evict_until_under(max);
        match result {
            EvictResult::Ok => {
                if let Some(since) = self.eviction.exceeded_since.take() {
                    self.eviction.exceeded_total_us += since.elapsed().as_micros() as u64;
                }
            }
            EvictResult::Running | EvictResult::Fail => {
                self.eviction
                    .exceeded_since
                    .get_or_insert_with(Instant::now);
            }
        }
        result
    }

    fn evict_until_under(&mut self, max: u64) -> EvictResult {
        if !self.over_limit(max) {
            return EvictResult::Ok;
        }
        let start = Instant::now();
        let limit_us = self.rt.eviction_time_limit_us;
        self.engine.shards_mut()[0].set_time(crate::server::unix_ms());
        let mut evicted = 0u64;
        let result = loop {
            let started_at = Instant::now();
            // One shard today; with several, each would evict in turn.
            if !self.engine.shards_mut()[0].evict_one() {
                break EvictResult::Fail;
            }
            self.latency_sample("eviction-del", started_at);
            evicted += 1;
            if evicted.is_multiple_of(KEYS_PER_CHECK)
                && start.elapsed().as_micros() as u64 > limit_us
            {
                self.eviction.running = true;
                break EvictResult::Running;
            }
            if !self.over_limit(max) {
                break EvictResult::Ok;
            }
        };
        let result = if result == EvictResult::Fail {
            self.wait_for_lazyfree(max, start, limit_us)
        } else {
            result
        };
        self.latency_sample("eviction-cycle", start);
        self.publish_keyspace_notifications();
        self.propagate_evictions();
        result
    }

    /// Sends the keys just evicted to the AOF and replicas, each as a DEL
    /// (UNLINK with `lazyfree-lazy-eviction`) of its own, as Redis's
    /// `propagateDeletion`: they do not evict by themselves.
    fn propagate_evictions(&mut self) {
        for ks in self.engine.shards_mut() {
            let lazy = ks.config.lazyfree_lazy_eviction;
            for (db, key) in ks.take_evicted() {
                let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
                self.effects
                    .record(db, &[del, &key], crate::propagate::TARGET_ALL);
                self.effects.end_unit(false);
            }
        }
        self.feed_replicas();
    }

    /// Nothing left to evict: values still queued for the lazyfree thread
    /// may bring memory under the limit, so wait for them briefly (within
    /// the same time budget), as Redis does.
    fn wait_for_lazyfree(&mut self, max: u64, start: Instant, limit_us: u64) -> EvictResult {
        let started_at = Instant::now();
        let mut result = EvictResult::Fail;
        let pending = |s: &Server| {
            s.engine
                .shards()
                .iter()
                .any(|ks| ks.lazyfree().pending() > 0)
        };
        while pending(self) && (start.elapsed().as_micros() as u64) < limit_us {
            if !self.over_limit(max) {
                result = EvictResult::Ok;
                break;
            }
            let pause_us = limit_us.min(1000);
            std::thread::sleep(std::time::Duration::from_micros(pause_us));
        }
        self.latency_sample("eviction-lazyfree", started_at);
        result
    }

    /// The event loop's share: keeps evicting while an earlier attempt ran
    /// out of time (Redis's `evictionTimeProc`).
    pub fn eviction_proc(&mut self) {
        if !self.eviction.running {
            return;
        }
        if self.rt.maxmemory == 0 || self.perform_evictions() != EvictResult::Running {
            self.eviction.running = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_to_time_limit() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!((100_000_000..130_000_000).contains(&time_limit_us(99)));
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}
