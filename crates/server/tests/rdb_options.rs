//! The RDB parameters: `rdbchecksum` (off: eight zero bytes are written,
//! and a file is loaded without comparing its checksum, as Redis does; a
//! zero checksum is never compared), `rdbcompression`,
//! `rdb-key-save-delay` (slows every save per key, as Redis's tests use
//! it) and `rdb-del-sync-files` (SYNC never writes a file to delete).

mod common;

use common::in_dir::{
    info_field, scratch, spawn, try_spawn, wait_bgsave_done, wait_loaded, LODESTONE,
};
use common::{text, Conn};
use std::path::Path;
use std::process::ExitStatus;

fn rdb(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("dump.rdb")).expect("dump.rdb")
}

/// Saves `keys` keys of 1000 identical bytes with `extra` parameters.
fn save_with(dir: &Path, keys: &str, extra: &[&str]) {
    let p = spawn(LODESTONE, dir, extra);
    let mut c = Conn::connect(p.port);
    assert_eq!(
        text(c.cmd_raw(&["DEBUG", "POPULATE", keys, "key", "1000"])),
        "+OK\r\n"
    );
    assert_eq!(text(c.cmd_raw(&["SAVE"])), "+OK\r\n");
}

/// Starts on the file in `dir` and returns DBSIZE once loaded.
fn load_with(dir: &Path, extra: &[&str]) -> String {
    let p = spawn(LODESTONE, dir, extra);
    let mut c = Conn::connect(p.port);
    wait_loaded(&mut c);
    text(c.cmd_raw(&["DBSIZE"]))
}

/// Starts on the file in `dir`, which the server must refuse: returns
/// its exit status.
fn refused_with(dir: &Path, extra: &[&str]) -> ExitStatus {
    let mut p = match try_spawn(LODESTONE, dir, extra) {
        Err(status) => return status,
        Ok(p) => p,
    };
    for _ in 0..1000 {
        if let Some(status) = p.child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the server accepted the file");
}

#[test]
fn rdbchecksum_off_writes_zeros_and_skips_the_check() {
    let dir = scratch("checksum");
    save_with(&dir, "10", &["--rdbchecksum", "no"]);
    let bytes = rdb(&dir);
    assert_eq!(bytes[bytes.len() - 8..], [0u8; 8]);
    // A zero checksum is not compared, even with checksums on.
    assert_eq!(load_with(&dir, &[]), ":10\r\n");
    let log = std::fs::read_to_string(dir.join("log")).expect("log");
    assert!(log.contains("RDB file was saved with checksum disabled: no check performed."));

    // A wrong checksum stops the server, unless checksums are off.
    save_with(&dir, "10", &[]);
    let mut bytes = rdb(&dir);
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(dir.join("dump.rdb"), &bytes).expect("write");
    assert!(!refused_with(&dir, &[]).success());
    let log = std::fs::read_to_string(dir.join("log")).expect("log");
    assert!(log.contains("Wrong RDB checksum expected: ("), "{log}");
    assert_eq!(load_with(&dir, &["--rdbchecksum", "no"]), ":10\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rdbcompression_compresses_values() {
    let plain = scratch("plain");
    save_with(&plain, "10", &["--rdbcompression", "no"]);
    let packed = scratch("packed");
    save_with(&packed, "10", &["--rdbcompression", "yes"]);
    // DEBUG POPULATE's values: "value:N" padded with zero bytes.
    let run = [0u8; 900];
    let has_run = |b: &[u8]| b.windows(run.len()).any(|w| w == run);
    assert!(has_run(&rdb(&plain)));
    assert!(!has_run(&rdb(&packed)));
    assert!(rdb(&packed).len() * 5 < rdb(&plain).len());
    // Both load to the same data set.
    let digest = |dir: &Path| {
        let p = spawn(LODESTONE, dir, &[]);
        let mut c = Conn::connect(p.port);
        wait_loaded(&mut c);
        text(c.cmd_raw(&["DEBUG", "DIGEST"]))
    };
    assert_eq!(digest(&plain), digest(&packed));
    let _ = std::fs::remove_dir_all(&plain);
    let _ = std::fs::remove_dir_all(&packed);
}

#[test]
fn rdb_key_save_delay_keeps_a_bgsave_running() {
    let dir = scratch("delay");
    let p = spawn(LODESTONE, &dir, &[]);
    let mut c = Conn::connect(p.port);
    c.cmd(&["DEBUG", "POPULATE", "20", "key", "10"]);
    // 100 ms per key: two seconds for the child, however fast the disk.
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
    assert_eq!(
        text(c.cmd_raw(&["BGSAVE"])),
        "+Background saving started\r\n"
    );
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_bgsave_in_progress").as_deref(),
        Some("1")
    );
    assert_eq!(
        text(c.cmd_raw(&["BGSAVE"])),
        "-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        text(c.cmd_raw(&["SAVE"])),
        "-ERR Background save already in progress\r\n"
    );
    wait_bgsave_done(&mut c);
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_bgsave_status").as_deref(),
        Some("ok")
    );
    // A negative delay sleeps only now and then; the save completes.
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "-10"]);
    assert_eq!(text(c.cmd_raw(&["SAVE"])), "+OK\r\n");
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without persistence, `rdb-del-sync-files` has Redis delete the file it
/// wrote to feed a replica; Lodestone sends the snapshot from memory, so
/// no file is ever left behind.
#[test]
fn sync_leaves_no_file_behind() {
    let dir = scratch("sync");
    let p = spawn(LODESTONE, &dir, &["--rdb-del-sync-files", "yes"]);
    let mut c = Conn::connect(p.port);
    c.cmd(&["SET", "k", "v"]);
    let mut replica = Conn::connect(p.port);
    common::send(&mut replica, &["SYNC"]);
    let header = replica.read_line();
    assert_eq!(header[0], b'$');
    assert!(!dir.join("dump.rdb").exists());
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The BGSAVE child reports its progress and copy-on-write size; INFO
/// shows them while it runs (`current_*`) and the peak after
/// (`rdb_last_cow_size`), as Redis's child info does.
#[test]
fn bgsave_child_reports_progress() {
    let dir = scratch("child-info");
    let p = spawn(LODESTONE, &dir, &[]);
    let mut c = Conn::connect(p.port);
    c.cmd(&["DEBUG", "POPULATE", "3000", "key", "500"]);
    // 1 ms per key: three seconds, reports a second apart.
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    c.cmd(&["BGSAVE"]);
    let field = |c: &mut Conn, name: &str| -> f64 {
        info_field(c, "persistence", name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(field(&mut c, "current_save_keys_total"), 3000.0);
    let mut seen = false;
    for i in 0..1000 {
        // Writes dirty pages the child shares.
        c.cmd(&["SETRANGE", &format!("key:{i}"), "0", "x"]);
        let processed = field(&mut c, "current_save_keys_processed");
        if processed > 1024.0 && field(&mut c, "current_fork_perc") > 0.0 {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(seen, "no progress reported");
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_bgsave_done(&mut c);
    for name in [
        "current_cow_peak",
        "current_cow_size",
        "current_save_keys_processed",
        "current_save_keys_total",
        "current_fork_perc",
    ] {
        assert_eq!(field(&mut c, name), 0.0, "{name} after the child");
    }
    assert!(field(&mut c, "rdb_last_cow_size") > 0.0);
    let log = std::fs::read_to_string(dir.join("log")).expect("log");
    assert!(log.contains("Fork CoW for RDB: current "));
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}
