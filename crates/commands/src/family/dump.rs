//! DUMP and RESTORE (Redis's `dumpCommand`/`restoreCommand`): a value as a
//! payload of its RDB encoding (`lodestone_storage::rdb::value`) plus the
//! RDB version and a CRC-64, and back. Payloads are byte-compatible with
//! Redis's in both directions; a payload that fails any check is refused
//! before anything changes. A relative TTL is propagated as an absolute
//! one (`ABSTTL`), a restore of an already expired value over a key as
//! its deletion.

use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::Handler;
use lodestone_storage::clock::{lfu_minutes, LRU_CLOCK_MAX};
use lodestone_storage::notify::GENERIC;
use lodestone_storage::rdb::{decode_value, encode_value, seal_payload, verify_payload, Reader};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[("dump", dump), ("restore", restore)];

/// `DUMP key`: the serialized value, or null.
fn dump(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, compress) = (ctx.db, ctx.settings.rdb_compression);
    let Some(value) = ctx.ks(args[1]).lookup_read(db, args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let mut payload = Vec::new();
    encode_value(value, &mut payload, compress);
    seal_payload(&mut payload);
    ctx.out.bulk(&payload);
    Ok(())
}

/// The options after RESTORE's three arguments.
#[derive(Default)]
struct Options {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds.
    idle: Option<i64>,
    /// FREQ counter.
    freq: Option<u8>,
}

/// Parses RESTORE's options as Redis does: IDLETIME and FREQ exclude each
/// other (the second is then a syntax error), and each value is checked
/// as soon as it is read.
fn parse_options(args: &[&[u8]]) -> Result<Options, CmdError> {
    let mut o = Options::default();
    let mut j = 4;
    while j < args.len() {
        let has_value = j + 1 < args.len();
        if is(args[j], "REPLACE") {
            o.replace = true;
        } else if is(args[j], "ABSTTL") {
            o.absttl = true;
        } else if is(args[j], "IDLETIME") && has_value && o.freq.is_none() {
            let idle = int(args[j + 1])?;
            if idle < 0 {
                return Err(CmdError::NegativeIdletime);
            }
            o.idle = Some(idle);
            j += 1;
        } else if is(args[j], "FREQ") && has_value && o.idle.is_none() {
            let freq = u8::try_from(int(args[j + 1])?).map_err(|_| CmdError::FreqOutOfRange)?;
            o.freq = Some(freq);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]`
fn restore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (db, key) = (ctx.db, args[1]);
    let opts = parse_options(args)?;
    if !opts.replace && ctx.ks(key).lookup_write(db, key).is_some() {
        return Err(CmdError::BusyKey);
    }
    let ttl = int(args[2])?;
    if ttl < 0 {
        return Err(CmdError::NegativeTtl);
    }
    verify_payload(args[3], ctx.settings.skip_checksum_validation)
        .ok_or(CmdError::BadDumpPayload)?;
    let ks = ctx.ks(key);
    // Like Redis, read from the whole payload: a value that runs into the
    // footer is read from it, and bytes left over are ignored.
    let mut r = Reader::new(args[3]);
    let value = r
        .u8()
        .and_then(|ty| decode_value(&mut r, ty, &ks.config))
        .map_err(|_| CmdError::BadDataFormat)?;

    let lazy = ks.config.lazyfree_lazy_server_del;
    let deleted = opts.replace && ks.delete(db, key, lazy);
    let now = ks.now_ms();
    let expire_at = match ttl {
        0 => None,
        t if opts.absttl => Some(t),
        t => Some(t.saturating_add(now)),
    };
    if expire_at.is_some_and(|at| ks.already_expired(at)) {
        // Already expired: the key is not created (and a replaced one is
        // gone, as if deleted, which is what replicas are told).
        if deleted {
            ks.signal_modified(db, key);
            ks.notify(GENERIC, "del", db, key);
            ks.dirty += 1;
        }
        ks.dispose(value, false);
        if deleted {
            let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
            ctx.propagate_as(&[del, key]);
        }
        ctx.out.ok();
        return Ok(());
    }
    ks.add(db, key, value);
    if let Some(at) = expire_at {
        ks.set_expire(db, key, at);
    }
    let (lfu, clock) = (ks.config.lfu, ks.lru_clock());
    let stamp = match (lfu, opts.freq, opts.idle) {
        (true, Some(freq), _) => Some((lfu_minutes(now) << 8) | freq as u32),
        (false, _, Some(idle)) => Some(lru_stamp(clock, idle)),
        _ => None,
    };
    if let (Some(stamp), Some(entry)) = (stamp, ks.db_mut(db).entry_mut(key)) {
        entry.lru = stamp;
    }
    ks.signal_modified(db, key);
    ks.notify(GENERIC, "restore", db, key);
    ks.dirty += 1;
    if let (Some(at), false) = (expire_at, opts.absttl) {
        // Replicas and the AOF get the absolute expire time, so a replay
        // later expires the key at the same moment (as Redis rewrites it).
        let at = at.to_string();
        let mut rewritten: Vec<&[u8]> = vec![args[0], key, at.as_bytes()];
        rewritten.extend_from_slice(&args[3..]);
        rewritten.push(b"ABSTTL");
        ctx.propagate_as(&rewritten);
    }
    ctx.out.ok();
    Ok(())
}

/// The LRU field of a key last accessed `idle` seconds before `clock`,
/// wrapping like Redis's 24-bit field (`objectSetLRUOrLFU`).
fn lru_stamp(clock: u32, idle: i64) -> u32 {
    let mut at = (clock as i64).wrapping_sub(idle);
    if at < 0 {
        at = at.wrapping_add(LRU_CLOCK_MAX as i64);
    }
    (at as u64 & LRU_CLOCK_MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_stamp_wraps_like_redis() {
        assert_eq!(lru_stamp(1000, 10), 990);
        assert_eq!(lru_stamp(10, 20), LRU_CLOCK_MAX - 10);
    }

    #[test]
    fn options_follow_redis_rules() {
        let args = |extra: &[&'static str]| {
            let mut a: Vec<&[u8]> = vec![b"restore", b"k", b"0", b"p"];
            a.extend(extra.iter().map(|s| s.as_bytes()));
            a
        };
        let o = parse_options(&args(&["replace", "ABSTTL", "idletime", "5"])).unwrap();
        assert!(o.replace && o.absttl && o.idle == Some(5));
        assert_eq!(
            parse_options(&args(&["IDLETIME", "1", "FREQ", "2"])).err(),
            Some(CmdError::Syntax)
        );
        assert_eq!(
            parse_options(&args(&["FREQ"])).err(),
            Some(CmdError::Syntax)
        );
        assert_eq!(
            parse_options(&args(&["FREQ", "256"])).err(),
            Some(CmdError::FreqOutOfRange)
        );
        assert_eq!(
            parse_options(&args(&["IDLETIME", "-1"])).err(),
            Some(CmdError::NegativeIdletime)
        );
        assert_eq!(
            parse_options(&args(&["IDLETIME", "x"])).err(),
            Some(CmdError::NotInteger)
        );
    }
}
