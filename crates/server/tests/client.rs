//! CLIENT subcommands: introspection (ID, INFO, LIST, GETNAME), settings
//! (SETNAME, SETINFO, REPLY, NO-EVICT, NO-TOUCH), control of other
//! connections (KILL, PAUSE, UNPAUSE, UNBLOCK), with error texts
//! compared against a real redis-server where 7.0 and 7.2 agree. The
//! tracking subcommands are tested in `tracking.rs`.

mod common;

use common::{assert_same_replies, bulk, err, simple, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;
use std::time::{Duration, Instant};

/// The text of a bulk or verbatim reply.
fn text(f: Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Verbatim(b) => String::from_utf8(b).expect("utf-8"),
        other => panic!("expected a string reply, got {other:?}"),
    }
}

/// Parses one CLIENT LIST line into (field, value) pairs, in order.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("bad field {kv:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The value of `name` in a CLIENT LIST line.
fn get(line: &str, name: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {line}"))
}

fn client_id(c: &mut Conn) -> i64 {
    match c.cmd(&["CLIENT", "ID"]) {
        Frame::Integer(n) => n,
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

/// The value of an INFO field.
fn info_field(c: &mut Conn, section: &str, name: &str) -> String {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

/// Polls until `cond` holds (the server works asynchronously), failing
/// after a generous bound.
fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "condition never became true");
        std::thread::sleep(Duration::from_millis(10));
    }
}

const LIST_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
    "lib-name",
    "lib-ver",
];

#[test]
fn client_list_line_has_redis_7_2_fields_in_order() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let my_id = client_id(&mut c).to_string();
    let listed = text(c.cmd(&["CLIENT", "LIST"]));
    assert!(listed.ends_with('\n'));
    let line = listed
        .lines()
        .find(|l| get(l, "id") == my_id)
        .expect("own line");
    let names: Vec<String> = fields(line).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, LIST_FIELDS);
    // The caller's own line, as the TCL suite checks it.
    assert_eq!(get(line, "flags"), "N");
    assert_eq!(get(line, "name"), "");
    assert_eq!(get(line, "db"), "0");
    assert_eq!(get(line, "sub"), "0");
    assert_eq!(get(line, "multi"), "-1");
    assert_eq!(get(line, "qbuf"), "26"); // *2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n
    assert_eq!(get(line, "argv-mem"), "10");
    assert_eq!(get(line, "multi-mem"), "0");
    assert_eq!(get(line, "obl"), "0");
    assert_eq!(get(line, "oll"), "0");
    assert_eq!(get(line, "omem"), "0");
    assert_eq!(get(line, "events"), "r");
    assert_eq!(get(line, "cmd"), "client|list");
    assert_eq!(get(line, "user"), "default");
    assert_eq!(get(line, "redir"), "-1");
    assert_eq!(get(line, "resp"), "2");
    assert!(get(line, "tot-mem").parse::<u64>().unwrap() > 0);
    assert_eq!(get(line, "laddr"), format!("127.0.0.1:{}", server.port));
    assert!(get(line, "addr").starts_with("127.0.0.1:"));

    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert_eq!(info.lines().count(), 1);
    assert_eq!(get(&info, "cmd"), "client|info");
    assert_eq!(get(&info, "qbuf"), "26");
}

#[test]
fn client_info_and_list_are_verbatim_in_resp3() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["HELLO", "3"]);
    for cmd in [["CLIENT", "INFO"], ["CLIENT", "LIST"]] {
        let raw = String::from_utf8(c.cmd_raw(&cmd)).unwrap();
        assert!(raw.starts_with('='), "{raw}");
        assert!(raw.contains("\r\ntxt:id="), "{raw}");
        assert!(raw.contains(" resp=3 "), "{raw}");
    }
}

#[test]
fn client_list_other_clients_and_filters() {
    let server = start_lodestone(&[]);
    let mut a = Conn::connect(server.port);
    let mut b = Conn::connect(server.port);
    let mut sub = Conn::connect(server.port);
    let (ida, idb, ids) = (client_id(&mut a), client_id(&mut b), client_id(&mut sub));
    sub.cmd(&["SUBSCRIBE", "ch"]);
    b.cmd(&["SELECT", "3"]);

    // All clients, in connection order (the harness's readiness probe
    // may still be listed first).
    let all = text(a.cmd(&["CLIENT", "LIST"]));
    let mine = [ida, idb, ids].map(|i| i.to_string());
    let lines: Vec<&str> = all
        .lines()
        .filter(|l| mine.contains(&get(l, "id")))
        .collect();
    let ids_listed: Vec<String> = lines.iter().map(|l| get(l, "id")).collect();
    assert_eq!(ids_listed, mine);
    let bline = lines[1];
    assert_eq!(get(bline, "db"), "3");
    assert_eq!(get(bline, "cmd"), "select");
    assert_eq!(get(bline, "qbuf"), "0");
    assert_eq!(get(bline, "argv-mem"), "0");
    let sline = lines[2];
    assert_eq!(get(sline, "flags"), "P");
    assert_eq!(get(sline, "sub"), "1");

    let pubsub = text(a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]));
    assert_eq!(pubsub.lines().count(), 1);
    assert_eq!(get(&pubsub, "id"), ids.to_string());
    let normal = text(a.cmd(&["CLIENT", "LIST", "TYPE", "NORMAL"]));
    assert!(normal.lines().all(|l| get(l, "flags") == "N"));
    assert!(normal.contains(&format!("id={ida} ")) && normal.contains(&format!("id={idb} ")));
    assert_eq!(text(a.cmd(&["CLIENT", "LIST", "TYPE", "replica"])), "");
    assert_eq!(text(a.cmd(&["CLIENT", "LIST", "TYPE", "master"])), "");

    // IDs in the order given; unknown ids are skipped.
    let by_id = text(a.cmd(&[
        "CLIENT",
        "LIST",
        "ID",
        &idb.to_string(),
        "999999",
        &ida.to_string(),
    ]));
    let order: Vec<String> = by_id.lines().map(|l| get(l, "id")).collect();
    assert_eq!(order, [idb.to_string(), ida.to_string()]);
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "ID", "1", "x"]),
        err("ERR Invalid client ID")
    );
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    assert_eq!(a.cmd(&["CLIENT", "LIST", "foo"]), err("ERR syntax error"));
}

#[test]
fn client_list_flags() {
    let server = start_lodestone(&[]);
    let mut me = Conn::connect(server.port);
    let mut other = Conn::connect(server.port);
    let id = client_id(&mut other).to_string();
    let flags = |me: &mut Conn| get(&text(me.cmd(&["CLIENT", "LIST", "ID", &id])), "flags");

    other.cmd(&["MULTI"]);
    other.cmd(&["SET", "k", "v"]);
    let line = text(me.cmd(&["CLIENT", "LIST", "ID", &id]));
    assert_eq!(get(&line, "flags"), "x");
    assert_eq!(get(&line, "multi"), "1");
    // Queued arguments plus a pointer per argument.
    assert_eq!(get(&line, "multi-mem"), (5 + 3 * 8).to_string());
    other.cmd(&["DISCARD"]);

    other.cmd(&["WATCH", "w"]);
    assert_eq!(flags(&mut me), "N");
    me.cmd(&["SET", "w", "1"]);
    assert_eq!(flags(&mut me), "d");
    other.cmd(&["UNWATCH"]);

    other.cmd(&["CLIENT", "NO-EVICT", "on"]);
    other.cmd(&["CLIENT", "NO-TOUCH", "on"]);
    assert_eq!(flags(&mut me), "eT");
    other.cmd(&["CLIENT", "NO-EVICT", "off"]);
    other.cmd(&["CLIENT", "NO-TOUCH", "OFF"]);
    assert_eq!(flags(&mut me), "N");

    other.cmd(&["MONITOR"]);
    assert_eq!(flags(&mut me), "O");
}

#[test]
fn setname_getname() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "myname"]), simple("OK"));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("myname"));
    assert_eq!(get(&text(c.cmd(&["CLIENT", "INFO"])), "name"), "myname");
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "foo bar"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("myname"));
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), simple("OK"));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
}

#[test]
fn setinfo_lib_name_and_version() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "redis.py"]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "LIB-VER", "1.2.3"]),
        simple("OK")
    );
    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert!(
        info.ends_with("lib-name=redis.py lib-ver=1.2.3\n"),
        "{info}"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "redis py"]),
        err("ERR lib-name cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "LIB-VER", "1\n"]),
        err("ERR LIB-VER cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "badger", "hamster"]),
        err("ERR Unrecognized option 'badger'")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name"]),
        err("ERR wrong number of arguments for 'client|setinfo' command")
    );
    // Errors changed nothing; RESET keeps the library; "" clears it.
    c.cmd(&["RESET"]);
    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert!(
        info.ends_with("lib-name=redis.py lib-ver=1.2.3\n"),
        "{info}"
    );
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "lib-name", ""]), simple("OK"));
    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert!(info.ends_with("lib-name= lib-ver=1.2.3\n"), "{info}");
}

#[test]
fn kill_old_form_by_address() {
    let server = start_lodestone(&[]);
    let mut me = Conn::connect(server.port);
    let mut victim = Conn::connect(server.port);
    let line = text(victim.cmd(&["CLIENT", "INFO"]));
    let addr = get(&line, "addr");
    assert_eq!(me.cmd(&["CLIENT", "KILL", &addr]), simple("OK"));
    assert!(victim.is_closed());
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", &addr]),
        err("ERR No such client")
    );
    // The old form may kill the caller: the reply comes first.
    let my_addr = get(&text(me.cmd(&["CLIENT", "INFO"])), "addr");
    assert_eq!(me.cmd(&["CLIENT", "KILL", &my_addr]), simple("OK"));
    assert!(me.is_closed());
}

#[test]
fn kill_with_filters() {
    let server = start_lodestone(&[]);
    let mut me = Conn::connect(server.port);
    let mut a = Conn::connect(server.port);
    let mut b = Conn::connect(server.port);
    let mut sub = Conn::connect(server.port);
    sub.cmd(&["SUBSCRIBE", "ch"]);
    let ida = client_id(&mut a).to_string();

    // Criteria combine: a is not a pubsub client.
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "ID", &ida, "TYPE", "pubsub"]),
        Frame::Integer(0)
    );
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &ida]), Frame::Integer(1));
    assert!(a.is_closed());
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]),
        Frame::Integer(1)
    );
    assert!(sub.is_closed());
    let baddr = get(&text(b.cmd(&["CLIENT", "INFO"])), "addr");
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "ADDR", &baddr, "USER", "default"]),
        Frame::Integer(1)
    );
    assert!(b.is_closed());
    wait_for(|| info_field(&mut me, "clients", "connected_clients") == "1");

    // LADDR matches every connection to this port; SKIPME defaults to yes.
    let mut c = Conn::connect(server.port);
    let laddr = format!("127.0.0.1:{}", server.port);
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "LADDR", &laddr]),
        Frame::Integer(1)
    );
    assert!(c.is_closed());

    // SKIPME no kills the caller too, after replying.
    let mut d = Conn::connect(server.port);
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]),
        Frame::Integer(2)
    );
    assert!(me.is_closed());
    assert!(d.is_closed());
}

#[test]
fn kill_argument_errors_match_redis() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["CLIENT", "KILL"],
        vec!["CLIENT", "KILL", "id", "10", "wrong_arg"],
        vec!["CLIENT", "KILL", "id", "str"],
        vec!["CLIENT", "KILL", "id", "-1"],
        vec!["CLIENT", "KILL", "id", "0"],
        vec!["CLIENT", "KILL", "type", "wrong_type"],
        vec!["CLIENT", "KILL", "user", "wrong_user"],
        vec!["CLIENT", "KILL", "skipme", "yes_or_no"],
        vec!["CLIENT", "KILL", "maxage", "10"],
        vec!["CLIENT", "KILL", "1.2.3.4:5"],
        vec!["CLIENT", "KILL", "id", "999999"],
        vec!["CLIENT", "KILL", "addr", "1.2.3.4:5", "skipme", "no"],
    ];
    assert_same_replies(&mut ours, &mut oracle, &script);
}

#[test]
fn other_argument_errors_match_redis() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    let script: Vec<Vec<&str>> = vec![
        vec!["CLIENT"],
        vec!["CLIENT", "FOO"],
        vec!["CLIENT", "GETNAME", "x"],
        vec!["CLIENT", "ID", "x"],
        vec!["CLIENT", "SETNAME", "a b"],
        vec!["CLIENT", "SETNAME", "a\nb"],
        vec!["CLIENT", "LIST", "TYPE", "foo"],
        vec!["CLIENT", "LIST", "TYPE", "normal", "x"],
        vec!["CLIENT", "LIST", "ID"],
        vec!["CLIENT", "LIST", "ID", "abc"],
        vec!["CLIENT", "LIST", "foo"],
        vec!["CLIENT", "PAUSE", "abc"],
        vec!["CLIENT", "PAUSE", "-1"],
        vec!["CLIENT", "PAUSE", "10", "foo"],
        vec!["CLIENT", "PAUSE", "abc", "foo"],
        vec!["CLIENT", "PAUSE", "10", "WRITE", "x"],
        vec!["CLIENT", "REPLY", "foo"],
        vec!["CLIENT", "REPLY"],
        vec!["CLIENT", "NO-EVICT", "maybe"],
        vec!["CLIENT", "UNBLOCK", "1", "foo"],
        vec!["CLIENT", "UNBLOCK", "abc"],
        vec!["CLIENT", "UNBLOCK", "abc", "error"],
        vec!["CLIENT", "UNBLOCK", "1", "error", "x"],
        vec!["CLIENT", "UNBLOCK", "999999"],
        vec!["CLIENT", "UNBLOCK", "1", "TIMEOUT"],
        vec!["CLIENT", "GETREDIR"],
        vec!["CLIENT", "TRACKINGINFO"],
        vec!["CLIENT", "UNPAUSE"],
        vec!["CLIENT", "HELP", "x"],
    ];
    assert_same_replies(&mut ours, &mut oracle, &script);
}

#[test]
fn help_lists_subcommands() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let Frame::Array(lines) = c.cmd(&["CLIENT", "HELP"]) else {
        panic!("HELP is an array");
    };
    assert_eq!(
        lines[0],
        simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert!(lines.contains(&simple("NO-TOUCH (ON|OFF)")));
    assert_eq!(lines.last(), Some(&simple("    Print this help.")));
}

#[test]
fn reply_off_on_and_skip() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    // OFF has no reply, nor what follows, until ON (which answers OK).
    for args in [
        &["CLIENT", "REPLY", "OFF"][..],
        &["PING", "pong"],
        &["CLIENT", "REPLY", "SKIP"],
        &["PING", "pong2"],
        &["CLIENT", "REPLY", "ON"],
        &["PING", "pong3"],
    ] {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        c.send_raw(&common::encode(&a));
    }
    assert_eq!(c.read(), simple("OK"));
    assert_eq!(c.read(), bulk("pong3"));

    // SKIP drops exactly the next command's reply.
    for args in [
        &["CLIENT", "REPLY", "SKIP"][..],
        &["PING", "a"],
        &["PING", "b"],
    ] {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        c.send_raw(&common::encode(&a));
    }
    assert_eq!(c.read(), bulk("b"));

    // ON right after SKIP cancels it and answers.
    c.send_raw(b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n");
    assert_eq!(c.read(), simple("OK"));
    assert_eq!(c.read(), simple("PONG"));
}

#[test]
fn pause_write_holds_only_writes() {
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    let mut worker = Conn::connect(server.port);
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        simple("OK")
    );
    assert_eq!(worker.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(info_field(&mut admin, "clients", "blocked_clients"), "0");
    worker.send_raw(b"SET k v\r\n");
    wait_for(|| info_field(&mut admin, "clients", "blocked_clients") == "1");
    // The held client appears as paused work, not as an error.
    assert_eq!(admin.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), simple("OK"));
    assert_eq!(worker.read(), simple("OK"));
    assert_eq!(admin.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(info_field(&mut admin, "clients", "blocked_clients"), "0");
}

#[test]
fn pause_all_holds_reads_and_keeps_most_restrictive() {
    use std::io::{Read, Write};
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    // ALL, then a shorter WRITE pause (itself held by the first): the
    // more restrictive kind and the later deadline stay in effect.
    admin.send_raw(b"CLIENT PAUSE 1500 ALL\r\nCLIENT PAUSE 10 WRITE\r\n");
    assert_eq!(admin.read(), simple("OK"));
    let mut worker = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    worker.write_all(b"GET k\r\n").unwrap();
    // Well within the pause, a read is still not answered.
    worker
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 16];
    let early = worker.read(&mut buf);
    assert!(early.is_err(), "answered during a pause ALL: {early:?}");
    // Once the pause expires, held commands run in order.
    worker
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let n = worker.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"$-1\r\n");
    assert_eq!(admin.read(), simple("OK"));
    // Timeout 0 starts nothing.
    admin.cmd(&["CLIENT", "PAUSE", "0"]);
    let mut other = Conn::connect(server.port);
    assert_eq!(other.cmd(&["SET", "a", "b"]), simple("OK"));
}

#[test]
fn pause_deadline_overflow_is_refused() {
    // Redis 7.2 refuses a deadline past the largest time (7.0 accepted it).
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "9223372036854775807"]),
        err("ERR timeout is out of range")
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
}

#[test]
fn pause_ends_by_itself() {
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    let mut worker = Conn::connect(server.port);
    admin.cmd(&["CLIENT", "PAUSE", "50", "WRITE"]);
    // Answered once the pause expires, without UNPAUSE.
    assert_eq!(worker.cmd(&["SET", "k", "v"]), simple("OK"));
}

#[test]
fn unblock_of_a_client_that_is_not_blocked_is_zero() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut other = Conn::connect(server.port);
    let id = client_id(&mut other).to_string();
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(0));
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]),
        Frame::Integer(0)
    );
    assert_eq!(other.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn unblock_ends_a_blocking_command() {
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    let mut b = Conn::connect(server.port);
    if let Frame::Error(e) = b.cmd(&["BLPOP", "probe", "0.01"]) {
        eprintln!(
            "SKIPPED: no blocking commands yet ({})",
            String::from_utf8_lossy(&e)
        );
        return;
    }
    let id = client_id(&mut b).to_string();
    let blocked = |admin: &mut Conn| info_field(admin, "clients", "blocked_clients");

    b.send_raw(b"BLPOP list 0\r\n");
    wait_for(|| blocked(&mut admin) == "1");
    let line = text(admin.cmd(&["CLIENT", "LIST", "ID", &id]));
    assert_eq!(get(&line, "flags"), "b");
    assert_eq!(get(&line, "cmd"), "blpop");
    assert_eq!(get(&line, "argv-mem"), "10"); // BLPOP list 0, as redis-server reports
    assert_eq!(
        info_field(&mut admin, "clients", "total_blocking_keys"),
        "1"
    );
    assert_eq!(
        info_field(&mut admin, "clients", "clients_in_timeout_table"),
        "0"
    );
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(1));
    assert_eq!(b.read(), Frame::Null);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(0));

    b.send_raw(b"BLPOP list 1000\r\n");
    wait_for(|| blocked(&mut admin) == "1");
    assert_eq!(
        info_field(&mut admin, "clients", "clients_in_timeout_table"),
        "1"
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]),
        Frame::Integer(1)
    );
    assert_eq!(
        b.read(),
        err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    assert_eq!(blocked(&mut admin), "0");
    assert_eq!(
        info_field(&mut admin, "errorstats", "errorstat_UNBLOCKED"),
        "count=1"
    );
}

#[test]
fn client_ids_increase() {
    let server = start_lodestone(&[]);
    let mut a = Conn::connect(server.port);
    let mut b = Conn::connect(server.port);
    let (x, y) = (client_id(&mut a), client_id(&mut b));
    assert!(x > 0 && y > x);
    assert_eq!(client_id(&mut a), x);
}
