//! Blocking sorted set pops (BZPOPMIN BZPOPMAX BZMPOP) with several
//! clients: each scenario runs on Lodestone and on redis-server and the
//! transcripts of replies (exact bytes) must be equal.
//!
//! Scenarios never depend on timing: a client is known to be blocked when
//! `INFO clients` says so, and timeouts are only checked for their reply.

mod common;

use common::{on_both, send, text, wait_blocked, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn an_add_serves_the_blocked_client() {
    for resp3 in [false, true] {
        on_both(|port| {
            let mut a = Conn::connect(port);
            let mut b = Conn::connect(port);
            if resp3 {
                a.cmd(&["HELLO", "3"]);
            }
            let mut out = Vec::new();
            for (cmd, add) in [
                (
                    &["BZPOPMIN", "nokey", "k", "0"][..],
                    &["ZADD", "k", "2", "x", "1", "y"][..],
                ),
                (
                    &["BZPOPMAX", "k2", "1000"][..],
                    &["ZADD", "k2", "1", "x", "2.5", "y"][..],
                ),
                (
                    &["BZMPOP", "0", "2", "m1", "m2", "MIN", "COUNT", "2"][..],
                    &["ZADD", "m2", "3", "c", "1", "a", "2", "b"][..],
                ),
                (
                    &["BZMPOP", "0", "1", "m3", "MAX"][..],
                    &["ZINCRBY", "m3", "7", "z"][..],
                ),
                (
                    &["BZPOPMIN", "st", "0"][..],
                    &["ZUNIONSTORE", "st", "1", "k"][..],
                ),
                (
                    &["BZPOPMAX", "rs", "0"][..],
                    &["ZRANGESTORE", "rs", "k2", "0", "-1"][..],
                ),
            ] {
                send(&mut a, cmd);
                wait_blocked(&mut b, 1);
                out.push(text(b.cmd_raw(add)));
                out.push(text(a.read_raw()));
            }
            for key in ["k", "k2", "m2", "m3", "st", "rs"] {
                out.push(text(b.cmd_raw(&["ZRANGE", key, "0", "-1", "WITHSCORES"])));
            }
            out
        });
    }
}

#[test]
fn clients_are_served_first_blocked_first() {
    on_both(|port| {
        let mut clients: Vec<Conn> = (0..3).map(|_| Conn::connect(port)).collect();
        let mut admin = Conn::connect(port);
        send(&mut clients[0], &["BZPOPMIN", "q", "0"]);
        wait_blocked(&mut admin, 1);
        send(
            &mut clients[1],
            &["BZMPOP", "0", "1", "q", "MAX", "COUNT", "1"],
        );
        wait_blocked(&mut admin, 2);
        send(&mut clients[2], &["BZPOPMAX", "q", "0"]);
        wait_blocked(&mut admin, 3);
        let mut out = vec![text(admin.cmd_raw(&["ZADD", "q", "1", "one", "2", "two"]))];
        out.push(text(clients[0].read_raw()));
        out.push(text(clients[1].read_raw()));
        wait_blocked(&mut admin, 1);
        out.push(text(admin.cmd_raw(&["ZADD", "q", "3", "three"])));
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
                &["BZPOPMIN", "nokey", "0.01"][..],
                &["BZPOPMAX", "nokey", "other", "0.02"],
                &["BZMPOP", "0.01", "1", "nokey", "MIN"],
                &["BZMPOP", "0.01", "2", "nokey", "other", "MAX", "COUNT", "3"],
            ]
            .iter()
            .map(|cmd| text(c.cmd_raw(cmd)))
            .collect()
        });
    }
}

#[test]
fn a_key_of_another_type_does_not_wake_the_client() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut admin = Conn::connect(port);
        send(&mut a, &["BZPOPMIN", "k", "0"]);
        wait_blocked(&mut admin, 1);
        let mut out = vec![text(admin.cmd_raw(&["SET", "k", "v"]))];
        out.push(text(admin.cmd_raw(&["RPUSH", "other", "x"])));
        wait_blocked(&mut admin, 1);
        out.push(text(admin.cmd_raw(&["DEL", "k"])));
        out.push(text(admin.cmd_raw(&["ZADD", "k", "5", "m"])));
        out.push(text(a.read_raw()));
        out.push(text(admin.cmd_raw(&["EXISTS", "k"])));
        out
    });
}

#[test]
fn transactions_wake_clients_after_exec() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut b = Conn::connect(port);
        let mut admin = Conn::connect(port);
        send(&mut a, &["BZPOPMIN", "k", "0"]);
        wait_blocked(&mut admin, 1);
        // Added and removed within one transaction: nothing to serve.
        let mut out = vec![text(admin.cmd_raw(&["MULTI"]))];
        out.push(text(admin.cmd_raw(&["ZADD", "k", "1", "a"])));
        out.push(text(admin.cmd_raw(&["ZREM", "k", "a"])));
        out.push(text(admin.cmd_raw(&["EXEC"])));
        wait_blocked(&mut admin, 1);
        // The client sees the final state of the transaction.
        send(&mut b, &["BZPOPMAX", "k", "0"]);
        wait_blocked(&mut admin, 2);
        out.push(text(admin.cmd_raw(&["MULTI"])));
        out.push(text(
            admin.cmd_raw(&["ZADD", "k", "1", "a", "2", "b", "3", "c"]),
        ));
        out.push(text(admin.cmd_raw(&["ZINCRBY", "k", "10", "a"])));
        out.push(text(admin.cmd_raw(&["EXEC"])));
        out.push(text(a.read_raw()));
        out.push(text(b.read_raw()));
        out.push(text(admin.cmd_raw(&[
            "ZRANGE",
            "k",
            "0",
            "-1",
            "WITHSCORES",
        ])));
        out
    });
}

#[test]
fn unblocked_and_disconnected_clients_are_cleaned_up() {
    on_both(|port| {
        let mut a = Conn::connect(port);
        let mut admin = Conn::connect(port);
        let Frame::Integer(id) = a.cmd(&["CLIENT", "ID"]) else {
            panic!("CLIENT ID");
        };
        let id = id.to_string();
        let mut out = Vec::new();
        send(&mut a, &["BZPOPMIN", "k", "0"]);
        wait_blocked(&mut admin, 1);
        out.push(text(admin.cmd_raw(&["CLIENT", "UNBLOCK", &id])));
        out.push(text(a.read_raw()));
        send(&mut a, &["BZMPOP", "0", "1", "k", "MIN"]);
        wait_blocked(&mut admin, 1);
        out.push(text(admin.cmd_raw(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        out.push(text(a.read_raw()));
        {
            let mut gone = Conn::connect(port);
            send(&mut gone, &["BZPOPMAX", "k", "0"]);
            wait_blocked(&mut admin, 1);
        }
        wait_blocked(&mut admin, 0);
        out.push(text(admin.cmd_raw(&["ZADD", "k", "1", "a"])));
        out.push(text(admin.cmd_raw(&["ZCARD", "k"])));
        out
    });
}
