//! SORT and SORT_RO, differentially against redis-server in RESP2 and
//! RESP3: numeric and ALPHA sorting, ties, LIMIT arithmetic, BY (keys,
//! hash fields, constant patterns), GET (`#`, keys, hash fields, missing
//! ones), STORE, errors and keyspace events, over each collection type.
//!
//! Redis 7.0 (the oracle) has no listpack lists, so the encoding of a
//! stored list is checked against 7.2's behaviour in a Lodestone-only test.

mod common;

use common::{differential_script, keyevents, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn numeric_and_alpha_sort_of_lists() {
    differential_script(
        r#"
        RPUSH l 3 1 2 10 -5 1.5 0x10 " 7" inf -inf 1e2
        SORT l
        SORT l DESC
        SORT l ASC
        SORT l DESC ASC
        SORT l ALPHA
        SORT l ALPHA DESC
        SORT_RO l
        SORT_RO l ALPHA DESC
        # Equal weights are ordered by the elements' bytes.
        RPUSH ties 1.0 1 01 +1 1e0 0.5
        SORT ties
        SORT ties DESC
        # Weights that are not numbers.
        RPUSH bad 1 2 abc
        SORT bad
        SORT bad ALPHA
        RPUSH bad2 "1 " 2
        SORT bad2
        RPUSH bad3 nan 1
        SORT bad3
        RPUSH nul "3\x00x" 1 ""
        SORT nul
        SORT missing
        SORT missing ALPHA DESC LIMIT 0 1
        # Last: Redis never clears the ERANGE that strtod leaves in errno,
        # so every later numeric SORT of this redis-server would fail.
        RPUSH bad4 1e400 1
        SORT bad4
        "#,
    );
}

#[test]
fn limit() {
    differential_script(
        r#"
        RPUSH l 5 3 1 4 2
        SORT l LIMIT 0 2
        SORT l LIMIT 1 3
        SORT l LIMIT 3 10
        SORT l LIMIT -2 2
        SORT l LIMIT 5 1
        SORT l LIMIT 4 -1
        SORT l LIMIT 0 0
        SORT l LIMIT 9223372036854775807 9223372036854775807
        SORT l LIMIT -9223372036854775808 -9223372036854775808
        SORT l DESC LIMIT 1 2
        SORT l LIMIT 1 2 LIMIT 0 1
        SORT l LIMIT 1
        SORT l LIMIT a 1
        SORT l LIMIT 1 b
        SORT l LIMIT 1.5 1
        SORT missing LIMIT 0 1
        "#,
    );
}

#[test]
fn by_and_get_patterns() {
    differential_script(
        r#"
        RPUSH l 1 2 3 4
        MSET w_1 40 w_2 30 w_3 20 wa_1 b wa_2 a wa_4 c
        HSET h_1 f 3 g x
        HSET h_2 f 1
        HSET h_3 f 2 g y
        SET s_1 one
        SET s_3 three
        SORT l BY w_*
        SORT l BY w_* DESC
        SORT l BY h_*->f
        SORT l BY h_*->f GET # GET h_*->g GET s_*
        SORT l BY wa_* ALPHA
        SORT l BY wa_* ALPHA DESC
        SORT l BY h_*->g ALPHA
        SORT l BY missing_* GET #
        SORT l BY wa_*
        SORT l GET s_*
        SORT l GET # GET s_*
        SORT l GET s_* GET # GET nostar
        SORT l GET h_*->
        SORT l GET h_*->nofield
        SORT l GET s_*->f
        SORT l GET h_*
        SORT l GET *-> GET #x GET ##
        SORT l BY w_* LIMIT 1 2 GET s_*
        SORT l BY w_* GET h_*->f LIMIT 0 2 DESC
        SORT_RO l BY h_*->f GET h_*->g
        # BY with a pattern on both sides of the star, and a hash key whose
        # name itself contains "->".
        MSET pre_2_post 1 pre_1_post 2
        SORT l BY pre_*_post GET pre_*_post
        HSET "k->1" f z
        SORT l GET k->*->f
        SORT l GET "k->*"
        "#,
    );
}

#[test]
fn by_constant_keeps_the_list_order() {
    differential_script(
        r#"
        RPUSH l c a d b
        SORT l BY nosort
        SORT l BY nosort DESC
        SORT l BY nosort LIMIT 1 2
        SORT l BY nosort DESC LIMIT 1 2
        SORT l BY nosort LIMIT 3 5
        SORT l BY nosort LIMIT 4 1
        SORT l BY nosort DESC LIMIT 0 -1
        SORT l BY nosort GET # GET x_*
        SORT l BY nosort ALPHA
        SORT l BY "no\x00*sort"
        SET x_a 1
        SORT l BY nosort GET x_*
        SORT l BY nosort STORE d
        LRANGE d 0 -1
        SORT l BY nosort DESC LIMIT 1 2 STORE d
        LRANGE d 0 -1
        "#,
    );
}

#[test]
fn store() {
    differential_script(
        r#"
        RPUSH l 3 1 2
        SORT l STORE d
        LRANGE d 0 -1
        TYPE d
        SORT l DESC STORE d
        LRANGE d 0 -1
        SET w_1 x
        SORT l GET # GET w_* STORE d
        LRANGE d 0 -1
        SORT l LIMIT 0 1 STORE d
        LRANGE d 0 -1
        # An empty result deletes the destination.
        SORT l LIMIT 5 1 STORE d
        EXISTS d
        SORT missing STORE d
        SET other v
        SORT missing STORE other
        EXISTS other
        # STORE replaces any type and drops the TTL.
        SET str v EX 1000
        SORT l STORE str
        TTL str
        LRANGE str 0 -1
        HSET hh f v
        SORT l STORE hh
        TYPE hh
        # STORE into the sorted key itself.
        SORT l DESC STORE l
        LRANGE l 0 -1
        # ALPHA with STORE compares bytes, not by collation.
        RPUSH a B a C b
        SORT a ALPHA STORE d
        LRANGE d 0 -1
        SORT a ALPHA
        SORT_RO l STORE d
        SORT l STORE
        SORT l BY
        SORT l GET
        SORT l foo
        "#,
    );
}

#[test]
fn errors_and_types() {
    differential_script(
        r#"
        SET s v
        HSET h f v
        SORT s
        SORT h
        SORT_RO s ALPHA
        SORT s LIMIT a b
        SORT s foo
        SORT missing
        SORT missing BY w_* GET # STORE d
        EXISTS d
        RPUSH l 1 2
        SORT l BY w_* LIMIT 0 1 DESC ALPHA GET # GET # STORE d
        LRANGE d 0 -1
        "#,
    );
}

#[test]
fn sets() {
    differential_script(
        r#"
        SADD is 5 3 10 1 -2
        SORT is
        SORT is DESC LIMIT 1 2
        SORT is ALPHA
        # An intset iterates in ascending order on both servers.
        SORT is BY nosort
        SORT is BY nosort DESC LIMIT 0 2
        MSET w_5 1 w_3 2 w_10 3 w_1 4
        SORT is BY w_*
        SORT is BY w_* GET # GET w_*
        # Stored unsorted, a set is sorted ALPHA instead.
        SORT is BY nosort STORE d
        LRANGE d 0 -1
        SORT is BY nosort LIMIT 1 2 STORE d
        LRANGE d 0 -1
        SADD ss banana apple cherry 10 9
        SORT ss ALPHA
        SORT ss ALPHA DESC LIMIT 0 3
        SORT ss
        SORT ss BY nosort STORE d
        LRANGE d 0 -1
        HSET h_apple f 3
        HSET h_banana f 1
        HSET h_cherry f 2
        SORT ss BY h_*->f GET #
        SORT ss BY h_*->f DESC GET # GET h_*->f
        SORT_RO ss ALPHA GET h_*->f
        SORT is STORE d
        LRANGE d 0 -1
        "#,
    );
    // A big set (hashtable on both servers) sorted every way.
    let mut script = String::from("SADD big");
    for i in 0..300 {
        script.push_str(&format!(" m{i}"));
    }
    script.push_str(
        r#"
        SADD bigint 7 1000000 3 -4 99 12 13 14 15 16 17
        SORT big ALPHA
        SORT big ALPHA DESC LIMIT 10 20
        SORT big
        SORT big BY nosort STORE d
        LRANGE d 0 -1
        SORT bigint
        SORT bigint LIMIT 2 3 DESC
        "#,
    );
    differential_script(&script);
}

#[test]
fn listpack_set_unsorted_keeps_insertion_order() {
    // Redis 7.2 keeps a small set of strings as a listpack, in insertion
    // order (7.0 uses a table, so this is not compared with the oracle).
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SADD", "s", "c", "a", "b"]);
    let bulks = |v: &[&str]| {
        Frame::Array(
            v.iter()
                .map(|s| Frame::Bulk(s.as_bytes().to_vec()))
                .collect(),
        )
    };
    assert_eq!(
        c.cmd(&["SORT", "s", "BY", "nosort"]),
        bulks(&["c", "a", "b"])
    );
    assert_eq!(
        c.cmd(&["SORT", "s", "BY", "nosort", "LIMIT", "1", "5"]),
        bulks(&["a", "b"])
    );
}

#[test]
fn sorted_sets() {
    differential_script(
        r#"
        ZADD z 3 c 1 a 2 b 5 e 4 d
        OBJECT ENCODING z
        SORT z ALPHA
        SORT z ALPHA DESC
        SORT z
        # BY a constant keeps the score order, reversed by DESC, with LIMIT.
        SORT z BY nosort
        SORT z BY nosort DESC
        SORT z BY nosort LIMIT 1 2
        SORT z BY nosort DESC LIMIT 1 2
        SORT z BY nosort LIMIT 4 10
        SORT z BY nosort DESC LIMIT 5 1
        SORT z BY nosort LIMIT -1 -1
        SORT z BY nosort GET # GET w_*
        # SORT converts a listpack sorted set to its big encoding.
        OBJECT ENCODING z
        ZADD z2 1 x
        SORT_RO z2 ALPHA
        OBJECT ENCODING z2
        ZADD n 1 30 2 10 3 20
        SORT n
        SORT n DESC LIMIT 0 2
        SORT n BY nosort
        SORT n BY nosort STORE d
        LRANGE d 0 -1
        MSET w_10 3 w_20 2 w_30 1
        SORT n BY w_* GET # GET w_*
        SORT n BY w_* STORE d
        LRANGE d 0 -1
        ZADD bad 1 a 2 1
        SORT bad
        "#,
    );
    let mut script = String::from("ZADD big");
    for i in 0..300 {
        script.push_str(&format!(" {} m{i}", (i * 37) % 101));
    }
    script.push_str(
        r#"
        OBJECT ENCODING big
        SORT big ALPHA LIMIT 0 20
        SORT big BY nosort
        SORT big BY nosort DESC LIMIT 100 10
        SORT big BY nosort LIMIT 290 20
        "#,
    );
    differential_script(&script);
}

#[test]
fn stored_list_encoding_follows_redis_7_2() {
    // Redis 7.2 stores a small sorted list as a listpack (7.0 has no
    // listpack lists, so this is not compared with the oracle).
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["RPUSH", "l", "3", "1", "2"]);
    assert_eq!(c.cmd(&["SORT", "l", "STORE", "d"]), Frame::Integer(3));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "d"]),
        Frame::Bulk(b"listpack".to_vec())
    );
    let mut args = vec!["RPUSH", "big"];
    let items: Vec<String> = (0..1000).map(|i| format!("element-{i:05}")).collect();
    args.extend(items.iter().map(String::as_str));
    c.cmd(&args);
    assert_eq!(
        c.cmd(&["SORT", "big", "ALPHA", "STORE", "d"]),
        Frame::Integer(1000)
    );
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "d"]),
        Frame::Bulk(b"quicklist".to_vec())
    );
}

#[test]
fn keyspace_events_match_redis() {
    let commands: &[&[&str]] = &[
        &["RPUSH", "l", "2", "1"],
        &["SORT", "l", "BY", "w_*", "GET", "g_*"],
        &["SORT", "l", "STORE", "d"],
        &["SORT", "l", "LIMIT", "9", "1", "STORE", "d"],
        &["SORT", "l", "LIMIT", "9", "1", "STORE", "d"],
        &["SORT", "nokey", "STORE", "d"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEAm", commands);
    assert!(ours.contains(&("sortstore".into(), "d".into())));
    assert!(ours.contains(&("keymiss".into(), "w_1".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEAm", commands));
}
