//! BITFIELD and BITFIELD_RO (Redis's `bitfieldGeneric`): a list of GET,
//! SET and INCRBY operations on integer fields of a string, with OVERFLOW
//! changing how the operations after it treat out-of-range results.
//!
//! Every operation is parsed before any runs, so a bad argument anywhere
//! changes nothing. With only reads the key is looked up for reading and
//! never created; with a write it is created or grown once, to the
//! highest bit any write reaches, and the operations then run in order,
//! each seeing the ones before it.

use super::field::{self, Overflow};
use super::{bit_offset, c_word_is, writable_bits};
use crate::args::int;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_storage::notify::STRING;

/// What one operation does to its field.
#[derive(Clone, Copy)]
enum Action {
    /// Reads it.
    Get,
    /// Stores a value; replies with the previous one.
    Set(i64),
    /// Adds to it; replies with the new value.
    IncrBy(i64),
}

/// One parsed operation.
struct FieldOp {
    action: Action,
    signed: bool,
    bits: u32,
    /// Bit offset of the field's most significant bit.
    offset: u64,
    /// The OVERFLOW mode in force where the operation appeared.
    overflow: Overflow,
}

impl FieldOp {
    /// True for SET and INCRBY: the key must then exist and be long enough.
    fn writes(&self) -> bool {
        !matches!(self.action, Action::Get)
    }

    /// The last bit of the field, which the string must reach to hold it.
    fn last_bit(&self) -> u64 {
        self.offset + u64::from(self.bits) - 1
    }
}

/// Parses a field type, `i1`..`i64` or `u1`..`u63` (a u64 could not be
/// replied as an integer).
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(CmdError::BitfieldType),
    };
    // Redis reads the width as a C string, up to a NUL byte.
    let digits = arg[1..].split(|&b| b == 0).next().unwrap_or_default();
    let bits = parse_i64(digits).ok_or(CmdError::BitfieldType)?;
    let widest = if signed { 64 } else { 63 };
    if !(1..=widest).contains(&bits) {
        return Err(CmdError::BitfieldType);
    }
    Ok((signed, bits as u32))
}

/// Parses the operations after the key, with Redis's errors and their
/// order: each operation's type, then offset, then value.
fn parse(args: &[&[u8]], max_bulk_len: i64) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 0;
    while j < args.len() {
        let more = args.len() - j - 1;
        let sub = args[j];
        let (action, width) = if c_word_is(sub, "get") && more >= 2 {
            (Action::Get, 3)
        } else if c_word_is(sub, "set") && more >= 3 {
            (Action::Set(0), 4)
        } else if c_word_is(sub, "incrby") && more >= 3 {
            (Action::IncrBy(0), 4)
        } else if c_word_is(sub, "overflow") && more >= 1 {
            let mode = args[j + 1];
            overflow = if c_word_is(mode, "wrap") {
                Overflow::Wrap
            } else if c_word_is(mode, "sat") {
                Overflow::Sat
            } else if c_word_is(mode, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::BitfieldOverflowType);
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(args[j + 1])?;
        let offset = bit_offset(args[j + 2], max_bulk_len, Some(bits))?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(int(args[j + 3])?),
            Action::IncrBy(_) => Action::IncrBy(int(args[j + 3])?),
        };
        ops.push(FieldOp {
            action,
            signed,
            bits,
            offset,
            overflow,
        });
        j += width;
    }
    Ok(ops)
}

/// The value of the field `op` addresses, as the reply shows it.
fn read(p: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        field::get_signed(p, op.offset, op.bits)
    } else {
        field::get_unsigned(p, op.offset, op.bits) as i64
    }
}

/// Runs one operation on `p` (which holds every field written). Returns
/// the reply value and whether the field changed, or `None` when OVERFLOW
/// FAIL refused the write.
fn apply(p: &mut [u8], op: &FieldOp) -> Option<(i64, bool)> {
    let (offset, bits, ow) = (op.offset, op.bits, op.overflow);
    let (old, new, overflowed, reply) = match (op.action, op.signed) {
        (Action::Get, _) => return Some((read(p, op), false)),
        (Action::IncrBy(incr), true) => {
            let old = field::get_signed(p, offset, bits);
            let over = field::signed_overflow(old, incr, bits, ow);
            let new = over.unwrap_or(old.wrapping_add(incr));
            (old as u64, new as u64, over.is_some(), new)
        }
        (Action::Set(value), true) => {
            let old = field::get_signed(p, offset, bits);
            let over = field::signed_overflow(value, 0, bits, ow);
            let new = over.unwrap_or(value);
            (old as u64, new as u64, over.is_some(), old)
        }
        (Action::IncrBy(incr), false) => {
            let old = field::get_unsigned(p, offset, bits);
            let over = field::unsigned_overflow(old, incr, bits, ow);
            let new = over.unwrap_or(old.wrapping_add(incr as u64));
            (old, new, over.is_some(), new as i64)
        }
        (Action::Set(value), false) => {
            let old = field::get_unsigned(p, offset, bits);
            let over = field::unsigned_overflow(value as u64, 0, bits, ow);
            let new = over.unwrap_or(value as u64);
            (old, new, over.is_some(), old as i64)
        }
    };
    if overflowed && ow == Overflow::Fail {
        return None;
    }
    field::set_unsigned(p, offset, bits, new);
    Some((reply, old != new))
}

/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type
/// offset increment | OVERFLOW WRAP|SAT|FAIL ...]`
pub(super) fn bitfield(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    run(ctx, args, false)
}

/// `BITFIELD_RO key [GET type offset ...]`: BITFIELD refusing writes.
pub(super) fn bitfield_ro(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    run(ctx, args, true)
}

/// The common path of BITFIELD and BITFIELD_RO (`read_only`), which
/// refuses writes only after every argument parsed.
fn run(ctx: &mut Ctx, args: &[&[u8]], read_only: bool) -> CmdResult {
    let key = args[1];
    let ops = parse(&args[2..], ctx.settings.proto_max_bulk_len)?;
    let db = ctx.db;
    let last_write = ops
        .iter()
        .filter(|op| op.writes())
        .map(FieldOp::last_bit)
        .max();
    let Some(last_bit) = last_write else {
        let mut scratch = itoa::Buffer::new();
        let bytes = match ctx.engine.shard_for(key).lookup_read(db, key) {
            None => &[][..],
            Some(v) => v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?,
        };
        ctx.out.array(ops.len());
        for op in &ops {
            ctx.out.int(read(bytes, op));
        }
        return Ok(());
    };
    if read_only {
        return Err(CmdError::BitfieldReadOnly);
    }
    let ks = ctx.engine.shard_for(key);
    let (raw, grew) = writable_bits(ks, db, key, last_bit)?;
    ctx.out.array(ops.len());
    let mut changes = 0;
    for op in &ops {
        match apply(raw, op) {
            Some((reply, changed)) => {
                ctx.out.int(reply);
                if op.writes() && (grew || changed) {
                    changes += 1;
                }
            }
            None => ctx.out.null(),
        }
    }
    if changes > 0 {
        ks.signal_modified(db, key);
        ks.notify(STRING, "setbit", db, key);
        ks.dirty += changes;
    }
    Ok(())
}
