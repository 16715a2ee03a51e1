//! Streams in the RDB format, end to end: DUMP payloads and dump.rdb files
//! written by redis-server 7.0 load here with identical contents; SAVE,
//! DEBUG RELOAD and a restart keep every stream as it was; with
//! `REDIS72_SERVER` pointing at a Redis 7.2 binary, DUMP payloads are
//! Redis 7.2's bytes and Lodestone's dump.rdb loads into Redis 7.2 with
//! identical contents.

mod common;

use common::in_dir::{self, scratch, Proc};
use common::Conn;
use lodestone_protocol::frame::{self, Frame};
use std::path::Path;
use std::time::Duration;

/// A server of `bin` in `dir` (see `common::in_dir`), returned once it
/// answers PING: a data set it loads at startup is in memory by then.
fn spawn(bin: &str, dir: &Path, extra: &[&str]) -> Proc {
    let p = in_dir::spawn(bin, dir, extra);
    in_dir::wait_loaded(&mut Conn::connect(p.port));
    p
}

fn lodestone(dir: &Path) -> Proc {
    spawn(env!("CARGO_BIN_EXE_lodestone-server"), dir, &[])
}

/// redis-server 7.0 (what CI installs), or `None` with a printed reason.
fn redis70() -> Option<&'static str> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if bin.is_none() {
        eprintln!("SKIPPED: redis-server is not installed");
    }
    bin
}

/// The Redis 7.2 binary `REDIS72_SERVER` names, or `None` with a printed
/// reason.
fn redis72() -> Option<String> {
    match std::env::var("REDIS72_SERVER") {
        Ok(bin) if Path::new(&bin).exists() => Some(bin),
        _ => {
            eprintln!("SKIPPED: REDIS72_SERVER does not name a Redis 7.2 binary; 7.2 byte comparisons not run");
            None
        }
    }
}

fn call(c: &mut Conn, args: &[&[u8]]) -> Frame {
    let raw = c.cmd_bytes(args);
    frame::parse(&raw)
        .expect("valid reply")
        .expect("complete")
        .0
}

/// Runs a command that must succeed.
fn run(c: &mut Conn, args: &[&str]) -> Frame {
    let reply = c.cmd(args);
    assert!(
        !matches!(reply, Frame::Error(_)),
        "{args:?} failed: {reply:?}"
    );
    reply
}

fn dump(c: &mut Conn, key: &str) -> Vec<u8> {
    match call(c, &[b"DUMP", key.as_bytes()]) {
        Frame::Bulk(p) => p,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

fn restore(c: &mut Conn, key: &str, payload: &[u8]) {
    let reply = call(c, &[b"RESTORE", key.as_bytes(), b"0", payload, b"REPLACE"]);
    assert_eq!(reply, Frame::Simple(b"OK".to_vec()), "RESTORE {key}");
}

/// The streams [`build`] creates.
const KEYS: &[&str] = &[
    "plain",
    "blocks",
    "groups",
    "emptied",
    "tombstones",
    "created",
    "123",
    "lowered",
];

/// Builds streams covering the encoding with explicit IDs: tombstones,
/// many blocks with shared and own fields and compressible values, exact
/// and approximate trimming, an emptied stream with a raised last ID, a
/// block left with only tombstones, consumer groups with consumers,
/// pending entries (delivery times fixed by XCLAIM TIME), read counters
/// known and unknown, an empty stream made by XGROUP CREATE MKSTREAM,
/// names that RDB writes as integers, and an entry appended behind a
/// larger deleted one after XSETID lowered the last ID.
fn build(c: &mut Conn) {
    run(c, &["CONFIG", "SET", "stream-node-max-entries", "4"]);
    for (id, fields) in [
        ("1-1", ["a", "1", "b", "hello"]),
        ("1-2", ["a", "2", "b", "x"]),
        ("5-0", ["c", "300", "d", ""]),
        ("5-1", ["a", "-7", "b", "y"]),
    ] {
        let mut args = vec!["XADD", "plain", id];
        args.extend(fields);
        run(c, &args);
    }
    run(c, &["XDEL", "plain", "1-2"]);

    let long = "stream-value-".repeat(8);
    for i in 1..=60 {
        let id = format!("{}-{}", 1000 + i / 3, i % 3);
        let v = format!("{long}{i}");
        let n = i.to_string();
        if i % 7 == 0 {
            run(c, &["XADD", "blocks", &id, "other", &v]);
        } else {
            run(c, &["XADD", "blocks", &id, "f", &v, "n", &n]);
        }
    }
    run(c, &["XDEL", "blocks", "1003-0", "1010-1", "1020-0"]);
    run(c, &["XTRIM", "blocks", "MINID", "1002-1"]);
    run(c, &["XTRIM", "blocks", "MAXLEN", "~", "50"]);
    run(
        c,
        &["XADD", "blocks", "MAXLEN", "45", "2000-0", "f", "last"],
    );

    for i in 1..=12 {
        run(
            c,
            &["XADD", "groups", &format!("{i}-0"), "k", &i.to_string()],
        );
    }
    run(c, &["XGROUP", "CREATE", "groups", "readers", "0"]);
    run(c, &["XGROUP", "CREATE", "groups", "42", "$"]);
    run(
        c,
        &[
            "XGROUP",
            "CREATE",
            "groups",
            "late",
            "3-0",
            "ENTRIESREAD",
            "3",
        ],
    );
    run(
        c,
        &["XGROUP", "CREATECONSUMER", "groups", "late", "idle-one"],
    );
    for (consumer, count) in [("consumer-alice", "3"), ("consumer-bob", "4")] {
        run(
            c,
            &[
                "XREADGROUP",
                "GROUP",
                "readers",
                consumer,
                "COUNT",
                count,
                "STREAMS",
                "groups",
                ">",
            ],
        );
    }
    run(c, &["XACK", "groups", "readers", "2-0"]);
    for (i, id) in ["1-0", "3-0", "4-0", "5-0", "6-0", "7-0"]
        .iter()
        .enumerate()
    {
        let owner = if i % 2 == 0 {
            "consumer-alice"
        } else {
            "consumer-bob"
        };
        let time = (1_000_000 + i * 1000).to_string();
        run(
            c,
            &[
                "XCLAIM",
                "groups",
                "readers",
                owner,
                "0",
                id,
                "TIME",
                &time,
                "RETRYCOUNT",
                "7",
            ],
        );
    }
    run(
        c,
        &[
            "XCLAIM",
            "groups",
            "readers",
            "consumer-bob",
            "0",
            "10-0",
            "TIME",
            "5",
            "FORCE",
        ],
    );
    run(c, &["XDEL", "groups", "11-0"]);

    run(c, &["XADD", "emptied", "1-1", "a", "b"]);
    run(c, &["XDEL", "emptied", "1-1"]);
    run(c, &["XSETID", "emptied", "99-0", "ENTRIESADDED", "50"]);

    run(c, &["XADD", "tombstones", "1-1", "a", "b"]);
    run(c, &["XADD", "tombstones", "7-0", "a", "b"]);
    run(c, &["XDEL", "tombstones", "7-0"]);
    run(c, &["XTRIM", "tombstones", "MINID", "4-0"]);

    run(c, &["XGROUP", "CREATE", "created", "g", "$", "MKSTREAM"]);
    run(c, &["XADD", "123", "7-7", "456", "789"]);
    run(
        c,
        &["XGROUP", "CREATE", "123", "999", "0-0", "ENTRIESREAD", "0"],
    );

    run(c, &["XADD", "lowered", "1-1", "a", "b"]);
    run(c, &["XADD", "lowered", "7-0", "a", "b"]);
    run(c, &["XDEL", "lowered", "7-0"]);
    run(c, &["XSETID", "lowered", "7-0", "MAXDELETEDID", "0-1"]);
    run(c, &["XSETID", "lowered", "2-0"]);
    run(c, &["XADD", "lowered", "3-0", "c", "d"]);
    run(c, &["CONFIG", "SET", "stream-node-max-entries", "100"]);
}

/// Replaces each consumer's `active-time` pair in an XINFO STREAM FULL
/// reply by nothing, after checking it equals the seen time: what Redis
/// 7.2 shows for a stream written by 7.0 (which has no active time)
/// against what 7.0 shows.
fn without_active_time(f: Frame) -> Frame {
    let Frame::Array(items) = f else {
        return f;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut i = 0;
    while i < items.len() {
        if items[i] == Frame::Bulk(b"active-time".to_vec()) && i >= 2 {
            assert_eq!(items[i - 2], Frame::Bulk(b"seen-time".to_vec()));
            assert_eq!(items[i + 1], items[i - 1], "active time is the seen time");
            i += 2;
            continue;
        }
        out.push(without_active_time(items[i].clone()));
        i += 1;
    }
    Frame::Array(out)
}

/// Everything the commands show about the stream at `key` that does not
/// depend on the clock (XINFO CONSUMERS' idle times do): XINFO STREAM and
/// STREAM FULL, XINFO GROUPS, the entries both ways, XPENDING summary and
/// extended forms per group (without idle times), and the value's digest.
fn observe(c: &mut Conn, key: &str) -> Vec<Frame> {
    let mut out = vec![
        run(c, &["TYPE", key]),
        run(c, &["XLEN", key]),
        run(c, &["XINFO", "STREAM", key]),
        run(c, &["XINFO", "STREAM", key, "FULL", "COUNT", "0"]),
        run(c, &["XRANGE", key, "-", "+"]),
        run(c, &["XREVRANGE", key, "+", "-"]),
        run(c, &["DEBUG", "DIGEST-VALUE", key]),
    ];
    let groups = run(c, &["XINFO", "GROUPS", key]);
    out.push(groups.clone());
    let Frame::Array(groups) = groups else {
        panic!("XINFO GROUPS: {groups:?}");
    };
    for g in groups {
        let Frame::Array(fields) = g else {
            panic!("group: {g:?}");
        };
        let Frame::Bulk(name) = &fields[1] else {
            panic!("group name: {fields:?}");
        };
        let name = String::from_utf8_lossy(name).into_owned();
        out.push(run(c, &["XPENDING", key, &name]));
        out.push(without_idle(run(
            c,
            &["XPENDING", key, &name, "-", "+", "100"],
        )));
        for consumer in CONSUMERS {
            let pending = run(c, &["XPENDING", key, &name, "-", "+", "100", consumer]);
            out.push(without_idle(pending));
        }
    }
    out
}

/// An extended XPENDING reply with each entry's idle time (which the
/// clock moves; XINFO STREAM FULL shows the delivery times themselves)
/// left out.
fn without_idle(f: Frame) -> Frame {
    let Frame::Array(entries) = f else {
        panic!("XPENDING: {f:?}");
    };
    let entries = entries
        .into_iter()
        .map(|e| match e {
            Frame::Array(mut fields) if fields.len() == 4 => {
                fields.remove(2);
                Frame::Array(fields)
            }
            other => panic!("XPENDING entry: {other:?}"),
        })
        .collect();
    Frame::Array(entries)
}

fn observe_all(c: &mut Conn) -> Vec<Vec<Frame>> {
    KEYS.iter().map(|k| observe(c, k)).collect()
}

/// A reply as readable text.
fn show(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(" "))
        }
        other => format!("{other:?}"),
    }
}

/// Asserts two transcripts of [`observe_all`] agree, naming the first
/// key and observation that differ.
fn assert_same(ours: &[Vec<Frame>], theirs: &[Vec<Frame>], what: &str) {
    for (k, (o, t)) in ours.iter().zip(theirs).enumerate() {
        for (i, (a, b)) in o.iter().zip(t).enumerate() {
            assert!(
                a == b,
                "{what}: key {} observation {i}:\n ours:   {}\n theirs: {}",
                KEYS[k],
                show(a),
                show(b)
            );
        }
        assert_eq!(o.len(), t.len(), "{what}: key {}", KEYS[k]);
    }
    assert_eq!(ours.len(), theirs.len());
}

/// The same transcripts with active times dropped (see
/// [`without_active_time`]).
fn as_70(t: Vec<Vec<Frame>>) -> Vec<Vec<Frame>> {
    t.into_iter()
        .map(|frames| frames.into_iter().map(without_active_time).collect())
        .collect()
}

/// Writes that exercise a loaded stream: appends, acks, deletions, group
/// moves. None of them touches a consumer's times.
fn more_writes(c: &mut Conn) {
    run(c, &["XADD", "plain", "9-0", "a", "9"]);
    run(c, &["XADD", "groups", "13-0", "k", "13"]);
    run(c, &["XACK", "groups", "readers", "1-0", "4-0"]);
    run(c, &["XDEL", "blocks", "1030-0"]);
    run(c, &["XGROUP", "SETID", "groups", "late", "12-0"]);
    run(c, &["XADD", "emptied", "100-0", "x", "y"]);
    run(c, &["XADD", "tombstones", "8-0", "x", "y"]);
    run(c, &["XTRIM", "blocks", "MAXLEN", "20"]);
    run(c, &["XDEL", "lowered", "3-0"]);
    run(c, &["XADD", "lowered", "4-0", "e", "f"]);
}

/// A DUMP payload of every stream made by redis-server 7.0 (type 19)
/// RESTOREs here with identical contents, and later writes keep them
/// identical.
#[test]
fn redis70_payloads_restore_identically() {
    let Some(bin) = redis70() else {
        return;
    };
    let (rdir, ldir) = (scratch("r70"), scratch("l"));
    let redis = spawn(bin, &rdir, &[]);
    let ours = lodestone(&ldir);
    let mut r = Conn::connect(redis.port);
    let mut c = Conn::connect(ours.port);
    build(&mut r);
    for key in KEYS {
        let payload = dump(&mut r, key);
        assert_eq!(payload[0], 19, "Redis 7.0 writes STREAM_LISTPACKS_2");
        restore(&mut c, key, &payload);
    }
    assert_same(
        &as_70(observe_all(&mut c)),
        &observe_all(&mut r),
        "restored",
    );
    more_writes(&mut r);
    more_writes(&mut c);
    assert_same(&as_70(observe_all(&mut c)), &observe_all(&mut r), "written");
    for d in [rdir, ldir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A dump.rdb with streams written by redis-server 7.0 loads here with
/// identical contents.
#[test]
fn redis70_rdb_file_loads_identically() {
    let Some(bin) = redis70() else {
        return;
    };
    let dir = scratch("r70-file");
    let redis = spawn(bin, &dir, &[]);
    let mut r = Conn::connect(redis.port);
    build(&mut r);
    let theirs = observe_all(&mut r);
    let digest = run(&mut r, &["DEBUG", "DIGEST"]);
    run(&mut r, &["SAVE"]);
    drop(r);
    drop(redis);
    let ours = lodestone(&dir);
    let mut c = Conn::connect(ours.port);
    assert_same(&as_70(observe_all(&mut c)), &theirs, "loaded");
    assert_eq!(run(&mut c, &["DEBUG", "DIGEST"]), digest);
    let _ = std::fs::remove_dir_all(&dir);
}

/// SAVE and a restart, DEBUG RELOAD and BGSAVE keep every stream as it was,
/// down to the DUMP bytes.
#[test]
fn save_reload_and_restart_keep_streams() {
    let dir = scratch("restart");
    let server = lodestone(&dir);
    let mut c = Conn::connect(server.port);
    build(&mut c);
    let before = observe_all(&mut c);
    let payloads: Vec<Vec<u8>> = KEYS.iter().map(|k| dump(&mut c, k)).collect();
    assert_eq!(
        run(&mut c, &["DEBUG", "RELOAD"]),
        Frame::Simple(b"OK".to_vec())
    );
    assert_same(&observe_all(&mut c), &before, "DEBUG RELOAD");
    run(&mut c, &["BGSAVE"]);
    for _ in 0..500 {
        let Frame::Bulk(info) = run(&mut c, &["INFO", "persistence"]) else {
            panic!("INFO");
        };
        let info = String::from_utf8_lossy(&info).into_owned();
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(c);
    drop(server);
    let server = lodestone(&dir);
    let mut c = Conn::connect(server.port);
    assert_same(&observe_all(&mut c), &before, "restart");
    let again: Vec<Vec<u8>> = KEYS.iter().map(|k| dump(&mut c, k)).collect();
    assert_eq!(again, payloads);
    more_writes(&mut c);
    let after = observe_all(&mut c);
    run(&mut c, &["SAVE"]);
    drop(c);
    drop(server);
    let server = lodestone(&dir);
    let mut c = Conn::connect(server.port);
    assert_same(&observe_all(&mut c), &after, "second restart");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Names of the consumers [`build`] creates.
const CONSUMERS: &[&str] = &["consumer-alice", "consumer-bob", "idle-one"];

/// The payload with each consumer's seen and active times (the 16 bytes
/// after its name, which the clock sets) and the CRC zeroed: what two
/// servers that built the same stream at different times must agree on.
fn without_clock(payload: &[u8]) -> Vec<u8> {
    let mut p = payload.to_vec();
    for name in CONSUMERS {
        let mut needle = vec![name.len() as u8];
        needle.extend_from_slice(name.as_bytes());
        let mut from = 0;
        while let Some(at) = p[from..].windows(needle.len()).position(|w| w == needle) {
            let start = from + at + needle.len();
            p[start..start + 16].fill(0);
            from = start + 16;
        }
    }
    let n = p.len();
    p[n - 8..].fill(0);
    p
}

/// With Redis 7.2: the same commands give byte-identical DUMP payloads
/// (but for the clock), Redis 7.2's payloads come back from a RESTORE
/// here byte for byte and ours load there identically, and Lodestone's
/// dump.rdb loads into Redis 7.2 with identical contents.
#[test]
fn redis72_payloads_and_files_are_interchangeable() {
    let Some(bin) = redis72() else {
        return;
    };
    let (rdir, ldir) = (scratch("r72"), scratch("l72"));
    let redis = spawn(&bin, &rdir, &[]);
    let ours = lodestone(&ldir);
    let mut r = Conn::connect(redis.port);
    let mut c = Conn::connect(ours.port);
    build(&mut r);
    build(&mut c);
    for compression in ["yes", "no"] {
        run(&mut r, &["CONFIG", "SET", "rdbcompression", compression]);
        run(&mut c, &["CONFIG", "SET", "rdbcompression", compression]);
        for key in KEYS {
            let (theirs, mine) = (dump(&mut r, key), dump(&mut c, key));
            assert_eq!(theirs[0], 21);
            assert_eq!(without_clock(&mine), without_clock(&theirs), "DUMP {key}");
        }
    }
    // Times apart, both hold the same: Redis's payloads make ours equal.
    for key in KEYS {
        let theirs = dump(&mut r, key);
        restore(&mut c, key, &theirs);
        assert_eq!(dump(&mut c, key), theirs, "RESTORE then DUMP of {key}");
    }
    let theirs = observe_all(&mut r);
    assert_same(&observe_all(&mut c), &theirs, "restored");
    more_writes(&mut r);
    more_writes(&mut c);
    let theirs = observe_all(&mut r);
    assert_same(&observe_all(&mut c), &theirs, "written");
    for key in KEYS {
        let mine = dump(&mut c, key);
        assert_eq!(mine, dump(&mut r, key), "DUMP {key} after the same writes");
        restore(&mut r, key, &mine);
    }
    assert_same(&observe_all(&mut r), &theirs, "ours restored in 7.2");

    // Our dump.rdb in Redis 7.2.
    let digest = run(&mut c, &["DEBUG", "DIGEST"]);
    run(&mut c, &["SAVE"]);
    drop((r, redis));
    let redis = spawn(&bin, &ldir, &[]);
    let mut r = Conn::connect(redis.port);
    assert_same(&observe_all(&mut r), &theirs, "our file in 7.2");
    assert_eq!(run(&mut r, &["DEBUG", "DIGEST"]), digest);
    drop((c, ours));
    for d in [rdir, ldir] {
        let _ = std::fs::remove_dir_all(d);
    }
}
