//! WAITAOF (and WAIT): replies when the AOF is off, the local fsync per
//! `appendfsync`, timeouts, CLIENT UNBLOCK, transactions and scripts,
//! replicas' REPLCONF ACK ... FACK, the replication offset, and a
//! comparison with redis-server 7.2 (7.0, which CI has, lacks WAITAOF).

mod common;

use common::{err, send, start_lodestone, start_redis72, wait_blocked, Conn};
use lodestone_protocol::frame::Frame;

/// WAITAOF's reply `[local, replicas]`.
fn pair(local: i64, replicas: i64) -> Frame {
    Frame::Array(vec![Frame::Integer(local), Frame::Integer(replicas)])
}

/// A field of INFO.
fn info_field(c: &mut Conn, name: &str) -> String {
    let Frame::Bulk(info) = c.cmd(&["INFO", "everything"]) else {
        panic!("INFO failed");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
}

fn client_id(c: &mut Conn) -> String {
    match c.cmd(&["CLIENT", "ID"]) {
        Frame::Integer(id) => id.to_string(),
        other => panic!("CLIENT ID: {other:?}"),
    }
}

#[test]
fn refused_for_a_local_fsync_while_appendonly_is_off() {
    let s = start_lodestone(&["--appendonly", "no"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(
        c.cmd(&["WAITAOF", "1", "0", "0"]),
        err("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
    );
    // No local fsync asked, no replica: answered at once.
    assert_eq!(c.cmd(&["WAITAOF", "0", "0", "0"]), pair(0, 0));
    assert_eq!(
        c.cmd(&["WAITAOF", "2", "0", "0"]),
        err("ERR value is out of range, value must between 0 and 1")
    );
    assert_eq!(
        c.cmd(&["WAITAOF", "0", "-1", "0"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        c.cmd(&["WAITAOF", "0", "0", "-1"]),
        err("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["WAITAOF", "0", "0", "1.5"]),
        err("ERR timeout is not an integer or out of range")
    );
    // Nothing propagated: the offset did not move.
    assert_eq!(info_field(&mut c, "master_repl_offset"), "0");
}

#[test]
fn appendfsync_always_has_fsynced_before_the_reply() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["INCR", "k"]);
    // Inside MULTI WAITAOF never blocks: the write is already on disk.
    c.cmd(&["MULTI"]);
    c.cmd(&["WAITAOF", "1", "0", "0"]);
    assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![pair(1, 0)]));
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), pair(1, 0));
    assert_eq!(info_field(&mut c, "master_repl_offset"), "1");
}

#[test]
fn appendfsync_everysec_answers_once_the_background_fsync_is_done() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let mut c = Conn::connect(s.port);
    for _ in 0..3 {
        c.cmd(&["INCR", "k"]);
        // Blocks (no timeout) until the worker's fsync covers the INCR.
        assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), pair(1, 0));
    }
}

#[test]
fn appendfsync_no_never_fsyncs_so_waitaof_times_out() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "no"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["INCR", "k"]);
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "50"]), pair(0, 0));
    // In a transaction: the current state, at once.
    c.cmd(&["MULTI"]);
    c.cmd(&["WAITAOF", "1", "0", "0"]);
    assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![pair(0, 0)]));
    // A script may not call it (NOSCRIPT).
    let Frame::Error(e) = c.cmd(&["EVAL", "return redis.call('waitaof', 1, 0, 0)", "0"]) else {
        panic!("WAITAOF ran in a script");
    };
    assert!(e.starts_with(b"ERR This Redis command is not allowed from script"));
    // Switching to always fsyncs what was written.
    c.cmd(&["CONFIG", "SET", "appendfsync", "always"]);
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), pair(1, 0));
}

#[test]
fn waiting_for_replicas_times_out_with_the_counts_so_far() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["WAITAOF", "1", "1", "100"]), pair(1, 0));
    assert_eq!(c.cmd(&["WAITAOF", "0", "1", "100"]), pair(1, 0));
    assert_eq!(c.cmd(&["WAIT", "1", "100"]), Frame::Integer(0));
}

#[test]
fn blocked_waitaof_is_counted_unblocked_and_failed_when_aof_stops() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut admin = Conn::connect(s.port);
    let mut c = Conn::connect(s.port);
    let id = client_id(&mut c);
    c.cmd(&["SET", "k", "v"]);
    send(&mut c, &["WAITAOF", "1", "1", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(1));
    assert_eq!(c.read(), pair(1, 0));
    send(&mut c, &["WAITAOF", "0", "1", "0"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]);
    assert_eq!(
        c.read(),
        err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    // Turning the AOF off fails a client waiting for a local fsync.
    send(&mut c, &["WAITAOF", "1", "1", "0"]);
    wait_blocked(&mut admin, 1);
    admin.cmd(&["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(
        c.read(),
        err("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
    );
    assert_eq!(c.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
    // Three WAITAOF, counted four times: Redis counts the one CLIENT
    // UNBLOCK ... ERROR ended twice.
    let Frame::Bulk(stats) = admin.cmd(&["INFO", "commandstats"]) else {
        panic!("INFO failed");
    };
    assert!(String::from_utf8_lossy(&stats).contains("cmdstat_waitaof:calls=4,"));
}

/// A replica made by hand: SYNC, then the snapshot is skipped.
fn fake_replica(port: u16) -> Conn {
    let mut r = Conn::connect(port);
    send(&mut r, &["SYNC"]);
    let header = r.read_line();
    let len: usize = String::from_utf8_lossy(&header[1..])
        .parse()
        .expect("length");
    r.read_bytes(len);
    r
}

#[test]
fn replica_acknowledgements_satisfy_wait_and_waitaof() {
    let s = start_lodestone(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = Conn::connect(s.port);
    let mut admin = Conn::connect(s.port);
    let mut replica = fake_replica(s.port);
    c.cmd(&["SET", "k", "v"]);
    let offset = info_field(&mut admin, "master_repl_offset");
    // The replica has not acknowledged anything yet.
    assert_eq!(c.cmd(&["WAITAOF", "0", "1", "50"]), pair(1, 0));
    send(&mut c, &["WAITAOF", "1", "1", "0"]);
    wait_blocked(&mut admin, 1);
    // It processed the write but has not fsynced it: still blocked.
    send(&mut replica, &["REPLCONF", "ACK", &offset]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    wait_blocked(&mut admin, 1);
    send(&mut replica, &["REPLCONF", "ACK", &offset, "FACK", &offset]);
    assert_eq!(c.read(), pair(1, 1));
    assert_eq!(c.cmd(&["WAIT", "1", "0"]), Frame::Integer(1));
    // A later write needs a later acknowledgement; acks never go back.
    c.cmd(&["SET", "k", "w"]);
    send(&mut replica, &["REPLCONF", "ACK", "0", "FACK", "0"]);
    assert_eq!(c.cmd(&["WAITAOF", "0", "1", "50"]), pair(1, 0));
    assert_eq!(c.cmd(&["WAIT", "1", "50"]), Frame::Integer(0));
    // A client that is not a replica cannot acknowledge (and, as in
    // Redis, gets no reply).
    send(
        &mut admin,
        &["REPLCONF", "ACK", "1000000", "FACK", "1000000"],
    );
    assert_eq!(admin.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
    assert_eq!(c.cmd(&["WAITAOF", "0", "1", "50"]), pair(1, 0));
}

/// The replies and offsets of a WAITAOF session, on either server.
fn session(port: u16) -> Vec<String> {
    let mut c = Conn::connect(port);
    let mut out = Vec::new();
    let step = |c: &mut Conn, out: &mut Vec<String>, args: &[&str]| {
        let reply = c.cmd_raw(args);
        out.push(format!("{args:?} -> {}", String::from_utf8_lossy(&reply)));
    };
    step(&mut c, &mut out, &["WAITAOF", "1", "0", "0"]);
    step(&mut c, &mut out, &["SET", "a", "1"]);
    step(&mut c, &mut out, &["MULTI"]);
    step(&mut c, &mut out, &["SET", "a", "2"]);
    step(&mut c, &mut out, &["INCR", "n"]);
    step(&mut c, &mut out, &["WAITAOF", "1", "0", "0"]);
    step(&mut c, &mut out, &["EXEC"]);
    step(&mut c, &mut out, &["WAITAOF", "1", "0", "0"]);
    step(&mut c, &mut out, &["CONFIG", "SET", "appendfsync", "no"]);
    step(&mut c, &mut out, &["INCR", "n"]);
    step(&mut c, &mut out, &["WAITAOF", "1", "0", "20"]);
    step(&mut c, &mut out, &["WAITAOF", "0", "3", "20"]);
    step(&mut c, &mut out, &["WAIT", "1", "20"]);
    step(&mut c, &mut out, &["WAITAOF", "x", "0", "0"]);
    step(&mut c, &mut out, &["WAITAOF", "0", "x", "0"]);
    step(&mut c, &mut out, &["WAITAOF", "0", "0", "x"]);
    step(
        &mut c,
        &mut out,
        &["WAITAOF", "0", "0", "9223372036854775807"],
    );
    step(
        &mut c,
        &mut out,
        &["EVAL", "return redis.call('waitaof', 0, 0, 0)", "0"],
    );
    let offset = info_field(&mut c, "master_repl_offset");
    out.push(format!("master_repl_offset {offset}"));
    step(&mut c, &mut out, &["CONFIG", "SET", "appendonly", "no"]);
    step(&mut c, &mut out, &["WAITAOF", "1", "0", "0"]);
    step(&mut c, &mut out, &["WAITAOF", "0", "0", "0"]);
    out
}

#[test]
fn differential_against_redis_7_2() {
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let ours = start_lodestone(&args);
    let transcript = session(ours.port);
    let Some(redis) = start_redis72(&args) else {
        return;
    };
    assert_eq!(transcript, session(redis.port));
}

#[test]
fn a_redis_7_2_replica_acknowledges_its_fsyncs() {
    let ours = start_lodestone(&["--appendonly", "yes", "--appendfsync", "always"]);
    let Some(replica) = start_redis72(&["--appendonly", "yes", "--appendfsync", "always"]) else {
        return;
    };
    let mut r = Conn::connect(replica.port);
    r.cmd(&["REPLICAOF", "127.0.0.1", &ours.port.to_string()]);
    let mut c = Conn::connect(ours.port);
    for _ in 0..500 {
        if info_field(&mut r, "master_link_status") == "up" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    c.cmd(&["SET", "k", "v"]);
    // No timeout: answered when the replica's ACK with FACK arrives.
    assert_eq!(c.cmd(&["WAITAOF", "1", "1", "0"]), pair(1, 1));
    assert_eq!(c.cmd(&["WAIT", "1", "0"]), Frame::Integer(1));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::Bulk(b"v".to_vec()));
}

/// The pids of `pid`'s children.
fn children(pid: u32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The AOF turned on while a BGSAVE runs: its first rewrite waits, and so
/// does WAITAOF, until that rewrite has made the AOF whole (Redis's test
/// "WAITAOF local if AOFRW was postponed", which needs the child's pid).
#[test]
fn waitaof_waits_for_a_postponed_first_rewrite() {
    let s = start_lodestone(&["--appendonly", "no", "--appendfsync", "everysec"]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["SET", "x", "y"]);
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000000"]);
    c.cmd(&["BGSAVE"]);
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1");
    c.cmd(&["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(info_field(&mut c, "aof_rewrite_scheduled"), "1");
    c.cmd(&["SET", "x", "y"]);
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    let kids = children(s.child.id());
    assert_eq!(kids.len(), 1, "one BGSAVE child");
    // SAFETY: kill(2) on the pid of our server's own child.
    unsafe { libc::kill(kids[0], libc::SIGKILL) };
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), pair(1, 0));
    assert_eq!(info_field(&mut c, "aof_rewrite_in_progress"), "0");
    assert_eq!(info_field(&mut c, "aof_rewrite_scheduled"), "0");
}
