//! List commands (Redis's `t_list.c`).
//!
//! * [`write`]: LPUSH RPUSH LPUSHX RPUSHX LINSERT LSET LREM LTRIM.
//! * [`read`]: LLEN LRANGE LINDEX LPOS.
//! * [`pop`]: LPOP RPOP LMPOP LMOVE RPOPLPUSH and the blocking BLPOP BRPOP
//!   BLMPOP BLMOVE BRPOPLPUSH.
//!
//! Every command converts encodings at the points Redis does: before
//! adding ([`List::grow_for`]) and after removing ([`List::try_shrink`]);
//! a list left empty is deleted with a `del` event, the others raise the
//! event names of `t_list.c` (`lpush`, `rpop`, `linsert`, `lset`, `lrem`,
//! `ltrim`, ...). Writes invalidate WATCH and count in `dirty`.

mod pop;
mod read;
mod write;

use crate::args::is;
use crate::error::CmdError;
use crate::Handler;
use lodestone_protocol::Reply;
use lodestone_storage::list::{End, List, ListConfig};
use lodestone_storage::listpack::LpEntry;
use lodestone_storage::notify::{GENERIC, LIST};
use lodestone_storage::{Keyspace, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("lpush", write::lpush),
    ("rpush", write::rpush),
    ("lpushx", write::lpushx),
    ("rpushx", write::rpushx),
    ("linsert", write::linsert),
    ("lset", write::lset),
    ("lrem", write::lrem),
    ("ltrim", write::ltrim),
    ("llen", read::llen),
    ("lrange", read::lrange),
    ("lindex", read::lindex),
    ("lpos", read::lpos),
    ("lpop", pop::lpop),
    ("rpop", pop::rpop),
    ("lmpop", pop::lmpop),
    ("lmove", pop::lmove),
    ("rpoplpush", pop::rpoplpush),
    ("blpop", pop::blpop),
    ("brpop", pop::brpop),
    ("blmpop", pop::blmpop),
    ("blmove", pop::blmove),
    ("brpoplpush", pop::brpoplpush),
];

/// The list at `key` for a write (no hit/miss counted): `None` when the
/// key is absent, WRONGTYPE when it holds another type.
fn write_list<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k mut List>, CmdError> {
    match ks.lookup_write(db, key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key` for a read (counting a hit or miss). Reads borrow the
/// list mutably only to lend its compact listpack out without copying.
fn read_list<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k mut List>, CmdError> {
    match ks.lookup(db, key, lodestone_storage::Lookup::READ) {
        None => Ok(None),
        Some(entry) => match &mut entry.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Parses `LEFT` or `RIGHT` (syntax error otherwise).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if is(arg, "left") {
        Ok(End::Head)
    } else if is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The event of popping at `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// The event of pushing at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// Writes one element as a bulk string.
fn reply_entry(out: &mut Reply<'_>, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// Writes the elements `start..=end` (Redis's indexes, negative from the
/// tail, clamped) as an array, in reverse when `reverse` (Redis's
/// `addListRangeReply`).
fn reply_range(out: &mut Reply<'_>, list: &mut List, start: i64, end: i64, reverse: bool) {
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        out.array(0);
        return;
    }
    if end >= len {
        end = len - 1;
    }
    let mut left = (end - start + 1) as usize;
    out.array(left);
    let from = if reverse { end } else { start };
    list.visit(from as usize, reverse, |e| {
        reply_entry(out, e);
        left -= 1;
        left > 0
    });
}

/// After elements were removed from `list`: true when it is now empty
/// (the caller then deletes the key), otherwise it gets the chance to
/// return to the listpack encoding (Redis's `LIST_CONV_SHRINKING`).
fn shrink_or_empty(list: &mut List, cfg: &ListConfig) -> bool {
    if list.is_empty() {
        return true;
    }
    list.try_shrink(cfg);
    false
}

/// Bookkeeping after `count` elements were popped from `end` of the list
/// at `key` (Redis's `listElementsRemoved`): the pop event, deletion of an
/// emptied list (with `del`), WATCH and `dirty`.
fn elements_removed(ks: &mut Keyspace, db: usize, key: &[u8], end: End, count: usize, empty: bool) {
    ks.notify(LIST, pop_event(end), db, key);
    if empty {
        delete_emptied(ks, db, key);
    }
    ks.signal_modified(db, key);
    ks.dirty += count as u64;
}

/// Deletes a list left empty, raising `del`.
fn delete_emptied(ks: &mut Keyspace, db: usize, key: &[u8]) {
    let lazy = ks.config.lazyfree_lazy_server_del;
    ks.delete(db, key, lazy);
    ks.notify(GENERIC, "del", db, key);
}
