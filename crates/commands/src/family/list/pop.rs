//! Pops and moves: LPOP RPOP LMPOP LMOVE RPOPLPUSH, and their blocking
//! forms BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH.
//!
//! A blocking command that finds every key missing (or empty) asks the
//! server to park the client ([`Ctx::block`]) and writes no reply; the
//! server runs it again when one of the keys is created as a list, or
//! answers a null array at the deadline. Where blocking is not allowed
//! (inside MULTI/EXEC and scripts) it answers at once as on timeout.

use super::{elements_removed, parse_end, push_event, reply_range, shrink_or_empty, write_list};
use crate::args::timeout_deadline;
use crate::ctx::{BlockRequest, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::family::mpop::parse_mpop;
use lodestone_protocol::num::parse_i64;
use lodestone_storage::list::{End, List};
use lodestone_storage::notify::LIST;
use lodestone_storage::{Kind, Value};

/// `LPOP key [count]`
pub(super) fn lpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    pop(ctx, args, End::Head)
}

/// `RPOP key [count]`
pub(super) fn rpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    pop(ctx, args, End::Tail)
}

/// A count that must be zero or more (Redis's
/// `getPositiveLongFromObjectOrReply` without a message).
fn non_negative(arg: &[u8]) -> Result<usize, CmdError> {
    parse_i64(arg)
        .filter(|&n| n >= 0)
        .map(|n| n as usize)
        .ok_or(CmdError::MustBePositive)
}

/// LPOP and RPOP: one element as a bulk string, or with a count an array
/// of up to that many (null array for a missing key, empty for count 0).
fn pop(ctx: &mut Ctx, args: &[&[u8]], end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::WrongArity(ctx.cmd.to_string()));
    }
    let count = args.get(2).map(|a| non_negative(a)).transpose()?;
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let Some(list) = write_list(ks, db, key)? else {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let popped = match count {
        Some(0) => {
            ctx.out.array(0);
            return Ok(());
        }
        None => {
            let Some(e) = list.pop(end) else {
                ctx.out.null();
                return Ok(());
            };
            e.with_bytes(|b| ctx.out.bulk(b));
            1
        }
        Some(n) => pop_range(ctx.out, list, end, n),
    };
    let empty = shrink_or_empty(list, &cfg);
    elements_removed(ks, db, key, end, popped, empty);
    Ok(())
}

/// Replies up to `count` elements from `end` as an array, in pop order,
/// and removes them; returns how many.
fn pop_range(
    out: &mut lodestone_protocol::Reply<'_>,
    list: &mut List,
    end: End,
    count: usize,
) -> usize {
    let n = count.min(list.len());
    let signed = n as i64;
    match end {
        End::Head => reply_range(out, list, 0, signed - 1, false),
        End::Tail => reply_range(out, list, -signed, -1, true),
    }
    let start = if end == End::Head { 0 } else { -signed };
    list.delete_range(start, n);
    n
}

/// Pops up to `count` elements from the first non-empty list among
/// `keys`, replying `[key, [elements]]`; `Ok(false)` (nothing written)
/// when every key is missing. A key of another type is an error.
fn mpop_first(ctx: &mut Ctx, keys: &[&[u8]], end: End, count: usize) -> Result<bool, CmdError> {
    let db = ctx.db;
    for &key in keys {
        let ks = ctx.engine.shard_for(key);
        let cfg = ks.config.list;
        let Some(list) = write_list(ks, db, key)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        ctx.out.array(2);
        ctx.out.bulk(key);
        let n = pop_range(ctx.out, list, end, count);
        let empty = shrink_or_empty(list, &cfg);
        elements_removed(ks, db, key, end, n, empty);
        // Replayed as a plain pop of what was popped.
        ctx.propagate_as(&[pop_name(end), key, n.to_string().as_bytes()]);
        return Ok(true);
    }
    Ok(false)
}

/// Pops one element from the first non-empty list among `keys`, replying
/// `[key, element]` (BLPOP, BRPOP); `Ok(false)` when all are missing.
fn pop_first(ctx: &mut Ctx, keys: &[&[u8]], end: End) -> Result<bool, CmdError> {
    let db = ctx.db;
    for &key in keys {
        let ks = ctx.engine.shard_for(key);
        let cfg = ks.config.list;
        let Some(list) = write_list(ks, db, key)? else {
            continue;
        };
        let Some(e) = list.pop(end) else {
            continue;
        };
        ctx.out.array(2);
        ctx.out.bulk(key);
        e.with_bytes(|b| ctx.out.bulk(b));
        let empty = shrink_or_empty(list, &cfg);
        elements_removed(ks, db, key, end, 1, empty);
        ctx.propagate_as(&[pop_name(end), key]);
        return Ok(true);
    }
    Ok(false)
}

/// The non-blocking pop command for `end`, as blocking and multi-key
/// pops are propagated.
fn pop_name(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub(super) fn lmpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let m = parse_mpop(&args[1..], parse_end)?;
    if !mpop_first(ctx, m.keys, m.side, m.count)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// The deadline of a blocking command's timeout argument, in the time the
/// command runs at.
fn deadline(ctx: &mut Ctx, key: &[u8], arg: &[u8]) -> Result<Option<i64>, CmdError> {
    let now = ctx.engine.shard_for(key).now_ms();
    timeout_deadline(arg, now)
}

/// Parks the client on `keys` until one is created as a list, or answers
/// `on_deny` at once where blocking is not allowed.
fn block_or(ctx: &mut Ctx, keys: &[&[u8]], deadline_ms: Option<i64>, on_deny: fn(&mut Ctx)) {
    if !ctx.may_block {
        on_deny(ctx);
        return;
    }
    ctx.block = Some(BlockRequest {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        deadline_ms,
        kind: Kind::List,
        wake_on_delete: false,
        rewritten_args: None,
    });
}

/// `BLPOP key [key ...] timeout`
pub(super) fn blpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    blocking_pop(ctx, args, End::Head)
}

/// `BRPOP key [key ...] timeout`
pub(super) fn brpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    blocking_pop(ctx, args, End::Tail)
}

fn blocking_pop(ctx: &mut Ctx, args: &[&[u8]], end: End) -> CmdResult {
    let keys = &args[1..args.len() - 1];
    let deadline = deadline(ctx, keys[0], args[args.len() - 1])?;
    if !pop_first(ctx, keys, end)? {
        block_or(ctx, keys, deadline, |c| c.out.null_array());
    }
    Ok(())
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub(super) fn blmpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let m = parse_mpop(&args[2..], parse_end)?;
    let deadline = deadline(ctx, m.keys[0], args[1])?;
    if !mpop_first(ctx, m.keys, m.side, m.count)? {
        block_or(ctx, m.keys, deadline, |c| c.out.null_array());
    }
    Ok(())
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub(super) fn lmove(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    move_element(ctx, args[1], args[2], from, to)
}

/// `RPOPLPUSH source destination`
pub(super) fn rpoplpush(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    move_element(ctx, args[1], args[2], End::Tail, End::Head)
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
pub(super) fn blmove(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    let deadline = deadline(ctx, args[1], args[5])?;
    blocking_move(ctx, args[1], args[2], from, to, deadline)?;
    ctx.propagate_as(&[b"LMOVE", args[1], args[2], args[3], args[4]]);
    Ok(())
}

/// `BRPOPLPUSH source destination timeout`
pub(super) fn brpoplpush(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let deadline = deadline(ctx, args[1], args[3])?;
    blocking_move(ctx, args[1], args[2], End::Tail, End::Head, deadline)?;
    ctx.propagate_as(&[b"RPOPLPUSH", args[1], args[2]]);
    Ok(())
}

/// BLMOVE and BRPOPLPUSH: LMOVE when the source exists, else block on it
/// (a plain null where blocking is not allowed).
fn blocking_move(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    deadline: Option<i64>,
) -> CmdResult {
    let db = ctx.db;
    if write_list(ctx.engine.shard_for(src), db, src)?.is_none() {
        block_or(ctx, &[src], deadline, |c| c.out.null());
        return Ok(());
    }
    move_element(ctx, src, dst, from, to)
}

/// LMOVE (Redis's `lmoveGenericCommand`): pops from `from` of `src` and
/// pushes at `to` of `dst` (which may be the same list), replying the
/// element; null when `src` is missing. A `dst` of another type is
/// refused before anything is popped.
fn move_element(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let db = ctx.db;
    match write_list(ctx.engine.shard_for(src), db, src)? {
        Some(list) if !list.is_empty() => {}
        _ => {
            ctx.out.null();
            return Ok(());
        }
    }
    // The destination's type is checked before anything is popped.
    write_list(ctx.engine.shard_for(dst), db, dst)?;
    let popped = write_list(ctx.engine.shard_for(src), db, src)?.and_then(|l| l.pop(from));
    let Some(element) = popped else {
        ctx.out.null();
        return Ok(());
    };
    // The push half (Redis's `lmoveHandlePush`).
    let ks = ctx.engine.shard_for(dst);
    let cfg = ks.config.list;
    match write_list(ks, db, dst)? {
        Some(list) => list.push_element(to, &element, &cfg),
        None => {
            let mut list = List::new();
            list.push_element(to, &element, &cfg);
            ks.add(db, dst, Value::List(list));
        }
    }
    ks.signal_modified(db, dst);
    ks.notify(LIST, push_event(to), db, dst);
    element.with_bytes(|b| ctx.out.bulk(b));
    // The pop half's bookkeeping (`listElementsRemoved`).
    let ks = ctx.engine.shard_for(src);
    let cfg = ks.config.list;
    let empty = match write_list(ks, db, src)? {
        Some(list) => shrink_or_empty(list, &cfg),
        None => false,
    };
    elements_removed(ks, db, src, from, 1, empty);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&'static str]) -> Vec<&'static [u8]> {
        words.iter().map(|w| w.as_bytes()).collect()
    }

    #[test]
    fn mpop_arguments_follow_redis() {
        let a = args(&["2", "a", "b", "LEFT", "COUNT", "3"]);
        let m = parse_mpop(&a, parse_end).unwrap();
        assert_eq!(m.keys, &a[1..3]);
        assert_eq!((m.side, m.count), (End::Head, 3));
        let err = |w: &[&'static str]| {
            parse_mpop(&args(w), parse_end)
                .err()
                .map(|e| e.message().into_owned())
        };
        assert_eq!(
            err(&["0", "a", "LEFT"]).as_deref(),
            Some("ERR numkeys should be greater than 0")
        );
        assert_eq!(
            err(&["x", "a", "LEFT"]).as_deref(),
            Some("ERR numkeys should be greater than 0")
        );
        assert_eq!(
            err(&["3", "a", "LEFT"]).as_deref(),
            Some("ERR syntax error")
        );
        assert_eq!(err(&["1", "a", "UP"]).as_deref(), Some("ERR syntax error"));
        assert_eq!(
            err(&["1", "a", "LEFT", "COUNT", "0"]).as_deref(),
            Some("ERR count should be greater than 0")
        );
        assert_eq!(
            err(&["1", "a", "LEFT", "COUNT", "1", "COUNT", "2"]).as_deref(),
            Some("ERR syntax error")
        );
        assert_eq!(
            err(&["1", "a", "LEFT", "COUNT"]).as_deref(),
            Some("ERR syntax error")
        );
        assert_eq!(
            err(&["9223372036854775807", "a", "LEFT"]).as_deref(),
            Some("ERR syntax error")
        );
    }
}
