//! The SLOWLOG family: reading and clearing the log of slow commands
//! (recorded by the dispatcher, see `crate::slowlog`).

use super::{reply, ServerHandler};
use crate::server::Server;
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("slowlog|get", get),
    ("slowlog|len", len),
    ("slowlog|reset", reset),
    ("slowlog|help", help),
];

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_COUNT: usize = 10;

/// `SLOWLOG GET [count]`: the newest entries first; -1 means all. Each is
/// `[id, unix time, microseconds, [args], client address, client name]`.
fn get(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let count = match args.get(2) {
        None => DEFAULT_COUNT,
        Some(arg) => match parse_i64(arg) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return Err(CmdError::ValueOutOfRange(
                    "count should be greater than or equal to -1",
                ))
            }
        },
    };
    let log = &s.slowlog;
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
    let n = count.min(log.entries.len());
    r.array(n);
    for e in log.entries.iter().take(n) {
        r.array(6);
        r.int(e.id as i64);
        r.int(e.time_s);
        r.int(e.duration_us as i64);
        r.bulk_array(&e.args);
        r.bulk(e.peer.as_bytes());
        r.bulk(&e.name);
    }
    Ok(())
}

/// `SLOWLOG LEN`
fn len(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let n = s.slowlog.entries.len() as i64;
    reply(s, key, |r| r.int(n));
    Ok(())
}

/// `SLOWLOG RESET`: forgets the entries; ids keep growing.
fn reset(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.slowlog.entries.clear();
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `SLOWLOG HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
    ];
    reply(s, key, |r| reply_help(r, "SLOWLOG", LINES));
    Ok(())
}
