//! `INFO [section ...]`: the server's state as `field:value` lines grouped
//! in `# Section` blocks, with Redis 7.2's section names, field names and
//! field order, because monitoring tools, client libraries and
//! `redis-cli --stat` parse it.
//!
//! Fields for features Lodestone does not have (replication, active
//! defrag, cluster) are present with
//! the values Redis reports when those features are idle, so parsers find
//! every field they expect.

use super::connection::REDIS_VERSION;
use super::{reply, ServerHandler};
use crate::client::flags;
use crate::server::Server;
use lodestone_commands::CmdResult;
use std::collections::HashSet;
use std::fmt::{Display, Write};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[("info", info)];

/// Sections of a bare `INFO` (and of `INFO default`).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// `INFO [section ...]`
fn info(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let selection = Selection::parse(&args[1..]);
    let text = render(s, key, &selection);
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// Which sections an INFO call asked for.
struct Selection {
    /// `all` or `everything`: every section except `debug`.
    all: bool,
    /// Section names asked for, lower case.
    names: HashSet<String>,
}

impl Selection {
    /// Interprets INFO's arguments: no argument means the default sections;
    /// `default`, `all` and `everything` may be mixed with section names.
    fn parse(args: &[&[u8]]) -> Selection {
        let mut sel = Selection {
            all: false,
            names: HashSet::new(),
        };
        if args.is_empty() {
            sel.names
                .extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
            return sel;
        }
        for a in args {
            let name = String::from_utf8_lossy(a).to_ascii_lowercase();
            match name.as_str() {
                "default" => sel
                    .names
                    .extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
                "all" | "everything" => sel.all = true,
                _ => {
                    sel.names.insert(name);
                }
            }
        }
        sel
    }

    fn wants(&self, section: &str) -> bool {
        self.all || self.names.contains(section)
    }
}

/// Writes the fields of one section; gets the caller's slab key.
type SectionWriter = fn(&mut Server, usize, &mut String);

/// Builds the INFO text of the selected sections.
fn render(s: &mut Server, key: usize, sel: &Selection) -> String {
    let mut out = String::with_capacity(4096);
    let mut sections: Vec<(&str, SectionWriter)> = Vec::new();
    let all_sections: [(&str, &str, SectionWriter); 13] = [
        ("server", "Server", server_section),
        ("clients", "Clients", clients_section),
        ("memory", "Memory", memory_section),
        ("persistence", "Persistence", persistence_section),
        ("stats", "Stats", stats_section),
        ("replication", "Replication", replication_section),
        ("cpu", "CPU", cpu_section),
        ("module_list", "Modules", |_, _, _| {}),
        ("commandstats", "Commandstats", commandstats_section),
        ("errorstats", "Errorstats", errorstats_section),
        ("latencystats", "Latencystats", latencystats_section),
        ("cluster", "Cluster", |_, _, out| {
            field(out, "cluster_enabled", 0)
        }),
        ("keyspace", "Keyspace", keyspace_section),
    ];
    for (name, title, f) in all_sections {
        // `modules` is another name of the module list section.
        if sel.wants(name) || (name == "module_list" && sel.names.contains("modules")) {
            sections.push((title, f));
        }
    }
    // The debug section only appears when asked for by name.
    if sel.names.contains("debug") {
        sections.push(("Debug", debug_section));
    }
    for (i, (title, f)) in sections.into_iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let _ = write!(out, "# {title}\r\n");
        f(s, key, &mut out);
    }
    out
}

/// Appends one `name:value` line.
fn field(out: &mut String, name: &str, value: impl Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// Replaces the characters that would break INFO's line format in names
/// taken from commands and errors.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(c, '#' | ':' | '\n' | '\r') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// `100B`, `2.00K`, `1.50M`... as Redis's `bytesToHuman`.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut scale = 1024f64;
    for unit in UNITS {
        if (n as f64) < scale * 1024.0 {
            return format!("{:.2}{unit}", n as f64 / scale);
        }
        scale *= 1024.0;
    }
    format!("{n}B")
}

fn server_section(s: &mut Server, _key: usize, out: &mut String) {
    let uptime = s.started.elapsed().as_secs();
    let (sysname, release, machine) = uname();
    field(out, "redis_version", REDIS_VERSION);
    field(out, "lodestone_version", env!("CARGO_PKG_VERSION"));
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_build_id", build_id());
    field(out, "redis_mode", "standalone");
    field(out, "os", format!("{sysname} {release} {machine}"));
    field(out, "arch_bits", usize::BITS);
    field(out, "monotonic_clock", "POSIX clock_gettime");
    field(out, "multiplexing_api", "epoll");
    field(out, "atomicvar_api", "c11-builtin");
    // Not built by GCC: Redis prints zeros then.
    field(out, "gcc_version", "0.0.0");
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &s.run_id);
    field(out, "tcp_port", s.port);
    field(out, "server_time_usec", crate::server::unix_us());
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / 86400);
    field(out, "hz", s.rt.hz);
    field(out, "configured_hz", s.config.int("hz"));
    field(
        out,
        "lru_clock",
        lodestone_storage::clock::lru_clock(crate::server::unix_ms()),
    );
    let exe = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    field(out, "executable", exe);
    let config_file = s.config.file.as_ref().map_or(String::new(), |p| {
        std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.clone())
            .to_string_lossy()
            .into_owned()
    });
    field(out, "config_file", config_file);
    field(out, "io_threads_active", 0);
    let mut listener = String::from("name=tcp");
    for addr in s.config.str("bind").split_whitespace() {
        let _ = write!(listener, ",bind={addr}");
    }
    let _ = write!(listener, ",port={}", s.port);
    field(out, "listener0", listener);
}

/// A stable identifier of this build (Redis hashes its build settings).
fn build_id() -> String {
    let text = format!(
        "{}{}-{}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    // FNV-1a: stable across runs and toolchains, unlike std's hasher.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Operating system name, release and machine, as `uname -srm`.
fn uname() -> (String, String, String) {
    // SAFETY: uname(2) fills the zeroed struct with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Default::default();
    }
    let text = |f: &[libc::c_char]| -> String {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (text(&u.sysname), text(&u.release), text(&u.machine))
}

fn clients_section(s: &mut Server, key: usize, out: &mut String) {
    let mut max_in = 0;
    let mut max_out = 0;
    let mut blocked = 0;
    let mut with_timeout = 0;
    for (k, c) in s.clients.iter() {
        let input = if k == key {
            c.running_input.1
        } else {
            c.input.buf.capacity()
        };
        max_in = max_in.max(input.max(c.input_peak));
        max_out = max_out.max(super::client::output_list_bytes(c));
        if c.has(flags::BLOCKED) {
            blocked += 1;
        }
        if c.blocked.as_ref().is_some_and(|b| b.deadline_ms.is_some()) {
            with_timeout += 1;
        }
    }
    let blocking_keys: usize = s
        .engine
        .shards()
        .iter()
        .map(|ks| ks.blocking_key_count())
        .sum();
    field(out, "connected_clients", s.clients.len());
    field(out, "cluster_connections", 0);
    field(out, "maxclients", s.rt.maxclients);
    field(out, "client_recent_max_input_buffer", max_in);
    field(out, "client_recent_max_output_buffer", max_out);
    field(out, "blocked_clients", blocked + s.paused_client_count());
    field(out, "tracking_clients", s.tracking.clients);
    field(out, "clients_in_timeout_table", with_timeout);
    field(out, "total_blocking_keys", blocking_keys);
    field(
        out,
        "total_blocking_keys_on_nokey",
        blocking_keys_on_nokey(s),
    );
}

/// Where the allocated memory goes, as Redis's `getMemoryOverheadData`.
pub struct MemoryOverhead {
    /// Bytes allocated now.
    pub used: u64,
    /// Bytes allocated when the server became ready.
    pub startup: u64,
    /// Output and input buffers and state of normal and Pub/Sub clients.
    pub clients_normal: u64,
    /// Hash tables of the databases (not the keys and values).
    pub db_tables: u64,
    /// Everything that is not the dataset.
    pub total: u64,
}

impl MemoryOverhead {
    /// Measures the server now.
    pub fn measure(s: &Server, used: u64) -> MemoryOverhead {
        let clients_normal: u64 = s
            .clients
            .iter()
            .map(|(_, c)| super::client::memory_usage(c) as u64)
            .sum();
        let db_tables: u64 = s
            .engine
            .shards()
            .iter()
            .flat_map(|ks| (0..ks.db_count()).map(move |i| ks.db(i)))
            .filter(|db| !db.is_empty())
            .map(|db| db.overhead_bytes() as u64)
            .sum();
        let startup = s.stats.startup_memory;
        MemoryOverhead {
            used,
            startup,
            clients_normal,
            db_tables,
            total: startup + clients_normal + db_tables,
        }
    }

    /// Bytes of keys and values.
    pub fn dataset(&self) -> u64 {
        self.used.saturating_sub(self.total)
    }
}

/// `a / b` as Redis prints ratios (`%.2f`), 0 when `b` is 0.
fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "0.00".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

/// `a - b` as a signed byte count.
fn diff(a: u64, b: u64) -> i64 {
    a as i64 - b as i64
}

fn memory_section(s: &mut Server, _key: usize, out: &mut String) {
    let alloc = s.refresh_memory();
    let used = alloc.used;
    let peak = s.stats.peak_memory;
    let rss = crate::memory::rss_bytes();
    let oh = MemoryOverhead::measure(s, used);
    let net = used.checked_sub(oh.startup).filter(|&n| n > 0).unwrap_or(1);
    let system = system_memory();
    let maxmemory = s.config.int("maxmemory").max(0) as u64;
    field(out, "used_memory", used);
    field(out, "used_memory_human", bytes_to_human(used));
    field(out, "used_memory_rss", rss);
    field(out, "used_memory_rss_human", bytes_to_human(rss));
    field(out, "used_memory_peak", peak);
    field(out, "used_memory_peak_human", bytes_to_human(peak));
    field(
        out,
        "used_memory_peak_perc",
        format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
    );
    field(out, "used_memory_overhead", oh.total);
    field(out, "used_memory_startup", oh.startup);
    field(out, "used_memory_dataset", oh.dataset());
    field(
        out,
        "used_memory_dataset_perc",
        format!("{:.2}%", oh.dataset() as f64 * 100.0 / net as f64),
    );
    field(out, "allocator_allocated", alloc.allocated);
    field(out, "allocator_active", alloc.active);
    field(out, "allocator_resident", alloc.resident);
    field(out, "total_system_memory", system);
    field(out, "total_system_memory_human", bytes_to_human(system));
    // The EVAL interpreter and its script cache, then the functions
    // interpreter and its libraries.
    let (lua, scripts_eval, cached) = s.scripting.as_ref().map_or((0, 0, 0), |e| {
        (
            e.lua_memory() as u64,
            e.scripts_memory as u64,
            e.scripts.len(),
        )
    });
    let libs = &s.functions.libs;
    let vm_functions = s.functions.engine.as_ref().map_or(0, |e| e.lua_memory()) as u64;
    let functions = libs.memory() as u64;
    field(out, "used_memory_lua", lua);
    field(out, "used_memory_vm_eval", lua);
    field(out, "used_memory_lua_human", bytes_to_human(lua));
    field(out, "used_memory_scripts_eval", scripts_eval);
    field(out, "number_of_cached_scripts", cached);
    field(out, "number_of_functions", libs.function_count());
    field(out, "number_of_libraries", libs.library_count());
    field(out, "used_memory_vm_functions", vm_functions);
    field(out, "used_memory_vm_total", lua + vm_functions);
    field(
        out,
        "used_memory_vm_total_human",
        bytes_to_human(lua + vm_functions),
    );
    field(out, "used_memory_functions", functions);
    field(out, "used_memory_scripts", scripts_eval + functions);
    field(
        out,
        "used_memory_scripts_human",
        bytes_to_human(scripts_eval + functions),
    );
    field(out, "maxmemory", maxmemory);
    field(out, "maxmemory_human", bytes_to_human(maxmemory));
    field(
        out,
        "maxmemory_policy",
        s.config.enum_name("maxmemory-policy"),
    );
    field(
        out,
        "allocator_frag_ratio",
        ratio(alloc.active, alloc.allocated),
    );
    field(
        out,
        "allocator_frag_bytes",
        diff(alloc.active, alloc.allocated),
    );
    field(
        out,
        "allocator_rss_ratio",
        ratio(alloc.resident, alloc.active),
    );
    field(
        out,
        "allocator_rss_bytes",
        diff(alloc.resident, alloc.active),
    );
    field(out, "rss_overhead_ratio", ratio(rss, alloc.resident));
    field(out, "rss_overhead_bytes", diff(rss, alloc.resident));
    field(out, "mem_fragmentation_ratio", ratio(rss, used));
    field(out, "mem_fragmentation_bytes", diff(rss, used));
    field(out, "mem_not_counted_for_evict", 0);
    field(out, "mem_replication_backlog", 0);
    field(out, "mem_total_replication_buffers", 0);
    field(out, "mem_clients_slaves", 0);
    field(out, "mem_clients_normal", oh.clients_normal);
    field(out, "mem_cluster_links", 0);
    field(out, "mem_aof_buffer", s.aof.buffered());
    field(out, "mem_allocator", "jemalloc-5.3.0");
    field(out, "active_defrag_running", 0);
    let (pending, freed) = lazyfree_counts(s);
    field(out, "lazyfree_pending_objects", pending);
    field(out, "lazyfreed_objects", freed);
}

/// Objects waiting for and freed by the background freeing thread.
fn lazyfree_counts(s: &Server) -> (u64, u64) {
    s.engine.shards().iter().fold((0, 0), |(p, f), ks| {
        (p + ks.lazyfree().pending(), f + ks.lazyfree().freed())
    })
}

/// Physical memory of the machine (bytes).
fn system_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64).saturating_mul(size.max(0) as u64)
}

fn persistence_section(s: &mut Server, _key: usize, out: &mut String) {
    let dirty: u64 = s.engine.shards().iter().map(|ks| ks.dirty).sum();
    let aof = s.config.bool("appendonly");
    field(out, "loading", s.loading.is_some() as u8);
    field(out, "async_loading", 0);
    let rdb = &s.rdb;
    let child = &rdb.child_figures;
    field(out, "current_cow_peak", child.cow_peak);
    field(out, "current_cow_size", child.cow_bytes);
    let cow_age = if child.cow_updated_us > 0 {
        (crate::persistence::child_info::monotonic_us() - child.cow_updated_us) / 1_000_000
    } else {
        0
    };
    field(out, "current_cow_size_age", cow_age);
    let fork_perc = if child.keys_total > 0 {
        child.keys_processed as f64 / child.keys_total as f64 * 100.0
    } else {
        0.0
    };
    field(out, "current_fork_perc", format!("{fork_perc:.2}"));
    field(out, "current_save_keys_processed", child.keys_processed);
    field(out, "current_save_keys_total", child.keys_total);
    field(
        out,
        "rdb_changes_since_last_save",
        dirty.saturating_sub(rdb.dirty_at_save),
    );
    field(out, "rdb_bgsave_in_progress", rdb.child.is_some() as u8);
    field(out, "rdb_last_save_time", rdb.last_save_unix);
    field(
        out,
        "rdb_last_bgsave_status",
        if rdb.last_bgsave_ok { "ok" } else { "err" },
    );
    field(out, "rdb_last_bgsave_time_sec", rdb.last_bgsave_secs);
    field(
        out,
        "rdb_current_bgsave_time_sec",
        rdb.child
            .as_ref()
            .map_or(-1, |c| c.started.elapsed().as_secs() as i64),
    );
    field(out, "rdb_saves", rdb.saves);
    field(out, "rdb_last_cow_size", rdb.last_cow_size);
    field(
        out,
        "rdb_last_load_keys_expired",
        rdb.last_load_keys_expired,
    );
    field(out, "rdb_last_load_keys_loaded", rdb.last_load_keys_loaded);
    let a = &s.aof;
    field(
        out,
        "aof_enabled",
        (a.status != crate::aof::Status::Off) as u8,
    );
    field(out, "aof_rewrite_in_progress", a.child.is_some() as u8);
    field(out, "aof_rewrite_scheduled", a.rewrite_scheduled as u8);
    field(out, "aof_last_rewrite_time_sec", a.rewrite_time_last);
    field(
        out,
        "aof_current_rewrite_time_sec",
        a.child
            .as_ref()
            .map_or(-1, |c| c.started.elapsed().as_secs() as i64),
    );
    field(
        out,
        "aof_last_bgrewrite_status",
        if a.last_rewrite_ok { "ok" } else { "err" },
    );
    field(out, "aof_rewrites", a.rewrites);
    field(
        out,
        "aof_rewrites_consecutive_failures",
        a.consecutive_failures,
    );
    let write_ok = a.last_write_ok && a.bio.failed_errno().is_none();
    field(
        out,
        "aof_last_write_status",
        if write_ok { "ok" } else { "err" },
    );
    field(out, "aof_last_cow_size", a.last_cow_size);
    field(out, "module_fork_in_progress", 0);
    field(out, "module_fork_last_cow_size", 0);
    if aof {
        field(out, "aof_current_size", a.current_size);
        field(out, "aof_base_size", a.rewrite_base_size);
        field(out, "aof_pending_rewrite", a.rewrite_scheduled as u8);
        field(out, "aof_buffer_length", a.buffered());
        field(out, "aof_pending_bio_fsync", a.bio.pending());
        field(out, "aof_delayed_fsync", a.delayed_fsync);
    }
    if let Some(l) = &s.loading {
        for (name, value) in l.info_fields(s.now_ms / 1000) {
            field(out, name, value);
        }
    }
}

fn stats_section(s: &mut Server, _key: usize, out: &mut String) {
    let mut ks_stats = lodestone_storage::KeyspaceStats::default();
    let mut stale = 0.0f64;
    for ks in s.engine.shards() {
        let st = &ks.stats;
        ks_stats.keyspace_hits += st.keyspace_hits;
        ks_stats.keyspace_misses += st.keyspace_misses;
        ks_stats.expired_keys += st.expired_keys;
        ks_stats.evicted_keys += st.evicted_keys;
        ks_stats.expired_time_cap_reached_count += st.expired_time_cap_reached_count;
        ks_stats.expire_cycle_cpu_milliseconds += st.expire_cycle_cpu_milliseconds;
        stale = stale.max(st.expired_stale_perc);
    }
    let st = &s.stats;
    let el = &st.eventloop;
    field(
        out,
        "total_connections_received",
        st.total_connections_received,
    );
    field(out, "total_commands_processed", st.total_commands_processed);
    field(out, "instantaneous_ops_per_sec", st.ops_rate.value() as u64);
    field(out, "total_net_input_bytes", st.total_net_input_bytes);
    field(out, "total_net_output_bytes", st.total_net_output_bytes);
    field(out, "total_net_repl_input_bytes", 0);
    field(out, "total_net_repl_output_bytes", 0);
    field(
        out,
        "instantaneous_input_kbps",
        format!("{:.2}", st.input_rate.value().trunc() / 1024.0),
    );
    field(
        out,
        "instantaneous_output_kbps",
        format!("{:.2}", st.output_rate.value().trunc() / 1024.0),
    );
    field(out, "instantaneous_input_repl_kbps", "0.00");
    field(out, "instantaneous_output_repl_kbps", "0.00");
    field(out, "rejected_connections", st.rejected_connections);
    field(out, "sync_full", 0);
    field(out, "sync_partial_ok", 0);
    field(out, "sync_partial_err", 0);
    field(out, "expired_keys", ks_stats.expired_keys);
    field(out, "expired_stale_perc", format!("{:.2}", stale * 100.0));
    field(
        out,
        "expired_time_cap_reached_count",
        ks_stats.expired_time_cap_reached_count,
    );
    field(
        out,
        "expire_cycle_cpu_milliseconds",
        ks_stats.expire_cycle_cpu_milliseconds,
    );
    let (current_exceeded, total_exceeded) = s.eviction.exceeded_ms();
    field(out, "evicted_keys", ks_stats.evicted_keys);
    field(out, "evicted_clients", 0);
    field(out, "total_eviction_exceeded_time", total_exceeded);
    field(out, "current_eviction_exceeded_time", current_exceeded);
    field(out, "keyspace_hits", ks_stats.keyspace_hits);
    field(out, "keyspace_misses", ks_stats.keyspace_misses);
    field(out, "pubsub_channels", s.pubsub.channels.len());
    field(out, "pubsub_patterns", s.pubsub.patterns.len());
    field(out, "pubsubshard_channels", s.pubsub.shard_channels.len());
    field(out, "latest_fork_usec", st.latest_fork_usec);
    field(out, "total_forks", st.total_forks);
    field(out, "migrate_cached_sockets", 0);
    field(out, "slave_expires_tracked_keys", 0);
    field(out, "active_defrag_hits", 0);
    field(out, "active_defrag_misses", 0);
    field(out, "active_defrag_key_hits", 0);
    field(out, "active_defrag_key_misses", 0);
    field(out, "total_active_defrag_time", 0);
    field(out, "current_active_defrag_time", 0);
    field(out, "tracking_total_keys", s.tracking.table.len());
    field(out, "tracking_total_items", s.tracking.table.items());
    field(out, "tracking_total_prefixes", s.tracking.prefixes.len());
    field(out, "unexpected_error_replies", st.unexpected_error_replies);
    field(out, "total_error_replies", st.total_error_replies);
    field(out, "dump_payload_sanitizations", 0);
    field(out, "total_reads_processed", st.total_reads_processed);
    field(out, "total_writes_processed", st.total_writes_processed);
    field(out, "io_threaded_reads_processed", 0);
    field(out, "io_threaded_writes_processed", 0);
    field(out, "reply_buffer_shrinks", 0);
    field(out, "reply_buffer_expands", 0);
    field(out, "eventloop_cycles", el.cycles);
    field(out, "eventloop_duration_sum", el.duration_sum_us);
    field(out, "eventloop_duration_cmd_sum", el.cmd_sum_us);
    field(
        out,
        "instantaneous_eventloop_cycles_per_sec",
        el.cycle_rate.value() as u64,
    );
    field(
        out,
        "instantaneous_eventloop_duration_usec",
        el.duration_rate.value() as u64,
    );
    field(out, "acl_access_denied_auth", 0);
    field(out, "acl_access_denied_cmd", 0);
    field(out, "acl_access_denied_key", 0);
    field(out, "acl_access_denied_channel", 0);
}

fn replication_section(s: &mut Server, _key: usize, out: &mut String) {
    field(out, "role", "master");
    field(out, "connected_slaves", s.replicas.len());
    let now_ms = crate::server::unix_ms();
    for (i, &key) in s.replicas.iter().enumerate() {
        let Some(c) = s.clients.get(key) else {
            continue;
        };
        let ip = c
            .addr
            .rsplit_once(':')
            .map_or(c.addr.as_str(), |(ip, _)| ip);
        field(
            out,
            &format!("slave{i}"),
            format!(
                "ip={ip},port={},state=online,offset={},lag={}",
                c.repl_listening_port,
                c.repl_ack_off,
                (now_ms - c.repl_ack_time_ms).max(0) / 1000
            ),
        );
    }
    if s.config.int("min-replicas-to-write") > 0 && s.config.int("min-replicas-max-lag") > 0 {
        field(out, "min_slaves_good_slaves", 0);
    }
    field(out, "master_failover_state", "no-failover");
    field(out, "master_replid", &s.replid);
    field(out, "master_replid2", "0".repeat(40));
    field(out, "master_repl_offset", s.effects.repl_offset());
    field(out, "second_repl_offset", -1);
    field(out, "repl_backlog_active", 0);
    field(out, "repl_backlog_size", s.config.int("repl-backlog-size"));
    field(out, "repl_backlog_first_byte_offset", 0);
    field(out, "repl_backlog_histlen", 0);
}

/// CPU time `(system, user)` of `who` (RUSAGE_SELF, ...) as `s.micros`.
fn cpu_times(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage(2) fills the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return ("0.000000".into(), "0.000000".into());
    }
    let t = |tv: libc::timeval| format!("{}.{:06}", tv.tv_sec, tv.tv_usec);
    (t(ru.ru_stime), t(ru.ru_utime))
}

fn cpu_section(_s: &mut Server, _key: usize, out: &mut String) {
    let (sys, user) = cpu_times(libc::RUSAGE_SELF);
    let (csys, cuser) = cpu_times(libc::RUSAGE_CHILDREN);
    let (msys, muser) = cpu_times(libc::RUSAGE_THREAD);
    field(out, "used_cpu_sys", sys);
    field(out, "used_cpu_user", user);
    field(out, "used_cpu_sys_children", csys);
    field(out, "used_cpu_user_children", cuser);
    field(out, "used_cpu_sys_main_thread", msys);
    field(out, "used_cpu_user_main_thread", muser);
}

fn commandstats_section(s: &mut Server, _key: usize, out: &mut String) {
    for cmd in s.table.all() {
        let st = &s.cmd_stats[cmd.id];
        if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
            continue;
        }
        let per_call = if st.calls == 0 {
            0.0
        } else {
            st.usec as f64 / st.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            safe_name(&cmd.fullname),
            st.calls,
            st.usec,
            per_call,
            st.rejected_calls,
            st.failed_calls
        );
    }
}

fn errorstats_section(s: &mut Server, _key: usize, out: &mut String) {
    let mut codes: Vec<(&String, &u64)> = s.stats.errors.iter().collect();
    codes.sort();
    for (code, count) in codes {
        let _ = write!(out, "errorstat_{}:count={count}\r\n", safe_name(code));
    }
}

/// `50`, `99.9`, `0`: a percentile as Redis names it (`%f`, trailing zeros
/// and point removed).
fn percentile_name(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn latencystats_section(s: &mut Server, _key: usize, out: &mut String) {
    if !s.rt.latency_tracking {
        return;
    }
    let percentiles: Vec<f64> = s
        .config
        .str("latency-tracking-info-percentiles")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    for cmd in s.table.all() {
        let Some(h) = s.cmd_stats[cmd.id].latency.as_deref() else {
            continue;
        };
        if h.total() == 0 {
            continue;
        }
        let _ = write!(
            out,
            "latency_percentiles_usec_{}:",
            safe_name(&cmd.fullname)
        );
        for (i, &p) in percentiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let us = h.value_at_percentile(p) as f64 / 1000.0;
            let _ = write!(out, "p{}={us:.3}", percentile_name(p));
        }
        out.push_str("\r\n");
    }
}

fn keyspace_section(s: &mut Server, _key: usize, out: &mut String) {
    for db in 0..s.engine.db_count() {
        let (mut keys, mut expires, mut ttl_weighted) = (0u64, 0u64, 0i128);
        for ks in s.engine.shards() {
            let d = ks.db(db);
            keys += d.len() as u64;
            expires += d.expires_len() as u64;
            ttl_weighted += d.avg_ttl_ms() as i128 * d.expires_len() as i128;
        }
        if keys == 0 && expires == 0 {
            continue;
        }
        let avg_ttl = if expires == 0 {
            0
        } else {
            ttl_weighted / expires as i128
        };
        let _ = write!(
            out,
            "db{db}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n"
        );
    }
}

fn debug_section(s: &mut Server, _key: usize, out: &mut String) {
    let el = &s.stats.eventloop;
    field(out, "eventloop_duration_aof_sum", s.aof.flush_us);
    field(out, "eventloop_duration_cron_sum", el.cron_sum_us);
    field(out, "eventloop_duration_max", el.duration_max_us);
    field(out, "eventloop_cmd_per_cycle_max", el.cmd_per_cycle_max);
}

/// Keys with at least one waiter that also wakes when the key goes away
/// (XREADGROUP): Redis's `blocking_keys_unblock_on_nokey` count.
fn blocking_keys_on_nokey(s: &Server) -> usize {
    s.blocked_on
        .values()
        .filter(|queue| {
            queue.iter().any(|&ck| {
                s.clients
                    .get(ck)
                    .and_then(|c| c.blocked.as_ref())
                    .is_some_and(|b| b.wake_on_delete)
            })
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_match_redis() {
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916240), "894.77K");
        assert_eq!(bytes_to_human(12115968), "11.55M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }

    #[test]
    fn percentile_names_match_redis() {
        assert_eq!(percentile_name(50.0), "50");
        assert_eq!(percentile_name(99.9), "99.9");
        assert_eq!(percentile_name(0.0), "0");
        assert_eq!(percentile_name(100.0), "100");
    }

    #[test]
    fn unsafe_characters_are_replaced() {
        assert_eq!(safe_name("a:b#c\r\nd"), "a_b_c__d");
    }
}
