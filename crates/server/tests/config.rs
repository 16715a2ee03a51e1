//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP and startup configuration,
//! mostly differential against a real redis-server.
//!
//! The oracle installed here is Redis 7.0; where 7.2 (our target) differs,
//! the comparison leaves the difference out and says why.

mod common;

use common::{
    assert_same_replies, bulk, err, free_port, keyevents, start_lodestone, start_redis, Conn,
};
use lodestone_protocol::frame::Frame;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A CONFIG GET reply (RESP2 flat array or RESP3 map) as a sorted map.
fn as_map(f: Frame) -> BTreeMap<String, String> {
    let text = |f: &Frame| match f {
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a bulk string: {other:?}"),
    };
    match f {
        Frame::Array(items) => items
            .chunks(2)
            .map(|kv| (text(&kv[0]), text(&kv[1])))
            .collect(),
        Frame::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), text(v))).collect(),
        other => panic!("not a CONFIG GET reply: {other:?}"),
    }
}

fn config_get(c: &mut Conn, patterns: &[&str]) -> BTreeMap<String, String> {
    let mut args = vec!["CONFIG", "GET"];
    args.extend_from_slice(patterns);
    as_map(c.cmd(&args))
}

fn ok() -> Frame {
    common::simple("OK")
}

/// Every parameter and its default, as in Redis: all 7.0 parameters must
/// read the same. Left out of the value comparison: `dir` and `port` (each
/// server gets its own scratch directory and port). Left out of the name
/// comparison: the parameters Redis 7.2 added (`locale-collate`,
/// `cluster-announce-human-nodename`, `set-max-listpack-entries`,
/// `set-max-listpack-value`) and `aof-disable-auto-gc`, hidden from
/// patterns since 7.2.
#[test]
fn get_all_defaults_match_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let a = config_get(&mut Conn::connect(ours.port), &["*"]);
    let b = config_get(&mut Conn::connect(oracle.port), &["*"]);
    let only_ours: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_redis: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert_eq!(
        only_ours,
        [
            "cluster-announce-human-nodename",
            "locale-collate",
            "set-max-listpack-entries",
            "set-max-listpack-value"
        ]
    );
    assert_eq!(only_redis, ["aof-disable-auto-gc"]);
    assert!(a.len() > 190, "{} parameters", a.len());
    for (k, v) in &b {
        if k == "dir" || k == "port" || !a.contains_key(k) {
            continue;
        }
        assert_eq!(&a[k], v, "default of {k}");
    }
    assert_eq!(a["port"], ours.port.to_string());
    let dir = std::fs::canonicalize(&ours.dir).unwrap();
    assert_eq!(a["dir"], dir.to_string_lossy());
}

/// Patterns: exact names answer under the name as given (any case,
/// aliases and hidden parameters included); globs match names and
/// aliases but not hidden parameters; duplicates collapse.
#[test]
fn get_patterns_like_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    // Single-entry replies are byte-for-byte identical.
    assert_same_replies(
        &mut a,
        &mut b,
        &[
            vec!["CONFIG", "GET", "MAXMEMORY"],
            vec!["CONFIG", "GET", "slaveof"],
            vec!["CONFIG", "GET", "key-load-delay"],
            vec!["CONFIG", "GET", "no-such-parameter"],
            vec!["CONFIG", "GET", "no-such-*"],
            vec!["CONFIG", "GET", "maxmemory", "MAXMEMORY", "maxmemory"],
            vec!["CONFIG", "GET", "hash-max-ziplist-entries"],
            vec!["CONFIG", "GET", "maxmemory-p?licy"],
            vec!["CONFIG", "GET", "[a]ppendonly"],
            vec!["CONFIG", "GET"],
        ],
    );
    // RESP3: a map.
    a.cmd(&["HELLO", "3"]);
    b.cmd(&["HELLO", "3"]);
    assert_same_replies(&mut a, &mut b, &[vec!["CONFIG", "GET", "timeout"]]);
    a.cmd(&["HELLO", "2"]);
    for patterns in [
        vec!["maxmemory", "maxmemory*", "bind", "*of"],
        vec!["SLAVE*"],
        vec!["*zset*entries*", "*MAXMEMORY*"],
        vec!["replica*", "slave*", "replicaof"],
    ] {
        assert_eq!(
            config_get(&mut a, &patterns),
            config_get(&mut b, &patterns),
            "{patterns:?}"
        );
    }
    let all = config_get(&mut a, &["*"]);
    assert!(all.contains_key("slaveof") && all.contains_key("replicaof"));
    assert!(!all.contains_key("key-load-delay"));
    assert!(config_get(&mut a, &["key-load-delay"]).contains_key("key-load-delay"));
}

/// Every way CONFIG SET refuses, with Redis's texts.
#[test]
fn set_errors_match_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["CONFIG", "SET", "foo", "bar"],
        vec!["CONFIG", "SET", "maxmemory", "1", "foo", "bar"],
        vec!["CONFIG", "SET", "foo", "bar", "daemonize", "yes"],
        vec!["CONFIG", "SET", "daemonize", "yes"],
        vec!["CONFIG", "SET", "databases", "1"],
        vec!["CONFIG", "SET", "slaveof", "no one"],
        vec!["CONFIG", "SET", "dir", "/tmp"],
        vec!["CONFIG", "SET", "dbfilename", "x.rdb"],
        vec!["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"],
        vec!["CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"],
        vec!["CONFIG", "SET", "maxmemory"],
        vec!["CONFIG", "SET", "maxmemory", "1", "timeout"],
        vec!["CONFIG", "SET"],
        vec!["CONFIG", "SET", "activerehashing", "maybe"],
        vec!["CONFIG", "SET", "activedefrag", "yes"],
        vec!["CONFIG", "SET", "maxmemory-policy", "lru"],
        vec!["CONFIG", "SET", "appendfsync", ""],
        vec!["CONFIG", "SET", "shutdown-on-sigint", "save nosave"],
        vec!["CONFIG", "SET", "shutdown-on-sigint", ""],
        vec!["CONFIG", "SET", "shutdown-on-sigint", "now  force"],
        vec!["CONFIG", "SET", "timeout", "x"],
        vec!["CONFIG", "SET", "timeout", "-1"],
        vec!["CONFIG", "SET", "timeout", "1.5"],
        vec!["CONFIG", "SET", "timeout", " 1"],
        vec!["CONFIG", "SET", "hz", "99999999999999999999"],
        vec!["CONFIG", "SET", "maxclients", "0"],
        vec!["CONFIG", "SET", "maxclients", "-1"],
        vec!["CONFIG", "SET", "maxmemory", "-1"],
        vec!["CONFIG", "SET", "maxmemory", "1tb"],
        vec!["CONFIG", "SET", "maxmemory", "10%"],
        vec!["CONFIG", "SET", "proto-max-bulk-len", "1k"],
        vec![
            "CONFIG",
            "SET",
            "proto-max-bulk-len",
            "18446744073709551615",
        ],
        vec!["CONFIG", "SET", "maxmemory-clients", "101%"],
        vec!["CONFIG", "SET", "maxmemory-clients", "x%"],
        vec!["CONFIG", "SET", "maxmemory-clients", "-1%"],
        vec!["CONFIG", "SET", "active-expire-effort", "11"],
        vec!["CONFIG", "SET", "save", "100"],
        vec!["CONFIG", "SET", "save", "0 1"],
        vec!["CONFIG", "SET", "save", "100 -1"],
        vec!["CONFIG", "SET", "save", "100  1"],
        vec!["CONFIG", "SET", "save", "x 1"],
        vec!["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2"],
        vec![
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 1 2 3",
        ],
        vec![
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub x 2 3",
        ],
        vec![
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1 2 -3",
        ],
        vec![
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1 2 3 foo 1 2 3",
        ],
        vec!["CONFIG", "SET", "oom-score-adj-values", "1 2"],
        vec!["CONFIG", "SET", "oom-score-adj-values", "1 2 3000"],
        vec!["CONFIG", "SET", "oom-score-adj", "sometimes"],
        vec!["CONFIG", "SET", "notify-keyspace-events", "KQ"],
        vec![
            "CONFIG",
            "SET",
            "bind",
            "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
        ],
        vec!["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
        vec!["CONFIG", "SET", "latency-tracking-info-percentiles", "abc"],
        vec![
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "50 nan",
        ],
        vec!["CONFIG", "SET", "proc-title-template", "{unknown}"],
        vec!["CONFIG", "SET", "proc-title-template", "{title"],
        vec!["CONFIG", "SET", "proc-title-template", "  "],
        vec!["CONFIG", "SET", "cluster-announce-hostname", "a_b"],
        vec!["CONFIG", "SET", "sanitize-dump-payload", "always"],
        vec!["CONFIG", "SET", "repl-diskless-load", "x"],
        vec!["CONFIG", "FOO"],
        vec!["CONFIG", "GET", "maxmemory"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

/// Values read back exactly as Redis formats them, for every type.
#[test]
fn set_then_get_matches_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    let pairs: &[(&str, &str)] = &[
        ("maxmemory", "1gb"),
        ("maxmemory", "3K"),
        ("maxmemory", "18446744073709551615"),
        ("maxmemory", "0"),
        ("maxmemory-clients", "10%"),
        ("maxmemory-clients", "1mb"),
        ("maxmemory-clients", "0"),
        ("hz", "0"),
        ("hz", "1000"),
        ("hz", "10"),
        ("timeout", "30"),
        ("tcp-keepalive", "60"),
        ("list-max-ziplist-size", "-3"),
        ("hash-max-ziplist-value", "1kb"),
        ("zset-max-listpack-entries", "64"),
        ("active-expire-effort", "5"),
        ("slowlog-log-slower-than", "-1"),
        ("slowlog-max-len", "5"),
        ("latency-monitor-threshold", "100"),
        ("proto-max-bulk-len", "2mb"),
        ("client-query-buffer-limit", "2gb"),
        ("save", "100 10 20 30"),
        ("save", ""),
        (
            "client-output-buffer-limit",
            "pubsub 1mb 2mb 3 replica 1 2 3",
        ),
        ("client-output-buffer-limit", "NORMAL 1k 2k 4"),
        ("client-output-buffer-limit", ""),
        ("notify-keyspace-events", "KEA"),
        ("notify-keyspace-events", "Exg$"),
        ("notify-keyspace-events", "ml"),
        ("notify-keyspace-events", ""),
        ("oom-score-adj-values", "-10 20 +30"),
        ("oom-score-adj-values", "0 200 800"),
        ("latency-tracking-info-percentiles", "1.5 99.99 100 0"),
        ("latency-tracking-info-percentiles", ""),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("shutdown-on-sigterm", "force NOW nosave"),
        ("shutdown-on-sigterm", "default"),
        ("maxmemory-policy", "ALLKEYS-LFU"),
        ("maxmemory-policy", "noeviction"),
        ("loglevel", "warning"),
        ("loglevel", "notice"),
        ("appendfsync", "always"),
        ("oom-score-adj", "relative"),
        ("oom-score-adj", "no"),
        ("acl-pubsub-default", "allchannels"),
        ("slave-announce-ip", "1.2.3.4"),
        ("replica-announce-ip", ""),
        ("masterauth", "secret"),
        ("lua-time-limit", "100"),
        ("busy-reply-threshold", "5000"),
        ("lazyfree-lazy-user-del", "YES"),
        ("lazyfree-lazy-user-del", "no"),
        ("bind", "127.0.0.1 -::1"),
        ("bind", "127.0.0.1"),
    ];
    for (name, value) in pairs {
        assert_same_replies(
            &mut a,
            &mut b,
            &[
                vec!["CONFIG", "SET", name, value],
                vec!["CONFIG", "GET", name],
            ],
        );
    }
}

/// A failing parameter changes nothing, whether it fails validation or
/// when applied (the port is taken).
#[test]
fn set_is_atomic() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    assert_same_replies(
        &mut a,
        &mut b,
        &[
            vec!["CONFIG", "SET", "maxmemory", "10000002"],
            vec![
                "CONFIG",
                "SET",
                "maxmemory",
                "10000001",
                "maxmemory-clients",
                "200%",
                "client-query-buffer-limit",
                "invalid",
            ],
            vec!["CONFIG", "GET", "maxmemory"],
            vec!["CONFIG", "GET", "maxmemory-clients"],
            vec![
                "CONFIG",
                "SET",
                "maxmemory",
                "10000001",
                "port",
                &busy_port,
                "client-query-buffer-limit",
                "10m",
            ],
            vec!["CONFIG", "GET", "maxmemory"],
            vec!["CONFIG", "GET", "client-query-buffer-limit"],
            vec!["PING"],
        ],
    );
    // Both still listen on their original port.
    assert_eq!(
        Conn::connect(ours.port).cmd(&["PING"]),
        common::simple("PONG")
    );
}

/// CONFIG SET port / bind move the listening sockets; established
/// connections stay.
#[test]
fn set_port_and_bind_rebind() {
    let ours = start_lodestone(&[]);
    let mut c = Conn::connect(ours.port);
    let new_port = free_port();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]),
        ok()
    );
    assert_eq!(
        Conn::connect(new_port).cmd(&["PING"]),
        common::simple("PONG")
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", ours.port)).is_err());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "port"]),
        Frame::Array(vec![bulk("port"), bulk(&new_port.to_string())])
    );
    // Rebinding to the same addresses works while they are in use.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1"]), ok());
    assert_eq!(
        Conn::connect(new_port).cmd(&["PING"]),
        common::simple("PONG")
    );
    // An address that cannot be bound is refused and the old ones kept.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "bind", "192.0.2.1"]),
        err("ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.")
    );
    assert_eq!(
        Conn::connect(new_port).cmd(&["PING"]),
        common::simple("PONG")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bind"]),
        Frame::Array(vec![bulk("bind"), bulk("127.0.0.1")])
    );
    // Port 0: no TCP listener at all.
    assert_eq!(c.cmd(&["CONFIG", "SET", "port", "0"]), ok());
    assert!(std::net::TcpStream::connect(("127.0.0.1", new_port)).is_err());
    assert_eq!(c.cmd(&["PING"]), common::simple("PONG"));
}

/// requirepass: new connections must authenticate, established ones stay
/// authenticated, clearing it opens the server again.
#[test]
fn requirepass_applies_like_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    assert_same_replies(
        &mut a,
        &mut b,
        &[vec!["CONFIG", "SET", "requirepass", "s3cret"], vec!["PING"]],
    );
    let mut a2 = Conn::connect(ours.port);
    let mut b2 = Conn::connect(oracle.port);
    assert_same_replies(
        &mut a2,
        &mut b2,
        &[
            vec!["PING"],
            vec!["AUTH", "wrong"],
            vec!["AUTH", "s3cret"],
            vec!["CONFIG", "GET", "requirepass"],
        ],
    );
    let mut a3 = Conn::connect(ours.port);
    let mut b3 = Conn::connect(oracle.port);
    assert_same_replies(&mut a3, &mut b3, &[vec!["GET", "x"]]);
    assert_same_replies(&mut a, &mut b, &[vec!["CONFIG", "SET", "requirepass", ""]]);
    assert_same_replies(&mut a3, &mut b3, &[vec!["GET", "x"]]);
    let mut a4 = Conn::connect(ours.port);
    let mut b4 = Conn::connect(oracle.port);
    assert_same_replies(&mut a4, &mut b4, &[vec!["PING"], vec!["AUTH", "x"]]);
}

/// Parameters the server reads take effect at once.
#[test]
fn runtime_effects_match_redis() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    assert_same_replies(
        &mut a,
        &mut b,
        &[
            // LFU vs LRU bookkeeping follows maxmemory-policy.
            vec!["SET", "k", "v"],
            vec!["OBJECT", "FREQ", "k"],
            vec!["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
            vec!["SET", "k2", "v"],
            vec!["OBJECT", "FREQ", "k2"],
            vec!["OBJECT", "IDLETIME", "k2"],
            vec!["CONFIG", "SET", "maxmemory-policy", "noeviction"],
            // proto-max-bulk-len bounds the strings commands build.
            vec!["CONFIG", "SET", "proto-max-bulk-len", "1mb"],
            vec!["SETRANGE", "k", "1048576", "x"],
            vec!["SETRANGE", "k", "1048574", "x"],
            vec!["CONFIG", "SET", "proto-max-bulk-len", "512mb"],
        ],
    );
    // Keyspace notifications start as soon as they are enabled.
    for port in [ours.port, oracle.port] {
        let mut sub = Conn::connect(port);
        let mut c = Conn::connect(port);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "K$"]),
            ok()
        );
        sub.cmd(&["SUBSCRIBE", "__keyspace@0__:n"]);
        c.cmd(&["SET", "n", "1"]);
        assert_eq!(
            sub.read(),
            Frame::Array(vec![bulk("message"), bulk("__keyspace@0__:n"), bulk("set")])
        );
    }
    // maxclients counts connected clients.
    for port in [ours.port, oracle.port] {
        let mut c = Conn::connect(port);
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "1"]), ok());
        let mut extra = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        extra
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let _ = extra.read_to_end(&mut buf);
        assert_eq!(buf, b"-ERR max number of clients reached\r\n");
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "10000"]), ok());
    }
}

/// `timeout` closes idle clients once set.
#[test]
fn timeout_closes_idle_clients() {
    let ours = start_lodestone(&[]);
    let mut idle = Conn::connect(ours.port);
    idle.cmd(&["PING"]);
    assert_eq!(
        Conn::connect(ours.port).cmd(&["CONFIG", "SET", "timeout", "1"]),
        ok()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !idle.is_closed() {
        assert!(Instant::now() < deadline, "idle client never closed");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Protected parameters need enable-protected-configs; `dir` changes the
/// working directory and reads back as its absolute physical path.
#[test]
fn protected_configs_and_dir() {
    let ours = start_lodestone(&["--enable-protected-configs", "yes"]);
    let mut c = Conn::connect(ours.port);
    let sub = ours.dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert_eq!(c.cmd(&["CONFIG", "SET", "dir", "sub"]), ok());
    let expected = std::fs::canonicalize(&sub).unwrap();
    assert_eq!(
        config_get(&mut c, &["dir"])["dir"],
        expected.to_string_lossy()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/no/such/dir"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dbfilename", "a/b.rdb"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "dbfilename", "x.rdb"]), ok());
    let local = start_lodestone(&["--enable-protected-configs", "local"]);
    assert_eq!(
        Conn::connect(local.port).cmd(&["CONFIG", "SET", "dbfilename", "y.rdb"]),
        ok()
    );
}

/// RESETSTAT zeroes the counters INFO shows: command and error statistics,
/// keyspace hits and misses, connections and commands processed.
#[test]
fn resetstat_clears_counters() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    for port in [ours.port, oracle.port] {
        let mut c = Conn::connect(port);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["GET", "a"]);
        c.cmd(&["GET", "missing"]);
        c.cmd(&["INCR", "a", "b"]);
        let before = info(&mut c);
        assert!(before.contains("cmdstat_get:calls=2"), "{before}");
        assert!(before.contains("keyspace_hits:1"));
        assert!(before.contains("errorstat_ERR:count=1"));
        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
        let after = info(&mut c);
        assert!(!after.contains("cmdstat_get"), "{after}");
        assert!(
            after.contains("cmdstat_config|resetstat:calls=1")
                || after.contains("cmdstat_config|resetstat")
        );
        assert!(!after.contains("errorstat_ERR"));
        assert!(after.contains("keyspace_hits:0"));
        assert!(after.contains("keyspace_misses:0"));
        assert!(after.contains("total_connections_received:0"));
        assert!(after.contains("total_error_replies:0"));
        // The data itself is untouched.
        assert_eq!(c.cmd(&["GET", "a"]), bulk("1"));
    }
}

fn info(c: &mut Conn) -> String {
    match c.cmd(&["INFO", "everything"]) {
        Frame::Bulk(b) | Frame::Verbatim(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO reply {other:?}"),
    }
}

#[test]
fn help_and_no_config_file() {
    let ours = start_lodestone(&[]);
    let Some(oracle) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(oracle.port);
    assert_same_replies(
        &mut a,
        &mut b,
        &[
            vec!["CONFIG", "REWRITE"],
            vec!["CONFIG", "RESETSTAT", "x"],
            vec!["CONFIG", "HELP", "x"],
        ],
    );
    // Redis 7.2 words the last help line "Print this help." (7.0: "Prints").
    let help = a.cmd(&["CONFIG", "HELP"]);
    let Frame::Array(lines) = help else {
        panic!("CONFIG HELP reply {help:?}");
    };
    let text: Vec<Frame> = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Print this help.",
    ]
    .iter()
    .map(|l| common::simple(l))
    .collect();
    assert_eq!(lines, text);
}

/// A scratch directory removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "lodestone-config-{tag}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&p).expect("scratch dir");
        TempDir(std::fs::canonicalize(&p).expect("canonical scratch dir"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server started from a file, killed on drop.
struct FileServer {
    child: Child,
    port: u16,
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lodestone-server <conf> <extra...>` and waits for `port`.
fn start_with_file(conf: &Path, port: u16, extra: &[&str]) -> FileServer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lodestone-server"))
        .arg(conf)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lodestone-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return FileServer { child, port };
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// CONFIG REWRITE keeps the file's comments and order, rewrites changed
/// parameters in place, appends new ones after the signature, and a
/// restart from the file gives the same configuration.
#[test]
fn rewrite_round_trip() {
    let scratch = TempDir::new("rewrite");
    let dir = scratch.0.clone();
    let port = free_port();
    let conf = dir.join("lodestone.conf");
    std::fs::write(
        &conf,
        format!(
            "# top comment\nport {port}\nbind 127.0.0.1\ndir {}\n\n# memory\nmaxmemory 1mb\nsave 900 1\nsave 300 10\nhash-max-ziplist-entries 21\nmaxmemory 5mb\n",
            dir.display()
        ),
    )
    .unwrap();
    let before;
    {
        let server = start_with_file(&conf, port, &[]);
        let mut c = Conn::connect(server.port);
        assert_eq!(config_get(&mut c, &["maxmemory"])["maxmemory"], "5242880");
        assert_eq!(config_get(&mut c, &["save"])["save"], "900 1 300 10");
        assert_eq!(
            c.cmd(&[
                "CONFIG",
                "SET",
                "maxmemory",
                "3mb",
                "save",
                "60 5",
                "notify-keyspace-events",
                "Ex",
                "client-output-buffer-limit",
                "pubsub 1mb 2mb 3",
                "maxmemory-clients",
                "5%",
                "hash-max-listpack-entries",
                "100",
                "requirepass",
                "a \"quoted\" pass"
            ]),
            ok()
        );
        assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), ok());
        before = config_get(&mut c, &["*"]);
    }
    let text = std::fs::read_to_string(&conf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# top comment");
    assert_eq!(lines[1], format!("port {port}"));
    assert_eq!(lines[2], "bind 127.0.0.1");
    assert_eq!(lines[3], format!("dir \"{}\"", dir.display()));
    assert_eq!(lines[5], "# memory");
    assert_eq!(lines[6], "maxmemory 3mb");
    assert_eq!(lines[7], "save 60 5");
    // The second `save` line is blanked; the alias line is rewritten
    // under the parameter's own name; the second `maxmemory` is blanked
    // and the blank lines after it collapse into one.
    assert_eq!(lines[8], "");
    assert_eq!(lines[9], "hash-max-listpack-entries 100");
    assert_eq!(lines[10], "");
    assert_eq!(lines[11], "# Generated by CONFIG REWRITE");
    for expected in [
        "notify-keyspace-events \"xE\"",
        "client-output-buffer-limit pubsub 1mb 2mb 3",
        "maxmemory-clients 5%",
        "requirepass \"a \\\"quoted\\\" pass\"",
        "latency-tracking-info-percentiles 50 99 99.9",
    ] {
        assert!(
            lines[12..].contains(&expected),
            "{expected} missing in:\n{text}"
        );
    }
    assert!(!text.contains("maxmemory 5mb"));
    assert!(!text.contains("timeout"), "defaults are not added:\n{text}");
    // Restart from the rewritten file: same configuration. Rewrite again
    // and restart once more: still the same. (The second rewrite moves
    // lines around exactly as Redis does: the first
    // `client-output-buffer-limit` line in the file is reused for the
    // `normal` class and the changed `pubsub` class is appended.)
    for _ in 0..2 {
        let server = start_with_file(&conf, port, &[]);
        let mut c = Conn::connect(server.port);
        assert_eq!(c.cmd(&["AUTH", "a \"quoted\" pass"]), ok());
        assert_eq!(config_get(&mut c, &["*"]), before);
        assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), ok());
    }
    let again = std::fs::read_to_string(&conf).unwrap();
    assert!(again.starts_with(text.split("client-output-buffer-limit").next().unwrap()));
    assert!(
        again.ends_with("\nclient-output-buffer-limit pubsub 1mb 2mb 3\n"),
        "{again}"
    );
}

/// Startup errors: the report names the line and the reason, and the
/// server exits with status 1.
#[test]
fn startup_errors() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lodestone-server"))
            .args(args)
            .output()
            .expect("run lodestone-server");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
    };
    let e = run(&["--invalid"]);
    assert!(
        e.contains("FATAL CONFIG FILE ERROR")
            && e.contains("Bad directive or wrong number of arguments"),
        "{e}"
    );
    let e = run(&["--port"]);
    assert!(e.contains(">>> 'port'\nwrong number of arguments"), "{e}");
    let e = run(&["--port", "6379", "6380"]);
    assert!(e.contains(">>> 'port \"6379\" \"6380\"'"), "{e}");
    let e = run(&["--maxmemory", "lots"]);
    assert!(e.contains("argument must be a memory value"), "{e}");
    let e = run(&["--cluster-enabled", "yes"]);
    assert!(e.contains("does not support cluster mode yet"), "{e}");
    let e = run(&["/no/such/file.conf"]);
    assert!(
        e.contains("Fatal error, can't open config file '/no/such/file.conf'"),
        "{e}"
    );
    let scratch = TempDir::new("errors");
    let conf = scratch.0.join("bad.conf");
    std::fs::write(&conf, "# comment\n\nport 1\nappendonly \"yes\n").unwrap();
    let e = run(&[conf.to_str().unwrap()]);
    assert!(
        e.contains("at line 4\n>>> 'appendonly \"yes'\nUnbalanced quotes in configuration line"),
        "{e}"
    );
}

/// `include` (with a glob), aliases, quoting and `save` lines in a file,
/// then command line options on top.
#[test]
fn startup_file_features() {
    let scratch = TempDir::new("include");
    let dir = scratch.0.clone();
    let port = free_port();
    std::fs::create_dir(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("conf.d/a.conf"), "timeout 7\n").unwrap();
    std::fs::write(dir.join("conf.d/b.conf"), "timeout 9\nslave-read-only no\n").unwrap();
    let conf = dir.join("main.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nsave 900 1\nSAVE 300 10\nmasterauth \"with space\"\nhz 1000\ninclude {}/conf.d/*.conf\n",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    // Options are read after the file, so they win. (As in Redis, `save`
    // lines only add up until an `include` has been read: a `--save` here
    // would replace the file's save points.)
    let server = start_with_file(&conf, port, &["--maxmemory", "2mb", "--timeout", "11"]);
    let mut c = Conn::connect(server.port);
    let got = config_get(
        &mut c,
        &[
            "timeout",
            "replica-read-only",
            "save",
            "masterauth",
            "hz",
            "maxmemory",
        ],
    );
    assert_eq!(got["timeout"], "11");
    assert_eq!(got["replica-read-only"], "no");
    assert_eq!(got["save"], "900 1 300 10");
    assert_eq!(got["masterauth"], "with space");
    assert_eq!(got["hz"], "500");
    assert_eq!(got["maxmemory"], "2097152");
}

/// The example configuration at the repository root loads, and sets every
/// parameter to its default (dir and port aside, which the test sets).
#[test]
fn example_config_is_defaults() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lodestone.conf");
    let scratch = TempDir::new("example");
    let port = free_port();
    let dir = scratch.0.to_string_lossy().into_owned();
    let server = start_with_file(
        &example,
        port,
        &[
            "--port",
            &port.to_string(),
            "--dir",
            &dir,
            "--bind",
            "127.0.0.1",
        ],
    );
    let plain = start_lodestone(&[]);
    let mut a = config_get(&mut Conn::connect(server.port), &["*"]);
    let mut b = config_get(&mut Conn::connect(plain.port), &["*"]);
    for m in [&mut a, &mut b] {
        m.remove("dir");
        m.remove("port");
        // The harness starts servers with `save ""`.
        m.remove("save");
    }
    assert_eq!(a, b);
    assert_eq!(
        config_get(&mut Conn::connect(server.port), &["save"])["save"],
        "3600 1 300 100 60 10000"
    );
}

/// `n` (new-key events) is not part of `A`: with both set, CONFIG GET
/// shows Redis's text (`AKE`, no `n`) but new-key events still arrive,
/// as in Redis.
#[test]
fn notify_keyspace_events_keeps_new_class_next_to_a() {
    let commands: &[&[&str]] = &[&["SET", "fresh", "1"], &["SET", "fresh", "2"]];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEAn", commands);
    assert!(ours.contains(&("new".to_string(), "fresh".to_string())));
    let mut c = Conn::connect(server.port);
    let shown = c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEAn", commands));
    let mut r = Conn::connect(redis.port);
    assert_eq!(shown, r.cmd(&["CONFIG", "GET", "notify-keyspace-events"]));
}
