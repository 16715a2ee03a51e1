//! RESTORE reaches replicas (and the AOF) as Redis propagates it: a
//! relative TTL becomes an absolute one with ABSTTL appended, so a replay
//! expires the key at the same moment; a restore of an already expired
//! value over an existing key is propagated as that key's deletion, and
//! one that changed nothing is not propagated. Differential against
//! redis-server through SYNC.

mod common;

use common::{start_lodestone, start_redis, Conn};
use lodestone_protocol::frame::Frame;

/// Reads the snapshot after SYNC (skipping the newlines Redis sends
/// while it prepares it).
fn skip_snapshot(replica: &mut Conn) {
    let header = loop {
        let line = replica.read_line();
        if !line.is_empty() {
            break line;
        }
    };
    assert_eq!(header[0], b'$');
    let len: usize = std::str::from_utf8(&header[1..])
        .expect("utf8")
        .parse()
        .expect("length");
    replica.read_bytes(len);
}

/// The next command of the stream, lower-cased.
fn command(replica: &mut Conn) -> Vec<String> {
    match replica.read() {
        Frame::Array(parts) => parts
            .into_iter()
            .map(|p| match p {
                Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("unexpected {other:?}"),
            })
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// The restores, and the stream they produce with the payload and the
/// computed absolute times replaced by markers (after checking them).
fn scenario(port: u16) -> Vec<Vec<String>> {
    let mut c = Conn::connect(port);
    c.cmd(&["SET", "src", "hello"]);
    let Frame::Bulk(payload) = c.cmd(&["DUMP", "src"]) else {
        panic!("DUMP");
    };
    let restore = |c: &mut Conn, args: &[&str]| {
        let mut cmd: Vec<&[u8]> = vec![b"RESTORE", args[0].as_bytes(), args[1].as_bytes()];
        cmd.push(&payload);
        cmd.extend(args[2..].iter().map(|a| a.as_bytes()));
        c.cmd_bytes(&cmd)
    };
    let mut replica = Conn::connect(port);
    common::send(&mut replica, &["SYNC"]);
    skip_snapshot(&mut replica);
    let far = (unix_ms() + 10_000_000).to_string();
    let before = unix_ms();
    restore(&mut c, &["k1", "0"]);
    restore(&mut c, &["k2", "100000"]);
    restore(&mut c, &["k3", &far, "ABSTTL"]);
    restore(&mut c, &["k4", "100000", "REPLACE", "IDLETIME", "10"]);
    let after = unix_ms();
    // Already expired, over an existing key: the key is deleted.
    restore(&mut c, &["k1", "1", "REPLACE", "ABSTTL"]);
    // Already expired, nothing there: nothing changes.
    restore(&mut c, &["k5", "1", "ABSTTL"]);
    c.cmd(&["SET", "end", "1"]);
    let mut out = Vec::new();
    loop {
        let mut cmd = command(&mut replica);
        let name = cmd[0].to_lowercase();
        if name == "ping" {
            continue;
        }
        if name == "restore" {
            assert_eq!(cmd[3], String::from_utf8_lossy(&payload));
            cmd[3] = "<payload>".into();
            if cmd.last().is_some_and(|a| a.eq_ignore_ascii_case("absttl")) && cmd[2] != far {
                let at: i64 = cmd[2].parse().expect("absolute ms");
                assert!(
                    (before + 100_000..=after + 100_000).contains(&at),
                    "{at} not in [{before}, {after}] + 100000"
                );
                cmd[2] = "<now+100000>".into();
            } else if cmd[2] == far {
                cmd[2] = "<far>".into();
            }
        }
        let end = name == "set";
        out.push(cmd.into_iter().map(|a| a.to_lowercase()).collect());
        if end {
            return out;
        }
    }
}

#[test]
fn restore_is_propagated_with_absolute_ttls() {
    let server = start_lodestone(&[]);
    let ours = scenario(server.port);
    let expect: Vec<Vec<&str>> = vec![
        vec!["select", "0"],
        vec!["restore", "k1", "0", "<payload>"],
        vec!["restore", "k2", "<now+100000>", "<payload>", "absttl"],
        vec!["restore", "k3", "<far>", "<payload>", "absttl"],
        vec![
            "restore",
            "k4",
            "<now+100000>",
            "<payload>",
            "replace",
            "idletime",
            "10",
            "absttl",
        ],
        vec!["del", "k1"],
        vec!["set", "end", "1"],
    ];
    assert_eq!(ours, expect);
    let Some(redis) = start_redis(&["--repl-ping-replica-period", "3600"]) else {
        return;
    };
    assert_eq!(ours, scenario(redis.port));
}
