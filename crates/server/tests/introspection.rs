//! COMMAND, SLOWLOG, LATENCY and MEMORY: command metadata and key
//! extraction (differentially against redis-server where Redis 7.0 and 7.2
//! agree), the slow log with its trimming and redaction, the latency
//! monitor and histograms, and memory figures.

mod common;

use common::{
    assert_same_replies, bulk, differential_script, err, send, simple, start_lodestone,
    start_redis, wait_blocked, Conn,
};
use lodestone_protocol::frame::Frame;

fn int(f: Frame) -> i64 {
    match f {
        Frame::Integer(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn array(f: Frame) -> Vec<Frame> {
    match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Verbatim(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => panic!("expected a string, got {other:?}"),
    }
}

fn strings(f: Frame) -> Vec<String> {
    array(f).iter().map(text).collect()
}

/// Map replies read in RESP2: a flat array of name, value pairs.
fn pairs(f: Frame) -> Vec<(String, Frame)> {
    let items = array(f);
    items
        .chunks(2)
        .map(|p| (text(&p[0]), p[1].clone()))
        .collect()
}

fn field(map: &[(String, Frame)], name: &str) -> Frame {
    map.iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .1
        .clone()
}

#[test]
fn command_info_and_getkeys_match_redis() {
    let ours = start_lodestone(&[]);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec![
            "COMMAND",
            "INFO",
            "get",
            "SET",
            "mset",
            "nosuch",
            "get|key",
            "config|get|key",
        ],
        vec![
            "COMMAND",
            "INFO",
            "getex",
            "getdel",
            "append",
            "incrbyfloat",
        ],
        vec!["COMMAND", "GETKEYS", "get", "k"],
        vec!["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"],
        vec!["COMMAND", "GETKEYS", "lcs", "key1", "key2"],
        vec!["COMMAND", "GETKEYS", "memory", "usage", "key"],
        vec!["COMMAND", "GETKEYS", "object", "encoding", "key"],
        vec!["COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1"],
        vec!["COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1", "GET"],
        vec!["COMMAND", "GETKEYSANDFLAGS", "mset", "k1", "v1", "k2", "v2"],
        vec!["COMMAND", "GETKEYSANDFLAGS", "getdel", "k"],
        vec!["COMMAND", "GETKEYS", "nosuch", "a"],
        vec!["COMMAND", "GETKEYS", "config", "nosuch"],
        vec!["COMMAND", "GETKEYS", "client", "id"],
        vec!["COMMAND", "GETKEYS", "get", "a", "b"],
        vec!["COMMAND", "GETKEYS"],
        vec!["COMMAND", "LIST", "bad"],
        vec!["COMMAND", "LIST", "filterby", "bad"],
        vec!["COMMAND", "LIST", "filterby", "bad", "x"],
        vec!["COMMAND", "LIST", "filterby", "aclcat", "nosuch"],
        vec!["COMMAND", "LIST", "filterby", "module", "nosuch"],
        vec!["COMMAND", "LIST", "filterby", "pattern", "getex"],
        vec!["COMMAND", "LIST", "filterby", "pattern", "non_exists*"],
        vec!["COMMAND", "DOCS", "nosuch"],
        vec!["COMMAND", "COUNT", "x"],
        vec!["COMMAND", "nosuch"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn command_lists_only_implemented_commands() {
    let s = start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    let all = array(c.cmd(&["COMMAND"]));
    let count = int(c.cmd(&["COMMAND", "COUNT"]));
    assert_eq!(all.len() as i64, count);
    let list = strings(c.cmd(&["COMMAND", "LIST"]));
    assert!(list.contains(&"get".to_string()));
    assert!(list.contains(&"client|list".to_string()));
    // Containers are listed with their subcommands; commands that are not
    // implemented are absent.
    assert!(list.contains(&"slowlog".to_string()));
    assert!(list.contains(&"slowlog|get".to_string()));
    let config_re = strings(c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|*RE*"]));
    assert!(config_re.contains(&"config|resetstat".to_string()));
    assert!(!config_re.contains(&"config|get".to_string()));
    let fast = strings(c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "FAST"]));
    assert!(fast.contains(&"get".to_string()));
    assert!(!fast.contains(&"keys".to_string()));
    // An unknown command's INFO is null; subcommands have full names.
    let info = array(c.cmd(&["COMMAND", "INFO", "client|id", "nosuch"]));
    assert_eq!(text(&array(info[0].clone())[0]), "client|id");
    assert_eq!(info[1], Frame::Null);
    // COMMAND INFO without names is COMMAND.
    assert_eq!(array(c.cmd(&["COMMAND", "INFO"])).len(), all.len());
}

#[test]
fn command_docs_describe_commands() {
    let s = start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    let docs = pairs(c.cmd(&["COMMAND", "DOCS", "get", "nosuch", "client"]));
    let names: Vec<&str> = docs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["get", "client"]);
    let get = pairs(docs[0].1.clone());
    assert_eq!(
        text(&field(&get, "summary")),
        "Returns the string value of a key."
    );
    assert_eq!(text(&field(&get, "group")), "string");
    let client = pairs(docs[1].1.clone());
    let subs = pairs(field(&client, "subcommands"));
    assert!(subs.iter().any(|(k, _)| k == "client|id"));
    let all = array(c.cmd(&["COMMAND", "DOCS"]));
    assert_eq!(all.len() as i64, 2 * int(c.cmd(&["COMMAND", "COUNT"])));
    let help = strings(c.cmd(&["COMMAND", "HELP"]));
    assert_eq!(
        help[0],
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(
        help.last().map(String::as_str),
        Some("    Print this help.")
    );
}

#[test]
fn slowlog_records_trims_and_redacts() {
    let s = start_lodestone(&["--slowlog-log-slower-than", "0"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["CONFIG", "SET", "requirepass", "pw"]);
    assert_eq!(c.cmd(&["AUTH", "pw"]), common::simple("OK"));
    let first = array(c.cmd(&["SLOWLOG", "GET", "2"]));
    assert_eq!(
        strings(array(first[1].clone())[3].clone()),
        ["CONFIG", "SET", "requirepass", "(redacted)"]
    );
    c.cmd(&["CLIENT", "SETNAME", "tester"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["SET", "k", "v"]);
    let long = "A".repeat(129);
    c.cmd(&["SET", "k2", &long]);
    let many: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    let mut mget = vec!["MGET"];
    mget.extend(many.iter().map(String::as_str));
    c.cmd(&mget);
    c.cmd(&["AUTH", "pw"]);
    c.cmd(&["CONFIG", "SET", "masterauth", "secret", "hz", "10"]);
    let log = array(c.cmd(&["SLOWLOG", "GET", "-1"]));
    // Newest first: CONFIG SET, AUTH, MGET, SET k2, SET k, SLOWLOG RESET.
    assert_eq!(log.len(), 6);
    let args = |i: usize| strings(array(log[i].clone())[3].clone());
    assert_eq!(
        args(0),
        ["CONFIG", "SET", "masterauth", "(redacted)", "hz", "10"]
    );
    assert_eq!(args(1), ["AUTH", "(redacted)"]);
    let trimmed = args(2);
    assert_eq!(trimmed.len(), 32);
    assert_eq!(trimmed[31], "... (10 more arguments)");
    assert_eq!(args(3)[2], format!("{}... (1 more bytes)", "A".repeat(128)));
    assert_eq!(args(4), ["SET", "k", "v"]);
    assert_eq!(args(5), ["SLOWLOG", "RESET"]);
    let entry = array(log[4].clone());
    assert_eq!(entry.len(), 6);
    assert!(int(entry[0].clone()) < int(array(log[0].clone())[0].clone()));
    assert!(text(&entry[4]).starts_with("127.0.0.1:"));
    assert_eq!(entry[5], bulk("tester"));
    // Each SLOWLOG command is logged too, once it has replied.
    assert_eq!(array(c.cmd(&["SLOWLOG", "GET"])).len(), 7);
    assert_eq!(array(c.cmd(&["SLOWLOG", "GET", "2"])).len(), 2);
    assert_eq!(array(c.cmd(&["SLOWLOG", "GET", "0"])).len(), 0);
    assert_eq!(int(c.cmd(&["SLOWLOG", "LEN"])), 10);
    // Ids keep growing across RESET.
    let last_id = int(array(log[0].clone())[0].clone());
    c.cmd(&["SLOWLOG", "RESET"]);
    assert_eq!(int(c.cmd(&["SLOWLOG", "LEN"])), 1);
    let newest = array(array(c.cmd(&["SLOWLOG", "GET"]))[0].clone());
    assert!(int(newest[0].clone()) > last_id);
    // SLOWLOG commands themselves are logged; disabled logging logs nothing.
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["GET", "k"]);
    assert_eq!(int(c.cmd(&["SLOWLOG", "LEN"])), 0);
}

#[test]
fn slowlog_max_len_and_errors_match_redis() {
    let args = ["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"];
    let ours = start_lodestone(&args);
    let Some(redis) = start_redis(&args) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["SLOWLOG", "GET", "-2"],
        vec!["SLOWLOG", "GET", "abc"],
        vec!["SLOWLOG", "GET", "1", "2"],
        vec!["SLOWLOG", "LEN", "x"],
        vec!["SLOWLOG", "nosuch"],
        vec!["SET", "a", "1"],
        vec!["SET", "b", "2"],
        vec!["SET", "c", "3"],
        vec!["SET", "d", "4"],
        vec!["SLOWLOG", "LEN"],
        vec!["SLOWLOG", "RESET"],
        vec!["SLOWLOG", "LEN"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn latency_monitor_records_slow_commands() {
    let s = start_lodestone(&[
        "--enable-debug-command",
        "yes",
        "--latency-monitor-threshold",
        "1",
    ]);
    let mut c = Conn::connect(s.port);
    assert_eq!(array(c.cmd(&["LATENCY", "LATEST"])).len(), 0);
    c.cmd(&["DEBUG", "SLEEP", "0.05"]);
    let latest = array(c.cmd(&["LATENCY", "LATEST"]));
    assert_eq!(latest.len(), 1);
    let event = array(latest[0].clone());
    assert_eq!(event[0], bulk("command"));
    let worst = int(event[3].clone());
    assert!(worst >= 50, "latency {worst}");
    let history = array(c.cmd(&["LATENCY", "HISTORY", "command"]));
    assert_eq!(history.len(), 1);
    assert_eq!(array(history[0].clone())[1], event[2]);
    assert!(array(c.cmd(&["LATENCY", "HISTORY", "COMMAND"])).is_empty());
    let graph = text(&c.cmd(&["LATENCY", "GRAPH", "command"]));
    assert!(graph.starts_with(&format!("command - high {worst} ms, low {worst} ms")));
    let doctor = text(&c.cmd(&["LATENCY", "DOCTOR"]));
    assert!(doctor.contains("1. command: 1 latency spikes"), "{doctor}");
    assert_eq!(int(c.cmd(&["LATENCY", "RESET", "COMMAND", "nosuch"])), 1);
    assert!(array(c.cmd(&["LATENCY", "LATEST"])).is_empty());
    assert_eq!(
        c.cmd(&["LATENCY", "GRAPH", "command"]),
        err("ERR No samples available for event 'command'")
    );
}

#[test]
fn latency_replies_match_redis_without_events() {
    let ours = start_lodestone(&[]);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["LATENCY", "LATEST"],
        vec!["LATENCY", "HISTORY", "command"],
        vec!["LATENCY", "GRAPH", "command"],
        vec!["LATENCY", "RESET"],
        vec!["LATENCY", "RESET", "a", "b"],
        vec!["LATENCY", "DOCTOR"],
        vec!["LATENCY", "HELP", "x"],
        vec!["LATENCY", "HISTOGRAM", "nosuch"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn latency_histograms_per_command() {
    let s = start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["SET", "c", "d"]);
    c.cmd(&["CLIENT", "ID"]);
    let histo = pairs(c.cmd(&["LATENCY", "HISTOGRAM", "set", "nosuch", "get"]));
    assert_eq!(histo.len(), 1);
    assert_eq!(histo[0].0, "set");
    let set = pairs(histo[0].1.clone());
    assert_eq!(int(field(&set, "calls")), 2);
    let buckets = array(field(&set, "histogram_usec"));
    assert!(!buckets.is_empty());
    // Cumulative: the last bucket counts every call.
    assert_eq!(int(buckets[buckets.len() - 1].clone()), 2);
    let client = pairs(c.cmd(&["LATENCY", "HISTOGRAM", "client"]));
    assert_eq!(client.len(), 1);
    assert_eq!(client[0].0, "client|id");
    let all: Vec<String> = pairs(c.cmd(&["LATENCY", "HISTOGRAM"]))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for name in ["set", "client|id", "config|resetstat", "latency|histogram"] {
        assert!(all.contains(&name.to_string()), "{name} in {all:?}");
    }
    c.cmd(&["HELLO", "3"]);
    match c.cmd(&["LATENCY", "HISTOGRAM", "set"]) {
        Frame::Map(m) => assert_eq!(m.len(), 1),
        other => panic!("expected a map, got {other:?}"),
    }
}

#[test]
fn memory_usage_and_reports() {
    let s = start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SET", "small", "v"]);
    c.cmd(&["SET", "big", &"x".repeat(5000)]);
    let small = int(c.cmd(&["MEMORY", "USAGE", "small"]));
    let big = int(c.cmd(&["MEMORY", "USAGE", "big", "SAMPLES", "0"]));
    assert!(small > 0);
    assert!(big >= small + 5000, "{big} vs {small}");
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "nosuch"]), Frame::Null);
    let stats = pairs(c.cmd(&["MEMORY", "STATS"]));
    assert_eq!(stats.len(), 28);
    assert_eq!(int(field(&stats, "keys.count")), 2);
    let db0 = pairs(field(&stats, "db.0"));
    assert!(int(field(&db0, "overhead.hashtable.main")) > 0);
    assert!(int(field(&stats, "total.allocated")) <= int(field(&stats, "peak.allocated")));
    let doctor = text(&c.cmd(&["MEMORY", "DOCTOR"]));
    assert!(doctor.contains("Sam"), "{doctor}");
    let malloc = text(&c.cmd(&["MEMORY", "MALLOC-STATS"]));
    assert!(malloc.contains("jemalloc"), "{malloc}");
    assert_eq!(c.cmd(&["MEMORY", "PURGE"]), common::simple("OK"));
}

#[test]
fn memory_errors_match_redis() {
    let ours = start_lodestone(&[]);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["SET", "k", "v"],
        vec!["MEMORY", "USAGE", "nosuch"],
        vec!["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        vec!["MEMORY", "USAGE", "k", "SAMPLES", "x"],
        vec!["MEMORY", "USAGE", "k", "SAMPLES"],
        vec!["MEMORY", "USAGE", "k", "bogus"],
        vec!["MEMORY", "STATS", "x"],
        vec!["MEMORY", "nosuch"],
        vec!["MEMORY", "PURGE"],
    ];
    assert_same_replies(&mut a, &mut b, &script);
}

#[test]
fn module_commands_match_redis() {
    differential_script(
        r#"
        MODULE LIST
        MODULE LIST extra
        MODULE LOAD /nonexistent/module.so
        MODULE LOADEX /nonexistent/module.so CONFIG a b ARGS x
        MODULE UNLOAD nosuchmodule
        MODULE UNLOAD
        MODULE NOSUCH
        "#,
    );
    // Redis 7.2's HELP wording ("Print this help."), which 7.0 lacks.
    let s = start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    let help = array(c.cmd(&["MODULE", "HELP"]));
    assert_eq!(help.len(), 11);
    assert_eq!(
        help[0],
        simple("MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(help[10], simple("    Print this help."));
}

#[test]
fn active_expiry_of_a_big_key_is_a_latency_event() {
    let s = start_lodestone(&["--latency-monitor-threshold", "1"]);
    let mut c = Conn::connect(s.port);
    // Freeing a 300k-member set takes well over a millisecond.
    c.cmd(&[
        "EVAL",
        "for i = 1, 300000 do redis.call('sadd', KEYS[1], i) end",
        "1",
        "big",
    ]);
    c.cmd(&["LATENCY", "RESET"]);
    c.cmd(&["PEXPIRE", "big", "1"]);
    for _ in 0..500 {
        if c.cmd(&["DBSIZE"]) == Frame::Integer(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(0));
    let latest = array(c.cmd(&["LATENCY", "LATEST"]));
    let events: Vec<Frame> = latest.into_iter().map(|e| array(e)[0].clone()).collect();
    assert!(events.contains(&bulk("expire-cycle")), "{events:?}");
}

#[test]
fn monitor_shows_a_blocked_command_once_when_it_arrives() {
    let s = start_lodestone(&[]);
    let mut monitor = Conn::connect(s.port);
    assert_eq!(monitor.cmd(&["MONITOR"]), simple("OK"));
    let mut blocked = Conn::connect(s.port);
    let mut c = Conn::connect(s.port);
    send(&mut blocked, &["BLPOP", "mylist", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["LPUSH", "mylist", "1"]);
    c.cmd(&["LPUSH", "mylist", "2"]);
    let mut shown = Vec::new();
    loop {
        let Frame::Simple(line) = monitor.read() else {
            panic!("MONITOR sends status lines");
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        if line.contains("\"INFO\"") {
            continue;
        }
        let done = line.contains("\"2\"");
        shown.push(line);
        if done {
            break;
        }
    }
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown[0].contains(r#""BLPOP" "mylist" "0""#), "{shown:?}");
    assert!(shown[1].contains(r#""LPUSH" "mylist" "1""#), "{shown:?}");
}

#[test]
fn cluster_commands_answer_as_a_non_cluster_redis() {
    differential_script(
        r#"
        CLUSTER INFO
        CLUSTER HELP
        CLUSTER KEYSLOT foo
        CLUSTER NODES
        CLUSTER SLOTS
        CLUSTER SHARDS
        CLUSTER MYID
        ASKING
        READONLY
        READWRITE
        CLUSTER
        CLUSTER NOSUCH
        "#,
    );
}
