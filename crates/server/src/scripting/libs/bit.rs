//! The `bit` library (LuaBitOp 1.0.2 as Redis embeds it): bitwise
//! operations on 32-bit integers, for scripts written for Lua 5.1, which
//! has no bitwise operators.
//!
//! Every argument is normalised to 32 bits the way LuaBitOp does it:
//! adding 2^52 + 2^51 to the double and keeping the low 32 bits of its
//! representation, which rounds to the nearest integer (ties to even) and
//! wraps modulo 2^32. Results are signed 32-bit numbers.

use super::native::{native, one, Args, Outcome, Raise};
use mlua::{Lua, Table, Value};

/// Builds the `bit` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("tobit", native(lua, |_, a| ret(arg(&a, 1)?))?)?;
    t.set("bnot", native(lua, |_, a| ret(!arg(&a, 1)?))?)?;
    t.set("band", native(lua, |_, a| fold(&a, |x, y| x & y))?)?;
    t.set("bor", native(lua, |_, a| fold(&a, |x, y| x | y))?)?;
    t.set("bxor", native(lua, |_, a| fold(&a, |x, y| x ^ y))?)?;
    t.set("lshift", native(lua, |_, a| shift(&a, |b, n| b << n))?)?;
    t.set("rshift", native(lua, |_, a| shift(&a, |b, n| b >> n))?)?;
    t.set(
        "arshift",
        native(lua, |_, a| shift(&a, |b, n| ((b as i32) >> n) as u32))?,
    )?;
    t.set("rol", native(lua, |_, a| shift(&a, u32::rotate_left))?)?;
    t.set("ror", native(lua, |_, a| shift(&a, u32::rotate_right))?)?;
    t.set("bswap", native(lua, |_, a| ret(arg(&a, 1)?.swap_bytes()))?)?;
    t.set("tohex", native(lua, tohex)?)?;
    Ok(t)
}

/// Argument `n` as 32 bits; raises "number expected" for what is not a
/// number (LuaBitOp only notices when the bits come out zero, which they
/// always do for a non-number).
fn arg(a: &Args, n: usize) -> Result<u32, Raise> {
    match a.number(n)? {
        Some(x) => Ok(normalise(x)),
        None => Err(a.type_error(n, "number")),
    }
}

/// The low 32 bits of `x + 2^52 + 2^51`.
fn normalise(x: f64) -> u32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32
}

/// Returns `b` as a signed 32-bit number.
fn ret(b: u32) -> Outcome {
    one(Value::Integer((b as i32).into()))
}

/// `band`/`bor`/`bxor`: combines every argument, the last one first.
fn fold(a: &Args, op: fn(u32, u32) -> u32) -> Outcome {
    let mut b = arg(a, 1)?;
    for i in (2..=a.len()).rev() {
        b = op(b, arg(a, i)?);
    }
    ret(b)
}

/// Shifts and rotations: the count is taken modulo 32.
fn shift(a: &Args, op: fn(u32, u32) -> u32) -> Outcome {
    let b = arg(a, 1)?;
    let n = arg(a, 2)? & 31;
    ret(op(b, n))
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits of `x` (default 8,
/// at most 8), upper case when `n` is negative.
fn tohex(lua: &Lua, a: Args) -> Outcome {
    let mut b = arg(&a, 1)?;
    let mut n = if a.get(2).is_none() {
        8
    } else {
        arg(&a, 2)? as i32
    };
    let digits: &[u8; 16] = if n < 0 {
        n = n.checked_neg().unwrap_or(i32::MAX);
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let n = n.min(8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    one(Value::String(lua.create_string(&buf[..n])?))
}
