//! Generic key commands, differentially against redis-server in RESP2 and
//! RESP3: DEL/UNLINK/EXISTS/TYPE, RENAME/RENAMENX, MOVE/COPY, KEYS (order
//! insensitive), SCAN (union over a full iteration), RANDOMKEY (membership),
//! TOUCH, the EXPIRE and TTL families with every condition, PERSIST, and
//! the database commands DBSIZE/FLUSHDB/FLUSHALL/SWAPDB/SELECT.
//!
//! Script syntax (see `common::parse_script_line`): `~` compares integers
//! with a tolerance, `!` compares elements in any order, `%` compares the
//! keys of a whole SCAN iteration.

mod common;

use common::{differential_script, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn del_exists_type_touch() {
    differential_script(
        r#"
        MSET a 1 b 2 c 3
        EXISTS a
        EXISTS a a b missing
        TYPE a
        TYPE missing
        TOUCH a b missing
        TOUCH missing
        DEL a missing a
        EXISTS a
        UNLINK b c missing
        UNLINK b
        DEL
        EXISTS
        TYPE
        TYPE a b
        TOUCH
        SET t v PX 1
        @sleep 20
        EXISTS t
        TYPE t
        "#,
    );
}

#[test]
fn rename_and_renamenx() {
    differential_script(
        r#"
        RENAME missing x
        RENAMENX missing x
        SET a 1
        RENAME a a
        RENAMENX a a
        RENAME a b
        GET a
        GET b
        SET c 3
        RENAME b c
        GET c
        SET d 4
        RENAMENX c d
        RENAMENX c e
        GET e
        SET t v EX 100
        RENAME t t2
        ~TTL t2
        EXISTS t
        SET x y
        RENAME t2 x
        ~TTL x
        SET p 1
        RENAME x p
        ~TTL p
        RENAME a
        RENAMENX a b c
        "#,
    );
}

#[test]
fn move_and_copy() {
    differential_script(
        r#"
        SET k v
        MOVE k 1
        EXISTS k
        SELECT 1
        GET k
        MOVE k 1
        MOVE k 0
        SELECT 0
        GET k
        MOVE missing 1
        MOVE k 16
        MOVE k -1
        MOVE k abc
        MOVE k 2147483648
        MOVE k 1.5
        SET e v EX 100
        MOVE e 3
        SELECT 3
        ~TTL e
        SELECT 0
        SET k other
        SELECT 2
        SET k taken
        SELECT 0
        MOVE k 2
        GET k
        # COPY
        SET src hello
        COPY src dst
        GET dst
        COPY src dst
        COPY src dst REPLACE
        COPY src src
        COPY src src DB 0
        COPY src src DB 1
        SELECT 1
        GET src
        SELECT 0
        COPY missing dst
        COPY src dst2 DB 5 REPLACE
        SELECT 5
        GET dst2
        SELECT 0
        COPY src dst DB
        COPY src dst DB 16
        COPY src dst DB -1
        COPY src dst DB abc
        COPY src dst REPLACE REPLACE
        COPY src dst badopt
        SET te v EX 100
        COPY te te2
        ~TTL te2
        SET n 12
        COPY n n2
        INCR n2
        GET n
        COPY src
        MOVE src
        "#,
    );
}

#[test]
fn keys_patterns() {
    differential_script(
        r#"
        MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 "h*llo" 6 "h?llo" 7 a 8 b 9 "[x]" 10 "a\\b" 11
        !KEYS *
        !KEYS h?llo
        !KEYS h*llo
        !KEYS h[ae]llo
        !KEYS h[^e]llo
        !KEYS h[a-b]llo
        !KEYS h[b-a]llo
        !KEYS "h\\*llo"
        !KEYS "h\\?llo"
        !KEYS [a
        !KEYS [
        !KEYS "\\[x]"
        !KEYS "a\\\\b"
        !KEYS ?
        !KEYS ""
        !KEYS nomatch*
        !KEYS **llo
        !KEYS h[
        !KEYS *[
        KEYS
        KEYS a b
        SET t v PX 1
        @sleep 20
        !KEYS t*
        SELECT 1
        !KEYS *
        "#,
    );
}

#[test]
fn scan_iteration_and_errors() {
    differential_script(
        r#"
        %SCAN 0
        MSET k1 1 k2 2 k3 3 k4 4 k5 5 k6 6 k7 7 k8 8 k9 9 k10 10 other 11 x1 12
        %SCAN 0
        %SCAN 0 COUNT 1
        %SCAN 0 COUNT 3
        %SCAN 0 COUNT 1000
        %SCAN 0 COUNT 9223372036854775807
        HSET h f1 v1 f2 v2
        SADD s 3 1 2
        ZADD z 1 a 2 b
        HSCAN h 0 COUNT 9223372036854775807
        SSCAN s 0 COUNT 9223372036854775807
        ZSCAN z 0 COUNT 9223372036854775807
        HSCAN h 0 TYPE string
        SSCAN s 0 TYPE string
        ZSCAN z 0 TYPE string
        DEL h s z
        %SCAN 0 MATCH k*
        %SCAN 0 MATCH k1*
        %SCAN 0 MATCH x? COUNT 2
        %SCAN 0 MATCH nothing*
        %SCAN 0 TYPE string
        %SCAN 0 TYPE STRING
        %SCAN 0 TYPE list
        %SCAN 0 TYPE nosuchtype
        %SCAN 0 MATCH k* TYPE string COUNT 2
        %SCAN 0 match k* count 2 type string
        %SCAN 0 COUNT 5 COUNT 2
        SCAN abc
        SCAN 1x
        SCAN " 1"
        SCAN 18446744073709551616
        SCAN 0 COUNT 0
        SCAN 0 COUNT -1
        SCAN 0 COUNT abc
        SCAN 0 COUNT
        SCAN 0 MATCH
        SCAN 0 TYPE
        SCAN 0 badopt x
        SCAN 0 MATCH k* badopt
        SCAN
        SELECT 1
        %SCAN 0
        "#,
    );
}

#[test]
fn expire_family_conditions() {
    differential_script(
        r#"
        EXPIRE missing 100
        PEXPIRE missing 100
        EXPIREAT missing 4102444800
        PEXPIREAT missing 4102444800000
        SET k v
        TTL k
        PTTL k
        EXPIRETIME k
        PEXPIRETIME k
        TTL missing
        PTTL missing
        EXPIRETIME missing
        PEXPIRETIME missing
        EXPIRE k 100
        ~TTL k
        ~PTTL k
        ~EXPIRETIME k
        PEXPIRE k 200000
        ~PTTL k
        EXPIREAT k 4102444800
        EXPIRETIME k
        PEXPIRETIME k
        PEXPIREAT k 4102444800123
        PEXPIRETIME k
        EXPIRETIME k
        # NX / XX / GT / LT
        SET c v
        EXPIRE c 100 XX
        EXPIRE c 100 GT
        TTL c
        EXPIRE c 100 LT
        ~TTL c
        EXPIRE c 200 NX
        ~TTL c
        EXPIRE c 200 XX
        ~TTL c
        EXPIRE c 100 GT
        EXPIRE c 300 GT
        ~TTL c
        EXPIRE c 400 LT
        EXPIRE c 50 LT
        ~TTL c
        EXPIRE c 60 xx gt
        ~TTL c
        EXPIRE c 10 XX LT
        ~TTL c
        PEXPIRE c 5000000 gt
        ~PTTL c
        EXPIREAT c 4102444800 NX
        EXPIREAT c 4102444800 LT
        EXPIREAT c 4102444800 GT
        EXPIRETIME c
        PEXPIREAT c 4102444800000 GT
        PEXPIREAT c 4102444799999 LT
        PEXPIRETIME c
        # Invalid combinations and options
        EXPIRE c 100 NX XX
        EXPIRE c 100 NX GT
        EXPIRE c 100 NX LT
        EXPIRE c 100 GT LT
        EXPIRE c 100 XX NX
        EXPIRE c 100 LT GT
        EXPIRE c 100 badopt
        EXPIRE c 100 NX badopt
        EXPIRE c 100 NX NX
        PEXPIRE c 100 GT LT
        EXPIREAT c 100 NX XX
        PEXPIREAT c 100 foo
        EXPIRE missing 100 NX XX
        EXPIRE missing 100 foo
        # Bad and extreme times
        EXPIRE c abc
        EXPIRE c 1.5
        EXPIRE c ""
        EXPIRE c 9223372036854775807
        EXPIRE c -9223372036854775808
        EXPIRE c 9223372036854775
        PEXPIRE c 9223372036854775807
        EXPIREAT c 9223372036854775807
        PEXPIREAT c 9223372036854775807
        PEXPIRETIME c
        EXPIRE missing abc
        EXPIRE missing 9223372036854775807
        # Non-positive and past times delete the key
        SET d1 v
        EXPIRE d1 0
        EXISTS d1
        SET d2 v
        EXPIRE d2 -10
        EXISTS d2
        SET d3 v
        PEXPIREAT d3 1
        EXISTS d3
        SET d4 v
        EXPIREAT d4 100 NX
        EXISTS d4
        SET d5 v EX 100
        EXPIRE d5 -1 GT
        EXISTS d5
        EXPIRE d5 -1 LT
        EXISTS d5
        EXPIRE
        EXPIRE c
        TTL
        PTTL a b
        "#,
    );
}

#[test]
fn persist_and_expiry_side_effects() {
    differential_script(
        r#"
        PERSIST missing
        SET k v
        PERSIST k
        EXPIRE k 100
        PERSIST k
        TTL k
        PERSIST k
        SET k v EX 100
        SET k w
        TTL k
        SET k v EX 100
        APPEND k x
        ~TTL k
        INCR n
        EXPIRE n 100
        INCR n
        ~TTL n
        SET k v EX 100
        GETSET k w
        TTL k
        SET k v EX 100
        DEL k
        TTL k
        SET k v EX 100
        SETRANGE k 0 x
        ~TTL k
        PERSIST
        PERSIST a b
        "#,
    );
}

#[test]
fn database_commands() {
    differential_script(
        r#"
        DBSIZE
        MSET a 1 b 2 c 3
        DBSIZE
        SELECT 1
        DBSIZE
        SET x 1
        SELECT 0
        SWAPDB 0 1
        DBSIZE
        !KEYS *
        SELECT 1
        DBSIZE
        !KEYS *
        SELECT 0
        SWAPDB 0 0
        SWAPDB 1 0
        DBSIZE
        SWAPDB 0 16
        SWAPDB -1 0
        SWAPDB 0 -1
        SWAPDB abc 0
        SWAPDB 0 abc
        SWAPDB 2147483648 0
        SWAPDB 0 2147483648
        SWAPDB 1.5 0
        SWAPDB 0
        SELECT 16
        SELECT -1
        SELECT abc
        SELECT 2147483648
        SELECT 1.5
        SELECT ""
        SELECT
        SELECT 0 1
        FLUSHDB
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHDB SYNC
        FLUSHDB ASYNC
        FLUSHDB async
        FLUSHDB badopt
        FLUSHDB SYNC ASYNC
        SET k v
        SELECT 2
        SET k v
        FLUSHALL
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHALL SYNC
        FLUSHALL ASYNC
        FLUSHALL badopt
        FLUSHALL SYNC extra
        DBSIZE extra
        "#,
    );
}

#[test]
fn randomkey_returns_a_member() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let ours = start_lodestone(&[]);
    let mut conns = [Conn::connect(ours.port), Conn::connect(redis.port)];
    for c in &mut conns {
        assert_eq!(c.cmd(&["RANDOMKEY"]), Frame::Null);
        assert_eq!(c.cmd_raw(&["SET", "only", "1"]), b"+OK\r\n");
        assert_eq!(c.cmd_raw(&["RANDOMKEY"]), b"$4\r\nonly\r\n");
        for i in 0..50 {
            c.cmd(&["SET", &format!("key:{i}"), "v"]);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            match c.cmd(&["RANDOMKEY"]) {
                Frame::Bulk(k) => {
                    let k = String::from_utf8(k).expect("utf-8 key");
                    assert!(k == "only" || k.starts_with("key:"), "{k} is not a key");
                    seen.insert(k);
                }
                other => panic!("RANDOMKEY replied {other:?}"),
            }
        }
        assert!(seen.len() > 5, "RANDOMKEY returned only {seen:?}");
        assert_eq!(
            c.cmd_raw(&["RANDOMKEY", "extra"]),
            b"-ERR wrong number of arguments for 'randomkey' command\r\n"
        );
    }
}

#[test]
fn generic_commands_on_other_types() {
    differential_script(
        r#"
        HSET h f v
        SET s v
        TYPE h
        EXISTS h s
        !KEYS *
        %SCAN 0 TYPE hash
        %SCAN 0 TYPE string
        RENAME h h2
        TYPE h2
        COPY h2 h3
        TYPE h3
        MOVE h3 1
        EXPIRE h2 100
        ~TTL h2
        PERSIST h2
        DEL h2 s
        DBSIZE
        "#,
    );
}
