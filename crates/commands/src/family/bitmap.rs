//! Bitmap commands (Redis's `bitops.c`): SETBIT, GETBIT, BITCOUNT,
//! BITPOS, BITOP, and BITFIELD / BITFIELD_RO (in [`bitfield`]).
//!
//! A bitmap is a plain string value: bit 0 is the most significant bit of
//! the first byte, and bits past the end read as zero. Writes turn the
//! value into the `raw` encoding and zero-pad it to the highest bit they
//! touch, after every argument has been checked.

mod bitfield;
mod field;
mod ops;

use crate::args::int;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::Handler;
use lodestone_protocol::num::parse_i64;
use lodestone_storage::notify::{GENERIC, STRING};
use lodestone_storage::{Keyspace, Value};
use ops::BitOp;
use std::borrow::Cow;

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("setbit", setbit),
    ("getbit", getbit),
    ("bitcount", bitcount),
    ("bitpos", bitpos),
    ("bitop", bitop),
    ("bitfield", bitfield::bitfield),
    ("bitfield_ro", bitfield::bitfield_ro),
];

/// True when `arg` names `word`, compared as Redis's `strcasecmp` does on
/// its C strings: ignoring ASCII case, and only up to a NUL byte.
fn c_word_is(arg: &[u8], word: &str) -> bool {
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    text.eq_ignore_ascii_case(word.as_bytes())
}

/// Parses a bit offset (Redis's `getBitOffsetFromArgument`). With
/// `field_bits` (BITFIELD), `#N` means the N-th field of that width. The
/// offset must be non-negative and address a byte below
/// `proto-max-bulk-len`.
fn bit_offset(arg: &[u8], max_bulk_len: i64, field_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match (arg.strip_prefix(b"#"), field_bits) {
        (Some(rest), Some(bits)) => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let n = parse_i64(digits).ok_or(CmdError::BitOffset)?;
    // Redis multiplies in C and lets a huge `#N` wrap around.
    let offset = n.wrapping_mul(scale);
    if offset < 0 || offset >> 3 >= max_bulk_len {
        return Err(CmdError::BitOffset);
    }
    Ok(offset as u64)
}

/// A zero-filled buffer of `len` bytes; an allocation failure is an
/// error instead of an abort.
fn zeroed(len: usize) -> Result<Vec<u8>, CmdError> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| CmdError::OutOfMemory)?;
    buf.resize(len, 0);
    Ok(buf)
}

/// The string at `key` opened for bit writes (Redis's
/// `lookupStringForBitCommand`): created or zero-padded so that bit
/// `last_bit` exists, in `raw` form. Also says whether the key was
/// created or grew, which counts as a change even when no bit flips.
fn writable_bits<'k>(
    ks: &'k mut Keyspace,
    db: usize,
    key: &[u8],
    last_bit: u64,
) -> Result<(&'k mut Vec<u8>, bool), CmdError> {
    let need = usize::try_from(last_bit >> 3)
        .ok()
        .and_then(|n| n.checked_add(1))
        .ok_or(CmdError::OutOfMemory)?;
    let exists = match ks.lookup_write(db, key) {
        None => false,
        Some(v) if v.is_string() => true,
        Some(_) => return Err(CmdError::WrongType),
    };
    if !exists {
        ks.add(db, key, Value::Raw(Box::new(zeroed(need)?)));
    }
    let raw = ks
        .lookup_write(db, key)
        .and_then(Value::make_raw)
        .ok_or(CmdError::WrongType)?;
    let mut grew = !exists;
    if raw.len() < need {
        raw.try_reserve_exact(need - raw.len())
            .map_err(|_| CmdError::OutOfMemory)?;
        raw.resize(need, 0);
        grew = true;
    }
    Ok((raw, grew))
}

/// `SETBIT key offset value`: replies with the bit's previous value.
fn setbit(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let offset = bit_offset(args[2], ctx.settings.proto_max_bulk_len, None)?;
    let on = parse_i64(args[3]).ok_or(CmdError::BitValue)?;
    if on & !1 != 0 {
        return Err(CmdError::BitValue);
    }
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let (raw, grew) = writable_bits(ks, db, key, offset)?;
    let byte = &mut raw[(offset >> 3) as usize];
    let mask = 0x80u8 >> (offset & 7);
    let was_set = *byte & mask != 0;
    let changed = grew || was_set != (on == 1);
    if on == 1 {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    if changed {
        ks.signal_modified(db, key);
        ks.notify(STRING, "setbit", db, key);
        ks.dirty += 1;
    }
    ctx.out.int(i64::from(was_set));
    Ok(())
}

/// `GETBIT key offset`
fn getbit(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let offset = bit_offset(args[2], ctx.settings.proto_max_bulk_len, None)?;
    let db = ctx.db;
    let Some(v) = ctx.engine.shard_for(key).lookup_read(db, key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut scratch = itoa::Buffer::new();
    let s = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
    let byte = usize::try_from(offset >> 3)
        .ok()
        .and_then(|at| s.get(at))
        .copied()
        .unwrap_or(0);
    ctx.out.int(i64::from(byte & (0x80 >> (offset & 7)) != 0));
    Ok(())
}

/// Whether a BITCOUNT / BITPOS range counts bytes or bits.
fn range_unit_is_bit(arg: &[u8]) -> Result<bool, CmdError> {
    if c_word_is(arg, "bit") {
        Ok(true)
    } else if c_word_is(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Resolves a BITCOUNT / BITPOS range over a string of `len` bytes, with
/// Redis's rules (negative indexes count from the end, then both ends are
/// clamped into the string), into the first and last bit it covers;
/// `None` when it is empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { total + i } else { i };
    let start = from_end(start).max(0);
    let end = from_end(end).max(0).min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// `BITCOUNT key [start end [BYTE|BIT]]`
fn bitcount(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let Some(v) = ctx.engine.shard_for(key).lookup_read(db, key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut scratch = itoa::Buffer::new();
    let s = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
    let range = match args.len() {
        2 => bit_range(0, -1, s.len(), false),
        4 | 5 => {
            let start = int(args[2])?;
            let end = int(args[3])?;
            // Checked before the unit, so a bad unit goes unnoticed here.
            if start < 0 && end < 0 && start > end {
                ctx.out.int(0);
                return Ok(());
            }
            let in_bits = match args.get(4) {
                Some(unit) => range_unit_is_bit(unit)?,
                None => false,
            };
            bit_range(start, end, s.len(), in_bits)
        }
        _ => return Err(CmdError::Syntax),
    };
    let count = range.map_or(0, |(first, last)| ops::count_range(s, first, last));
    ctx.out.int(count as i64);
    Ok(())
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`: the first bit set to `bit`
/// in the range, or -1. Looking for 0 without an end, the string reads as
/// followed by zeros, so a string of ones gives the bit after it.
fn bitpos(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let bit = int(args[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::BitNotBinary);
    }
    let want = bit == 1;
    let db = ctx.db;
    let Some(v) = ctx.engine.shard_for(key).lookup_read(db, key) else {
        ctx.out.int(if want { -1 } else { 0 });
        return Ok(());
    };
    let mut scratch = itoa::Buffer::new();
    let s = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
    let (range, end_given) = match args.len() {
        3 => (bit_range(0, -1, s.len(), false), false),
        4..=6 => {
            let start = int(args[3])?;
            let in_bits = match args.get(5) {
                Some(unit) => range_unit_is_bit(unit)?,
                None => false,
            };
            let end = match args.get(4) {
                Some(end) => int(end)?,
                None => -1,
            };
            (bit_range(start, end, s.len(), in_bits), args.len() > 4)
        }
        _ => return Err(CmdError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((first, last)) => match ops::find_bit(s, first, last, want) {
            Some(at) => at as i64,
            None if want || end_given => -1,
            None => last as i64 + 1,
        },
    };
    ctx.out.int(pos);
    Ok(())
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`: stores the result (a
/// `raw` string, replacing any value and TTL) and replies with its
/// length; an empty result deletes `destkey`.
fn bitop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let op = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| c_word_is(args[1], name))
    .map(|(_, op)| op)
    .ok_or(CmdError::Syntax)?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::BitopNotOneKey);
    }
    let (dest, keys) = (args[2], &args[3..]);
    let db = ctx.db;
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        let is_string = match ctx.engine.shard_for(key).lookup_read(db, key) {
            None => false,
            Some(v) if v.is_string() => true,
            Some(_) => return Err(CmdError::WrongType),
        };
        found.push(is_string);
    }
    let result = {
        let engine = &*ctx.engine;
        let sources: Vec<Cow<[u8]>> = keys
            .iter()
            .zip(&found)
            .map(|(key, &found)| {
                let shard = &engine.shards()[engine.shard_of(key)];
                let value = found
                    .then(|| shard.db(db).entry(key))
                    .flatten()
                    .map(|e| &e.value);
                match value {
                    Some(Value::Int(n)) => {
                        Cow::Owned(itoa::Buffer::new().format(*n).as_bytes().to_vec())
                    }
                    Some(Value::Emb(b)) => Cow::Borrowed(b.as_slice()),
                    Some(Value::Raw(b)) => Cow::Borrowed(b.as_slice()),
                    _ => Cow::Borrowed(&[][..]),
                }
            })
            .collect();
        let refs: Vec<&[u8]> = sources.iter().map(|s| s.as_ref()).collect();
        ops::bitop(op, &refs)
    };
    let len = result.len();
    let ks = ctx.engine.shard_for(dest);
    if len > 0 {
        ks.set(db, dest, Value::Raw(Box::new(result)), false);
        ks.notify(STRING, "set", db, dest);
        ks.dirty += 1;
    } else {
        let lazy = ks.config.lazyfree_lazy_server_del;
        if ks.delete(db, dest, lazy) {
            ks.signal_modified(db, dest);
            ks.notify(GENERIC, "del", db, dest);
            ks.dirty += 1;
        }
    }
    ctx.out.int(len as i64);
    Ok(())
}
