//! XREAD and XREADGROUP, blocking included (Redis's `xreadCommand`).
//!
//! A read that finds nothing and has BLOCK parks the client on its keys
//! (as a `stream` waiter); XADD wakes it and the command runs again. XREAD
//! re-runs with each `$` replaced by the ID it meant at blocking time, so
//! entries added meanwhile are not missed. XREADGROUP also wakes when its
//! key is deleted or its group destroyed, and then fails with NOGROUP.
//!
//! XREADGROUP is never propagated itself: each entry it delivers is sent
//! as an XCLAIM giving it to the consumer at the delivery time; a NOACK
//! read sends the group's new position (XGROUP SETID) and the consumer it
//! created (XGROUP CREATECONSUMER). A read of the consumer's history is
//! not propagated.

use super::effects::{self, Effect};
use super::id::parse_strict_id;
use super::{read_stream, reply_id};
use crate::args::{int, is};
use crate::ctx::{BlockRequest, Ctx};
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::Reply;
use lodestone_storage::notify::STREAM;
use lodestone_storage::stream::{Group, Stream, StreamId};
use lodestone_storage::Kind;

/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id
/// [id ...]`
pub(super) fn xread(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    read_generic(ctx, args, false)
}

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
/// [NOACK] STREAMS key [key ...] id [id ...]`
pub(super) fn xreadgroup(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    read_generic(ctx, args, true)
}

/// The parsed options of a read.
struct ReadArgs<'a> {
    /// Absolute deadline when BLOCK was given: `Some(None)` waits forever.
    block: Option<Option<i64>>,
    count: usize,
    noack: bool,
    group: Option<(&'a [u8], &'a [u8])>,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
}

/// Parses a BLOCK timeout in milliseconds into a deadline (`None` for 0,
/// forever), as Redis's `getTimeoutFromObjectOrReply` in ms.
fn block_deadline(arg: &[u8], now: i64) -> Result<Option<i64>, CmdError> {
    let ms = lodestone_protocol::num::parse_i64(arg).ok_or(CmdError::InvalidTimeout)?;
    if ms < 0 {
        return Err(CmdError::NegativeTimeout);
    }
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now {
        return Err(CmdError::TimeoutOutOfRange);
    }
    Ok(Some(now + ms))
}

fn parse<'a>(ctx: &mut Ctx, args: &'a [&'a [u8]], grouped: bool) -> Result<ReadArgs<'a>, CmdError> {
    let now = ctx.engine.shard_for(args[0]).now_ms();
    let mut r = ReadArgs {
        block: None,
        count: 0,
        noack: false,
        group: None,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = None;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let o = args[i];
        if is(o, "block") && more > 0 {
            if ctx.from_script {
                return Err(CmdError::StreamBlockInScript(args[0].to_vec()));
            }
            i += 1;
            r.block = Some(block_deadline(args[i], now)?);
        } else if is(o, "count") && more > 0 {
            i += 1;
            r.count = int(args[i])?.max(0) as usize;
        } else if is(o, "streams") && more > 0 {
            let n = args.len() - (i + 1);
            if !n.is_multiple_of(2) {
                return Err(if grouped {
                    CmdError::UnbalancedStreams("xreadgroup", '>')
                } else {
                    CmdError::UnbalancedStreams("xread", '$')
                });
            }
            streams_at = Some(i + 1);
            break;
        } else if is(o, "group") && more >= 2 {
            if !grouped {
                return Err(CmdError::GroupOnlyInXreadgroup);
            }
            r.group = Some((args[i + 1], args[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !grouped {
                return Err(CmdError::NoackOnlyInXreadgroup);
            }
            r.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let Some(at) = streams_at else {
        return Err(CmdError::Syntax);
    };
    if grouped && r.group.is_none() {
        return Err(CmdError::MissingGroupOption);
    }
    let n = (args.len() - at) / 2;
    r.keys = &args[at..at + n];
    r.ids = &args[at + n..];
    Ok(r)
}

/// The ID each key is read after: `>` (new entries for the group) is
/// `StreamId::MAX`, as in Redis.
fn resolve_ids(ctx: &mut Ctx, r: &ReadArgs) -> Result<Vec<StreamId>, CmdError> {
    let db = ctx.db;
    let mut ids = Vec::with_capacity(r.keys.len());
    for (key, arg) in r.keys.iter().zip(r.ids) {
        let ks = ctx.engine.shard_for(key);
        let s = read_stream(ks, db, key)?;
        if let Some((group, _)) = r.group {
            if !s.as_ref().is_some_and(|s| s.groups.contains_key(group)) {
                return Err(CmdError::NoGroupInXreadgroup(key.to_vec(), group.to_vec()));
            }
        }
        let id = match *arg {
            b"$" => {
                if r.group.is_some() {
                    return Err(CmdError::DollarInXreadgroup);
                }
                s.map_or(StreamId::MIN, |s| s.last_id)
            }
            b">" => {
                if r.group.is_none() {
                    return Err(CmdError::GreaterThanInXread);
                }
                StreamId::MAX
            }
            other => parse_strict_id(other, 0)?,
        };
        ids.push(id);
    }
    Ok(ids)
}

fn read_generic(ctx: &mut Ctx, args: &[&[u8]], grouped: bool) -> CmdResult {
    let r = parse(ctx, args, grouped)?;
    let ids = resolve_ids(ctx, &r)?;
    let db = ctx.db;
    let mut served = 0;
    let mut mark = 0;
    let mut fx: Vec<Effect> = Vec::new();
    for (i, &key) in r.keys.iter().enumerate() {
        let ks = ctx.engine.shard_for(key);
        let now = ks.now_ms();
        let Some(s) = read_stream(ks, db, key)? else {
            continue;
        };
        let mut after = ids[i];
        let mut history = false;
        let mut serve = false;
        let mut created = false;
        if let Some((group, consumer)) = r.group {
            let mut groups = std::mem::take(&mut s.groups);
            if let Some(g) = groups.get_mut(group) {
                if after != StreamId::MAX {
                    serve = true;
                    history = true;
                } else if !s.is_empty() && s.last_live_id() > g.last_id {
                    serve = true;
                    after = g.last_id;
                }
                let (c, new) = g.consumer_or_create(consumer, now);
                c.seen_time = now;
                created = new;
            }
            s.groups = groups;
            if created && r.noack {
                fx.push(effects::create_consumer(key, group, consumer));
            }
        } else if !s.is_empty() && s.last_live_id() > after {
            serve = true;
        }
        if serve {
            served += 1;
            if served == 1 {
                mark = ctx.out.begin_deferred();
            }
            if ctx.out.resp() == 2 {
                ctx.out.array(2);
            }
            ctx.out.bulk(key);
            let start = after.next().unwrap_or(StreamId::MIN);
            match r.group {
                Some((group, consumer)) if history => {
                    reply_history(ctx.out, s, group, consumer, start, r.count, now);
                }
                Some((group, consumer)) => {
                    let to = Delivery {
                        key,
                        group,
                        consumer,
                        noack: r.noack,
                        now,
                    };
                    deliver(ctx.out, s, &to, start, r.count, &mut fx);
                }
                None => {
                    super::reply_range(ctx.out, s, start, StreamId::MAX, r.count, false);
                }
            }
        }
        if created {
            ks.notify(STREAM, "xgroup-createconsumer", db, key);
            ks.dirty += 1;
        }
        if serve && r.group.is_some() {
            ks.dirty += 1;
        }
    }
    if grouped {
        ctx.prevent_propagation();
        for e in fx {
            ctx.also_propagate(e);
        }
    }
    if served > 0 {
        let kind = if ctx.out.resp() == 2 { b'*' } else { b'%' };
        ctx.out.end_deferred(mark, kind, served);
        return Ok(());
    }
    let Some(deadline_ms) = r.block else {
        ctx.out.null_array();
        return Ok(());
    };
    if !ctx.may_block {
        ctx.out.null_array();
        return Ok(());
    }
    // `$` becomes the ID it stood for, so the re-run after a wake-up
    // reads what was added since.
    let first_id = args.len() - r.ids.len();
    let rewritten = r.ids.iter().any(|a| *a == b"$").then(|| {
        let mut v: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        for (j, a) in r.ids.iter().enumerate() {
            if *a == b"$" {
                v[first_id + j] = ids[j].to_bytes();
            }
        }
        v
    });
    ctx.block = Some(BlockRequest {
        keys: r.keys.iter().map(|k| k.to_vec()).collect(),
        deadline_ms,
        kind: Kind::Stream,
        wake_on_delete: grouped,
        rewritten_args: rewritten,
    });
    Ok(())
}

/// Who new entries are delivered to, and how.
struct Delivery<'a> {
    key: &'a [u8],
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
    now: i64,
}

/// Serves new entries after `start` to the consumer: replies them,
/// advances the group and (unless NOACK) records them pending; adds to
/// `fx` what replicas must apply to reach the same state.
fn deliver(
    out: &mut Reply,
    s: &mut Stream,
    to: &Delivery,
    start: StreamId,
    count: usize,
    fx: &mut Vec<Effect>,
) {
    let ids = super::reply_range(out, s, start, StreamId::MAX, count, false);
    let mut groups = std::mem::take(&mut s.groups);
    if let Some(g) = groups.get_mut(to.group) {
        let mut moved = false;
        for id in ids {
            moved |= id > g.last_id;
            s.advance_group(g, id);
            if to.noack {
                continue;
            }
            g.deliver(id, to.consumer, to.now);
            if let Some(nack) = g.pel.get(&id) {
                fx.push(effects::xclaim(
                    to.key,
                    to.group,
                    &id.to_bytes(),
                    nack,
                    g.last_id,
                ));
            }
        }
        // Without pending entries no XCLAIM carries the new position.
        if to.noack && moved {
            fx.push(effects::setid(to.key, to.group, g));
        }
    }
    s.groups = groups;
}

/// Serves `consumer`'s own pending entries from `start` (a read with an
/// explicit ID): each counts as a new delivery; an entry deleted from the
/// stream is replied as its ID with a null body.
fn reply_history(
    out: &mut Reply,
    s: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    now: i64,
) {
    let mut groups = std::mem::take(&mut s.groups);
    let mark = out.begin_deferred();
    let mut n = 0;
    if let Some(g) = groups.get_mut(group) {
        let pending: Vec<StreamId> = g
            .consumers
            .get(consumer)
            .map(|c| {
                c.pel
                    .range(start..)
                    .take(if count == 0 { usize::MAX } else { count })
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        for id in pending {
            if super::reply_one(out, s, id) {
                bump_delivery(g, id, now);
            } else {
                out.array(2);
                reply_id(out, id);
                out.null_array();
            }
            n += 1;
        }
    }
    out.end_deferred(mark, b'*', n);
    s.groups = groups;
}

/// Counts one more delivery of the pending entry `id`, now.
fn bump_delivery(g: &mut Group, id: StreamId, now: i64) {
    if let Some(nack) = g.pel.get_mut(&id) {
        nack.delivery_time = now;
        nack.delivery_count = nack.delivery_count.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_timeouts_are_milliseconds() {
        assert_eq!(block_deadline(b"0", 100), Ok(None));
        assert_eq!(block_deadline(b"50", 100), Ok(Some(150)));
        assert_eq!(block_deadline(b"-1", 100), Err(CmdError::NegativeTimeout));
        assert_eq!(block_deadline(b"1.5", 100), Err(CmdError::InvalidTimeout));
        assert_eq!(
            block_deadline(b"9223372036854775807", 100),
            Err(CmdError::TimeoutOutOfRange)
        );
    }
}
