//! INFO: section selection, Redis 7.2's field names and order, and the
//! counters behind them (clients, keyspace hits and misses, expiry,
//! connections, errors, command and latency statistics, keyspace), plus
//! `redis-cli --stat` reading it.

mod common;

use common::{start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;
use std::time::{Duration, Instant};

/// The text of a bulk or verbatim reply.
fn text(f: Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Verbatim(b) => String::from_utf8(b).expect("utf-8"),
        other => panic!("expected a string reply, got {other:?}"),
    }
}

fn info(c: &mut Conn, args: &[&str]) -> String {
    let mut cmd = vec!["INFO"];
    cmd.extend_from_slice(args);
    text(c.cmd(&cmd))
}

/// Section titles, in order.
fn titles(info: &str) -> Vec<String> {
    info.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

/// Field names of a section's lines, in order.
fn names(info: &str) -> Vec<String> {
    info.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(':').expect("name:value").0.to_string())
        .collect()
}

/// The value of `name`, if present.
fn value(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(str::to_string)
}

/// A numeric field.
fn num(c: &mut Conn, section: &str, name: &str) -> i64 {
    let i = info(c, &[section]);
    value(&i, name)
        .unwrap_or_else(|| panic!("no {name} in {section}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not an integer"))
}

/// Polls until `cond` holds, failing after a generous bound.
fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "condition never became true");
        std::thread::sleep(Duration::from_millis(10));
    }
}

const DEFAULT_TITLES: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Errorstats",
    "Cluster",
    "Keyspace",
];

const ALL_TITLES: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Commandstats",
    "Errorstats",
    "Latencystats",
    "Cluster",
    "Keyspace",
];

#[test]
fn section_selection() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(titles(&info(&mut c, &[])), DEFAULT_TITLES);
    assert_eq!(titles(&info(&mut c, &["default"])), DEFAULT_TITLES);
    assert_eq!(titles(&info(&mut c, &["all"])), ALL_TITLES);
    assert_eq!(titles(&info(&mut c, &["everything"])), ALL_TITLES);
    // Sections come in Redis's order whatever the order asked, once each.
    assert_eq!(
        titles(&info(&mut c, &["cpu", "SERVER", "cpu"])),
        ["Server", "CPU"]
    );
    assert_eq!(titles(&info(&mut c, &["commandSTATS"])), ["Commandstats"]);
    assert_eq!(titles(&info(&mut c, &["modules"])), ["Modules"]);
    assert_eq!(titles(&info(&mut c, &["cpu", "all"])), ALL_TITLES);
    let mut with_stats = DEFAULT_TITLES.to_vec();
    with_stats.insert(8, "Commandstats");
    assert_eq!(
        titles(&info(&mut c, &["commandstats", "default"])),
        with_stats
    );
    // Debug only when named.
    assert_eq!(titles(&info(&mut c, &["debug"])), ["Debug"]);
    assert_eq!(
        titles(&info(&mut c, &["all", "debug"])).last().unwrap(),
        "Debug"
    );
    assert_eq!(info(&mut c, &["sentinel"]), "");
    assert_eq!(info(&mut c, &["nosuchsection", "alsonot"]), "");
    // Blank line between sections, CRLF line ends.
    let two = info(&mut c, &["cluster", "cpu"]);
    assert!(two.starts_with("# CPU\r\n"));
    assert!(two.ends_with("\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n"));
}

#[test]
fn default_sections_match_redis() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    for args in [
        &[][..],
        &["all"],
        &["everything"],
        &["cpu", "server"],
        &["foo"],
    ] {
        assert_eq!(
            titles(&info(&mut ours, args)),
            titles(&info(&mut oracle, args)),
            "INFO {args:?}"
        );
    }
}

#[test]
fn resp3_reply_is_verbatim_text() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["HELLO", "3"]);
    let raw = String::from_utf8(c.cmd_raw(&["INFO", "cluster"])).unwrap();
    assert_eq!(raw, "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

/// Field names of each section in Redis 7.2 (fields that only appear in
/// some states, like `shutdown_in_milliseconds`, left out).
const FIELDS: &[(&str, &[&str])] = &[
    (
        "server",
        &[
            "redis_version",
            "lodestone_version",
            "redis_git_sha1",
            "redis_git_dirty",
            "redis_build_id",
            "redis_mode",
            "os",
            "arch_bits",
            "monotonic_clock",
            "multiplexing_api",
            "atomicvar_api",
            "gcc_version",
            "process_id",
            "process_supervised",
            "run_id",
            "tcp_port",
            "server_time_usec",
            "uptime_in_seconds",
            "uptime_in_days",
            "hz",
            "configured_hz",
            "lru_clock",
            "executable",
            "config_file",
            "io_threads_active",
            "listener0",
        ],
    ),
    (
        "clients",
        &[
            "connected_clients",
            "cluster_connections",
            "maxclients",
            "client_recent_max_input_buffer",
            "client_recent_max_output_buffer",
            "blocked_clients",
            "tracking_clients",
            "clients_in_timeout_table",
            "total_blocking_keys",
            "total_blocking_keys_on_nokey",
        ],
    ),
    (
        "memory",
        &[
            "used_memory",
            "used_memory_human",
            "used_memory_rss",
            "used_memory_rss_human",
            "used_memory_peak",
            "used_memory_peak_human",
            "used_memory_peak_perc",
            "used_memory_overhead",
            "used_memory_startup",
            "used_memory_dataset",
            "used_memory_dataset_perc",
            "allocator_allocated",
            "allocator_active",
            "allocator_resident",
            "total_system_memory",
            "total_system_memory_human",
            "used_memory_lua",
            "used_memory_vm_eval",
            "used_memory_lua_human",
            "used_memory_scripts_eval",
            "number_of_cached_scripts",
            "number_of_functions",
            "number_of_libraries",
            "used_memory_vm_functions",
            "used_memory_vm_total",
            "used_memory_vm_total_human",
            "used_memory_functions",
            "used_memory_scripts",
            "used_memory_scripts_human",
            "maxmemory",
            "maxmemory_human",
            "maxmemory_policy",
            "allocator_frag_ratio",
            "allocator_frag_bytes",
            "allocator_rss_ratio",
            "allocator_rss_bytes",
            "rss_overhead_ratio",
            "rss_overhead_bytes",
            "mem_fragmentation_ratio",
            "mem_fragmentation_bytes",
            "mem_not_counted_for_evict",
            "mem_replication_backlog",
            "mem_total_replication_buffers",
            "mem_clients_slaves",
            "mem_clients_normal",
            "mem_cluster_links",
            "mem_aof_buffer",
            "mem_allocator",
            "active_defrag_running",
            "lazyfree_pending_objects",
            "lazyfreed_objects",
        ],
    ),
    (
        "persistence",
        &[
            "loading",
            "async_loading",
            "current_cow_peak",
            "current_cow_size",
            "current_cow_size_age",
            "current_fork_perc",
            "current_save_keys_processed",
            "current_save_keys_total",
            "rdb_changes_since_last_save",
            "rdb_bgsave_in_progress",
            "rdb_last_save_time",
            "rdb_last_bgsave_status",
            "rdb_last_bgsave_time_sec",
            "rdb_current_bgsave_time_sec",
            "rdb_saves",
            "rdb_last_cow_size",
            "rdb_last_load_keys_expired",
            "rdb_last_load_keys_loaded",
            "aof_enabled",
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "aof_last_rewrite_time_sec",
            "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status",
            "aof_rewrites",
            "aof_rewrites_consecutive_failures",
            "aof_last_write_status",
            "aof_last_cow_size",
            "module_fork_in_progress",
            "module_fork_last_cow_size",
        ],
    ),
    (
        "stats",
        &[
            "total_connections_received",
            "total_commands_processed",
            "instantaneous_ops_per_sec",
            "total_net_input_bytes",
            "total_net_output_bytes",
            "total_net_repl_input_bytes",
            "total_net_repl_output_bytes",
            "instantaneous_input_kbps",
            "instantaneous_output_kbps",
            "instantaneous_input_repl_kbps",
            "instantaneous_output_repl_kbps",
            "rejected_connections",
            "sync_full",
            "sync_partial_ok",
            "sync_partial_err",
            "expired_keys",
            "expired_stale_perc",
            "expired_time_cap_reached_count",
            "expire_cycle_cpu_milliseconds",
            "evicted_keys",
            "evicted_clients",
            "total_eviction_exceeded_time",
            "current_eviction_exceeded_time",
            "keyspace_hits",
            "keyspace_misses",
            "pubsub_channels",
            "pubsub_patterns",
            "pubsubshard_channels",
            "latest_fork_usec",
            "total_forks",
            "migrate_cached_sockets",
            "slave_expires_tracked_keys",
            "active_defrag_hits",
            "active_defrag_misses",
            "active_defrag_key_hits",
            "active_defrag_key_misses",
            "total_active_defrag_time",
            "current_active_defrag_time",
            "tracking_total_keys",
            "tracking_total_items",
            "tracking_total_prefixes",
            "unexpected_error_replies",
            "total_error_replies",
            "dump_payload_sanitizations",
            "total_reads_processed",
            "total_writes_processed",
            "io_threaded_reads_processed",
            "io_threaded_writes_processed",
            "reply_buffer_shrinks",
            "reply_buffer_expands",
            "eventloop_cycles",
            "eventloop_duration_sum",
            "eventloop_duration_cmd_sum",
            "instantaneous_eventloop_cycles_per_sec",
            "instantaneous_eventloop_duration_usec",
            "acl_access_denied_auth",
            "acl_access_denied_cmd",
            "acl_access_denied_key",
            "acl_access_denied_channel",
        ],
    ),
    (
        "replication",
        &[
            "role",
            "connected_slaves",
            "master_failover_state",
            "master_replid",
            "master_replid2",
            "master_repl_offset",
            "second_repl_offset",
            "repl_backlog_active",
            "repl_backlog_size",
            "repl_backlog_first_byte_offset",
            "repl_backlog_histlen",
        ],
    ),
    (
        "cpu",
        &[
            "used_cpu_sys",
            "used_cpu_user",
            "used_cpu_sys_children",
            "used_cpu_user_children",
            "used_cpu_sys_main_thread",
            "used_cpu_user_main_thread",
        ],
    ),
    ("cluster", &["cluster_enabled"]),
    (
        "debug",
        &[
            "eventloop_duration_aof_sum",
            "eventloop_duration_cron_sum",
            "eventloop_duration_max",
            "eventloop_cmd_per_cycle_max",
        ],
    ),
];

#[test]
fn field_names_and_order_match_redis_7_2() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    for (section, fields) in FIELDS {
        assert_eq!(
            names(&info(&mut c, &[section])),
            *fields,
            "section {section}"
        );
    }
}

#[test]
fn field_values_have_the_right_shape() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let all = info(&mut c, &["everything", "debug"]);
    let v = |n: &str| value(&all, n).unwrap_or_else(|| panic!("no {n}"));
    assert_eq!(v("redis_version"), "7.2.6");
    assert_eq!(v("lodestone_version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(v("redis_mode"), "standalone");
    assert_eq!(v("multiplexing_api"), "epoll");
    assert_eq!(v("tcp_port"), server.port.to_string());
    assert_eq!(v("process_id"), server.child.id().to_string());
    assert_eq!(
        v("listener0"),
        format!("name=tcp,bind=127.0.0.1,port={}", server.port)
    );
    assert_eq!(v("role"), "master");
    assert_eq!(v("mem_allocator"), "jemalloc-5.3.0");
    assert_eq!(v("maxmemory_policy"), "noeviction");
    assert_eq!(v("aof_enabled"), "0");
    assert_eq!(v("loading"), "0");
    assert_eq!(v("rdb_last_bgsave_status"), "ok");
    assert_eq!(v("io_threads_active"), "0");
    assert_eq!(v("cluster_enabled"), "0");
    assert_eq!(v("master_repl_offset"), "0");
    for hex in ["run_id", "master_replid"] {
        let id = v(hex);
        assert_eq!(id.len(), 40, "{hex}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    }
    assert_ne!(v("run_id"), v("master_replid"));
    assert!(v("used_memory").parse::<u64>().unwrap() > 0);
    assert!(v("used_memory_rss").parse::<u64>().unwrap() > 0);
    for human in [
        "used_memory_human",
        "used_memory_peak_human",
        "maxmemory_human",
    ] {
        let h = v(human);
        assert!(h.ends_with(['B', 'K', 'M', 'G']), "{human}={h}");
    }
    assert!(v("used_memory_peak_perc").ends_with('%'));
    for float in [
        "mem_fragmentation_ratio",
        "instantaneous_input_kbps",
        "expired_stale_perc",
    ] {
        v(float).parse::<f64>().unwrap();
    }
    for cpu in ["used_cpu_sys", "used_cpu_user", "used_cpu_user_main_thread"] {
        let t = v(cpu);
        assert_eq!(
            t.split_once('.').map(|(_, us)| us.len()),
            Some(6),
            "{cpu}={t}"
        );
    }
    assert_eq!(v("rdb_last_save_time").len(), 10);
}

#[test]
fn client_counters() {
    let server = start_lodestone(&["--maxclients", "3"]);
    let mut c = Conn::connect(server.port);
    wait_for(|| num(&mut c, "clients", "connected_clients") == 1);
    let received = num(&mut c, "stats", "total_connections_received");
    let _b = Conn::connect(server.port);
    wait_for(|| num(&mut c, "clients", "connected_clients") == 2);
    assert_eq!(
        num(&mut c, "stats", "total_connections_received"),
        received + 1
    );
    assert_eq!(num(&mut c, "clients", "maxclients"), 3);

    let _d = Conn::connect(server.port);
    let mut refused = Conn::connect(server.port);
    assert_eq!(
        refused.read(),
        Frame::Error(b"ERR max number of clients reached".to_vec())
    );
    assert_eq!(num(&mut c, "stats", "rejected_connections"), 1);
    assert_eq!(
        num(&mut c, "stats", "total_connections_received"),
        received + 3
    );
}

#[test]
fn keyspace_hits_misses_and_expiry() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "nokey"]);
    assert_eq!(num(&mut c, "stats", "keyspace_hits"), 2);
    assert_eq!(num(&mut c, "stats", "keyspace_misses"), 1);

    assert_eq!(num(&mut c, "stats", "expired_keys"), 0);
    c.cmd(&["SET", "short", "v", "PX", "1"]);
    wait_for(|| {
        c.cmd(&["GET", "short"]);
        num(&mut c, "stats", "expired_keys") == 1
    });
}

#[test]
fn keyspace_section_lists_non_empty_databases() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(info(&mut c, &["keyspace"]), "# Keyspace\r\n");
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "1", "EX", "1000"]);
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["SET", "c", "1"]);
    let ks = info(&mut c, &["keyspace"]);
    let lines: Vec<&str> = ks.lines().collect();
    assert_eq!(lines[0], "# Keyspace");
    assert!(
        lines[1].starts_with("db0:keys=2,expires=1,avg_ttl="),
        "{ks}"
    );
    assert_eq!(lines[2], "db5:keys=1,expires=0,avg_ttl=0");
    assert_eq!(lines.len(), 3);
}

#[test]
fn command_and_error_statistics() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let processed = num(&mut c, "stats", "total_commands_processed");
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["SET", "k"]); // rejected: arity
    c.cmd(&["INCR", "k"]); // failed: not an integer
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["NOSUCHCOMMAND"]); // rejected, counted nowhere but errorstats
    c.cmd(&["CLIENT", "NOSUCH"]);
    let stats = info(&mut c, &["commandstats"]);
    let line = |name: &str| value(&stats, &format!("cmdstat_{name}")).unwrap_or_default();
    assert!(line("set").starts_with("calls=1,usec="), "{stats}");
    assert!(
        line("set").ends_with(",rejected_calls=1,failed_calls=0"),
        "{stats}"
    );
    assert!(line("set").contains(",usec_per_call="), "{stats}");
    assert!(
        line("incr").ends_with(",rejected_calls=0,failed_calls=1"),
        "{stats}"
    );
    assert!(line("client|id").starts_with("calls=1,"), "{stats}");
    assert_eq!(value(&stats, "cmdstat_get"), None);
    assert_eq!(value(&stats, "cmdstat_client"), None);

    assert_eq!(
        info(&mut c, &["errorstats"]),
        "# Errorstats\r\nerrorstat_ERR:count=4\r\n"
    );
    assert_eq!(num(&mut c, "stats", "total_error_replies"), 4);
    // Four INFO calls, SET, INCR and CLIENT ID ran; rejected ones did not.
    assert_eq!(
        num(&mut c, "stats", "total_commands_processed"),
        processed + 7
    );
}

#[test]
fn latency_percentiles_per_command() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["CLIENT", "ID"]);
    let lat = info(&mut c, &["latencystats"]);
    for cmd in ["set", "client|id"] {
        let v = value(&lat, &format!("latency_percentiles_usec_{cmd}")).expect(cmd);
        let parts: Vec<&str> = v.split(',').collect();
        assert_eq!(parts.len(), 3, "{v}");
        for (part, p) in parts.iter().zip(["p50=", "p99=", "p99.9="]) {
            let us = part.strip_prefix(p).unwrap_or_else(|| panic!("{v}"));
            assert_eq!(us.split_once('.').map(|(_, d)| d.len()), Some(3), "{v}");
        }
    }
    assert_eq!(value(&lat, "latency_percentiles_usec_get"), None);
}

#[test]
fn latency_tracking_can_be_disabled() {
    let server = start_lodestone(&["--latency-tracking", "no"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "a", "b"]);
    assert_eq!(info(&mut c, &["latencystats"]), "# Latencystats\r\n");
}

#[test]
fn latency_percentiles_follow_configuration() {
    let server = start_lodestone(&["--latency-tracking-info-percentiles", "0 50 100"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "a", "b"]);
    let lat = info(&mut c, &["latencystats"]);
    let v = value(&lat, "latency_percentiles_usec_set").expect("set");
    let keys: Vec<&str> = v.split(',').map(|p| p.split('=').next().unwrap()).collect();
    assert_eq!(keys, ["p0", "p50", "p100"]);
}

#[test]
fn pubsub_and_blocked_counters() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut sub = Conn::connect(server.port);
    sub.cmd(&["SUBSCRIBE", "a", "b"]);
    sub.cmd(&["PSUBSCRIBE", "p*"]);
    assert_eq!(num(&mut c, "stats", "pubsub_channels"), 2);
    assert_eq!(num(&mut c, "stats", "pubsub_patterns"), 1);
    assert_eq!(num(&mut c, "stats", "pubsubshard_channels"), 0);

    // Clients held by CLIENT PAUSE count as blocked.
    let mut w = Conn::connect(server.port);
    c.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    w.send_raw(b"SET k v\r\n");
    wait_for(|| num(&mut c, "clients", "blocked_clients") == 1);
    c.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(w.read(), Frame::Simple(b"OK".to_vec()));
    assert_eq!(num(&mut c, "clients", "blocked_clients"), 0);
}

#[test]
fn persistence_counts_changes_since_start() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(num(&mut c, "persistence", "rdb_changes_since_last_save"), 0);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["INCR", "a"]);
    assert_eq!(num(&mut c, "persistence", "rdb_changes_since_last_save"), 2);
}

#[test]
fn net_and_io_counters_move() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let before = info(&mut c, &["stats"]);
    c.cmd(&["SET", "k", "v"]);
    let after = info(&mut c, &["stats"]);
    let n = |i: &str, name: &str| value(i, name).unwrap().parse::<u64>().unwrap();
    for name in [
        "total_net_input_bytes",
        "total_net_output_bytes",
        "total_reads_processed",
        "total_writes_processed",
        "eventloop_cycles",
    ] {
        assert!(n(&after, name) > n(&before, name), "{name}");
    }
    assert!(n(&after, "eventloop_duration_cmd_sum") >= n(&before, "eventloop_duration_cmd_sum"));
}

#[test]
fn redis_cli_stat_reads_it() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let server = start_lodestone(&[]);
    // stdbuf: redis-cli's stdout is a pipe here, unbuffer it.
    let child = Command::new("stdbuf")
        .args([
            "-o0",
            "redis-cli",
            "-p",
            &server.port.to_string(),
            "--stat",
            "-i",
            "0.1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("SKIPPED: redis-cli or stdbuf is not installed");
        return;
    };
    let out = child.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(out)
        .lines()
        .take(5)
        .map(|l| l.unwrap_or_default())
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    if lines.is_empty() {
        eprintln!("SKIPPED: redis-cli produced no output");
        return;
    }
    assert!(lines[0].starts_with("------- data ------"), "{lines:?}");
    assert!(lines[1].starts_with("keys"), "{lines:?}");
    // Three samples: keys, memory, clients, blocked, requests, connections.
    for sample in &lines[2..] {
        let cols: Vec<&str> = sample.split_whitespace().collect();
        assert_eq!(cols[0], "0", "{sample}");
        assert!(cols[1].ends_with(['B', 'K', 'M', 'G']), "{sample}");
        assert_eq!(cols[2], "1", "{sample}");
        assert_eq!(cols[3], "0", "{sample}");
    }
    assert_eq!(lines.len(), 5, "{lines:?}");
}

#[test]
fn resetstat_clears_what_info_reports() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["NOSUCH"]);
    // RESETSTAT after other commands of the same event-loop iteration.
    c.send_raw(b"GET k\r\nCONFIG RESETSTAT\r\nPING\r\n");
    assert_eq!(c.read(), Frame::Bulk(b"v".to_vec()));
    assert_eq!(c.read(), Frame::Simple(b"OK".to_vec()));
    assert_eq!(c.read(), Frame::Simple(b"PONG".to_vec()));
    let all = info(&mut c, &["everything"]);
    assert_eq!(value(&all, "keyspace_hits").as_deref(), Some("0"));
    assert_eq!(value(&all, "total_error_replies").as_deref(), Some("0"));
    // CONFIG RESETSTAT itself and PING, as in Redis.
    assert_eq!(
        value(&all, "total_commands_processed").as_deref(),
        Some("2")
    );
    assert_eq!(value(&all, "cmdstat_get"), None);
    assert_eq!(value(&all, "latency_percentiles_usec_get"), None);
    assert_eq!(value(&all, "errorstat_ERR"), None);
    assert!(value(&all, "cmdstat_ping").is_some());
}
