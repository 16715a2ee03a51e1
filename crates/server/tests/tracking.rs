//! Client-side caching (CLIENT TRACKING): default mode in RESP3 and with
//! RESP2 redirection to a `__redis__:invalidate` subscriber, BCAST with
//! prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, flushes, expiry,
//! eviction, the tracking table limit, and where invalidations land
//! relative to replies in transactions and scripts.
//!
//! Most scenarios are differential: the same commands run on Lodestone and
//! on redis-server over the same set of connections, and every frame each
//! connection receives (replies and push messages, in arrival order) is
//! compared byte for byte. Behaviour that changed in 7.2 (pushes for the
//! client whose command runs wait until after its reply) is compared with
//! the 7.2 build named by `REDIS72_SERVER` and skipped with a printed
//! reason without it.

mod common;

use common::{start_lodestone, start_redis, start_redis72, Conn, ServerProcess};
use lodestone_protocol::frame::Frame;
use std::time::{Duration, Instant};

/// One step of a scenario. Connections are numbered from 0; arguments
/// `{idN}` stand for connection N's client id.
enum Step {
    /// Runs a command and records nothing (HELLO's reply names the server).
    Quiet(usize, &'static [&'static str]),
    /// Runs a command and records every frame up to and including its
    /// reply (pushes that arrive before it included).
    Cmd(usize, &'static [&'static str]),
    /// Sends a command that has no reply (CLIENT REPLY OFF/SKIP).
    Send(usize, &'static [&'static str]),
    /// PINGs and records every frame up to the PONG: what the connection
    /// received since its last step.
    Drain(usize),
    /// QUIT: once +OK is read, the server has closed the connection.
    Quit(usize),
    /// Records the `tracking_*` fields of INFO.
    Info(usize),
    /// Lets time pass (for keys with a millisecond TTL).
    Sleep(u64),
}

use Step::*;

/// Which server the transcript is compared with.
#[derive(Clone, Copy)]
enum Oracle {
    /// Behaviour 7.0 and 7.2 share: Redis 7.2 when `REDIS72_SERVER` names
    /// it, else redis-server as installed (7.0 in CI).
    Any,
    /// Redis 7.2 (`REDIS72_SERVER`): behaviour new in 7.2.
    V72,
}

fn substitute(arg: &str, ids: &[i64]) -> String {
    let mut out = arg.to_string();
    for (i, id) in ids.iter().enumerate() {
        out = out.replace(&format!("{{id{i}}}"), &id.to_string());
    }
    out
}

/// A frame as text, with client ids replaced by `<idN>` in frames that
/// name a redirection (ids are assigned differently by each server).
fn show(raw: &[u8], ids: &[i64], names_ids: bool) -> String {
    let mut text = String::from_utf8_lossy(raw).into_owned();
    if names_ids || text.contains("redir") {
        for (i, id) in ids.iter().enumerate() {
            text = text.replace(&format!(":{id}\r\n"), &format!(":<id{i}>\r\n"));
        }
    }
    text
}

fn is_pong(raw: &[u8]) -> bool {
    raw == b"+PONG\r\n" || raw == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
}

/// Runs `steps` on `n` fresh connections to the server on `port` and
/// returns the transcript.
fn run(port: u16, n: usize, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Conn> = (0..n).map(|_| Conn::connect(port)).collect();
    let ids: Vec<i64> = conns
        .iter_mut()
        .map(|c| match c.cmd(&["CLIENT", "ID"]) {
            Frame::Integer(id) => id,
            other => panic!("CLIENT ID answered {other:?}"),
        })
        .collect();
    let mut log = Vec::new();
    for (k, step) in steps.iter().enumerate() {
        match step {
            Quiet(i, template) | Cmd(i, template) => {
                let args: Vec<String> = template.iter().map(|a| substitute(a, &ids)).collect();
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                let c = &mut conns[*i];
                common::send(c, &refs);
                let name = refs[0].to_ascii_lowercase();
                let push_reply = name.ends_with("subscribe");
                let names_ids = refs.iter().any(|a| a.eq_ignore_ascii_case("getredir"));
                let mut frames = Vec::new();
                loop {
                    let raw = c.read_raw();
                    let done = push_reply || !raw.starts_with(b">");
                    frames.push(show(&raw, &ids, names_ids));
                    if done {
                        break;
                    }
                }
                if matches!(step, Cmd(..)) {
                    log.push(format!("#{k} [{i}] {template:?} -> {frames:?}"));
                }
            }
            Send(i, args) => common::send(&mut conns[*i], args),
            Drain(i) => {
                let c = &mut conns[*i];
                common::send(c, &["PING"]);
                let mut frames = Vec::new();
                loop {
                    let raw = c.read_raw();
                    if is_pong(&raw) {
                        break;
                    }
                    frames.push(show(&raw, &ids, false));
                }
                log.push(format!("#{k} [{i}] drained {frames:?}"));
            }
            Quit(i) => {
                let reply = conns[*i].cmd_raw(&["QUIT"]);
                assert_eq!(reply, b"+OK\r\n");
            }
            Info(i) => {
                let Frame::Bulk(info) = conns[*i].cmd(&["INFO", "everything"]) else {
                    panic!("INFO failed");
                };
                let fields: Vec<String> = String::from_utf8_lossy(&info)
                    .lines()
                    .filter(|l| l.starts_with("tracking_"))
                    .map(str::to_string)
                    .collect();
                log.push(format!("#{k} info {fields:?}"));
            }
            Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }
    log
}

/// Runs the scenario on Lodestone and on the oracle and compares the
/// transcripts step by step. Returns Lodestone's transcript.
fn compare(oracle: Oracle, n: usize, steps: &[Step]) -> Vec<String> {
    let args = ["--enable-debug-command", "yes"];
    let ours_server = start_lodestone(&args);
    let ours = run(ours_server.port, n, steps);
    let redis: Option<ServerProcess> = match oracle {
        Oracle::Any if std::env::var_os("REDIS72_SERVER").is_some() => start_redis72(&args),
        Oracle::Any => start_redis(&args),
        Oracle::V72 => start_redis72(&args),
    };
    if let Some(redis) = redis {
        let theirs = run(redis.port, n, steps);
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "transcripts differ");
        }
        assert_eq!(ours.len(), theirs.len());
    }
    ours
}

/// Asserts that a transcript line contains `needle` (checks that hold on
/// Lodestone even when no oracle is available).
fn assert_line(log: &[String], step: usize, needle: &str) {
    let line = log
        .iter()
        .find(|l| l.starts_with(&format!("#{step} ")))
        .unwrap_or_else(|| panic!("no step {step} in {log:#?}"));
    assert!(
        line.contains(needle),
        "step {step}: {line} lacks {needle:?}"
    );
}

#[test]
fn resp3_default_mode_invalidates_keys_read() {
    let log = compare(
        Oracle::Any,
        2,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(1, &["MSET", "a", "1", "b", "1"]),
            Cmd(0, &["MGET", "a", "b", "c"]),
            Cmd(1, &["INCR", "a"]),
            Drain(0),
            // Already invalidated: no second message until read again.
            Cmd(1, &["INCR", "a"]),
            Drain(0),
            // A missing key that was read is tracked too; DEL of a
            // missing key changes nothing.
            Cmd(1, &["DEL", "c"]),
            Cmd(1, &["SET", "c", "x"]),
            Drain(0),
            // Keys are tracked by name, whatever the database.
            Cmd(1, &["SELECT", "1"]),
            Cmd(1, &["SET", "b", "2"]),
            Drain(0),
            Cmd(1, &["SELECT", "0"]),
            // Write commands do not track what they touch.
            Cmd(0, &["INCR", "d"]),
            Cmd(1, &["INCR", "d"]),
            Drain(0),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["INCR", "a"]),
            Drain(0),
        ],
    );
    assert_line(&log, 5, "invalidate");
    assert_line(&log, 7, "drained []");
}

#[test]
fn own_writes_are_invalidated_after_the_reply() {
    let log = compare(
        Oracle::Any,
        1,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["HSET", "h", "f", "1"]),
            Cmd(0, &["HGET", "h", "f"]),
            Cmd(0, &["HDEL", "h", "f"]),
            Drain(0),
            // A transaction that reads then writes: the message follows
            // EXEC's whole reply.
            Cmd(0, &["SET", "a", "1"]),
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["INCR", "a"]),
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["EXEC"]),
            Drain(0),
            // A key read inside the transaction and written after.
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "b"]),
            Cmd(0, &["SET", "b", "1"]),
            Cmd(0, &["EXEC"]),
            Drain(0),
            // FLUSHDB in a transaction: a null after EXEC's reply.
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["FLUSHDB"]),
            Cmd(0, &["EXEC"]),
            Drain(0),
        ],
    );
    assert_line(&log, 4, "[\":1\\r\\n\"]");
    assert_line(&log, 5, "invalidate");
}

#[test]
fn scripts_track_the_keys_their_read_commands_read() {
    // Redis 7.0 tracked the script's declared keys instead.
    compare(
        Oracle::V72,
        2,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(1, &["MSET", "k1", "1", "k2", "1"]),
            // Keys given to a script are not tracked by themselves.
            Cmd(
                0,
                &["EVAL", "redis.call('set', 'k3', 'x')", "2", "k1", "k2"],
            ),
            Cmd(1, &["MSET", "k1", "2", "k2", "2", "k3", "2"]),
            Drain(0),
            Cmd(
                0,
                &["EVAL", "return redis.call('get', 'k2')", "2", "k1", "k2"],
            ),
            Cmd(1, &["MSET", "k1", "3", "k2", "3"]),
            Drain(0),
            Cmd(0, &["EVAL_RO", "return redis.call('ping')", "1", "k1"]),
            Cmd(1, &["SET", "k1", "4"]),
            Drain(0),
            Cmd(
                0,
                &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k1"],
            ),
            Cmd(1, &["SET", "k1", "5"]),
            Drain(0),
            // With OPTIN, CLIENT CACHING YES covers the whole script.
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
            Cmd(0, &["EVAL", "return redis.call('get', 'k1')", "0"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(
                0,
                &[
                    "EVAL",
                    "redis.call('get', 'k2') return redis.call('get', 'k3')",
                    "0",
                ],
            ),
            Cmd(1, &["MSET", "k1", "1", "k2", "1", "k3", "1"]),
            Drain(0),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            // NOLOOP: a script's own writes are the client's in default
            // mode.
            Cmd(0, &["CLIENT", "TRACKING", "on", "NOLOOP"]),
            Cmd(0, &["GET", "k1"]),
            Cmd(0, &["EVAL", "return redis.call('set', 'k1', '6')", "0"]),
            Drain(0),
        ],
    );
}

#[test]
fn resp2_redirection_to_a_subscriber() {
    let log = compare(
        Oracle::Any,
        3,
        &[
            Cmd(1, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "{id1}"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Cmd(2, &["MSET", "a", "1", "b", "1"]),
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["INCR", "b"]),
            Cmd(0, &["INCR", "a"]),
            Drain(1),
            Cmd(0, &["MGET", "a", "b"]),
            Info(2),
            Cmd(2, &["FLUSHALL"]),
            Drain(1),
            Info(2),
            Cmd(2, &["FLUSHDB"]),
            Drain(1),
            Cmd(0, &["GET", "a"]),
            Cmd(2, &["FLUSHALL", "ASYNC"]),
            Info(2),
            Drain(1),
            // NOLOOP: the client's own writes are not reported.
            Cmd(
                0,
                &["CLIENT", "TRACKING", "on", "REDIRECT", "{id1}", "NOLOOP"],
            ),
            Cmd(0, &["MGET", "x", "y"]),
            Cmd(0, &["SET", "x", "1"]),
            Cmd(2, &["SET", "y", "1"]),
            Drain(1),
            // A RESP2 target that is not subscribed receives nothing.
            Cmd(1, &["UNSUBSCRIBE"]),
            Cmd(0, &["GET", "y"]),
            Cmd(2, &["SET", "y", "2"]),
            Drain(1),
            // The target leaves: the redirection is broken.
            Cmd(0, &["GET", "y"]),
            Quit(1),
            Cmd(2, &["SET", "y", "3"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Quiet(0, &["HELLO", "3", "SETNAME", "x"]),
            Cmd(0, &["GET", "y"]),
            Cmd(2, &["SET", "y", "4"]),
            Drain(0),
        ],
    );
    assert_line(&log, 7, "__redis__:invalidate");
    assert_line(&log, 11, "$-1");
}

#[test]
fn resp3_redirection_and_redirect_to_the_writer() {
    compare(
        Oracle::V72,
        3,
        &[
            Quiet(1, &["HELLO", "3"]),
            Quiet(2, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "{id1}"]),
            Cmd(0, &["GET", "a"]),
            Cmd(2, &["SET", "a", "1"]),
            Drain(1),
            // The target writes the key itself: its invalidation follows
            // its reply.
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["SET", "a", "2"]),
            Drain(1),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["MULTI"]),
            Cmd(1, &["SET", "a", "3"]),
            Cmd(1, &["PING"]),
            Cmd(1, &["EXEC"]),
            Drain(1),
            // A RESP3 tracking client redirecting to a RESP2 subscriber:
            // the flush null is written in the tracking client's protocol.
            Quiet(0, &["HELLO", "3"]),
            Quiet(2, &["HELLO", "2"]),
            Cmd(2, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "{id2}"]),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["FLUSHALL"]),
            Drain(2),
            Drain(0),
        ],
    );
}

#[test]
fn publish_to_self_follows_the_reply() {
    compare(
        Oracle::V72,
        1,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["SUBSCRIBE", "foo"]),
            Cmd(0, &["PUBLISH", "foo", "top"]),
            Drain(0),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["PING", "abc"]),
            Cmd(0, &["PUBLISH", "foo", "bar"]),
            Cmd(0, &["EXEC"]),
            Drain(0),
            Cmd(
                0,
                &[
                    "EVAL",
                    "redis.call('publish', 'foo', 'vaz') return 'bla'",
                    "0",
                ],
            ),
            Drain(0),
            Send(0, &["CLIENT", "REPLY", "SKIP"]),
            Send(0, &["PUBLISH", "foo", "skipped"]),
            Drain(0),
            // Keyspace notifications about the client's own writes too.
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", "KA"]),
            Cmd(0, &["PSUBSCRIBE", "__keyspace@0__:*"]),
            Cmd(0, &["SET", "k", "v"]),
            Drain(0),
            Send(0, &["CLIENT", "REPLY", "OFF"]),
            Send(0, &["DEL", "k"]),
            Cmd(0, &["CLIENT", "REPLY", "ON"]),
            Drain(0),
            Cmd(0, &["CONFIG", "SET", "notify-keyspace-events", ""]),
        ],
    );
}

#[test]
fn bcast_mode_batches_changes_per_prefix() {
    compare(
        Oracle::Any,
        4,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(2, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "PREFIX", "a:",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(
                3,
                &["CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", "{id2}"],
            ),
            Cmd(1, &["MSET", "a:2", "x", "b:1", "y", "c:1", "z", "a:1", "w"]),
            Drain(0),
            Drain(2),
            // One message per prefix per event-loop iteration, keys sorted.
            Cmd(1, &["MULTI"]),
            Cmd(1, &["INCR", "b:2"]),
            Cmd(1, &["DEL", "a:1"]),
            Cmd(1, &["INCR", "b:2"]),
            Cmd(1, &["EXEC"]),
            Drain(0),
            Drain(2),
            // Adding a prefix; an overlapping one is refused.
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:x"]),
            Cmd(1, &["SET", "c:1", "1"]),
            Drain(0),
            // NOLOOP: keys the client changed last are left out, even in
            // the batch of a prefix others changed too.
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]),
            Cmd(0, &["MSET", "a:1", "1", "a:2", "2"]),
            Cmd(1, &["SET", "a:3", "3"]),
            Drain(0),
            Cmd(0, &["SET", "a:1", "1"]),
            Drain(0),
            // A script's writes are not the client's own.
            Cmd(0, &["EVAL", "return redis.call('set', 'a:9', '1')", "0"]),
            Drain(0),
            Info(1),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Info(1),
            Cmd(0, &["FLUSHALL"]),
            Drain(2),
        ],
    );
}

#[test]
fn bcast_noloop_still_hears_of_expiry_of_its_keys() {
    compare(
        Oracle::Any,
        2,
        &[
            Cmd(1, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", "{id1}", "NOLOOP",
                ],
            ),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["SET", "k", "v", "PX", "1"]),
            Cmd(0, &["SET", "other", "v"]),
            Cmd(0, &["DEBUG", "SLEEP", "0.01"]),
            Cmd(0, &["GET", "k"]),
            Cmd(0, &["EXEC"]),
            Drain(1),
            Cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
        ],
    );
}

#[test]
fn lazy_expiry_invalidates_after_the_reply() {
    compare(
        Oracle::Any,
        1,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["MSET", "x", "1", "y", "2"]),
            Cmd(0, &["PEXPIRE", "y", "1"]),
            Cmd(0, &["GET", "y"]),
            Cmd(0, &["EXEC"]),
            Sleep(20),
            Cmd(0, &["MGET", "x", "y"]),
            Drain(0),
            Cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
        ],
    );
}

#[test]
fn optin_and_optout_with_client_caching() {
    compare(
        Oracle::Any,
        2,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["SET", "a", "1"]),
            Drain(0),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(1, &["SET", "a", "2"]),
            Drain(0),
            // Only the next command counts...
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["PING"]),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["SET", "a", "3"]),
            Drain(0),
            // ...but CLIENT commands in between keep it.
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Quiet(0, &["CLIENT", "ID"]),
            Cmd(0, &["GET", "a"]),
            Cmd(1, &["SET", "a", "4"]),
            Drain(0),
            // A whole transaction counts, and CACHING may be queued in it.
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "a"]),
            Cmd(0, &["GET", "b"]),
            Cmd(0, &["EXEC"]),
            Cmd(0, &["MULTI"]),
            Cmd(0, &["GET", "c"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["GET", "d"]),
            Cmd(0, &["EXEC"]),
            Cmd(1, &["MSET", "a", "5", "b", "5", "c", "5", "d", "5"]),
            Drain(0),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
            Cmd(0, &["MGET", "a", "b"]),
            Cmd(0, &["CLIENT", "CACHING", "no"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["GET", "c"]),
            Cmd(1, &["MSET", "a", "6", "b", "6", "c", "6"]),
            Drain(0),
        ],
    );
}

#[test]
fn tracking_errors_and_info() {
    compare(
        Oracle::Any,
        2,
        &[
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Cmd(0, &["CLIENT", "TRACKING"]),
            Cmd(0, &["CLIENT", "TRACKING", "maybe"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "foo"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "PREFIX"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "abc"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "0"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "-1"]),
            Cmd(0, &["CLIENT", "TRACKING", "off", "REDIRECT", "99999"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "REDIRECT", "{id1}", "REDIRECT", "{id1}",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKING", "on", "PREFIX", "a"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"]),
            Cmd(0, &["CLIENT", "TRACKING", "maybe", "OPTIN", "OPTOUT"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "CACHING", "no"]),
            Cmd(0, &["CLIENT", "CACHING", "maybe"]),
            Cmd(0, &["CLIENT", "CACHING"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
            Cmd(0, &["CLIENT", "CACHING", "yes"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO",
                ],
            ),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "FOOBAR",
                ],
            ),
            Cmd(
                0,
                &[
                    "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR",
                ],
            ),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FO"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "BARB"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "BAR"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST"]),
            Cmd(0, &["CLIENT", "TRACKING", "on"]),
            Cmd(
                0,
                &["CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", "{id1}"],
            ),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "GETREDIR"]),
            Quiet(0, &["HELLO", "3", "SETNAME", "x"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["CLIENT", "TRACKING", "off"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(0, &["RESET"]),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Info(1),
        ],
    );
}

#[test]
fn broken_redirection_is_reported_to_a_resp3_client() {
    let log = compare(
        Oracle::Any,
        3,
        &[
            Quiet(0, &["HELLO", "3"]),
            Cmd(1, &["SUBSCRIBE", "__redis__:invalidate"]),
            Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "{id1}"]),
            Cmd(0, &["MGET", "a", "b"]),
            Quit(1),
            Cmd(2, &["SET", "a", "1"]),
            Drain(0),
            Cmd(0, &["CLIENT", "TRACKINGINFO"]),
            Cmd(2, &["SET", "b", "1"]),
            Send(0, &["CLIENT", "REPLY", "OFF"]),
            Cmd(2, &["SET", "a", "2"]),
            Cmd(0, &["CLIENT", "REPLY", "ON"]),
            Drain(0),
        ],
    );
    assert_line(&log, 6, "tracking-redir-broken");
}

/// Reads frames from `c` until one satisfies `done`, within a bound.
fn wait_for(c: &mut Conn, what: &str, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        common::send(c, &["PING"]);
        loop {
            let raw = c.read_raw();
            if is_pong(&raw) {
                break;
            }
            if done(&raw) {
                // The PONG that follows.
                while !is_pong(&c.read_raw()) {}
                return raw;
            }
        }
        assert!(Instant::now() < deadline, "never received {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn info_field(c: &mut Conn, name: &str) -> i64 {
    let Frame::Bulk(info) = c.cmd(&["INFO", "everything"]) else {
        panic!("INFO failed");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO"))
}

#[test]
fn active_expiry_invalidates_in_both_modes() {
    let server = start_lodestone(&[]);
    let mut tracker = Conn::connect(server.port);
    let mut bcast = Conn::connect(server.port);
    tracker.cmd(&["HELLO", "3"]);
    bcast.cmd(&["HELLO", "3"]);
    tracker.cmd(&["CLIENT", "TRACKING", "on"]);
    bcast.cmd(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "exp:", "NOLOOP",
    ]);
    bcast.cmd(&["SET", "exp:k", "v", "PX", "30"]);
    tracker.cmd(&["GET", "exp:k"]);
    let expected = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nexp:k\r\n";
    // Expired by the server, not by the NOLOOP client that set it.
    for c in [&mut tracker, &mut bcast] {
        let got = wait_for(c, "the expiry's invalidation", |f| f.starts_with(b">"));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected)
        );
    }
    let mut admin = Conn::connect(server.port);
    assert_eq!(info_field(&mut admin, "tracking_total_keys"), 0);
}

#[test]
fn table_limit_invalidates_keys_beyond_it() {
    let server = start_lodestone(&[]);
    let mut tracker = Conn::connect(server.port);
    let mut admin = Conn::connect(server.port);
    tracker.cmd(&["HELLO", "3"]);
    tracker.cmd(&["CLIENT", "TRACKING", "on"]);
    let keys: Vec<String> = (0..250).map(|i| format!("key:{i}")).collect();
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    tracker.cmd(&mget);
    assert_eq!(info_field(&mut admin, "tracking_total_keys"), 250);
    assert_eq!(info_field(&mut admin, "tracking_total_items"), 250);
    admin.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "10"]);
    // The limit applies before the next command of any client: more than
    // one round of 100 keys is needed, so the tick finishes the job.
    let mut invalidated = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while invalidated.len() < 240 {
        assert!(
            Instant::now() < deadline,
            "only {} invalidated",
            invalidated.len()
        );
        common::send(&mut tracker, &["PING"]);
        loop {
            let raw = tracker.read_raw();
            if is_pong(&raw) {
                break;
            }
            let Ok(Some((Frame::Push(parts), _))) = lodestone_protocol::frame::parse(&raw) else {
                panic!("unexpected frame {:?}", String::from_utf8_lossy(&raw));
            };
            let Some(Frame::Array(names)) = parts.get(1) else {
                panic!("bad invalidation {parts:?}");
            };
            for n in names {
                let Frame::Bulk(n) = n else {
                    panic!("bad key {n:?}")
                };
                assert!(invalidated.insert(n.clone()), "key invalidated twice");
            }
        }
    }
    assert_eq!(invalidated.len(), 240);
    assert_eq!(info_field(&mut admin, "tracking_total_keys"), 10);
    // Reading more keys stays within the limit from one command to the next.
    let more: Vec<String> = (0..50).map(|i| format!("more:{i}")).collect();
    for k in &more {
        tracker.cmd(&["GET", k]);
    }
    admin.cmd(&["PING"]);
    assert!(info_field(&mut admin, "tracking_total_keys") <= 10);
}

#[test]
fn maxmemory_eviction_invalidates_evicted_keys() {
    let server = start_lodestone(&[]);
    let mut tracker = Conn::connect(server.port);
    let mut admin = Conn::connect(server.port);
    tracker.cmd(&["HELLO", "3"]);
    tracker.cmd(&["CLIENT", "TRACKING", "on"]);
    admin.cmd(&["SET", "victim", "v"]);
    tracker.cmd(&["GET", "victim"]);
    admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    // Far below what the server uses: every key goes.
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    let got = wait_for(&mut tracker, "the eviction's invalidation", |f| {
        f.starts_with(b">")
    });
    assert_eq!(
        String::from_utf8_lossy(&got),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nvictim\r\n"
    );
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
}

#[test]
fn unblocked_command_gets_its_invalidation_after_its_reply() {
    let server = start_lodestone(&[]);
    let mut waiter = Conn::connect(server.port);
    let mut pusher = Conn::connect(server.port);
    waiter.cmd(&["HELLO", "3"]);
    waiter.cmd(&["CLIENT", "TRACKING", "on"]);
    pusher.cmd(&["RPUSH", "dst", "a"]);
    waiter.cmd(&["LRANGE", "dst", "0", "-1"]);
    common::send(&mut waiter, &["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    common::wait_blocked(&mut pusher, 1);
    pusher.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(waiter.read_raw(), b"$3\r\nfoo\r\n");
    assert_eq!(
        String::from_utf8_lossy(&waiter.read_raw()),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\ndst\r\n"
    );
}

#[test]
fn client_list_flags_and_disconnect_cleanup() {
    let server = start_lodestone(&[]);
    let mut admin = Conn::connect(server.port);
    let mut sub = Conn::connect(server.port);
    let mut bcast = Conn::connect(server.port);
    let Frame::Integer(sub_id) = sub.cmd(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID");
    };
    sub.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    let redirect = sub_id.to_string();
    let on = [
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p", "REDIRECT", &redirect,
    ];
    bcast.cmd(&on);
    let info = |c: &mut Conn| match c.cmd(&["CLIENT", "INFO"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("CLIENT INFO answered {other:?}"),
    };
    let line = info(&mut bcast);
    assert!(line.contains(" flags=tB "), "{line}");
    assert!(line.contains(&format!(" redir={sub_id} ")), "{line}");
    assert!(info(&mut admin).contains(" redir=-1 "));
    assert_eq!(info_field(&mut admin, "tracking_clients"), 1);
    assert_eq!(info_field(&mut admin, "tracking_total_prefixes"), 1);
    sub.cmd(&["QUIT"]);
    admin.cmd(&["SET", "p1", "x"]);
    // The next iteration's broadcast finds the redirection gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !info(&mut bcast).contains(" flags=tRB ") {
        assert!(Instant::now() < deadline, "redirection never seen broken");
        admin.cmd(&["SET", "p1", "x"]);
    }
    drop(bcast);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut admin, "tracking_clients") != 0 {
        assert!(
            Instant::now() < deadline,
            "tracking client never cleaned up"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(info_field(&mut admin, "tracking_total_prefixes"), 0);
}
