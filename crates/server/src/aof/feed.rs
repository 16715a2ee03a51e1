//! The AOF's consumer of the effects stream (`propagate.rs`): every
//! execution unit is appended to the AOF buffer as RESP commands, with a
//! SELECT whenever the database changes and, with
//! `aof-timestamp-enabled`, a `#TS:<unix time>` annotation line whenever
//! the second changes (Redis's `feedAppendOnlyFile`). The buffer is
//! written to the incremental file before the event loop sends replies
//! (`flush.rs`).

use crate::propagate::{Effect, EffectSink, TARGET_AOF};
use std::cell::RefCell;
use std::rc::Rc;

/// The AOF buffer and what encoding it needs, shared by the sink and the
/// server.
#[derive(Debug, Default)]
pub struct Feed {
    /// Commands not yet written to the file.
    pub buf: Vec<u8>,
    /// The database the file has selected (`None`: unknown, so the next
    /// command gets a SELECT).
    pub selected_db: Option<usize>,
    /// Whether units are kept: with the AOF on, or while the rewrite that
    /// turns it on runs (Redis buffers nothing while that rewrite waits
    /// for another child to finish: the rewrite will see those writes).
    pub accepting: bool,
    /// `aof-timestamp-enabled`.
    pub timestamps: bool,
    /// The last annotated time (Unix seconds).
    pub last_timestamp: i64,
}

/// The shared feed.
pub type FeedHandle = Rc<RefCell<Feed>>;

/// The sink registered with the effects stream while the AOF is on.
pub struct AofSink {
    feed: FeedHandle,
}

impl AofSink {
    /// A sink appending to `feed`.
    pub fn new(feed: FeedHandle) -> AofSink {
        AofSink { feed }
    }
}

/// Appends `args` as a RESP array of bulk strings.
pub fn push_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    push_header(out, b'*', args.len());
    for a in args {
        let a = a.as_ref();
        push_header(out, b'$', a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `<mark><n>\r\n`.
pub fn push_header(out: &mut Vec<u8>, mark: u8, n: usize) {
    out.push(mark);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a timestamp annotation line.
pub fn push_timestamp(out: &mut Vec<u8>, unix: i64) {
    out.extend_from_slice(b"#TS:");
    out.extend_from_slice(itoa::Buffer::new().format(unix).as_bytes());
    out.extend_from_slice(b"\r\n");
}

impl Feed {
    /// Appends one execution unit.
    pub fn append(&mut self, unit: &[Effect], now_unix: i64) {
        if !self.accepting {
            return;
        }
        for e in unit {
            if self.timestamps && self.last_timestamp < now_unix {
                self.last_timestamp = now_unix;
                push_timestamp(&mut self.buf, now_unix);
            }
            if let Some(db) = e.db {
                if self.selected_db != Some(db) {
                    let n = itoa::Buffer::new().format(db).to_string();
                    push_command(&mut self.buf, &[b"SELECT".as_slice(), n.as_bytes()]);
                    self.selected_db = Some(db);
                }
            }
            push_command(&mut self.buf, &e.args);
        }
    }
}

impl EffectSink for AofSink {
    fn target(&self) -> u8 {
        TARGET_AOF
    }

    fn feed(&mut self, unit: &[Effect]) {
        let mut feed = self.feed.borrow_mut();
        let now = if feed.timestamps {
            crate::server::unix_ms() / 1000
        } else {
            0
        };
        feed.append(unit, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(db: Option<usize>, args: &[&str]) -> Effect {
        Effect {
            db,
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            targets: TARGET_AOF,
        }
    }

    #[test]
    fn selects_databases_and_annotates_time() {
        let mut f = Feed {
            accepting: true,
            ..Feed::default()
        };
        f.append(&[effect(Some(0), &["SET", "a", "1"])], 0);
        f.append(
            &[
                effect(None, &["MULTI"]),
                effect(Some(0), &["INCR", "a"]),
                effect(Some(2), &["DEL", "b"]),
                effect(None, &["EXEC"]),
            ],
            0,
        );
        assert_eq!(
            String::from_utf8(std::mem::take(&mut f.buf)).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n"
        );
        f.timestamps = true;
        f.append(&[effect(Some(2), &["DEL", "c"])], 1700000000);
        f.append(&[effect(Some(2), &["DEL", "d"])], 1700000000);
        let text = String::from_utf8(std::mem::take(&mut f.buf)).unwrap();
        assert_eq!(text.matches("#TS:1700000000\r\n").count(), 1);
        assert!(text.starts_with("#TS:1700000000\r\n*2\r\n$3\r\nDEL"));
        f.accepting = false;
        f.append(&[effect(Some(2), &["DEL", "e"])], 0);
        assert!(f.buf.is_empty());
    }
}
