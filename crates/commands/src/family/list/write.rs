//! List writes that add or change elements in place: LPUSH RPUSH LPUSHX
//! RPUSHX LINSERT LSET, and the removals LREM LTRIM.

use super::{delete_emptied, push_event, shrink_or_empty, write_list};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_storage::list::{End, List};
use lodestone_storage::notify::LIST;
use lodestone_storage::Value;

/// `LPUSH key element [element ...]`
pub(super) fn lpush(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    push(ctx, args, End::Head, false)
}

/// `RPUSH key element [element ...]`
pub(super) fn rpush(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    push(ctx, args, End::Tail, false)
}

/// `LPUSHX key element [element ...]`: only onto an existing list.
pub(super) fn lpushx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    push(ctx, args, End::Head, true)
}

/// `RPUSHX key element [element ...]`: only onto an existing list.
pub(super) fn rpushx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    push(ctx, args, End::Tail, true)
}

/// The push commands (Redis's `pushGenericCommand`): replies with the new
/// length, 0 for the X forms on a missing key.
fn push(ctx: &mut Ctx, args: &[&[u8]], end: End, existing_only: bool) -> CmdResult {
    let (key, values) = (args[1], &args[2..]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let len = match write_list(ks, db, key)? {
        Some(list) => {
            list.push_all(end, values, &cfg);
            list.len()
        }
        None if existing_only => {
            ctx.out.int(0);
            return Ok(());
        }
        None => {
            let mut list = List::new();
            list.push_all(end, values, &cfg);
            let len = list.len();
            ks.add(db, key, Value::List(list));
            len
        }
    };
    ks.dirty += values.len() as u64;
    ctx.out.int(len as i64);
    ks.signal_modified(db, key);
    ks.notify(LIST, push_event(end), db, key);
    Ok(())
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 when the
/// pivot is not found, 0 when the key is missing.
pub(super) fn linsert(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let after = if is(args[2], "after") {
        true
    } else if is(args[2], "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let (key, pivot, value) = (args[1], args[3], args[4]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let Some(list) = write_list(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    // Like Redis, convert as if the insert will happen before looking for
    // the pivot (a list can change encoding even when it is not found).
    list.grow_for(value.len(), 1, &cfg);
    if !list.insert(pivot, value, after, &cfg) {
        ctx.out.int(-1);
        return Ok(());
    }
    let len = list.len();
    ks.signal_modified(db, key);
    ks.notify(LIST, "linsert", db, key);
    ks.dirty += 1;
    ctx.out.int(len as i64);
    Ok(())
}

/// `LSET key index element`
pub(super) fn lset(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, value) = (args[1], args[3]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let list = write_list(ks, db, key)?.ok_or(CmdError::NoSuchKey)?;
    let index = int(args[2])?;
    list.grow_for(value.len(), 1, &cfg);
    if !list.replace(index, value, &cfg) {
        return Err(CmdError::IndexOutOfRange);
    }
    // The value may have shrunk the list below the conversion limits.
    list.try_shrink(&cfg);
    ctx.out.ok();
    ks.signal_modified(db, key);
    ks.notify(LIST, "lset", db, key);
    ks.dirty += 1;
    Ok(())
}

/// `LREM key count element`: removes the first `count` occurrences (the
/// last `-count` when negative, all when 0); replies how many.
pub(super) fn lrem(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let count = int(args[2])?;
    let (key, value) = (args[1], args[3]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let Some(list) = write_list(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = list.remove(value, count);
    let empty = list.is_empty();
    if removed > 0 && !empty {
        list.try_shrink(&cfg);
    }
    if removed > 0 {
        ks.signal_modified(db, key);
        ks.notify(LIST, "lrem", db, key);
    }
    if empty {
        delete_emptied(ks, db, key);
    }
    ks.dirty += removed as u64;
    ctx.out.int(removed as i64);
    Ok(())
}

/// `LTRIM key start stop`: keeps only the elements in the range.
pub(super) fn ltrim(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let start = int(args[2])?;
    let stop = int(args[3])?;
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let cfg = ks.config.list;
    let Some(list) = write_list(ks, db, key)? else {
        ctx.out.ok();
        return Ok(());
    };
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > stop || start >= len {
        (len, 0)
    } else {
        if stop >= len {
            stop = len - 1;
        }
        (start, len - stop - 1)
    };
    list.delete_range(0, ltrim as usize);
    list.delete_range(-rtrim, rtrim as usize);
    let empty = shrink_or_empty(list, &cfg);
    ks.notify(LIST, "ltrim", db, key);
    if empty {
        delete_emptied(ks, db, key);
    }
    ks.signal_modified(db, key);
    ks.dirty += (ltrim + rtrim) as u64;
    ctx.out.ok();
    Ok(())
}
