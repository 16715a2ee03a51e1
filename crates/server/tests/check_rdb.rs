//! `lodestone-check-rdb`: a sound file, a truncated one, one with a
//! flipped byte (checksum) and one with a corrupt value in the middle.
//! When REDIS72_SERVER points to a Redis 7.2 build, its `redis-check-rdb`
//! (next to it) must print the same report, byte for byte, except the
//! wording of a corrupt value's reason.

mod common;

use common::{start_lodestone, Conn};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file with every type, a key with a TTL and a function library.
fn sample_rdb(dir: &Path) -> PathBuf {
    // Uncompressed, so that the test finds the bytes it damages.
    let server = start_lodestone(&["--rdbcompression", "no"]);
    let mut c = Conn::connect(server.port);
    let cmds: &[&[&str]] = &[
        &["SET", "s", "hello world, a string long enough to read"],
        &["SET", "n", "12345"],
        &["SET", "ttl", "v", "PX", "100000000"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f1", "v1", "f2", "v2"],
        &["SADD", "si", "1", "2", "3"],
        &["SADD", "ss", "a", "b"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["SELECT", "3"],
        &["SET", "other-db", "x"],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=lib\nredis.register_function('f', function() return 1 end)",
        ],
        &["SAVE"],
    ];
    for cmd in cmds {
        c.cmd(cmd);
    }
    let target = dir.join("sample.rdb");
    std::fs::copy(server.dir.join("dump.rdb"), &target).expect("copy");
    target
}

/// Runs `bin` on `file` (named as given, from `dir`): output and success.
fn run(bin: &Path, dir: &Path, file: &str) -> (String, bool) {
    let out = Command::new(bin)
        .arg(file)
        .current_dir(dir)
        .output()
        .expect("run checker");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.success(),
    )
}

/// Redis 7.2's checker, when REDIS72_SERVER names its server.
fn redis_checker() -> Option<PathBuf> {
    let Some(server) = std::env::var_os("REDIS72_SERVER") else {
        eprintln!("SKIPPED: REDIS72_SERVER is not set; redis-check-rdb comparison not run");
        return None;
    };
    let checker = Path::new(&server).with_file_name("redis-check-rdb");
    if !checker.exists() {
        eprintln!("SKIPPED: no {}; comparison not run", checker.display());
        return None;
    }
    Some(checker)
}

/// The position just after the first occurrence of `needle`.
fn after(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in file")
        + needle.len()
}

#[test]
fn check_rdb_reports_like_redis_check_rdb() {
    let dir = std::env::temp_dir().join(format!(
        "lodestone-check-rdb-{}-{}",
        std::process::id(),
        common::free_port()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let good = std::fs::read(sample_rdb(&dir)).expect("read");
    let ours = Path::new(env!("CARGO_BIN_EXE_lodestone-check-rdb"));
    let theirs = redis_checker();

    // The sound file.
    let (text, ok) = run(ours, &dir, "sample.rdb");
    assert!(ok, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "[offset 0] Checking RDB file sample.rdb");
    assert!(lines[1].starts_with("[offset 26] AUX FIELD redis-ver = '"));
    assert!(text.contains("] Selecting DB ID 3\n"));
    let end = good.len();
    assert!(text.contains(&format!("[offset {end}] Checksum OK\n")));
    assert!(text.ends_with(&format!(
        "[offset {end}] \\o/ RDB looks OK! \\o/\n[info] 9 keys read\n[info] 1 expires\n[info] 0 already expired\n"
    )));

    // Cut in the list's value (type 18, key "l"; then the node count,
    // the node's container and the length of its listpack).
    let cut = after(&good, b"\x12\x01l") + 3;
    std::fs::write(dir.join("cut.rdb"), &good[..cut]).expect("write");
    let (cut_text, ok) = run(ours, &dir, "cut.rdb");
    assert!(!ok);
    assert!(cut_text.contains("--- RDB ERROR DETECTED ---\n"));
    assert!(
        cut_text.contains("] Unexpected EOF reading RDB file\n"),
        "{cut_text}"
    );
    assert!(cut_text.contains("[additional info] While doing: read-object-value\n"));
    assert!(cut_text.contains("[additional info] Reading key 'l'\n"));

    // A flipped bit in a string's bytes: only the checksum notices.
    let mut flipped = good.clone();
    flipped[after(&good, b"hello wor")] ^= 1;
    std::fs::write(dir.join("flipped.rdb"), &flipped).expect("write");
    let (flipped_text, ok) = run(ours, &dir, "flipped.rdb");
    assert!(!ok);
    assert!(
        flipped_text.contains(&format!("[offset {end}] RDB CRC error\n")),
        "{flipped_text}"
    );
    assert!(flipped_text.contains("[additional info] While doing: check-sum\n"));

    // The hash's listpack claims one element fewer than it holds (the
    // element count is after the 4-byte total length): the value fails
    // validation, reported after the listpack was read.
    let mut corrupt = good.clone();
    let lp = after(&good, b"\x10\x01h") + 1;
    corrupt[lp + 4] -= 1;
    std::fs::write(dir.join("corrupt.rdb"), &corrupt).expect("write");
    let (corrupt_text, ok) = run(ours, &dir, "corrupt.rdb");
    assert!(!ok);
    let lp_len = u32::from_le_bytes([good[lp], good[lp + 1], good[lp + 2], good[lp + 3]]);
    let offset = lp + lp_len as usize;
    assert!(
        corrupt_text.contains(&format!("[offset {offset}] Corrupt data")),
        "{corrupt_text}"
    );
    assert!(corrupt_text.contains("[additional info] Reading key 'h'\n"));
    assert!(corrupt_text.contains("[additional info] Reading type 16 (hash-listpack)\n"));

    if let Some(theirs) = theirs {
        for (name, ours_text) in [
            ("sample.rdb", &text),
            ("cut.rdb", &cut_text),
            ("flipped.rdb", &flipped_text),
        ] {
            let (redis_text, _) = run(&theirs, &dir, name);
            assert_eq!(ours_text, &redis_text, "{name}");
        }
        // Same lines except the reason's wording (and the log line Redis
        // adds when it gives up).
        let (redis_text, _) = run(&theirs, &dir, "corrupt.rdb");
        let strip = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.starts_with('[') || l.starts_with("---"))
                .map(|l| match l.split_once("] ") {
                    Some((offset, _)) if l.starts_with("[offset") && !l.contains("AUX") => {
                        offset.to_string()
                    }
                    _ => l.to_string(),
                })
                .collect()
        };
        assert_eq!(strip(&corrupt_text), strip(&redis_text));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_rdb_usage_and_missing_file() {
    let ours = env!("CARGO_BIN_EXE_lodestone-check-rdb");
    let out = Command::new(ours).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Usage: "));
    let out = Command::new(ours)
        .arg("/nonexistent/dump.rdb")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
}
