//! Memory figures from the allocator (jemalloc), for INFO memory and
//! `maxmemory`.
//!
//! `used_memory` is what the application holds: jemalloc's
//! `stats.allocated` minus the bytes parked in thread caches (freed by the
//! application, not yet returned to the arenas; `stats.allocated` counts
//! them as allocated). Reading it needs an `epoch` advance that merges
//! every arena's statistics, which costs tens of microseconds (see
//! `examples/memory_check_cost.rs`) — far too much before every command.
//! [`UsedMemory`] therefore reads it only now and then and follows the
//! event-loop thread's own allocations in between through jemalloc's
//! per-thread cumulative counters, which are plain loads.
//!
//! Values handed to the lazyfree thread count as freed at once, by their
//! estimated size: the thread may take a while, and eviction would
//! otherwise keep evicting while it works. Objects handed over without a
//! size (whole databases) are invisible to the estimate until the next
//! reading, so a check that finds the limit exceeded re-reads the
//! allocator when the thread freed something since the last reading.

use crate::server::Server;
use tikv_jemalloc_ctl::thread::{allocatedp, deallocatedp, ThreadLocal};

/// Allocator statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryStats {
    /// Bytes held by the application (Redis's `used_memory`).
    pub used: u64,
    /// Bytes allocated as jemalloc counts them (thread caches included).
    pub allocated: u64,
    /// Bytes in active pages.
    pub active: u64,
    /// Bytes of physically resident allocator memory.
    pub resident: u64,
    /// Bytes mapped from the OS by the allocator.
    pub mapped: u64,
    /// Bytes retained by the allocator.
    pub retained: u64,
}

/// Reads fresh allocator statistics.
pub fn allocator_stats() -> MemoryStats {
    use tikv_jemalloc_ctl::{epoch, raw, stats};
    let _ = epoch::advance();
    let allocated = stats::allocated::read().unwrap_or(0) as u64;
    // SAFETY: the name is NUL-terminated and the control's type is size_t.
    let cached: usize =
        unsafe { raw::read(b"stats.arenas.4096.tcache_bytes\0") }.unwrap_or_default();
    MemoryStats {
        used: allocated.saturating_sub(cached as u64),
        allocated,
        active: stats::active::read().unwrap_or(0) as u64,
        resident: stats::resident::read().unwrap_or(0) as u64,
        mapped: stats::mapped::read().unwrap_or(0) as u64,
        retained: stats::retained::read().unwrap_or(0) as u64,
    }
}

thread_local! {
    /// This thread's cumulative allocated and deallocated byte counters.
    static THREAD_COUNTERS: Option<(ThreadLocal<u64>, ThreadLocal<u64>)> =
        allocatedp::read().ok().zip(deallocatedp::read().ok());
}

/// Bytes this thread allocated minus bytes it freed, since it started
/// (wrapping: a thread may free more than it allocated).
fn thread_net() -> u64 {
    THREAD_COUNTERS.with(|c| c.map_or(0, |(a, d)| a.get().wrapping_sub(d.get())))
}

/// What the lazyfree threads report, for [`UsedMemory`].
#[derive(Clone, Copy, Debug, Default)]
pub struct LazyFreeFigures {
    /// Objects freed so far (changes when the thread did anything).
    pub freed_objects: u64,
    /// Bytes ever handed over with a size (monotonic).
    pub queued_bytes: u64,
    /// Bytes handed over and not yet freed.
    pub pending_bytes: u64,
}

/// Used memory as `maxmemory` sees it, cheap enough to read before every
/// command (see the module documentation). Belongs to the event-loop
/// thread: only that thread's allocations are followed between reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct UsedMemory {
    /// `used_memory` at the last read of the allocator, less the bytes
    /// then waiting for the lazyfree thread.
    base: u64,
    /// [`thread_net`] at that read.
    thread_at: u64,
    /// The lazyfree figures at that read.
    lazyfree_at: LazyFreeFigures,
}

impl UsedMemory {
    /// Reads the allocator now (an `epoch` advance) and restarts following
    /// this thread from there. Returns the fresh statistics.
    pub fn refresh(&mut self, lazyfree: LazyFreeFigures) -> MemoryStats {
        let stats = allocator_stats();
        self.base = stats.used.saturating_sub(lazyfree.pending_bytes);
        self.thread_at = thread_net();
        self.lazyfree_at = lazyfree;
        stats
    }

    /// Used memory now: the last reading, plus what this thread allocated
    /// and freed since, less what it handed to the lazyfree thread since
    /// (`queued_bytes` is that thread's current total).
    pub fn estimate(&self, queued_bytes: u64) -> u64 {
        let delta = thread_net().wrapping_sub(self.thread_at) as i64;
        let handed_over = queued_bytes.saturating_sub(self.lazyfree_at.queued_bytes);
        self.base
            .saturating_add_signed(delta)
            .saturating_sub(handed_over)
    }

    /// True when the lazyfree thread freed objects since the last reading,
    /// which the estimate may not have seen (see the module documentation).
    pub fn missed_frees(&self, lazyfree: &LazyFreeFigures) -> bool {
        lazyfree.freed_objects != self.lazyfree_at.freed_objects
    }
}

/// Resident set size of the process from /proc (0 if unavailable).
pub fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(1) as u64
}

impl Server {
    /// The lazyfree threads' figures, summed over shards.
    pub fn lazyfree_figures(&self) -> LazyFreeFigures {
        let mut f = LazyFreeFigures::default();
        for ks in self.engine.shards() {
            let lf = ks.lazyfree();
            f.freed_objects += lf.freed();
            f.queued_bytes += lf.queued_bytes();
            f.pending_bytes += lf.pending_bytes();
        }
        f
    }

    /// Used memory now, as [`UsedMemory::estimate`] sees it.
    pub fn estimated_used_memory(&self) -> u64 {
        let queued: u64 = self
            .engine
            .shards()
            .iter()
            .map(|ks| ks.lazyfree().queued_bytes())
            .sum();
        self.used_memory.estimate(queued)
    }

    /// Reads the allocator, restarts [`UsedMemory`] from the reading and
    /// updates the peak statistic. Returns the fresh statistics.
    pub fn refresh_memory(&mut self) -> MemoryStats {
        let lazyfree = self.lazyfree_figures();
        let stats = self.used_memory.refresh(lazyfree);
        if stats.used > self.stats.peak_memory {
            self.stats.peak_memory = stats.used;
            self.stats.peak_time_ms = self.now_ms;
        }
        stats
    }
}
