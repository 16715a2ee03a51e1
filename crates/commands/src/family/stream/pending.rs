//! XACK, XPENDING, XCLAIM and XAUTOCLAIM: the pending entries lists.
//!
//! XCLAIM and XAUTOCLAIM are propagated as one XCLAIM per entry they
//! claimed or found deleted, stating its owner, delivery time and count
//! outright (see `effects.rs`), and XCLAIM's LASTID as XGROUP SETID when
//! no XCLAIM carries it; a consumer they only created is not propagated,
//! as in Redis.

use super::effects::{self, Effect};
use super::id::{parse_range_end, parse_range_start, parse_strict_id};
use super::{read_stream, reply_id, reply_one};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_protocol::Reply;
use lodestone_storage::notify::STREAM;
use lodestone_storage::stream::{Group, Stream, StreamId};
use lodestone_storage::Keyspace;

/// The stream at `key` and its group named `group`, or NOGROUP naming both.
fn stream_with_group<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
    group: &[u8],
) -> Result<&'k mut Stream, CmdError> {
    match read_stream(ks, db, key)? {
        Some(s) if s.groups.contains_key(group) => Ok(s),
        _ => Err(CmdError::NoKeyOrGroup(key.to_vec(), group.to_vec())),
    }
}

/// `XACK key group id [id ...]`
pub(super) fn xack(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let Some(g) = read_stream(ks, db, key)?.and_then(|s| s.groups.get_mut(args[2])) else {
        ctx.out.int(0);
        return Ok(());
    };
    let ids = args[3..]
        .iter()
        .map(|a| parse_strict_id(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count();
    ks.dirty += acked as u64;
    ctx.out.int(acked as i64);
    Ok(())
}

/// `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`
pub(super) fn xpending(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(args[3], "idle") {
            min_idle = int(args[4])?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = int(args[at + 2])?.max(0) as usize;
        let start = parse_range_start(args[at])?;
        let end = parse_range_end(args[at + 1])?;
        range = Some((min_idle, start, end, count, args.get(at + 3).copied()));
    }
    let (db, key) = (ctx.db, args[1]);
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms();
    let s = stream_with_group(ks, db, key, args[2])?;
    let Some(g) = s.groups.get(args[2]) else {
        return Ok(());
    };
    let out = &mut *ctx.out;
    let Some((min_idle, start, end, mut count, consumer)) = range else {
        reply_summary(out, g);
        return Ok(());
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let mark = out.begin_deferred();
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        // Times loaded from RDB may be anything: wrap as Redis's C does.
        let idle = now.wrapping_sub(nack.delivery_time);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        n += 1;
        count -= 1;
        out.array(4);
        reply_id(out, id);
        out.bulk(&nack.consumer);
        out.int(idle.max(0));
        out.int(nack.delivery_count as i64);
    }
    out.end_deferred(mark, b'*', n);
    Ok(())
}

/// XPENDING's summary: count, smallest and largest pending IDs, and the
/// consumers with pending entries.
fn reply_summary(out: &mut Reply, g: &Group) {
    out.array(4);
    out.int(g.pel.len() as i64);
    let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
    else {
        out.null();
        out.null();
        out.null_array();
        return;
    };
    reply_id(out, *first);
    reply_id(out, *last);
    let owners: Vec<_> = g
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .collect();
    out.array(owners.len());
    for (name, c) in owners {
        out.array(2);
        out.bulk(name);
        out.bulk_i64(c.pel.len() as i64);
    }
}

/// An integer option of XCLAIM/XAUTOCLAIM with its own error text.
fn int_arg(arg: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::StreamIntArg(msg))
}

/// The consumer `name` of `g`, created if missing, marked seen now;
/// true when it was created (the caller raises the event).
fn touch_consumer(g: &mut Group, name: &[u8], now: i64) -> bool {
    let (c, created) = g.consumer_or_create(name, now);
    c.seen_time = now;
    created
}

/// Records a consumer creation by XCLAIM/XAUTOCLAIM.
fn consumer_created(ks: &mut Keyspace, db: usize, key: &[u8]) {
    ks.notify(STREAM, "xgroup-createconsumer", db, key);
    ks.dirty += 1;
}

/// XCLAIM's options.
struct ClaimOpts {
    force: bool,
    justid: bool,
    /// -1 when neither IDLE nor TIME was given.
    delivery_time: i64,
    /// -1 when RETRYCOUNT was not given.
    retry_count: i64,
    last_id: StreamId,
}

fn parse_claim_opts(args: &[&[u8]], now: i64) -> Result<ClaimOpts, CmdError> {
    let mut o = ClaimOpts {
        force: false,
        justid: false,
        delivery_time: -1,
        retry_count: -1,
        last_id: StreamId::MIN,
    };
    let mut j = 0;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = args[j];
        if is(opt, "force") {
            o.force = true;
        } else if is(opt, "justid") {
            o.justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            let idle = int_arg(args[j], "Invalid IDLE option argument for XCLAIM")?;
            o.delivery_time = now.wrapping_sub(idle);
        } else if is(opt, "time") && more > 0 {
            j += 1;
            o.delivery_time = int_arg(args[j], "Invalid TIME option argument for XCLAIM")?;
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            o.retry_count = int_arg(args[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            o.last_id = parse_strict_id(args[j], 0)?;
        } else {
            return Err(CmdError::XclaimUnknownOption(opt.to_vec()));
        }
        j += 1;
    }
    Ok(o)
}

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME
/// unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID
/// lastid]`
pub(super) fn xclaim(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key, group, consumer) = (ctx.db, args[1], args[2], args[3]);
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms();
    let s = stream_with_group(ks, db, key, group)?;
    let min_idle = int_arg(args[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
    // IDs run until the first argument that is not one; options follow.
    let ids: Vec<StreamId> = args[5..]
        .iter()
        .map_while(|a| parse_strict_id(a, 0).ok())
        .collect();
    let mut o = parse_claim_opts(&args[5 + ids.len()..], now)?;
    let mut groups = std::mem::take(&mut s.groups);
    let mut dirty = 0;
    let mut created = false;
    let mut fx: Vec<Effect> = Vec::new();
    if let Some(g) = groups.get_mut(group) {
        let mut propagate_last_id = o.last_id > g.last_id;
        if propagate_last_id {
            g.last_id = o.last_id;
        }
        if o.delivery_time == -1 || o.delivery_time < 0 || o.delivery_time > now {
            o.delivery_time = now;
        }
        created = touch_consumer(g, consumer, now);
        let out = &mut *ctx.out;
        let mark = out.begin_deferred();
        let mut n = 0;
        for (id, text) in ids.into_iter().zip(&args[5..]) {
            if !s.contains(id) {
                if let Some(nack) = g.pel.get(&id) {
                    // Replicas drop it too (XCLAIM of a missing entry).
                    fx.push(effects::xclaim(key, group, text, nack, g.last_id));
                    propagate_last_id = false;
                    g.ack(id);
                    dirty += 1;
                }
                continue;
            }
            let existing = g.pel.get(&id).map(|nack| nack.delivery_time);
            if existing.is_none() && !o.force {
                continue;
            }
            if let Some(t) = existing {
                if min_idle != 0 && now.wrapping_sub(t) < min_idle {
                    continue;
                }
            }
            let (time, retry, justid) = (o.delivery_time, o.retry_count, o.justid);
            g.transfer(id, consumer, true, |nack| {
                nack.delivery_time = time;
                if retry >= 0 {
                    nack.delivery_count = retry as u64;
                } else if !justid {
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            });
            if justid {
                reply_id(out, id);
            } else {
                reply_one(out, s, id);
            }
            n += 1;
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.active_time = now;
            }
            if let Some(nack) = g.pel.get(&id) {
                fx.push(effects::xclaim(key, group, text, nack, g.last_id));
            }
            propagate_last_id = false;
            dirty += 1;
        }
        if propagate_last_id {
            fx.push(effects::setid(key, group, g));
            dirty += 1;
        }
        out.end_deferred(mark, b'*', n);
    }
    s.groups = groups;
    if created {
        consumer_created(ks, db, key);
    }
    ks.dirty += dirty;
    propagate(ctx, fx);
    Ok(())
}

/// Propagates `fx` instead of the request.
fn propagate(ctx: &mut Ctx, fx: Vec<Effect>) {
    ctx.prevent_propagation();
    for e in fx {
        ctx.also_propagate(e);
    }
}

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count]
/// [JUSTID]`
pub(super) fn xautoclaim(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key, group, consumer) = (ctx.db, args[1], args[2], args[3]);
    let min_idle = int_arg(args[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = parse_range_start(args[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(args[j], "count") && more > 0 {
            // Redis bounds COUNT so COUNT * 10 attempts cannot overflow.
            count = parse_i64(args[j + 1])
                .filter(|n| (1..=i64::MAX / 16).contains(n))
                .ok_or(CmdError::CountNotPositive)?;
            j += 1;
        } else if is(args[j], "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms();
    let s = stream_with_group(ks, db, key, group)?;
    let mut groups = std::mem::take(&mut s.groups);
    let mut dirty = 0;
    let mut created = false;
    let mut fx: Vec<Effect> = Vec::new();
    if let Some(g) = groups.get_mut(group) {
        created = touch_consumer(g, consumer, now);
        let out = &mut *ctx.out;
        out.array(3);
        let cursor_mark = out.begin_deferred();
        let claimed_mark = out.begin_deferred();
        let mut attempts = count.saturating_mul(10);
        let mut from = Some(start);
        let mut claimed = 0;
        let mut deleted = Vec::new();
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let Some(id) = from.and_then(|f| g.pel.range(f..).next().map(|(id, _)| *id)) else {
                from = None;
                break;
            };
            from = id.next();
            if !s.contains(id) {
                if let Some(nack) = g.pel.get(&id) {
                    fx.push(effects::xclaim(key, group, &id.to_bytes(), nack, g.last_id));
                }
                g.ack(id);
                deleted.push(id);
                count -= 1;
                dirty += 1;
                continue;
            }
            let idle = g
                .pel
                .get(&id)
                .map_or(0, |n| now.wrapping_sub(n.delivery_time));
            if min_idle != 0 && idle < min_idle {
                continue;
            }
            g.transfer(id, consumer, false, |nack| {
                nack.delivery_time = now;
                if !justid {
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            });
            if justid {
                reply_id(out, id);
            } else {
                reply_one(out, s, id);
            }
            claimed += 1;
            count -= 1;
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.active_time = now;
            }
            if let Some(nack) = g.pel.get(&id) {
                fx.push(effects::xclaim(key, group, &id.to_bytes(), nack, g.last_id));
            }
            dirty += 1;
        }
        out.end_deferred(claimed_mark, b'*', claimed);
        let cursor = from
            .and_then(|f| g.pel.range(f..).next().map(|(id, _)| *id))
            .unwrap_or(StreamId::MIN);
        let mut head = Vec::new();
        {
            let mut r = Reply::new(&mut head, out.resp());
            reply_id(&mut r, cursor);
        }
        out.buffer().splice(cursor_mark..cursor_mark, head);
        out.array(deleted.len());
        for id in deleted {
            reply_id(out, id);
        }
    }
    s.groups = groups;
    if created {
        consumer_created(ks, db, key);
    }
    ks.dirty += dirty;
    propagate(ctx, fx);
    Ok(())
}
