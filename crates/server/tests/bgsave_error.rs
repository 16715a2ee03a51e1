//! `stop-writes-on-bgsave-error`: after a failed BGSAVE, write commands
//! (and PING) get Redis's MISCONF error until a save succeeds, the option
//! is turned off or no save point is left; INFO shows the failure.
//! Differential against redis-server: the same scenario on both servers
//! gives the same replies byte for byte.

mod common;

use common::in_dir::{info_field, wait_bgsave_done};
use common::{start_lodestone, start_redis, text, Conn, ServerProcess};
use std::time::Duration;

/// Pids of the children of `pid` (the BGSAVE child).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // The fields after the parenthesised command name: state, ppid, ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if rest.split_whitespace().nth(1) == Some(&pid.to_string()) {
            out.push(child);
        }
    }
    out
}

fn persistence_field(c: &mut Conn, name: &str) -> String {
    info_field(c, "persistence", name).unwrap_or_else(|| panic!("no {name} in INFO"))
}

/// Makes a BGSAVE fail by killing its child, as Redis's own test does
/// (works as root, unlike an unwritable directory).
fn fail_a_bgsave(server: &ServerProcess, c: &mut Conn) {
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000000"]);
    assert_eq!(
        text(c.cmd_raw(&["BGSAVE"])),
        "+Background saving started\r\n"
    );
    let pid = server.child.id();
    let child = (0..500)
        .find_map(|_| {
            let c = children(pid).first().copied();
            if c.is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
            c
        })
        .expect("a BGSAVE child");
    // SAFETY: sending a signal to a process id we just read.
    unsafe { libc::kill(child as i32, libc::SIGKILL) };
    wait_bgsave_done(c);
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
}

/// Runs `commands`, returning each reply (exact bytes) as text.
fn transcript(c: &mut Conn, commands: &[&[&str]]) -> Vec<String> {
    commands.iter().map(|cmd| text(c.cmd_raw(cmd))).collect()
}

/// The scenario: fail a BGSAVE, then probe which commands are refused,
/// and what ends the state.
fn scenario(server: &ServerProcess) -> Vec<String> {
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "x", "x"]);
    fail_a_bgsave(server, &mut c);
    let mut out = vec![persistence_field(&mut c, "rdb_last_bgsave_status")];
    out.extend(transcript(
        &mut c,
        &[
            &["GET", "x"],
            &["SET", "x", "y"],
            &["PING"],
            &["ECHO", "hi"],
            &["DEL", "x"],
            &["EVAL", "return redis.call('set','x',1)", "1", "x"],
            &["EVAL", "return redis.call('get','x')", "1", "x"],
            &["EVAL", "return redis.pcall('set','x',1)['err']", "1", "x"],
            &["EVAL", "#!lua\nreturn redis.call('set','x',1)", "1", "x"],
            &[
                "EVAL",
                "#!lua flags=no-writes\nreturn redis.call('get','x')",
                "1",
                "x",
            ],
            &["EVAL_RO", "#!lua\nreturn redis.call('get','x')", "1", "x"],
            &["MULTI"],
            &["GET", "x"],
            &["SET", "x", "z"],
            &["EXEC"],
            &["MULTI"],
            &["GET", "x"],
            &["EXEC"],
            // Turning the option off (or removing every save point) lets
            // writes through again; turning it back on refuses them.
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
            &["SET", "x", "1"],
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
            &["SET", "x", "2"],
            &["CONFIG", "SET", "save", ""],
            &["SET", "x", "3"],
            &["CONFIG", "SET", "save", "900 1"],
            &["INCR", "x"],
            // A successful SAVE ends the state.
            &["SAVE"],
            &["INCR", "x"],
        ],
    ));
    out.push(persistence_field(&mut c, "rdb_last_bgsave_status"));
    // So does a successful BGSAVE.
    fail_a_bgsave(server, &mut c);
    out.push(text(c.cmd_raw(&["SET", "x", "4"])));
    out.push(text(c.cmd_raw(&["BGSAVE"])));
    wait_bgsave_done(&mut c);
    out.push(persistence_field(&mut c, "rdb_last_bgsave_status"));
    out.push(text(c.cmd_raw(&["SET", "x", "5"])));
    let errors = text(c.cmd_raw(&["INFO", "errorstats"]));
    out.extend(errors.lines().map(str::to_string));
    out
}

#[test]
fn failed_bgsave_refuses_writes_as_redis_does() {
    let args = ["--save", "900 1"];
    let ours = scenario(&start_lodestone(&args));
    assert_eq!(ours[0], "err");
    assert!(ours[2].starts_with("-MISCONF Redis is configured to save RDB snapshots"));
    let Some(redis) = start_redis(&args) else {
        return;
    };
    let theirs = scenario(&redis);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "line {i} differs");
    }
    assert_eq!(ours.len(), theirs.len());
}

/// Without save points a failed BGSAVE refuses nothing (Redis checks
/// `saveparamslen > 0`), though INFO reports it.
#[test]
fn no_save_points_no_refusal() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    // A key, so that the child is still saving when it is killed.
    c.cmd(&["SET", "x", "x"]);
    fail_a_bgsave(&server, &mut c);
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "err");
    assert_eq!(text(c.cmd_raw(&["SET", "x", "1"])), "+OK\r\n");
}

/// A save into a directory that no longer exists fails even as root:
/// BGSAVE then reports the error and refuses writes, and SAVE answers a
/// bare error, both as Redis does.
#[test]
fn removed_directory_fails_saves() {
    fn removed(server: &ServerProcess) -> Vec<String> {
        let mut c = Conn::connect(server.port);
        std::fs::remove_dir_all(&server.dir).expect("remove dir");
        let mut out = transcript(&mut c, &[&["SET", "k", "v"], &["SAVE"], &["SET", "k", "w"]]);
        out.push(text(c.cmd_raw(&["BGSAVE"])));
        wait_bgsave_done(&mut c);
        out.push(persistence_field(&mut c, "rdb_last_bgsave_status"));
        out.push(text(c.cmd_raw(&["SET", "k", "x"])));
        out
    }
    let args = ["--save", "900 1"];
    let ours = removed(&start_lodestone(&args));
    assert_eq!(ours[1], "-ERR\r\n");
    assert_eq!(ours[4], "err");
    let Some(redis) = start_redis(&args) else {
        return;
    };
    assert_eq!(ours, removed(&redis));
}

/// FLUSHALL stops a running BGSAVE (not counted as a failure: the
/// changes stay unsaved) and, with save points, saves the empty data set
/// at once, as Redis's `flushAllDataAndResetRDB` does.
#[test]
fn flushall_stops_a_bgsave_and_saves_with_save_points() {
    fn scenario(server: &ServerProcess) -> Vec<String> {
        let mut c = Conn::connect(server.port);
        for i in 0..20 {
            c.cmd(&["SET", &format!("k{i}"), "v"]);
        }
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
        let mut out = transcript(&mut c, &[&["BGSAVE"], &["FLUSHALL"]]);
        wait_bgsave_done(&mut c);
        for f in ["rdb_last_bgsave_status", "rdb_changes_since_last_save"] {
            out.push(persistence_field(&mut c, f));
        }
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        c.cmd(&["CONFIG", "SET", "save", "900 1"]);
        c.cmd(&["SET", "a", "1"]);
        out.push(text(c.cmd_raw(&["FLUSHALL"])));
        out.push(persistence_field(&mut c, "rdb_changes_since_last_save"));
        out.push(server.dir.join("dump.rdb").exists().to_string());
        out
    }
    // The change count after FLUSHALL is compared apart: Lodestone
    // counts one more change than Redis (how its FLUSHALL forces its own
    // propagation on an empty data set).
    let without_count = |mut t: Vec<String>| {
        let count: u64 = t.remove(3).parse().expect("count");
        (t, count)
    };
    let (ours, count) = without_count(scenario(&start_lodestone(&[])));
    assert_eq!(ours[2], "ok");
    assert_eq!(ours[5], "true");
    assert!(count >= 40, "the 20 writes and 20 deletions stay unsaved");
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, without_count(scenario(&redis)).0);
}
