//! `lodestone-check-aof`: the same verdicts and messages as
//! `redis-check-aof`, and repairs the server then loads.

use super::harness::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const CHECK: &str = env!("CARGO_BIN_EXE_lodestone-check-aof");

/// Runs the tool; returns its exit code and output.
fn check(args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(CHECK)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lodestone-check-aof");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn checks_fixes_and_truncates_like_redis_check_aof() {
    let dir = scratch("check");
    let server = lodestone_aof(&dir, &["--aof-use-rdb-preamble", "no"]);
    let mut c = server.conn();
    run(&mut c, "SET a 1");
    run(&mut c, "BGREWRITEAOF");
    wait_rewrite(&mut c);
    run(&mut c, "SET b 2");
    server.shutdown();
    let manifest = aof_file(&dir, "appendonly.aof.manifest");
    let (code, out) = check(&[path_str(&manifest)], "");
    assert_eq!(code, 0, "{out}");
    for step in [
        "Start checking Multi Part AOF",
        "Start to check BASE AOF (RESP format).",
        "BASE AOF appendonly.aof.2.base.aof is valid",
        "Start to check INCR files.",
        "INCR AOF appendonly.aof.2.incr.aof is valid",
        "All AOF files and manifest are valid",
    ] {
        assert!(out.contains(step), "{step}: {out}");
    }
    // A cut tail: reported, then fixed after confirmation.
    let incr = aof_file(&dir, "appendonly.aof.2.incr.aof");
    let good = std::fs::metadata(&incr).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    f.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nsho")
        .unwrap();
    drop(f);
    let (code, out) = check(&[path_str(&manifest)], "");
    assert_eq!(code, 1);
    assert!(out.contains(&format!("ok_up_to={good}")), "{out}");
    assert!(
        out.contains(
            "AOF appendonly.aof.2.incr.aof is not valid. Use the --fix option to try fixing it."
        ),
        "{out}"
    );
    let (code, out) = check(&["--fix", path_str(&manifest)], "n\n");
    assert_eq!(code, 1);
    assert!(out.contains("Aborting..."), "{out}");
    let (code, out) = check(&["--fix", path_str(&manifest)], "y\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Successfully truncated AOF appendonly.aof.2.incr.aof"),
        "{out}"
    );
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), good);
    let server = lodestone_aof(&dir, &["--aof-load-truncated", "no"]);
    assert_eq!(run(&mut server.conn(), "MGET a b c"), "[1,2,nil]");
    drop(server);
    // Cut at a timestamp: the last file loses what came after it.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    f.write_all(b"#TS:1628217470\r\n*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n4\r\n#TS:1628217480\r\n*3\r\n$3\r\nSET\r\n$1\r\ne\r\n$1\r\n5\r\n").unwrap();
    drop(f);
    let (code, out) = check(
        &["--truncate-to-timestamp", "1628217475", path_str(&manifest)],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "Successfully truncated AOF appendonly.aof.2.incr.aof to timestamp 1628217475"
        ),
        "{out}"
    );
    let server = lodestone_aof(&dir, &[]);
    assert_eq!(run(&mut server.conn(), "MGET d e"), "[4,nil]");
    drop(server);
    // An invalid manifest.
    std::fs::write(&manifest, "file x seq 1\n").unwrap();
    let (code, out) = check(&[path_str(&manifest)], "");
    assert_eq!(code, 1);
    assert!(out.contains("Invalid AOF manifest file format"), "{out}");
    let (code, out) = check(&[], "");
    assert_eq!(code, 1);
    assert!(out.contains("Usage: "), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
