//! Set commands (Redis's `t_set.c`): membership, SMOVE and SSCAN here;
//! intersections, unions and differences in [`algebra`]; SPOP and
//! SRANDMEMBER in [`random`].
//!
//! Every write that changed something invalidates WATCH, counts in `dirty`
//! and raises its `set` event; a set emptied by a command is deleted with
//! a `del` event. Encodings and their conversions are the storage layer's
//! ([`lodestone_storage::set`]); commands call its conversion hooks at the
//! points Redis does (the size hint of SADD, SINTERSTORE's intset check).

mod algebra;
mod random;

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::scan::{parse_cursor, reply_page, ScanOptions};
use crate::Handler;
use lodestone_protocol::Reply;
use lodestone_storage::listpack::LpEntry;
use lodestone_storage::notify::{GENERIC, SET};
use lodestone_storage::set::{Member, Set};
use lodestone_storage::{Keyspace, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("srem", srem),
    ("smove", smove),
    ("sismember", sismember),
    ("smismember", smismember),
    ("scard", scard),
    ("sscan", sscan),
    ("smembers", algebra::smembers),
    ("sinter", algebra::sinter),
    ("sintercard", algebra::sintercard),
    ("sinterstore", algebra::sinterstore),
    ("sunion", algebra::sunion),
    ("sunionstore", algebra::sunionstore),
    ("sdiff", algebra::sdiff),
    ("sdiffstore", algebra::sdiffstore),
    ("spop", random::spop),
    ("srandmember", random::srandmember),
];

/// The set at `key` for a read command (counting a hit or miss): `None`
/// when absent, WRONGTYPE when the key holds another type.
fn read_set<'k>(ks: &'k mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'k Set>, CmdError> {
    match ks.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Writes one member as a bulk string (integers in decimal).
fn reply_member(out: &mut Reply, m: Member<'_>) {
    match m {
        LpEntry::Int(n) => out.bulk_i64(n),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// A member's bytes (integers as their decimal text), for propagation.
fn member_bytes(m: Member<'_>) -> Vec<u8> {
    match m {
        LpEntry::Int(n) => n.to_string().into_bytes(),
        LpEntry::Str(s) => s.to_vec(),
    }
}

/// Deletes a key whose set became empty (Redis's `dbDelete`, lazily when
/// `lazyfree-lazy-server-del` says so); the caller raises `del` after its
/// own event.
fn delete_emptied(ks: &mut Keyspace, db: usize, key: &[u8]) {
    let lazy = ks.config.lazyfree_lazy_server_del;
    ks.delete(db, key, lazy);
}

/// `SADD key member [member ...]`: how many members were new. A new key
/// gets the encoding its first member and the member count call for; an
/// existing one is converted first when the count exceeds its encoding's
/// limit.
fn sadd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, members) = (args[1], &args[2..]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let limits = ks.config.set_limits;
    let added = match ks.lookup_write(db, key) {
        Some(Value::Set(s)) => {
            s.maybe_convert(members.len(), limits);
            members.iter().filter(|m| s.add(m, limits)).count()
        }
        Some(_) => return Err(CmdError::WrongType),
        None => {
            let mut s = Set::create(members[0], members.len(), limits);
            let added = members.iter().filter(|m| s.add(m, limits)).count();
            ks.add(db, key, Value::Set(s));
            added
        }
    };
    if added > 0 {
        ks.signal_modified(db, key);
        ks.notify(SET, "sadd", db, key);
        ks.dirty += added as u64;
    }
    ctx.out.int(added as i64);
    Ok(())
}

/// `SREM key member [member ...]`: how many members were removed; the key
/// is deleted (with a `del` event) when its last member goes.
fn srem(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let (removed, emptied) = match ks.lookup_write(db, key) {
        None => (0, false),
        Some(Value::Set(s)) => {
            let mut removed = 0;
            for m in &args[2..] {
                if s.remove(m) {
                    removed += 1;
                    if s.is_empty() {
                        break;
                    }
                }
            }
            (removed, s.is_empty())
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    if removed > 0 {
        if emptied {
            delete_emptied(ks, db, key);
        }
        ks.signal_modified(db, key);
        ks.notify(SET, "srem", db, key);
        if emptied {
            ks.notify(GENERIC, "del", db, key);
        }
        ks.dirty += removed;
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// What a key holds, for commands that look at two keys before touching
/// either.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    Nothing,
    Set,
    Other,
}

fn holds(v: Option<&mut Value>) -> Holds {
    match v {
        None => Holds::Nothing,
        Some(Value::Set(_)) => Holds::Set,
        Some(_) => Holds::Other,
    }
}

/// The set at a key known to hold one.
fn set_mut<'k>(ks: &'k mut Keyspace, db: usize, key: &[u8]) -> Option<&'k mut Set> {
    match ks.lookup_write(db, key) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// `SMOVE source destination member`: 1 when the member was moved (or,
/// with source and destination the same key, is a member), else 0. The
/// source is deleted when emptied; a missing destination is created.
fn smove(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (src, dst, member) = (args[1], args[2], args[3]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(src);
    let limits = ks.config.set_limits;
    let src_holds = holds(ks.lookup_write(db, src));
    let dst_holds = holds(ks.lookup_write(db, dst));
    if src_holds == Holds::Nothing {
        ctx.out.int(0);
        return Ok(());
    }
    if src_holds == Holds::Other || dst_holds == Holds::Other {
        return Err(CmdError::WrongType);
    }
    let Some(source) = set_mut(ks, db, src) else {
        return Err(CmdError::WrongType);
    };
    if src == dst {
        let is_member = source.contains(member);
        ctx.out.int(is_member as i64);
        return Ok(());
    }
    if !source.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let emptied = source.is_empty();
    ks.notify(SET, "srem", db, src);
    if emptied {
        delete_emptied(ks, db, src);
        ks.notify(GENERIC, "del", db, src);
    }
    ks.signal_modified(db, src);
    ks.dirty += 1;
    let added = match set_mut(ks, db, dst) {
        Some(target) => target.add(member, limits),
        None => {
            let mut target = Set::create(member, 1, limits);
            target.add(member, limits);
            ks.add(db, dst, Value::Set(target));
            true
        }
    };
    if added {
        ks.dirty += 1;
        ks.signal_modified(db, dst);
        ks.notify(SET, "sadd", db, dst);
    }
    ctx.out.int(1);
    Ok(())
}

/// `SISMEMBER key member`
fn sismember(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let set = read_set(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.int(set.is_some_and(|s| s.contains(args[2])) as i64);
    Ok(())
}

/// `SMISMEMBER key member [member ...]`: 1 or 0 per member (all 0 for a
/// missing key).
fn smismember(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let set = read_set(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        ctx.out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// `SCARD key`
fn scard(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let set = read_set(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.int(set.map_or(0, |s| s.len()) as i64);
    Ok(())
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: an intset or listpack
/// is returned whole with cursor 0; a table is walked with Redis's
/// reverse-binary cursor, visiting buckets until `count` members were
/// looked at (or ten times `count` buckets). As in Redis, the options are
/// only checked when the key holds a set.
fn sscan(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let cursor = parse_cursor(args[2])?;
    let db = ctx.db;
    let Some(set) = read_set(ctx.engine.shard_for(key), db, key)? else {
        reply_page(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = ScanOptions::parse(&args[3..], false)?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let cursor = opts.walk(cursor, |c, sampled| {
        set.scan(c, |m| {
            *sampled += 1;
            let member = m.to_vec();
            if opts.matches(&member) {
                found.push(member);
            }
        })
    });
    reply_page(ctx.out, cursor, &found);
    Ok(())
}
