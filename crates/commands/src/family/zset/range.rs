//! ZRANGE in all its forms (by rank, score or member; forwards or
//! reversed; with LIMIT and WITHSCORES), the older ZREVRANGE,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX, and
//! ZRANGESTORE (Redis's `zrangeGenericCommand`).

use super::parse::{lex_range, score_range};
use super::write::rank_span;
use super::{read_zset, reply_element, reply_elements_header, reply_member, store_result};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::Reply;
use lodestone_storage::zset::{LexRange, Member, Score, ScoreRange, ZSet};

/// How the range is given; `Auto` until options decide (ZRANGE).
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub(super) fn zrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Auto, None)
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub(super) fn zrangestore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, &args[1..], Some(args[1]), By::Auto, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub(super) fn zrevrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Rank, Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub(super) fn zrangebyscore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Score, Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub(super) fn zrevrangebyscore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Score, Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub(super) fn zrangebylex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Lex, Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub(super) fn zrevrangebylex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    range_generic(ctx, args, None, By::Lex, Some(true))
}

/// A parsed range.
enum Range<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// Where the elements go: the client, or a buffer for ZRANGESTORE.
enum Sink<'o, 'r> {
    Client {
        out: &'o mut Reply<'r>,
        withscores: bool,
        /// Start of a reply whose length is written at the end.
        deferred: Option<usize>,
    },
    Store(Vec<(Vec<u8>, f64)>),
}

impl Sink<'_, '_> {
    /// Starts the reply: with its length when known, deferred otherwise.
    fn begin(&mut self, len: Option<usize>) {
        if let Sink::Client {
            out,
            withscores,
            deferred,
        } = self
        {
            match len {
                Some(n) if n > 0 => reply_elements_header(out, n, *withscores),
                _ => *deferred = Some(out.begin_deferred()),
            }
        }
    }

    /// Sends one element; its score is only decoded when it is needed.
    fn emit(&mut self, m: Member<'_>, score: Score<'_>) {
        match self {
            Sink::Client {
                out,
                withscores: false,
                ..
            } => reply_member(out, m),
            Sink::Client { out, .. } => reply_element(out, m, score.value(), true),
            Sink::Store(items) => items.push((m.to_vec(), score.value())),
        }
    }

    /// Ends the reply of `n` elements.
    fn finish(&mut self, n: usize) {
        if let Sink::Client {
            out,
            withscores,
            deferred: Some(mark),
        } = self
        {
            let len = if *withscores && out.resp() == 2 {
                2 * n
            } else {
                n
            };
            out.end_deferred(*mark, b'*', len);
        }
    }
}

/// `args` starts at the command name (or at `dst` for ZRANGESTORE, whose
/// source key then comes next); `store` is ZRANGESTORE's destination.
fn range_generic(
    ctx: &mut Ctx,
    args: &[&[u8]],
    store: Option<&[u8]>,
    by: By,
    reverse: Option<bool>,
) -> CmdResult {
    let key = args[1];
    let (mut min_at, mut max_at) = (2, 3);
    let mut by = by;
    let mut reverse = reverse;
    let mut withscores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut j = 4;
    while j < args.len() {
        let left = args.len() - j - 1;
        let opt = args[j];
        if store.is_none() && is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            limit = Some((int(args[j + 1])?, int(args[j + 2])?));
            j += 2;
        } else if reverse.is_none() && is(opt, "rev") {
            reverse = Some(true);
        } else if by == By::Auto && is(opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(opt, "byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    // Redis tests the count against -1, its "no LIMIT" value.
    if by == By::Rank && limit.is_some_and(|(_, count)| count != -1) {
        return Err(CmdError::LimitNeedsByScoreOrLex);
    }
    if withscores && by == By::Lex {
        return Err(CmdError::WithscoresWithByLex);
    }
    if reverse && by != By::Rank {
        std::mem::swap(&mut min_at, &mut max_at);
    }
    let range = match by {
        By::Score => Range::Score(score_range(args[min_at], args[max_at])?),
        By::Lex => Range::Lex(lex_range(args[min_at], args[max_at])?),
        _ => Range::Rank(int(args[min_at])?, int(args[max_at])?),
    };
    let (offset, count) = limit.unwrap_or((0, -1));

    let db = ctx.db;
    let zset = read_zset(ctx.engine.shard_for(key), db, key)?;
    let mut sink = match store {
        Some(_) => Sink::Store(Vec::new()),
        None => Sink::Client {
            out: &mut *ctx.out,
            withscores,
            deferred: None,
        },
    };
    match zset {
        Some(z) => emit_range(z, &range, reverse, offset, count, &mut sink),
        None => {
            sink.begin(Some(0));
            sink.finish(0);
        }
    }
    if let (Sink::Store(mut items), Some(dst)) = (sink, store) {
        if reverse {
            items.reverse();
        }
        let ks = ctx.engine.shard_for(dst);
        let result = ZSet::from_sorted(&items, ks.config.zset_limits);
        store_result(ks, db, dst, result, "zrangestore", ctx.out);
    }
    Ok(())
}

/// Sends the elements of `range` to `sink`, in order (descending when
/// `reverse`), after skipping `offset` and at most `count` of them
/// (negative: no limit; a negative offset selects nothing, as Redis's walk
/// then runs off the end).
fn emit_range(
    z: &ZSet,
    range: &Range<'_>,
    reverse: bool,
    offset: i64,
    count: i64,
    sink: &mut Sink,
) {
    let len = z.len();
    let start = match range {
        Range::Rank(start, end) => {
            let Some((first, last)) = rank_span(*start, *end, len) else {
                sink.begin(Some(0));
                sink.finish(0);
                return;
            };
            let n = last - first + 1;
            sink.begin(Some(n));
            let from = if reverse { len - 1 - first } else { first };
            for (m, s) in z.iter_from(from, reverse).take(n) {
                sink.emit(m, s);
            }
            sink.finish(n);
            return;
        }
        Range::Score(r) if reverse => z.last_in_score_range(r),
        Range::Score(r) => z.first_in_score_range(r),
        Range::Lex(r) if reverse => z.last_in_lex_range(r),
        Range::Lex(r) => z.first_in_lex_range(r),
    };
    sink.begin(None);
    // The rank of the first element after the offset, if any.
    let from = start.and_then(|rank| {
        let offset = usize::try_from(offset).ok()?;
        if reverse {
            rank.checked_sub(offset)
        } else {
            rank.checked_add(offset).filter(|&r| r < len)
        }
    });
    let mut emitted = 0;
    if let Some(from) = from {
        let take = usize::try_from(count).unwrap_or(usize::MAX);
        for (m, s) in z.iter_from(from, reverse).take(take) {
            let inside = match range {
                Range::Score(r) if reverse => r.above_min(s.value()),
                Range::Score(r) => r.below_max(s.value()),
                Range::Lex(r) if reverse => m.with_bytes(|m| r.above_min(m)),
                Range::Lex(r) => m.with_bytes(|m| r.below_max(m)),
                Range::Rank(..) => true,
            };
            if !inside {
                break;
            }
            sink.emit(m, s);
            emitted += 1;
        }
    }
    sink.finish(emitted);
}
