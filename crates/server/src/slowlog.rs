//! SLOWLOG: the most recent commands that ran longer than
//! `slowlog-log-slower-than`, at most `slowlog-max-len` of them.

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
        let id = self.slowlog.next_id;
        self.slowlog.next_id += 1;
        self.slowlog.entries.push_front(Entry {
            id,
            time_s: self.now_ms / 1000,
            duration_us,
            args: trim_args(args),
            peer,
            name,
        });
        self.slowlog.trim(max);
    }
}

#[cfg(test)]
mod tests {
    use super::trim_args;

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
