//! List reads: LLEN LRANGE LINDEX LPOS.

use super::{read_list, reply_range};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};

/// `LLEN key`
pub(super) fn llen(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let len = read_list(ctx.engine.shard_for(args[1]), db, args[1])?.map_or(0, |l| l.len());
    ctx.out.int(len as i64);
    Ok(())
}

/// `LRANGE key start stop`
pub(super) fn lrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let start = int(args[2])?;
    let stop = int(args[3])?;
    let db = ctx.db;
    match read_list(ctx.engine.shard_for(args[1]), db, args[1])? {
        Some(list) => reply_range(ctx.out, list, start, stop, false),
        None => ctx.out.array(0),
    }
    Ok(())
}

/// `LINDEX key index`: the element, or null out of range. The key is
/// looked up before the index is parsed, as in Redis.
pub(super) fn lindex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let Some(list) = read_list(ctx.engine.shard_for(args[1]), db, args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    match list.get(int(args[2])?) {
        Some(e) => e.with_bytes(|b| ctx.out.bulk(b)),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Options of LPOS.
struct LposOptions {
    /// 1-based match to start from; negative searches from the tail.
    rank: i64,
    /// Matches to return (0: all); `None` replies a single index.
    count: Option<i64>,
    /// Elements to compare at most (0: all).
    maxlen: i64,
}

/// Parses `[RANK rank] [COUNT num-matches] [MAXLEN len]` with Redis's
/// error texts.
fn parse_lpos_options(args: &[&[u8]]) -> Result<LposOptions, CmdError> {
    let mut o = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut i = 0;
    while i < args.len() {
        let (opt, value) = (args[i], args.get(i + 1));
        let Some(value) = value else {
            return Err(CmdError::Syntax);
        };
        if is(opt, "rank") {
            let rank = int(value)?;
            if rank == i64::MIN {
                return Err(CmdError::OutOfRangeBetween(-i64::MAX, i64::MAX));
            }
            if rank == 0 {
                return Err(CmdError::ValueOutOfRange(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
            o.rank = rank;
        } else if is(opt, "count") {
            let count = int(value).ok().filter(|&n| n >= 0);
            o.count = Some(count.ok_or(CmdError::ValueOutOfRange("COUNT can't be negative"))?);
        } else if is(opt, "maxlen") {
            let maxlen = int(value).ok().filter(|&n| n >= 0);
            o.maxlen = maxlen.ok_or(CmdError::ValueOutOfRange("MAXLEN can't be negative"))?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`: the
/// index of matching elements, counted from the head whatever the
/// direction of the search.
pub(super) fn lpos(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let o = parse_lpos_options(&args[3..])?;
    let element = args[2];
    let db = ctx.db;
    let Some(list) = read_list(ctx.engine.shard_for(args[1]), db, args[1])? else {
        match o.count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let len = list.len();
    if len == 0 {
        match o.count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let reverse = o.rank < 0;
    let rank = o.rank.unsigned_abs();
    let maxlen = o.maxlen as u64;
    let mut scanned: u64 = 0;
    let mut matches: u64 = 0;
    let mut found: Vec<i64> = Vec::new();
    list.visit(if reverse { len - 1 } else { 0 }, reverse, |e| {
        if maxlen != 0 && scanned >= maxlen {
            return false;
        }
        if e.eq_bytes(element) {
            matches += 1;
            if matches >= rank {
                let index = if reverse {
                    len as u64 - scanned - 1
                } else {
                    scanned
                };
                found.push(index as i64);
                match o.count {
                    None => return false,
                    Some(c) if c != 0 && matches - rank + 1 >= c as u64 => return false,
                    Some(_) => {}
                }
            }
        }
        scanned += 1;
        true
    });
    match o.count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i),
            None => ctx.out.null(),
        },
    }
    Ok(())
}
