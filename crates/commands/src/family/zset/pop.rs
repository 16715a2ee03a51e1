//! ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX and BZMPOP
//! (Redis's `genericZpopCommand` and `blockingGenericZpopCommand`).

use super::{write_zset, written};
use crate::args::{is, timeout_deadline};
use crate::ctx::{BlockRequest, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::family::mpop::parse_mpop;
use lodestone_protocol::num::parse_i64;
use lodestone_storage::Kind;

/// The shape of a pop reply.
#[derive(Clone, Copy)]
struct Shape {
    /// Name the key the elements came from (blocking pops, ZMPOP).
    with_key: bool,
    /// One array per (member, score) pair instead of a flat list.
    nested: bool,
}

/// `ZPOPMIN key [count]`
pub(super) fn zpopmin(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    pop_min_max(ctx, args, false)
}

/// `ZPOPMAX key [count]`
pub(super) fn zpopmax(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    pop_min_max(ctx, args, true)
}

fn pop_min_max(ctx: &mut Ctx, args: &[&[u8]], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match args.get(2) {
        None => None,
        Some(arg) => {
            // Redis's getPositiveLongFromObjectOrReply: one message for
            // both "not a number" and "negative".
            let n = parse_i64(arg)
                .filter(|&n| n >= 0)
                .ok_or(CmdError::MustBePositive)?;
            Some(n as usize)
        }
    };
    // RESP3 nests the pairs only when a count was given.
    let shape = Shape {
        with_key: false,
        nested: ctx.out.resp() > 2 && count.is_some(),
    };
    if !pop_first(ctx, &args[1..2], max, count, shape)? {
        ctx.out.array(0);
    }
    Ok(())
}

/// Pops up to `count` (1 when `None`) elements from the first of `keys`
/// that exists and replies them in `shape`; false (and nothing written)
/// when no key exists. A key of another type met first is WRONGTYPE.
fn pop_first(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    count: Option<usize>,
    shape: Shape,
) -> Result<bool, CmdError> {
    let db = ctx.db;
    let Some(key) = keys
        .iter()
        .copied()
        .map(|k| write_zset(ctx.engine.shard_for(k), db, k).map(|z| z.map(|_| k)))
        .find_map(|r| r.transpose())
        .transpose()?
    else {
        return Ok(false);
    };
    if count == Some(0) {
        ctx.out.array(0);
        return Ok(true);
    }
    let ks = ctx.engine.shard_for(key);
    let Some(z) = write_zset(ks, db, key)? else {
        return Ok(false);
    };
    let n = count.unwrap_or(1).min(z.len());
    let out = &mut *ctx.out;
    match (shape.with_key, shape.nested) {
        (false, false) => out.array(2 * n),
        (false, true) => out.array(n),
        (true, false) => {
            out.array(2 * n + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    for _ in 0..n {
        let Some((member, score)) = z.pop(max) else {
            break;
        };
        if shape.nested {
            out.array(2);
        }
        out.bulk(&member);
        out.double(score);
    }
    let empty = z.is_empty();
    let event = if max { "zpopmax" } else { "zpopmin" };
    written(ks, db, key, event, n as u64, empty);
    // Blocking and multi-key pops are replayed as plain pops of one key.
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    match (shape.with_key, shape.nested) {
        (true, false) => ctx.propagate_as(&[name, key]),
        (true, true) => ctx.propagate_as(&[name, key, n.to_string().as_bytes()]),
        _ => {}
    }
    Ok(true)
}

/// `BZPOPMIN key [key ...] timeout`
pub(super) fn bzpopmin(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    blocking_pop(ctx, args, false)
}

/// `BZPOPMAX key [key ...] timeout`
pub(super) fn bzpopmax(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    blocking_pop(ctx, args, true)
}

fn blocking_pop(ctx: &mut Ctx, args: &[&[u8]], max: bool) -> CmdResult {
    let keys = &args[1..args.len() - 1];
    let shape = Shape {
        with_key: true,
        nested: false,
    };
    pop_or_block(ctx, keys, args[args.len() - 1], max, None, shape)
}

/// The MIN|MAX word of ZMPOP and BZMPOP: true for MAX.
fn parse_side(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "min") {
        Ok(false)
    } else if is(arg, "max") {
        Ok(true)
    } else {
        Err(CmdError::Syntax)
    }
}

const MPOP_SHAPE: Shape = Shape {
    with_key: true,
    nested: true,
};

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub(super) fn zmpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let m = parse_mpop(&args[1..], parse_side)?;
    if !pop_first(ctx, m.keys, m.side, Some(m.count), MPOP_SHAPE)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`
pub(super) fn bzmpop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let m = parse_mpop(&args[2..], parse_side)?;
    pop_or_block(ctx, m.keys, args[1], m.side, Some(m.count), MPOP_SHAPE)
}

/// The blocking pops: pop from the first non-empty key, else park the
/// client on the keys until one is created as a sorted set (a null array
/// at once where blocking is not allowed, as inside MULTI).
fn pop_or_block(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    timeout: &[u8],
    max: bool,
    count: Option<usize>,
    shape: Shape,
) -> CmdResult {
    let now = ctx.engine.shard_for(keys[0]).now_ms();
    let deadline_ms = timeout_deadline(timeout, now)?;
    if pop_first(ctx, keys, max, count, shape)? {
        return Ok(());
    }
    if !ctx.may_block {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.block = Some(BlockRequest {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        deadline_ms,
        kind: Kind::ZSet,
        wake_on_delete: false,
        rewritten_args: None,
    });
    Ok(())
}
