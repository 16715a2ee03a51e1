//! HyperLogLog commands, differentially against redis-server: PFADD,
//! PFCOUNT (one key and several), PFMERGE, PFDEBUG and PFSELFTEST, the
//! exact bytes of sparse and dense HLL strings (GET), HLL strings carried
//! from one server to the other with SET, corrupted strings, the cached
//! cardinality, WATCH and keyspace events, and a seeded random sequence.
//!
//! Reproduce a failure of the random test with the printed seed:
//! `LODESTONE_HLL_SEED=<seed> cargo test -p lodestone-server --test hyperloglog`
//! (`LODESTONE_HLL_STEPS` changes the number of commands).

mod common;

use common::{differential_script, start_lodestone, start_redis, Conn, ServerProcess};
use lodestone_protocol::frame::Frame;

/// A Lodestone and a redis-server with one connection to each.
struct Pair {
    ours: Conn,
    oracle: Conn,
    _servers: (ServerProcess, ServerProcess),
}

/// Starts both servers, or `None` (with a printed SKIPPED reason) when
/// redis-server is not installed.
fn pair() -> Option<Pair> {
    let redis = start_redis(&[])?;
    let ours = start_lodestone(&[]);
    Some(Pair {
        ours: Conn::connect(ours.port),
        oracle: Conn::connect(redis.port),
        _servers: (ours, redis),
    })
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Pair {
    /// Runs one command on both servers, asserts identical reply bytes and
    /// returns them.
    fn same(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let a = self.ours.cmd_bytes(args);
        let b = self.oracle.cmd_bytes(args);
        if a != b {
            let cmd: Vec<String> = args.iter().map(|a| show(&a[..a.len().min(60)])).collect();
            panic!(
                "reply differs for {cmd:?}:\n  ours:  {:?}\n  redis: {:?}",
                show(&a[..a.len().min(300)]),
                show(&b[..b.len().min(300)])
            );
        }
        a
    }

    /// [`Pair::same`] with text arguments.
    fn same_str(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.same(&args)
    }

    /// The value of `key` on redis-server (a bulk reply's payload).
    fn oracle_get(&mut self, key: &str) -> Vec<u8> {
        match self.oracle.cmd(&["GET", key]) {
            Frame::Bulk(b) => b,
            other => panic!("GET {key} on redis-server: {other:?}"),
        }
    }

    /// The value of `key` on Lodestone.
    fn ours_get(&mut self, key: &str) -> Vec<u8> {
        match self.ours.cmd(&["GET", key]) {
            Frame::Bulk(b) => b,
            other => panic!("GET {key} on Lodestone: {other:?}"),
        }
    }

    /// SET of raw bytes on both servers.
    fn set_both(&mut self, key: &str, value: &[u8]) {
        self.same(&[b"SET", key.as_bytes(), value]);
    }

    /// Runs the commands that read or change an HLL on `key` (and `dest`)
    /// on both servers, comparing every reply and the bytes left behind.
    fn exercise(&mut self, key: &str, dest: &str) {
        self.same_str(&["PFCOUNT", key]);
        self.same_str(&["GET", key]);
        self.same_str(&["PFCOUNT", key, "missing-key"]);
        self.same_str(&["PFDEBUG", "ENCODING", key]);
        self.same_str(&["PFDEBUG", "DECODE", key]);
        self.same_str(&["PFMERGE", dest, key]);
        self.same_str(&["GET", dest]);
        let elements: Vec<String> = (0..300).map(|i| format!("x{i}")).collect();
        let mut pfadd: Vec<&str> = vec!["PFADD", key];
        pfadd.extend(elements.iter().map(String::as_str));
        self.same_str(&pfadd);
        self.same_str(&["GET", key]);
        self.same_str(&["PFCOUNT", key]);
        self.same_str(&["PFDEBUG", "TODENSE", key]);
        self.same_str(&["PFDEBUG", "GETREG", key]);
        self.same_str(&["GET", key]);
    }
}

/// `n` distinct elements starting at `from`, as PFADD arguments.
fn elements(from: u32, n: u32) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| i.to_string().into_bytes())
        .collect()
}

/// `PFADD key elements...` on both servers.
fn pfadd_both(p: &mut Pair, key: &str, elements: &[Vec<u8>]) -> Vec<u8> {
    let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
    args.extend(elements.iter().map(Vec::as_slice));
    p.same(&args)
}

/// A 16-byte header: magic, `encoding`, and a cached cardinality that is
/// valid with value `card` or stale.
fn header(encoding: u8, card: Option<u64>) -> Vec<u8> {
    let mut h = b"HYLL".to_vec();
    h.extend_from_slice(&[encoding, 0, 0, 0]);
    match card {
        Some(c) => h.extend_from_slice(&c.to_le_bytes()),
        None => h.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x80]),
    }
    h
}

/// A dense HLL with every register at `value`.
fn dense_all(value: u8) -> Vec<u8> {
    let mut out = header(0, None);
    let mut acc = 0u32;
    let mut bits = 0;
    for _ in 0..16384 {
        acc |= (value as u32) << bits;
        bits += 6;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    out
}

#[test]
fn commands_match_redis() {
    differential_script(
        r#"
        PFADD hll
        EXISTS hll
        GET hll
        PFCOUNT hll
        PFADD hll a b c
        PFADD hll a b c
        PFADD hll ""
        GET hll
        OBJECT ENCODING hll
        PFCOUNT hll
        GET hll
        PFADD hll 1 2 3 4 5 6 7 8 8 9 10
        GETRANGE hll 15 15
        PFCOUNT hll
        GETRANGE hll 8 15
        PFCOUNT missing
        PFCOUNT missing1 missing2
        PFCOUNT hll missing
        PFADD other a x y z
        PFCOUNT hll other
        GET hll
        GET other
        PFMERGE dest hll other
        GET dest
        PFCOUNT dest
        PFMERGE dest
        PFMERGE newdest
        GET newdest
        PFMERGE newdest2 nokey1 nokey2
        EXISTS newdest2
        PFCOUNT newdest2
        PFDEBUG ENCODING hll
        PFDEBUG DECODE hll
        PFDEBUG encoding hll
        PFDEBUG TODENSE hll
        PFDEBUG TODENSE hll
        PFDEBUG ENCODING hll
        PFDEBUG DECODE hll
        GET hll
        PFCOUNT hll
        PFADD hll more elements here
        PFCOUNT hll
        GET hll
        PFMERGE dest hll
        PFDEBUG ENCODING dest
        GET dest
        PFCOUNT dest hll other
        PFDEBUG GETREG other
        PFDEBUG ENCODING other
        PFDEBUG NOPE hll
        PFDEBUG NOPE missing
        PFDEBUG GETREG missing
        PFADD
        PFCOUNT
        PFMERGE
        PFDEBUG ENCODING
        PFDEBUG a b c
        PFSELFTEST extra
        # Wrong types: other types, and strings that are not HLLs.
        SET str bar
        PFADD str x
        PFCOUNT str
        PFCOUNT hll str
        PFCOUNT str hll
        PFMERGE str hll
        PFMERGE hll str
        PFDEBUG ENCODING str
        SET int 12345
        PFADD int a
        PFCOUNT int
        LPUSH list a
        PFADD list a
        PFCOUNT list
        PFCOUNT hll list
        PFMERGE list
        PFMERGE hll list
        PFDEBUG ENCODING list
        # An HLL short enough to be embstr becomes raw once PFCOUNT touches it.
        SET emb "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
        OBJECT ENCODING emb
        PFCOUNT emb
        OBJECT ENCODING emb
        GET emb
        SET emb2 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
        PFADD emb2 a
        OBJECT ENCODING emb2
        # The cached cardinality is trusted while valid.
        SET cached "HYLL\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT cached
        PFCOUNT cached cached
        PFADD cached a
        PFCOUNT cached
        "#,
    );
}

#[test]
fn watch_and_cache_writes_match_redis() {
    differential_script(
        r#"
        PFADD w a
        PFCOUNT w
        WATCH w
        PFCOUNT w
        MULTI
        PING
        EXEC
        PFADD w b
        WATCH w
        PFCOUNT w
        MULTI
        PING
        EXEC
        PFADD w c
        WATCH w
        PFCOUNT w other
        MULTI
        PING
        EXEC
        WATCH w
        PFADD w c
        MULTI
        PING
        EXEC
        WATCH w
        PFMERGE w
        MULTI
        PING
        EXEC
        "#,
    );
}

#[test]
fn keyspace_events_match_redis() {
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let ours = start_lodestone(&[]);
    let mut events = Vec::new();
    for port in [ours.port, redis.port] {
        let mut c = Conn::connect(port);
        let mut sub = Conn::connect(port);
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        for cmd in [
            &["PFADD", "n1", "a"][..],
            &["PFADD", "n1", "a"],
            &["PFADD", "n1"],
            &["PFCOUNT", "n1"],
            &["PFCOUNT", "n1", "n2"],
            &["PFMERGE", "n2", "n1"],
            &["PFDEBUG", "TODENSE", "n1"],
            &["PFDEBUG", "GETREG", "n2"],
            &["SET", "marker", "x"],
        ] {
            c.cmd(cmd);
        }
        let mut got = Vec::new();
        loop {
            let f = sub.read();
            let done = f
                == Frame::Array(vec![
                    common::bulk("pmessage"),
                    common::bulk("__key*__:*"),
                    common::bulk("__keyevent@0__:set"),
                    common::bulk("marker"),
                ]);
            got.push(f);
            if done {
                break;
            }
        }
        events.push(got);
    }
    assert!(events[0].len() > 4, "events: {:?}", events[0]);
    assert_eq!(events[0], events[1]);
}

#[test]
fn estimates_and_bytes_match_redis_up_to_100000_elements() {
    let Some(mut p) = pair() else {
        return;
    };
    let mut added = 0;
    while added < 100_000 {
        // Small steps while sparse, so each sparse layout is compared.
        let batch = if added < 3000 { 37 } else { 1000 };
        pfadd_both(&mut p, "big", &elements(added, batch));
        added += batch;
        p.same_str(&["PFCOUNT", "big"]);
        p.same_str(&["PFDEBUG", "ENCODING", "big"]);
        if added < 3000 || added % 10_000 == 0 {
            p.same_str(&["GET", "big"]);
        }
    }
    // Overlapping sets: the union's estimate.
    for (from, n) in [(50_000, 100_000), (0, 10), (99_990, 20)] {
        let key = format!("part{from}");
        for chunk in elements(from, n).chunks(1000) {
            pfadd_both(&mut p, &key, chunk);
        }
        p.same_str(&["PFCOUNT", "big", &key]);
        p.same_str(&["PFMERGE", &format!("merged{from}"), &key, "big"]);
        p.same_str(&["GET", &format!("merged{from}")]);
        p.same_str(&["PFCOUNT", &format!("merged{from}")]);
    }
    let card = p.ours.cmd(&["PFCOUNT", "big"]);
    let Frame::Integer(n) = card else {
        panic!("PFCOUNT big: {card:?}");
    };
    assert!((n - 100_000).abs() < 2000, "estimate {n}");
}

#[test]
fn hll_strings_move_between_servers() {
    let Some(mut p) = pair() else {
        return;
    };
    // Written by redis-server, used by both.
    for (key, n) in [("r-sparse", 40), ("r-dense", 5000), ("r-edge", 700)] {
        for chunk in elements(1_000_000, n).chunks(500) {
            let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
            args.extend(chunk.iter().map(Vec::as_slice));
            p.oracle.cmd_bytes(&args);
        }
        let bytes = p.oracle_get(key);
        p.set_both(key, &bytes);
        p.exercise(key, &format!("{key}-dest"));
    }
    // Written by Lodestone, used by both.
    for (key, n) in [("l-sparse", 25), ("l-dense", 4000)] {
        let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
        let els = elements(2_000_000, n);
        args.extend(els.iter().map(Vec::as_slice));
        p.ours.cmd_bytes(&args);
        let bytes = p.ours_get(key);
        p.set_both(key, &bytes);
        p.exercise(key, &format!("{key}-dest"));
    }
    // Merging a sparse and a dense HLL, in both orders, into new and
    // existing destinations.
    p.same_str(&["PFMERGE", "m1", "r-sparse", "l-dense"]);
    p.same_str(&["PFMERGE", "m2", "l-dense", "r-sparse"]);
    p.same_str(&["PFMERGE", "r-sparse", "l-sparse"]);
    p.same_str(&["PFMERGE", "l-sparse", "r-dense"]);
    for key in ["m1", "m2", "r-sparse", "l-sparse"] {
        p.same_str(&["GET", key]);
        p.same_str(&["PFCOUNT", key]);
        p.same_str(&["PFDEBUG", "ENCODING", key]);
    }
}

#[test]
fn sparse_limit_follows_config() {
    let Some(mut p) = pair() else {
        return;
    };
    for max in ["0", "30", "100", "500", "3000", "20000"] {
        p.same_str(&["CONFIG", "SET", "hll-sparse-max-bytes", max]);
        p.same_str(&["DEL", "h"]);
        p.same_str(&["PFADD", "h"]);
        for step in 0..60 {
            pfadd_both(&mut p, "h", &elements(step * 10, 10));
            p.same_str(&["PFDEBUG", "ENCODING", "h"]);
            p.same_str(&["STRLEN", "h"]);
            p.same_str(&["GET", "h"]);
        }
        p.same_str(&["PFCOUNT", "h"]);
        p.same_str(&["PFMERGE", "h2", "h"]);
        p.same_str(&["GET", "h2"]);
    }
    p.same_str(&["CONFIG", "GET", "hll-sparse-max-bytes"]);
}

#[test]
fn corrupted_hlls_give_redis_errors() {
    let Some(mut p) = pair() else {
        return;
    };
    pfadd_both(&mut p, "good", &elements(0, 3));
    let good = p.oracle_get("good");
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    cases.push(("short", b"HYL".to_vec()));
    cases.push(("header-only-15", header(1, Some(0))[..15].to_vec()));
    cases.push(("header-only", header(1, None)));
    let mut magic = good.clone();
    magic[..4].copy_from_slice(b"0123");
    cases.push(("bad-magic", magic));
    let mut enc = good.clone();
    enc[4] = b'x';
    cases.push(("bad-encoding", enc));
    let mut dense_len = good.clone();
    dense_len[4] = 0;
    cases.push(("dense-wrong-length", dense_len));
    let mut tail = good.clone();
    tail.extend_from_slice(b"hello");
    cases.push(("extra-tail", tail));
    let mut truncated = good.clone();
    truncated.pop();
    cases.push(("truncated", truncated));
    // XZERO:16383 then VAL 1 x4: the run overflows the registers.
    let mut val_over = header(1, None);
    val_over.extend_from_slice(&[0x7f, 0xfe, 0x83]);
    cases.push(("val-overflow", val_over));
    // XZERO:16384 then ZERO:1.
    let mut zero_over = header(1, None);
    zero_over.extend_from_slice(&[0x7f, 0xff, 0x00]);
    cases.push(("zero-overflow", zero_over));
    // XZERO:16000 only.
    let mut short_runs = header(1, None);
    short_runs.extend_from_slice(&[0x7e, 0x7f]);
    cases.push(("runs-short", short_runs));
    // XZERO:16383 then an XZERO cut after its first byte.
    let mut cut = header(1, None);
    cut.extend_from_slice(&[0x7f, 0xfe, 0x40]);
    cases.push(("cut-xzero", cut));
    // Corrupt, but with a valid cached cardinality.
    let mut cached = good.clone();
    cached[8..16].copy_from_slice(&7u64.to_le_bytes());
    cached.extend_from_slice(b"junk");
    cases.push(("cached-corrupt", cached));
    // Registers beyond what the hash produces: the estimate overflows.
    cases.push(("dense-63", dense_all(63)));
    cases.push(("dense-51", dense_all(51)));
    cases.push(("dense-50", dense_all(50)));
    cases.push(("dense-20", dense_all(20)));
    for (key, bytes) in &cases {
        p.set_both(key, bytes);
        p.same_str(&["PFCOUNT", key]);
        p.same_str(&["PFCOUNT", key, "good"]);
        p.same_str(&["PFCOUNT", "good", key]);
        p.same_str(&["PFMERGE", "dest", key]);
        p.same_str(&["GET", "dest"]);
        p.same_str(&["PFMERGE", key, "good"]);
        p.same_str(&["GET", key]);
        p.same_str(&["PFADD", key, "a", "b", "c", "d", "e", "f", "g"]);
        p.same_str(&["GET", key]);
        p.same_str(&["PFCOUNT", key]);
        for sub in ["ENCODING", "DECODE", "TODENSE", "GETREG"] {
            p.same_str(&["PFDEBUG", sub, key]);
        }
        p.same_str(&["GET", key]);
        p.same_str(&["DEL", "dest"]);
    }
}

#[test]
fn huge_corrupt_runs_are_contained() {
    // Runs adding up to billions of registers: Redis 7.2.6 overflows an
    // int on these; Lodestone must simply report the corruption.
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut bytes = header(1, None);
    bytes.extend_from_slice(&[0x7f, 0xff].repeat(300_000));
    bytes.push(0x80 | (31 << 2) | 3);
    c.cmd_bytes(&[b"SET", b"huge", &bytes]);
    let corrupt = common::err("INVALIDOBJ Corrupted HLL object detected");
    assert_eq!(c.cmd(&["PFCOUNT", "huge"]), corrupt);
    assert_eq!(c.cmd(&["PFCOUNT", "huge", "huge"]), corrupt);
    assert_eq!(c.cmd(&["PFMERGE", "d", "huge"]), corrupt);
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", "huge"]), corrupt);
    assert_eq!(c.cmd(&["PFDEBUG", "GETREG", "huge"]), corrupt);
    // Splitting the first opcode would pass hll-sparse-max-bytes, and the
    // conversion to dense finds the corruption.
    assert_eq!(c.cmd(&["PFADD", "huge", "a"]), corrupt);
    // Within the limit, the first opcode (covering every register) is
    // updated in place, as Redis does, and the string stays corrupt.
    c.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "10000000"]);
    assert_eq!(c.cmd(&["PFADD", "huge", "a"]), Frame::Integer(1));
    assert_eq!(c.cmd(&["PFCOUNT", "huge"]), corrupt);
    // Random bytes after a sparse header.
    let mut rng = fastrand::Rng::with_seed(99);
    for _ in 0..50 {
        let mut junk = header(1, None);
        junk.extend((0..rng.usize(0..3000)).map(|_| rng.u8(..)));
        c.cmd_bytes(&[b"SET", b"junk", &junk]);
        c.cmd(&["PFADD", "junk", "a", "b", "c"]);
        c.cmd(&["PFCOUNT", "junk"]);
        c.cmd(&["PFCOUNT", "junk", "huge"]);
        c.cmd(&["PFDEBUG", "DECODE", "junk"]);
        c.cmd(&["PFDEBUG", "TODENSE", "junk"]);
    }
    assert_eq!(c.cmd(&["PING"]), common::simple("PONG"));
}

#[test]
fn selftest_passes() {
    let Some(mut p) = pair() else {
        return;
    };
    p.same_str(&["PFSELFTEST"]);
    p.same_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
    p.same_str(&["PFSELFTEST"]);
}

/// One random step of the random test.
fn random_step(rng: &mut fastrand::Rng) -> Vec<Vec<u8>> {
    const KEYS: &[&str] = &["h0", "h1", "h2", "h3", "str"];
    let key = |rng: &mut fastrand::Rng| KEYS[rng.usize(..KEYS.len())].as_bytes().to_vec();
    let words = |w: &[&str]| -> Vec<Vec<u8>> { w.iter().map(|s| s.as_bytes().to_vec()).collect() };
    match rng.u32(..100) {
        0..=39 => {
            let mut args = vec![b"PFADD".to_vec(), key(rng)];
            let n = if rng.u32(..10) == 0 {
                rng.u32(..400)
            } else {
                rng.u32(..12)
            };
            args.extend((0..n).map(|_| rng.u32(..30_000).to_string().into_bytes()));
            args
        }
        40..=54 => {
            let mut args = vec![b"PFCOUNT".to_vec(), key(rng)];
            args.extend((0..rng.usize(..3)).map(|_| key(rng)));
            args
        }
        55..=64 => {
            let mut args = vec![b"PFMERGE".to_vec(), key(rng)];
            args.extend((0..rng.usize(..3)).map(|_| key(rng)));
            args
        }
        65..=76 => vec![b"GET".to_vec(), key(rng)],
        77..=80 => {
            let sub = ["ENCODING", "DECODE", "TODENSE", "GETREG"][rng.usize(..4)];
            vec![b"PFDEBUG".to_vec(), sub.into(), key(rng)]
        }
        81..=83 => {
            // Corrupt one byte: in the header and first opcodes, or
            // anywhere up to the end of a dense HLL.
            let limit = if rng.bool() { 40 } else { 12_304 };
            let offset = rng.usize(..limit).to_string().into_bytes();
            vec![b"SETRANGE".to_vec(), key(rng), offset, vec![rng.u8(..)]]
        }
        84 => vec![b"APPEND".to_vec(), key(rng), vec![rng.u8(..)]],
        85..=88 => vec![b"DEL".to_vec(), key(rng)],
        89 => {
            let max = ["0", "50", "200", "3000"][rng.usize(..4)];
            words(&["CONFIG", "SET", "hll-sparse-max-bytes", max])
        }
        90 => words(&["SET", "str", "plain"]),
        91 => words(&["LPUSH", "h3", "x"]),
        92..=95 => vec![b"STRLEN".to_vec(), key(rng)],
        _ => vec![
            b"GETRANGE".to_vec(),
            key(rng),
            b"0".to_vec(),
            b"15".to_vec(),
        ],
    }
}

#[test]
fn random_sequences_match_redis() {
    let seed = std::env::var("LODESTONE_HLL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0411_u64);
    let Some(mut p) = pair() else {
        return;
    };
    eprintln!("random HLL test seed: {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    // Replies that show the interesting paths were taken.
    let markers: [&[u8]; 4] = [
        b"-INVALIDOBJ",
        b"-WRONGTYPE Key is not a valid",
        b"+dense",
        b"+sparse",
    ];
    let mut seen = [0usize; 4];
    let steps = std::env::var("LODESTONE_HLL_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    for n in 0..steps {
        let args = random_step(&mut rng);
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let a = p.ours.cmd_bytes(&refs);
        let b = p.oracle.cmd_bytes(&refs);
        assert!(
            a == b,
            "seed {seed}, step {n}: reply differs for {:?}\n  ours:  {:?}\n  redis: {:?}",
            args.iter().map(|a| show(a)).collect::<Vec<_>>(),
            show(&a[..a.len().min(300)]),
            show(&b[..b.len().min(300)])
        );
        for (count, marker) in seen.iter_mut().zip(markers) {
            *count += a.starts_with(marker) as usize;
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "paths not exercised: {seen:?}");
}
