//! XINFO STREAM [FULL [COUNT count]], GROUPS, CONSUMERS and HELP.

use super::{read_stream, reply_entry, reply_id, reply_range};
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::help::reply_help;
use lodestone_protocol::Reply;
use lodestone_storage::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};

/// The stream at `key`, or "no such key", with the command time.
fn lookup<'k>(
    engine: &'k mut lodestone_storage::Engine,
    db: usize,
    key: &[u8],
) -> Result<(&'k mut Stream, i64), CmdError> {
    let ks = engine.shard_for(key);
    let now = ks.now_ms();
    let s = read_stream(ks, db, key)?.ok_or(CmdError::NoSuchKey)?;
    Ok((s, now))
}

fn reply_entries_read(out: &mut Reply, g: &Group) {
    if g.entries_read != INVALID_ENTRIES_READ {
        out.int(g.entries_read);
    } else {
        out.null();
    }
}

fn reply_lag(out: &mut Reply, s: &Stream, g: &Group) {
    match s.lag(g) {
        Some(lag) => out.int(lag),
        None => out.null(),
    }
}

/// `XINFO STREAM key [FULL [COUNT count]]`
pub(super) fn stream(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[2];
    let (s, _) = lookup(ctx.engine, ctx.db, key)?;
    let s: &Stream = s;
    let opts = &args[3..];
    let mut count: i64 = 10;
    let full = !opts.is_empty();
    if full {
        if (opts.len() != 1 && opts.len() != 3) || !is(opts[0], "full") {
            return Err(CmdError::subcommand_syntax(args));
        }
        if opts.len() == 3 {
            if !is(opts[1], "count") {
                return Err(CmdError::subcommand_syntax(args));
            }
            count = int(opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let out = &mut *ctx.out;
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.block_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(s.radix_tree_nodes() as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.max_deleted_id);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        for (name, rev) in [(&b"first-entry"[..], false), (&b"last-entry"[..], true)] {
            out.bulk(name);
            match s.range(StreamId::MIN, StreamId::MAX, rev).next() {
                Some(e) => reply_entry(out, &e),
                None => out.null(),
            }
        }
        return Ok(());
    }
    let count = count as usize;
    out.bulk(b"entries");
    reply_range(out, s, StreamId::MIN, StreamId::MAX, count, false);
    out.bulk(b"groups");
    out.array(s.groups.len());
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        reply_entries_read(out, g);
        out.bulk(b"lag");
        reply_lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        out.array(g.pel.len().min(limit));
        for (id, nack) in g.pel.iter().take(limit) {
            out.array(4);
            reply_id(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(5);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time);
            out.bulk(b"active-time");
            out.int(c.active_time);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            out.array(c.pel.len().min(limit));
            for id in c.pel.iter().take(limit) {
                let nack = g.pel.get(id);
                out.array(3);
                reply_id(out, *id);
                out.int(nack.map_or(0, |n| n.delivery_time));
                out.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}

/// `XINFO GROUPS key`
pub(super) fn groups(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (s, _) = lookup(ctx.engine, ctx.db, args[2])?;
    let s: &Stream = s;
    let out = &mut *ctx.out;
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        reply_entries_read(out, g);
        out.bulk(b"lag");
        reply_lag(out, s, g);
    }
    Ok(())
}

/// `XINFO CONSUMERS key group`
pub(super) fn consumers(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (s, now) = lookup(ctx.engine, ctx.db, args[2])?;
    let g = s
        .groups
        .get(args[3])
        .ok_or_else(|| CmdError::NoSuchGroup(args[3].to_vec(), args[2].to_vec()))?;
    let out = &mut *ctx.out;
    out.array(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map(4);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        // Times loaded from RDB may be anything: wrap as Redis's C does.
        out.int(now.wrapping_sub(c.seen_time).max(0));
        out.bulk(b"inactive");
        out.int(if c.active_time != -1 {
            now.wrapping_sub(c.active_time)
        } else {
            -1
        });
    }
    Ok(())
}

/// `XINFO HELP`
pub(super) fn help(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    reply_help(
        ctx.out,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}
