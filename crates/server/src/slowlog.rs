//! SLOWLOG: the most recent commands that ran longer than
//! `slowlog-log-slower-than`, at most `slowlog-max-len` of them.
//!
//! Secrets never reach the log: the arguments Redis redacts (passwords of
//! AUTH, HELLO, MIGRATE, ACL SETUSER rules, values of sensitive
//! configuration parameters) are stored as `(redacted)`.

use crate::server::Server;
use std::collections::VecDeque;

/// Most arguments kept per entry (the last one summarizes the rest).
const MAX_ARGS: usize = 32;
/// Most bytes kept per argument.
const MAX_ARG_BYTES: usize = 128;

/// One logged command.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Unique, increasing id.
    pub id: u64,
    /// Unix time (s) when the command ran.
    pub time_s: i64,
    /// Run time (µs).
    pub duration_us: u64,
    /// Arguments, trimmed.
    pub args: Vec<Vec<u8>>,
    /// Client address.
    pub peer: String,
    /// Client name.
    pub name: Vec<u8>,
}

/// The log, newest first.
#[derive(Default)]
pub struct SlowLog {
    /// Entries, newest at the front.
    pub entries: VecDeque<Entry>,
    /// Id of the next entry.
    pub next_id: u64,
}

impl SlowLog {
    /// Keeps at most `max` entries.
    pub fn trim(&mut self, max: usize) {
        self.entries.truncate(max);
    }
}

/// What a redacted argument is replaced with.
pub const REDACTED: &[u8] = b"(redacted)";

/// Positions of the arguments of a request that Redis redacts from the
/// slowlog and MONITOR: the secrets the command reads, found the way the
/// command itself parses them (an argument the command rejects before
/// reaching it is not redacted). `sensitive` tells whether a configuration
/// parameter's value is a secret.
pub fn redacted_positions(args: &[&[u8]], sensitive: impl Fn(&[u8]) -> bool) -> Vec<usize> {
    let is = |i: usize, word: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    };
    let argc = args.len();
    let mut out = Vec::new();
    if is(0, "auth") && argc <= 3 {
        out.extend(1..argc);
    } else if is(0, "hello") {
        let version_ok = argc < 2
            || lodestone_protocol::num::parse_i64(args[1]).is_some_and(|v| (2..=3).contains(&v));
        let mut j = 2;
        while version_ok && j < argc {
            let more = argc - 1 - j;
            if is(j, "auth") && more >= 2 {
                out.extend([j + 1, j + 2]);
                j += 3;
            } else if is(j, "setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
    } else if is(0, "config") && is(1, "set") && argc.is_multiple_of(2) {
        out.extend(
            (2..argc)
                .step_by(2)
                .filter(|&i| sensitive(args[i]))
                .map(|i| i + 1),
        );
    } else if is(0, "acl") && is(1, "setuser") {
        out.extend(2..argc);
    } else if is(0, "migrate") {
        let mut j = 6;
        while j < argc {
            let more = argc - 1 - j;
            if is(j, "copy") || is(j, "replace") {
                j += 1;
            } else if is(j, "auth") && more >= 1 {
                out.push(j + 1);
                j += 2;
            } else if is(j, "auth2") && more >= 2 {
                out.extend([j + 1, j + 2]);
                j += 3;
            } else {
                break;
            }
        }
    }
    out
}

/// Trims arguments as Redis stores them in the slowlog.
pub fn trim_args(args: &[&[u8]]) -> Vec<Vec<u8>> {
    let kept = args.len().min(MAX_ARGS);
    let mut out = Vec::with_capacity(kept);
    for (i, a) in args.iter().take(kept).enumerate() {
        if kept != args.len() && i == kept - 1 {
            out.push(format!("... ({} more arguments)", args.len() - kept + 1).into_bytes());
        } else if a.len() > MAX_ARG_BYTES {
            let mut v = a[..MAX_ARG_BYTES].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_ARG_BYTES).as_bytes());
            out.push(v);
        } else {
            out.push(a.to_vec());
        }
    }
    out
}

impl Server {
    /// Records a slow command run by client `key`.
    pub fn slowlog_record(&mut self, key: usize, args: &[&[u8]], duration_us: u64) {
        let max = self.rt.slowlog_max_len;
        if max == 0 {
            return;
        }
        let (peer, name) = match self.clients.get(key) {
            Some(c) => (c.addr.clone(), c.name.clone().unwrap_or_default()),
            None => (String::new(), Vec::new()),
        };
        let redacted = redacted_positions(args, |name| self.config_is_sensitive(name));
        let mut logged = trim_args(args);
        for i in redacted {
            // The last kept slot may summarize the arguments beyond it.
            if i + 1 < logged.len() || (i + 1 == logged.len() && logged.len() == args.len()) {
                logged[i] = REDACTED.to_vec();
            }
        }
        let id = self.slowlog.next_id;
        self.slowlog.next_id += 1;
        self.slowlog.entries.push_front(Entry {
            id,
            time_s: self.now_ms / 1000,
            duration_us,
            args: logged,
            peer,
            name,
        });
        self.slowlog.trim(max);
    }
}

impl Server {
    /// True when configuration parameter `name` holds a secret.
    pub(crate) fn config_is_sensitive(&self, name: &[u8]) -> bool {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.config.lookup(n))
            .is_some_and(|i| self.config.def(i).has(crate::config::registry::SENSITIVE))
    }
}

#[cfg(test)]
mod tests {
    use super::{redacted_positions, trim_args};

    fn redacted(args: &[&str]) -> Vec<usize> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        redacted_positions(&args, |n| n.eq_ignore_ascii_case(b"masterauth"))
    }

    #[test]
    fn redacts_secrets_like_redis() {
        assert_eq!(redacted(&["AUTH", "pw"]), vec![1]);
        assert_eq!(redacted(&["auth", "user", "pw"]), vec![1, 2]);
        assert!(redacted(&["auth", "a", "b", "c"]).is_empty());
        assert_eq!(
            redacted(&["HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"]),
            vec![3, 4]
        );
        assert!(redacted(&["HELLO", "4", "AUTH", "u", "p"]).is_empty());
        assert_eq!(
            redacted(&["config", "set", "maxmemory", "1", "masterauth", "x"]),
            vec![5]
        );
        assert_eq!(
            redacted(&["acl", "setuser", "u", "on", ">pw"]),
            vec![2, 3, 4]
        );
        assert_eq!(
            redacted(&["migrate", "h", "1", "k", "0", "5", "COPY", "AUTH2", "u", "p"]),
            vec![8, 9]
        );
        assert!(redacted(&["get", "k"]).is_empty());
    }

    #[test]
    fn trims_like_redis() {
        let big = vec![b'x'; 200];
        let args: Vec<&[u8]> = vec![b"set", b"k", &big];
        let t = trim_args(&args);
        assert_eq!(t[2].len(), 128 + "... (72 more bytes)".len());
        let many: Vec<Vec<u8>> = (0..40).map(|i| i.to_string().into_bytes()).collect();
        let refs: Vec<&[u8]> = many.iter().map(|v| v.as_slice()).collect();
        let t = trim_args(&refs);
        assert_eq!(t.len(), 32);
        assert_eq!(t[31], b"... (9 more arguments)");
    }
}
