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

use common::{assert_same_reply, start_lodestone, start_redis, Compare, Conn};
use lodestone_protocol::frame::{self, Frame};

/// How a step's replies are checked.
enum Check {
    /// Compared as the common harness does.
    Reply(Compare),
    /// Both null or both a bulk string (RANDOMKEY: the key itself differs).
    NullOrBulk,
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
    step(vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), d.key()])
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

/// Every family the test draws from.
const FAMILIES: &[&[Weighted]] = &[STRING_FAMILY, GENERIC_FAMILY];

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
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let server = start_lodestone(&[]);
    let mut ours = Conn::connect(server.port);
    let mut oracle = Conn::connect(redis.port);
    if resp3 {
        ours.cmd(&["HELLO", "3"]);
        oracle.cmd(&["HELLO", "3"]);
    }
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
