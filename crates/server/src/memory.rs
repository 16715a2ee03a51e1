//! Memory figures from the allocator (jemalloc), for INFO memory and
//! (later) maxmemory.

use crate::server::Server;

/// Allocator statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryStats {
    /// Bytes allocated by the server (Redis's `used_memory`).
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
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    MemoryStats {
        allocated: stats::allocated::read().unwrap_or(0) as u64,
        active: stats::active::read().unwrap_or(0) as u64,
        resident: stats::resident::read().unwrap_or(0) as u64,
        mapped: stats::mapped::read().unwrap_or(0) as u64,
        retained: stats::retained::read().unwrap_or(0) as u64,
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

/// Updates the peak memory statistic (called every tick).
pub fn update_peak(server: &mut Server) {
    let used = allocator_stats().allocated;
    if used > server.stats.peak_memory {
        server.stats.peak_memory = used;
        server.stats.peak_time_ms = server.now_ms;
    }
}
