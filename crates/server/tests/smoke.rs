//! End-to-end smoke test: the binary starts, answers RESP2 and RESP3, and
//! a real client library (redis-rs) works against it.

mod common;

use common::{bulk, simple, start_lodestone, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn answers_basic_commands() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["INCR", "n"]), Frame::Integer(1));
    // Inline commands work too (telnet / nc).
    c.send_raw(b"GET k\r\n");
    assert_eq!(c.read(), bulk("v"));
}

#[test]
fn redis_rs_client_works() {
    let server = start_lodestone(&[]);
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", server.port)).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut con)
        .unwrap();
    let v: String = redis::cmd("GET").arg("greeting").query(&mut con).unwrap();
    assert_eq!(v, "hello");
    let n: i64 = redis::cmd("INCRBY")
        .arg("counter")
        .arg(5)
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 5);
}
