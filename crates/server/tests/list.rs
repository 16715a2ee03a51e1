//! List commands: differentially against redis-server in RESP2 and RESP3
//! (every command and option, reply shapes, errors, WRONGTYPE, deletion
//! of emptied lists, keyspace events, lists of large elements), and
//! Lodestone-only checks of what Redis 7.2 does differently from the 7.0
//! oracle: the `listpack` encoding of small lists and its conversion
//! points, quicklist node shapes as `DEBUG OBJECT` reports them, plain
//! nodes (`DEBUG QUICKLIST-PACKED-THRESHOLD`), a few error texts. The
//! expected 7.2 values below were checked against a Redis 7.2.6 build.
//!
//! Blocking commands are tested in `blocking.rs`.

mod common;

use common::{differential_script, keyevents, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn push_pop_and_reads() {
    differential_script(
        r#"
        LPUSH l a b c
        RPUSH l 1 2 3
        LRANGE l 0 -1
        LLEN l
        LLEN nokey
        LPUSHX l x
        RPUSHX l y z
        LPUSHX nokey a
        RPUSHX nokey a
        EXISTS nokey
        LRANGE l 0 -1
        LRANGE l -3 -1
        LRANGE l 2 4
        LRANGE l 5 2
        LRANGE l -100 100
        LRANGE l 100 200
        LRANGE l 0 -100
        LRANGE l -9223372036854775808 9223372036854775807
        LRANGE nokey 0 -1
        LINDEX l 0
        LINDEX l -1
        LINDEX l 3
        LINDEX l 100
        LINDEX l -100
        LINDEX nokey 0
        LINDEX nokey notanint
        LPOP l
        RPOP l
        LPOP l 2
        RPOP l 2
        LPOP l 0
        RPOP l 0
        LPOP nokey
        LPOP nokey 1
        LPOP nokey 0
        RPOP nokey 3
        LRANGE l 0 -1
        RPOP l 100
        EXISTS l
        LPOP l
        # Integers and binary elements come back as written.
        RPUSH n 0 -1 9223372036854775807 -9223372036854775808 007 1.5 "" "a\x00b\r\n"
        LRANGE n 0 -1
        LINDEX n 2
        LPOP n 4
        RPOP n
        LLEN n
        "#,
    );
}

#[test]
fn errors_arity_and_wrong_type() {
    differential_script(
        r#"
        SET s v
        LPUSH s a
        RPUSH s a
        LPUSHX s a
        RPUSHX s a
        LPOP s
        RPOP s 2
        LLEN s
        LRANGE s 0 -1
        LINDEX s 0
        LSET s 0 x
        LINSERT s BEFORE a b
        LREM s 0 a
        LTRIM s 0 1
        LPOS s a
        LMOVE s d LEFT LEFT
        RPOPLPUSH s d
        LMPOP 1 s LEFT
        BLPOP s 1
        BRPOP s 1
        BLMOVE s d LEFT RIGHT 1
        BRPOPLPUSH s d 1
        BLMPOP 1 1 s LEFT
        LPUSH
        LPUSH l
        RPUSHX l
        LPOP
        LPOP l 1 2
        LRANGE l 0
        LINDEX l
        LSET l 0
        LINSERT l BEFORE a
        LREM l 0
        LTRIM l 0
        LPOS l
        LMOVE a b LEFT
        RPOPLPUSH a
        LMPOP 1 l
        BLPOP l
        BLMOVE a b LEFT LEFT
        BRPOPLPUSH a b
        BLMPOP 1 1 l
        RPUSH l a b c
        LPOP l -1
        LPOP l abc
        LPOP l 9223372036854775808
        LRANGE l a 1
        LRANGE l 0 1.5
        LRANGE nokey a 1
        LINDEX l abc
        LSET nokey 0 x
        LSET l abc x
        LSET l 3 x
        LSET l -4 x
        LINSERT l MIDDLE a x
        LINSERT nokey MIDDLE a x
        LREM l abc x
        LTRIM l a 1
        LTRIM nokey a 1
        LMOVE l d UP LEFT
        LMOVE l d LEFT DOWN
        LMOVE nokey d LEFT LEFT
        LMOVE l s LEFT LEFT
        LRANGE l 0 -1
        "#,
    );
}

#[test]
fn lpos_options() {
    differential_script(
        r#"
        RPUSH l a b c 1 2 3 c c a 2
        LPOS l c
        LPOS l c RANK 2
        LPOS l c RANK -1
        LPOS l c RANK -3
        LPOS l c RANK 4
        LPOS l c COUNT 0
        LPOS l c COUNT 2
        LPOS l c RANK 2 COUNT 0
        LPOS l c RANK -1 COUNT 2
        LPOS l c MAXLEN 3
        LPOS l c MAXLEN 2
        LPOS l c COUNT 0 MAXLEN 7
        LPOS l c RANK -2 MAXLEN 3
        LPOS l c RANK -1 COUNT 0 MAXLEN 4
        LPOS l 2 count 5 rank 1
        LPOS l 2
        LPOS l nope
        LPOS l nope COUNT 3
        LPOS nokey a
        LPOS nokey a COUNT 1
        LPOS l a RANK 0
        LPOS l a RANK abc
        LPOS l a COUNT -1
        LPOS l a COUNT abc
        LPOS l a MAXLEN -1
        LPOS l a MAXLEN abc
        LPOS l a RANK
        LPOS l a FOO 1
        LPOS l a RANK 1 COUNT
        LPOS nokey a RANK 0
        "#,
    );
}

#[test]
fn insert_set_remove_trim() {
    differential_script(
        r#"
        RPUSH l a b c b a
        LINSERT l BEFORE b X
        LINSERT l after b Y
        LINSERT l AFTER a Z
        LINSERT l BEFORE nope W
        LINSERT nokey BEFORE a W
        LRANGE l 0 -1
        LSET l 0 first
        LSET l -1 last
        LSET l 3 12345
        LRANGE l 0 -1
        LREM l 0 b
        LRANGE l 0 -1
        RPUSH r x y x z x y x
        LREM r 2 x
        LRANGE r 0 -1
        LREM r -1 x
        LRANGE r 0 -1
        LREM r 0 nope
        LREM r -10 y
        LREM nokey 0 x
        LRANGE r 0 -1
        LREM r 0 z
        LREM r 0 x
        EXISTS r
        RPUSH t 1 2 3 4 5 6 7 8 9
        LTRIM t 1 -2
        LRANGE t 0 -1
        LTRIM t -3 100
        LRANGE t 0 -1
        LTRIM t 0 0
        LRANGE t 0 -1
        LTRIM t 5 1
        EXISTS t
        LTRIM nokey 0 1
        RPUSH t2 a b c
        LTRIM t2 -100 -100
        EXISTS t2
        RPUSH t3 a b c
        LTRIM t3 0 -1
        LRANGE t3 0 -1
        "#,
    );
}

#[test]
fn moves_and_multi_pops() {
    differential_script(
        r#"
        RPUSH src a b c d
        LMOVE src dst LEFT RIGHT
        LMOVE src dst RIGHT LEFT
        LMOVE src dst left left
        LRANGE src 0 -1
        LRANGE dst 0 -1
        RPOPLPUSH src dst
        EXISTS src
        LRANGE dst 0 -1
        RPOPLPUSH src dst
        LMOVE nokey dst LEFT LEFT
        # Rotation on one key, also with a single element.
        LMOVE dst dst LEFT RIGHT
        LRANGE dst 0 -1
        RPOPLPUSH dst dst
        LRANGE dst 0 -1
        RPUSH one x
        LMOVE one one RIGHT LEFT
        LRANGE one 0 -1
        RPOPLPUSH one one
        # A destination of the wrong type leaves the source untouched.
        SET str v
        LMOVE dst str LEFT LEFT
        RPOPLPUSH dst str
        LRANGE dst 0 -1
        RPUSH m1 1 2 3
        RPUSH m2 4 5
        LMPOP 2 nokey m1 LEFT
        LMPOP 2 m1 m2 RIGHT COUNT 10
        LMPOP 2 m1 m2 right count 1
        LMPOP 1 m2 LEFT COUNT 5
        LMPOP 3 m1 m2 nokey LEFT
        EXISTS m1 m2
        LMPOP 2 str m1 LEFT
        LMPOP 2 nokey str LEFT
        LMPOP 0 m1 LEFT
        LMPOP -1 m1 LEFT
        LMPOP abc m1 LEFT
        LMPOP 2 m1 LEFT
        LMPOP 1 m1 UP
        LMPOP 1 m1 LEFT COUNT 0
        LMPOP 1 m1 LEFT COUNT -1
        LMPOP 1 m1 LEFT COUNT abc
        LMPOP 1 m1 LEFT COUNT 1 COUNT 1
        LMPOP 1 m1 LEFT FOO
        LMPOP 1 m1 LEFT COUNT
        "#,
    );
}

#[test]
fn blocking_commands_answer_at_once_with_data_or_in_multi() {
    differential_script(
        r#"
        RPUSH a 1 2 3
        BLPOP nokey a 0
        BRPOP a nokey 0.5
        BLMPOP 0 2 nokey a RIGHT COUNT 5
        EXISTS a
        RPUSH b x y
        BLMOVE b c LEFT RIGHT 0
        BRPOPLPUSH b c 0
        LRANGE c 0 -1
        BLMOVE c c RIGHT LEFT 0
        LRANGE c 0 -1
        # Timeout errors come before anything else.
        BLPOP a abc
        BLPOP a -1
        BLPOP a nan
        BLPOP a ""
        BLPOP a " 1"
        BLPOP a -inf
        BLMPOP abc 1 a LEFT
        BLMPOP 0 0 a LEFT
        BLMPOP -1 1 a LEFT
        BLMPOP 1 1 a UP
        BLMOVE a b UP LEFT 0
        BLMOVE a b LEFT LEFT abc
        BRPOPLPUSH a b -1
        # Inside MULTI nothing blocks: null arrays, BLMOVE a plain null.
        MULTI
        BLPOP nokey 0
        BRPOP nokey 0
        BLMPOP 0 1 nokey LEFT
        BLMOVE nokey c LEFT LEFT 0
        BRPOPLPUSH nokey c 0
        LPUSH w v
        BLPOP w 0
        EXEC
        "#,
    );
}

#[test]
fn large_elements_and_long_lists() {
    let big_a = "a".repeat(10_000);
    let big_b = "b".repeat(70_000);
    let mut script = String::from("RPUSH big small\n");
    script.push_str(&format!("RPUSH big {big_a} {big_b} 12345\n"));
    script.push_str(&format!("LPUSH big {big_b}\n"));
    script.push_str("LRANGE big 0 -1\nLLEN big\nLINDEX big 2\n");
    script.push_str(&format!("LPOS big {big_b} RANK -1\n"));
    script.push_str(&format!("LINSERT big AFTER small {big_a}\n"));
    script.push_str(&format!("LREM big 0 {big_a}\n"));
    script.push_str(&format!("LSET big 0 {big_a}\n"));
    script.push_str("LRANGE big 0 -1\nLTRIM big 1 2\nLRANGE big 0 -1\n");
    // A list of many nodes: pushes at both ends, inserts and removals in
    // the middle, trims.
    for i in 0..40 {
        let values: Vec<String> = (0..50).map(|j| format!("item-{i}-{j}")).collect();
        let verb = if i % 2 == 0 { "RPUSH" } else { "LPUSH" };
        script.push_str(&format!("{verb} long {}\n", values.join(" ")));
    }
    script.push_str(
        "LLEN long\nLINDEX long 1000\nLINDEX long -1500\nLRANGE long 990 1010\n\
         LINSERT long BEFORE item-10-25 inserted\nLINSERT long AFTER item-31-0 inserted2\n\
         LSET long 1200 replaced\nLREM long 0 item-20-7\nLREM long -3 item-5-5\n\
         LPOS long item-30-30\nLPOS long inserted RANK -1 COUNT 0\n\
         LRANGE long 1190 1210\nLTRIM long 100 -100\nLLEN long\nLRANGE long 0 5\n\
         LPOP long 300\nRPOP long 300\nLLEN long\nLRANGE long 0 -1\n",
    );
    differential_script(&script);
}

#[test]
fn keyspace_events_match_redis() {
    let commands: &[&[&str]] = &[
        &["LPUSH", "l", "a", "b"],
        &["RPUSH", "l", "c", "d", "e", "f"],
        &["LPUSHX", "nokey", "a"],
        &["RPUSHX", "l", "g"],
        &["LINSERT", "l", "BEFORE", "c", "x"],
        &["LINSERT", "l", "BEFORE", "nope", "x"],
        &["LSET", "l", "0", "y"],
        &["LSET", "l", "100", "y"],
        &["LREM", "l", "0", "x"],
        &["LREM", "l", "0", "nope"],
        &["LTRIM", "l", "0", "-1"],
        &["LTRIM", "l", "1", "-1"],
        &["LPOP", "l"],
        &["RPOP", "l", "2"],
        &["LPOP", "l", "0"],
        &["LMOVE", "l", "m", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "l", "m"],
        &["LMOVE", "m", "m", "LEFT", "LEFT"],
        &["LMPOP", "2", "nokey", "m", "RIGHT", "COUNT", "1"],
        &["BLPOP", "m", "0"],
        &["RPUSH", "t", "a"],
        &["LTRIM", "t", "1", "0"],
        &["RPUSH", "r", "a"],
        &["LREM", "r", "0", "a"],
        &["RPUSH", "p", "a", "b"],
        &["LPOP", "p", "5"],
        &["RPUSH", "q", "z"],
        &["RPOPLPUSH", "q", "q2"],
        &["LLEN", "q2"],
        &["LRANGE", "nokey", "0", "-1"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEA", commands);
    assert!(ours.contains(&("linsert".into(), "l".into())));
    assert!(ours.contains(&("del".into(), "q".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEA", commands));
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
        RPUSH small a 1 -0 "" xyz
        DEBUG DIGEST-VALUE small
        CONFIG SET list-max-listpack-size 4
        "#,
    );
    for i in 0..20 {
        script.push_str(&format!("RPUSH big e{i} {i}\n"));
    }
    script.push_str(
        r#"
        DEBUG DIGEST-VALUE big small nokey
        DEBUG DIGEST
        "#,
    );
    common::assert_script(&mut ours, &mut oracle, &script);
}

#[test]
fn watch_is_invalidated_by_list_writes() {
    differential_script(
        r#"
        RPUSH w a b
        WATCH w
        LPOP w
        MULTI
        LLEN w
        EXEC
        WATCH w
        LRANGE w 0 -1
        MULTI
        LLEN w
        EXEC
        WATCH w
        LPUSHX nokey a
        LREM w 0 nope
        MULTI
        LLEN w
        EXEC
        "#,
    );
}

// ---- Lodestone-only: Redis 7.2 behaviour the 7.0 oracle lacks ----

fn encoding(c: &mut Conn, key: &str) -> String {
    match c.cmd(&["OBJECT", "ENCODING", key]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("OBJECT ENCODING {key}: {other:?}"),
    }
}

/// The `ql_nodes` figure of DEBUG OBJECT, 0 for a listpack.
fn ql_nodes(c: &mut Conn, key: &str) -> usize {
    let Frame::Simple(line) = c.cmd(&["DEBUG", "OBJECT", key]) else {
        panic!("DEBUG OBJECT failed");
    };
    let line = String::from_utf8_lossy(&line).into_owned();
    line.split(' ')
        .find_map(|f| f.strip_prefix("ql_nodes:"))
        .map_or(0, |n| n.parse().expect("ql_nodes is a number"))
}

fn debug_server() -> (common::ServerProcess, Conn) {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let conn = Conn::connect(server.port);
    (server, conn)
}

#[test]
fn small_lists_are_listpacks_until_the_count_limit() {
    let (_server, mut c) = debug_server();
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "4"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c", "d"]);
    assert_eq!(encoding(&mut c, "l"), "listpack");
    c.cmd(&["RPUSH", "l", "e"]);
    assert_eq!(encoding(&mut c, "l"), "quicklist");
    assert_eq!(ql_nodes(&mut c, "l"), 2);
    // Back to a listpack only at one node of at most half the limit.
    c.cmd(&["RPOP", "l"]);
    assert_eq!(encoding(&mut c, "l"), "quicklist");
    c.cmd(&["RPOP", "l", "2"]);
    assert_eq!(encoding(&mut c, "l"), "listpack");
    // Several elements in one push convert before any is added.
    c.cmd(&["RPUSH", "m", "1", "2", "3", "4", "5"]);
    assert_eq!(encoding(&mut c, "m"), "quicklist");
    assert_eq!(ql_nodes(&mut c, "m"), 2);
    // The old name of the setting still works.
    c.cmd(&["CONFIG", "SET", "list-max-ziplist-size", "-2"]);
    c.cmd(&["RPUSH", "n", "1", "2", "3", "4", "5"]);
    assert_eq!(encoding(&mut c, "n"), "listpack");
}

#[test]
fn byte_limits_convert_and_shrink_back() {
    let (_server, mut c) = debug_server();
    let big = "x".repeat(5000);
    c.cmd(&["RPUSH", "l", &big]);
    assert_eq!(encoding(&mut c, "l"), "listpack");
    c.cmd(&["RPUSH", "l", &big]);
    assert_eq!(encoding(&mut c, "l"), "quicklist");
    assert_eq!(ql_nodes(&mut c, "l"), 2);
    c.cmd(&["RPOP", "l"]);
    assert_eq!(
        encoding(&mut c, "l"),
        "quicklist",
        "5 KB is over half of 8 KB"
    );
    c.cmd(&["LSET", "l", "0", "small"]);
    assert_eq!(encoding(&mut c, "l"), "listpack", "LSET shrinks too");
    // LINSERT converts as if it inserted, even when the pivot is missing.
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "-1"]);
    c.cmd(&["RPUSH", "i", "a"]);
    assert_eq!(
        c.cmd(&["LINSERT", "i", "BEFORE", "nope", &big]),
        Frame::Integer(-1)
    );
    assert_eq!(encoding(&mut c, "i"), "quicklist");
    // LSET converts before replacing, even out of range.
    c.cmd(&["RPUSH", "s", "a"]);
    let reply = c.cmd(&["LSET", "s", "5", &big]);
    assert!(matches!(reply, Frame::Error(_)));
    assert_eq!(encoding(&mut c, "s"), "quicklist");
}

#[test]
fn quicklist_nodes_split_and_merge_like_redis() {
    let (_server, mut c) = debug_server();
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "4"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h"]);
    assert_eq!(ql_nodes(&mut c, "l"), 2);
    // Inserting into the full first node splits it: 2 + 3 + 4.
    c.cmd(&["LINSERT", "l", "AFTER", "b", "X"]);
    assert_eq!(ql_nodes(&mut c, "l"), 3);
    let Frame::Simple(line) = c.cmd(&["DEBUG", "OBJECT", "l"]) else {
        panic!("DEBUG OBJECT failed");
    };
    let line = String::from_utf8_lossy(&line).into_owned();
    assert!(
        line.ends_with(" ql_nodes:3 ql_avg_node:3.00 ql_listpack_max:4 ql_compressed:0 ql_uncompressed_size:48"),
        "{line}"
    );
    // Deletions never merge nodes.
    c.cmd(&["LREM", "l", "0", "c"]);
    c.cmd(&["LREM", "l", "0", "e"]);
    assert_eq!(ql_nodes(&mut c, "l"), 3);
}

#[test]
fn compressed_lists_keep_their_contents() {
    let (_server, mut c) = debug_server();
    c.cmd(&["CONFIG", "SET", "list-compress-depth", "1"]);
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "4"]);
    let value = "compressible-".repeat(20);
    for i in 0..40 {
        c.cmd(&["RPUSH", "l", &format!("{value}{i}")]);
    }
    let Frame::Simple(line) = c.cmd(&["DEBUG", "OBJECT", "l"]) else {
        panic!("DEBUG OBJECT failed");
    };
    assert!(String::from_utf8_lossy(&line)
        .contains(" ql_nodes:10 ql_avg_node:4.00 ql_listpack_max:4 ql_compressed:1"));
    // Reads, writes and deletions in compressed interior nodes.
    assert_eq!(
        c.cmd(&["LINDEX", "l", "17"]),
        Frame::Bulk(format!("{value}17").into_bytes())
    );
    c.cmd(&["LSET", "l", "21", "changed"]);
    c.cmd(&["LINSERT", "l", "BEFORE", &format!("{value}30"), "inserted"]);
    c.cmd(&["LREM", "l", "0", &format!("{value}9")]);
    c.cmd(&["LTRIM", "l", "3", "-3"]);
    let Frame::Array(items) = c.cmd(&["LRANGE", "l", "0", "-1"]) else {
        panic!("LRANGE failed");
    };
    let mut want: Vec<String> = (0..40).map(|i| format!("{value}{i}")).collect();
    want[21] = "changed".into();
    want.insert(30, "inserted".into());
    want.retain(|v| *v != format!("{value}9"));
    let want = want[3..want.len() - 2].to_vec();
    let got: Vec<String> = items
        .into_iter()
        .map(|f| match f {
            Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn packed_threshold_gives_large_elements_plain_nodes() {
    let (_server, mut c) = debug_server();
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "10b"]),
        Frame::Simple(b"OK".to_vec())
    );
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "1"]);
    c.cmd(&["RPUSH", "l", "a", "0123456789abc", "b", "c"]);
    assert_eq!(ql_nodes(&mut c, "l"), 4);
    c.cmd(&["LSET", "l", "2", "a-long-replacement"]);
    c.cmd(&["LSET", "l", "1", "short"]);
    c.cmd(&["LINSERT", "l", "AFTER", "a", "another-long-one"]);
    let Frame::Array(items) = c.cmd(&["LRANGE", "l", "0", "-1"]) else {
        panic!("LRANGE failed");
    };
    let want: Vec<Frame> = ["a", "another-long-one", "short", "a-long-replacement", "c"]
        .iter()
        .map(|s| Frame::Bulk(s.as_bytes().to_vec()))
        .collect();
    assert_eq!(items, want);
    assert_eq!(
        c.cmd(&["LPOS", "l", "a-long-replacement"]),
        Frame::Integer(3)
    );
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]),
        Frame::Simple(b"OK".to_vec())
    );
}

#[test]
fn redis_7_2_error_texts() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["RPUSH", "l", "a"]);
    let error = |c: &mut Conn, args: &[&str]| match c.cmd(args) {
        Frame::Error(e) => String::from_utf8_lossy(&e).into_owned(),
        other => panic!("{args:?}: {other:?}"),
    };
    assert_eq!(
        error(&mut c, &["LPOS", "l", "a", "RANK", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    for timeout in ["inf", "1e400", "0x7FFFFFFFFFFFFF"] {
        assert_eq!(
            error(&mut c, &["BLPOP", "nokey", timeout]),
            "ERR timeout is out of range"
        );
    }
}

#[test]
fn small_lists_use_no_more_memory_than_redis() {
    let used = |c: &mut Conn| -> i64 {
        let Frame::Bulk(info) = c.cmd(&["INFO", "memory"]) else {
            panic!("INFO failed");
        };
        String::from_utf8_lossy(&info)
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("used_memory")
    };
    let load = |port: u16| -> i64 {
        let mut c = Conn::connect(port);
        let before = used(&mut c);
        for i in 0..2000 {
            let key = format!("list:{i:06}");
            let mut args = vec!["RPUSH".to_string(), key];
            args.extend((0..100).map(|j| format!("item-{}", j * 7919 % 100_000)));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            c.cmd(&refs);
        }
        used(&mut c) - before
    };
    let server = start_lodestone(&[]);
    let ours = load(server.port);
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let theirs = load(redis.port);
    assert!(
        ours <= theirs,
        "lists take {ours} bytes here, {theirs} in redis-server"
    );
}
