//! XADD, XTRIM (and the trimming options they share), XDEL and XSETID.

use super::id::{parse_strict_id, parse_xadd_id};
use super::{reply_id, write_stream};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_storage::notify::STREAM;
use lodestone_storage::stream::{Stream, StreamId, StreamLimits, TrimBy, LISTPACK_MAX_SIZE};
use lodestone_storage::Value;

/// The options of XADD and XTRIM (Redis's `streamAddTrimArgs`).
struct TrimArgs {
    by: Option<TrimBy>,
    approx: bool,
    /// Where the MAXLEN/MINID threshold argument is (`~`/`=` before it).
    threshold_pos: usize,
    /// Most entries to remove, 0 for no limit.
    limit: u64,
    nomkstream: bool,
    /// XADD's explicit ID and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    /// Where XADD's ID argument is.
    id_pos: usize,
}

/// Parses the options from argument 2 on (Redis's
/// `streamParseAddOrTrimArgsOrReply`); for XADD, up to and including the
/// ID.
///
/// `must_obey` is set for commands the server itself propagated (the
/// append-only file being loaded, a master): they may carry LIMIT with an
/// exact trim (an approximate trim propagates as `=` with its LIMIT), and
/// they trim without a limit, since the threshold was already made exact.
fn parse_trim_args(
    args: &[&[u8]],
    xadd: bool,
    limits: StreamLimits,
    must_obey: bool,
) -> Result<TrimArgs, CmdError> {
    let mut t = TrimArgs {
        by: None,
        approx: false,
        threshold_pos: 0,
        limit: 0,
        nomkstream: false,
        id: None,
        id_pos: args.len(),
    };
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args[i];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if t.by.is_some() {
                return Err(CmdError::TrimBothStrategies);
            }
            t.approx = false;
            let next = args[i + 1];
            if more >= 2 && next == b"~" {
                t.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if is(opt, "maxlen") {
                let n = int(args[i + 1])?;
                if n < 0 {
                    return Err(CmdError::MaxlenNegative);
                }
                t.by = Some(TrimBy::MaxLen(n as u64));
            } else {
                t.by = Some(TrimBy::MinId(parse_strict_id(args[i + 1], 0)?));
            }
            i += 1;
            t.threshold_pos = i;
        } else if is(opt, "limit") && more > 0 {
            limit = int(args[i + 1])?;
            if limit < 0 {
                return Err(CmdError::TrimLimitNegative);
            }
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            t.nomkstream = true;
        } else if xadd {
            t.id = Some(parse_xadd_id(opt)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    t.id_pos = i;
    if limit != 0 && t.by.is_none() {
        return Err(CmdError::LimitWithoutStrategy);
    }
    if !xadd && t.by.is_none() {
        return Err(CmdError::XtrimNoStrategy);
    }
    if must_obey {
        t.limit = 0;
    } else if limit_given {
        if !t.approx {
            return Err(CmdError::LimitWithoutApprox);
        }
        t.limit = limit as u64;
    } else if t.approx {
        // At most 100 blocks' worth of work, as Redis bounds it.
        t.limit = (100 * limits.node_max_entries).clamp(1, 1_000_000) as u64;
        if limits.node_max_entries <= 0 {
            t.limit = 10_000;
        }
    }
    Ok(t)
}

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]
/// *|id field value [field value ...]`
pub(super) fn xadd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let limits = ctx.settings.stream_limits;
    let t = parse_trim_args(args, true, limits, ctx.must_obey)?;
    let field_pos = t.id_pos + 1;
    let nfields = args.len().saturating_sub(field_pos);
    if field_pos > args.len() || nfields < 2 || !nfields.is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.to_string()));
    }
    if let Some((id, true)) = t.id {
        if id.is_zero() {
            return Err(CmdError::XaddIdZero);
        }
    }
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms().max(0) as u64;
    let s = match write_stream(ks, db, key)? {
        Some(s) => s,
        None if t.nomkstream => {
            ctx.out.null();
            return Ok(());
        }
        None => {
            ks.add(db, key, Value::Stream(Box::default()));
            match write_stream(ks, db, key)? {
                Some(s) => s,
                None => return Ok(()),
            }
        }
    };
    if s.last_id == StreamId::MAX {
        return Err(CmdError::StreamExhausted);
    }
    let id = s.next_id(t.id, now).ok_or(CmdError::XaddIdTooSmall)?;
    let fields = &args[field_pos..];
    if fields.iter().map(|f| f.len()).sum::<usize>() > LISTPACK_MAX_SIZE {
        return Err(CmdError::StreamElementsTooLarge);
    }
    s.append(id, fields, limits);
    reply_id(ctx.out, id);
    let trimmed = match t.by {
        Some(by) => s.trim(by, t.approx, t.limit),
        None => 0,
    };
    // Replicas and the AOF get the ID this XADD generated and the exact
    // trim it did, so that replaying it has the same effect.
    let id_generated = !matches!(t.id, Some((_, true)));
    let rewrite = (ctx.propagating && (t.approx || id_generated)).then(|| {
        let mut v = exact_trim(args, &t, s);
        if id_generated {
            v[t.id_pos] = id.to_bytes();
        }
        v
    });
    ks.signal_modified(db, key);
    ks.notify(STREAM, "xadd", db, key);
    ks.dirty += 1;
    if trimmed > 0 {
        ks.notify(STREAM, "xtrim", db, key);
    }
    ks.signal_ready(db, key);
    if let Some(v) = rewrite {
        ctx.propagate_as = Some(vec![v]);
    }
    Ok(())
}

/// `args` with an approximate trim (`~`, LIMIT or not) rewritten as the
/// exact trim it turned out to be (Redis's `streamRewriteApproxSpecifier`
/// and `streamRewriteTrimArgument`): `=` and the length `s` now has
/// (MAXLEN) or its first ID, tombstones included (MINID). LIMIT is left
/// as given (a replica or the AOF ignores it).
fn exact_trim(args: &[&[u8]], t: &TrimArgs, s: &Stream) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    if t.approx {
        v[t.threshold_pos - 1] = b"=".to_vec();
        v[t.threshold_pos] = match t.by {
            Some(TrimBy::MinId(_)) => s.first_id_with_tombstones().to_bytes(),
            _ => s.len().to_string().into_bytes(),
        };
    }
    v
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`
pub(super) fn xtrim(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let t = parse_trim_args(args, false, ctx.settings.stream_limits, ctx.must_obey)?;
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let Some(s) = write_stream(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(by) = t.by else {
        return Err(CmdError::XtrimNoStrategy);
    };
    let deleted = s.trim(by, t.approx, t.limit);
    let rewrite = (deleted > 0 && t.approx).then(|| exact_trim(args, &t, s));
    if deleted > 0 {
        ks.notify(STREAM, "xtrim", db, key);
        ks.signal_modified(db, key);
        ks.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
    if let Some(v) = rewrite {
        ctx.propagate_as = Some(vec![v]);
    }
    Ok(())
}

/// `XDEL key id [id ...]`
pub(super) fn xdel(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let Some(s) = write_stream(ks, db, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    // All or nothing: every ID must parse before anything is deleted.
    let ids = args[2..]
        .iter()
        .map(|a| parse_strict_id(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = delete_ids(s, &ids);
    if deleted > 0 {
        ks.signal_modified(db, key);
        ks.notify(STREAM, "xdel", db, key);
        ks.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// Deletes `ids` from `s`, keeping the first and largest-deleted IDs as
/// XDEL does; returns how many existed.
fn delete_ids(s: &mut Stream, ids: &[StreamId]) -> u64 {
    let mut deleted = 0;
    let mut first_gone = false;
    for &id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_gone = true;
            }
            if id > s.max_deleted_id {
                s.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() {
            s.first_id = StreamId::MIN;
        } else if first_gone {
            s.first_id = s.first_live_id();
        }
    }
    deleted
}

/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID
/// max-deleted-id]`
pub(super) fn xsetid(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let id = parse_strict_id(args[2], 0)?;
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "entriesadded") && more > 0 {
            entries_added = int(args[i + 1])?;
            if entries_added < 0 {
                return Err(CmdError::EntriesAddedNegative);
            }
        } else if is(args[i], "maxdeletedid") && more > 0 {
            max_deleted = parse_strict_id(args[i + 1], 0)?;
            if id < max_deleted {
                return Err(CmdError::XsetidBelowGivenMaxDeleted);
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let s = write_stream(ks, db, key)?.ok_or(CmdError::NoSuchKey)?;
    if id < s.max_deleted_id {
        return Err(CmdError::XsetidBelowMaxDeleted);
    }
    if !s.is_empty() {
        if id < s.last_live_id() {
            return Err(CmdError::XsetidBelowTop);
        }
        if entries_added != -1 && s.len() > entries_added as u64 {
            return Err(CmdError::XsetidEntriesAddedBelowLength);
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_id = max_deleted;
    }
    ctx.out.ok();
    ks.dirty += 1;
    ks.notify(STREAM, "xsetid", db, key);
    Ok(())
}
