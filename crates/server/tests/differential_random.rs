//! Seeded random differential test: thousands of random string and generic
//! commands over a small keyspace, sent to Lodestone and redis-server, with
//! replies compared byte for byte (order-insensitively for KEYS and SCAN).
//!
//! Reproduce a failure with the printed seed:
//! `LODESTONE_DIFF_SEED=<seed> cargo test -p lodestone-server --test differential_random`.
//! `LODESTONE_DIFF_STEPS` changes the number of commands per run.
//!
//! Expiry never races: relative TTLs are whole multiples of 1000 s, and the
//! conditional forms (NX/XX/GT/LT) only take absolute times far from any
//! relative one, so both servers always take the same branch.
//!
//! To add a command family, write generators (`fn(&mut Draw) -> Step`) and
//! list them with weights in a new `&[Weighted]` table added to `FAMILIES`.

mod common;

use common::{assert_same_reply, start_pair, Compare, Pair};
use lodestone_protocol::frame::{self, Frame};

/// How a step's replies are checked.
enum Check {
    /// Compared as the common harness does.
    Reply(Compare),
    /// Both null or both a bulk string (RANDOMKEY: the key itself differs).
    NullOrBulk,
    /// OBJECT ENCODING: exact, except that a list Lodestone encodes as
    /// `listpack` is a `quicklist` in the 7.0 oracle, which has no
    /// listpack lists (Redis 7.2 encodes it as Lodestone does).
    Encoding,
}

/// One random command and how to check it.
struct Step {
    args: Vec<Vec<u8>>,
    check: Check,
}

/// Random choices for generators.
struct Draw {
    rng: fastrand::Rng,
}

/// Keys: a small keyspace so commands collide often.
const KEYS: usize = 20;
/// Values: text, integers (including the i64 extremes), floats, binary.
const VALUES: &[&[u8]] = &[
    b"",
    b"a",
    b"hello",
    b"foo bar",
    b"0",
    b"1",
    b"-5",
    b"42",
    b"10000",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1.5",
    b"-0.25",
    b"3e2",
    b"007",
    b" 1",
    b"\x00\xff\r\n",
    b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

impl Draw {
    fn key(&mut self) -> Vec<u8> {
        format!("k{}", self.rng.usize(..KEYS)).into_bytes()
    }

    fn value(&mut self) -> Vec<u8> {
        VALUES[self.rng.usize(..VALUES.len())].to_vec()
    }

    fn int(&mut self, lo: i64, hi: i64) -> Vec<u8> {
        self.rng.i64(lo..=hi).to_string().into_bytes()
    }

    /// An integer argument, sometimes an invalid one.
    fn int_arg(&mut self, lo: i64, hi: i64) -> Vec<u8> {
        match self.rng.u8(..20) {
            0 => b"abc".to_vec(),
            1 => b"9223372036854775808".to_vec(),
            2 => b"1.5".to_vec(),
            _ => self.int(lo, hi),
        }
    }

    fn float_arg(&mut self) -> Vec<u8> {
        const FLOATS: &[&[u8]] = &[
            b"0.5", b"-1.25", b"3", b"1e3", b"-0", b"abc", b"inf", b"0.1",
        ];
        FLOATS[self.rng.usize(..FLOATS.len())].to_vec()
    }

    /// A relative TTL in seconds: a whole multiple of 1000 s.
    fn rel_seconds(&mut self) -> i64 {
        self.rng.i64(1..=9) * 1000
    }

    /// An absolute Unix time in seconds in 2100 or later: far from any
    /// relative TTL, and distinct values are 1000 s apart.
    fn abs_seconds(&mut self) -> i64 {
        4_102_444_800 + self.rng.i64(0..=9) * 1000
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.usize(..options.len())]
    }

    fn chance(&mut self, one_in: u32) -> bool {
        self.rng.u32(..one_in) == 0
    }
}

fn step(args: Vec<Vec<u8>>) -> Step {
    Step {
        args,
        check: Check::Reply(Compare::Exact),
    }
}

fn step_with(args: Vec<Vec<u8>>, compare: Compare) -> Step {
    Step {
        args,
        check: Check::Reply(compare),
    }
}

fn words(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

fn num(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// A generator with its relative weight.
type Weighted = (u32, fn(&mut Draw) -> Step);

// ---- string family ----

fn gen_get(d: &mut Draw) -> Step {
    step(vec![b"GET".to_vec(), d.key()])
}

fn gen_set(d: &mut Draw) -> Step {
    let mut args = vec![b"SET".to_vec(), d.key(), d.value()];
    if d.chance(3) {
        args.push(d.pick(&["NX", "XX"]).into());
    }
    if d.chance(3) {
        args.push(b"GET".to_vec());
    }
    match d.rng.u8(..8) {
        0 => args.extend([b"EX".to_vec(), num(d.rel_seconds())]),
        1 => args.extend([b"PX".to_vec(), num(d.rel_seconds() * 1000)]),
        2 => args.extend([b"EXAT".to_vec(), num(d.abs_seconds())]),
        3 => args.extend([b"PXAT".to_vec(), num(d.abs_seconds() * 1000)]),
        4 => args.push(b"KEEPTTL".to_vec()),
        5 if d.chance(4) => args.push(d.pick(&["EX", "BADOPT", "PERSIST"]).into()),
        _ => {}
    }
    step(args)
}

fn gen_setnx_setex(d: &mut Draw) -> Step {
    match d.rng.u8(..3) {
        0 => step(vec![b"SETNX".to_vec(), d.key(), d.value()]),
        1 => step(vec![
            b"SETEX".to_vec(),
            d.key(),
            num(d.rel_seconds()),
            d.value(),
        ]),
        _ => step(vec![
            b"PSETEX".to_vec(),
            d.key(),
            num(d.rel_seconds() * 1000),
            d.value(),
        ]),
    }
}

fn gen_getex(d: &mut Draw) -> Step {
    let mut args = vec![b"GETEX".to_vec(), d.key()];
    match d.rng.u8(..6) {
        0 => args.extend([b"EX".to_vec(), num(d.rel_seconds())]),
        1 => args.extend([b"PXAT".to_vec(), num(d.abs_seconds() * 1000)]),
        2 => args.push(b"PERSIST".to_vec()),
        3 => args.extend([b"EX".to_vec(), d.int_arg(-1, 0)]),
        _ => {}
    }
    step(args)
}

fn gen_getdel_getset(d: &mut Draw) -> Step {
    if d.chance(2) {
        step(vec![b"GETDEL".to_vec(), d.key()])
    } else {
        step(vec![b"GETSET".to_vec(), d.key(), d.value()])
    }
}

fn gen_mget_mset(d: &mut Draw) -> Step {
    let n = 1 + d.rng.usize(..4);
    match d.rng.u8(..3) {
        0 => {
            let mut args = vec![b"MGET".to_vec()];
            args.extend((0..n).map(|_| d.key()));
            step(args)
        }
        verb => {
            let mut args = vec![if verb == 1 {
                b"MSET".to_vec()
            } else {
                b"MSETNX".to_vec()
            }];
            for _ in 0..n {
                args.extend([d.key(), d.value()]);
            }
            if d.chance(10) {
                args.pop();
            }
            step(args)
        }
    }
}

fn gen_append_strlen(d: &mut Draw) -> Step {
    if d.chance(2) {
        step(vec![b"APPEND".to_vec(), d.key(), d.value()])
    } else {
        step(vec![b"STRLEN".to_vec(), d.key()])
    }
}

fn gen_ranges(d: &mut Draw) -> Step {
    if d.chance(2) {
        let verb = d.pick(&["GETRANGE", "SUBSTR"]);
        let (start, end) = (d.int_arg(-30, 30), d.int_arg(-30, 30));
        step(vec![verb.into(), d.key(), start, end])
    } else {
        step(vec![
            b"SETRANGE".to_vec(),
            d.key(),
            d.int_arg(-1, 20),
            d.value(),
        ])
    }
}

fn gen_counters(d: &mut Draw) -> Step {
    match d.rng.u8(..5) {
        0 => step(vec![b"INCR".to_vec(), d.key()]),
        1 => step(vec![b"DECR".to_vec(), d.key()]),
        2 => step(vec![b"INCRBY".to_vec(), d.key(), d.int_arg(-100, 100)]),
        3 => step(vec![b"DECRBY".to_vec(), d.key(), d.int_arg(-100, 100)]),
        _ => step(vec![b"INCRBYFLOAT".to_vec(), d.key(), d.float_arg()]),
    }
}

fn gen_lcs(d: &mut Draw) -> Step {
    let mut args = vec![b"LCS".to_vec(), d.key(), d.key()];
    match d.rng.u8(..5) {
        0 => args.push(b"LEN".to_vec()),
        1 => args.push(b"IDX".to_vec()),
        2 => args.extend(words(&["IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"])),
        3 if d.chance(3) => args.extend(words(&["LEN", "IDX"])),
        _ => {}
    }
    step(args)
}

fn gen_object_encoding(d: &mut Draw) -> Step {
    Step {
        args: vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), d.key()],
        check: Check::Encoding,
    }
}

/// String commands (`t_string.c`) and OBJECT ENCODING.
const STRING_FAMILY: &[Weighted] = &[
    (6, gen_get),
    (8, gen_set),
    (2, gen_setnx_setex),
    (2, gen_getex),
    (2, gen_getdel_getset),
    (3, gen_mget_mset),
    (3, gen_append_strlen),
    (3, gen_ranges),
    (5, gen_counters),
    (1, gen_lcs),
    (2, gen_object_encoding),
];

// ---- generic family ----

fn gen_del_exists(d: &mut Draw) -> Step {
    let verb = d.pick(&["DEL", "UNLINK", "EXISTS", "TOUCH", "EXISTS"]);
    let mut args = vec![verb.as_bytes().to_vec()];
    args.extend((0..1 + d.rng.usize(..3)).map(|_| d.key()));
    step(args)
}

fn gen_type(d: &mut Draw) -> Step {
    step(vec![b"TYPE".to_vec(), d.key()])
}

fn gen_rename(d: &mut Draw) -> Step {
    let verb = d.pick(&["RENAME", "RENAMENX"]);
    step(vec![verb.into(), d.key(), d.key()])
}

fn gen_move_copy(d: &mut Draw) -> Step {
    let db = d.int_arg(0, 2);
    if d.chance(2) {
        return step(vec![b"MOVE".to_vec(), d.key(), db]);
    }
    let mut args = vec![b"COPY".to_vec(), d.key(), d.key()];
    if d.chance(2) {
        args.extend([b"DB".to_vec(), db]);
    }
    if d.chance(2) {
        args.push(b"REPLACE".to_vec());
    }
    step(args)
}

fn gen_keys_scan(d: &mut Draw) -> Step {
    let pattern = d
        .pick(&["*", "k1*", "k?", "k[1-3]", "nomatch"])
        .as_bytes()
        .to_vec();
    if d.chance(2) {
        return step_with(vec![b"KEYS".to_vec(), pattern], Compare::Unordered);
    }
    let mut args = words(&["SCAN", "0", "MATCH"]);
    args.push(pattern);
    args.extend([b"COUNT".to_vec(), d.int(1, 30)]);
    if d.chance(4) {
        args.extend(words(&["TYPE", "string"]));
    }
    step_with(args, Compare::ScanUnion)
}

fn gen_randomkey(_d: &mut Draw) -> Step {
    Step {
        args: words(&["RANDOMKEY"]),
        check: Check::NullOrBulk,
    }
}

fn gen_expire(d: &mut Draw) -> Step {
    let key = d.key();
    // Relative times only unconditionally: two relative TTLs set a few
    // milliseconds apart on each server must never be compared.
    let (verb, when, conditional) = match d.rng.u8(..5) {
        0 => ("EXPIRE", num(d.rel_seconds()), false),
        1 => ("PEXPIRE", num(d.rel_seconds() * 1000), false),
        2 => ("EXPIREAT", num(d.abs_seconds()), true),
        3 => ("PEXPIREAT", num(d.abs_seconds() * 1000), true),
        _ => ("EXPIREAT", num(d.rng.i64(-5..=100)), true),
    };
    let mut args = vec![verb.as_bytes().to_vec(), key, when];
    if conditional && d.chance(2) {
        args.push(d.pick(&["NX", "XX", "GT", "LT", "gt"]).into());
        if d.chance(8) {
            args.push(d.pick(&["NX", "XX", "GT", "LT", "bad"]).into());
        }
    }
    step(args)
}

fn gen_ttl(d: &mut Draw) -> Step {
    let verb = d.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"]);
    step_with(vec![verb.into(), d.key()], Compare::Approx)
}

fn gen_db(d: &mut Draw) -> Step {
    match d.rng.u16(..100) {
        0 => step(words(&["FLUSHDB"])),
        1 => step(words(&["SWAPDB", "0", "1"])),
        2..=5 => step(vec![b"SELECT".to_vec(), d.int_arg(0, 1)]),
        _ => step(words(&["DBSIZE"])),
    }
}

/// Generic key commands (`db.c`, `expire.c`).
const GENERIC_FAMILY: &[Weighted] = &[
    (4, gen_del_exists),
    (2, gen_type),
    (2, gen_rename),
    (2, gen_move_copy),
    (2, gen_keys_scan),
    (1, gen_randomkey),
    (4, gen_expire),
    (4, gen_ttl),
    (2, gen_db),
];

// ---- hash family ----

/// Hash fields: few, so commands meet existing ones, with integers (stored
/// as integers in a listpack) and one longer than `hash-max-listpack-value`.
const FIELDS: &[&[u8]] = &[
    b"f1",
    b"f2",
    b"f3",
    b"12",
    b"-0",
    b"",
    b"a-field-name-longer-than-sixty-four-bytes-which-converts-the-hash",
];

fn field(d: &mut Draw) -> Vec<u8> {
    // The long field only now and then, so most hashes stay listpacks.
    let n = if d.chance(20) {
        FIELDS.len()
    } else {
        FIELDS.len() - 1
    };
    FIELDS[d.rng.usize(..n)].to_vec()
}

fn gen_hset(d: &mut Draw) -> Step {
    let verb = d.pick(&["HSET", "HSET", "HMSET"]);
    let mut args = vec![verb.as_bytes().to_vec(), d.key()];
    for _ in 0..1 + d.rng.usize(..3) {
        args.extend([field(d), d.value()]);
    }
    if d.chance(15) {
        args.pop();
    }
    step(args)
}

fn gen_hsetnx(d: &mut Draw) -> Step {
    step(vec![b"HSETNX".to_vec(), d.key(), field(d), d.value()])
}

fn gen_hread(d: &mut Draw) -> Step {
    let key = d.key();
    match d.rng.u8(..5) {
        0 => step(vec![b"HGET".to_vec(), key, field(d)]),
        1 => {
            let mut args = vec![b"HMGET".to_vec(), key];
            args.extend((0..1 + d.rng.usize(..3)).map(|_| field(d)));
            step(args)
        }
        2 => step(vec![b"HEXISTS".to_vec(), key, field(d)]),
        3 => step(vec![b"HSTRLEN".to_vec(), key, field(d)]),
        _ => step(vec![b"HLEN".to_vec(), key]),
    }
}

fn gen_hdel(d: &mut Draw) -> Step {
    let mut args = vec![b"HDEL".to_vec(), d.key()];
    args.extend((0..1 + d.rng.usize(..3)).map(|_| field(d)));
    step(args)
}

fn gen_hgetall(d: &mut Draw) -> Step {
    // A hashtable's order differs between the servers.
    let verb = d.pick(&["HGETALL", "HKEYS", "HVALS"]);
    step_with(vec![verb.into(), d.key()], Compare::Unordered)
}

fn gen_hincr(d: &mut Draw) -> Step {
    if d.chance(2) {
        step(vec![
            b"HINCRBY".to_vec(),
            d.key(),
            field(d),
            d.int_arg(-100, 100),
        ])
    } else {
        step(vec![
            b"HINCRBYFLOAT".to_vec(),
            d.key(),
            field(d),
            d.float_arg(),
        ])
    }
}

fn gen_hscan(d: &mut Draw) -> Step {
    let mut args = vec![b"HSCAN".to_vec(), d.key(), b"0".to_vec()];
    if d.chance(2) {
        args.push(b"MATCH".to_vec());
        args.push(d.pick(&["f*", "*2", "?", "*"]).into());
    }
    if d.chance(2) {
        args.extend([b"COUNT".to_vec(), d.int(1, 5)]);
    }
    step_with(args, Compare::ScanUnion)
}

fn gen_hrandfield(d: &mut Draw) -> Step {
    let key = d.key();
    match d.rng.u8(..3) {
        0 => Step {
            args: vec![b"HRANDFIELD".to_vec(), key],
            check: Check::NullOrBulk,
        },
        // Zero, or at least the hash's size: deterministic contents.
        1 => step(vec![b"HRANDFIELD".to_vec(), key, b"0".to_vec()]),
        _ => {
            let mut args = vec![b"HRANDFIELD".to_vec(), key, b"100".to_vec()];
            if d.chance(2) {
                args.push(b"WITHVALUES".to_vec());
            }
            step_with(args, Compare::Unordered)
        }
    }
}

/// Hash commands (`t_hash.c`).
const HASH_FAMILY: &[Weighted] = &[
    (5, gen_hset),
    (1, gen_hsetnx),
    (4, gen_hread),
    (2, gen_hdel),
    (2, gen_hgetall),
    (3, gen_hincr),
    (1, gen_hscan),
    (1, gen_hrandfield),
];

// ---- set family ----

/// Set members: integers (intset members) and strings. Lodestone runs
/// with `set-max-listpack-entries 0`, so its sets go from intset straight
/// to hashtable like those of the 7.0 oracle, and OBJECT ENCODING must
/// agree at every step; replies whose order is a hash table's are
/// compared as multisets.
const MEMBERS: &[&[u8]] = &[
    b"1",
    b"2",
    b"3",
    b"-5",
    b"42",
    b"10000",
    b"9223372036854775807",
    b"a",
    b"b",
    b"hello",
    b"",
    b"007",
];

fn member(d: &mut Draw) -> Vec<u8> {
    // Mostly integers, so intsets live long enough to be exercised.
    let n = if d.chance(4) { MEMBERS.len() } else { 7 };
    MEMBERS[d.rng.usize(..n)].to_vec()
}

fn keys_arg(d: &mut Draw) -> Vec<Vec<u8>> {
    (0..1 + d.rng.usize(..3)).map(|_| d.key()).collect()
}

fn gen_sadd_srem(d: &mut Draw) -> Step {
    let verb = d.pick(&["SADD", "SADD", "SREM"]);
    let mut args = vec![verb.as_bytes().to_vec(), d.key()];
    args.extend((0..1 + d.rng.usize(..4)).map(|_| member(d)));
    step(args)
}

fn gen_sread(d: &mut Draw) -> Step {
    let key = d.key();
    match d.rng.u8(..4) {
        0 => step(vec![b"SISMEMBER".to_vec(), key, member(d)]),
        1 => {
            let mut args = vec![b"SMISMEMBER".to_vec(), key];
            args.extend((0..1 + d.rng.usize(..3)).map(|_| member(d)));
            step(args)
        }
        2 => step(vec![b"SCARD".to_vec(), key]),
        _ => step_with(vec![b"SMEMBERS".to_vec(), key], Compare::Unordered),
    }
}

fn gen_salgebra(d: &mut Draw) -> Step {
    match d.rng.u8(..3) {
        0 => {
            let verb = d.pick(&["SINTER", "SUNION", "SDIFF"]);
            let mut args = vec![verb.as_bytes().to_vec()];
            args.extend(keys_arg(d));
            step_with(args, Compare::Unordered)
        }
        1 => {
            let verb = d.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
            let mut args = vec![verb.as_bytes().to_vec(), d.key()];
            args.extend(keys_arg(d));
            step(args)
        }
        _ => {
            let keys = keys_arg(d);
            let mut args = vec![b"SINTERCARD".to_vec(), num(keys.len() as i64)];
            args.extend(keys);
            if d.chance(2) {
                args.extend([b"LIMIT".to_vec(), d.int_arg(0, 3)]);
            }
            step(args)
        }
    }
}

fn gen_smove(d: &mut Draw) -> Step {
    step(vec![b"SMOVE".to_vec(), d.key(), d.key(), member(d)])
}

fn gen_spop_srandmember(d: &mut Draw) -> Step {
    let key = d.key();
    // Only forms whose result does not depend on chance: a count of 0, one
    // covering any set here, or a bad one.
    match d.rng.u8(..4) {
        0 => Step {
            args: vec![b"SRANDMEMBER".to_vec(), key],
            check: Check::NullOrBulk,
        },
        1 => {
            let verb = d.pick(&["SPOP", "SRANDMEMBER"]);
            step_with(vec![verb.into(), key, b"1000".to_vec()], Compare::Unordered)
        }
        2 => {
            let count = d.pick(&["0", "-1", "x"]);
            step(vec![b"SPOP".to_vec(), key, count.into()])
        }
        _ => {
            let count = d.pick(&["0", "x", "-9223372036854775808"]);
            step(vec![b"SRANDMEMBER".to_vec(), key, count.into()])
        }
    }
}

fn gen_sscan(d: &mut Draw) -> Step {
    let mut args = vec![b"SSCAN".to_vec(), d.key(), b"0".to_vec()];
    if d.chance(2) {
        args.push(b"MATCH".to_vec());
        args.push(d.pick(&["1*", "*2", "?", "*", "h*"]).into());
    }
    if d.chance(2) {
        args.extend([b"COUNT".to_vec(), d.int(1, 5)]);
    }
    step_with(args, Compare::ScanUnion)
}

/// Set commands (`t_set.c`).
const SET_FAMILY: &[Weighted] = &[
    (6, gen_sadd_srem),
    (4, gen_sread),
    (4, gen_salgebra),
    (2, gen_smove),
    (2, gen_spop_srandmember),
    (1, gen_sscan),
];

// ---- sorted set family ----

/// Sorted set members: few, with integers (stored as integers in a
/// listpack), the empty string, and one longer than
/// `zset-max-listpack-value` that converts a sorted set to a skiplist.
const ZMEMBERS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"1",
    b"-5",
    b"007",
    b"",
    b"a-member-name-longer-than-sixty-four-bytes-which-converts-the-sorted-set",
];

/// Scores that print alike in Redis 7.0 (`%.17g`) and 7.2 (shortest
/// digits), and a few invalid ones. `-0` is left out on purpose: 7.2 stores
/// it as 0 in a listpack, 7.0 keeps the sign.
const SCORES: &[&[u8]] = &[
    b"1", b"2.5", b"-3", b"0.25", b"10", b"1e3", b"inf", b"-inf", b"+inf", b"0x10", b"abc",
];

fn zmember(d: &mut Draw) -> Vec<u8> {
    // The long member only now and then, so most sorted sets stay listpacks.
    let n = if d.chance(25) {
        ZMEMBERS.len()
    } else {
        ZMEMBERS.len() - 1
    };
    ZMEMBERS[d.rng.usize(..n)].to_vec()
}

/// A key for sorted set commands: mostly from a few keys the other
/// families do not write (so most commands meet sorted sets rather than
/// WRONGTYPE), sometimes from the shared keyspace (sets there take part
/// in ZUNION and friends).
fn zkey(d: &mut Draw) -> Vec<u8> {
    if d.chance(4) {
        d.key()
    } else {
        format!("z{}", d.rng.usize(..6)).into_bytes()
    }
}

fn score(d: &mut Draw) -> Vec<u8> {
    SCORES[d.rng.usize(..SCORES.len())].to_vec()
}

/// Keys whose members all score 0, for the lex-range commands: lex ranges
/// are only well defined when scores are equal.
fn lex_key(d: &mut Draw) -> Vec<u8> {
    format!("lex{}", d.rng.usize(..3)).into_bytes()
}

fn score_bound(d: &mut Draw) -> Vec<u8> {
    d.pick(&[
        "-inf", "+inf", "(1", "2.5", "(2.5", "0", "-3", "10", "(10", "abc", "inf",
    ])
    .into()
}

fn lex_bound(d: &mut Draw) -> Vec<u8> {
    d.pick(&["-", "+", "[a", "(b", "[c", "(1", "[007", "[", "x"])
        .into()
}

fn gen_zadd(d: &mut Draw) -> Step {
    let mut args = vec![b"ZADD".to_vec(), zkey(d)];
    for opt in ["NX", "XX", "GT", "LT", "CH", "INCR"] {
        if d.chance(8) {
            args.push(opt.into());
        }
    }
    for _ in 0..1 + d.rng.usize(..3) {
        args.extend([score(d), zmember(d)]);
    }
    if d.chance(20) {
        args.pop();
    }
    step(args)
}

fn gen_zadd_lex(d: &mut Draw) -> Step {
    let mut args = vec![b"ZADD".to_vec(), lex_key(d)];
    for _ in 0..1 + d.rng.usize(..3) {
        args.extend([b"0".to_vec(), zmember(d)]);
    }
    step(args)
}

fn gen_zincrby(d: &mut Draw) -> Step {
    step(vec![b"ZINCRBY".to_vec(), zkey(d), score(d), zmember(d)])
}

fn gen_zread(d: &mut Draw) -> Step {
    let key = zkey(d);
    match d.rng.u8(..5) {
        0 => step(vec![b"ZSCORE".to_vec(), key, zmember(d)]),
        1 => {
            let mut args = vec![b"ZMSCORE".to_vec(), key];
            args.extend((0..1 + d.rng.usize(..3)).map(|_| zmember(d)));
            step(args)
        }
        2 => step(vec![d.pick(&["ZRANK", "ZREVRANK"]).into(), key, zmember(d)]),
        3 => step(vec![b"ZCARD".to_vec(), key]),
        _ => step(vec![
            b"ZCOUNT".to_vec(),
            key,
            score_bound(d),
            score_bound(d),
        ]),
    }
}

fn limit(d: &mut Draw, args: &mut Vec<Vec<u8>>) {
    if d.chance(3) {
        args.extend([b"LIMIT".to_vec(), d.int_arg(-1, 3), d.int(-1, 4)]);
    }
}

fn gen_zrange(d: &mut Draw) -> Step {
    let key = zkey(d);
    let mut args = match d.rng.u8(..5) {
        0 => vec![b"ZRANGE".to_vec(), key, d.int_arg(-5, 5), d.int(-5, 5)],
        1 => vec![b"ZREVRANGE".to_vec(), key, d.int_arg(-5, 5), d.int(-5, 5)],
        2 => {
            let verb = d.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]);
            vec![verb.into(), key, score_bound(d), score_bound(d)]
        }
        3 => {
            let mut args = vec![b"ZRANGE".to_vec(), key, score_bound(d), score_bound(d)];
            args.push(b"BYSCORE".to_vec());
            if d.chance(2) {
                args.push(b"REV".to_vec());
            }
            args
        }
        _ => {
            let mut args = vec![b"ZRANGE".to_vec(), key, d.int(-5, 5), d.int(-5, 5)];
            if d.chance(2) {
                args.push(b"REV".to_vec());
            }
            args
        }
    };
    if d.chance(2) {
        args.push(b"WITHSCORES".to_vec());
    }
    if d.chance(2) {
        limit(d, &mut args);
    }
    step(args)
}

fn gen_zlex(d: &mut Draw) -> Step {
    let key = lex_key(d);
    let mut args = match d.rng.u8(..4) {
        0 => {
            let verb = d.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]);
            vec![verb.into(), key, lex_bound(d), lex_bound(d)]
        }
        1 => {
            let mut args = vec![b"ZRANGE".to_vec(), key, lex_bound(d), lex_bound(d)];
            args.push(b"BYLEX".to_vec());
            if d.chance(2) {
                args.push(b"REV".to_vec());
            }
            args
        }
        2 => vec![b"ZLEXCOUNT".to_vec(), key, lex_bound(d), lex_bound(d)],
        _ => vec![b"ZREMRANGEBYLEX".to_vec(), key, lex_bound(d), lex_bound(d)],
    };
    if args[0].starts_with(b"ZR") && !args[0].starts_with(b"ZREM") {
        limit(d, &mut args);
    }
    step(args)
}

fn gen_zrem(d: &mut Draw) -> Step {
    let key = zkey(d);
    match d.rng.u8(..4) {
        0 | 1 => {
            let mut args = vec![b"ZREM".to_vec(), key];
            args.extend((0..1 + d.rng.usize(..3)).map(|_| zmember(d)));
            step(args)
        }
        2 => step(vec![
            b"ZREMRANGEBYRANK".to_vec(),
            key,
            d.int_arg(-3, 3),
            d.int(-3, 3),
        ]),
        _ => step(vec![
            b"ZREMRANGEBYSCORE".to_vec(),
            key,
            score_bound(d),
            score_bound(d),
        ]),
    }
}

fn gen_zpop(d: &mut Draw) -> Step {
    let key = zkey(d);
    match d.rng.u8(..5) {
        0 => step(vec![d.pick(&["ZPOPMIN", "ZPOPMAX"]).into(), key]),
        1 => step(vec![
            d.pick(&["ZPOPMIN", "ZPOPMAX"]).into(),
            key,
            d.int_arg(-1, 3),
        ]),
        2 => {
            let mut args = vec![b"ZMPOP".to_vec(), b"2".to_vec(), key, zkey(d)];
            args.push(d.pick(&["MIN", "MAX", "max"]).into());
            if d.chance(2) {
                args.extend([b"COUNT".to_vec(), d.int_arg(0, 3)]);
            }
            step(args)
        }
        // A short timeout: an empty key answers null on both servers.
        3 => step(vec![
            d.pick(&["BZPOPMIN", "BZPOPMAX"]).into(),
            key,
            b"0.01".to_vec(),
        ]),
        _ => step(vec![
            b"BZMPOP".to_vec(),
            b"0.01".to_vec(),
            b"1".to_vec(),
            key,
            b"MIN".to_vec(),
            b"COUNT".to_vec(),
            d.int(1, 3),
        ]),
    }
}

fn gen_zalgebra(d: &mut Draw) -> Step {
    let keys: Vec<Vec<u8>> = (0..1 + d.rng.usize(..3)).map(|_| zkey(d)).collect();
    let n = num(keys.len() as i64);
    let options = |d: &mut Draw, args: &mut Vec<Vec<u8>>, diff: bool| {
        if !diff && d.chance(3) {
            args.push(b"WEIGHTS".to_vec());
            // Positive weights only: a negative one times a zero score
            // makes -0, stored differently by 7.0 and 7.2 listpacks.
            args.extend((0..keys.len()).map(|_| d.pick(&["1", "2", "0.5"]).into()));
        }
        if !diff && d.chance(3) {
            args.extend([b"AGGREGATE".to_vec(), d.pick(&["SUM", "MIN", "MAX"]).into()]);
        }
    };
    match d.rng.u8(..3) {
        0 => {
            let verb = d.pick(&["ZUNION", "ZINTER", "ZDIFF"]);
            let mut args = vec![verb.as_bytes().to_vec(), n];
            args.extend(keys.iter().cloned());
            options(d, &mut args, verb == "ZDIFF");
            if d.chance(2) {
                args.push(b"WITHSCORES".to_vec());
            }
            step(args)
        }
        1 => {
            let verb = d.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
            let mut args = vec![verb.as_bytes().to_vec(), zkey(d), n];
            args.extend(keys.iter().cloned());
            options(d, &mut args, verb == "ZDIFFSTORE");
            step(args)
        }
        _ => {
            let mut args = vec![b"ZINTERCARD".to_vec(), n];
            args.extend(keys.iter().cloned());
            if d.chance(2) {
                args.extend([b"LIMIT".to_vec(), d.int_arg(0, 3)]);
            }
            step(args)
        }
    }
}

fn gen_zrangestore(d: &mut Draw) -> Step {
    let mut args = vec![b"ZRANGESTORE".to_vec(), zkey(d), zkey(d)];
    if d.chance(2) {
        args.extend([d.int(-3, 3), d.int(-3, 3)]);
    } else {
        args.extend([score_bound(d), score_bound(d), b"BYSCORE".to_vec()]);
        limit(d, &mut args);
    }
    if d.chance(3) {
        args.push(b"REV".to_vec());
    }
    step(args)
}

fn gen_zrandmember_zscan(d: &mut Draw) -> Step {
    let key = zkey(d);
    match d.rng.u8(..3) {
        0 => Step {
            args: vec![b"ZRANDMEMBER".to_vec(), key],
            check: Check::NullOrBulk,
        },
        // Zero, or at least the sorted set's size: deterministic replies.
        1 => {
            let mut args = vec![b"ZRANDMEMBER".to_vec(), key];
            args.push(d.pick(&["0", "100", "x"]).into());
            if d.chance(2) {
                args.push(b"WITHSCORES".to_vec());
            }
            step(args)
        }
        _ => {
            let mut args = vec![b"ZSCAN".to_vec(), key, b"0".to_vec()];
            if d.chance(2) {
                args.extend([b"MATCH".to_vec(), d.pick(&["a*", "?", "*", "1*"]).into()]);
            }
            if d.chance(2) {
                args.extend([b"COUNT".to_vec(), d.int(1, 5)]);
            }
            step_with(args, Compare::ScanUnion)
        }
    }
}

/// Sorted set commands (`t_zset.c`).
const ZSET_FAMILY: &[Weighted] = &[
    (6, gen_zadd),
    (2, gen_zadd_lex),
    (2, gen_zincrby),
    (4, gen_zread),
    (4, gen_zrange),
    (2, gen_zlex),
    (3, gen_zrem),
    (2, gen_zpop),
    (3, gen_zalgebra),
    (1, gen_zrangestore),
    (1, gen_zrandmember_zscan),
];

// ---- list family ----

/// Elements: mostly a few short ones, so LPOS, LREM and LINSERT find them,
/// sometimes any value (integers, binary, longer strings).
fn element(d: &mut Draw) -> Vec<u8> {
    if d.chance(3) {
        d.value()
    } else {
        d.pick(&["a", "b", "c", "1", "2"]).as_bytes().to_vec()
    }
}

fn gen_lpush(d: &mut Draw) -> Step {
    let verb = d.pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
    let mut args = vec![verb.as_bytes().to_vec(), d.key()];
    args.extend((0..1 + d.rng.usize(..6)).map(|_| element(d)));
    step(args)
}

fn gen_lpop(d: &mut Draw) -> Step {
    let mut args = vec![d.pick(&["LPOP", "RPOP"]).as_bytes().to_vec(), d.key()];
    if d.chance(2) {
        args.push(d.int_arg(-1, 6));
    }
    step(args)
}

fn gen_lread(d: &mut Draw) -> Step {
    let key = d.key();
    match d.rng.u8(..4) {
        0 => step(vec![b"LLEN".to_vec(), key]),
        1 => step(vec![b"LINDEX".to_vec(), key, d.int_arg(-12, 12)]),
        _ => step(vec![
            b"LRANGE".to_vec(),
            key,
            d.int_arg(-12, 12),
            d.int_arg(-12, 12),
        ]),
    }
}

fn gen_lset_linsert(d: &mut Draw) -> Step {
    let key = d.key();
    if d.chance(2) {
        return step(vec![b"LSET".to_vec(), key, d.int_arg(-8, 8), element(d)]);
    }
    let place = d
        .pick(&["BEFORE", "AFTER", "after", "WHERE"])
        .as_bytes()
        .to_vec();
    step(vec![
        b"LINSERT".to_vec(),
        key,
        place,
        element(d),
        element(d),
    ])
}

fn gen_lrem_ltrim(d: &mut Draw) -> Step {
    let key = d.key();
    if d.chance(2) {
        return step(vec![b"LREM".to_vec(), key, d.int_arg(-3, 3), element(d)]);
    }
    step(vec![
        b"LTRIM".to_vec(),
        key,
        d.int_arg(-10, 10),
        d.int_arg(-10, 10),
    ])
}

fn gen_lpos(d: &mut Draw) -> Step {
    let mut args = vec![b"LPOS".to_vec(), d.key(), element(d)];
    if d.chance(2) {
        args.extend([b"RANK".to_vec(), d.int_arg(-3, 3)]);
    }
    if d.chance(2) {
        args.extend([b"COUNT".to_vec(), d.int_arg(-1, 4)]);
    }
    if d.chance(3) {
        args.extend([b"MAXLEN".to_vec(), d.int_arg(-1, 8)]);
    }
    if d.chance(20) {
        args.push(b"RANK".to_vec());
    }
    step(args)
}

fn gen_lmove(d: &mut Draw) -> Step {
    let ends = ["LEFT", "RIGHT", "left", "UP"];
    match d.rng.u8(..3) {
        0 => {
            let (from, to) = (d.pick(&ends), d.pick(&ends));
            step(vec![
                b"LMOVE".to_vec(),
                d.key(),
                d.key(),
                from.into(),
                to.into(),
            ])
        }
        1 => step(vec![b"RPOPLPUSH".to_vec(), d.key(), d.key()]),
        _ => {
            let n = 1 + d.rng.usize(..3);
            let mut args = vec![b"LMPOP".to_vec(), num(n as i64)];
            args.extend((0..n).map(|_| d.key()));
            args.push(d.pick(&ends).into());
            if d.chance(2) {
                args.extend([b"COUNT".to_vec(), d.int_arg(0, 5)]);
            }
            step(args)
        }
    }
}

/// Blocking pops with a 10 ms timeout: served at once when a key holds a
/// list, a null array from both servers otherwise.
fn gen_blocking_pop(d: &mut Draw) -> Step {
    let timeout = b"0.01".to_vec();
    match d.rng.u8(..4) {
        0 => step(vec![b"BLPOP".to_vec(), d.key(), d.key(), timeout]),
        1 => step(vec![b"BRPOP".to_vec(), d.key(), timeout]),
        2 => step(vec![
            b"BLMOVE".to_vec(),
            d.key(),
            d.key(),
            d.pick(&["LEFT", "RIGHT"]).into(),
            d.pick(&["LEFT", "RIGHT"]).into(),
            timeout,
        ]),
        _ => step(vec![
            b"BLMPOP".to_vec(),
            timeout,
            b"2".to_vec(),
            d.key(),
            d.key(),
            d.pick(&["LEFT", "RIGHT"]).into(),
            b"COUNT".to_vec(),
            d.int(1, 3),
        ]),
    }
}

/// List commands (`t_list.c`). Lodestone runs with small quicklist nodes
/// and compression so that node splits, merges and compressed nodes are
/// exercised by the same replies.
const LIST_FAMILY: &[Weighted] = &[
    (6, gen_lpush),
    (3, gen_lpop),
    (4, gen_lread),
    (2, gen_lset_linsert),
    (2, gen_lrem_ltrim),
    (2, gen_lpos),
    (2, gen_lmove),
    (1, gen_blocking_pop),
];

/// Every family the test draws from.
const FAMILIES: &[&[Weighted]] = &[
    STRING_FAMILY,
    GENERIC_FAMILY,
    HASH_FAMILY,
    SET_FAMILY,
    ZSET_FAMILY,
    LIST_FAMILY,
];

fn draw_step(d: &mut Draw) -> Step {
    let total: u32 = FAMILIES.iter().flat_map(|f| f.iter()).map(|(w, _)| w).sum();
    let mut pick = d.rng.u32(..total);
    for (weight, generator) in FAMILIES.iter().flat_map(|f| f.iter()) {
        if pick < *weight {
            return generator(d);
        }
        pick -= weight;
    }
    unreachable!("weights cover every pick")
}

fn show(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn null_or_bulk(raw: &[u8]) -> &'static str {
    match frame::parse(raw) {
        Ok(Some((Frame::Null, _))) => "null",
        Ok(Some((Frame::Bulk(_), _))) => "bulk",
        _ => "other",
    }
}

/// Runs `steps` random commands from `seed` on a fresh pair of servers.
fn run(seed: u64, steps: usize, resp3: bool) {
    // Sets as in the 7.0 oracle, which has no listpack sets (see MEMBERS).
    let extra = [
        "--set-max-listpack-entries",
        "0",
        "--list-max-listpack-size",
        "4",
        "--list-compress-depth",
        "1",
    ];
    let Some(Pair {
        mut ours,
        mut oracle,
        lodestone: _lodestone,
        redis: _redis,
    }) = start_pair(&extra, resp3)
    else {
        return;
    };
    eprintln!(
        "differential_random: seed {seed}, {steps} steps, RESP{}",
        if resp3 { 3 } else { 2 }
    );
    let mut d = Draw {
        rng: fastrand::Rng::with_seed(seed),
    };
    let mut history: Vec<String> = Vec::new();
    for i in 0..steps {
        let s = draw_step(&mut d);
        history.push(show(&s.args));
        let what = || {
            let recent = history[history.len().saturating_sub(15)..].join("\n  ");
            format!(
                "seed {seed} (RESP{}) step {i}: {}\nrecent commands:\n  {recent}",
                if resp3 { 3 } else { 2 },
                show(&s.args)
            )
        };
        match s.check {
            Check::Reply(mode) => {
                // Formatting the history costs more than the command: only
                // build it when this step fails.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    assert_same_reply(&mut ours, &mut oracle, mode, &s.args, "step")
                }));
                if let Err(e) = result {
                    eprintln!("{}", what());
                    std::panic::resume_unwind(e);
                }
            }
            Check::NullOrBulk => {
                let refs: Vec<&[u8]> = s.args.iter().map(Vec::as_slice).collect();
                let a = ours.cmd_bytes(&refs);
                let b = oracle.cmd_bytes(&refs);
                assert_eq!(null_or_bulk(&a), null_or_bulk(&b), "{}", what());
            }
            Check::Encoding => {
                let refs: Vec<&[u8]> = s.args.iter().map(Vec::as_slice).collect();
                let a = ours.cmd_bytes(&refs);
                let b = oracle.cmd_bytes(&refs);
                let small_list = a == b"$8\r\nlistpack\r\n"
                    && b == b"$9\r\nquicklist\r\n"
                    && ours.cmd_bytes(&[b"TYPE", refs[2]]) == b"+list\r\n";
                assert!(
                    a == b || small_list,
                    "{}: {:?} against {:?}",
                    what(),
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b)
                );
            }
        }
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_string_and_generic_commands_match_redis() {
    let seed = env_or("LODESTONE_DIFF_SEED", 0x10de_5eed_u64);
    let steps = env_or("LODESTONE_DIFF_STEPS", 5000usize);
    run(seed, steps, false);
    run(seed.wrapping_add(1), steps, true);
}
