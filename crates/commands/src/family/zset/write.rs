//! ZADD, ZINCRBY, ZREM and the ZREMRANGEBY* commands.

use super::parse::{lex_range, score_range};
use super::{write_zset, written};
use crate::args::{float, int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_storage::zset::{AddFlags, AddOutcome, ZSet};
use lodestone_storage::Value;

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
/// (GEOADD ends here too, with the positions encoded as scores).
pub(crate) fn zadd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, args, false)
}

/// `ZINCRBY key increment member`: ZADD's path with INCR set, options
/// included (as in Redis, `ZINCRBY key nx member` is a syntax error).
pub(super) fn zincrby(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, args, true)
}

/// What a ZADD did, for the reply and the notifications.
#[derive(Default)]
struct Tally {
    added: usize,
    updated: usize,
    processed: usize,
    score: f64,
    nan: bool,
}

impl Tally {
    fn count(&mut self, outcome: AddOutcome) {
        match outcome {
            AddOutcome::Added(s) => {
                self.added += 1;
                self.processed += 1;
                self.score = s;
            }
            AddOutcome::Updated(s) => {
                self.updated += 1;
                self.processed += 1;
                self.score = s;
            }
            AddOutcome::Unchanged(s) => {
                self.processed += 1;
                self.score = s;
            }
            AddOutcome::Skipped => {}
            AddOutcome::NotANumber => self.nan = true,
        }
    }
}

/// Redis's `zaddGenericCommand`: options, then score/member pairs, all
/// scores parsed before anything is written.
fn zadd_generic(ctx: &mut Ctx, args: &[&[u8]], incr_command: bool) -> CmdResult {
    let key = args[1];
    let mut flags = AddFlags {
        incr: incr_command,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut at = 2;
    while at < args.len() {
        let opt = args[at];
        if is(opt, "nx") {
            flags.nx = true;
        } else if is(opt, "xx") {
            flags.xx = true;
        } else if is(opt, "ch") {
            ch = true;
        } else if is(opt, "incr") {
            flags.incr = true;
        } else if is(opt, "gt") {
            flags.gt = true;
        } else if is(opt, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let pairs = &args[at..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let elements = pairs.len() / 2;
    if flags.nx && flags.xx {
        return Err(CmdError::ZaddNxXx);
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(CmdError::ZaddGtLtNx);
    }
    if flags.incr && elements > 1 {
        return Err(CmdError::ZaddIncrPair);
    }
    let items = pairs
        .chunks_exact(2)
        .map(|p| Ok((float(p[0])?, p[1])))
        .collect::<Result<Vec<(f64, &[u8])>, CmdError>>()?;

    let db = ctx.db;
    let ks = ctx.ks(key);
    let limits = ks.config.zset_limits;
    let mut tally = Tally::default();
    match write_zset(ks, db, key)? {
        Some(z) => {
            z.maybe_convert(elements, limits);
            z.add_all(&items, flags, limits, |o| {
                tally.count(o);
                true
            });
        }
        None if flags.xx => {}
        None => {
            let mut z = ZSet::create(elements, pairs[1].len(), limits);
            z.add_all(&items, flags, limits, |o| {
                tally.count(o);
                true
            });
            if !z.is_empty() {
                ks.add(db, key, Value::ZSet(z));
            }
        }
    }
    let changes = tally.added + tally.updated;
    ks.dirty += changes as u64;
    if changes > 0 {
        ks.signal_modified(db, key);
        let event = if flags.incr { "zincr" } else { "zadd" };
        ks.notify(lodestone_storage::notify::ZSET, event, db, key);
    }
    if tally.nan {
        return Err(CmdError::ScoreNan);
    }
    if flags.incr {
        if tally.processed > 0 {
            ctx.out.double(tally.score);
        } else {
            ctx.out.null();
        }
    } else {
        let n = if ch { changes } else { tally.added };
        ctx.out.int(n as i64);
    }
    Ok(())
}

/// `ZREM key member [member ...]`: how many members were removed.
pub(super) fn zrem(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.ks(key);
    let Some(z) = write_zset(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for member in &args[2..] {
        if z.remove(member) {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    if deleted > 0 {
        let empty = z.is_empty();
        written(ks, db, key, "zrem", deleted, empty);
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// The range a ZREMRANGEBY* command removes.
enum Removal<'a> {
    Rank(i64, i64),
    Score(lodestone_storage::zset::ScoreRange),
    Lex(lodestone_storage::zset::LexRange<'a>),
}

/// `ZREMRANGEBYRANK key start stop`
pub(super) fn zremrangebyrank(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let removal = Removal::Rank(int(args[2])?, int(args[3])?);
    remove_range(ctx, args[1], removal, "zremrangebyrank")
}

/// `ZREMRANGEBYSCORE key min max`
pub(super) fn zremrangebyscore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let removal = Removal::Score(score_range(args[2], args[3])?);
    remove_range(ctx, args[1], removal, "zremrangebyscore")
}

/// `ZREMRANGEBYLEX key min max`
pub(super) fn zremrangebylex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let removal = Removal::Lex(lex_range(args[2], args[3])?);
    remove_range(ctx, args[1], removal, "zremrangebylex")
}

/// Redis's `zremrangeGenericCommand`: replies how many were removed.
fn remove_range(ctx: &mut Ctx, key: &[u8], removal: Removal<'_>, event: &'static str) -> CmdResult {
    let db = ctx.db;
    let ks = ctx.ks(key);
    let Some(z) = write_zset(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let deleted = match removal {
        Removal::Rank(start, end) => match rank_span(start, end, z.len()) {
            Some((start, end)) => z.delete_range_by_rank(start, end),
            None => {
                ctx.out.int(0);
                return Ok(());
            }
        },
        Removal::Score(range) => z.delete_range_by_score(&range),
        Removal::Lex(range) => z.delete_range_by_lex(&range),
    };
    if deleted > 0 {
        let empty = z.is_empty();
        written(ks, db, key, event, deleted as u64, empty);
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// Clamps `start..=end` (negative counting from the end) to a sorted set
/// of `len` elements; `None` when the range is empty.
pub(super) fn rank_span(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}
