//! Writing and loading: files and manifest, restarts under each fsync
//! policy, effects of scripts and transactions, timestamps, truncated and
//! corrupt files, write errors.

use super::harness::*;
use lodestone_protocol::frame::Frame;
use std::io::Write;

/// A raw reply as text.
fn text_of(raw: Vec<u8>) -> String {
    let frame = lodestone_protocol::frame::parse(&raw)
        .expect("reply")
        .expect("complete")
        .0;
    text(&frame)
}

#[test]
fn writes_survive_restart_under_each_fsync_policy() {
    for policy in ["always", "everysec", "no"] {
        let dir = scratch(policy);
        let server = lodestone_aof(&dir, &["--appendfsync", policy]);
        // The first start writes an empty base and opens the first incr.
        assert_eq!(
            aof_files(&dir),
            [
                "appendonly.aof.1.base.rdb",
                "appendonly.aof.1.incr.aof",
                "appendonly.aof.manifest"
            ]
        );
        assert_eq!(
            manifest(&dir),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        let mut c = server.conn();
        fill(&mut c);
        let before = digest(&mut c);
        assert_eq!(info(&mut c, "aof_enabled"), "1");
        assert_eq!(info(&mut c, "aof_last_write_status"), "ok");
        let size: u64 = info(&mut c, "aof_current_size").parse().unwrap();
        assert!(size > 10_000, "aof_current_size {size}");
        // DEBUG LOADAOF reloads the same data set.
        assert_eq!(run(&mut c, "DEBUG LOADAOF"), "OK");
        assert_eq!(digest(&mut c), before);
        server.shutdown();
        let server = lodestone_aof(&dir, &["--appendfsync", policy]);
        let mut c = server.conn();
        assert_eq!(digest(&mut c), before, "policy {policy}");
        assert_eq!(run(&mut c, "FCALL f 0"), "42");
        assert!(log(&dir).contains("DB loaded from incr file appendonly.aof.1.incr.aof"));
        assert!(
            log(&dir).contains("Opening AOF incr file appendonly.aof.1.incr.aof on server start")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn scripts_and_transactions_are_logged_as_effects_and_replayed_whole() {
    let dir = scratch("effects");
    let server = lodestone_aof(&dir, &["--appendfsync", "always"]);
    let mut c = server.conn();
    run(&mut c, "SET counter 10");
    c.cmd(&[
        "EVAL",
        "redis.call('incr', KEYS[1]); redis.call('set', KEYS[2], 'v'); return redis.call('get', KEYS[1])",
        "2",
        "counter",
        "other",
    ]);
    run(&mut c, "MULTI");
    run(&mut c, "INCRBY counter 5");
    run(&mut c, "SET t 1 EX 100");
    run(&mut c, "GET t");
    run(&mut c, "EXEC");
    let incr = std::fs::read(aof_file(&dir, "appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    // The script's writes, not the script, wrapped in MULTI/EXEC; the
    // relative TTL as an absolute one; the read not at all.
    assert!(!text.contains("EVAL") && !text.contains("eval"), "{text}");
    assert!(text.contains("*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nincr\r\n$7\r\ncounter\r\n*3\r\n$3\r\nset\r\n$5\r\nother\r\n$1\r\nv\r\n*1\r\n$4\r\nEXEC\r\n"), "{text}");
    assert!(text.contains("$4\r\nPXAT\r\n"), "{text}");
    assert!(!text.contains("GET"), "{text}");
    assert_eq!(text.matches("MULTI").count(), 2);
    // FLUSHDB is logged even when there is nothing to flush (as in Redis),
    // and RESTORE's relative TTL as an absolute one.
    run(&mut c, "SELECT 7");
    run(&mut c, "FLUSHDB");
    run(&mut c, "SELECT 0");
    let Frame::Bulk(payload) = c.cmd(&["DUMP", "counter"]) else {
        panic!("DUMP");
    };
    let mut restore: Vec<&[u8]> = vec![b"RESTORE", b"copy", b"100000"];
    restore.push(&payload);
    assert_eq!(text_of(c.cmd_bytes(&restore)), "OK");
    let incr = std::fs::read(aof_file(&dir, "appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(
        text.contains("$1\r\n7\r\n*1\r\n$7\r\nFLUSHDB\r\n"),
        "{text}"
    );
    assert!(text.ends_with("$6\r\nABSTTL\r\n"), "{text}");
    let before = digest(&mut c);
    server.kill9();
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(digest(&mut c), before);
    assert_eq!(run(&mut c, "GET counter"), "16");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timestamp_annotations_are_written_and_skipped_when_loading() {
    let dir = scratch("ts");
    let server = lodestone_aof(&dir, &["--aof-timestamp-enabled", "yes"]);
    let mut c = server.conn();
    run(&mut c, "SET a 1");
    run(&mut c, "SET b 2");
    server.shutdown();
    let text = std::fs::read_to_string(aof_file(&dir, "appendonly.aof.1.incr.aof")).unwrap();
    assert!(text.starts_with("#TS:"), "{text}");
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "MGET a b"), "[1,2]");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server with a few writes in its incr file, stopped; returns the
/// file's path and its size.
fn stopped_with_writes(dir: &std::path::Path) -> (std::path::PathBuf, u64) {
    let server = lodestone_aof(dir, &[]);
    let mut c = server.conn();
    run(&mut c, "SET a 1");
    run(&mut c, "SET b 2");
    server.shutdown();
    let path = aof_file(dir, "appendonly.aof.1.incr.aof");
    let size = std::fs::metadata(&path).unwrap().len();
    (path, size)
}

fn append(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_truncated_tail_is_cut_or_refused_per_aof_load_truncated() {
    let dir = scratch("truncated");
    let (path, size) = stopped_with_writes(&dir);
    append(&path, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$10\r\nshort");
    let text = refuses_to_start(
        LODESTONE,
        &dir,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(text.contains("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."), "{text}");
    let server = lodestone_aof(&dir, &["--aof-load-truncated", "yes"]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "MGET a b c"), "[1,2,nil]");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    let text = log(&dir);
    assert!(text.contains(
        "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
    ));
    assert!(text.contains(&format!(
        "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {size} !!!"
    )));
    assert!(text.contains(
        "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
    ));
    // Writing continues after the cut.
    run(&mut c, "SET d 4");
    server.kill9();
    let server = lodestone_aof(&dir, &["--aof-load-truncated", "no"]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "GET d"), "4");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_incomplete_transaction_at_the_end_is_reverted() {
    let dir = scratch("multi");
    let (path, size) = stopped_with_writes(&dir);
    append(
        &path,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    let text = refuses_to_start(
        LODESTONE,
        &dir,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(text.contains(
        "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"
    ));
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "EXISTS a b c"), "2");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    drop(server);
    // A complete one applies whole.
    append(&path, b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n");
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "MGET a c"), "[2,3]");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corruption_and_bad_manifests_refuse_startup() {
    let dir = scratch("corrupt");
    let (path, _) = stopped_with_writes(&dir);
    let good = std::fs::read(&path).unwrap();
    // Garbage between two commands, with more commands after it.
    let mut bad = good.clone();
    bad.extend_from_slice(b"!garbage\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n");
    std::fs::write(&path, &bad).unwrap();
    for truncated in ["yes", "no"] {
        let text = refuses_to_start(
            LODESTONE,
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", truncated],
        );
        assert!(text.contains("Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"), "{text}");
    }
    std::fs::write(&path, b"*2\r\n$7\r\nNOSUCHC\r\n$1\r\na\r\n").unwrap();
    let text = refuses_to_start(LODESTONE, &dir, &["--appendonly", "yes"]);
    assert!(text.contains(
        "Unknown command 'NOSUCHC' reading the append only file appendonly.aof.1.incr.aof"
    ));
    std::fs::write(&path, &good).unwrap();
    let manifest = aof_file(&dir, "appendonly.aof.manifest");
    let original = std::fs::read(&manifest).unwrap();
    for (text, message) in [
        (
            "file a seq 1 type b\nfile b seq 1 type b\n",
            "Found duplicate base file information",
        ),
        ("file a seq 1 type x\n", "Unknown AOF file type"),
        (
            "file a/b seq 1 type i\n",
            "File can't be a path, just a filename",
        ),
        ("file a seq 1\n", "Invalid AOF manifest file format"),
        ("", "Found an empty AOF manifest"),
    ] {
        std::fs::write(&manifest, text).unwrap();
        let logged = refuses_to_start(LODESTONE, &dir, &["--appendonly", "yes"]);
        assert!(
            logged.contains("*** FATAL AOF MANIFEST FILE ERROR ***"),
            "{logged}"
        );
        assert!(logged.contains(message), "{message}: {logged}");
        // Also with the AOF off: the manifest is always read.
        refuses_to_start(LODESTONE, &dir, &[]);
    }
    // A file the manifest lists but the directory lacks.
    std::fs::write(&manifest, "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.9.incr.aof seq 9 type i\n").unwrap();
    let logged = refuses_to_start(LODESTONE, &dir, &["--appendonly", "yes"]);
    assert!(
        logged.contains("Unable to obtain the AOF file appendonly.aof.9.incr.aof length"),
        "{logged}"
    );
    std::fs::write(&manifest, original).unwrap();
    let server = lodestone_aof(&dir, &[]);
    assert_eq!(run(&mut server.conn(), "DBSIZE"), "2");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_errors_refuse_writes_with_misconf_until_resolved() {
    let dir = scratch("enospc");
    let (path, _) = stopped_with_writes(&dir);
    // Every write to the incr file now fails with ENOSPC.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/full", &path).unwrap();
    let server = lodestone_aof(&dir, &["--appendfsync", "everysec"]);
    let mut c = server.conn();
    // The first write is acknowledged (it could not be rolled back) and
    // fails to reach the file; then writes and PING are refused.
    assert_eq!(run(&mut c, "SET x 1"), "OK");
    let refused = "MISCONF Errors writing to the AOF file: No space left on device";
    wait_until("the write error", || run(&mut c, "SET y 2") == refused);
    assert_eq!(run(&mut c, "PING"), refused);
    assert_eq!(run(&mut c, "GET x"), "1");
    assert_eq!(info(&mut c, "aof_last_write_status"), "err");
    assert!(log(&dir).contains("Error writing to the AOF file: No space left on device"));
    // Turning the AOF off clears the condition.
    assert_eq!(run(&mut c, "CONFIG SET appendonly no"), "OK");
    assert_eq!(run(&mut c, "SET y 2"), "OK");
    drop(server);
    // With `always` the acknowledgement promise cannot be kept: exit.
    let server = lodestone_aof(&dir, &["--appendfsync", "always"]);
    let mut c = server.conn();
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n");
    assert!(c.is_closed(), "the server kept running");
    assert!(log(&dir).contains(
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_old_style_single_file_with_an_rdb_preamble_is_migrated_and_loaded() {
    let dir = scratch("old-style");
    let server = start(LODESTONE, &dir, &[]);
    let mut c = server.conn();
    fill(&mut c);
    run(&mut c, "SAVE");
    let expected_before_tail = digest(&mut c);
    run(&mut c, "SET tail 1");
    let expected = digest(&mut c);
    server.shutdown();
    // Redis 4 to 6 wrote one file: an RDB preamble, then commands.
    let mut old = std::fs::read(dir.join("dump.rdb")).unwrap();
    std::fs::remove_file(dir.join("dump.rdb")).unwrap();
    old.extend_from_slice(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$1\r\n1\r\n",
    );
    std::fs::write(dir.join("appendonly.aof"), &old).unwrap();
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(digest(&mut c), expected);
    assert_ne!(expected, expected_before_tail);
    assert!(!dir.join("appendonly.aof").exists());
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let text = log(&dir);
    assert!(text.contains("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."));
    assert!(text.contains("Reading RDB preamble from AOF file..."));
    assert!(text.contains("Reading the remaining AOF tail..."));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evictions_reach_the_aof_so_evicted_keys_stay_gone() {
    let dir = scratch("evict");
    let server = lodestone_aof(&dir, &["--maxmemory-policy", "allkeys-random"]);
    let mut c = server.conn();
    let used: u64 = run(&mut c, "INFO memory")
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory");
    run(
        &mut c,
        &format!("CONFIG SET maxmemory {}", used + 1024 * 1024),
    );
    let value = "v".repeat(10_000);
    for i in 0..500 {
        c.cmd(&["SET", &format!("key:{i}"), &value]);
    }
    // Stop evicting (it may go on in the background) before measuring.
    run(&mut c, "CONFIG SET maxmemory 0");
    let Frame::Integer(left) = c.cmd(&["DBSIZE"]) else {
        panic!("DBSIZE");
    };
    assert!(left < 500, "nothing was evicted");
    let before = digest(&mut c);
    server.kill9();
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "DBSIZE"), left.to_string());
    assert_eq!(digest(&mut c), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An approximate trim is propagated as an exact one that keeps its LIMIT
/// (`MAXLEN = n LIMIT m`), which clients may not send; the loader applies
/// it as Redis's must-obey AOF client does (TCL unit/type/stream "XADD
/// with ~ MAXLEN and LIMIT can propagate correctly").
#[test]
fn exact_trims_with_limit_from_the_aof_are_obeyed() {
    let dir = scratch("must-obey");
    let server = lodestone_aof(&dir, &["--stream-node-max-entries", "10"]);
    let mut c = server.conn();
    for _ in 0..100 {
        run(&mut c, "XADD mystream * xitem v");
    }
    run(&mut c, "XADD mystream MAXLEN ~ 55 LIMIT 30 * xitem v");
    assert_eq!(run(&mut c, "XLEN mystream"), "71");
    // A client still may not send that form.
    assert_eq!(
        run(&mut c, "XADD mystream MAXLEN = 55 LIMIT 30 * xitem v"),
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    let before = digest(&mut c);
    // Smaller blocks now: an approximate trim on load would cut elsewhere.
    run(&mut c, "CONFIG SET stream-node-max-entries 1");
    assert_eq!(run(&mut c, "DEBUG LOADAOF"), "OK");
    assert_eq!(digest(&mut c), before);
    run(&mut c, "XADD mystream * xitem v");
    assert_eq!(run(&mut c, "XLEN mystream"), "72");
    server.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
