//! The LOADING state: while the RDB file loads at startup (slowed down
//! with the hidden `key-load-delay`, events served every
//! `loading-process-events-interval-bytes`), the server accepts clients
//! and answers commands without the `loading` flag with -LOADING, others
//! normally; INFO shows the progress. Differential against redis-server
//! for the replies; SIGTERM and SHUTDOWN during the load exit without
//! saving; DEBUG RELOAD puts other clients in the same state.

mod common;

use common::in_dir::{info_field, scratch, spawn, wait_loaded, Proc, LODESTONE, REDIS};
use common::{text, Conn};
use std::path::Path;
use std::time::Duration;

/// Keys in the test file: 2000 values of 1000 bytes, so that with events
/// every 1024 bytes clients are served after about every key.
const KEYS: &str = "2000";

/// Writes `dir/dump.rdb` with `bin` (DEBUG POPULATE, then SAVE).
fn make_rdb(bin: &str, dir: &Path) {
    let p = spawn(bin, dir, &["--rdbcompression", "no"]);
    let mut c = Conn::connect(p.port);
    wait_loaded(&mut c);
    assert_eq!(
        text(c.cmd_raw(&["DEBUG", "POPULATE", KEYS, "key", "1000"])),
        "+OK\r\n"
    );
    assert_eq!(text(c.cmd_raw(&["SAVE"])), "+OK\r\n");
}

/// Starts `bin` on the file in `dir` with a load slow enough (10 ms per
/// key, 20 s in all) that it is still loading whatever the test does,
/// until the test sets `key-load-delay` to 0.
fn start_loading(bin: &str, dir: &Path, extra: &[&str]) -> Proc {
    let mut args = vec![
        "--key-load-delay",
        "10000",
        "--loading-process-events-interval-bytes",
        "1024",
    ];
    args.extend_from_slice(extra);
    spawn(bin, dir, &args)
}

/// What a client sees during and after the load.
fn scenario(bin: &str, tag: &str) -> Vec<String> {
    let dir = scratch(tag);
    make_rdb(bin, &dir);
    let p = start_loading(bin, &dir, &[]);
    let mut c = Conn::connect(p.port);
    let mut out: Vec<String> = [
        &["GET", "key:1"][..],
        &["PING"],
        &["ECHO", "hi"],
        &["SET", "a", "b"],
        &["DBSIZE"],
        &["SELECT", "1"],
        &["SELECT", "0"],
        &["CONFIG", "GET", "key-load-delay"],
        &["DEBUG", "LOG", "hello"],
        &["MULTI"],
        &["ECHO", "queued"],
        &["GET", "key:1"],
        &["EXEC"],
        &["MULTI"],
        &["ECHO", "queued"],
        &["EXEC"],
        &["LASTSAVE"],
    ]
    .iter()
    .map(|cmd| {
        let reply = text(c.cmd_raw(cmd));
        // LASTSAVE's time differs between the two servers.
        if cmd[0] == "LASTSAVE" {
            reply.chars().take(1).collect()
        } else {
            reply
        }
    })
    .collect();
    // INFO answers, with the loading figures under Redis's names.
    let info = text(c.cmd_raw(&["INFO", "persistence"]));
    out.extend(
        info.lines()
            .filter(|l| l.starts_with("loading") || l.starts_with("async_loading"))
            .map(|l| {
                let (name, value) = l.split_once(':').expect("field");
                match name {
                    "loading" | "async_loading" => l.to_string(),
                    _ => {
                        assert!(!value.is_empty());
                        name.to_string()
                    }
                }
            }),
    );
    let loaded: u64 = info_field(&mut c, "persistence", "loading_loaded_bytes")
        .and_then(|v| v.parse().ok())
        .expect("loaded bytes");
    let total: u64 = info_field(&mut c, "persistence", "loading_total_bytes")
        .and_then(|v| v.parse().ok())
        .expect("total bytes");
    assert!(loaded > 0 && loaded < total, "{loaded} of {total}");
    c.cmd(&["CONFIG", "SET", "key-load-delay", "0"]);
    wait_loaded(&mut c);
    out.extend(
        [&["DBSIZE"][..], &["STRLEN", "key:1999"], &["SET", "a", "b"]]
            .iter()
            .map(|cmd| text(c.cmd_raw(cmd))),
    );
    out.push(info_field(&mut c, "persistence", "loading").expect("loading"));
    out.push(format!(
        "{:?}",
        info_field(&mut c, "persistence", "loading_loaded_bytes")
    ));
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn clients_get_loading_errors_while_the_rdb_loads() {
    let ours = scenario(LODESTONE, "ours");
    assert_eq!(
        ours[0],
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(ours[2], "$2\r\nhi\r\n");
    if !Path::new(REDIS).exists() {
        eprintln!("SKIPPED: redis-server is not installed; differential part not run");
        return;
    }
    let theirs = scenario(REDIS, "redis");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "line {i} differs");
    }
    assert_eq!(ours.len(), theirs.len());
}

/// Clients that come and go during the load are freed, and a long load
/// logs its progress with percentage and rate.
#[test]
fn clients_come_and_go_and_progress_is_logged() {
    let dir = scratch("clients");
    make_rdb(LODESTONE, &dir);
    let p = start_loading(LODESTONE, &dir, &[]);
    let mut admin = Conn::connect(p.port);
    for _ in 0..5 {
        let mut c = Conn::connect(p.port);
        assert_eq!(text(c.cmd_raw(&["DEBUG", "LOG", "bla"])), "+OK\r\n");
    }
    let mut connected = 0;
    for _ in 0..500 {
        connected = info_field(&mut admin, "clients", "connected_clients")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if connected < 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(connected, 1);
    assert_eq!(
        info_field(&mut admin, "persistence", "loading").as_deref(),
        Some("1")
    );
    // 10 ms per key: well past the 2 s between progress lines.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        info_field(&mut admin, "persistence", "loading").as_deref(),
        Some("1")
    );
    admin.cmd(&["CONFIG", "SET", "key-load-delay", "0"]);
    wait_loaded(&mut admin);
    let log = std::fs::read_to_string(dir.join("log")).expect("log");
    let line = log
        .lines()
        .find(|l| l.contains("Loading RDB: "))
        .expect("a progress line");
    assert!(
        line.contains("% (") && line.contains(" bytes, ") && line.ends_with(" MB/s)"),
        "{line}"
    );
    assert!(log.contains("Done loading RDB, keys loaded: 2000, keys expired: 0."));
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM (or SHUTDOWN) during the load exits at once without saving,
/// even with save points: the file being loaded stays as it was.
#[test]
fn shutdown_during_the_load_exits_without_saving() {
    for how in ["signal", "command"] {
        let dir = scratch(how);
        make_rdb(LODESTONE, &dir);
        std::fs::remove_file(dir.join("log")).expect("log");
        let before = std::fs::read(dir.join("dump.rdb")).expect("rdb");
        let mut p = start_loading(LODESTONE, &dir, &["--save", "900 1"]);
        let mut c = Conn::connect(p.port);
        assert!(text(c.cmd_raw(&["GET", "x"])).starts_with("-LOADING"));
        if how == "signal" {
            // SAFETY: signalling the server process this test started.
            unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) };
        } else {
            common::send(&mut c, &["SHUTDOWN"]);
        }
        let status = p.child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "{how}");
        assert_eq!(std::fs::read(dir.join("dump.rdb")).expect("rdb"), before);
        let log = std::fs::read_to_string(dir.join("log")).expect("log");
        assert!(!log.contains("DB saved on disk"), "{how}");
        drop(p);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// DEBUG RELOAD loads the same way: other clients get LOADING until it
/// is over, and the client that asked gets its reply after.
#[test]
fn debug_reload_puts_other_clients_in_loading() {
    let dir = scratch("reload");
    let p = spawn(
        LODESTONE,
        &dir,
        &["--loading-process-events-interval-bytes", "1024"],
    );
    let mut a = Conn::connect(p.port);
    a.cmd(&["DEBUG", "POPULATE", KEYS, "key", "1000"]);
    a.cmd(&["CONFIG", "SET", "key-load-delay", "10000"]);
    common::send(&mut a, &["DEBUG", "RELOAD"]);
    let mut b = Conn::connect(p.port);
    let mut seen = String::new();
    for _ in 0..500 {
        seen = text(b.cmd_raw(&["GET", "key:1"]));
        if seen.starts_with("-LOADING") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(seen, "-LOADING Redis is loading the dataset in memory\r\n");
    assert_eq!(
        info_field(&mut b, "persistence", "loading").as_deref(),
        Some("1")
    );
    b.cmd(&["CONFIG", "SET", "key-load-delay", "0"]);
    assert_eq!(text(a.read_raw()), "+OK\r\n");
    assert_eq!(text(b.cmd_raw(&["DBSIZE"])), ":2000\r\n");
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The append-only file loads in the LOADING state too: clients connect
/// during the load and get -LOADING for data commands, INFO shows the
/// progress against the files' total size, and `key-load-delay` slows
/// each replayed command as in Redis.
#[test]
fn clients_get_loading_errors_while_the_aof_loads() {
    let dir = scratch("aof");
    let aof = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    {
        let mut p = spawn(LODESTONE, &dir, &aof);
        let mut c = Conn::connect(p.port);
        wait_loaded(&mut c);
        let value = "v".repeat(1000);
        for i in 0..2000 {
            c.cmd(&["SET", &format!("key:{i}"), &value]);
        }
        common::send(&mut c, &["SHUTDOWN"]);
        assert!(p.child.wait().expect("wait").success());
    }
    let mut args = aof.to_vec();
    args.extend_from_slice(&[
        "--key-load-delay",
        "10000",
        "--loading-process-events-interval-bytes",
        "1024",
    ]);
    let p = spawn(LODESTONE, &dir, &args);
    let mut c = Conn::connect(p.port);
    assert_eq!(
        text(c.cmd_raw(&["GET", "key:1"])),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(text(c.cmd_raw(&["ECHO", "hi"])), "$2\r\nhi\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "loading").as_deref(),
        Some("1")
    );
    let field = |c: &mut Conn, name| -> u64 {
        info_field(c, "persistence", name)
            .and_then(|v| v.parse().ok())
            .expect(name)
    };
    let total = field(&mut c, "loading_total_bytes");
    let loaded = field(&mut c, "loading_loaded_bytes");
    assert!(total > 2_000_000, "total {total}");
    assert!(loaded > 0 && loaded < total, "{loaded} of {total}");
    c.cmd(&["CONFIG", "SET", "key-load-delay", "0"]);
    wait_loaded(&mut c);
    assert_eq!(text(c.cmd_raw(&["DBSIZE"])), ":2000\r\n");
    assert_eq!(text(c.cmd_raw(&["STRLEN", "key:1999"])), ":1000\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "loading").as_deref(),
        Some("0")
    );
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}
