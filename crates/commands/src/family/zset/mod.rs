//! Sorted set commands (Redis's `t_zset.c`).
//!
//! * `write.rs`: ZADD, ZINCRBY, ZREM and the ZREMRANGEBY* commands.
//! * `read.rs`: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT,
//!   ZRANDMEMBER and ZSCAN.
//! * `range.rs`: ZRANGE in all its forms and ZRANGESTORE.
//! * `pop.rs`: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms.
//! * `setops.rs`: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//!
//! Every write that changed something invalidates WATCH, counts in `dirty`
//! and raises its `zset` event; a sorted set emptied by a command is
//! deleted with a `del` event. Encodings and their conversions are the
//! storage layer's ([`lodestone_storage::zset`]).

mod parse;
mod pop;
mod range;
mod read;
mod setops;
mod write;

pub(crate) use write::zadd;

use crate::error::CmdError;
use crate::Handler;
use lodestone_protocol::Reply;
use lodestone_storage::notify::{GENERIC, ZSET};
use lodestone_storage::zset::{Member, ZSet};
use lodestone_storage::{Keyspace, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("zadd", write::zadd),
    ("zincrby", write::zincrby),
    ("zrem", write::zrem),
    ("zremrangebyrank", write::zremrangebyrank),
    ("zremrangebyscore", write::zremrangebyscore),
    ("zremrangebylex", write::zremrangebylex),
    ("zcard", read::zcard),
    ("zscore", read::zscore),
    ("zmscore", read::zmscore),
    ("zrank", read::zrank),
    ("zrevrank", read::zrevrank),
    ("zcount", read::zcount),
    ("zlexcount", read::zlexcount),
    ("zrandmember", read::zrandmember),
    ("zscan", read::zscan),
    ("zrange", range::zrange),
    ("zrangestore", range::zrangestore),
    ("zrevrange", range::zrevrange),
    ("zrangebyscore", range::zrangebyscore),
    ("zrevrangebyscore", range::zrevrangebyscore),
    ("zrangebylex", range::zrangebylex),
    ("zrevrangebylex", range::zrevrangebylex),
    ("zpopmin", pop::zpopmin),
    ("zpopmax", pop::zpopmax),
    ("bzpopmin", pop::bzpopmin),
    ("bzpopmax", pop::bzpopmax),
    ("zmpop", pop::zmpop),
    ("bzmpop", pop::bzmpop),
    ("zunion", setops::zunion),
    ("zinter", setops::zinter),
    ("zdiff", setops::zdiff),
    ("zunionstore", setops::zunionstore),
    ("zinterstore", setops::zinterstore),
    ("zdiffstore", setops::zdiffstore),
    ("zintercard", setops::zintercard),
];

/// The sorted set at `key` for a read command (counting a hit or miss):
/// `None` when absent, WRONGTYPE when the key holds another type.
pub fn read_zset<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k ZSet>, CmdError> {
    match ks.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The sorted set at `key` for a write command: `None` when absent,
/// WRONGTYPE when the key holds another type.
pub fn write_zset<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k mut ZSet>, CmdError> {
    match ks.lookup_write(db, key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Records a write to `key` that raised `event` and made `changes`
/// changes; deletes the key (with a `del` event) when the write left it
/// `empty`.
fn written(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    event: &'static str,
    changes: u64,
    empty: bool,
) {
    if empty {
        ks.delete(db, key, false);
    }
    ks.signal_modified(db, key);
    ks.notify(ZSET, event, db, key);
    if empty {
        ks.notify(GENERIC, "del", db, key);
    }
    ks.dirty += changes;
}

/// Stores the result of a STORE command at `dst` (replacing any value)
/// and replies with its size, or deletes `dst` and replies 0 when the
/// result is empty (Redis's ZRANGESTORE and ZUNIONSTORE endings).
fn store_result(
    ks: &mut Keyspace,
    db: usize,
    dst: &[u8],
    result: ZSet,
    event: &'static str,
    out: &mut Reply,
) {
    if result.is_empty() {
        out.int(0);
        if ks.delete(db, dst, false) {
            ks.signal_modified(db, dst);
            ks.notify(GENERIC, "del", db, dst);
            ks.dirty += 1;
        }
        return;
    }
    out.int(result.len() as i64);
    ks.set(db, dst, Value::ZSet(result), false);
    ks.notify(ZSET, event, db, dst);
    ks.dirty += 1;
}

/// Writes a member as a bulk string (integers in decimal).
pub fn reply_member(out: &mut Reply, m: Member<'_>) {
    match m {
        Member::Int(n) => out.bulk_i64(n),
        Member::Str(s) => out.bulk(s),
    }
}

/// Writes one element of a WITHSCORES-style reply: the member, then the
/// score when `withscores`; in RESP3 the pair is a two-element array
/// (clients must keep the order, so not a map).
pub fn reply_element(out: &mut Reply, m: Member<'_>, score: f64, withscores: bool) {
    if withscores && out.resp() > 2 {
        out.array(2);
    }
    reply_member(out, m);
    if withscores {
        out.double(score);
    }
}

/// The array header for `n` elements of a WITHSCORES-style reply: flat
/// (twice as long) in RESP2, one entry per pair in RESP3.
pub fn reply_elements_header(out: &mut Reply, n: usize, withscores: bool) {
    if withscores && out.resp() == 2 {
        out.array(2 * n);
    } else {
        out.array(n);
    }
}
