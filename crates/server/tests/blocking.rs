//! Blocking list commands (BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH) with
//! several clients: each scenario runs on Lodestone and on redis-server
//! and the transcripts of replies (exact bytes) must be equal.
//!
//! Scenarios never depend on timing: a client is known to be blocked when
//! `INFO clients` says so, and timeouts are only checked for their reply.

mod common;

use common::{clients_field, encode, on_both, send, start_lodestone, text, wait_blocked, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn a_push_serves_the_blocked_client() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let mut out = Vec::new();
        for (cmd, push) in [
            (
                &["BLPOP", "nokey", "k", "0"][..],
                &["RPUSH", "k", "x", "y"][..],
            ),
            (&["BRPOP", "k2", "1000"][..], &["LPUSH", "k2", "x", "y"][..]),
            (
                &["BLMPOP", "0", "2", "m1", "m2", "LEFT", "COUNT", "2"][..],
                &["RPUSH", "m2", "1", "2", "3"][..],
            ),
            (
                &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"][..],
                &["RPUSH", "src", "a", "b"][..],
            ),
            (
                &["BRPOPLPUSH", "src2", "dst", "0"][..],
                &["RPUSH", "src2", "c", "d"][..],
            ),
        ] {
            send(&mut a, cmd);
            wait_blocked(&mut b, 1);
            out.push(text(b.cmd_raw(push)));
            out.push(text(a.read_raw()));
        }
        for key in ["k", "k2", "m2", "src", "src2", "dst"] {
            out.push(text(b.cmd_raw(&["LRANGE", key, "0", "-1"])));
        }
        out
    });
}

#[test]
fn clients_are_served_first_blocked_first() {
    on_both(|port| {
        let mut clients: Vec<Conn> = (0..3).map(|_| Conn::connect(port)).collect();
        let mut admin = Conn::connect(port);
        for (i, c) in clients.iter_mut().enumerate() {
            send(c, &["BLPOP", "q", "0"]);
            wait_blocked(&mut admin, i as i64 + 1);
        }
        let mut out = vec![text(admin.cmd_raw(&["RPUSH", "q", "one", "two"]))];
        out.push(text(clients[0].read_raw()));
        out.push(text(clients[1].read_raw()));
        wait_blocked(&mut admin, 1);
        out.push(text(admin.cmd_raw(&["RPUSH", "q", "three"])));
        out.push(text(clients[2].read_raw()));
        out.push(text(admin.cmd_raw(&["EXISTS", "q"])));
        out
    });
}

#[test]
fn timeouts_answer_null_arrays() {
    for hello in [false, true] {
        on_both(|port| {
            let mut c = Conn::connect(port);
            if hello {
                c.cmd(&["HELLO", "3"]);
            }
            [
                &["BLPOP", "nokey", "0.01"][..],
                &["BRPOP", "nokey", "other", "0.02"],
                &["BLMPOP", "0.01", "1", "nokey", "LEFT"],
                &["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0.01"],
                &["BRPOPLPUSH", "nokey", "dst", "0.01"],
            ]
            .iter()
            .map(|cmd| text(c.cmd_raw(cmd)))
            .collect()
        });
    }
}

#[test]
fn transactions_wake_clients_after_exec() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut b, 1);
        let mut out = Vec::new();
        for cmd in [
            &["MULTI"][..],
            &["RPUSH", "k", "a"],
            &["RPUSH", "k", "b"],
            &["LPOP", "k"],
            &["EXEC"],
        ] {
            out.push(text(b.cmd_raw(cmd)));
        }
        // The client sees the state after the whole transaction.
        out.push(text(a.read_raw()));
        // A push and pop in one transaction leave nothing to serve.
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut b, 1);
        for cmd in [
            &["MULTI"][..],
            &["RPUSH", "k", "x"],
            &["DEL", "k"],
            &["EXEC"],
        ] {
            out.push(text(b.cmd_raw(cmd)));
        }
        out.push(clients_field(&mut b, "blocked_clients").to_string());
        out.push(text(b.cmd_raw(&["RPUSH", "k", "y"])));
        out.push(text(a.read_raw()));
        out
    });
}

#[test]
fn a_key_of_another_type_keeps_the_client_waiting() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut b, 1);
        let mut out = vec![text(b.cmd_raw(&["SET", "k", "string"]))];
        out.push(clients_field(&mut b, "blocked_clients").to_string());
        out.push(text(b.cmd_raw(&["DEL", "k"])));
        out.push(text(b.cmd_raw(&["RPUSH", "k", "v"])));
        out.push(text(a.read_raw()));
        out
    });
}

#[test]
fn moves_chain_and_refuse_a_wrong_destination() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let mut c = Conn::connect(port);
        let mut out = Vec::new();
        // The element BLMOVE pushes serves a client blocked on the target.
        send(&mut a, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
        wait_blocked(&mut c, 1);
        send(&mut b, &["BLPOP", "dst", "0"]);
        wait_blocked(&mut c, 2);
        out.push(text(c.cmd_raw(&["RPUSH", "src", "v"])));
        out.push(text(a.read_raw()));
        out.push(text(b.read_raw()));
        out.push(text(c.cmd_raw(&["EXISTS", "src", "dst"])));
        // Source and destination the same list.
        send(&mut a, &["BLMOVE", "same", "same", "LEFT", "RIGHT", "0"]);
        wait_blocked(&mut c, 1);
        out.push(text(c.cmd_raw(&["RPUSH", "same", "x"])));
        out.push(text(a.read_raw()));
        out.push(text(c.cmd_raw(&["LRANGE", "same", "0", "-1"])));
        // A destination of the wrong type: the client gets the error and
        // the element stays in the source.
        c.cmd(&["SET", "target", "string"]);
        send(&mut a, &["BRPOPLPUSH", "from", "target", "0"]);
        wait_blocked(&mut c, 1);
        out.push(text(c.cmd_raw(&["RPUSH", "from", "a", "b", "c"])));
        out.push(text(a.read_raw()));
        out.push(text(c.cmd_raw(&["LRANGE", "from", "0", "-1"])));
        out
    });
}

#[test]
fn client_unblock_times_out_or_errors() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let Frame::Integer(id) = a.cmd(&["CLIENT", "ID"]) else {
            panic!("CLIENT ID failed");
        };
        let id = id.to_string();
        let mut out = vec![text(b.cmd_raw(&["CLIENT", "UNBLOCK", &id]))];
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut b, 1);
        out.push(text(b.cmd_raw(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"])));
        out.push(text(a.read_raw()));
        send(&mut a, &["BRPOPLPUSH", "k", "d", "0"]);
        wait_blocked(&mut b, 1);
        out.push(text(b.cmd_raw(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        out.push(text(a.read_raw()));
        out.push(text(b.cmd_raw(&["CLIENT", "UNBLOCK", &id, "OTHER"])));
        out.push(text(a.cmd_raw(&["PING"])));
        out
    });
}

#[test]
fn disconnected_clients_are_forgotten() {
    on_both(|port| {
        let mut admin = Conn::connect(port);
        let mut out = Vec::new();
        {
            let mut a = Conn::connect(port);
            send(&mut a, &["BLPOP", "k1", "k2", "k1", "0"]);
            wait_blocked(&mut admin, 1);
        }
        wait_blocked(&mut admin, 0);
        out.push(text(admin.cmd_raw(&["RPUSH", "k1", "v"])));
        out.push(text(admin.cmd_raw(&["LRANGE", "k1", "0", "-1"])));
        out
    });
}

#[test]
fn commands_pipelined_after_a_blocked_one_run_once_it_is_served() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let mut pipeline = encode(&[b"BLPOP", b"k", b"0"]);
        pipeline.extend(encode(&[b"LLEN", b"k"]));
        pipeline.extend(encode(&[b"PING"]));
        a.send_raw(&pipeline);
        wait_blocked(&mut b, 1);
        vec![
            text(b.cmd_raw(&["RPUSH", "k", "1", "2"])),
            text(a.read_raw()),
            text(a.read_raw()),
            text(a.read_raw()),
        ]
    });
}

/// `total_blocking_keys` is new in Redis 7.2: Lodestone only.
#[test]
fn blocked_keys_are_counted_in_info() {
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    let mut a = Conn::connect(server.port);
    let mut b = Conn::connect(server.port);
    send(&mut a, &["BLPOP", "x", "y", "0"]);
    wait_blocked(&mut admin, 1);
    send(&mut b, &["BLMOVE", "y", "z", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut admin, 2);
    assert_eq!(clients_field(&mut admin, "total_blocking_keys"), 2);
    admin.cmd(&["RPUSH", "y", "v"]);
    assert_eq!(
        a.read(),
        Frame::Array(vec![Frame::Bulk(b"y".to_vec()), Frame::Bulk(b"v".to_vec())])
    );
    wait_blocked(&mut admin, 1);
    assert_eq!(clients_field(&mut admin, "total_blocking_keys"), 1);
    admin.cmd(&["RPUSH", "y", "w"]);
    assert_eq!(b.read(), Frame::Bulk(b"w".to_vec()));
    assert_eq!(clients_field(&mut admin, "total_blocking_keys"), 0);
    // Keys of a client that disconnects while blocked are released.
    send(&mut a, &["BLPOP", "p", "q", "p", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(clients_field(&mut admin, "total_blocking_keys"), 2);
    drop(a);
    wait_blocked(&mut admin, 0);
    assert_eq!(clients_field(&mut admin, "total_blocking_keys"), 0);
}

/// A client that sends a blocking command and closes its connection at
/// once has its request and its FIN read behind one edge-triggered
/// wakeup; the server must still see the close and free the client, not
/// keep it blocked forever (TCL unit/type/list lost tests to such
/// leftover BRPOPLPUSH clients when run after other files).
#[test]
fn a_blocked_client_that_already_closed_is_freed() {
    let server = start_lodestone(&[]);
    for _ in 0..50 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        std::io::Write::write_all(&mut s, &encode(&[b"BLPOP", b"nokey", b"0"])).expect("send");
        s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    }
    let mut c = Conn::connect(server.port);
    // The closes are seen within a few event-loop iterations; a leaked
    // client would stay blocked however long this waits.
    let mut blocked = clients_field(&mut c, "blocked_clients");
    for _ in 0..200 {
        if blocked == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        blocked = clients_field(&mut c, "blocked_clients");
    }
    assert_eq!(blocked, 0, "clients left blocked after closing");
    assert_eq!(clients_field(&mut c, "connected_clients"), 1);
}
