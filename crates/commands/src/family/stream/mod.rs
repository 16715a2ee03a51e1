//! Stream commands (Redis's `t_stream.c`).
//!
//! * `id.rs`: parsing IDs and range bounds.
//! * `write.rs`: XADD, XTRIM (with their shared trimming options), XDEL,
//!   XSETID.
//! * `range.rs`: XLEN, XRANGE, XREVRANGE.
//! * `read.rs`: XREAD and XREADGROUP, blocking included.
//! * `group.rs`: XGROUP and its subcommands.
//! * `pending.rs`: XACK, XPENDING, XCLAIM, XAUTOCLAIM.
//! * `info.rs`: XINFO STREAM / GROUPS / CONSUMERS.
//! * `effects.rs`: the commands group reads and claims are propagated as.
//!
//! The data structure is the storage layer's
//! ([`lodestone_storage::stream`]). Every write raises its `stream`-class
//! event (`xadd`, `xtrim`, `xdel`, `xgroup-create`, ...) as Redis does.

mod effects;
mod group;
mod id;
mod info;
mod pending;
mod range;
mod read;
mod write;

use crate::error::CmdError;
use crate::Handler;
use lodestone_protocol::Reply;
use lodestone_storage::listpack::LpEntry;
use lodestone_storage::stream::{Entry, Stream, StreamId};
use lodestone_storage::Lookup;
use lodestone_storage::{Keyspace, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("xadd", write::xadd),
    ("xtrim", write::xtrim),
    ("xdel", write::xdel),
    ("xsetid", write::xsetid),
    ("xlen", range::xlen),
    ("xrange", range::xrange),
    ("xrevrange", range::xrevrange),
    ("xread", read::xread),
    ("xreadgroup", read::xreadgroup),
    ("xgroup|create", group::create),
    ("xgroup|setid", group::setid),
    ("xgroup|destroy", group::destroy),
    ("xgroup|createconsumer", group::createconsumer),
    ("xgroup|delconsumer", group::delconsumer),
    ("xgroup|help", group::help),
    ("xack", pending::xack),
    ("xpending", pending::xpending),
    ("xclaim", pending::xclaim),
    ("xautoclaim", pending::xautoclaim),
    ("xinfo|stream", info::stream),
    ("xinfo|groups", info::groups),
    ("xinfo|consumers", info::consumers),
    ("xinfo|help", info::help),
];

/// The stream at `key` for a read (counting a hit or miss): `None` when
/// absent, WRONGTYPE for another type. Mutable because reads by a group
/// (XREADGROUP) change the group.
fn read_stream<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k mut Stream>, CmdError> {
    match ks.lookup(db, key, Lookup::READ).map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The stream at `key` for a write: `None` when absent, WRONGTYPE for
/// another type.
fn write_stream<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k mut Stream>, CmdError> {
    match ks.lookup_write(db, key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Writes an ID as a bulk string.
fn reply_id(out: &mut Reply, id: StreamId) {
    out.bulk(id.text().as_bytes());
}

/// Writes a listpack element as a bulk string.
fn reply_lp(out: &mut Reply, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(n) => out.bulk_i64(n),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// Writes an entry as `[id, [field, value, ...]]`.
fn reply_entry(out: &mut Reply, e: &Entry<'_>) {
    out.array(2);
    reply_id(out, e.id);
    out.array(2 * e.num_fields());
    e.for_each_field(|f, v| {
        reply_lp(out, f);
        reply_lp(out, v);
    });
}

/// Writes the entries of `s` between `start` and `end` (at most `count`
/// when not 0) as an array; returns their IDs.
fn reply_range(
    out: &mut Reply,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Vec<StreamId> {
    let mark = out.begin_deferred();
    let mut ids = Vec::new();
    for e in s.range(start, end, rev) {
        reply_entry(out, &e);
        ids.push(e.id);
        if count != 0 && ids.len() == count {
            break;
        }
    }
    out.end_deferred(mark, b'*', ids.len());
    ids
}

/// Writes the entry `id` of `s` if it exists; false when it does not.
fn reply_one(out: &mut Reply, s: &Stream, id: StreamId) -> bool {
    match s.range(id, id, false).next() {
        Some(e) => {
            reply_entry(out, &e);
            true
        }
        None => false,
    }
}
