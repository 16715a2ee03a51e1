//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH, TIME.

use super::{reply, ServerHandler};
use crate::client::{flags, ReplyMode};
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("select", select),
    ("quit", quit),
    ("reset", reset),
    ("hello", hello),
    ("auth", auth),
    ("time", time),
];

/// The Redis version Lodestone is compatible with (clients enable features by it).
pub const REDIS_VERSION: &str = "7.2.6";

/// `PING [message]`: in RESP2 subscribed mode the reply is `["pong", message]`.
fn ping(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 2 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    let pubsub2 = s.clients.get(key).is_some_and(|c| c.in_resp2_pubsub());
    reply(s, key, |r| {
        if pubsub2 {
            r.array(2);
            r.bulk(b"pong");
            r.bulk(args.get(1).copied().unwrap_or(b""));
        } else if let Some(msg) = args.get(1) {
            r.bulk(msg);
        } else {
            r.simple("PONG");
        }
    });
    Ok(())
}

/// `ECHO message`
fn echo(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    reply(s, key, |r| r.bulk(args[1]));
    Ok(())
}

/// `SELECT index`
fn select(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let n = lodestone_commands::args::int(args[1])?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(CmdError::OutOfRangeBetween(
            i32::MIN as i64,
            i32::MAX as i64,
        ));
    }
    if n < 0 || n as usize >= s.engine.db_count() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    if let Some(c) = s.clients.get_mut(key) {
        c.db = n as usize;
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `QUIT`: replies OK and closes once the reply is written.
fn quit(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    reply(s, key, |r| r.ok());
    if let Some(c) = s.clients.get_mut(key) {
        c.flags |= flags::CLOSE_AFTER_REPLY;
    }
    Ok(())
}

/// `RESET`: back to a fresh connection's state.
fn reset(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.monitors.retain(|&m| m != key);
    s.unwatch_all(key);
    s.pubsub_forget_client(key);
    s.disable_tracking(key);
    let auth = s.rt.requirepass.is_none();
    if let Some(c) = s.clients.get_mut(key) {
        c.multi = None;
        c.db = 0;
        c.resp = 2;
        c.name = None;
        c.authenticated = auth;
        c.user = "default".into();
        c.reply_mode = ReplyMode::On;
        c.flags &= !(flags::MONITOR | flags::NO_TOUCH | flags::NO_EVICT);
    }
    reply(s, key, |r| r.simple("RESET"));
    Ok(())
}

/// Compares secrets in time independent of where they differ.
fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks credentials of the default user (`requirepass`).
fn authenticate(s: &mut Server, key: usize, user: &[u8], pass: &[u8]) -> bool {
    let ok = user == b"default"
        && match &s.rt.requirepass {
            Some(p) => secrets_equal(p, pass),
            None => true,
        };
    if ok {
        if let Some(c) = s.clients.get_mut(key) {
            c.authenticated = true;
            c.user = "default".into();
        }
    }
    ok
}

/// `AUTH [username] password`
fn auth(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        if s.rt.requirepass.is_none() {
            return Err(CmdError::AuthNotConfigured);
        }
        (b"default", args[1])
    } else {
        (args[1], args[2])
    };
    if !authenticate(s, key, user, pass) {
        return Err(CmdError::WrongPass);
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
fn hello(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut version = None;
    let mut next = 1;
    if args.len() >= 2 {
        let v = lodestone_protocol::num::parse_i64(args[1])
            .ok_or(CmdError::ProtocolVersionNotInteger)?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::NoProto);
        }
        version = Some(v as u8);
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = next;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(args[j], "AUTH") && more >= 2 {
            credentials = Some((args[j + 1], args[j + 2]));
            j += 3;
        } else if is(args[j], "SETNAME") && more >= 1 {
            crate::handlers::connection::validate_client_name(args[j + 1])?;
            name = Some(args[j + 1]);
            j += 2;
        } else {
            return Err(CmdError::HelloSyntax(
                String::from_utf8_lossy(args[j]).into_owned(),
            ));
        }
    }
    if let Some((user, pass)) = credentials {
        if !authenticate(s, key, user, pass) {
            return Err(CmdError::WrongPass);
        }
    }
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if !c.authenticated {
        return Err(CmdError::HelloNoAuth);
    }
    if let Some(n) = name {
        c.name = if n.is_empty() { None } else { Some(n.to_vec()) };
    }
    if let Some(v) = version {
        c.resp = v;
    }
    let (id, resp) = (c.id, c.resp);
    reply(s, key, |r| {
        r.map(7);
        r.bulk(b"server");
        r.bulk(b"redis");
        r.bulk(b"version");
        r.bulk(REDIS_VERSION.as_bytes());
        r.bulk(b"proto");
        r.int(resp as i64);
        r.bulk(b"id");
        r.int(id as i64);
        r.bulk(b"mode");
        r.bulk(b"standalone");
        r.bulk(b"role");
        r.bulk(b"master");
        r.bulk(b"modules");
        r.array(0);
    });
    Ok(())
}

/// Refuses client names with spaces, newlines or other special characters
/// (only printable ASCII from `!` to `~` is allowed).
pub fn validate_client_name(name: &[u8]) -> CmdResult {
    if name.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        Ok(())
    } else {
        Err(CmdError::InvalidClientName)
    }
}

/// `TIME`: Unix seconds and microseconds.
fn time(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let us = s.cmd_time_us;
    reply(s, key, |r| {
        r.array(2);
        r.bulk_i64(us / 1_000_000);
        r.bulk_i64(us % 1_000_000);
    });
    Ok(())
}
