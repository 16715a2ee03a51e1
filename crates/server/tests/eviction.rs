//! `maxmemory`: eviction under each policy (which keys survive), the
//! `evicted` notification and INFO counters, OOM refusals (plain commands,
//! MULTI/EXEC, scripts and functions), differential against redis-server
//! where replies are deterministic.

mod common;

use common::{differential_script, on_both, start_lodestone, text, Conn};
use lodestone_protocol::frame::Frame;
use std::time::{Duration, Instant};

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// A field of `INFO <section>`.
fn info_field(c: &mut Conn, section: &str, name: &str) -> String {
    let Frame::Bulk(info) = c.cmd(&["INFO", section]) else {
        panic!("INFO {section} failed");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

fn info_u64(c: &mut Conn, section: &str, name: &str) -> u64 {
    info_field(c, section, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

fn used_memory(c: &mut Conn) -> u64 {
    info_u64(c, "memory", "used_memory")
}

/// Writes `prefix:i` for every `i` in `range` with a 1000-byte value (and
/// a TTL of `ttl` seconds), pipelining a few at a time, and checks every
/// reply.
fn fill(c: &mut Conn, prefix: &str, range: std::ops::Range<usize>, ttl: Option<u64>) {
    let value = "v".repeat(1000);
    let ttl = ttl.map(|t| t.to_string());
    let ids: Vec<usize> = range.collect();
    for chunk in ids.chunks(10) {
        let mut batch = Vec::new();
        for i in chunk {
            let key = format!("{prefix}:{i}");
            let mut args: Vec<&[u8]> = vec![b"SET", key.as_bytes(), value.as_bytes()];
            if let Some(t) = &ttl {
                args.extend_from_slice(&[b"EX", t.as_bytes()]);
            }
            batch.extend_from_slice(&common::encode(&args));
        }
        c.send_raw(&batch);
        for _ in chunk {
            assert_eq!(c.read(), Frame::Simple(b"OK".to_vec()));
        }
    }
}

/// How many of `prefix:i` for `i` in `range` still exist.
fn surviving(c: &mut Conn, prefix: &str, range: std::ops::Range<usize>) -> usize {
    range
        .filter(|i| c.cmd(&["EXISTS", &format!("{prefix}:{i}")]) == Frame::Integer(1))
        .count()
}

/// Bytes one `fill` key costs, measured with `probe` keys.
fn key_cost(c: &mut Conn) -> u64 {
    let before = used_memory(c);
    fill(c, "probe", 0..200, None);
    let cost = (used_memory(c) - before) / 200;
    for i in 0..200 {
        c.cmd(&["DEL", &format!("probe:{i}")]);
    }
    cost
}

/// Sets `maxmemory` to the current use plus room for `keys` more keys;
/// returns the limit and the cost of a key.
fn limit_with_room_for(c: &mut Conn, keys: u64) -> (u64, u64) {
    let cost = key_cost(c);
    let limit = used_memory(c) + cost * keys;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    (limit, cost)
}

/// Polls `f` until it returns true (eviction continuing on later
/// event-loop iterations); panics after ten seconds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let server = start_lodestone(&[
        "--maxmemory-policy",
        "allkeys-lru",
        "--maxmemory-samples",
        "10",
    ]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "old", 0..1000, None);
    // The LRU clock ticks once a second: let the old keys age.
    std::thread::sleep(Duration::from_millis(2100));
    for i in 0..500 {
        c.cmd(&["GET", &format!("old:{i}")]);
    }
    // Room for 300 of the 600 new keys: about 300 idle keys must go.
    limit_with_room_for(&mut c, 300);
    fill(&mut c, "new", 0..600, None);
    // Lift the limit so that counting does not evict more.
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 200, "only {evicted} keys evicted");
    assert_eq!(
        surviving(&mut c, "old", 0..500),
        500,
        "touched keys evicted"
    );
    assert_eq!(surviving(&mut c, "new", 0..600), 600, "new keys evicted");
    assert_eq!(
        surviving(&mut c, "old", 500..1000) as u64,
        500 - evicted,
        "the evicted keys are the idle ones"
    );
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let server = start_lodestone(&[
        "--maxmemory-policy",
        "allkeys-lfu",
        "--maxmemory-samples",
        "10",
        "--lfu-log-factor",
        "0",
    ]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "key", 0..1000, None);
    for _ in 0..10 {
        for i in 0..500 {
            c.cmd(&["GET", &format!("key:{i}")]);
        }
    }
    assert_eq!(
        c.cmd(&["OBJECT", "FREQ", "key:0"]),
        Frame::Integer(15),
        "ten hits over the initial counter of 5"
    );
    limit_with_room_for(&mut c, 300);
    fill(&mut c, "new", 0..600, None);
    // Lift the limit so that counting does not evict more.
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert!(info_u64(&mut c, "stats", "evicted_keys") >= 200);
    assert_eq!(surviving(&mut c, "key", 0..500), 500, "hot keys evicted");
}

/// Under a `volatile-*` policy, keys without a TTL are never evicted;
/// once only they are left, writes are refused.
fn volatile_policy_spares_persistent_keys(policy: &str) {
    let server = start_lodestone(&["--maxmemory-policy", policy]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "persistent", 0..300, None);
    fill(&mut c, "volatile", 0..300, Some(1000));
    limit_with_room_for(&mut c, 200);
    fill(&mut c, "more", 0..400, Some(1000));
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 100, "{policy}: only {evicted} keys evicted");
    assert_eq!(surviving(&mut c, "persistent", 0..300), 300, "{policy}");
    // Nothing volatile left to evict once memory is capped very low.
    c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(text(c.cmd_raw(&["SET", "x", "1"])), OOM, "{policy}");
    assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(300), "{policy}");
    assert_eq!(surviving(&mut c, "persistent", 0..300), 300, "{policy}");
}

#[test]
fn volatile_lru_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lru");
}

#[test]
fn volatile_lfu_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lfu");
}

#[test]
fn volatile_random_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-random");
}

#[test]
fn volatile_ttl_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-ttl");
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let server = start_lodestone(&[
        "--maxmemory-policy",
        "volatile-ttl",
        "--maxmemory-samples",
        "10",
    ]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "soon", 0..1000, Some(1000));
    fill(&mut c, "late", 0..1000, Some(100_000));
    limit_with_room_for(&mut c, 300);
    fill(&mut c, "new", 0..600, Some(100_000));
    // Lift the limit so that counting does not evict more.
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 200);
    // Eviction samples keys, as Redis's does: a sample holding no "soon"
    // key (rare with 10 samples and the candidate pool) evicts the best of
    // what it drew, so allow a stray eviction or two among the far TTLs.
    let far_lost = 1600 - (surviving(&mut c, "late", 0..1000) + surviving(&mut c, "new", 0..600));
    assert!(far_lost <= 2, "{far_lost} keys with a far TTL evicted");
    let soon_lost = 1000 - surviving(&mut c, "soon", 0..1000);
    assert_eq!((soon_lost + far_lost) as u64, evicted);
}

#[test]
fn allkeys_random_stays_under_the_limit() {
    let server = start_lodestone(&["--maxmemory-policy", "allkeys-random"]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "a", 0..500, None);
    let (limit, cost) = limit_with_room_for(&mut c, 200);
    fill(&mut c, "b", 0..1000, None);
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 700, "only {evicted} keys evicted");
    // Eviction runs before each command: the last batch of writes may
    // still be on top of the limit.
    let used = used_memory(&mut c);
    assert!(
        used <= limit + 10 * cost,
        "used {used} over the limit {limit}"
    );
    assert!(surviving(&mut c, "a", 0..500) < 500);
}

#[test]
fn noeviction_refuses_writes_and_serves_reads_and_deletes() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "k", 0..300, None);
    limit_with_room_for(&mut c, 100);
    let value = "v".repeat(1000);
    let mut refused_at = None;
    for i in 0..300 {
        let reply = text(c.cmd_raw(&["SET", &format!("n:{i}"), &value]));
        if reply != "+OK\r\n" {
            assert_eq!(reply, OOM);
            refused_at = Some(i);
            break;
        }
    }
    let refused_at = refused_at.expect("writes were never refused");
    assert!(
        (50..200).contains(&refused_at),
        "refused after {refused_at} keys"
    );
    assert_eq!(
        text(c.cmd_raw(&["GET", "k:1"])),
        format!("$1000\r\n{value}\r\n")
    );
    assert_eq!(text(c.cmd_raw(&["APPEND", "k:1", "x"])), OOM);
    assert_eq!(text(c.cmd_raw(&["INCR", "counter"])), OOM);
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
    // Deleting frees memory at once: writes are accepted again.
    for i in 0..150 {
        c.cmd(&["DEL", &format!("k:{i}")]);
    }
    assert_eq!(c.cmd(&["SET", "after", "1"]), Frame::Simple(b"OK".to_vec()));
    let Frame::Bulk(errors) = c.cmd(&["INFO", "errorstats"]) else {
        panic!("INFO errorstats failed");
    };
    assert!(text(errors).contains("errorstat_OOM:count=3"));
}

#[test]
fn eviction_raises_events_counts_and_invalidates_watch() {
    let server = start_lodestone(&["--maxmemory-policy", "allkeys-lru"]);
    let mut admin = Conn::connect(server.port);
    admin.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let mut sub = Conn::connect(server.port);
    sub.cmd(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    let mut watcher = Conn::connect(server.port);
    for i in 0..10 {
        admin.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    watcher.cmd(&["WATCH", "k3"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["PING"]);
    // Nothing fits in one byte: every key goes, at once (the event loop
    // evicts right after CONFIG SET).
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    let mut evicted = Vec::new();
    for _ in 0..10 {
        let Frame::Array(parts) = sub.read() else {
            panic!("expected a message");
        };
        let Some(Frame::Bulk(key)) = parts.get(2) else {
            panic!("unexpected message {parts:?}");
        };
        evicted.push(String::from_utf8_lossy(key).into_owned());
    }
    evicted.sort();
    let expected: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    assert_eq!(evicted, expected);
    eventually("all keys evicted", || {
        admin.cmd(&["DBSIZE"]) == Frame::Integer(0)
    });
    assert_eq!(info_u64(&mut admin, "stats", "evicted_keys"), 10);
    // EXEC of a transaction without denyoom commands runs; the WATCH
    // saw the eviction.
    assert_eq!(watcher.cmd(&["EXEC"]), Frame::Null);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    admin.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(info_u64(&mut admin, "stats", "evicted_keys"), 0);
    assert_eq!(
        info_u64(&mut admin, "stats", "total_eviction_exceeded_time"),
        0
    );
}

#[test]
fn eviction_continues_from_the_event_loop_past_its_time_budget() {
    // Tenacity 0: each attempt evicts 16 keys and stops; the event loop
    // must finish the job without further commands.
    let server = start_lodestone(&[
        "--maxmemory-policy",
        "allkeys-random",
        "--maxmemory-eviction-tenacity",
        "0",
    ]);
    let mut c = Conn::connect(server.port);
    fill(&mut c, "k", 0..2000, None);
    let mut admin = Conn::connect(server.port);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    eventually("every key evicted", || {
        admin.cmd(&["DBSIZE"]) == Frame::Integer(0)
    });
    assert_eq!(info_u64(&mut admin, "stats", "evicted_keys"), 2000);
}

#[test]
fn lazy_eviction_frees_in_the_background_and_stops_under_the_limit() {
    let server = start_lodestone(&[
        "--maxmemory-policy",
        "allkeys-random",
        "--lazyfree-lazy-eviction",
        "yes",
    ]);
    let mut c = Conn::connect(server.port);
    // Sets big enough to be freed by the lazyfree thread.
    let add = |c: &mut Conn, key: &str| {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend((0..200).map(|i| format!("member-{i:04}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd(&refs)
    };
    for i in 0..100 {
        add(&mut c, &format!("set:{i}"));
    }
    let before = used_memory(&mut c);
    let per_set = before / 100;
    let limit = before / 2;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    for i in 100..200 {
        let reply = add(&mut c, &format!("set:{i}"));
        assert_eq!(reply, Frame::Integer(200), "set {i}");
    }
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 100, "only {evicted} sets evicted");
    eventually("lazyfree done", || {
        info_u64(&mut c, "memory", "lazyfree_pending_objects") == 0
    });
    assert!(info_u64(&mut c, "memory", "lazyfreed_objects") > 0);
    let used = used_memory(&mut c);
    assert!(used <= limit + per_set, "used {used}, limit {limit}");
}

#[test]
fn info_reports_the_limit_and_policy() {
    let server = start_lodestone(&["--maxmemory", "100mb", "--maxmemory-policy", "volatile-ttl"]);
    let mut c = Conn::connect(server.port);
    assert_eq!(info_field(&mut c, "memory", "maxmemory"), "104857600");
    assert_eq!(info_field(&mut c, "memory", "maxmemory_human"), "100.00M");
    assert_eq!(
        info_field(&mut c, "memory", "maxmemory_policy"),
        "volatile-ttl"
    );
    assert_eq!(
        info_field(&mut c, "memory", "mem_not_counted_for_evict"),
        "0"
    );
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "0");
    assert_eq!(
        info_field(&mut c, "stats", "current_eviction_exceeded_time"),
        "0"
    );
}

#[test]
fn oom_replies_match_redis() {
    differential_script(
        r##"
        SET x 1
        CONFIG SET maxmemory 1
        SET y 1
        GET x
        EXISTS x
        INCR x
        MULTI
        GET x
        PING
        DISCARD
        MULTI
        SET y 1
        EXEC
        EVAL "return 1" 0
        EVAL "return redis.call('get', KEYS[1])" 1 x
        EVAL "return redis.call('set', KEYS[1], 2)" 1 x
        EVAL "return redis.pcall('set', KEYS[1], 2)" 1 x
        EVAL "local r = redis.pcall('set', KEYS[1], 2); return r['err']" 1 x
        EVAL_RO "return redis.call('get', KEYS[1])" 1 x
        EVAL "#!lua\nreturn 1" 0
        EVAL "#!lua flags=\nreturn 1" 0
        EVAL "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])" 1 x
        EVAL "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 3)" 1 x
        GET x
        FUNCTION LOAD "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
        CONFIG SET maxmemory 0
        FUNCTION LOAD "#!lua name=lib\nredis.register_function('plain', function(k) return redis.call('set', k[1], 4) end)\nredis.register_function{function_name='ro', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}\nredis.register_function{function_name='oom', callback=function(k) return redis.call('set', k[1], 5) end, flags={'allow-oom'}}"
        CONFIG SET maxmemory 1
        FCALL plain 1 x
        FCALL ro 1 x
        FCALL_RO ro 1 x
        FCALL oom 1 x
        GET x
        DEL x
        DEL x
        INFO errorstats
        CONFIG SET maxmemory 0
        SET y 1
        "##,
    );
}

#[test]
fn compat_script_is_refused_writes_only_before_its_first_write() {
    // allow-oom is off, but once a script wrote it is not stopped
    // half-way: a later denyoom command runs.
    differential_script(
        r##"
        CONFIG SET maxmemory 1
        EVAL "redis.call('del', KEYS[1]); return redis.call('set', KEYS[1], 1)" 1 x
        EVAL "return redis.pcall('append', KEYS[1], 1)" 1 x
        CONFIG SET maxmemory 0
        "##,
    );
}

#[test]
fn exec_is_refused_when_it_queued_a_denyoom_command() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let mut log = Vec::new();
        // Read-only transaction: runs over the limit.
        a.cmd(&["SET", "x", "value"]);
        for cmd in [&["MULTI"][..], &["GET", "x"], &["PING"]] {
            log.push(text(a.cmd_raw(cmd)));
        }
        b.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
        log.push(text(a.cmd_raw(&["EXEC"])));
        b.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        // A write queued before the limit: EXEC is refused and the
        // transaction discarded.
        for cmd in [&["MULTI"][..], &["SET", "x", "1"], &["GET", "x"]] {
            log.push(text(a.cmd_raw(cmd)));
        }
        b.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
        log.push(text(a.cmd_raw(&["EXEC"])));
        log.push(text(a.cmd_raw(&["EXEC"])));
        log.push(text(a.cmd_raw(&["GET", "x"])));
        // A script queued as no-writes whose function was replaced by one
        // without flags: EXEC runs it, and the script start refuses it.
        b.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        b.cmd(&[
            "FUNCTION",
            "LOAD",
            "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}",
        ]);
        for cmd in [&["MULTI"][..], &["FCALL", "f", "0"]] {
            log.push(text(a.cmd_raw(cmd)));
        }
        b.cmd(&[
            "FUNCTION",
            "LOAD",
            "REPLACE",
            "#!lua name=lib\nredis.register_function('f', function() return 2 end)",
        ]);
        b.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
        log.push(text(a.cmd_raw(&["EXEC"])));
        b.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        log.push(text(a.cmd_raw(&["INFO", "errorstats"])));
        log
    });
}
