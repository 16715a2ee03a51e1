//! Generic key commands (Redis's `db.c` and `expire.c`): DEL, EXISTS, TYPE,
//! RENAME, MOVE, COPY, KEYS, SCAN, RANDOMKEY, TOUCH, the EXPIRE and TTL
//! families, PERSIST, and the whole-database commands DBSIZE, FLUSHDB,
//! FLUSHALL and SWAPDB.

use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::scan::{parse_cursor, reply_page, ScanOptions};
use crate::glob::Pattern;
use crate::Handler;
use lodestone_storage::notify::GENERIC;
use lodestone_storage::Lookup;

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("del", del),
    ("unlink", unlink),
    ("exists", exists),
    ("type", type_cmd),
    ("rename", rename),
    ("renamenx", renamenx),
    ("move", move_cmd),
    ("copy", copy),
    ("keys", keys),
    ("scan", scan),
    ("randomkey", randomkey),
    ("touch", touch),
    ("expire", expire),
    ("pexpire", pexpire),
    ("expireat", expireat),
    ("pexpireat", pexpireat),
    ("ttl", ttl),
    ("pttl", pttl),
    ("expiretime", expiretime),
    ("pexpiretime", pexpiretime),
    ("persist", persist),
    ("dbsize", dbsize),
    ("flushdb", flushdb),
    ("flushall", flushall),
    ("swapdb", swapdb),
];

fn del_generic(ctx: &mut Ctx, args: &[&[u8]], lazy: bool) -> CmdResult {
    let db = ctx.db;
    let mut deleted = 0;
    for key in &args[1..] {
        let ks = ctx.ks(key);
        if ks.delete(db, key, lazy) {
            ks.signal_modified(db, key);
            ks.notify(GENERIC, "del", db, key);
            ks.dirty += 1;
            deleted += 1;
        }
    }
    ctx.out.int(deleted);
    Ok(())
}

/// `DEL key [key ...]`
fn del(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let lazy = ctx.settings.lazyfree_lazy_user_del;
    del_generic(ctx, args, lazy)
}

/// `UNLINK key [key ...]`: like DEL, freeing large values in the background.
fn unlink(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    del_generic(ctx, args, true)
}

/// `EXISTS key [key ...]`: counts repeats.
fn exists(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let flags = Lookup {
        no_touch: true,
        ..Lookup::READ
    };
    let count = args[1..]
        .iter()
        .filter(|k| ctx.engine.shard_for(k).lookup(db, k, flags).is_some())
        .count();
    ctx.out.int(count as i64);
    Ok(())
}

/// `TYPE key`
fn type_cmd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let flags = Lookup {
        no_touch: true,
        ..Lookup::READ
    };
    let name = match ctx.ks(args[1]).lookup(db, args[1], flags) {
        Some(e) => e.value.kind().name(),
        None => "none",
    };
    ctx.out.simple(name);
    Ok(())
}

fn rename_generic(ctx: &mut Ctx, args: &[&[u8]], nx: bool) -> CmdResult {
    let (src, dst) = (args[1], args[2]);
    let db = ctx.db;
    if ctx.ks(src).lookup_write(db, src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        reply_ok_or_int(ctx, nx, if nx { 0 } else { 1 });
        return Ok(());
    }
    if ctx.ks(dst).lookup_write(db, dst).is_some() {
        if nx {
            ctx.out.int(0);
            return Ok(());
        }
        let lazy = ctx.ks(dst).config.lazyfree_lazy_server_del;
        ctx.ks(dst).delete(db, dst, lazy);
    }
    let (value, expire) = ctx.ks(src).take(db, src).ok_or(CmdError::NoSuchKey)?;
    let ks = ctx.ks(dst);
    ks.add(db, dst, value);
    if let Some(at) = expire {
        ks.set_expire(db, dst, at);
    }
    let ks = ctx.ks(src);
    ks.signal_modified(db, src);
    ks.notify(GENERIC, "rename_from", db, src);
    let ks = ctx.ks(dst);
    ks.signal_modified(db, dst);
    ks.notify(GENERIC, "rename_to", db, dst);
    ks.dirty += 1;
    reply_ok_or_int(ctx, nx, 1);
    Ok(())
}

fn reply_ok_or_int(ctx: &mut Ctx, int_reply: bool, n: i64) {
    if int_reply {
        ctx.out.int(n);
    } else {
        ctx.out.ok();
    }
}

/// `RENAME key newkey`
fn rename(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, args, false)
}

/// `RENAMENX key newkey`
fn renamenx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// Parses a database number as MOVE and COPY do (`getIntFromObjectOrReply`).
fn target_db(ctx: &Ctx, arg: &[u8]) -> Result<usize, CmdError> {
    let n = int(arg)?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(CmdError::OutOfRangeBetween(
            i32::MIN as i64,
            i32::MAX as i64,
        ));
    }
    if n < 0 || n as usize >= ctx.engine.db_count() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// `MOVE key db`
fn move_cmd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let src = ctx.db;
    let dst = target_db(ctx, args[2])?;
    if src == dst {
        return Err(CmdError::SameObject);
    }
    let ks = ctx.ks(key);
    if ks.lookup_write(src, key).is_none() || ks.lookup_write(dst, key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let (value, expire) = ks.take(src, key).ok_or(CmdError::NoSuchKey)?;
    ks.add(dst, key, value);
    if let Some(at) = expire {
        ks.set_expire(dst, key, at);
    }
    ks.signal_modified(src, key);
    ks.signal_modified(dst, key);
    ks.notify(GENERIC, "move_from", src, key);
    ks.notify(GENERIC, "move_to", dst, key);
    ks.dirty += 1;
    ctx.out.int(1);
    Ok(())
}

/// `COPY source destination [DB db] [REPLACE]`
fn copy(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (src_key, dst_key) = (args[1], args[2]);
    let src = ctx.db;
    let mut dst = src;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "REPLACE") {
            replace = true;
        } else if is(args[i], "DB") && i + 1 < args.len() {
            dst = target_db(ctx, args[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if src == dst && src_key == dst_key {
        return Err(CmdError::SameObject);
    }
    let Some(value) = ctx.ks(src_key).lookup_read(src, src_key).cloned() else {
        ctx.out.int(0);
        return Ok(());
    };
    let expire = ctx.ks(src_key).expire_at(src, src_key);
    let ks = ctx.ks(dst_key);
    if ks.lookup_write(dst, dst_key).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        let lazy = ks.config.lazyfree_lazy_server_del;
        ks.delete(dst, dst_key, lazy);
    }
    ks.add(dst, dst_key, value);
    if let Some(at) = expire {
        ks.set_expire(dst, dst_key, at);
    }
    ks.signal_modified(dst, dst_key);
    ks.notify(GENERIC, "copy_to", dst, dst_key);
    ks.dirty += 1;
    ctx.out.int(1);
    Ok(())
}

/// `KEYS pattern`: every live key matching the glob pattern.
fn keys(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let pattern = Pattern::new(args[1], false);
    let all = pattern.is_match_all();
    let db = ctx.db;
    let mut found: Vec<Vec<u8>> = Vec::new();
    for ks in ctx.engine.shards() {
        for entry in ks.db(db).iter() {
            if (all || pattern.matches(entry.key())) && !ks.entry_is_expired(db, entry) {
                found.push(entry.key().to_vec());
            }
        }
    }
    ctx.out.bulk_array(found.iter());
    Ok(())
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
fn scan(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(args[1])?;
    let opts = ScanOptions::parse(&args[2..], true)?;
    let db = ctx.db;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    // One shard today; with several, the cursor will also encode the shard.
    let ks = &mut ctx.engine.shards_mut()[0];
    let cursor = opts.walk(cursor, |c, sampled| {
        ks.db(db).scan(c, |e| {
            *sampled += 1;
            if opts.matches(e.key()) {
                keys.push(e.key().to_vec());
            }
        })
    });
    let type_filter = opts.type_filter;
    keys.retain(|k| match type_filter {
        Some(wanted) => {
            let flags = Lookup {
                no_touch: true,
                no_notify: true,
                no_stats: false,
            };
            ks.lookup(db, k, flags)
                .is_some_and(|e| Some(e.value.kind()) == wanted)
        }
        None => !ks.expire_if_needed(db, k),
    });
    reply_page(ctx.out, cursor, &keys);
    Ok(())
}

/// `RANDOMKEY`
fn randomkey(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    match ctx.engine.shards_mut()[0].random_key(db) {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `TOUCH key [key ...]`: updates access times, counts existing keys.
fn touch(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let count = args[1..]
        .iter()
        .filter(|k| ctx.engine.shard_for(k).lookup_read(db, k).is_some())
        .count();
    ctx.out.int(count as i64);
    Ok(())
}

/// Conditions of the EXPIRE family.
#[derive(Default)]
struct ExpireCondition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_condition(args: &[&[u8]]) -> Result<ExpireCondition, CmdError> {
    let mut c = ExpireCondition::default();
    for opt in args {
        if is(opt, "NX") {
            c.nx = true;
        } else if is(opt, "XX") {
            c.xx = true;
        } else if is(opt, "GT") {
            c.gt = true;
        } else if is(opt, "LT") {
            c.lt = true;
        } else {
            return Err(CmdError::UnsupportedOption(
                String::from_utf8_lossy(opt).into_owned(),
            ));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::ExpireNxConflict);
    }
    if c.gt && c.lt {
        return Err(CmdError::ExpireGtLtConflict);
    }
    Ok(c)
}

/// The EXPIRE family: `base_ms` is the command time for relative forms and
/// 0 for absolute ones.
fn expire_generic(ctx: &mut Ctx, args: &[&[u8]], relative: bool, seconds: bool) -> CmdResult {
    let key = args[1];
    let cond = parse_expire_condition(&args[3..])?;
    let mut when = int(args[2])?;
    let invalid = || CmdError::InvalidExpireTime(ctx.cmd.to_string());
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let now = ks.now_ms();
    let base = if relative { now } else { 0 };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    if ks.lookup_write(db, key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let current = ks.expire_at(db, key);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        || (cond.gt && current.is_none_or(|c| when <= c))
        || (cond.lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    if ks.already_expired(when) {
        let lazy = ks.config.lazyfree_lazy_expire;
        ks.delete(db, key, lazy);
        ks.dirty += 1;
        ks.signal_modified(db, key);
        ks.notify(GENERIC, "del", db, key);
        let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.propagate_as(&[del, key]);
    } else {
        ks.set_expire(db, key, when);
        ks.signal_modified(db, key);
        ks.notify(GENERIC, "expire", db, key);
        ks.dirty += 1;
        // Propagated with an absolute time in ms, keeping the condition.
        let when = when.to_string();
        let mut rewritten: Vec<&[u8]> = vec![b"PEXPIREAT", key, when.as_bytes()];
        rewritten.extend_from_slice(&args[3..]);
        ctx.propagate_as(&rewritten);
    }
    ctx.out.int(1);
    Ok(())
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`
fn expire(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, true, true)
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`
fn pexpire(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, true, false)
}

/// `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`
fn expireat(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, false, true)
}

/// `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`
fn pexpireat(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, args, false, false)
}

/// The TTL family: relative or absolute, in seconds or milliseconds.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], millis: bool, absolute: bool) -> CmdResult {
    let db = ctx.db;
    let flags = Lookup {
        no_touch: true,
        ..Lookup::READ
    };
    let ks = ctx.engine.shard_for(key);
    if ks.lookup(db, key, flags).is_none() {
        ctx.out.int(-2);
        return Ok(());
    }
    let now = ks.now_ms();
    match ks.expire_at(db, key) {
        None => ctx.out.int(-1),
        Some(at) => {
            let ttl = if absolute { at } else { at - now }.max(0);
            ctx.out.int(if millis { ttl } else { (ttl + 500) / 1000 });
        }
    }
    Ok(())
}

/// `TTL key`
fn ttl(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], false, false)
}

/// `PTTL key`
fn pttl(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], true, false)
}

/// `EXPIRETIME key`
fn expiretime(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], false, true)
}

/// `PEXPIRETIME key`
fn pexpiretime(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, args[1], true, true)
}

/// `PERSIST key`
fn persist(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.ks(key);
    let removed = ks.lookup_write(db, key).is_some() && ks.persist(db, key);
    if removed {
        ks.signal_modified(db, key);
        ks.notify(GENERIC, "persist", db, key);
        ks.dirty += 1;
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// `DBSIZE`: keys in the selected database (expired ones not yet removed
/// included, as in Redis).
fn dbsize(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let n: usize = ctx.engine.shards().iter().map(|ks| ks.db(db).len()).sum();
    ctx.out.int(n as i64);
    Ok(())
}

/// Parses the optional `ASYNC|SYNC` of FLUSHDB and FLUSHALL.
fn flush_mode(ctx: &Ctx, args: &[&[u8]]) -> Result<bool, CmdError> {
    match args.get(1) {
        None => Ok(ctx.settings.lazyfree_lazy_user_flush),
        Some(a) if args.len() == 2 && is(a, "ASYNC") => Ok(true),
        Some(a) if args.len() == 2 && is(a, "SYNC") => Ok(false),
        Some(_) => Err(CmdError::Syntax),
    }
}

/// `FLUSHDB [ASYNC|SYNC]`
fn flushdb(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    let db = ctx.db;
    for ks in ctx.engine.shards_mut() {
        let removed = ks.flush(Some(db), lazy);
        ks.dirty += removed as u64;
    }
    ctx.force_propagation = true;
    ctx.out.ok();
    Ok(())
}

/// `FLUSHALL [ASYNC|SYNC]`
fn flushall(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    for ks in ctx.engine.shards_mut() {
        let removed = ks.flush(None, lazy);
        // Redis counts one extra change so that FLUSHALL is always propagated.
        ks.dirty += removed as u64 + 1;
    }
    ctx.out.ok();
    Ok(())
}

/// `SWAPDB index1 index2`
fn swapdb(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let parse = |arg: &[u8], msg: &'static str| -> Result<i64, CmdError> {
        let n = lodestone_protocol::num::parse_i64(arg).ok_or(CmdError::ValueOutOfRange(msg))?;
        if n < i32::MIN as i64 || n > i32::MAX as i64 {
            return Err(CmdError::ValueOutOfRange(msg));
        }
        Ok(n)
    };
    let a = parse(args[1], "invalid first DB index")?;
    let b = parse(args[2], "invalid second DB index")?;
    let dbs = ctx.engine.db_count() as i64;
    if a < 0 || a >= dbs || b < 0 || b >= dbs {
        return Err(CmdError::DbIndexOutOfRange);
    }
    if a != b {
        for ks in ctx.engine.shards_mut() {
            ks.swap_db(a as usize, b as usize);
            ks.dirty += 1;
        }
    }
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursor_parsing_follows_strtoul() {
        assert_eq!(parse_cursor(b"0").unwrap(), 0);
        assert_eq!(parse_cursor(b"").unwrap(), 0);
        assert_eq!(parse_cursor(b"+12").unwrap(), 12);
        assert_eq!(parse_cursor(b"-1").unwrap(), u64::MAX);
        assert!(parse_cursor(b" 1").is_err());
        assert!(parse_cursor(b"1x").is_err());
        assert!(parse_cursor(b"18446744073709551616").is_err());
    }
}
