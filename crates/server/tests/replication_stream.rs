//! SYNC: a replica connection gets the snapshot (an RDB payload) and then
//! every write as the effects stream: a SELECT when the database changes,
//! transactions and scripts wrapped in MULTI/EXEC, nothing for reads or
//! writes that changed nothing.

mod common;

use common::{start_lodestone, Conn};
use lodestone_protocol::frame::Frame;

/// Reads the `$len` header and the RDB payload after SYNC.
fn read_snapshot(replica: &mut Conn) -> Vec<u8> {
    let header = replica.read_line();
    assert_eq!(header[0], b'$');
    let len: usize = std::str::from_utf8(&header[1..])
        .expect("utf8")
        .parse()
        .expect("length");
    replica.read_bytes(len)
}

fn command(replica: &mut Conn) -> Vec<String> {
    match replica.read() {
        Frame::Array(parts) => parts
            .into_iter()
            .map(|p| match p {
                Frame::Bulk(b) => String::from_utf8_lossy(&b).to_lowercase(),
                other => panic!("unexpected {other:?}"),
            })
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn sync_streams_the_effects_of_writes() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["SET", "before", "1"]);
    let mut replica = Conn::connect(server.port);
    common::send(&mut replica, &["SYNC"]);
    let rdb = read_snapshot(&mut replica);
    assert_eq!(&rdb[..9], b"REDIS0011");
    c.cmd(&["SELECT", "9"]);
    c.cmd(&["SET", "foo", "bar"]);
    c.cmd(&["GET", "foo"]);
    c.cmd(&["SET", "foo", "baz", "NX"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["LPUSH", "l", "a"]);
    c.cmd(&["EXEC"]);
    c.cmd(&[
        "EVAL",
        "redis.call('set', 'a', 1) return redis.call('get', 'a')",
        "0",
    ]);
    let expected: Vec<Vec<&str>> = vec![
        vec!["select", "9"],
        vec!["set", "foo", "bar"],
        vec!["multi"],
        vec!["incr", "n"],
        vec!["select", "3"],
        vec!["lpush", "l", "a"],
        vec!["exec"],
        vec!["set", "a", "1"],
    ];
    for want in expected {
        assert_eq!(command(&mut replica), want);
    }
}
