//! While a BGSAVE child shares the data set's memory copy-on-write, the
//! parent avoids writing to it where Redis does: reading a key leaves its
//! access time alone (OBJECT IDLETIME keeps growing) until the child is
//! gone. Differential against redis-server.

mod common;

use common::in_dir::wait_bgsave_done;
use common::{on_both, text, Conn};
use std::time::Duration;

/// OBJECT IDLETIME of `key`, in seconds.
fn idle(c: &mut Conn, key: &str) -> i64 {
    let reply = text(c.cmd_raw(&["OBJECT", "IDLETIME", key]));
    reply
        .trim()
        .trim_start_matches(':')
        .parse()
        .unwrap_or_else(|_| panic!("OBJECT IDLETIME: {reply}"))
}

fn scenario(port: u16) -> Vec<String> {
    let mut c = Conn::connect(port);
    let mut out = vec![
        text(c.cmd_raw(&["SET", "k", "v"])),
        text(c.cmd_raw(&["SET", "k2", "v"])),
    ];
    std::thread::sleep(Duration::from_millis(2100));
    // Half a second per key keeps the child alive while we read.
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "500000"]);
    out.push(text(c.cmd_raw(&["BGSAVE"])));
    out.push(text(c.cmd_raw(&["GET", "k"])));
    out.push(format!(
        "idle during the save >= 2: {}",
        idle(&mut c, "k") >= 2
    ));
    wait_bgsave_done(&mut c);
    c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    out.push(text(c.cmd_raw(&["GET", "k"])));
    out.push(format!("idle after the save: {}", idle(&mut c, "k")));
    out
}

#[test]
fn reads_during_a_bgsave_leave_access_times_alone() {
    on_both(scenario);
}
