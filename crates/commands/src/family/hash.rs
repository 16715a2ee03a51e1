//! Hash commands (Redis's `t_hash.c`): HSET and friends, counters,
//! whole-hash reads, HRANDFIELD and HSCAN.
//!
//! Every write goes through [`write_hash`], which creates the key when it
//! is absent (Redis's `hashTypeLookupWriteOrCreate`), and every write that
//! changed something invalidates WATCH, counts in `dirty` and raises its
//! `hash` event; a hash emptied by HDEL is deleted with a `del` event.
//! Encodings and their conversions are the storage layer's
//! ([`lodestone_storage::hash`]).

use crate::args::int;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::random_pick::{parse_count, parse_with_flag, ReplyBudget};
use crate::family::scan::{parse_cursor, reply_page, ScanOptions};
use crate::long_double;
use crate::Handler;
use lodestone_protocol::Reply;
use lodestone_storage::hash::{FieldValue, Hash, HashLimits};
use lodestone_storage::listpack::LpEntry;
use lodestone_storage::notify::{GENERIC, HASH};
use lodestone_storage::{Keyspace, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("hset", hset),
    ("hmset", hmset),
    ("hsetnx", hsetnx),
    ("hget", hget),
    ("hmget", hmget),
    ("hdel", hdel),
    ("hlen", hlen),
    ("hstrlen", hstrlen),
    ("hexists", hexists),
    ("hkeys", hkeys),
    ("hvals", hvals),
    ("hgetall", hgetall),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
];

/// The hash at `key` for a read command (counting a hit or miss): `None`
/// when absent, WRONGTYPE when the key holds another type.
pub fn read_hash<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'k Hash>, CmdError> {
    match ks.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Runs `write` on the hash at `key`, creating an empty hash when the key
/// is absent; the new key is added only if `write` left fields in it.
fn write_hash<R>(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    write: impl FnOnce(&mut Hash, HashLimits) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    let limits = ks.config.hash_limits;
    match ks.lookup_write(db, key) {
        Some(Value::Hash(h)) => write(h, limits),
        Some(_) => Err(CmdError::WrongType),
        None => {
            let mut h = Hash::new();
            let result = write(&mut h, limits)?;
            if !h.is_empty() {
                ks.add(db, key, Value::Hash(h));
            }
            Ok(result)
        }
    }
}

/// Records a write to `key` that raised `event`.
fn written(ks: &mut Keyspace, db: usize, key: &[u8], event: &'static str, changes: u64) {
    ks.signal_modified(db, key);
    ks.notify(HASH, event, db, key);
    ks.dirty += changes;
}

/// Writes one field or value as a bulk string (integers in decimal).
pub fn reply_value(out: &mut Reply, v: FieldValue<'_>) {
    match v {
        LpEntry::Int(n) => out.bulk_i64(n),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// The common path of HSET and HMSET; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx, args: &[&[u8]]) -> Result<i64, CmdError> {
    if args.len() % 2 == 1 {
        return Err(CmdError::WrongArity(ctx.cmd.to_string()));
    }
    let (key, pairs) = (args[1], &args[2..]);
    let db = ctx.db;
    let ks = ctx.ks(key);
    let created = write_hash(ks, db, key, |h, limits| {
        h.prepare_write(pairs.len() / 2, pairs.iter().map(|a| a.len()), limits);
        Ok(pairs
            .chunks_exact(2)
            .filter(|p| h.set(p[0], p[1], limits))
            .count() as i64)
    })?;
    written(ks, db, key, "hset", (pairs.len() / 2) as u64);
    Ok(created)
}

/// `HSET key field value [field value ...]`: the number of new fields.
fn hset(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let created = set_pairs(ctx, args)?;
    ctx.out.int(created);
    Ok(())
}

/// `HMSET key field value [field value ...]`: `+OK`.
fn hmset(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    set_pairs(ctx, args)?;
    ctx.out.ok();
    Ok(())
}

/// `HSETNX key field value`: 1 when set, 0 when the field existed.
fn hsetnx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, field, value) = (args[1], args[2], args[3]);
    let db = ctx.db;
    let ks = ctx.ks(key);
    let set = write_hash(ks, db, key, |h, limits| {
        if h.contains(field) {
            return Ok(false);
        }
        h.prepare_write(1, [field.len(), value.len()], limits);
        h.set(field, value, limits);
        Ok(true)
    })?;
    if set {
        written(ks, db, key, "hset", 1);
    }
    ctx.out.int(set as i64);
    Ok(())
}

/// `HGET key field`
fn hget(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(args[1]), db, args[1])?;
    match hash.and_then(|h| h.get(args[2])) {
        Some(v) => reply_value(ctx.out, v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `HMGET key field [field ...]`: a null per missing field (all null for
/// a missing key).
fn hmget(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.array(args.len() - 2);
    for field in &args[2..] {
        match hash.and_then(|h| h.get(field)) {
            Some(v) => reply_value(ctx.out, v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// `HDEL key field [field ...]`: how many fields were removed; the key is
/// deleted (with a `del` event) when its last field goes.
fn hdel(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.ks(key);
    let (deleted, emptied) = match ks.lookup_write(db, key) {
        None => (0, false),
        Some(Value::Hash(h)) => {
            let mut deleted = 0;
            for field in &args[2..] {
                if h.remove(field) {
                    deleted += 1;
                    if h.is_empty() {
                        break;
                    }
                }
            }
            (deleted, h.is_empty())
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    if deleted > 0 {
        if emptied {
            let lazy = ks.config.lazyfree_lazy_server_del;
            ks.delete(db, key, lazy);
        }
        written(ks, db, key, "hdel", deleted);
        if emptied {
            ks.notify(GENERIC, "del", db, key);
        }
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// `HLEN key`
fn hlen(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.int(hash.map_or(0, |h| h.len()) as i64);
    Ok(())
}

/// `HSTRLEN key field`: the length of the value (0 when missing).
fn hstrlen(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(args[1]), db, args[1])?;
    let len = hash.and_then(|h| h.get(args[2])).map_or(0, |v| v.str_len());
    ctx.out.int(len as i64);
    Ok(())
}

/// `HEXISTS key field`
fn hexists(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out
        .int(hash.is_some_and(|h| h.contains(args[2])) as i64);
    Ok(())
}

/// What HKEYS, HVALS and HGETALL return of each field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

/// The common path of HKEYS, HVALS and HGETALL: HGETALL answers a map
/// (a flat array in RESP2), the others an array.
fn get_all(ctx: &mut Ctx, key: &[u8], parts: Parts) -> CmdResult {
    let db = ctx.db;
    let hash = read_hash(ctx.engine.shard_for(key), db, key)?;
    let len = hash.map_or(0, |h| h.len());
    if parts == Parts::Both {
        ctx.out.map(len);
    } else {
        ctx.out.array(len);
    }
    for (f, v) in hash.into_iter().flat_map(|h| h.iter()) {
        if parts != Parts::Values {
            reply_value(ctx.out, f);
        }
        if parts != Parts::Fields {
            reply_value(ctx.out, v);
        }
    }
    Ok(())
}

/// `HKEYS key`
fn hkeys(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    get_all(ctx, args[1], Parts::Fields)
}

/// `HVALS key`
fn hvals(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    get_all(ctx, args[1], Parts::Values)
}

/// `HGETALL key`
fn hgetall(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    get_all(ctx, args[1], Parts::Both)
}

/// `HINCRBY key field increment`: the new value. The field's value must be
/// an integer; the result must not overflow.
fn hincrby(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, field) = (args[1], args[2]);
    let incr = int(args[3])?;
    let db = ctx.db;
    let ks = ctx.ks(key);
    let value = write_hash(ks, db, key, |h, limits| {
        let current = match h.get(field) {
            None => 0,
            Some(v) => v.as_int().ok_or(CmdError::HashValueNotInteger)?,
        };
        let value = current.checked_add(incr).ok_or(CmdError::Overflow)?;
        h.set(field, itoa::Buffer::new().format(value).as_bytes(), limits);
        Ok(value)
    })?;
    written(ks, db, key, "hincrby", 1);
    ctx.out.int(value);
    Ok(())
}

/// `HINCRBYFLOAT key field increment`: the new value, computed in long
/// double precision and printed as Redis prints it (see [`long_double`]).
fn hincrbyfloat(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, field, incr) = (args[1], args[2], args[3]);
    // The increment alone must be a finite number.
    long_double::incr(None, incr).map_err(|e| match e {
        CmdError::NanOrInfinity => CmdError::ValueNanOrInfinity,
        other => other,
    })?;
    let db = ctx.db;
    let ks = ctx.ks(key);
    let result = write_hash(ks, db, key, |h, limits| {
        let current = h.get(field).map(|v| v.to_vec());
        let result = long_double::incr(current.as_deref(), incr).map_err(|e| match e {
            // The increment parsed above: the stored value is at fault.
            CmdError::NotFloat => CmdError::HashValueNotFloat,
            other => other,
        })?;
        h.set(field, &result, limits);
        Ok(result)
    })?;
    written(ks, db, key, "hincrbyfloat", 1);
    ctx.out.bulk(&result);
    Ok(())
}

/// Writes one HRANDFIELD pick: the field, and with WITHVALUES its value
/// (as a two-element array in RESP3).
fn reply_pick(out: &mut Reply, f: FieldValue<'_>, v: FieldValue<'_>, with_values: bool) {
    if with_values && out.resp() >= 3 {
        out.array(2);
    }
    reply_value(out, f);
    if with_values {
        reply_value(out, v);
    }
}

/// `HRANDFIELD key [count [WITHVALUES]]`
fn hrandfield(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    if args.len() == 2 {
        let hash = read_hash(ctx.engine.shard_for(key), db, key)?;
        match hash.and_then(|h| h.random_pair()) {
            Some((f, _)) => reply_value(ctx.out, f),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_count(args[2])?;
    let with_values = parse_with_flag(args, "WITHVALUES", count)?;
    let hash = read_hash(ctx.engine.shard_for(key), db, key)?;
    let Some(hash) = hash else {
        ctx.out.array(0);
        return Ok(());
    };
    let per_pick = if with_values && ctx.out.resp() < 3 {
        2
    } else {
        1
    };
    if count == 0 {
        ctx.out.array(0);
    } else if count < 0 || count == 1 {
        // Independent picks, repeats allowed, random order.
        let picks = count.unsigned_abs();
        let mut budget = ReplyBudget::new(ctx.out, ctx.settings.proto_max_bulk_len);
        ctx.out.array((picks as usize).saturating_mul(per_pick));
        hash.random_pairs(picks, |f, v| {
            reply_pick(ctx.out, f, v, with_values);
            budget.allows_more(ctx.out)
        });
        budget.finish(ctx.out)?;
    } else {
        let count = count as usize;
        ctx.out.array(count.min(hash.len()) * per_pick);
        hash.random_distinct(count, |f, v| reply_pick(ctx.out, f, v, with_values));
    }
    Ok(())
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: a listpack is
/// returned whole with cursor 0; a table is walked with Redis's
/// reverse-binary cursor, visiting buckets until `count` entries were
/// looked at (or ten times `count` buckets).
fn hscan(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let cursor = parse_cursor(args[2])?;
    let db = ctx.db;
    let Some(hash) = read_hash(ctx.engine.shard_for(key), db, key)? else {
        reply_page(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = ScanOptions::parse(&args[3..], false)?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let cursor = opts.walk(cursor, |c, sampled| {
        hash.scan(c, |f, v| {
            *sampled += 1;
            let field = f.to_vec();
            if opts.matches(&field) {
                found.push(field);
                found.push(v.to_vec());
            }
        })
    });
    reply_page(ctx.out, cursor, &found);
    Ok(())
}
