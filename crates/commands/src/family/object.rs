//! `OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP`: introspection of one value.

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::help::reply_help;
use crate::Handler;
use lodestone_storage::{clock, Lookup, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("object|encoding", encoding),
    ("object|freq", freq),
    ("object|idletime", idletime),
    ("object|refcount", refcount),
    ("object|help", help),
];

/// Reference count Redis reports for its shared small integers.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis shares integer objects from 0 up to this value (exclusive).
const SHARED_INTEGERS: i64 = 10_000;

/// What OBJECT subcommands report about a key.
struct Facts {
    encoding: &'static str,
    idle_ms: i64,
    freq: u8,
    shared_int: bool,
}

/// Looks the key up as OBJECT does (no access-time update, no miss event).
fn facts(ctx: &mut Ctx, key: &[u8]) -> Option<Facts> {
    let db = ctx.db;
    let flags = Lookup {
        no_touch: true,
        no_notify: true,
        no_stats: false,
    };
    let ks = ctx.engine.shard_for(key);
    let (now, clock_now, decay) = (ks.now_ms(), ks.lru_clock(), ks.config.lfu_decay_time);
    let entry = ks.lookup(db, key, flags)?;
    Some(Facts {
        encoding: entry.value.encoding_name(),
        idle_ms: clock::idle_ms(entry.lru, clock_now),
        freq: clock::lfu_decayed_counter(entry.lru, now, decay),
        shared_int: matches!(entry.value, Value::Int(n) if (0..SHARED_INTEGERS).contains(&n)),
    })
}

/// `OBJECT ENCODING key`
fn encoding(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    match facts(ctx, args[2]) {
        Some(f) => ctx.out.bulk(f.encoding.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `OBJECT IDLETIME key`: seconds since last access (LRU policies only).
fn idletime(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let lfu = ctx.ks(args[2]).config.lfu;
    match facts(ctx, args[2]) {
        Some(_) if lfu => return Err(CmdError::LfuPolicySelected),
        Some(f) => ctx.out.int(f.idle_ms / 1000),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `OBJECT FREQ key`: the logarithmic access counter (LFU policies only).
fn freq(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let lfu = ctx.ks(args[2]).config.lfu;
    match facts(ctx, args[2]) {
        Some(_) if !lfu => return Err(CmdError::LfuPolicyNotSelected),
        Some(f) => ctx.out.int(f.freq as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `OBJECT REFCOUNT key`: 1, or Redis's shared-object count for the small
/// integers Redis shares.
fn refcount(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let shared = ctx.settings.shared_integers;
    match facts(ctx, args[2]) {
        Some(f) if f.shared_int && shared => ctx.out.int(SHARED_REFCOUNT),
        Some(_) => ctx.out.int(1),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `OBJECT HELP`
fn help(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    reply_help(
        ctx.out,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}
