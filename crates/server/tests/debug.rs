//! DEBUG: refusal unless enabled, value internals, digests (equal to
//! Redis's for the same dataset), canned protocol replies (byte for byte
//! Redis's), keyspace filling, expiry and cron switches, allocator
//! controls.

mod common;

use common::{assert_same_replies, bulk, err, simple, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;
use std::time::{Duration, Instant};

const ENABLED: &[&str] = &["--enable-debug-command", "yes"];

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Verbatim(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => panic!("expected a string, got {other:?}"),
    }
}

fn int(f: Frame) -> i64 {
    match f {
        Frame::Integer(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn refused_unless_enabled_like_redis() {
    let ours = start_lodestone(&[]);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["DEBUG", "SLEEP", "0"],
        vec!["DEBUG", "nosuch"],
        vec!["DEBUG"],
        vec!["MULTI"],
        vec!["DEBUG", "SLEEP", "0"],
        vec!["SET", "k", "v"],
        vec!["EXEC"],
        vec!["GET", "k"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn local_setting_allows_loopback_clients() {
    let s = start_lodestone(&["--enable-debug-command", "local"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), simple("OK"));
}

#[test]
fn replies_match_redis() {
    let ours = start_lodestone(ENABLED);
    let Some(redis) = start_redis(ENABLED) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let mut script: Vec<Vec<&str>> = vec![
        vec!["SET", "foo", "bar"],
        vec!["DEBUG", "OBJECT", "nosuch"],
        vec!["DEBUG", "OBJECT", "foo", "extra"],
        vec!["DEBUG", "LISTPACK", "foo"],
        vec!["DEBUG", "LISTPACK", "nosuch"],
        vec!["DEBUG", "QUICKLIST", "foo", "1"],
        vec!["DEBUG", "ERROR", "FOO bar baz"],
        vec!["DEBUG", "ERROR", "no code\r\nhere"],
        vec!["DEBUG", "LOG", "hello"],
        vec!["DEBUG", "SLEEP", "0"],
        vec!["DEBUG", "SLEEP", "nonsense"],
        vec!["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        vec!["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"],
        vec!["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "-1"],
        vec!["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1mb"],
        vec!["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
        vec!["DEBUG", "PAUSE-CRON", "0"],
        vec!["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"],
        vec!["DEBUG", "CHANGE-REPL-ID"],
        vec!["DEBUG", "POPULATE", "-1"],
        vec!["DEBUG", "POPULATE", "abc"],
        vec!["DEBUG", "POPULATE", "3", "p", "-5"],
        vec!["DEBUG", "POPULATE", "5", "pre", "12"],
        vec!["GET", "pre:3"],
        vec!["DEBUG", "POPULATE", "3", "pre", "3"],
        vec!["GET", "pre:1"],
        vec!["DEBUG", "POPULATE", "3"],
        vec!["DBSIZE"],
        vec!["GET", "key:2"],
        vec!["OBJECT", "ENCODING", "key:2"],
        vec!["DEBUG", "MALLCTL", "arenas.page"],
        vec!["DEBUG", "MALLCTL", "no.such.control"],
        vec!["DEBUG", "MALLCTL", "arenas.page", "x"],
        vec!["DEBUG", "MALLCTL-STR", "no.such.control"],
        vec!["DEBUG", "MALLCTL-STR", "thread.tcache.flush", "VOID"],
        vec!["DEBUG", "CONFIG-REWRITE-FORCE-ALL"],
        vec!["DEBUG", "PROTOCOL", "nosuch"],
        vec!["DEBUG", "PROTOCOL", "push"],
        vec!["DEBUG", "nosuch", "a"],
    ];
    let types = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
        "verbatim", "true", "false",
    ];
    for t in types {
        script.push(vec!["DEBUG", "PROTOCOL", t]);
    }
    assert_same_replies(&mut a, &mut b, &script);
    // HELLO's own reply differs (server version): compare what follows.
    a.cmd(&["HELLO", "3"]);
    b.cmd(&["HELLO", "3"]);
    let resp3: Vec<Vec<&str>> = types
        .iter()
        .filter(|t| **t != "attrib")
        .map(|t| vec!["DEBUG", "PROTOCOL", t])
        .collect();
    assert_same_replies(&mut a, &mut b, &resp3);
    // An attribute or a push comes with a second reply: read up to a PING.
    for t in ["attrib", "push"] {
        let mut request = common::encode(&[b"DEBUG", b"PROTOCOL", t.as_bytes()]);
        request.extend(common::encode(&[b"PING"]));
        let mut bytes = Vec::new();
        for c in [&mut a, &mut b] {
            c.send_raw(&request);
            bytes.push(c.read_until_closed_or(Some(b"+PONG\r\n")).bytes);
        }
        assert_eq!(
            String::from_utf8_lossy(&bytes[0]),
            String::from_utf8_lossy(&bytes[1]),
            "DEBUG PROTOCOL {t}"
        );
    }
}

#[test]
fn digests_equal_redis_for_the_same_data() {
    let ours = start_lodestone(ENABLED);
    let Some(redis) = start_redis(ENABLED) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let big = "z".repeat(300);
    let script: Vec<Vec<&str>> = vec![
        vec!["DEBUG", "DIGEST"],
        vec!["DEBUG", "DIGEST-VALUE", "nosuch"],
        vec!["MSET", "a", "1", "b", "hello", "c", &big, "d", "-70000"],
        vec!["SET", "e", "volatile", "EX", "1000"],
        vec!["SELECT", "5"],
        vec!["SET", "a", "other db"],
        vec!["DEBUG", "DIGEST"],
        vec!["DEBUG", "DIGEST-VALUE", "a"],
        vec!["SELECT", "0"],
        vec!["DEBUG", "DIGEST-VALUE", "a", "b", "c", "d", "e", "nosuch"],
        vec!["DEBUG", "DIGEST-VALUE"],
        vec!["DEBUG", "DIGEST"],
        vec!["FLUSHALL"],
        vec!["DEBUG", "DIGEST"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn object_shows_value_internals() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SET", "s", "bar"]);
    c.cmd(&["SET", "n", "100000"]);
    c.cmd(&["SET", "small", "12"]);
    let line = text(&c.cmd(&["DEBUG", "OBJECT", "s"]));
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[0], "Value");
    assert!(fields[1].starts_with("at:0x"), "{line}");
    assert_eq!(
        &fields[2..5],
        ["refcount:1", "encoding:embstr", "serializedlength:4"]
    );
    assert!(fields[5].starts_with("lru:") && fields[6].starts_with("lru_seconds_idle:"));
    // In-place INCR keeps the value where it is.
    let at = |c: &mut Conn| {
        text(&c.cmd(&["DEBUG", "OBJECT", "n"]))
            .split(' ')
            .nth(1)
            .map(str::to_string)
    };
    let before = at(&mut c);
    c.cmd(&["INCR", "n"]);
    assert_eq!(before, at(&mut c));
    let n = text(&c.cmd(&["DEBUG", "OBJECT", "n"]));
    assert!(n.contains("encoding:int serializedlength:5"), "{n}");
    let small = text(&c.cmd(&["DEBUG", "OBJECT", "small"]));
    assert!(
        small.contains("refcount:2147483647 encoding:int serializedlength:2"),
        "{small}"
    );
}

#[test]
fn object_reads_logically_expired_keys() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    c.cmd(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(50));
    assert!(text(&c.cmd(&["DEBUG", "OBJECT", "k"])).starts_with("Value at:"));
    assert!(int(c.cmd(&["MEMORY", "USAGE", "k"])) > 0);
    let Frame::Array(digests) = c.cmd(&["DEBUG", "DIGEST-VALUE", "k"]) else {
        panic!("expected an array")
    };
    assert_ne!(text(&digests[0]), "0".repeat(40));
}

#[test]
fn set_active_expire_stops_background_expiry() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), simple("OK"));
    c.cmd(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(int(c.cmd(&["DBSIZE"])), 1);
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(int(c.cmd(&["DBSIZE"])), 0);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    c.cmd(&["SET", "k", "v", "PX", "1"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while int(c.cmd(&["DBSIZE"])) != 0 {
        assert!(
            Instant::now() < deadline,
            "key never expired in the background"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sleep_blocks_and_is_logged() {
    let s = start_lodestone(&[
        "--enable-debug-command",
        "yes",
        "--slowlog-log-slower-than",
        "100000",
    ]);
    let mut c = Conn::connect(s.port);
    let mut other = Conn::connect(s.port);
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.2"]), simple("OK"));
    assert_eq!(other.cmd(&["SLOWLOG", "LEN"]), Frame::Integer(1));
    let entry = match other.cmd(&["SLOWLOG", "GET"]) {
        Frame::Array(mut v) => v.remove(0),
        f => panic!("{f:?}"),
    };
    let Frame::Array(entry) = entry else {
        panic!("entry")
    };
    assert!(int(entry[2].clone()) >= 200_000);
    assert_eq!(
        entry[3],
        Frame::Array(vec![bulk("DEBUG"), bulk("SLEEP"), bulk("0.2")])
    );
}

#[test]
fn pause_cron_stops_the_periodic_task() {
    let s = start_lodestone(&["--enable-debug-command", "yes", "--timeout", "1"]);
    let mut c = Conn::connect(s.port);
    let mut idle = Conn::connect(s.port);
    assert_eq!(idle.cmd(&["PING"]), simple("PONG"));
    c.cmd(&["DEBUG", "PAUSE-CRON", "1"]);
    std::thread::sleep(Duration::from_millis(2500));
    // The idle client outlived its timeout: nothing closed it.
    assert_eq!(idle.cmd(&["PING"]), simple("PONG"));
    c.cmd(&["DEBUG", "PAUSE-CRON", "0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !idle.is_closed() {
        assert!(Instant::now() < deadline, "idle client never timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn change_repl_id_renews_the_replication_id() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    let replid = |c: &mut Conn| {
        text(&c.cmd(&["INFO", "replication"]))
            .lines()
            .find_map(|l| l.strip_prefix("master_replid:").map(str::to_string))
            .expect("master_replid")
    };
    let before = replid(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "CHANGE-REPL-ID"]), simple("OK"));
    let after = replid(&mut c);
    assert_eq!(after.len(), 40);
    assert_ne!(before, after);
}

/// A server started with a configuration file, killed on drop.
struct WithConfig(std::process::Child);

impl Drop for WithConfig {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn config_rewrite_force_all_writes_every_parameter() {
    let dir = std::env::temp_dir().join(format!("lodestone-debug-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = dir.join("lodestone.conf");
    std::fs::write(&conf, "hz 15\n").expect("conf");
    let port = common::free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lodestone-server"))
        .arg(&conf)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--enable-debug-command", "yes", "--dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let _server = WithConfig(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["DEBUG", "CONFIG-REWRITE-FORCE-ALL"]), simple("OK"));
    let written = std::fs::read_to_string(&conf).expect("read conf");
    assert!(written.contains("hz 15"), "{written}");
    assert!(written.contains("maxmemory-policy noeviction"), "{written}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn populate_fills_the_selected_database() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "key:1", "mine"]);
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "1000"]), simple("OK"));
    assert_eq!(int(c.cmd(&["DBSIZE"])), 1000);
    assert_eq!(c.cmd(&["GET", "key:1"]), bulk("mine"));
    assert_eq!(c.cmd(&["GET", "key:999"]), bulk("value:999"));
    c.cmd(&["DEBUG", "POPULATE", "2", "z", "10"]);
    assert_eq!(
        c.cmd(&["GET", "z:1"]),
        Frame::Bulk(b"value:1\0\0\0".to_vec())
    );
    c.cmd(&["SELECT", "0"]);
    assert_eq!(int(c.cmd(&["DBSIZE"])), 0);
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", "9223372036854775807"]),
        err("ERR OOM in dictTryExpand")
    );
}

#[test]
fn help_and_mallctl_strings() {
    let s = start_lodestone(ENABLED);
    let mut c = Conn::connect(s.port);
    let help = match c.cmd(&["DEBUG", "HELP"]) {
        Frame::Array(v) => v,
        f => panic!("{f:?}"),
    };
    assert_eq!(
        text(&help[0]),
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert!(help
        .iter()
        .any(|l| text(l) == "POPULATE <count> [<prefix>] [<size>]"));
    let version = text(&c.cmd(&["DEBUG", "MALLCTL-STR", "version"]));
    assert!(version.starts_with("5."), "{version}");
    // An integer control is not read as a string.
    assert_eq!(
        c.cmd(&["DEBUG", "MALLCTL-STR", "arenas.page"]),
        err("ERR Invalid argument")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "STRINGMATCH-TEST"]),
        simple("Apparently Redis did not crash: test passed")
    );
}
