//! Sorted set commands: differentially against redis-server in RESP2 and
//! RESP3 (every command and option, errors, WRONGTYPE, both encodings and
//! the conversions OBJECT ENCODING reports, ZSCAN iterations, keyspace
//! events), and Lodestone-only checks of what Redis 7.2 does differently
//! from the 7.0 oracle (shortest double formatting, ZRANK WITHSCORE, `-0`
//! in listpacks, encoding sizing at creation) or what is random
//! (ZRANDMEMBER). Blocking pops are in `zset_blocking.rs`.
//!
//! Scores in differential scripts are chosen to print the same way in
//! Redis 7.0 (`%.17g`) and 7.2 (shortest round-trip): integers, halves,
//! quarters, infinities.
//!
//! Every script runs twice: with the default limits (small sorted sets are
//! listpacks) and with `zset-max-listpack-entries 1` (nearly everything is
//! a skiplist), so both encodings answer the same questions.

mod common;

use common::{assert_script, differential_script, keyevents, start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;
use std::collections::{HashMap, HashSet};

/// Runs `script` differentially with listpacks, then with skiplists.
fn both_encodings(script: &str) {
    differential_script(script);
    differential_script(&format!("CONFIG SET zset-max-listpack-entries 1\n{script}"));
}

#[test]
fn add_and_point_reads() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b 3 c
        ZADD z 10 a 2.5 d
        ZCARD z
        ZCARD nokey
        ZSCORE z a
        ZSCORE z d
        ZSCORE z missing
        ZSCORE nokey a
        ZMSCORE z a b missing d
        ZMSCORE nokey a b
        ZRANK z a
        ZRANK z b
        ZRANK z missing
        ZRANK nokey a
        ZREVRANK z a
        ZREVRANK z d
        ZREVRANK nokey a
        ZRANGE z 0 -1 WITHSCORES
        ZINCRBY z 5 b
        ZINCRBY z -0.25 c
        ZINCRBY z 1 newmember
        ZINCRBY newkey 2.5 m
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE newkey 0 -1 WITHSCORES
        ZINCRBY z notafloat a
        ZINCRBY z inf a
        ZINCRBY z -inf a
        ZSCORE z a
        # Integer-looking members are stored compactly but read back as written.
        ZADD ints 1 12 2 -5 3 007 4 9223372036854775807 5 -9223372036854775808 6 ""
        ZRANGE ints 0 -1 WITHSCORES
        ZSCORE ints 007
        ZSCORE ints 12
        ZRANK ints -5
        ZADD "bin\x00" 1 "m\x00\xff" 2 "\r\n"
        ZRANGE "bin\x00" 0 -1 WITHSCORES
        ZSCORE "bin\x00" "m\x00\xff"
        TYPE z
        OBJECT ENCODING ints
        "#,
    );
}

#[test]
fn zadd_options_and_errors() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b
        ZADD z NX 5 a 3 c
        ZADD z XX 6 a 4 d
        ZADD z XX CH 7 a 4 d
        ZADD z CH 7 a 8 b 9 e
        ZADD z GT 1 a 100 b
        ZADD z GT CH 1 a 101 b 5 newgt
        ZADD z LT CH 1 a 200 b 0 newlt
        ZADD z XX GT 300 b 1 nope
        ZADD z XX LT CH 0 b
        ZADD z INCR 2 a
        ZADD z INCR NX 2 a
        ZADD z INCR XX 2 nothere
        ZADD z INCR GT -10 a
        ZADD z INCR LT -10 a
        ZADD z INCR XX 1 a
        ZADD z ch incr 1 a
        ZRANGE z 0 -1 WITHSCORES
        ZADD z NX XX 1 a
        ZADD z GT LT 1 a
        ZADD z NX GT 1 a
        ZADD z NX LT 1 a
        ZADD z INCR 1 a 2 b
        ZADD z 1
        ZADD z 1 a 2
        ZADD z NX
        ZADD z nx
        ZADD z abc a
        ZADD z 1 a x b
        ZADD z nan a
        ZADD z " 1" a
        ZADD z "1 " a
        ZADD z "" a
        ZADD z 1e400 a
        ZADD z 1e-400 a
        ZADD z 0x10 hex
        ZADD z +inf pinf -inf ninf 1E3 exp 2.5e-1 quarter
        ZADD z inf inf2 +Infinity inf3
        ZSCORE z hex
        ZSCORE z exp
        ZRANGE z 0 -1 WITHSCORES
        ZADD z INCR -inf pinf
        ZADD z INCR inf ninf
        ZSCORE z pinf
        ZADD nokey XX 1 a
        ZADD nokey XX INCR 1 a
        EXISTS nokey
        ZINCRBY z nx a
        ZINCRBY z 1 a extra
        "#,
    );
}

#[test]
fn arity_and_wrong_type_errors() {
    both_encodings(
        r#"
        SET s v
        ZADD s 1 a
        ZINCRBY s 1 a
        ZREM s a
        ZCARD s
        ZSCORE s a
        ZMSCORE s a
        ZRANK s a
        ZREVRANK s a
        ZCOUNT s 0 1
        ZLEXCOUNT s - +
        ZRANGE s 0 1
        ZRANGEBYSCORE s 0 1
        ZRANGEBYLEX s - +
        ZREVRANGE s 0 1
        ZREMRANGEBYRANK s 0 1
        ZREMRANGEBYSCORE s 0 1
        ZREMRANGEBYLEX s - +
        ZPOPMIN s
        ZPOPMAX s 2
        ZMPOP 1 s MIN
        ZRANDMEMBER s
        ZRANDMEMBER s 2
        ZSCAN s 0
        ZUNION 1 s
        ZINTERSTORE d 1 s
        ZRANGESTORE d s 0 -1
        ZADD
        ZADD k
        ZCARD
        ZSCORE k
        ZRANK k
        ZRANK k a b c
        ZREVRANK k a b c d
        ZRANGE k 0
        ZPOPMIN
        ZPOPMIN k 1 2
        ZMSCORE k
        ZRANDMEMBER
        ZRANDMEMBER k 1 WITHSCORES extra
        ZREM k
        ZUNION
        ZINTERCARD
        "#,
    );
}

#[test]
fn range_by_rank() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e
        ZRANGE z 0 -1
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE z 1 3
        ZRANGE z -2 -1 WITHSCORES
        ZRANGE z -100 100
        ZRANGE z 3 1
        ZRANGE z 5 10
        ZRANGE z -1 -3
        ZRANGE z 0 0 REV
        ZRANGE z 0 -1 REV WITHSCORES
        ZRANGE z 1 2 rev withscores
        ZREVRANGE z 0 -1
        ZREVRANGE z 0 1 WITHSCORES
        ZREVRANGE z -1 -1
        ZRANGE nokey 0 -1
        ZREVRANGE nokey 0 -1 WITHSCORES
        ZRANGE z a b
        ZRANGE z 0 1 LIMIT 0 1
        ZRANGE z 0 1 LIMIT 0 -1
        ZRANGE z 0 1 LIMIT 5 -1 WITHSCORES
        ZRANGE z 0 1 foo
        ZRANGE z 0 1 REV REV
        ZREVRANGE z 0 1 REV
        ZREVRANGE z 0 1 BYSCORE
        ZRANGE z 0 1 LIMIT 0
        ZRANGE z 0 1 LIMIT x 1
        ZRANGE z 0 1 WITHSCORES WITHSCORES
        "#,
    );
}

#[test]
fn range_by_score() {
    both_encodings(
        r#"
        ZADD z -inf ninf 1 a 2 b 2 bb 3 c 4.5 d 10 e +inf pinf
        ZRANGEBYSCORE z -inf +inf
        ZRANGEBYSCORE z -inf +inf WITHSCORES
        ZRANGEBYSCORE z 2 3
        ZRANGEBYSCORE z (2 3
        ZRANGEBYSCORE z 2 (3
        ZRANGEBYSCORE z (2 (3
        ZRANGEBYSCORE z (1 (1
        ZRANGEBYSCORE z 1 1
        ZRANGEBYSCORE z 3 2
        ZRANGEBYSCORE z (-inf (+inf
        ZRANGEBYSCORE z 100 200
        ZRANGEBYSCORE z -200 -100
        ZRANGEBYSCORE z -inf +inf LIMIT 2 3
        ZRANGEBYSCORE z -inf +inf LIMIT 2 -1
        ZRANGEBYSCORE z -inf +inf LIMIT 2 0
        ZRANGEBYSCORE z -inf +inf LIMIT -1 5
        ZRANGEBYSCORE z -inf +inf LIMIT 100 5
        ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 2
        ZRANGEBYSCORE z -inf +inf LIMIT 1 2 WITHSCORES
        ZREVRANGEBYSCORE z +inf -inf
        ZREVRANGEBYSCORE z 3 2 WITHSCORES
        ZREVRANGEBYSCORE z (3 (1
        ZREVRANGEBYSCORE z 2 3
        ZREVRANGEBYSCORE z +inf -inf LIMIT 1 3
        ZREVRANGEBYSCORE z +inf -inf LIMIT 7 3
        ZREVRANGEBYSCORE z +inf -inf LIMIT 8 3
        ZRANGE z 2 3 BYSCORE
        ZRANGE z (1 +inf BYSCORE LIMIT 1 2 WITHSCORES
        ZRANGE z 3 2 BYSCORE REV
        ZRANGE z +inf -inf BYSCORE REV LIMIT 0 2
        ZRANGE z 2 3 BYSCORE BYLEX
        ZRANGEBYSCORE nokey 0 1
        ZRANGEBYSCORE z a 1
        ZRANGEBYSCORE z 1 b
        ZRANGEBYSCORE z ((1 2
        ZRANGEBYSCORE z nan 2
        ZRANGEBYSCORE z " 1" 2
        ZRANGEBYSCORE z "" 2
        ZRANGEBYSCORE z ( 2
        ZRANGEBYSCORE z 1e400 +inf
        ZRANGEBYSCORE z 0x1 0x3
        ZRANGEBYSCORE z 0 1 LIMIT 0
        ZRANGEBYSCORE z 0 1 REV
        ZRANGEBYSCORE z 0 1 BYSCORE
        ZCOUNT z -inf +inf
        ZCOUNT z (2 3
        ZCOUNT z 2 2
        ZCOUNT z 5 1
        ZCOUNT z (1 (1
        ZCOUNT nokey 0 1
        ZCOUNT z a 1
        "#,
    );
}

#[test]
fn range_by_lex() {
    both_encodings(
        r#"
        ZADD z 0 a 0 b 0 c 0 d 0 e 0 f 0 ab 0 ""
        ZRANGEBYLEX z - +
        ZRANGEBYLEX z [b [d
        ZRANGEBYLEX z (b (d
        ZRANGEBYLEX z [a (b
        ZRANGEBYLEX z - (c
        ZRANGEBYLEX z [c +
        ZRANGEBYLEX z [d [b
        ZRANGEBYLEX z (a (a
        ZRANGEBYLEX z [a [a
        ZRANGEBYLEX z + -
        ZRANGEBYLEX z - -
        ZRANGEBYLEX z + +
        ZRANGEBYLEX z [ (b
        ZRANGEBYLEX z - + LIMIT 2 3
        ZRANGEBYLEX z - + LIMIT 2 -1
        ZRANGEBYLEX z - + LIMIT -1 2
        ZRANGEBYLEX z - + LIMIT 20 2
        ZREVRANGEBYLEX z + -
        ZREVRANGEBYLEX z [d [b
        ZREVRANGEBYLEX z (d - LIMIT 1 2
        ZREVRANGEBYLEX z - +
        ZRANGE z [b [d BYLEX
        ZRANGE z [d [b BYLEX REV
        ZRANGE z + - BYLEX REV LIMIT 1 3
        ZRANGE z - + BYLEX WITHSCORES
        ZRANGEBYLEX z - + WITHSCORES
        ZRANGEBYLEX z a +
        ZRANGEBYLEX z - z
        ZRANGEBYLEX z -x +
        ZRANGEBYLEX z - +x
        ZRANGEBYLEX z "" +
        ZRANGEBYLEX nokey - +
        ZLEXCOUNT z - +
        ZLEXCOUNT z [b (e
        ZLEXCOUNT z (e [b
        ZLEXCOUNT nokey - +
        ZLEXCOUNT z a b
        ZREMRANGEBYLEX z [b (d
        ZRANGE z 0 -1
        ZREMRANGEBYLEX z x y
        ZREMRANGEBYLEX z - +
        EXISTS z
        "#,
    );
}

#[test]
fn removals_delete_emptied_keys() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
        ZREM z a missing
        ZREM z missing
        ZREM nokey a
        ZREMRANGEBYRANK z 0 0
        ZREMRANGEBYRANK z -1 -1
        ZREMRANGEBYRANK z 5 10
        ZREMRANGEBYRANK z 2 1
        ZREMRANGEBYRANK z a 1
        ZREMRANGEBYRANK nokey 0 -1
        ZRANGE z 0 -1 WITHSCORES
        ZREMRANGEBYSCORE z (3 4
        ZREMRANGEBYSCORE z 100 200
        ZREMRANGEBYSCORE z x 1
        ZREMRANGEBYSCORE nokey 0 1
        ZRANGE z 0 -1 WITHSCORES
        ZREM z c e e
        EXISTS z
        ZADD z2 1 a 2 b
        ZREMRANGEBYRANK z2 0 -1
        EXISTS z2
        ZADD z3 1 a 2 b
        ZREMRANGEBYSCORE z3 -inf +inf
        EXISTS z3
        "#,
    );
}

#[test]
fn pops() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e
        ZPOPMIN z
        ZPOPMAX z
        ZPOPMIN z 2
        ZPOPMAX z 0
        ZPOPMIN z 10
        EXISTS z
        ZPOPMIN z
        ZPOPMIN z 3
        ZPOPMAX nokey 0
        ZPOPMIN z -1
        ZPOPMIN z x
        ZADD z 1 a 2 b 3 c
        ZMPOP 1 z MIN
        ZMPOP 2 nokey z MAX COUNT 5
        ZMPOP 1 z MIN
        ZMPOP 2 nokey z MAX
        ZADD z 1 a 2 b 3 c
        ZMPOP 1 z min count 2
        ZMPOP 0 z MIN
        ZMPOP -1 z MIN
        ZMPOP x z MIN
        ZMPOP 2 z MIN
        ZMPOP 1 z MIDDLE
        ZMPOP 1 z MIN COUNT 0
        ZMPOP 1 z MIN COUNT -1
        ZMPOP 1 z MIN COUNT x
        ZMPOP 1 z MIN COUNT 1 COUNT 1
        ZMPOP 1 z MIN COUNT
        ZMPOP 1 z MIN extra
        ZMPOP 10 z MIN
        SET s v
        ZMPOP 2 s z MIN
        ZMPOP 2 z s MIN
        ZADD z 1 a 2 b 3 c 4 d
        BZPOPMIN z 0
        BZPOPMAX nokey z 0
        BZPOPMAX s 0
        BZPOPMIN z -1
        BZPOPMIN z abc
        BZMPOP 0 1 z MAX
        BZMPOP 0.5 2 nokey z MIN COUNT 10
        BZMPOP -1 1 z MAX
        BZMPOP 0 0 z MAX
        "#,
    );
}

#[test]
fn blocking_pops_inside_multi_do_not_block() {
    differential_script(
        r#"
        MULTI
        BZPOPMIN nokey 0
        BZPOPMAX nokey 0
        BZMPOP 0 1 nokey MIN
        ZADD z 1 a 2 b
        BZPOPMAX z 0
        BZMPOP 0 1 z MIN COUNT 5
        EXEC
        "#,
    );
}

#[test]
fn store_commands() {
    both_encodings(
        r#"
        ZADD a 1 x 2 y 3 z
        ZADD b 4 y 5 z 6 w
        ZRANGESTORE dst a 0 -1
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst a 1 2 REV
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst b (4 +inf BYSCORE LIMIT 0 1
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst b +inf -inf BYSCORE REV
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst a [y + BYLEX
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst a 5 10
        EXISTS dst
        ZRANGESTORE dst nokey 0 -1
        ZRANGESTORE dst a 0 -1 WITHSCORES
        ZRANGESTORE a a 0 0
        ZRANGE a 0 -1 WITHSCORES
        ZADD a 2 y 3 z
        SET str v
        ZRANGESTORE str a 0 -1
        TYPE str
        ZRANGESTORE dst str 0 -1
        ZUNIONSTORE u 2 a b
        ZRANGE u 0 -1 WITHSCORES
        ZUNIONSTORE u 2 a b WEIGHTS 2 0.5
        ZRANGE u 0 -1 WITHSCORES
        ZUNIONSTORE u 2 a b AGGREGATE MIN
        ZRANGE u 0 -1 WITHSCORES
        ZUNIONSTORE u 2 a b AGGREGATE max WEIGHTS 1 -1
        ZRANGE u 0 -1 WITHSCORES
        ZUNIONSTORE u 3 a b nokey
        ZRANGE u 0 -1 WITHSCORES
        ZINTERSTORE i 2 a b
        ZRANGE i 0 -1 WITHSCORES
        ZINTERSTORE i 2 a b WEIGHTS 1 2 AGGREGATE MAX
        ZRANGE i 0 -1 WITHSCORES
        ZINTERSTORE i 2 a a
        ZRANGE i 0 -1 WITHSCORES
        ZINTERSTORE i 2 a nokey
        EXISTS i
        ZDIFFSTORE d 2 b a
        ZRANGE d 0 -1 WITHSCORES
        ZDIFFSTORE d 2 a a
        EXISTS d
        ZDIFFSTORE d 1 a
        ZRANGE d 0 -1 WITHSCORES
        ZDIFFSTORE d 1 nokey
        ZUNIONSTORE str 1 a
        TYPE str
        ZUNIONSTORE u 0 a
        ZUNIONSTORE u -1 a
        ZUNIONSTORE u x a
        ZUNIONSTORE u 3 a b
        ZUNIONSTORE u 2 a b WEIGHTS 1
        ZUNIONSTORE u 2 a b WEIGHTS 1 x
        ZUNIONSTORE u 2 a b AGGREGATE avg
        ZUNIONSTORE u 2 a b AGGREGATE
        ZUNIONSTORE u 2 a b WITHSCORES
        ZUNIONSTORE u 2 a str
        ZDIFFSTORE u 2 a b WEIGHTS 1 1
        ZDIFFSTORE u 2 a b AGGREGATE SUM
        ZINTERSTORE u 2 a b LIMIT 1
        "#,
    );
}

#[test]
fn set_algebra_replies() {
    both_encodings(
        r#"
        ZADD a 1 x 2 y 3 z
        ZADD b 4 y 5 z 6 w
        ZADD c 1 y 1 v
        ZUNION 2 a b
        ZUNION 2 a b WITHSCORES
        ZUNION 3 a b c WEIGHTS 1 2 3 WITHSCORES
        ZUNION 3 a b c AGGREGATE MIN WITHSCORES
        ZUNION 2 a nokey WITHSCORES
        ZUNION 1 nokey
        ZINTER 2 a b WITHSCORES
        ZINTER 3 a b c WITHSCORES
        ZINTER 2 a b AGGREGATE MAX WEIGHTS 0.5 0.25 WITHSCORES
        ZINTER 2 a nokey
        ZDIFF 2 a b
        ZDIFF 2 b a WITHSCORES
        ZDIFF 3 b a c WITHSCORES
        ZDIFF 2 a nokey WITHSCORES
        ZDIFF 1 nokey
        ZINTERCARD 2 a b
        ZINTERCARD 3 a b c
        ZINTERCARD 2 a b LIMIT 1
        ZINTERCARD 2 a b LIMIT 0
        ZINTERCARD 2 a b LIMIT 100
        ZINTERCARD 2 a nokey
        ZINTERCARD 2 a b LIMIT -1
        ZINTERCARD 2 a b LIMIT x
        ZINTERCARD 2 a b WITHSCORES
        ZINTERCARD 0 a
        ZINTERCARD 3 a b
        ZDIFF 2 a b WEIGHTS 1 2
        ZUNION 2 a b WITHSCORES WITHSCORES
        ZINTER 2 a b WEIGHTS 1 2 WEIGHTS 3 4 WITHSCORES
        # inf + -inf sums to 0, inf * 0 is NaN and counts as 0.
        ZADD pinf inf m
        ZADD ninf -inf m
        ZUNION 2 pinf ninf WITHSCORES
        ZINTER 2 pinf ninf WITHSCORES
        ZUNION 1 pinf WEIGHTS 0 WITHSCORES
        ZINTER 2 pinf pinf WEIGHTS 0 1 WITHSCORES
        ZINTER 2 pinf ninf AGGREGATE MIN WITHSCORES
        ZUNION 2 pinf ninf AGGREGATE MAX WITHSCORES
        "#,
    );
}

/// Plain sets take part in the set algebra with every member scoring 1
/// (intset, listpack and hashtable sets alike).
#[test]
fn sets_as_inputs() {
    let mut script = String::from(
        r#"
        ZADD z 5 a 2 b 3 1 4 x
        SADD ints 1 2 3
        SADD strs a b c
        "#,
    );
    for i in 0..200 {
        script.push_str(&format!("SADD bigset m{i}\n"));
    }
    script.push_str(
        r#"
        ZUNION 3 z ints strs WITHSCORES
        ZUNION 2 z strs WEIGHTS 2 3 AGGREGATE MAX WITHSCORES
        ZINTER 2 z strs WITHSCORES
        ZINTER 2 strs z AGGREGATE MIN WITHSCORES
        ZINTER 2 ints z WITHSCORES
        ZINTER 2 strs strs WITHSCORES
        ZDIFF 2 strs z WITHSCORES
        ZDIFF 2 z ints WITHSCORES
        ZDIFF 2 ints strs
        ZINTERCARD 2 z strs
        ZINTERCARD 2 ints bigset
        ZUNIONSTORE u 2 bigset z
        ZCARD u
        ZRANGE u 0 3 WITHSCORES
        OBJECT ENCODING u
        ZINTERSTORE i 2 strs z
        ZRANGE i 0 -1 WITHSCORES
        OBJECT ENCODING i
        ZDIFFSTORE d 2 bigset strs
        ZCARD d
        ZUNION 1 bigset WITHSCORES
        "#,
    );
    both_encodings(&script);
}

#[test]
fn zrandmember_deterministic_cases() {
    both_encodings(
        r#"
        ZADD z 1 a 2 b 3 c
        ZRANDMEMBER nokey
        ZRANDMEMBER nokey 5
        ZRANDMEMBER nokey -5 WITHSCORES
        ZRANDMEMBER z 0
        ZRANDMEMBER z 0 WITHSCORES
        ZRANDMEMBER z 3
        ZRANDMEMBER z 10 WITHSCORES
        ZRANDMEMBER z x
        ZRANDMEMBER z 1 FOO
        ZRANDMEMBER z -9223372036854775808
        ZRANDMEMBER z 9223372036854775807 WITHSCORES
        ZRANDMEMBER z -4611686018427387904 WITHSCORES
        ZADD one 5 only
        ZRANDMEMBER one
        ZRANDMEMBER one -3 WITHSCORES
        ZRANDMEMBER one 1 WITHSCORES
        "#,
    );
}

#[test]
fn zscan_iterations() {
    let mut script = String::from(
        r#"
        ZADD small 1 a 2 b 3.5 c 4 d
        ZSCAN small 0
        ZSCAN small 0 MATCH a*
        ZSCAN small 0 COUNT 1
        ZSCAN small 123
        ZSCAN nokey 0
        ZSCAN nokey 0 COUNT 0
        ZSCAN small 0 COUNT 0
        ZSCAN small 0 COUNT x
        ZSCAN small 0 MATCH
        ZSCAN small 0 TYPE zset
        ZSCAN small x
        ZSCAN small -1
        "#,
    );
    for i in 0..300 {
        script.push_str(&format!("ZADD big {i}.5 member:{i}\n"));
    }
    script.push_str(
        r#"
        OBJECT ENCODING big
        %ZSCAN big 0
        %ZSCAN big 0 COUNT 7
        %ZSCAN big 0 MATCH member:1*
        %ZSCAN big 0 MATCH nomatch* COUNT 1000
        "#,
    );
    differential_script(&script);
}

#[test]
fn encoding_conversions() {
    differential_script(
        r#"
        CONFIG SET zset-max-listpack-entries 4
        CONFIG SET zset-max-listpack-value 8
        ZADD z 1 a 2 b 3 c 4 d
        OBJECT ENCODING z
        ZADD z 5 e
        OBJECT ENCODING z
        ZREM z a b c d
        OBJECT ENCODING z
        ZADD long 1 12345678
        OBJECT ENCODING long
        ZADD long 1 123456789
        OBJECT ENCODING long
        ZADD first 1 123456789
        OBJECT ENCODING first
        ZINCRBY incr 1 123456789
        OBJECT ENCODING incr
        ZADD small 1 a 2 b
        ZUNIONSTORE u 2 small z
        OBJECT ENCODING u
        ZUNIONSTORE u 1 z
        OBJECT ENCODING u
        ZUNIONSTORE u 1 long
        OBJECT ENCODING u
        ZADD big 1 a 2 b 3 c 4 d 5 e
        ZUNIONSTORE u 1 big
        OBJECT ENCODING u
        ZINTERSTORE i 1 big
        OBJECT ENCODING i
        ZDIFFSTORE d 2 big small
        OBJECT ENCODING d
        ZRANGESTORE r big 0 -1
        OBJECT ENCODING r
        ZRANGESTORE r big 0 3
        OBJECT ENCODING r
        ZRANGESTORE r long 0 -1
        OBJECT ENCODING r
        CONFIG SET zset-max-ziplist-entries 0
        ZADD zero 1 a
        OBJECT ENCODING zero
        CONFIG SET zset-max-ziplist-entries 128
        CONFIG SET zset-max-ziplist-value 64
        COPY big bigcopy
        OBJECT ENCODING bigcopy
        ZRANGE bigcopy 0 -1 WITHSCORES
        COPY small smallcopy
        OBJECT ENCODING smallcopy
        "#,
    );
}

#[test]
fn watch_and_transactions() {
    differential_script(
        r#"
        ZADD z 1 a
        WATCH z
        ZADD z 1 a
        MULTI
        ZCARD z
        EXEC
        WATCH z
        ZREM z missing
        MULTI
        ZCARD z
        EXEC
        WATCH z
        ZINCRBY z 1 a
        MULTI
        ZCARD z
        EXEC
        MULTI
        ZADD z 1 b
        ZPOPMIN z
        ZRANGE z 0 -1 WITHSCORES
        EXEC
        "#,
    );
}

#[test]
fn keyspace_events_match_redis() {
    let commands: &[&[&str]] = &[
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "NX", "5", "a"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZINCRBY", "z", "0", "a"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZREM", "z", "missing"],
        &["ZREM", "z", "a"],
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        &["ZREMRANGEBYSCORE", "z", "100", "200"],
        &["ZREMRANGEBYSCORE", "z", "3", "3"],
        &["ZADD", "z", "0", "x", "0", "y"],
        &["ZREMRANGEBYLEX", "z", "[x", "[x"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZMPOP", "1", "z", "MAX", "COUNT", "10"],
        &["ZADD", "a", "1", "a", "2", "b"],
        &["ZADD", "b", "1", "b"],
        &["ZUNIONSTORE", "u", "2", "a", "b"],
        &["ZINTERSTORE", "i", "2", "a", "b"],
        &["ZDIFFSTORE", "d", "2", "a", "b"],
        &["ZDIFFSTORE", "d", "2", "a", "a"],
        &["ZDIFFSTORE", "d", "2", "a", "a"],
        &["ZRANGESTORE", "r", "a", "0", "-1"],
        &["ZRANGESTORE", "r", "a", "5", "6"],
        &["ZRANGE", "a", "0", "-1"],
        &["BZPOPMIN", "a", "0"],
        &["BZMPOP", "0", "1", "a", "MAX"],
        &["ZREM", "b", "b"],
    ];
    let server = start_lodestone(&[]);
    let ours = keyevents(server.port, "KEA", commands);
    assert!(ours.contains(&("zpopmin".into(), "z".into())));
    assert!(ours.contains(&("del".into(), "a".into())));
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, keyevents(redis.port, "KEA", commands));
}

/// Redis 7.2 formats doubles with the shortest round-trip digits (7.0,
/// the oracle, prints 17 significant digits), stores `-0` in a listpack as
/// the integer 0, and has ZRANK/ZREVRANK WITHSCORE: checked on Lodestone
/// alone.
#[test]
fn redis_7_2_only_behaviour() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let b = |s: &str| Frame::Bulk(s.as_bytes().to_vec());
    c.cmd(&[
        "ZADD", "z", "0.1", "a", "-0", "zero", "1e-7", "tiny", "1e21", "huge",
    ]);
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), b("0.1"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "0.2", "a"]),
        b("0.30000000000000004")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "tiny"]), b("1e-7"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "huge"]), b("1e+21"));
    assert_eq!(
        c.cmd(&["ZSCORE", "z", "zero"]),
        b("0"),
        "listpack keeps -0 as 0"
    );
    assert_eq!(
        c.cmd(&["ZRANK", "z", "a", "WITHSCORE"]),
        Frame::Array(vec![Frame::Integer(2), b("0.30000000000000004")])
    );
    assert_eq!(
        c.cmd(&["ZREVRANK", "z", "a", "withscore"]),
        Frame::Array(vec![Frame::Integer(1), b("0.30000000000000004")])
    );
    assert_eq!(c.cmd(&["ZRANK", "z", "nope", "WITHSCORE"]), Frame::Null);
    assert_eq!(c.cmd(&["ZRANK", "nokey", "a", "WITHSCORE"]), Frame::Null);
    assert_eq!(c.cmd(&["ZRANK", "nokey", "a"]), Frame::Null);
    assert!(matches!(
        c.cmd(&["ZRANK", "z", "a", "WITHSCORES"]),
        Frame::Error(_)
    ));
    // ZSCAN shows a listpack's scores as stored (shortest text).
    let Frame::Array(scan) = c.cmd(&["ZSCAN", "z", "0", "MATCH", "a"]) else {
        panic!("ZSCAN reply");
    };
    assert_eq!(
        scan[1],
        Frame::Array(vec![b("a"), b("0.30000000000000004")])
    );
    // The big encoding keeps the sign of zero, and ZSCAN prints %.17g.
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    c.cmd(&["ZADD", "big", "-0", "zero", "0.1", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "big"]), b("skiplist"));
    assert_eq!(c.cmd(&["ZSCORE", "big", "zero"]), b("-0"));
    let Frame::Array(scan) = c.cmd(&["ZSCAN", "big", "0", "MATCH", "a", "COUNT", "100"]) else {
        panic!("ZSCAN reply");
    };
    assert_eq!(
        scan[1],
        Frame::Array(vec![b("a"), b("0.10000000000000001")])
    );
    // RESP3 doubles.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd_raw(&["ZSCORE", "z", "a"]),
        b",0.30000000000000004\r\n"
    );
    assert_eq!(c.cmd_raw(&["ZSCORE", "big", "zero"]), b",-0\r\n");
}

/// Redis 7.2 sizes a new sorted set by the whole write (`zsetTypeCreate`)
/// and converts an existing listpack before a write bringing more
/// elements than the limit (`zsetTypeMaybeConvert`), even when most of
/// them are duplicates; 7.0 (the oracle) did neither.
#[test]
fn writes_are_sized_like_redis_7_2() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    let b = |s: &str| Frame::Bulk(s.as_bytes().to_vec());
    c.cmd(&["ZADD", "dup", "1", "a", "1", "a", "1", "a", "1", "a"]);
    assert_eq!(c.cmd(&["ZCARD", "dup"]), Frame::Integer(1));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "dup"]), b("skiplist"));
    c.cmd(&["ZADD", "grow", "1", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "grow"]), b("listpack"));
    c.cmd(&["ZADD", "grow", "1", "a", "1", "a", "1", "a", "1", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "grow"]), b("skiplist"));
    c.cmd(&["ZADD", "fits", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "fits"]), b("listpack"));
}

/// Flattens a ZRANDMEMBER reply into (member, score) picks.
fn picks(reply: Frame, withscores: bool) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let Frame::Array(items) = reply else {
        panic!("ZRANDMEMBER replied {reply:?}");
    };
    let text = |f: &Frame| match f {
        Frame::Bulk(b) => b.clone(),
        Frame::Double(d) => d.clone(),
        other => panic!("not a bulk: {other:?}"),
    };
    let mut out = Vec::new();
    let mut it = items.iter();
    while let Some(first) = it.next() {
        match first {
            Frame::Array(pair) => out.push((text(&pair[0]), Some(text(&pair[1])))),
            m if withscores => out.push((text(m), Some(text(it.next().expect("score"))))),
            m => out.push((text(m), None)),
        }
    }
    out
}

#[test]
fn zrandmember_samples_like_redis() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    for (key, n) in [("small", 20), ("big", 1000)] {
        for i in 0..n {
            c.cmd(&["ZADD", key, &i.to_string(), &format!("m{i}")]);
        }
        let scores: HashMap<Vec<u8>, Vec<u8>> = (0..n)
            .map(|i| (format!("m{i}").into_bytes(), i.to_string().into_bytes()))
            .collect();
        for resp3 in [false, true] {
            if resp3 {
                c.cmd(&["HELLO", "3"]);
            }
            for count in [1, 5, n / 2, n - 1, n, n + 5] {
                for withscores in [false, true] {
                    let count_s = count.to_string();
                    let mut args = vec!["ZRANDMEMBER", key, &count_s];
                    if withscores {
                        args.push("WITHSCORES");
                    }
                    let got = picks(c.cmd(&args), withscores);
                    assert_eq!(got.len(), count.min(n), "{key} {count}");
                    let distinct: HashSet<_> = got.iter().map(|(m, _)| m.clone()).collect();
                    assert_eq!(distinct.len(), got.len(), "distinct members");
                    for (m, s) in &got {
                        assert_eq!(s.as_ref().map(|_| ()), withscores.then_some(()));
                        if let Some(s) = s {
                            assert_eq!(Some(s), scores.get(m), "score of {m:?}");
                        }
                    }
                }
            }
            // Negative counts repeat members and cover the set.
            let count_s = (-(n as i64) * 20).to_string();
            let got = picks(c.cmd(&["ZRANDMEMBER", key, &count_s, "WITHSCORES"]), true);
            assert_eq!(got.len(), n * 20);
            let distinct: HashSet<_> = got.iter().map(|(m, _)| m.clone()).collect();
            assert!(distinct.len() > n / 2, "{key}: {} distinct", distinct.len());
            c.cmd(&["HELLO", "2"]);
        }
    }
}

#[test]
fn zrandmember_with_repeats_is_bounded() {
    let server = start_lodestone(&["--proto-max-bulk-len", "1mb"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["ZADD", "z", "1", "a"]);
    let reply = c.cmd(&["ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"]);
    assert_eq!(
        reply,
        Frame::Error(b"ERR reply exceeds proto-max-bulk-len".to_vec())
    );
    assert_eq!(c.cmd(&["ZCARD", "z"]), Frame::Integer(1), "still serving");
}

#[test]
fn zscan_sees_every_member_while_the_table_grows() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    for i in 0..500 {
        c.cmd(&["ZADD", "z", &i.to_string(), &format!("m{i}")]);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut next = 500;
    loop {
        let Frame::Array(parts) = c.cmd(&["ZSCAN", "z", &cursor, "COUNT", "20"]) else {
            panic!("ZSCAN reply");
        };
        let (Frame::Bulk(cur), Frame::Array(items)) = (&parts[0], &parts[1]) else {
            panic!("ZSCAN shape");
        };
        for pair in items.chunks(2) {
            if let Frame::Bulk(m) = &pair[0] {
                seen.insert(m.clone());
            }
        }
        // Grow the table between calls: members present throughout must
        // still be returned.
        for _ in 0..50 {
            c.cmd(&["ZADD", "z", "1", &format!("m{next}")]);
            next += 1;
        }
        cursor = String::from_utf8(cur.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    for i in 0..500 {
        assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
    }
}

#[test]
fn large_sorted_set_ranks_and_ranges() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    let mut script = String::new();
    for i in 0..3000 {
        let score = (i * 7919) % 1009;
        script.push_str(&format!("ZADD big {score} m{i}\n"));
    }
    script.push_str(
        r#"
        ZCARD big
        ZRANGE big 0 20 WITHSCORES
        ZRANGE big 1000 1020 REV WITHSCORES
        ZRANGE big -5 -1
        ZRANK big m1234
        ZREVRANK big m1234
        ZRANGEBYSCORE big 500 (502 WITHSCORES
        ZREVRANGEBYSCORE big 700 600 LIMIT 10 5
        ZCOUNT big (100 200
        ZREMRANGEBYRANK big 100 199
        ZREMRANGEBYSCORE big 300 350
        ZCARD big
        ZRANGE big 90 110 WITHSCORES
        ZPOPMIN big 5
        ZPOPMAX big 5
        ZMPOP 1 big MIN COUNT 3
        ZINCRBY big 10000 m77
        ZREVRANGE big 0 2 WITHSCORES
        ZRANGESTORE r big 10 20
        ZRANGE r 0 -1 WITHSCORES
        OBJECT ENCODING r
        "#,
    );
    assert_script(&mut ours, &mut oracle, &script);
}

/// DEBUG DIGEST-VALUE and DEBUG DIGEST over sorted sets in both encodings.
/// Integral scores only: Redis 7.0 (the oracle) prints scores with `%.17g`
/// where 7.2 uses the shortest digits, and they agree on integers.
#[test]
fn digests_match_redis() {
    let Some(redis) = start_redis(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    assert_script(
        &mut ours,
        &mut oracle,
        r#"
        ZADD small 1 a 2 b -inf c 12 12 100 ""
        DEBUG DIGEST-VALUE small
        CONFIG SET zset-max-listpack-entries 2
        ZADD big 1 a 2 b -inf c 12 12 100 "" 7 x
        OBJECT ENCODING big
        DEBUG DIGEST-VALUE big small nokey
        DEBUG DIGEST
        "#,
    );
}
