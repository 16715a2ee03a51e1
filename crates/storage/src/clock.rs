//! Access-time and access-frequency bookkeeping for `OBJECT IDLETIME`,
//! `OBJECT FREQ` and (later) eviction, in Redis's 24-bit formats.
//!
//! Each entry keeps one `u32`: with an LRU policy it holds the LRU clock
//! (seconds, wrapping at 2^24); with an LFU policy it holds the last
//! decrement time in minutes (16 bits) and a logarithmic counter (8 bits).

/// Largest LRU clock value before it wraps.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Milliseconds per LRU clock tick.
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;
/// Counter given to new keys under LFU, so they are not evicted at once.
pub const LFU_INIT_VAL: u8 = 5;

/// The LRU clock at `now_ms`.
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / LRU_CLOCK_RESOLUTION_MS) as u32) & LRU_CLOCK_MAX
}

/// Milliseconds since an entry stamped `lru` was last accessed.
pub fn idle_ms(lru: u32, clock: u32) -> i64 {
    let ticks = if clock >= lru {
        clock - lru
    } else {
        (LRU_CLOCK_MAX - lru) + clock
    };
    ticks as i64 * LRU_CLOCK_RESOLUTION_MS
}

/// The LRU stamp of an entry last accessed `idle_ms` ago at `clock`
/// (loading a snapshot's or RESTORE's idle time).
pub fn lru_for_idle(clock: u32, idle_ms: i64) -> u32 {
    let ticks = (idle_ms.max(0) / LRU_CLOCK_RESOLUTION_MS) as u32 & LRU_CLOCK_MAX;
    if ticks <= clock {
        clock - ticks
    } else {
        LRU_CLOCK_MAX - (ticks - clock)
    }
}

/// Current time in minutes, as stored in the LFU field (16 bits).
pub fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) as u32) & 0xffff
}

/// The LFU field of a brand-new key.
pub fn lfu_initial(now_ms: i64) -> u32 {
    (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL as u32
}

/// The counter of an LFU field after applying decay: one point per
/// `decay_minutes` elapsed since the field was stamped.
pub fn lfu_decayed_counter(field: u32, now_ms: i64, decay_minutes: u32) -> u8 {
    let stamped = field >> 8;
    let counter = (field & 0xff) as u8;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= stamped {
        now - stamped
    } else {
        65535 - stamped + now
    };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods.min(255) as u8)
}

/// Increments a logarithmic counter: the higher it is, the less likely a
/// hit raises it (`lfu-log-factor`).
pub fn lfu_log_incr(counter: u8, log_factor: u32) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if fastrand::f64() < p {
        counter + 1
    } else {
        counter
    }
}

/// The LFU field after one access at `now_ms`.
pub fn lfu_touch(field: u32, now_ms: i64, log_factor: u32, decay_minutes: u32) -> u32 {
    let counter = lfu_log_incr(
        lfu_decayed_counter(field, now_ms, decay_minutes),
        log_factor,
    );
    (lfu_minutes(now_ms) << 8) | counter as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_time_wraps() {
        assert_eq!(idle_ms(10, 15), 5_000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 1, 1), 2_000);
    }

    #[test]
    fn lfu_counts_up_and_decays() {
        let now = 100 * 60_000;
        let mut f = lfu_initial(now);
        for _ in 0..100 {
            f = lfu_touch(f, now, 0, 1);
        }
        assert_eq!(f & 0xff, 105);
        assert_eq!(lfu_decayed_counter(f, now + 10 * 60_000, 1), 95);
    }
}
