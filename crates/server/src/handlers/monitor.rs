//! MONITOR: streams every command the server runs to the monitoring clients.

use super::{reply, ServerHandler};
use crate::client::flags;
use crate::server::Server;
use lodestone_commands::CmdResult;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[("monitor", monitor)];

/// `MONITOR`
fn monitor(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if c.has(flags::MONITOR) {
        return Ok(());
    }
    c.flags |= flags::MONITOR;
    s.monitors.push(key);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// Appends `s` quoted the way Redis's `sdscatrepr` quotes it.
pub fn push_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

impl Server {
    /// Sends a command line to every MONITOR client:
    /// `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`.
    pub fn feed_monitors(&mut self, key: usize, args: &[&[u8]]) {
        let Some(c) = self.clients.get(key) else {
            return;
        };
        let us = crate::server::unix_us();
        // Commands run by a script are shown as coming from "lua".
        let source = if self.in_script { "lua" } else { &c.addr };
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            us / 1_000_000,
            us % 1_000_000,
            c.db,
            source
        )
        .into_bytes();
        // Secrets (AUTH, HELLO AUTH, CONFIG SET requirepass, ...) are shown
        // as "(redacted)", exactly where SLOWLOG hides them.
        let redacted =
            crate::slowlog::redacted_positions(args, |name| self.config_is_sensitive(name));
        for (i, a) in args.iter().enumerate() {
            line.push(b' ');
            if redacted.contains(&i) {
                push_repr(&mut line, b"(redacted)");
            } else {
                push_repr(&mut line, a);
            }
        }
        line.extend_from_slice(b"\r\n");
        for m in self.monitors.clone() {
            if m == key {
                continue;
            }
            if let Some(mc) = self.clients.get_mut(m) {
                mc.out.extend_from_slice(&line);
                self.schedule_write(m);
            }
        }
    }
}
