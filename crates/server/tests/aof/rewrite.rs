//! Rewrites: BGREWRITEAOF with each base format, history files, automatic
//! rewrites, turning the AOF on and off at runtime, the scheduling of
//! rewrites and saves around a running child, and the rewrite child's
//! progress and copy-on-write reports.

use super::harness::*;

#[test]
fn bgrewriteaof_writes_a_smaller_base_and_the_data_survives_restart() {
    for (preamble, base) in [
        ("yes", "appendonly.aof.2.base.rdb"),
        ("no", "appendonly.aof.2.base.aof"),
    ] {
        let dir = scratch(&format!("rewrite-{preamble}"));
        let args = ["--aof-use-rdb-preamble", preamble];
        let server = lodestone_aof(&dir, &args);
        let mut c = server.conn();
        fill(&mut c);
        for _ in 0..2000 {
            run(&mut c, "INCR counter");
        }
        let old_size = std::fs::metadata(aof_file(&dir, "appendonly.aof.1.incr.aof"))
            .unwrap()
            .len();
        assert_eq!(
            run(&mut c, "BGREWRITEAOF"),
            "Background append only file rewriting started"
        );
        wait_rewrite(&mut c);
        assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
        assert_eq!(info(&mut c, "aof_rewrites"), "1");
        // Writes after the rewrite started go to the new incr file.
        run(&mut c, "SET after rewrite");
        assert_eq!(
            manifest(&dir),
            format!("file {base} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        );
        wait_until("the history files' deletion", || {
            aof_files(&dir) == [base, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
        });
        let base_bytes = std::fs::read(aof_file(&dir, base)).unwrap();
        assert!(
            (base_bytes.len() as u64) < old_size,
            "{} vs {old_size}",
            base_bytes.len()
        );
        if preamble == "no" {
            let text = String::from_utf8_lossy(&base_bytes);
            assert!(
                text.starts_with("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"),
                "{text}"
            );
            assert!(text.contains("$9\r\nPEXPIREAT\r\n"));
            assert!(text.contains("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"));
        } else {
            assert!(base_bytes.starts_with(b"REDIS0011"));
        }
        let base_size: u64 = info(&mut c, "aof_base_size").parse().unwrap();
        assert!(base_size >= base_bytes.len() as u64);
        let before = digest(&mut c);
        assert_eq!(run(&mut c, "DEBUG LOADAOF"), "OK");
        assert_eq!(digest(&mut c), before);
        server.kill9();
        let server = lodestone_aof(&dir, &args);
        let mut c = server.conn();
        assert_eq!(digest(&mut c), before);
        assert_eq!(run(&mut c, "GET counter"), "2000");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn history_files_are_kept_while_auto_gc_is_disabled() {
    let dir = scratch("history");
    let server = lodestone_aof(&dir, &["--aof-disable-auto-gc", "yes"]);
    let mut c = server.conn();
    for round in 0..2 {
        run(&mut c, &format!("SET k{round} v"));
        run(&mut c, "BGREWRITEAOF");
        wait_rewrite(&mut c);
    }
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.3.base.rdb seq 3 type b\n\
         file appendonly.aof.2.incr.aof seq 2 type h\n\
         file appendonly.aof.2.base.rdb seq 2 type h\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.1.base.rdb seq 1 type h\n\
         file appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    assert_eq!(aof_files(&dir).len(), 7);
    // History is not loaded; a restart keeps it.
    server.kill9();
    let server = lodestone_aof(&dir, &["--aof-disable-auto-gc", "yes"]);
    let mut c = server.conn();
    assert_eq!(run(&mut c, "DBSIZE"), "2");
    assert_eq!(aof_files(&dir).len(), 7);
    assert_eq!(run(&mut c, "CONFIG SET aof-disable-auto-gc no"), "OK");
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    wait_until("the history files' deletion", || aof_files(&dir).len() == 3);
    assert!(
        log(&dir).contains("Removing the history file appendonly.aof.1.base.rdb in the background")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cron_rewrites_when_the_aof_grows() {
    let dir = scratch("auto");
    let server = lodestone_aof(
        &dir,
        &[
            "--auto-aof-rewrite-min-size",
            "4096",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = server.conn();
    for i in 0..200 {
        c.cmd(&["SET", &format!("key{i}"), &"v".repeat(50)]);
    }
    wait_until("an automatic rewrite", || {
        info(&mut c, "aof_rewrites") != "0" && info(&mut c, "aof_rewrite_in_progress") == "0"
    });
    assert!(log(&dir).contains("Starting automatic rewriting of AOF on "));
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(run(&mut c, "DBSIZE"), "200");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendonly_turned_on_and_off_at_runtime() {
    let dir = scratch("runtime");
    let server = start(LODESTONE, &dir, &[]);
    let mut c = server.conn();
    fill(&mut c);
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    assert!(!dir.join("appendonlydir").exists());
    assert_eq!(run(&mut c, "CONFIG SET appendonly yes"), "OK");
    wait_rewrite(&mut c);
    assert_eq!(info(&mut c, "aof_enabled"), "1");
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let text = log(&dir);
    assert!(text.contains("Creating AOF incr file temp-appendonly.aof.incr on background rewrite"));
    assert!(text.contains("Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof"));
    run(&mut c, "SET later 1");
    let before = digest(&mut c);
    // Off: nothing more is appended.
    assert_eq!(run(&mut c, "CONFIG SET appendonly no"), "OK");
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    let incr = aof_file(&dir, "appendonly.aof.1.incr.aof");
    let size = std::fs::metadata(&incr).unwrap().len();
    run(&mut c, "SET ignored 1");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), size);
    server.kill9();
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    assert_eq!(digest(&mut c), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rewrites_and_saves_wait_for_each_other() {
    let dir = scratch("schedule");
    let server = lodestone_aof(&dir, &[]);
    let mut c = server.conn();
    run(&mut c, "SET a 1");
    // Inside a transaction both are scheduled, then run by the cron.
    run(&mut c, "MULTI");
    run(&mut c, "BGREWRITEAOF");
    run(&mut c, "BGSAVE");
    assert_eq!(
        run(&mut c, "EXEC"),
        "[Background append only file rewriting scheduled,Background saving scheduled]"
    );
    wait_until("the scheduled rewrite and save", || {
        info(&mut c, "aof_rewrites") == "1"
            && info(&mut c, "rdb_saves") == "1"
            && info(&mut c, "rdb_bgsave_in_progress") == "0"
            && info(&mut c, "aof_rewrite_in_progress") == "0"
    });
    // A slow rewrite child (100 ms per key).
    run(&mut c, "DEBUG POPULATE 50");
    run(&mut c, "CONFIG SET rdb-key-save-delay 100000");
    assert_eq!(
        run(&mut c, "BGREWRITEAOF"),
        "Background append only file rewriting started"
    );
    assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "1");
    assert_eq!(
        run(&mut c, "BGREWRITEAOF"),
        "ERR Background append only file rewriting already in progress"
    );
    assert_eq!(
        run(&mut c, "BGSAVE"),
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
    );
    assert_eq!(
        run(&mut c, "BGSAVE SCHEDULE"),
        "Background saving scheduled"
    );
    assert_eq!(run(&mut c, "CONFIG SET rdb-key-save-delay 0"), "OK");
    // Turning the AOF off stops the rewrite; the save then runs.
    assert_eq!(run(&mut c, "CONFIG SET appendonly no"), "OK");
    assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "0");
    assert!(log(&dir).contains("Killing running AOF rewrite child: "));
    wait_until("the scheduled save", || info(&mut c, "rdb_saves") == "2");
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_waits_for_the_first_rewrite_unless_forced() {
    let dir = scratch("shutdown");
    let server = start(LODESTONE, &dir, &[]);
    let mut c = server.conn();
    run(&mut c, "DEBUG POPULATE 50");
    run(&mut c, "CONFIG SET rdb-key-save-delay 100000");
    assert_eq!(run(&mut c, "CONFIG SET appendonly yes"), "OK");
    assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "1");
    assert_eq!(
        run(&mut c, "SHUTDOWN NOSAVE"),
        "ERR Errors trying to SHUTDOWN. Check logs."
    );
    assert!(log(&dir).contains("Writing initial AOF, can't exit."));
    c.send_raw(b"*3\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n$5\r\nFORCE\r\n");
    assert!(c.is_closed());
    let text = log(&dir);
    assert!(text.contains("Writing initial AOF. Exit anyway."));
    assert!(text.contains("There is a child rewriting the AOF. Killing it!"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The rewrite child reports its progress as the BGSAVE child does: INFO's
/// `current_*` figures move while it writes the base (slowed down by
/// `rdb-key-save-delay`, which Redis applies to both base formats), and
/// its copy-on-write peak becomes `aof_last_cow_size` once it is done.
#[test]
fn the_rewrite_child_reports_progress_and_copy_on_write() {
    for preamble in ["yes", "no"] {
        let dir = scratch(&format!("rewrite-info-{preamble}"));
        let args = [
            "--aof-use-rdb-preamble",
            preamble,
            "--enable-debug-command",
            "yes",
        ];
        let server = lodestone_aof(&dir, &args);
        let mut c = server.conn();
        assert_eq!(info(&mut c, "aof_last_cow_size"), "0");
        run(&mut c, "DEBUG POPULATE 2500 key 100");
        run(&mut c, "CONFIG SET rdb-key-save-delay 1000");
        assert_eq!(
            run(&mut c, "BGREWRITEAOF"),
            "Background append only file rewriting started"
        );
        assert_eq!(info(&mut c, "current_save_keys_total"), "2500");
        // Writes in the parent meanwhile: pages the child shares get copied.
        run(&mut c, "DEBUG POPULATE 20000 other 100");
        wait_until("a progress report", || {
            info(&mut c, "current_save_keys_processed") != "0"
        });
        assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "1");
        let processed: u64 = info(&mut c, "current_save_keys_processed").parse().unwrap();
        assert!((1..=2500).contains(&processed), "{processed}");
        let perc: f64 = info(&mut c, "current_fork_perc").parse().unwrap();
        assert!(perc > 0.0 && perc <= 100.0, "{perc}");
        let cow: u64 = info(&mut c, "current_cow_size").parse().unwrap();
        let peak: u64 = info(&mut c, "current_cow_peak").parse().unwrap();
        assert!(peak >= cow);
        wait_rewrite(&mut c);
        assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
        let last: u64 = info(&mut c, "aof_last_cow_size").parse().unwrap();
        if std::path::Path::new("/proc/self/smaps_rollup").exists() {
            // Measured from the child's Private_Dirty memory, never empty.
            assert!(last > 0);
        }
        // No child: the current figures are back to zero.
        assert_eq!(info(&mut c, "current_save_keys_processed"), "0");
        assert_eq!(info(&mut c, "current_save_keys_total"), "0");
        assert_eq!(info(&mut c, "current_cow_size"), "0");
        assert_eq!(info(&mut c, "rdb_last_cow_size"), "0");
        run(&mut c, "CONFIG SET rdb-key-save-delay 0");
    }
}
