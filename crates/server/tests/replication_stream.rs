//! SYNC: a replica connection gets the snapshot (an RDB payload) and then
//! every write as the effects stream: a SELECT when the database changes,
//! transactions and scripts wrapped in MULTI/EXEC, nothing for reads or
//! writes that changed nothing.

mod common;

use common::{start_lodestone, Conn};
use lodestone_protocol::frame::Frame;

/// Reads the `$len` header and the RDB payload after SYNC.
fn read_snapshot(replica: &mut Conn) -> Vec<u8> {
    let header = replica.read_line();
    assert_eq!(header[0], b'$');
    let len: usize = std::str::from_utf8(&header[1..])
        .expect("utf8")
        .parse()
        .expect("length");
    replica.read_bytes(len)
}

fn command(replica: &mut Conn) -> Vec<String> {
    match replica.read() {
        Frame::Array(parts) => parts
            .into_iter()
            .map(|p| match p {
                Frame::Bulk(b) => String::from_utf8_lossy(&b).to_lowercase(),
                other => panic!("unexpected {other:?}"),
            })
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn sync_streams_the_effects_of_writes() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "before", "1"]);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    let rdb = read_snapshot(&mut replica);
    assert_eq!(&rdb[..9], b"REDIS0011");
    c.cmd(&["SELECT", "9"]);
    c.cmd(&["SET", "foo", "bar"]);
    c.cmd(&["GET", "foo"]);
    c.cmd(&["SET", "foo", "baz", "NX"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["LPUSH", "l", "a"]);
    c.cmd(&["EXEC"]);
    c.cmd(&[
        "EVAL",
        "redis.call('set', 'a', 1) return redis.call('get', 'a')",
        "0",
    ]);
    let expected: Vec<Vec<&str>> = vec![
        vec!["select", "9"],
        vec!["set", "foo", "bar"],
        vec!["multi"],
        vec!["incr", "n"],
        vec!["select", "3"],
        vec!["lpush", "l", "a"],
        vec!["exec"],
        vec!["set", "a", "1"],
    ];
    for want in expected {
        assert_eq!(command(&mut replica), want);
    }
}

/// Writes whose request would not replay the same effect are propagated
/// as commands that do: absolute expire times, the INCRBYFLOAT result,
/// DEL for GETDEL, PERSIST for GETEX PERSIST, DEL or UNLINK (per
/// `lazyfree-lazy-server-del`) for a RESTORE REPLACE whose TTL has passed.
#[test]
fn writes_are_propagated_as_their_effects() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    read_snapshot(&mut replica);
    c.cmd(&["SET", "k", "v", "EX", "100"]);
    c.cmd(&["SETEX", "k2", "100", "v"]);
    c.cmd(&["EXPIRE", "k", "200", "GT"]);
    c.cmd(&["INCRBYFLOAT", "f", "1.5"]);
    c.cmd(&["GETEX", "k", "PERSIST"]);
    c.cmd(&["GETEX", "k", "EXAT", "1"]);
    c.cmd(&["GETDEL", "f"]);
    c.cmd(&["SET", "p", "v", "PXAT", "99999999999999"]);
    let Frame::Bulk(payload) = c.cmd(&["DUMP", "p"]) else {
        panic!("DUMP");
    };
    for (lazy, key) in [("no", "p"), ("yes", "k2")] {
        c.cmd(&["CONFIG", "SET", "lazyfree-lazy-server-del", lazy]);
        let args: [&[u8]; 6] = [
            b"RESTORE",
            key.as_bytes(),
            b"1",
            &payload,
            b"REPLACE",
            b"ABSTTL",
        ];
        c.cmd_bytes(&args);
    }
    // Nothing to replace: nothing happened.
    c.cmd_bytes(&[b"RESTORE", b"gone", b"1", &payload, b"ABSTTL"]);
    let check = |cmd: Vec<String>, name: &str, fixed: &[&str]| {
        assert_eq!(cmd[0], name, "{cmd:?}");
        for (i, want) in fixed.iter().enumerate() {
            if !want.is_empty() {
                assert_eq!(cmd[i + 1], *want, "{cmd:?}");
            }
        }
    };
    assert_eq!(command(&mut replica), vec!["select", "0"]);
    let cmd = command(&mut replica);
    check(cmd.clone(), "set", &["k", "v", "pxat"]);
    assert!(cmd[4].parse::<i64>().expect("ms") > 1_700_000_000_000);
    check(command(&mut replica), "set", &["k2", "v", "pxat"]);
    check(command(&mut replica), "pexpireat", &["k", "", "gt"]);
    check(command(&mut replica), "set", &["f", "1.5", "keepttl"]);
    check(command(&mut replica), "persist", &["k"]);
    check(command(&mut replica), "del", &["k"]);
    check(command(&mut replica), "del", &["f"]);
    check(
        command(&mut replica),
        "set",
        &["p", "v", "pxat", "99999999999999"],
    );
    assert_eq!(command(&mut replica), vec!["del", "p"]);
    assert_eq!(command(&mut replica), vec!["unlink", "k2"]);
    c.cmd(&["SET", "last", "1"]);
    check(command(&mut replica), "set", &["last", "1"]);
}

/// Random and multi-key pops are propagated as the plain removals they
/// performed.
#[test]
fn pops_are_propagated_as_plain_removals() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SADD", "s", "a", "b", "c", "d"]);
    c.cmd(&["RPUSH", "l", "1", "2", "3"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    read_snapshot(&mut replica);
    let Frame::Bulk(one) = c.cmd(&["SPOP", "s"]) else {
        panic!("SPOP");
    };
    c.cmd(&["SPOP", "s", "2"]);
    c.cmd(&["SPOP", "s", "5"]);
    c.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", "2"]);
    c.cmd(&["BLPOP", "l", "0"]);
    c.cmd(&["ZMPOP", "1", "z", "MIN", "COUNT", "5"]);
    c.cmd(&["GETSET", "k", "v"]);
    assert_eq!(command(&mut replica), vec!["select", "0"]);
    assert_eq!(
        command(&mut replica),
        vec![
            "srem".to_string(),
            "s".into(),
            String::from_utf8_lossy(&one).into()
        ]
    );
    let srem = command(&mut replica);
    assert_eq!((srem[0].as_str(), srem.len()), ("srem", 4));
    assert_eq!(command(&mut replica), vec!["del", "s"]);
    assert_eq!(command(&mut replica), vec!["lpop", "l", "2"]);
    assert_eq!(command(&mut replica), vec!["lpop", "l"]);
    assert_eq!(command(&mut replica), vec!["zpopmin", "z", "2"]);
    assert_eq!(command(&mut replica), vec!["set", "k", "v"]);
}

/// A key that expires is deleted on replicas by a DEL in the stream:
/// before the command that found it expired (lazy expiry; a read command
/// itself is not sent), or on its own (active expiry).
#[test]
fn expiry_deletions_are_propagated_as_del() {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    c.cmd(&["SET", "a", "1", "PX", "1"]);
    c.cmd(&["SET", "b", "1", "PX", "1"]);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    read_snapshot(&mut replica);
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.cmd(&["GET", "a"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(command(&mut replica), vec!["select", "0"]);
    assert_eq!(command(&mut replica), vec!["del", "a"]);
    assert_eq!(command(&mut replica), vec!["multi"]);
    assert_eq!(command(&mut replica), vec!["del", "b"]);
    assert_eq!(command(&mut replica), vec!["set", "b", "2"]);
    assert_eq!(command(&mut replica), vec!["exec"]);
    c.cmd(&["SET", "c", "1", "PX", "1"]);
    assert_eq!(command(&mut replica)[..4], ["set", "c", "1", "pxat"]);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert_eq!(command(&mut replica), vec!["del", "c"]);
}

/// A data set holding streams can be synchronized: the snapshot carries
/// each stream with its groups, consumers and pending entries (a server
/// loading it shows the same XINFO STREAM FULL), and stream writes follow
/// as commands.
#[test]
fn sync_snapshot_carries_streams() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["XADD", "s", "1-1", "f", "v", "g", "w"]);
    c.cmd(&["XADD", "s", "1-2", "f", "x", "g", "y"]);
    c.cmd(&["XGROUP", "CREATE", "s", "grp", "0"]);
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "grp",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "s",
        ">",
    ]);
    c.cmd(&["XGROUP", "CREATE", "empty", "grp", "$", "MKSTREAM"]);
    let full = |c: &mut Conn, key: &str| c.cmd(&["XINFO", "STREAM", key, "FULL"]);
    let (s, empty) = (full(&mut c, "s"), full(&mut c, "empty"));
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    let rdb = read_snapshot(&mut replica);

    let loader = start_lodestone(&["--enable-debug-command", "yes"]);
    std::fs::write(loader.dir.join("dump.rdb"), &rdb).expect("write snapshot");
    let mut l = Conn::connect(loader.port);
    assert_eq!(
        l.cmd(&["DEBUG", "RELOAD", "NOSAVE"]),
        Frame::Simple(b"OK".to_vec())
    );
    assert_eq!(full(&mut l, "s"), s);
    assert_eq!(full(&mut l, "empty"), empty);

    c.cmd(&["XADD", "s", "2-0", "f", "z"]);
    assert_eq!(command(&mut replica), vec!["select", "0"]);
    assert_eq!(command(&mut replica), vec!["xadd", "s", "2-0", "f", "z"]);
}

#[test]
fn published_messages_reach_replicas() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    read_snapshot(&mut replica);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["PUBLISH", "news", "one"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SPUBLISH", "shard", "two"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["SET", "k", "v"]);
    let expected: Vec<Vec<&str>> = vec![
        vec!["select", "2"],
        vec!["publish", "news", "one"],
        vec!["spublish", "shard", "two"],
        vec!["set", "k", "v"],
    ];
    for want in expected {
        assert_eq!(command(&mut replica), want);
    }
}

/// What `redis-cli --rdb` and `--functions-rdb` ask for: `REPLCONF
/// rdb-only 1` gets the snapshot and no stream after it (the connection
/// closes), `rdb-filter-only functions` a snapshot of the functions alone.
/// The REPLCONF replies are compared with redis-server's.
#[test]
fn rdb_only_and_function_filters_shape_the_snapshot() {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "somekey", "v"]);
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib1\nredis.register_function('func1', function() return 123 end)",
    ]);
    let replies = |port: u16| -> Vec<Vec<u8>> {
        let mut r = Conn::connect(port);
        [
            &["REPLCONF", "rdb-filter-only", "keys"][..],
            &["REPLCONF", "rdb-only", "2"],
            &["REPLCONF", "rdb-only"],
            &["REPLCONF", "rdb-only", "1", "rdb-filter-only", ""],
            &["REPLCONF", "listening-port", "abc"],
        ]
        .iter()
        .map(|cmd| r.cmd_raw(cmd))
        .collect()
    };
    let ours = replies(server.port);
    assert_eq!(
        ours[0],
        b"-ERR Unsupported rdb-filter-only option: keys\r\n".to_vec()
    );
    if let Some(redis) = common::start_redis(&[]) {
        assert_eq!(ours, replies(redis.port));
    }

    let mut cli = Conn::connect(server.port);
    assert_eq!(
        cli.cmd_raw(&["REPLCONF", "rdb-only", "1", "rdb-filter-only", "functions"]),
        b"+OK\r\n"
    );
    common::send(&mut cli, &["SYNC"]);
    let rdb = read_snapshot(&mut cli);
    assert!(cli.is_closed(), "an rdb-only client gets no stream");
    let loader = start_lodestone(&["--enable-debug-command", "yes"]);
    std::fs::write(loader.dir.join("dump.rdb"), &rdb).expect("write snapshot");
    let mut l = Conn::connect(loader.port);
    assert_eq!(l.cmd_raw(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(l.cmd_raw(&["DBSIZE"]), b":0\r\n");
    assert_eq!(l.cmd_raw(&["FCALL", "func1", "0"]), b":123\r\n");
}

/// INFO replication lists attached replicas as Redis does.
#[test]
fn info_lists_attached_replicas() {
    let server = start_lodestone(&[]);
    let mut replica = Conn::connect(server.port);
    assert_eq!(
        replica.cmd_raw(&["REPLCONF", "listening-port", "6390"]),
        b"+OK\r\n"
    );
    common::send(&mut replica, &["SYNC"]);
    read_snapshot(&mut replica);
    let mut c = Conn::connect(server.port);
    let info = common::in_dir::info_field(&mut c, "replication", "slave0").expect("slave0");
    assert!(
        info.starts_with("ip=127.0.0.1,port=6390,state=online,offset=0,lag="),
        "{info}"
    );
    assert_eq!(
        common::in_dir::info_field(&mut c, "replication", "connected_slaves").as_deref(),
        Some("1")
    );
    // Replicas are their own client type (`redis-cli --replica` is
    // stopped this way in Redis's tests).
    assert_eq!(
        c.cmd_raw(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]),
        b":0\r\n"
    );
    assert_eq!(c.cmd_raw(&["CLIENT", "KILL", "TYPE", "slave"]), b":1\r\n");
    assert!(replica.is_closed());
    assert_eq!(
        common::in_dir::info_field(&mut c, "replication", "connected_slaves").as_deref(),
        Some("0")
    );
}
