//! The data set as commands (Redis's `rewriteAppendOnlyFileRio`), for a
//! base file without the RDB preamble: FUNCTION LOAD for every library,
//! then per database a SELECT and, per key, the commands that rebuild it
//! (SET; RPUSH, SADD, ZADD, HMSET with at most 64 elements each; XADD,
//! XSETID, XGROUP CREATE, XGROUP CREATECONSUMER and XCLAIM for streams)
//! followed by PEXPIREAT when it has a time to live. The output is the
//! same as Redis's, so each server loads the other's files.

use super::feed::{push_command, push_header, push_timestamp};
use crate::server::Server;
use lodestone_storage::stream::{Stream, StreamId};
use lodestone_storage::Value;
use std::io::{self, Write};

/// Elements per variadic command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// Writes every function library and key of `server` to `out` as
/// commands, preceded by a timestamp annotation when `timestamp` is given,
/// calling `on_key` after each key with the number of keys written so far
/// (a rewrite child's progress reports).
pub fn write_dataset(
    server: &Server,
    out: &mut impl Write,
    timestamp: Option<i64>,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let mut keys = 0u64;
    let mut buf = Vec::with_capacity(64 * 1024);
    if let Some(t) = timestamp {
        push_timestamp(&mut buf, t);
    }
    for lib in server.functions.libs.iter() {
        push_command(&mut buf, &[b"FUNCTION".as_slice(), b"LOAD", &lib.code]);
    }
    let delay = crate::persistence::bgsave::child_key_delay(server);
    for db in 0..server.engine.db_count() {
        let shards = server.engine.shards();
        if shards.iter().all(|ks| ks.db(db).is_empty()) {
            continue;
        }
        let n = db.to_string();
        push_command(&mut buf, &[b"SELECT".as_slice(), n.as_bytes()]);
        for ks in shards {
            let d = ks.db(db);
            for entry in d.iter() {
                write_key(&mut buf, entry.key(), &entry.value);
                if let Some(at) = d.expire_of(entry) {
                    let at = at.to_string();
                    push_command(
                        &mut buf,
                        &[b"PEXPIREAT".as_slice(), entry.key(), at.as_bytes()],
                    );
                }
                if buf.len() >= 64 * 1024 || delay.is_some() {
                    out.write_all(&buf)?;
                    buf.clear();
                }
                keys += 1;
                on_key(keys);
                if let Some(d) = delay {
                    std::thread::sleep(d);
                }
            }
        }
    }
    out.write_all(&buf)
}

/// Appends a bulk string.
fn push_bulk(out: &mut Vec<u8>, b: &[u8]) {
    push_header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Splits the elements of one key into commands `name key ...` of at
/// most 64 elements (each `width` bulk strings).
struct Chunks<'a> {
    out: &'a mut Vec<u8>,
    name: &'static [u8],
    key: &'a [u8],
    width: usize,
    left: usize,
    in_cmd: usize,
}

impl<'a> Chunks<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        name: &'static [u8],
        key: &'a [u8],
        width: usize,
        len: usize,
    ) -> Self {
        Chunks {
            out,
            name,
            key,
            width,
            left: len,
            in_cmd: 0,
        }
    }

    /// Where the next element's bulk strings go (a command header first
    /// when one starts).
    fn element(&mut self) -> &mut Vec<u8> {
        if self.in_cmd == 0 {
            let n = self.left.min(ITEMS_PER_CMD);
            push_header(self.out, b'*', 2 + n * self.width);
            push_bulk(self.out, self.name);
            push_bulk(self.out, self.key);
        }
        self.in_cmd = (self.in_cmd + 1) % ITEMS_PER_CMD;
        self.left = self.left.saturating_sub(1);
        self.out
    }
}

/// A score as Redis's `fpconv_dtoa` writes it.
fn push_score(out: &mut Vec<u8>, score: f64) {
    let mut text = Vec::with_capacity(24);
    if score == 0.0 || !score.is_finite() {
        lodestone_protocol::num::push_double(&mut text, score);
    } else {
        lodestone_protocol::num::push_shortest(&mut text, score);
    }
    push_bulk(out, &text);
}

/// The commands that rebuild one key.
fn write_key(out: &mut Vec<u8>, key: &[u8], value: &Value) {
    let mut scratch = itoa::Buffer::new();
    if let Some(bytes) = value.string_bytes(&mut scratch) {
        push_command(out, &[b"SET".as_slice(), key, bytes]);
        return;
    }
    match value {
        Value::List(list) => {
            let mut c = Chunks::new(out, b"RPUSH", key, 1, list.len());
            list.for_each(|e| e.with_bytes(|b| push_bulk(c.element(), b)));
        }
        Value::Set(set) => {
            let mut c = Chunks::new(out, b"SADD", key, 1, set.len());
            for m in set.iter() {
                m.with_bytes(|b| push_bulk(c.element(), b));
            }
        }
        Value::ZSet(z) => {
            let mut c = Chunks::new(out, b"ZADD", key, 2, z.len());
            for (member, score) in z.iter() {
                let o = c.element();
                push_score(o, score.value());
                member.with_bytes(|b| push_bulk(o, b));
            }
        }
        Value::Hash(h) => {
            let mut c = Chunks::new(out, b"HMSET", key, 2, h.len());
            for (f, v) in h.iter() {
                let o = c.element();
                f.with_bytes(|b| push_bulk(o, b));
                v.with_bytes(|b| push_bulk(o, b));
            }
        }
        Value::Stream(s) => write_stream(out, key, s),
        // Strings were written above.
        Value::Int(_) | Value::Emb(_) | Value::Raw(_) => {}
    }
}

/// The commands that rebuild a stream: its entries, its last and maximal
/// deleted IDs and added-entries counter, its groups with their
/// consumers and pending entries.
fn write_stream(out: &mut Vec<u8>, key: &[u8], s: &Stream) {
    let id = |i: StreamId| i.to_string().into_bytes();
    if s.is_empty() {
        // XADD with MAXLEN 0 creates the key holding an empty stream.
        push_command(
            out,
            &[b"XADD".as_slice(), key, b"MAXLEN", b"0", b"0-1", b"x", b"y"],
        );
    } else {
        for e in s.range(StreamId::MIN, StreamId::MAX, false) {
            push_header(out, b'*', 3 + e.num_fields() * 2);
            push_bulk(out, b"XADD");
            push_bulk(out, key);
            push_bulk(out, &id(e.id));
            e.for_each_field(|f, v| {
                f.with_bytes(|b| push_bulk(out, b));
                v.with_bytes(|b| push_bulk(out, b));
            });
        }
    }
    let added = s.entries_added.to_string();
    push_command(
        out,
        &[
            b"XSETID".as_slice(),
            key,
            &id(s.last_id),
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &id(s.max_deleted_id),
        ],
    );
    for (name, g) in &s.groups {
        let read = g.entries_read.to_string();
        push_command(
            out,
            &[
                b"XGROUP".as_slice(),
                b"CREATE",
                key,
                name,
                &id(g.last_id),
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (cname, consumer) in &g.consumers {
            if consumer.pel.is_empty() {
                push_command(
                    out,
                    &[b"XGROUP".as_slice(), b"CREATECONSUMER", key, name, cname],
                );
                continue;
            }
            for pid in &consumer.pel {
                let Some(nack) = g.pel.get(pid) else {
                    continue;
                };
                let time = nack.delivery_time.to_string();
                let count = nack.delivery_count.to_string();
                push_command(
                    out,
                    &[
                        b"XCLAIM".as_slice(),
                        key,
                        name,
                        cname,
                        b"0",
                        &id(*pid),
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variadic_commands_hold_at_most_64_elements() {
        let mut out = Vec::new();
        let mut c = Chunks::new(&mut out, b"RPUSH", b"k", 1, 130);
        for i in 0..130 {
            push_bulk(c.element(), i.to_string().as_bytes());
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("*66\r\n$5\r\nRPUSH").count(), 2);
        assert_eq!(text.matches("*4\r\n$5\r\nRPUSH").count(), 1);
        let mut out = Vec::new();
        push_score(&mut out, 1.5);
        push_score(&mut out, 3.0);
        push_score(&mut out, f64::NEG_INFINITY);
        assert_eq!(out, b"$3\r\n1.5\r\n$1\r\n3\r\n$4\r\n-inf\r\n");
    }
}
