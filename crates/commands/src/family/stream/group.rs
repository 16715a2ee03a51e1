//! XGROUP CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER and HELP
//! (Redis's `xgroupCommand`).

use super::id::{parse_id, parse_strict_id};
use super::write_stream;
use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::help::reply_help;
use lodestone_storage::notify::STREAM;
use lodestone_storage::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use lodestone_storage::{Keyspace, Value};

/// Which subcommand runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    Create,
    SetId,
    Destroy,
    CreateConsumer,
    DelConsumer,
}

/// The options after the ID of CREATE and SETID.
struct Opts {
    mkstream: bool,
    entries_read: i64,
}

fn parse_opts(args: &[&[u8]], sub: Sub) -> Result<Opts, CmdError> {
    let mut o = Opts {
        mkstream: false,
        entries_read: INVALID_ENTRIES_READ,
    };
    let mut i = 5;
    while i < args.len() {
        if sub == Sub::Create && is(args[i], "mkstream") {
            o.mkstream = true;
            i += 1;
        } else if matches!(sub, Sub::Create | Sub::SetId)
            && is(args[i], "entriesread")
            && i + 1 < args.len()
        {
            let n = int(args[i + 1])?;
            if n < 0 && n != INVALID_ENTRIES_READ {
                return Err(CmdError::EntriesReadNegative);
            }
            o.entries_read = n;
            i += 2;
        } else {
            return Err(CmdError::subcommand_syntax(args));
        }
    }
    Ok(o)
}

/// Checks shared by every subcommand: the key must be a stream (unless
/// MKSTREAM) and, but for CREATE and DESTROY, hold the group.
fn check<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    args: &[&[u8]],
    sub: Sub,
    mkstream: bool,
) -> Result<Option<&'k mut Stream>, CmdError> {
    let s = write_stream(ks, db, args[2])?;
    if !mkstream {
        let Some(s) = s.as_ref() else {
            return Err(CmdError::XgroupNoKey);
        };
        let needs_group = matches!(sub, Sub::SetId | Sub::CreateConsumer | Sub::DelConsumer);
        if needs_group && !s.groups.contains_key(args[3]) {
            return Err(CmdError::NoSuchGroup(args[3].to_vec(), args[2].to_vec()));
        }
    }
    Ok(s)
}

/// `XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]`
pub(super) fn create(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let o = parse_opts(args, Sub::Create)?;
    let (db, key) = (ctx.db, args[2]);
    let ks = ctx.engine.shard_for(key);
    let last = check(ks, db, args, Sub::Create, o.mkstream)?.map(|s| s.last_id);
    if args.len() > 8 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let id = if args[4] == b"$" {
        last.unwrap_or(StreamId::MIN)
    } else {
        parse_strict_id(args[4], 0)?
    };
    if last.is_none() {
        ks.add(db, key, Value::Stream(Box::default()));
        ks.signal_modified(db, key);
    }
    let Some(s) = write_stream(ks, db, key)? else {
        return Ok(());
    };
    if s.groups.contains_key(args[3]) {
        return Err(CmdError::BusyGroup);
    }
    s.groups
        .insert(args[3].to_vec(), Group::new(id, o.entries_read));
    ctx.out.ok();
    ks.dirty += 1;
    ks.notify(STREAM, "xgroup-create", db, key);
    Ok(())
}

/// `XGROUP SETID key group id|$ [ENTRIESREAD entries-read]`
pub(super) fn setid(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let o = parse_opts(args, Sub::SetId)?;
    let (db, key) = (ctx.db, args[2]);
    let ks = ctx.engine.shard_for(key);
    let Some(s) = check(ks, db, args, Sub::SetId, false)? else {
        return Ok(());
    };
    if args.len() != 5 && args.len() != 7 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let id = if args[4] == b"$" {
        s.last_id
    } else {
        parse_id(args[4], 0)?
    };
    if let Some(g) = s.groups.get_mut(args[3]) {
        g.last_id = id;
        g.entries_read = o.entries_read;
    }
    ctx.out.ok();
    ks.dirty += 1;
    ks.notify(STREAM, "xgroup-setid", db, key);
    Ok(())
}

/// `XGROUP DESTROY key group`
pub(super) fn destroy(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[2]);
    let ks = ctx.engine.shard_for(key);
    let Some(s) = check(ks, db, args, Sub::Destroy, false)? else {
        return Ok(());
    };
    if s.groups.remove(args[3]).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.out.int(1);
    ks.dirty += 1;
    ks.notify(STREAM, "xgroup-destroy", db, key);
    // Readers blocked on the group wake up and fail with NOGROUP.
    ks.signal_ready(db, key);
    Ok(())
}

/// `XGROUP CREATECONSUMER key group consumer`
pub(super) fn createconsumer(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[2]);
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms();
    let Some(s) = check(ks, db, args, Sub::CreateConsumer, false)? else {
        return Ok(());
    };
    let created = s
        .groups
        .get_mut(args[3])
        .is_some_and(|g| g.create_consumer(args[4], now));
    ctx.out.int(i64::from(created));
    if created {
        ks.dirty += 1;
        ks.notify(STREAM, "xgroup-createconsumer", db, key);
    }
    Ok(())
}

/// `XGROUP DELCONSUMER key group consumer`
pub(super) fn delconsumer(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[2]);
    let ks = ctx.engine.shard_for(key);
    let Some(s) = check(ks, db, args, Sub::DelConsumer, false)? else {
        return Ok(());
    };
    let pending = s
        .groups
        .get_mut(args[3])
        .and_then(|g| g.delete_consumer(args[4]));
    ctx.out.int(pending.unwrap_or(0) as i64);
    if pending.is_some() {
        ks.dirty += 1;
        ks.notify(STREAM, "xgroup-delconsumer", db, key);
    }
    Ok(())
}

/// `XGROUP HELP`
pub(super) fn help(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    reply_help(
        ctx.out,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}
