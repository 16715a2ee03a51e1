//! XLEN, XRANGE and XREVRANGE.

use super::id::{parse_range_end, parse_range_start};
use super::{read_stream, reply_range};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};

/// `XLEN key`
pub(super) fn xlen(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let ks = ctx.engine.shard_for(args[1]);
    let n = read_stream(ks, ctx.db, args[1])?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// `XRANGE key start end [COUNT count]`
pub(super) fn xrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, false)
}

/// `XREVRANGE key end start [COUNT count]`
pub(super) fn xrevrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, true)
}

fn range_generic(ctx: &mut Ctx, args: &[&[u8]], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (args[3], args[2])
    } else {
        (args[2], args[3])
    };
    let start = parse_range_start(start_arg)?;
    let end = parse_range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if is(args[j], "count") && j + 1 < args.len() {
            count = int(args[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let ks = ctx.engine.shard_for(args[1]);
    let Some(s) = read_stream(ks, ctx.db, args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.null_array();
        return Ok(());
    }
    let count = if count < 0 { 0 } else { count as usize };
    reply_range(ctx.out, s, start, end, count, rev);
    Ok(())
}
