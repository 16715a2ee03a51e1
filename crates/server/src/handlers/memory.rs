//! The MEMORY family: what a key costs (USAGE), where the server's memory
//! goes (STATS, DOCTOR) and the allocator's own view (MALLOC-STATS, PURGE).
//!
//! Figures are Lodestone's own: a key's cost is what its table node, key
//! and value really take from jemalloc, rounded to jemalloc's size classes
//! as Redis's `zmalloc_size` does; overheads are the same ones INFO memory
//! reports.

use super::info::MemoryOverhead;
use super::{reply, ServerHandler};
use crate::memory::rss_bytes;
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_storage::db::ExpireEntry;
use lodestone_storage::{KeyEntry, Value};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("memory|usage", usage),
    ("memory|stats", stats),
    ("memory|doctor", doctor),
    ("memory|malloc-stats", malloc_stats),
    ("memory|purge", purge),
    ("memory|help", help),
];

/// The bytes jemalloc really hands out for a request of `size` bytes.
pub fn alloc_size(size: usize) -> usize {
    if size == 0 {
        return 0;
    }
    // SAFETY: nallocx only computes a size class; 0 flags is always valid.
    unsafe { tikv_jemalloc_sys::nallocx(size, 0) }
}

/// Bytes of one main-table node: the entry and the chain link.
fn node_bytes() -> usize {
    alloc_size(std::mem::size_of::<KeyEntry>() + std::mem::size_of::<usize>())
}

/// Bytes of one expires-table node.
fn expire_node_bytes() -> usize {
    alloc_size(std::mem::size_of::<ExpireEntry>() + std::mem::size_of::<usize>())
}

/// Heap bytes a value owns beyond its place in the entry.
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Raw(v) => alloc_size(std::mem::size_of::<Vec<u8>>()) + alloc_size(v.capacity()),
        other => alloc_size(other.heap_size()),
    }
}

/// `MEMORY USAGE key [SAMPLES count]`: the bytes the key and its value
/// take, or null for a missing key. Logically expired keys still count
/// until removed, as in Redis. Strings have no nested values to sample,
/// so SAMPLES is only validated.
fn usage(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "samples") && i + 1 < args.len() {
            let n = parse_i64(args[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(db) = s.clients.get(key).map(|c| c.db) else {
        return Ok(());
    };
    let name = args[2];
    let bytes = s.engine.shard_for(name).db(db).entry(name).map(|e| {
        let key_heap = if name.len() > lodestone_storage::bytes::INLINE_CAP {
            alloc_size(name.len())
        } else {
            0
        };
        node_bytes() + key_heap + value_bytes(&e.value)
    });
    reply(s, key, |r| match bytes {
        Some(b) => r.int(b as i64),
        None => r.null(),
    });
    Ok(())
}

/// Where the memory goes, as Redis's `getMemoryOverheadData` reports it.
struct Report {
    peak: u64,
    used: u64,
    overhead: MemoryOverhead,
    /// `(db, main table bytes, expires table bytes)` of non-empty databases.
    dbs: Vec<(usize, u64, u64)>,
    keys: u64,
    allocated: u64,
    active: u64,
    resident: u64,
    rss: u64,
}

impl Report {
    fn measure(s: &mut Server) -> Report {
        let alloc = s.refresh_memory();
        let used = alloc.used;
        let mut dbs = Vec::new();
        let mut keys = 0;
        for n in 0..s.engine.db_count() {
            let (mut main, mut expires, mut count) = (0u64, 0u64, 0u64);
            for ks in s.engine.shards() {
                let db = ks.db(n);
                let (main_buckets, expire_buckets) = db.table_sizes();
                let link = std::mem::size_of::<usize>();
                main += (main_buckets * link + db.len() * node_bytes()) as u64;
                expires += (expire_buckets * link + db.expires_len() * expire_node_bytes()) as u64;
                count += db.len() as u64;
            }
            if count > 0 {
                dbs.push((n, main, expires));
                keys += count;
            }
        }
        Report {
            peak: s.stats.peak_memory,
            used,
            overhead: MemoryOverhead::measure(s, used),
            dbs,
            keys,
            allocated: alloc.allocated,
            active: alloc.active,
            resident: alloc.resident,
            rss: rss_bytes(),
        }
    }

    /// Allocated bytes beyond the startup ones (at least 1).
    fn net(&self) -> u64 {
        self.used
            .checked_sub(self.overhead.startup)
            .filter(|&n| n > 0)
            .unwrap_or(1)
    }
}

/// `a / b` computed in single precision, as Redis's `float` ratios are.
fn ratio(a: u64, b: u64) -> f64 {
    (a as f32 / b as f32) as f64
}

/// `a - b` as Redis's unsigned subtraction read back as a signed number.
fn diff(a: u64, b: u64) -> i64 {
    a.wrapping_sub(b) as i64
}

/// `MEMORY STATS`: a map of memory figures.
fn stats(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let m = Report::measure(s);
    let oh = &m.overhead;
    reply(s, key, |r| {
        r.map(27 + m.dbs.len());
        let int = |r: &mut lodestone_protocol::Reply, name: &str, v: i64| {
            r.bulk(name.as_bytes());
            r.int(v);
        };
        int(r, "peak.allocated", m.peak as i64);
        int(r, "total.allocated", m.used as i64);
        int(r, "startup.allocated", oh.startup as i64);
        int(r, "replication.backlog", 0);
        int(r, "clients.slaves", 0);
        int(r, "clients.normal", oh.clients_normal as i64);
        int(r, "cluster.links", 0);
        int(r, "aof.buffer", 0);
        int(r, "lua.caches", 0);
        int(r, "functions.caches", 0);
        for &(n, main, expires) in &m.dbs {
            r.bulk(format!("db.{n}").as_bytes());
            r.map(3);
            int(r, "overhead.hashtable.main", main as i64);
            int(r, "overhead.hashtable.expires", expires as i64);
            int(r, "overhead.hashtable.slot-to-keys", 0);
        }
        int(r, "overhead.total", oh.total as i64);
        int(r, "keys.count", m.keys as i64);
        int(
            r,
            "keys.bytes-per-key",
            m.net().checked_div(m.keys).unwrap_or(0) as i64,
        );
        int(r, "dataset.bytes", oh.dataset() as i64);
        let double = |r: &mut lodestone_protocol::Reply, name: &str, v: f64| {
            r.bulk(name.as_bytes());
            r.double(v);
        };
        double(
            r,
            "dataset.percentage",
            (oh.dataset() as f32 * 100.0 / m.net() as f32) as f64,
        );
        double(
            r,
            "peak.percentage",
            (m.used as f32 * 100.0 / m.peak as f32) as f64,
        );
        int(r, "allocator.allocated", m.allocated as i64);
        int(r, "allocator.active", m.active as i64);
        int(r, "allocator.resident", m.resident as i64);
        double(
            r,
            "allocator-fragmentation.ratio",
            ratio(m.active, m.allocated),
        );
        int(
            r,
            "allocator-fragmentation.bytes",
            diff(m.active, m.allocated),
        );
        double(r, "allocator-rss.ratio", ratio(m.resident, m.active));
        int(r, "allocator-rss.bytes", diff(m.resident, m.active));
        double(r, "rss-overhead.ratio", ratio(m.rss, m.resident));
        int(r, "rss-overhead.bytes", diff(m.rss, m.resident));
        double(r, "fragmentation", ratio(m.rss, m.used));
        int(r, "fragmentation.bytes", diff(m.rss, m.used));
    });
    Ok(())
}

/// Limits MEMORY DOCTOR judges by.
const EMPTY_BELOW: u64 = 5 * 1024 * 1024;
const BIG_BYTES: i64 = 10 << 20;
const BIG_CLIENT_BUFFERS: u64 = 200 * 1024;

/// `MEMORY DOCTOR`: Redis's report on memory problems.
fn doctor(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let m = Report::measure(s);
    let clients = s.clients.len().max(1) as u64;
    let mut findings: Vec<&str> = Vec::new();
    let empty = m.used < EMPTY_BELOW;
    if !empty {
        if ratio(m.peak, m.used) > 1.5 {
            findings.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
        }
        if ratio(m.rss, m.used) > 1.4 && diff(m.rss, m.used) > BIG_BYTES {
            findings.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n");
        }
        if ratio(m.active, m.allocated) > 1.1 && diff(m.active, m.allocated) > BIG_BYTES {
            findings.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
        }
        if ratio(m.resident, m.active) > 1.1 && diff(m.resident, m.active) > BIG_BYTES {
            findings.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
        }
        if ratio(m.rss, m.resident) > 1.1 && diff(m.rss, m.resident) > BIG_BYTES {
            findings.push(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
        }
        if m.overhead.clients_normal / clients > BIG_CLIENT_BUFFERS {
            findings.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
        }
    }
    let text = if empty {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string()
    } else if findings.is_empty() {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string()
    } else {
        let mut t = String::from(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n",
        );
        for f in findings {
            t.push_str(f);
        }
        t.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
        t
    };
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// Appends each piece of jemalloc's report to the `Vec<u8>` behind `out`.
unsafe extern "C" fn collect_stats(out: *mut std::ffi::c_void, text: *const std::ffi::c_char) {
    if out.is_null() || text.is_null() {
        return;
    }
    // SAFETY: `out` is the `Vec<u8>` passed to malloc_stats_print below,
    // alive and exclusively ours for the call; jemalloc passes a
    // NUL-terminated string.
    unsafe {
        let buf = &mut *(out as *mut Vec<u8>);
        buf.extend_from_slice(std::ffi::CStr::from_ptr(text).to_bytes());
    }
}

/// `MEMORY MALLOC-STATS`: jemalloc's statistics report.
fn malloc_stats(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let mut text: Vec<u8> = Vec::new();
    // SAFETY: the callback only appends to `text`, which outlives the call;
    // a null options string asks for the default report.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(collect_stats),
            &mut text as *mut Vec<u8> as *mut std::ffi::c_void,
            std::ptr::null(),
        );
    }
    reply(s, key, |r| r.verbatim("txt", &text));
    Ok(())
}

/// Returns the unused pages of every arena to the system (MEMORY PURGE,
/// and after a synchronous FLUSHALL or FLUSHDB, as Redis does).
pub(crate) fn purge_arenas() -> bool {
    let mut narenas: u32 = 0;
    let mut size = std::mem::size_of::<u32>();
    // SAFETY: reads an unsigned into a buffer of its exact size; the name
    // is NUL-terminated.
    let read = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arenas.narenas".as_ptr(),
            &mut narenas as *mut u32 as *mut std::ffi::c_void,
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if read != 0 {
        return false;
    }
    let Ok(name) = std::ffi::CString::new(format!("arena.{narenas}.purge")) else {
        return false;
    };
    // SAFETY: a void control called without input or output buffers.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        ) == 0
    }
}

/// `MEMORY PURGE`
fn purge(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    if !purge_arenas() {
        return Err(CmdError::MemoryPurgeFailed);
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `MEMORY HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    ];
    reply(s, key, |r| reply_help(r, "MEMORY", LINES));
    Ok(())
}
