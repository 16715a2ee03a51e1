//! Hash commands: differentially against redis-server in RESP2 and RESP3
//! (every command and option, errors, WRONGTYPE, the listpack → hashtable
//! conversions OBJECT ENCODING reports, HSCAN iterations, DEBUG
//! DIGEST-VALUE, keyspace events), and Lodestone-only checks of what is
//! random (HRANDFIELD) or bounded on purpose.
//!
//! Hashtable-encoded hashes iterate in table order, which differs between
//! the servers: their whole-hash replies are compared as multisets (`!`)
//! and their HSCAN iterations as unions (`%`).

mod common;

use common::{assert_script, differential_script, keyevents, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;
use std::collections::{HashMap, HashSet};

#[test]
fn set_get_and_whole_hash_reads() {
    differential_script(
        r#"
        HSET h f1 v1
        HSET h f2 v2 f3 v3
        HSET h f1 new f4 v4
        HGET h f1
        HGET h missing
        HGET nokey f1
        HMGET h f1 missing f3
        HMGET nokey a b
        HLEN h
        HLEN nokey
        HGETALL h
        HKEYS h
        HVALS h
        HGETALL nokey
        HKEYS nokey
        HVALS nokey
        HEXISTS h f2
        HEXISTS h nope
        HEXISTS nokey f2
        HSTRLEN h f1
        HSTRLEN h missing
        HSTRLEN nokey f1
        HMSET h f5 v5 f6 v6
        HGETALL h
        HSETNX h f1 other
        HSETNX h f7 v7
        HSETNX newkey f v
        HGETALL newkey
        # Integers are stored compactly but read back as written.
        HSET n a 12 b -0 c 007 d -9223372036854775808 e 9223372036854775807 f 1.5 g ""
        HGETALL n
        HSTRLEN n a
        HSTRLEN n d
        HSTRLEN n g
        HSET "bin\x00" "f\x00\xff" "v\r\n\x00"
        HGETALL "bin\x00"
        HGET "bin\x00" "f\x00\xff"
        # Deletion and emptied keys
        HDEL h f1 f2 missing
        HDEL h f1
        HDEL nokey f1
        HGETALL h
        HDEL h f3 f4 f5 f6 f7
        EXISTS h
        HDEL newkey f f
        EXISTS newkey
        TYPE n
        OBJECT ENCODING n
        "#,
    );
}

#[test]
fn arity_and_wrong_type_errors() {
    differential_script(
        r#"
        SET s v
        HSET h f
        HSET h f v g
        HMSET h f v g
        HSET s f v
        HMSET s f v
        HSETNX s f v
        HGET s f
        HMGET s f
        HDEL s f
        HLEN s
        HSTRLEN s f
        HEXISTS s f
        HKEYS s
        HVALS s
        HGETALL s
        HINCRBY s f 1
        HINCRBYFLOAT s f 1
        HRANDFIELD s
        HRANDFIELD s 2
        HSCAN s 0
        HSET h a 1
        GET h
        "#,
    );
}

#[test]
fn counters() {
    differential_script(
        r#"
        HINCRBY h n 5
        HINCRBY h n -7
        HINCRBY h n 9223372036854775807
        HINCRBY h n 0
        HSET h big 9223372036854775807 small -9223372036854775808 text abc sp " 1" fl 1.5
        HINCRBY h big 1
        HINCRBY h small -1
        HINCRBY h big -1
        HINCRBY h text 1
        HINCRBY h sp 1
        HINCRBY h fl 1
        HINCRBY h n abc
        HINCRBY h n 1.5
        HINCRBY h n 9223372036854775808
        HINCRBYFLOAT h x 1.5
        HINCRBYFLOAT h x 0.1
        HINCRBYFLOAT h x -1.6
        HINCRBYFLOAT h x 5.0e3
        HINCRBYFLOAT h x 2.0e2
        HINCRBYFLOAT h n 1
        HINCRBYFLOAT h fl 10.5
        HINCRBYFLOAT h text 1
        HINCRBYFLOAT h x abc
        HINCRBYFLOAT h x nan
        HINCRBYFLOAT h x inf
        HINCRBYFLOAT h x -inf
        HINCRBYFLOAT h x ""
        HINCRBYFLOAT h x " 1"
        HSET h huge 1e4932
        HINCRBYFLOAT h huge 1e4932
        HINCRBYFLOAT h sp 1
        HINCRBYFLOAT nokey2 f inf
        EXISTS nokey2
        HGETALL h
        HINCRBY new f 1
        HINCRBYFLOAT new2 f 2.5
        HGETALL new
        HGETALL new2
        "#,
    );
}

#[test]
fn listpack_to_hashtable_conversion_points() {
    differential_script(
        r#"
        CONFIG SET hash-max-listpack-entries 4
        CONFIG SET hash-max-listpack-value 8
        HSET a f1 v f2 v f3 v f4 v
        OBJECT ENCODING a
        HSET a f5 v
        OBJECT ENCODING a
        HDEL a f1 f2 f3 f4
        OBJECT ENCODING a
        HSET c x 1 x 2 x 3 x 4
        OBJECT ENCODING c
        # A long field or value converts; exactly the limit does not.
        HSET d f 12345678
        OBJECT ENCODING d
        HSET d f 123456789
        OBJECT ENCODING d
        HSET e 123456789 v
        OBJECT ENCODING e
        HSETNX g f 12345678
        HSETNX g f 123456789
        OBJECT ENCODING g
        HSETNX g2 f 123456789
        OBJECT ENCODING g2
        HMSET g3 a 1 b 123456789
        OBJECT ENCODING g3
        # HINCRBY checks the field's length; the values it writes are short.
        HINCRBY i 123456789 1
        OBJECT ENCODING i
        HINCRBY i2 f 99999999
        HINCRBY i2 f 1
        OBJECT ENCODING i2
        HINCRBYFLOAT i3 f 1.25
        HINCRBYFLOAT i3 f 0.000001
        OBJECT ENCODING i3
        HINCRBYFLOAT i4 f 100000000
        OBJECT ENCODING i4
        # A lowered limit converts at the next write, even an update.
        CONFIG SET hash-max-listpack-entries 512
        HSET l f1 v f2 v f3 v
        OBJECT ENCODING l
        CONFIG SET hash-max-listpack-entries 2
        HGET l f1
        OBJECT ENCODING l
        HSET l f1 w
        OBJECT ENCODING l
        # Zero entries: every hash is a table.
        CONFIG SET hash-max-listpack-entries 0
        HSET z f v
        OBJECT ENCODING z
        CONFIG SET hash-max-listpack-entries 512
        CONFIG SET hash-max-listpack-value 64
        # Hashtable hashes answer the same, in another order.
        !HGETALL a
        !HKEYS a
        !HVALS a
        HGET a f5
        HLEN a
        HSTRLEN a f5
        HEXISTS a f5
        HDEL a f5
        EXISTS a
        "#,
    );
}

/// Redis 7.2 converts when one HSET brings more pairs than the entry
/// limit, even if fields repeat; 7.0 (the oracle) does not, so this is
/// checked against 7.2's behaviour only.
#[test]
fn many_pairs_in_one_write_convert_like_redis_7_2() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    let mut args = vec!["HSET", "b"];
    for v in ["1", "2", "3", "4", "5"] {
        args.extend(["x", v]);
    }
    assert_eq!(c.cmd(&args), Frame::Integer(1));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "b"]),
        Frame::Bulk(b"hashtable".to_vec())
    );
    assert_eq!(
        c.cmd(&["HGETALL", "b"]),
        Frame::Array(vec![Frame::Bulk(b"x".to_vec()), Frame::Bulk(b"5".to_vec())])
    );
    args.truncate(2 + 8);
    args[1] = "c";
    c.cmd(&args);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "c"]),
        Frame::Bulk(b"listpack".to_vec())
    );
}

#[test]
fn hashtable_encoding_commands() {
    let mut script = String::from("CONFIG SET hash-max-listpack-entries 16\n");
    for i in 0..40 {
        script.push_str(&format!("HSET big field:{i} {}\n", i * 3));
    }
    script.push_str(
        r#"
        OBJECT ENCODING big
        HLEN big
        !HKEYS big
        !HVALS big
        !HGETALL big
        HMGET big field:1 field:39 nope
        HINCRBY big field:2 10
        HINCRBYFLOAT big field:3 0.5
        HSTRLEN big field:3
        HDEL big field:0 field:1 nope
        HLEN big
        HSETNX big field:5 x
        HSETNX big new x
        HRANDFIELD big 0
        HRANDFIELD big 0 WITHVALUES
        !HRANDFIELD big 100
        !HRANDFIELD big 39 WITHVALUES
        %HSCAN big 0
        %HSCAN big 0 COUNT 3
        %HSCAN big 0 MATCH field:1*
        %HSCAN big 0 MATCH *9 COUNT 100
        "#,
    );
    differential_script(&script);
}

#[test]
fn hrandfield_and_hscan_options() {
    differential_script(
        r#"
        HSET h a 1 b 2 c 3
        HRANDFIELD nokey
        HRANDFIELD nokey 5
        HRANDFIELD nokey -5 WITHVALUES
        HRANDFIELD h 0
        HRANDFIELD h 3
        HRANDFIELD h 10
        HRANDFIELD h 3 WITHVALUES
        HRANDFIELD h 100 withvalues
        HRANDFIELD h abc
        HRANDFIELD h 1.5
        HRANDFIELD h 1 WITHSCORES
        HRANDFIELD h 1 WITHVALUES extra
        HRANDFIELD h -9223372036854775808
        HRANDFIELD h -9223372036854775808 WITHVALUES
        HRANDFIELD h -9223372036854770000 WITHVALUES
        HRANDFIELD h 9223372036854770000 WITHVALUES
        HRANDFIELD h 4611686018427387904 WITHVALUES
        HRANDFIELD h 4611686018427387903 WITHVALUES
        HRANDFIELD nokey -9223372036854775808
        HRANDFIELD nokey 1 bad
        HSCAN h 0
        HSCAN h 0 COUNT 1
        HSCAN h 0 MATCH a*
        HSCAN h 0 MATCH *
        HSCAN h 0 MATCH
        HSCAN h 0 COUNT 0
        HSCAN h 0 COUNT -1
        HSCAN h 0 COUNT abc
        HSCAN h 0 TYPE string
        HSCAN h 0 NOVALUES
        HSCAN h abc
        HSCAN h -1
        HSCAN h 18446744073709551616
        HSCAN h " 1"
        HSCAN nokey 0
        HSCAN nokey 0 COUNT 0
        HSCAN nokey abc
        HSET n 1 x 22 y 333 z
        HSCAN n 0 MATCH 2*
        "#,
    );
}

#[test]
fn watch_and_transactions() {
    differential_script(
        r#"
        HSET h f v
        WATCH h
        HSET h f v
        MULTI
        HGET h f
        EXEC
        WATCH h
        HSETNX h f other
        MULTI
        HGET h f
        EXEC
        WATCH h
        HDEL h missing
        MULTI
        HLEN h
        EXEC
        MULTI
        HSET h g 1
        HINCRBY h g 2
        HINCRBYFLOAT h g 0.5
        HGETALL h
        EXEC
        "#,
    );
}

#[test]
fn digests_match_redis() {
    let Some(redis) = start_redis(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    let mut script = String::from(
        r#"
        HSET small a 1 b xyz c -0 d ""
        DEBUG DIGEST-VALUE small
        CONFIG SET hash-max-listpack-entries 4
        "#,
    );
    for i in 0..20 {
        script.push_str(&format!("HSET big f{i} {i}\n"));
    }
    script.push_str(
        r#"
        OBJECT ENCODING big
        DEBUG DIGEST-VALUE big small nokey
        DEBUG DIGEST
        "#,
    );
    assert_script(&mut ours, &mut oracle, &script);
}

#[test]
fn keyspace_events_match_redis() {
    let commands: &[&[&str]] = &[
        &["HSET", "h", "a", "1", "b", "2"],
        &["HSET", "h", "a", "1"],
        &["HMSET", "h", "c", "3"],
        &["HSETNX", "h", "a", "x"],
        &["HSETNX", "h", "d", "x"],
        &["HINCRBY", "h", "n", "1"],
        &["HINCRBY", "h", "a", "x"],
        &["HINCRBYFLOAT", "h", "f", "1.5"],
        &["HDEL", "h", "missing"],
        &["HDEL", "h", "a", "b"],
        &["HGET", "h", "c"],
        &["HGET", "nokey", "c"],
        &["HDEL", "h", "c", "d", "n", "f"],
        &["HINCRBYFLOAT", "new", "f", "1"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEA", commands);
    assert!(ours.contains(&("hincrbyfloat".into(), "h".into())));
    assert!(ours.contains(&("del".into(), "h".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEA", commands));
}

/// Flattens an HRANDFIELD reply into (field, value) picks.
fn picks(reply: Frame, with_values: bool) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let Frame::Array(items) = reply else {
        panic!("HRANDFIELD replied {reply:?}");
    };
    let bulk = |f: &Frame| match f {
        Frame::Bulk(b) => b.clone(),
        other => panic!("not a bulk: {other:?}"),
    };
    let mut out = Vec::new();
    let mut it = items.iter();
    while let Some(item) = it.next() {
        match item {
            Frame::Array(pair) => {
                assert!(with_values, "nested pairs only with WITHVALUES in RESP3");
                out.push((bulk(&pair[0]), Some(bulk(&pair[1]))));
            }
            f if with_values => {
                let v = it.next().expect("value after field");
                out.push((bulk(f), Some(bulk(v))));
            }
            f => out.push((bulk(f), None)),
        }
    }
    out
}

#[test]
fn hrandfield_samples_like_redis() {
    let server = start_lodestone(&[]);
    for resp3 in [false, true] {
        let mut c = Conn::connect(server.port);
        if resp3 {
            c.cmd(&["HELLO", "3"]);
        }
        // 10 fields stays a listpack; 1000 becomes a table: every strategy.
        for size in [10usize, 1000] {
            let key = format!("h{size}");
            let mut model = HashMap::new();
            for i in 0..size {
                let (f, v) = (format!("f{i}"), format!("v{i}"));
                c.cmd(&["HSET", &key, &f, &v]);
                model.insert(f.into_bytes(), v.into_bytes());
            }
            let check = |picks: &[(Vec<u8>, Option<Vec<u8>>)]| {
                for (f, v) in picks {
                    let want = model.get(f).expect("a field of the hash");
                    if let Some(v) = v {
                        assert_eq!(v, want);
                    }
                }
            };
            let Frame::Bulk(one) = c.cmd(&["HRANDFIELD", &key]) else {
                panic!("single HRANDFIELD");
            };
            assert!(model.contains_key(&one));
            for count in [1, 2, size / 3, size / 2, size - 1, size, size + 10] {
                for with_values in [false, true] {
                    let n = count.to_string();
                    let mut args = vec!["HRANDFIELD", key.as_str(), n.as_str()];
                    if with_values {
                        args.push("WITHVALUES");
                    }
                    let got = picks(c.cmd(&args), with_values);
                    check(&got);
                    assert_eq!(got.len(), count.min(size), "count {count}");
                    let distinct: HashSet<_> = got.iter().map(|p| &p.0).collect();
                    assert_eq!(distinct.len(), got.len(), "distinct for count {count}");
                }
            }
            // Negative counts repeat; every field shows up over many picks.
            let n = format!("-{}", size * 20);
            let got = picks(c.cmd(&["HRANDFIELD", &key, &n, "WITHVALUES"]), true);
            check(&got);
            assert_eq!(got.len(), size * 20);
            let distinct: HashSet<_> = got.iter().map(|p| &p.0).collect();
            assert_eq!(distinct.len(), size);
            let got = picks(c.cmd(&["HRANDFIELD", &key, "-3"]), false);
            assert_eq!(got.len(), 3);
        }
    }
}

#[test]
fn hrandfield_with_repeats_is_bounded() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    let value = "x".repeat(1000);
    c.cmd(&["HSET", "h", "f", &value]);
    // About 2 MB of reply: refused instead of built without limit.
    let reply = c.cmd(&["HRANDFIELD", "h", "-2000", "WITHVALUES"]);
    assert_eq!(
        reply,
        Frame::Error(b"ERR reply exceeds proto-max-bulk-len".to_vec())
    );
    // Under the limit it is served, and the connection stays in sync.
    let got = picks(c.cmd(&["HRANDFIELD", "h", "-500", "WITHVALUES"]), true);
    assert_eq!(got.len(), 500);
    assert_eq!(c.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
}

#[test]
fn hscan_sees_every_field_while_the_table_grows() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    for i in 0..1000 {
        c.cmd(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    let mut seen = HashSet::new();
    let mut cursor = b"0".to_vec();
    let mut next = 1000;
    loop {
        let cur = String::from_utf8(cursor.clone()).unwrap();
        let Frame::Array(parts) = c.cmd(&["HSCAN", "h", &cur, "COUNT", "20"]) else {
            panic!("HSCAN reply");
        };
        let [Frame::Bulk(nc), Frame::Array(items)] = &parts[..] else {
            panic!("HSCAN shape");
        };
        for pair in items.chunks(2) {
            if let Frame::Bulk(f) = &pair[0] {
                seen.insert(f.clone());
            }
        }
        // Grow the table between calls.
        for _ in 0..20 {
            c.cmd(&["HSET", "h", &format!("f{next}"), "v"]);
            next += 1;
        }
        if nc == b"0" {
            break;
        }
        cursor = nc.clone();
    }
    for i in 0..1000 {
        assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} missed");
    }
}
