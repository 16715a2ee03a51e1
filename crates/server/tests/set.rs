//! Set commands: differentially against redis-server (RESP2 and RESP3)
//! wherever Redis 7.0 (the installed oracle) and 7.2 agree, and against
//! Redis 7.2's documented behaviour where they differ: 7.2 added the
//! `listpack` encoding for small sets (7.0 goes from `intset` straight to
//! `hashtable`), so every `OBJECT ENCODING` of a small non-integer set,
//! and the order of its members, is checked in Lodestone-only tests that
//! follow 7.2's `t_set.c` and its `unit/type/set` TCL tests.
//!
//! Script syntax (see `common::parse_script_line`): `!` compares elements
//! in any order (a hash table's order differs between servers), `%`
//! compares the members of a whole SSCAN iteration.

mod common;

use common::{
    assert_script, bulk, differential_script, err, keyevents, start_lodestone, start_redis, Conn,
};
use lodestone_protocol::frame::Frame;
use std::collections::{BTreeSet, HashMap};

// ---- differential: replies identical to redis-server ----

#[test]
fn sadd_srem_scard_membership() {
    differential_script(
        r#"
        SADD s 3 1 2
        SADD s 2 4
        SCARD s
        SMEMBERS s
        SISMEMBER s 1
        SISMEMBER s 9
        SISMEMBER s 01
        SMISMEMBER s 1 9 2 x
        SMISMEMBER missing a b
        SCARD missing
        SISMEMBER missing a
        SMEMBERS missing
        OBJECT ENCODING s
        SREM s 9 x
        SREM s 1 1 1
        SMEMBERS s
        SREM s 2 3 4 5 6
        EXISTS s
        SREM s a
        SADD s -5 9223372036854775807 -9223372036854775808 0
        SMEMBERS s
        OBJECT ENCODING s
        SADD w a b c A B
        SADD w a b
        !SMEMBERS w
        SCARD w
        SISMEMBER w A
        SMISMEMBER w a z
        SREM w a z
        !SMEMBERS w
        SADD
        SADD s
        SREM s
        SMISMEMBER s
        SCARD
        SISMEMBER s
        SMEMBERS s t
        "#,
    );
}

#[test]
fn wrong_type_errors() {
    differential_script(
        r#"
        SET str x
        LPUSH list a
        SADD str a
        SREM str a
        SCARD str
        SISMEMBER str a
        SMISMEMBER str a
        SMEMBERS list
        SPOP str
        SPOP str 2
        SRANDMEMBER str
        SRANDMEMBER str 2
        SSCAN str 0
        SINTER str
        SINTER nokey str
        SINTERCARD 2 nokey str
        SINTERSTORE d str
        SUNION nokey str
        SUNIONSTORE d str
        SDIFF str nokey
        SDIFF nokey str
        SDIFFSTORE d nokey str
        SADD s a
        SMOVE str s a
        SMOVE s str a
        SMOVE nokey str a
        SMEMBERS s
        EXISTS d
        "#,
    );
}

#[test]
fn intset_limits_and_conversion_to_hashtable() {
    // Both versions go from intset to hashtable past 512 integers, and
    // straight to hashtable for a non-integer added to a big intset.
    let mut script = String::from("CONFIG SET set-max-intset-entries 512\n");
    let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    script.push_str(&format!("SADD one {}\n", ints.join(" ")));
    script.push_str("OBJECT ENCODING one\nSCARD one\nSADD one 512\nOBJECT ENCODING one\n");
    script.push_str(&format!("SADD big {}\n", ints[..200].join(" ")));
    script.push_str("OBJECT ENCODING big\nSADD big a\nOBJECT ENCODING big\n!SMEMBERS big\n");
    script.push_str(
        r#"
        SADD wide 1
        SADD wide 70000
        SADD wide -5000000000
        SMEMBERS wide
        OBJECT ENCODING wide
        SREM wide -5000000000
        SMEMBERS wide
        CONFIG SET set-max-intset-entries 3
        SADD few 1 2 3
        OBJECT ENCODING few
        SADD few 4
        OBJECT ENCODING few
        CONFIG SET set-max-intset-entries 512
        "#,
    );
    differential_script(&script);
}

#[test]
fn spop_and_srandmember_deterministic_cases() {
    differential_script(
        r#"
        SPOP missing
        SPOP missing 3
        SPOP missing 0
        SRANDMEMBER missing
        SRANDMEMBER missing 5
        SRANDMEMBER missing -5
        SADD s 1 2 3
        SPOP s 0
        SRANDMEMBER s 0
        SPOP s -1
        SPOP s x
        SPOP s 1 2
        SRANDMEMBER s x
        SRANDMEMBER s 1 2
        SRANDMEMBER s -9223372036854775808
        SRANDMEMBER s 9223372036854775807
        SRANDMEMBER s 3
        SCARD s
        SPOP s 3
        EXISTS s
        SADD t a b c
        !SRANDMEMBER t 10
        !SPOP t 100
        EXISTS t
        SADD one x
        SRANDMEMBER one
        SRANDMEMBER one -3
        SPOP one
        EXISTS one
        SPOP one
        SADD ints 5
        SPOP ints 1
        EXISTS ints
        "#,
    );
}

#[test]
fn smove_cases() {
    differential_script(
        r#"
        SADD src 1 2 3
        SADD dst 3 4
        SMOVE src dst 1
        SMEMBERS src
        SMEMBERS dst
        SMOVE src dst 3
        SMEMBERS src
        SMEMBERS dst
        SMOVE src dst 9
        SMOVE missing dst 1
        SMOVE src src 2
        SMOVE src src 9
        SMOVE src new 2
        EXISTS src
        SMEMBERS new
        OBJECT ENCODING new
        SMOVE dst new x
        SMOVE
        SMOVE a b
        SADD h 1
        SMOVE h h2 1
        EXISTS h
        SMEMBERS h2
        "#,
    );
}

#[test]
fn intersections() {
    differential_script(
        r#"
        SADD a 1 2 3 4 5
        SADD b 3 4 5 6
        SADD c 5 4 9
        SADD w x y z 4
        SINTER a b
        SINTER a b c
        SINTER a a a
        SINTER a missing
        SINTER missing a
        !SINTER a w
        !SINTER w
        SINTERCARD 1 a
        SINTERCARD 2 a b
        SINTERCARD 3 a b c
        SINTERCARD 2 a b LIMIT 0
        SINTERCARD 2 a b LIMIT 2
        SINTERCARD 2 a b limit 10
        SINTERCARD 2 a missing
        SINTERCARD 1 missing LIMIT 5
        SINTERCARD 0 a
        SINTERCARD -1 a
        SINTERCARD x a
        SINTERCARD 3 a b
        SINTERCARD 2 a
        SINTERCARD 1 a b
        SINTERCARD 1 a LIMIT
        SINTERCARD 1 a LIMIT -1
        SINTERCARD 1 a LIMIT x
        SINTERCARD 1 a LIMIT 1 LIMIT 2
        SINTERCARD 1 a FOO 1
        SINTERCARD
        SINTERCARD 1
        SINTERSTORE d a b
        SMEMBERS d
        OBJECT ENCODING d
        SINTERSTORE d a b c
        SMEMBERS d
        SINTERSTORE d a w
        SMEMBERS d
        SINTERSTORE d a missing
        EXISTS d
        SET d x
        SINTERSTORE d missing a
        EXISTS d
        SET d x
        EXPIRE d 100
        SINTERSTORE d a b
        TTL d
        TYPE d
        SINTERSTORE a a b
        SMEMBERS a
        SINTERSTORE d
        SINTER
        "#,
    );
}

#[test]
fn unions_and_differences() {
    differential_script(
        r#"
        SADD a 1 2 3 4 5
        SADD b 3 4 5 6
        SADD c 5 9
        SADD w x y 4
        SUNION a b
        SUNION a missing b
        SUNION missing
        !SUNION a w
        SUNION a a
        SDIFF a b
        SDIFF a b c
        SDIFF a a
        SDIFF a b a
        SDIFF missing a
        SDIFF a missing
        !SDIFF w a
        SDIFF a w
        SUNIONSTORE d a b
        SMEMBERS d
        OBJECT ENCODING d
        SUNIONSTORE d missing other
        EXISTS d
        SDIFFSTORE d a b
        SMEMBERS d
        SDIFFSTORE d a a
        EXISTS d
        SET d x
        SDIFFSTORE d missing a
        EXISTS d
        SDIFFSTORE a a b c
        SMEMBERS a
        SUNIONSTORE a a w
        !SMEMBERS a
        SCARD a
        SUNION
        SDIFF
        SUNIONSTORE d
        SDIFFSTORE d
        "#,
    );
}

#[test]
fn big_hashtable_sets_and_stored_results() {
    // Sets above every small-encoding limit: hashtable in both versions.
    let mut script = String::new();
    for i in 0..300 {
        script.push_str(&format!("SADD h1 m{i}\n"));
        if i % 2 == 0 {
            script.push_str(&format!("SADD h2 m{i} {i}\n"));
        }
    }
    script.push_str(
        r#"
        OBJECT ENCODING h1
        OBJECT ENCODING h2
        SCARD h2
        SINTERCARD 2 h1 h2
        SINTERCARD 2 h1 h2 LIMIT 7
        !SINTER h1 h2
        SINTERSTORE d h1 h2
        OBJECT ENCODING d
        !SUNION h1 h2
        SUNIONSTORE d h1 h2
        OBJECT ENCODING d
        SCARD d
        !SDIFF h2 h1
        SDIFFSTORE d h2 h1
        OBJECT ENCODING d
        !SMEMBERS d
        %SSCAN h1 0 COUNT 7
        %SSCAN h1 0 MATCH m1* COUNT 50
        %SSCAN h2 0 MATCH *9
        "#,
    );
    differential_script(&script);
}

#[test]
fn sscan_options_and_small_sets() {
    differential_script(
        r#"
        SSCAN missing 0
        SSCAN missing 0 COUNT 0
        SSCAN missing x
        SADD s 1 2 3 10 20
        SSCAN s 0
        SSCAN s 0 MATCH 1*
        SSCAN s 0 MATCH *
        SSCAN s 0 COUNT 1
        SSCAN s 17
        SSCAN s 0 COUNT 0
        SSCAN s 0 COUNT -1
        SSCAN s 0 COUNT x
        SSCAN s 0 MATCH
        SSCAN s 0 FOO bar
        SSCAN s -1
        SSCAN s abc
        SSCAN s 18446744073709551616
        SSCAN s
        "#,
    );
}

#[test]
fn digests_match_redis() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    let mut script = String::from("SADD small 1 2 3\nSADD strs a b c\n");
    for i in 0..200 {
        script.push_str(&format!("SADD big x{i}\n"));
    }
    script.push_str("DEBUG DIGEST-VALUE small strs big nokey\nDEBUG DIGEST\n");
    assert_script(&mut ours, &mut oracle, &script);
}

#[test]
fn keyspace_events_match_redis() {
    let commands: &[&[&str]] = &[
        &["SADD", "s", "1", "2", "3"],
        &["SADD", "s", "1"],
        &["SREM", "s", "9"],
        &["SREM", "s", "1"],
        &["SMOVE", "s", "t", "2"],
        &["SMOVE", "s", "t", "9"],
        &["SADD", "t", "3"],
        &["SMOVE", "s", "t", "3"],
        &["SADD", "u", "a", "b", "c", "d"],
        &["SPOP", "u"],
        &["SPOP", "u", "0"],
        &["SPOP", "u", "1"],
        &["SPOP", "u", "10"],
        &["SADD", "v", "x"],
        &["SPOP", "v"],
        &["SADD", "a", "1", "2"],
        &["SADD", "b", "2", "3"],
        &["SINTERSTORE", "d", "a", "b"],
        &["SUNIONSTORE", "d", "a", "b"],
        &["SDIFFSTORE", "d", "a", "b"],
        &["SDIFFSTORE", "d", "a", "a"],
        &["SINTERSTORE", "d", "a", "b"],
        &["SINTERSTORE", "d", "a", "missing"],
        &["SUNIONSTORE", "e", "missing"],
        &["SINTER", "a", "b"],
        &["SISMEMBER", "nokey", "a"],
        &["SREM", "t", "2", "3"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEA", commands);
    assert!(ours.contains(&("srem".into(), "s".into())));
    assert!(ours.contains(&("sinterstore".into(), "d".into())));
    assert!(ours.contains(&("del".into(), "t".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEA", commands));
}

/// Changes counted in `dirty` (INFO's `rdb_changes_since_last_save`).
fn changes(conn: &mut Conn) -> i64 {
    let Frame::Bulk(info) = conn.cmd(&["INFO", "persistence"]) else {
        panic!("INFO did not reply a bulk string");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("rdb_changes_since_last_save")
}

#[test]
fn change_counts_match_redis() {
    let commands: &[&[&str]] = &[
        &["SADD", "s", "1", "2", "3", "3"],
        &["SADD", "s", "1"],
        &["SREM", "s", "1", "9"],
        &["SMOVE", "s", "t", "2"],
        &["SMOVE", "s", "t", "9"],
        &["SADD", "t", "3"],
        &["SMOVE", "s", "t", "3"],
        &["SADD", "u", "a", "b", "c", "d", "e"],
        &["SPOP", "u"],
        &["SPOP", "u", "2"],
        &["SPOP", "u", "10"],
        &["SADD", "a", "1", "2"],
        &["SINTERSTORE", "d", "a", "t"],
        &["SUNIONSTORE", "d", "a", "t"],
        &["SDIFFSTORE", "d", "a", "a"],
        &["SDIFFSTORE", "d", "a", "a"],
    ];
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut oracle = Conn::connect(redis.port);
    for c in commands {
        let (a0, b0) = (changes(&mut ours), changes(&mut oracle));
        ours.cmd(c);
        oracle.cmd(c);
        let (a, b) = (changes(&mut ours) - a0, changes(&mut oracle) - b0);
        assert_eq!(a, b, "changes counted for {c:?}");
    }
}

#[test]
fn smove_touches_watched_destination_only_when_it_adds() {
    // From the TCL test "SMOVE only notify dstset when the addition is
    // successful": the destination already holds the member, so a
    // transaction watching it still commits.
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut other = Conn::connect(server.port);
    c.cmd(&["SADD", "srcset", "a", "b"]);
    c.cmd(&["SADD", "dstset", "a"]);
    c.cmd(&["WATCH", "dstset"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SADD", "dstset", "c"]);
    assert_eq!(
        other.cmd(&["SMOVE", "srcset", "dstset", "a"]),
        Frame::Integer(1)
    );
    assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![Frame::Integer(1)]));
    assert_eq!(c.cmd(&["SCARD", "dstset"]), Frame::Integer(2));
    // A real addition does abort it.
    c.cmd(&["WATCH", "dstset"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SCARD", "dstset"]);
    assert_eq!(
        other.cmd(&["SMOVE", "srcset", "dstset", "b"]),
        Frame::Integer(1)
    );
    assert_eq!(c.cmd(&["EXEC"]), Frame::Null);
}

// ---- Redis 7.2 behaviour the 7.0 oracle lacks: the listpack encoding ----

fn enc(c: &mut Conn, key: &str) -> String {
    match c.cmd(&["OBJECT", "ENCODING", key]) {
        Frame::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("OBJECT ENCODING {key}: {other:?}"),
    }
}

/// A reply's bulk strings, in order.
fn strings(reply: Frame) -> Vec<String> {
    let (Frame::Array(items) | Frame::Set(items)) = reply else {
        panic!("not an aggregate: {reply:?}");
    };
    items
        .into_iter()
        .map(|f| match f {
            Frame::Bulk(b) => String::from_utf8(b).unwrap(),
            other => panic!("not a bulk string: {other:?}"),
        })
        .collect()
}

fn sorted(reply: Frame) -> Vec<String> {
    let mut v = strings(reply);
    v.sort();
    v
}

fn sadd(c: &mut Conn, key: &str, members: &[&str]) -> Frame {
    let mut args = vec!["SADD", key];
    args.extend_from_slice(members);
    c.cmd(&args)
}

/// Redis 7.2 (the 7.0 oracle has no listpack sets): a small set with a
/// non-integer member is a listpack, in insertion order.
#[test]
fn small_sets_are_listpacks_in_insertion_order() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    sadd(&mut c, "s", &["foo", "bar", "10", "baz"]);
    assert_eq!(enc(&mut c, "s"), "listpack");
    assert_eq!(
        strings(c.cmd(&["SMEMBERS", "s"])),
        ["foo", "bar", "10", "baz"]
    );
    assert_eq!(c.cmd(&["SREM", "s", "bar"]), Frame::Integer(1));
    assert_eq!(strings(c.cmd(&["SMEMBERS", "s"])), ["foo", "10", "baz"]);
    assert_eq!(c.cmd(&["SISMEMBER", "s", "10"]), Frame::Integer(1));
    // A listpack is scanned whole, whatever the cursor and COUNT.
    let scan = c.cmd(&["SSCAN", "s", "5", "COUNT", "1"]);
    assert_eq!(
        scan,
        Frame::Array(vec![
            bulk("0"),
            Frame::Array(vec![bulk("foo"), bulk("10"), bulk("baz")])
        ])
    );
    // An integer past 64 bits is a string.
    sadd(&mut c, "big", &["213244124402402314402033402"]);
    assert_eq!(enc(&mut c, "big"), "listpack");
    assert_eq!(
        c.cmd(&["SMISMEMBER", "big", "213244124402402314402033402"]),
        Frame::Array(vec![Frame::Integer(1)])
    );
}

/// Redis 7.2: `SADD a non-integer against a small intset` gives a listpack
/// (integers first, ascending); against a large one a hashtable.
#[test]
fn intset_converts_to_listpack_or_hashtable() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    sadd(&mut c, "small", &["3", "1", "2"]);
    assert_eq!(enc(&mut c, "small"), "intset");
    sadd(&mut c, "small", &["a"]);
    assert_eq!(enc(&mut c, "small"), "listpack");
    assert_eq!(strings(c.cmd(&["SMEMBERS", "small"])), ["1", "2", "3", "a"]);

    let ints: Vec<String> = (0..130).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = ints.iter().map(String::as_str).collect();
    sadd(&mut c, "large", &refs);
    assert_eq!(enc(&mut c, "large"), "intset");
    sadd(&mut c, "large", &["a"]);
    assert_eq!(enc(&mut c, "large"), "hashtable");

    sadd(&mut c, "huge", &refs);
    sadd(&mut c, "huge", &["213244124402402314402033402"]);
    assert_eq!(enc(&mut c, "huge"), "hashtable");
    assert_eq!(
        c.cmd(&["SISMEMBER", "huge", "213244124402402314402033402"]),
        Frame::Integer(1)
    );

    // The widest integer's digits count against set-max-listpack-value.
    c.cmd(&["CONFIG", "SET", "set-max-listpack-value", "4"]);
    sadd(&mut c, "wide", &["123456", "7"]);
    sadd(&mut c, "wide", &["a"]);
    assert_eq!(enc(&mut c, "wide"), "hashtable");
    sadd(&mut c, "narrow", &["1234", "-123"]);
    sadd(&mut c, "narrow", &["a"]);
    assert_eq!(enc(&mut c, "narrow"), "listpack");
}

/// Redis 7.2's `SADD overflows the maximum allowed ...` tests, for the
/// three ways of adding: one by one, all at once, and one then all.
#[test]
fn size_hints_and_overflows() {
    let server = start_lodestone(&[
        "--set-max-intset-entries",
        "512",
        "--set-max-listpack-entries",
        "128",
        "--set-max-listpack-value",
        "32",
    ]);
    let mut c = Conn::connect(server.port);
    let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    let ints: Vec<&str> = ints.iter().map(String::as_str).collect();
    for way in ["single", "multiple", "single_multiple"] {
        c.cmd(&["DEL", "myset"]);
        match way {
            "single" => ints.iter().for_each(|i| {
                sadd(&mut c, "myset", &[i]);
            }),
            "multiple" => {
                sadd(&mut c, "myset", &ints);
            }
            _ => {
                sadd(&mut c, "myset", &["1"]);
                sadd(&mut c, "myset", &ints);
            }
        }
        assert_eq!(enc(&mut c, "myset"), "intset", "{way}");
        assert_eq!(sadd(&mut c, "myset", &["512"]), Frame::Integer(1));
        assert_eq!(enc(&mut c, "myset"), "hashtable", "{way}");

        c.cmd(&["DEL", "lp"]);
        let mut members = vec!["a"];
        members.extend_from_slice(&ints[..127]);
        match way {
            "single" => members.iter().for_each(|m| {
                sadd(&mut c, "lp", &[m]);
            }),
            "multiple" => {
                sadd(&mut c, "lp", &members);
            }
            _ => {
                sadd(&mut c, "lp", &["a"]);
                sadd(&mut c, "lp", &members);
            }
        }
        assert_eq!(enc(&mut c, "lp"), "listpack", "{way}");
        assert_eq!(c.cmd(&["SCARD", "lp"]), Frame::Integer(128));
        sadd(&mut c, "lp", &["b"]);
        assert_eq!(enc(&mut c, "lp"), "hashtable", "{way}");
    }
    // A write of more members than the encoding holds converts first,
    // even when they are all present already (setTypeMaybeConvert).
    sadd(&mut c, "hint", &["a"]);
    let mut again = vec!["a"; 129];
    assert_eq!(sadd(&mut c, "hint", &again), Frame::Integer(0));
    assert_eq!(enc(&mut c, "hint"), "hashtable");
    sadd(&mut c, "new", &again);
    assert_eq!(enc(&mut c, "new"), "hashtable");
    again.truncate(128);
    sadd(&mut c, "new2", &again);
    assert_eq!(enc(&mut c, "new2"), "listpack");
    // A value over set-max-listpack-value.
    sadd(&mut c, "long", &["a"]);
    sadd(&mut c, "long", &[&"x".repeat(32)]);
    assert_eq!(enc(&mut c, "long"), "listpack");
    sadd(&mut c, "long", &[&"x".repeat(33)]);
    assert_eq!(enc(&mut c, "long"), "hashtable");
}

/// Redis 7.2's intersection encodings: the result starts from the smallest
/// input's encoding and ends as an intset when it holds only integers.
#[test]
fn sinterstore_encodings() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    sadd(&mut c, "l1", &["a", "b", "c", "1", "3", "6", "x", "y", "z"]);
    sadd(&mut c, "l2", &["e", "f", "g", "1", "2", "3", "u", "v", "w"]);
    assert_eq!(enc(&mut c, "l1"), "listpack");
    c.cmd(&["SINTERSTORE", "res", "l1", "l2"]);
    assert_eq!(sorted(c.cmd(&["SMEMBERS", "res"])), ["1", "3"]);
    assert_eq!(enc(&mut c, "res"), "intset");

    sadd(&mut c, "h1", &["a", "b", "c", "444", "555", "666"]);
    sadd(&mut c, "h2", &["e", "f", "g", "111", "222", "333"]);
    for i in 1..130 {
        let i = i.to_string();
        sadd(&mut c, "h1", &[&i]);
        sadd(&mut c, "h2", &[&i]);
    }
    assert_eq!(enc(&mut c, "h1"), "hashtable");
    assert_eq!(
        c.cmd(&["SINTERSTORE", "res", "h1", "h2"]),
        Frame::Integer(129)
    );
    assert_eq!(enc(&mut c, "res"), "intset");

    sadd(&mut c, "m1", &["a", "b", "1"]);
    sadd(&mut c, "m2", &["a", "1", "q"]);
    c.cmd(&["SINTERSTORE", "res", "m1", "m2"]);
    assert_eq!(enc(&mut c, "res"), "listpack");
    assert_eq!(strings(c.cmd(&["SMEMBERS", "res"])), ["a", "1"]);
    assert_eq!(strings(c.cmd(&["SINTER", "m1", "m2"])), ["a", "1"]);

    // Same integers in an intset and a listpack.
    sadd(&mut c, "i", &["1", "2", "3"]);
    sadd(&mut c, "j", &["1", "2", "3", "a"]);
    c.cmd(&["SREM", "j", "a"]);
    assert_eq!(enc(&mut c, "j"), "listpack");
    assert_eq!(sorted(c.cmd(&["SINTER", "i", "j"])), ["1", "2", "3"]);
}

/// Redis 7.2's union and difference encodings: the result starts as an
/// intset and converts as members arrive; never back.
#[test]
fn union_and_diff_store_encodings() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    sadd(&mut c, "i", &["3", "1", "2"]);
    sadd(&mut c, "l", &["a", "1", "z"]);
    c.cmd(&["SUNIONSTORE", "u", "i", "l"]);
    assert_eq!(enc(&mut c, "u"), "listpack");
    assert_eq!(
        strings(c.cmd(&["SMEMBERS", "u"])),
        ["1", "2", "3", "a", "z"]
    );
    c.cmd(&["SUNIONSTORE", "u", "l", "i"]);
    assert_eq!(
        strings(c.cmd(&["SMEMBERS", "u"])),
        ["a", "1", "z", "2", "3"]
    );
    c.cmd(&["SDIFFSTORE", "d", "l", "i"]);
    assert_eq!(strings(c.cmd(&["SMEMBERS", "d"])), ["a", "z"]);
    assert_eq!(enc(&mut c, "d"), "listpack");
    // Only the integers left: algorithm 1 adds just them (an intset);
    // algorithm 2 adds everything and removes, and never converts back.
    sadd(&mut c, "az", &["a", "z"]);
    c.cmd(&["SDIFFSTORE", "d", "l", "az"]);
    assert_eq!(strings(c.cmd(&["SMEMBERS", "d"])), ["1"]);
    assert_eq!(enc(&mut c, "d"), "intset");
    for (k, m) in [
        ("A", "a"),
        ("Z", "z"),
        ("q1", "q"),
        ("q2", "q"),
        ("q3", "q"),
    ] {
        sadd(&mut c, k, &[m]);
    }
    // 3 * 6 / 2 = 9 > 3 + 5: algorithm 2.
    c.cmd(&["SDIFFSTORE", "d", "l", "A", "Z", "q1", "q2", "q3"]);
    assert_eq!(strings(c.cmd(&["SMEMBERS", "d"])), ["1"]);
    assert_eq!(enc(&mut c, "d"), "listpack");
    // Intsets in, intset out.
    sadd(&mut c, "i2", &["2", "5"]);
    c.cmd(&["SDIFFSTORE", "d", "i", "i2"]);
    assert_eq!(enc(&mut c, "d"), "intset");
    c.cmd(&["SUNIONSTORE", "d", "i", "i2"]);
    assert_eq!(enc(&mut c, "d"), "intset");

    // Algorithm 2 (first set much bigger than the rest together) adds the
    // whole first set before removing: a big first set leaves a hashtable
    // even when little remains; algorithm 1 builds only the result.
    let strs: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let strs: Vec<&str> = strs.iter().map(String::as_str).collect();
    sadd(&mut c, "big", &strs);
    sadd(&mut c, "sub1", &strs[..150]);
    sadd(&mut c, "sub2", &strs[150..195]);
    // 200 * 3 / 2 = 300 <= 200 + 150 + 45: algorithm 1.
    c.cmd(&["SDIFFSTORE", "d", "big", "sub1", "sub2"]);
    assert_eq!(c.cmd(&["SCARD", "d"]), Frame::Integer(5));
    assert_eq!(enc(&mut c, "d"), "listpack");
    sadd(&mut c, "s1", &strs[..50]);
    sadd(&mut c, "s2", &strs[50..90]);
    sadd(&mut c, "s3", &strs[90..100]);
    sadd(&mut c, "s4", &strs[100..195]);
    // 200 * 5 / 2 = 500 > 200 + 50 + 40 + 10 + 95: algorithm 2.
    c.cmd(&["SDIFFSTORE", "d", "big", "s1", "s2", "s3", "s4"]);
    assert_eq!(c.cmd(&["SCARD", "d"]), Frame::Integer(5));
    assert_eq!(enc(&mut c, "d"), "hashtable");
}

/// Redis 7.2's SMOVE conversions (TCL "SMOVE basics").
#[test]
fn smove_encodings() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let setup = |c: &mut Conn| {
        c.cmd(&["DEL", "myset1", "myset2", "myset3"]);
        sadd(c, "myset1", &["1", "a", "b"]);
        sadd(c, "myset2", &["2", "3", "4"]);
    };
    setup(&mut c);
    assert_eq!(enc(&mut c, "myset1"), "listpack");
    assert_eq!(
        c.cmd(&["SMOVE", "myset1", "myset2", "a"]),
        Frame::Integer(1)
    );
    assert_eq!(enc(&mut c, "myset2"), "listpack");
    assert_eq!(sorted(c.cmd(&["SMEMBERS", "myset2"])), ["2", "3", "4", "a"]);
    setup(&mut c);
    c.cmd(&["SMOVE", "myset1", "myset2", "1"]);
    assert_eq!(enc(&mut c, "myset2"), "intset");
    setup(&mut c);
    c.cmd(&["SMOVE", "myset1", "myset3", "a"]);
    assert_eq!(enc(&mut c, "myset3"), "listpack");
    setup(&mut c);
    c.cmd(&["SMOVE", "myset2", "myset3", "2"]);
    assert_eq!(enc(&mut c, "myset3"), "intset");
}

/// Redis 7.2's SPOP with a count: popping most of a set rebuilds it from
/// the members that stay, so a hashtable's remainder becomes a listpack
/// (even of integers); popping few keeps the encoding.
#[test]
fn spop_with_count_remainder_encodings() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let ints: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    let ints: Vec<&str> = ints.iter().map(String::as_str).collect();
    sadd(&mut c, "h", &ints);
    assert_eq!(enc(&mut c, "h"), "hashtable");
    let popped = strings(c.cmd(&["SPOP", "h", "10"]));
    assert_eq!(popped.len(), 10);
    assert_eq!(enc(&mut c, "h"), "hashtable");
    let popped = strings(c.cmd(&["SPOP", "h", "580"]));
    assert_eq!(popped.len(), 580);
    assert_eq!(c.cmd(&["SCARD", "h"]), Frame::Integer(10));
    assert_eq!(enc(&mut c, "h"), "listpack");

    for (members, encoding) in [
        (
            vec!["a", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
            "listpack",
        ),
        (
            vec!["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
            "intset",
        ),
    ] {
        for count in [2, 9] {
            c.cmd(&["DEL", "s"]);
            sadd(&mut c, "s", &members);
            let popped = strings(c.cmd(&["SPOP", "s", &count.to_string()]));
            let rest = strings(c.cmd(&["SMEMBERS", "s"]));
            let mut all: Vec<String> = popped.iter().chain(&rest).cloned().collect();
            all.sort();
            let mut expected: Vec<String> = members.iter().map(|m| m.to_string()).collect();
            expected.sort();
            assert_eq!(all, expected);
            assert_eq!(popped.len(), count);
            assert_eq!(enc(&mut c, "s"), encoding);
        }
    }
}

/// SPOP with a count replies a RESP3 set; SRANDMEMBER an array.
#[test]
fn resp3_reply_types() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["HELLO", "3"]);
    sadd(&mut c, "s", &["a", "b", "c"]);
    assert!(matches!(c.cmd(&["SPOP", "s", "1"]), Frame::Set(v) if v.len() == 1));
    assert!(matches!(c.cmd(&["SRANDMEMBER", "s", "1"]), Frame::Array(v) if v.len() == 1));
    assert!(matches!(c.cmd(&["SMEMBERS", "s"]), Frame::Set(v) if v.len() == 2));
    assert_eq!(c.cmd_raw(&["SPOP", "missing", "2"]), b"~0\r\n");
    assert_eq!(c.cmd_raw(&["SRANDMEMBER", "missing", "2"]), b"*0\r\n");
    assert_eq!(c.cmd_raw(&["SINTER", "s", "missing"]), b"~0\r\n");
}

/// Chi-square statistic of how often each member came up, against an
/// even spread.
fn chi_square(picks: &[String]) -> f64 {
    let mut counts: HashMap<&str, f64> = HashMap::new();
    for p in picks {
        *counts.entry(p).or_default() += 1.0;
    }
    let expected = picks.len() as f64 / counts.len() as f64;
    counts
        .values()
        .map(|n| (n - expected).powi(2) / expected)
        .sum()
}

/// SRANDMEMBER's distribution is even in every encoding and every
/// strategy (TCL "SRANDMEMBER histogram distribution"; 40 with 9 degrees
/// of freedom is a one-in-100,000 chance).
#[test]
fn srandmember_distribution_is_even() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "lp",
            vec![
                "1",
                "5",
                "10",
                "50",
                "125",
                "MARY",
                "PATRICIA",
                "LINDA",
                "BARBARA",
                "ELIZABETH",
            ],
            "listpack",
        ),
        (
            "is",
            vec!["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            "intset",
        ),
        (
            "ht",
            vec![
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                "1",
                "5",
                "10",
                "50",
                "125",
                "MARY",
                "PATRICIA",
                "LINDA",
                "BARBARA",
            ],
            "hashtable",
        ),
    ];
    for (key, members, encoding) in cases {
        sadd(&mut c, key, &members);
        assert_eq!(enc(&mut c, key), encoding);
        let picks = strings(c.cmd(&["SRANDMEMBER", key, "-1000"]));
        assert_eq!(picks.len(), 1000);
        assert!(chi_square(&picks) < 40.0, "{key} negative count");
        for size in ["8", "2"] {
            let mut all = Vec::new();
            for _ in 0..1000 / size.parse::<usize>().unwrap() {
                let picks = strings(c.cmd(&["SRANDMEMBER", key, size]));
                let distinct: BTreeSet<&String> = picks.iter().collect();
                assert_eq!(distinct.len(), picks.len(), "{key} {size}: repeats");
                all.extend(picks);
            }
            assert!(chi_square(&all) < 40.0, "{key} count {size}");
        }
        let all = sorted(c.cmd(&["SRANDMEMBER", key, "100"]));
        let mut expected: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        expected.sort();
        assert_eq!(all, expected);
    }
}

/// Picks with repeats are bounded by the set only through the reply size:
/// past `proto-max-bulk-len` the command fails instead of building an
/// unbounded reply.
#[test]
fn srandmember_huge_negative_count_is_bounded() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    sadd(&mut c, "s", &["a", "b"]);
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-1000000000000"]),
        err("ERR reply exceeds proto-max-bulk-len")
    );
    sadd(&mut c, "i", &["1", "2"]);
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "i", "-9223372036854775807"]),
        err("ERR reply exceeds proto-max-bulk-len")
    );
    assert_eq!(strings(c.cmd(&["SRANDMEMBER", "s", "-3"])).len(), 3);
    assert_eq!(c.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
}

/// SSCAN over a hashtable returns every member present for the whole
/// iteration at least once, even while the set grows and shrinks.
#[test]
fn sscan_of_a_changing_hashtable() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    for i in 0..1000 {
        sadd(&mut c, "h", &[&format!("m{i}")]);
    }
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut next = 1000;
    loop {
        let Frame::Array(parts) = c.cmd(&["SSCAN", "h", &cursor, "COUNT", "20"]) else {
            panic!("SSCAN reply");
        };
        let [Frame::Bulk(cur), batch] = &parts[..] else {
            panic!("SSCAN reply shape");
        };
        seen.extend(strings(batch.clone()));
        cursor = String::from_utf8(cur.clone()).unwrap();
        if cursor == "0" {
            break;
        }
        // Grow, and remove members added during the scan.
        for _ in 0..10 {
            sadd(&mut c, "h", &[&format!("m{next}")]);
            next += 1;
        }
        c.cmd(&["SREM", "h", &format!("m{}", next - 5)]);
    }
    assert!((0..1000).all(|i| seen.contains(&format!("m{i}"))));
}

/// CONFIG SET of the thresholds applies to the next write.
#[test]
fn config_thresholds_apply_at_once() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["CONFIG", "SET", "set-max-listpack-entries", "2"]);
    sadd(&mut c, "s", &["a", "b"]);
    assert_eq!(enc(&mut c, "s"), "listpack");
    sadd(&mut c, "s", &["c"]);
    assert_eq!(enc(&mut c, "s"), "hashtable");
    c.cmd(&["CONFIG", "SET", "set-max-listpack-entries", "0"]);
    sadd(&mut c, "t", &["1", "2"]);
    sadd(&mut c, "t", &["x"]);
    assert_eq!(
        enc(&mut c, "t"),
        "hashtable",
        "7.0's behaviour with no listpack"
    );
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "1"]);
    sadd(&mut c, "u", &["1", "2"]);
    assert_eq!(enc(&mut c, "u"), "hashtable");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "set-max-listpack-value"]),
        Frame::Array(vec![bulk("set-max-listpack-value"), bulk("64")])
    );
}

/// TYPE, COPY (same encoding), RENAME, SCAN TYPE, MEMORY USAGE and UNLINK
/// of a big set.
#[test]
fn generic_commands_on_sets() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    sadd(&mut c, "lp", &["a", "b"]);
    sadd(&mut c, "is", &["1", "2"]);
    let big: Vec<String> = (0..1000).map(|i| format!("member:{i}")).collect();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    sadd(&mut c, "ht", &big);
    assert_eq!(c.cmd(&["TYPE", "lp"]), Frame::Simple(b"set".to_vec()));
    for key in ["lp", "is", "ht"] {
        let copy = format!("{key}-copy");
        assert_eq!(c.cmd(&["COPY", key, &copy]), Frame::Integer(1));
        assert_eq!(enc(&mut c, &copy), enc(&mut c, key));
        assert_eq!(
            sorted(c.cmd(&["SMEMBERS", &copy])),
            sorted(c.cmd(&["SMEMBERS", key]))
        );
        assert!(matches!(c.cmd(&["MEMORY", "USAGE", key]), Frame::Integer(n) if n > 0));
    }
    let Frame::Array(parts) = c.cmd(&["SCAN", "0", "TYPE", "set", "COUNT", "100"]) else {
        panic!("SCAN reply");
    };
    assert_eq!(sorted(parts[1].clone()).len(), 6);
    assert_eq!(
        c.cmd(&["RENAME", "ht", "ht2"]),
        Frame::Simple(b"OK".to_vec())
    );
    assert_eq!(c.cmd(&["SCARD", "ht2"]), Frame::Integer(1000));
    assert_eq!(c.cmd(&["UNLINK", "ht2"]), Frame::Integer(1));
    assert_eq!(c.cmd(&["EXISTS", "ht2"]), Frame::Integer(0));
}
