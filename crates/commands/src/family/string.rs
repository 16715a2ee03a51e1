//! String commands (Redis's `t_string.c`): GET, SET and its variants,
//! counters, ranges, APPEND and LCS.

use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::long_double;
use crate::Handler;
use lodestone_storage::notify::{GENERIC, STRING};
use lodestone_storage::Value;

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("get", get),
    ("set", set),
    ("setnx", setnx),
    ("setex", setex),
    ("psetex", psetex),
    ("getex", getex),
    ("getdel", getdel),
    ("getset", getset),
    ("mget", mget),
    ("mset", mset),
    ("msetnx", msetnx),
    ("append", append),
    ("strlen", strlen),
    ("setrange", setrange),
    ("getrange", getrange),
    ("substr", getrange),
    ("incr", incr),
    ("decr", decr),
    ("incrby", incrby),
    ("decrby", decrby),
    ("incrbyfloat", incrbyfloat),
    ("lcs", lcs),
];

/// Writes the string at `key` as a bulk reply (null when absent), with one
/// read lookup. `Err(WrongType)` (and nothing written) when the key holds
/// another type.
fn reply_string(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let db = ctx.db;
    match ctx.engine.shard_for(key).lookup_read(db, key) {
        None => ctx.out.null(),
        Some(v) => {
            let mut scratch = itoa::Buffer::new();
            ctx.out
                .bulk(v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?);
        }
    }
    Ok(())
}

/// `GET key`
fn get(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    reply_string(ctx, args[1])
}

/// Options of SET and GETEX.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<Expire>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    RelSeconds,
    RelMillis,
    AbsSeconds,
    AbsMillis,
}

struct Expire {
    unit: ExpireUnit,
    amount: Vec<u8>,
}

/// Which command is parsing its options: SET takes NX/XX/GET/KEEPTTL,
/// GETEX takes PERSIST.
#[derive(PartialEq)]
enum OptionsFor {
    Set,
    GetEx,
}

/// Parses the options after the fixed arguments, with Redis's rules on
/// which combinations are a syntax error.
fn parse_set_options(args: &[&[u8]], for_cmd: OptionsFor) -> Result<SetOptions, CmdError> {
    let mut o = SetOptions::default();
    let set = for_cmd == OptionsFor::Set;
    let mut i = 0;
    while i < args.len() {
        let opt = args[i];
        let next = args.get(i + 1);
        let has_expire = o.expire.is_some();
        if set && is(opt, "NX") && !o.xx {
            o.nx = true;
        } else if set && is(opt, "XX") && !o.nx {
            o.xx = true;
        } else if set && is(opt, "GET") {
            o.get = true;
        } else if set && is(opt, "KEEPTTL") && !o.persist && !has_expire {
            o.keep_ttl = true;
        } else if !set && is(opt, "PERSIST") && !has_expire && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(unit), Some(amount)) = (expire_unit(opt), next) {
            // The same unit may repeat (the last one wins); mixing is an error.
            let other_unit = o.expire.as_ref().is_some_and(|e| e.unit != unit);
            if o.keep_ttl || o.persist || other_unit {
                return Err(CmdError::Syntax);
            }
            o.expire = Some(Expire {
                unit,
                amount: amount.to_vec(),
            });
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

fn expire_unit(opt: &[u8]) -> Option<ExpireUnit> {
    if is(opt, "EX") {
        Some(ExpireUnit::RelSeconds)
    } else if is(opt, "PX") {
        Some(ExpireUnit::RelMillis)
    } else if is(opt, "EXAT") {
        Some(ExpireUnit::AbsSeconds)
    } else if is(opt, "PXAT") {
        Some(ExpireUnit::AbsMillis)
    } else {
        None
    }
}

/// Converts an expire option to an absolute Unix time in ms, refusing
/// non-positive values and overflow as Redis does.
fn expire_at_ms(ctx: &Ctx, e: &Expire, now_ms: i64) -> Result<i64, CmdError> {
    let invalid = || CmdError::InvalidExpireTime(ctx.cmd.to_string());
    let n = int(&e.amount)?;
    let seconds = matches!(e.unit, ExpireUnit::RelSeconds | ExpireUnit::AbsSeconds);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(e.unit, ExpireUnit::RelSeconds | ExpireUnit::RelMillis) {
        ms = ms.checked_add(now_ms).ok_or_else(invalid)?;
    }
    Ok(ms)
}

/// The common path of SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    value: &[u8],
    o: &SetOptions,
    reply: SetReply,
) -> CmdResult {
    let db = ctx.db;
    let now = ctx.ks(key).now_ms();
    let expire_at = match &o.expire {
        Some(e) => Some(expire_at_ms(ctx, e, now)?),
        None => None,
    };
    if o.get {
        reply_string(ctx, key)?;
    }
    let ks = ctx.engine.shard_for(key);
    let found = ks.lookup_write(db, key).is_some();
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            match reply {
                SetReply::Ok => ctx.out.null(),
                SetReply::Int => ctx.out.int(0),
            }
        }
        return Ok(());
    }
    ks.set(
        db,
        key,
        Value::string(value),
        o.keep_ttl || expire_at.is_some(),
    );
    ks.dirty += 1;
    ks.notify(STRING, "set", db, key);
    if let Some(at) = expire_at {
        ks.set_expire(db, key, at);
        ks.notify(GENERIC, "expire", db, key);
        // Relative and second-based times travel as an absolute PXAT.
        if !matches!(
            o.expire,
            Some(Expire {
                unit: ExpireUnit::AbsMillis,
                ..
            })
        ) {
            let ms = at.to_string();
            ctx.propagate_as(&[b"SET", key, value, b"PXAT", ms.as_bytes()]);
        }
    }
    if !o.get {
        match reply {
            SetReply::Ok => ctx.out.ok(),
            SetReply::Int => ctx.out.int(1),
        }
    }
    Ok(())
}

/// How SET-like commands report success: `+OK` or `:1`.
enum SetReply {
    Ok,
    Int,
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]`
fn set(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let o = parse_set_options(&args[3..], OptionsFor::Set)?;
    set_generic(ctx, args[1], args[2], &o, SetReply::Ok)
}

/// `SETNX key value`
fn setnx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let o = SetOptions {
        nx: true,
        ..SetOptions::default()
    };
    set_generic(ctx, args[1], args[2], &o, SetReply::Int)
}

/// `SETEX key seconds value`
fn setex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let expire = Some(Expire {
        unit: ExpireUnit::RelSeconds,
        amount: args[2].to_vec(),
    });
    set_generic(
        ctx,
        args[1],
        args[3],
        &SetOptions {
            expire,
            ..SetOptions::default()
        },
        SetReply::Ok,
    )
}

/// `PSETEX key milliseconds value`
fn psetex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let expire = Some(Expire {
        unit: ExpireUnit::RelMillis,
        amount: args[2].to_vec(),
    });
    set_generic(
        ctx,
        args[1],
        args[3],
        &SetOptions {
            expire,
            ..SetOptions::default()
        },
        SetReply::Ok,
    )
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]`
fn getex(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let o = parse_set_options(&args[2..], OptionsFor::GetEx)?;
    let db = ctx.db;
    let now = ctx.ks(key).now_ms();
    // An invalid expire time is reported only for an existing string key.
    let expire_at = o.expire.as_ref().map(|e| expire_at_ms(ctx, e, now));
    match ctx.engine.shard_for(key).lookup_read(db, key) {
        None => {
            ctx.out.null();
            return Ok(());
        }
        Some(v) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
            let expire_at = expire_at.transpose()?;
            ctx.out.bulk(bytes);
            apply_getex_expiry(ctx, key, &o, expire_at);
        }
    }
    Ok(())
}

/// The TTL change of GETEX, after the value was replied.
fn apply_getex_expiry(ctx: &mut Ctx, key: &[u8], o: &SetOptions, expire_at: Option<i64>) {
    let db = ctx.db;
    let ks = ctx.ks(key);
    let absolute = matches!(
        o.expire,
        Some(Expire {
            unit: ExpireUnit::AbsSeconds | ExpireUnit::AbsMillis,
            ..
        })
    );
    match expire_at {
        Some(at) if absolute && ks.already_expired(at) => {
            let lazy = ks.config.lazyfree_lazy_expire;
            ks.delete(db, key, lazy);
            ks.signal_modified(db, key);
            ks.notify(GENERIC, "del", db, key);
            ks.dirty += 1;
            let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
            ctx.propagate_as(&[del, key]);
        }
        Some(at) => {
            ks.set_expire(db, key, at);
            ks.signal_modified(db, key);
            ks.notify(GENERIC, "expire", db, key);
            ks.dirty += 1;
            ctx.propagate_as(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
        }
        None if o.persist && ks.persist(db, key) => {
            ks.signal_modified(db, key);
            ks.notify(GENERIC, "persist", db, key);
            ks.dirty += 1;
            ctx.propagate_as(&[b"PERSIST", key]);
        }
        None => {}
    }
}

/// `GETDEL key`
fn getdel(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    reply_string(ctx, key)?;
    let db = ctx.db;
    let ks = ctx.ks(key);
    if ks.delete(db, key, false) {
        ks.signal_modified(db, key);
        ks.notify(GENERIC, "del", db, key);
        ks.dirty += 1;
        ctx.propagate_as(&[b"DEL", key]);
    }
    Ok(())
}

/// `GETSET key value`
fn getset(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    reply_string(ctx, key)?;
    let db = ctx.db;
    let ks = ctx.ks(key);
    ks.set(db, key, Value::string(args[2]), false);
    ks.notify(STRING, "set", db, key);
    ks.dirty += 1;
    ctx.propagate_as(&[b"SET", key, args[2]]);
    Ok(())
}

/// `MGET key [key ...]`: non-string values read as null.
fn mget(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    ctx.out.array(args.len() - 1);
    let db = ctx.db;
    for key in &args[1..] {
        match ctx.engine.shard_for(key).lookup_read(db, key) {
            Some(Value::Int(n)) => ctx.out.bulk_i64(*n),
            Some(Value::Emb(b)) => ctx.out.bulk(b),
            Some(Value::Raw(v)) => ctx.out.bulk(v),
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

/// `MSET key value [key value ...]`
fn mset(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    mset_generic(ctx, args, false)
}

/// `MSETNX key value [key value ...]`: all or nothing.
fn msetnx(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    mset_generic(ctx, args, true)
}

fn mset_generic(ctx: &mut Ctx, args: &[&[u8]], nx: bool) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.to_string()));
    }
    let db = ctx.db;
    if nx
        && args[1..].chunks(2).any(|kv| {
            ctx.engine
                .shard_for(kv[0])
                .lookup_write(db, kv[0])
                .is_some()
        })
    {
        ctx.out.int(0);
        return Ok(());
    }
    for kv in args[1..].chunks(2) {
        let ks = ctx.engine.shard_for(kv[0]);
        ks.set(db, kv[0], Value::string(kv[1]), false);
        ks.notify(STRING, "set", db, kv[0]);
        ks.dirty += 1;
    }
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// Refuses a string of `size + append` bytes above `proto-max-bulk-len`.
fn check_string_length(max: i64, size: u64, append: u64) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if total <= max as u64 => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

/// `APPEND key value`
fn append(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, tail) = (args[1], args[2]);
    let db = ctx.db;
    let max = ctx.settings.proto_max_bulk_len;
    let ks = ctx.engine.shard_for(key);
    let total = match ks.lookup_write(db, key) {
        None => {
            ks.add(db, key, Value::string(tail));
            tail.len()
        }
        Some(v) => {
            let len = v.string_len().ok_or(CmdError::WrongType)?;
            check_string_length(max, len as u64, tail.len() as u64)?;
            let raw = v.make_raw().ok_or(CmdError::WrongType)?;
            raw.extend_from_slice(tail);
            raw.len()
        }
    };
    ks.signal_modified(db, key);
    ks.notify(STRING, "append", db, key);
    ks.dirty += 1;
    ctx.out.int(total as i64);
    Ok(())
}

/// `STRLEN key`
fn strlen(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let len = match ctx.ks(args[1]).lookup_read(db, args[1]) {
        None => 0,
        Some(v) => v.string_len().ok_or(CmdError::WrongType)?,
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// `SETRANGE key offset value`
fn setrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (key, value) = (args[1], args[3]);
    let offset = int(args[2])?;
    if offset < 0 {
        return Err(CmdError::OffsetOutOfRange);
    }
    let offset = offset as usize;
    let db = ctx.db;
    let existing_len = match ctx.ks(key).lookup_write(db, key) {
        None => None,
        Some(v) => Some(v.string_len().ok_or(CmdError::WrongType)?),
    };
    match existing_len {
        None if value.is_empty() => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(len) if value.is_empty() => {
            ctx.out.int(len as i64);
            return Ok(());
        }
        _ => check_string_length(
            ctx.settings.proto_max_bulk_len,
            offset as u64,
            value.len() as u64,
        )?,
    }
    let ks = ctx.ks(key);
    if existing_len.is_none() {
        ks.add(db, key, Value::Raw(Box::default()));
    }
    let raw = ks
        .lookup_write(db, key)
        .and_then(|v| v.make_raw())
        .ok_or(CmdError::WrongType)?;
    let end = offset + value.len();
    if raw.len() < end {
        raw.resize(end, 0);
    }
    raw[offset..end].copy_from_slice(value);
    let total = raw.len();
    ks.signal_modified(db, key);
    ks.notify(STRING, "setrange", db, key);
    ks.dirty += 1;
    ctx.out.int(total as i64);
    Ok(())
}

/// `GETRANGE key start end` (and the deprecated `SUBSTR`).
fn getrange(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let mut start = int(args[2])?;
    let mut end = int(args[3])?;
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let Some(v) = ks.lookup_read(db, key) else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let mut scratch = itoa::Buffer::new();
    let s = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.out.bulk(b"");
    } else {
        ctx.out.bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

/// Adds `by` to the integer at `key`, creating it at 0.
fn incr_generic(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let current = match ks.lookup_write(db, key) {
        None => None,
        Some(Value::Int(n)) => Some(*n),
        Some(v) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
            Some(lodestone_protocol::num::parse_i64(bytes).ok_or(CmdError::NotInteger)?)
        }
    };
    let old = current.unwrap_or(0);
    let new = old.checked_add(by).ok_or(CmdError::Overflow)?;
    match current {
        None => ks.add(db, key, Value::Int(new)),
        Some(_) => {
            ks.replace_value(db, key, Value::Int(new));
        }
    }
    ks.signal_modified(db, key);
    ks.notify(STRING, "incrby", db, key);
    ks.dirty += 1;
    ctx.out.int(new);
    Ok(())
}

/// `INCR key`
fn incr(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, args[1], 1)
}

/// `DECR key`
fn decr(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, args[1], -1)
}

/// `INCRBY key increment`
fn incrby(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let by = int(args[2])?;
    incr_generic(ctx, args[1], by)
}

/// `DECRBY key decrement`
fn decrby(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let by = int(args[2])?;
    let by = by.checked_neg().ok_or(CmdError::DecrementOverflow)?;
    incr_generic(ctx, args[1], by)
}

/// `INCRBYFLOAT key increment`, computed in extended precision as Redis does.
fn incrbyfloat(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let current = match ks.lookup_write(db, key) {
        None => None,
        Some(v) => Some(v.to_string_vec().ok_or(CmdError::WrongType)?),
    };
    let result = long_double::incr(current.as_deref(), args[2])?;
    let value = Value::plain_string(&result);
    if current.is_some() {
        ks.replace_value(db, key, value);
    } else {
        ks.add(db, key, value);
    }
    ks.signal_modified(db, key);
    ks.notify(STRING, "incrbyfloat", db, key);
    ks.dirty += 1;
    // The exact result travels, so replicas need not recompute it.
    ctx.propagate_as(&[b"SET", key, &result, b"KEEPTTL"]);
    ctx.out.bulk(&result);
    Ok(())
}

/// One LCS match: ranges in the first and second string, and its length.
type LcsMatch = ((usize, usize), (usize, usize), usize);

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
fn lcs(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let mut fetch = |key: &[u8]| -> Result<Vec<u8>, CmdError> {
        match ctx.engine.shard_for(key).lookup_read(db, key) {
            None => Ok(Vec::new()),
            Some(v) => v.to_string_vec().ok_or(CmdError::LcsNotStrings),
        }
    };
    let a = fetch(args[1]);
    let b = fetch(args[2]);
    let (a, b) = (a?, b?);
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "IDX") {
            get_idx = true;
        } else if is(args[i], "LEN") {
            get_len = true;
        } else if is(args[i], "WITHMATCHLEN") {
            with_match_len = true;
        } else if is(args[i], "MINMATCHLEN") && more > 0 {
            min_match_len = int(args[i + 1])?.max(0);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if get_len && get_idx {
        return Err(CmdError::LcsLenAndIdx);
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::LcsTooLong);
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > ctx.settings.proto_max_bulk_len as u64 {
        return Err(CmdError::LcsTooMuchMemory);
    }
    let width = blen + 1;
    let mut table = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[alen * width + blen];
    if get_len && !get_idx {
        ctx.out.int(total as i64);
        return Ok(());
    }
    let mut result = vec![0u8; total as usize];
    let mut ranges: Vec<LcsMatch> = Vec::new();
    let (mut i, mut j, mut idx) = (alen, blen, total as usize);
    // Current range: (a_start, a_end, b_start, b_end); a_start == alen means none.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
            if get_idx && (min_match_len == 0 || match_len as i64 >= min_match_len) {
                ranges.push(((a_start, a_end), (b_start, b_end), match_len));
            }
            a_start = alen;
        }
    }
    if !get_idx {
        ctx.out.bulk(&result);
        return Ok(());
    }
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(ranges.len());
    for ((a0, a1), (b0, b1), len) in ranges {
        ctx.out.array(2 + with_match_len as usize);
        ctx.out.array(2);
        ctx.out.int(a0 as i64);
        ctx.out.int(a1 as i64);
        ctx.out.array(2);
        ctx.out.int(b0 as i64);
        ctx.out.int(b1 as i64);
        if with_match_len {
            ctx.out.int(len as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(total as i64);
    Ok(())
}
