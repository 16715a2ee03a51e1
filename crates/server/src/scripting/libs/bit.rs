//! The `bit` library (LuaBitOp 1.0.2 as Redis embeds it): bitwise
//! operations on 32-bit integers, for scripts written for Lua 5.1, which
//! has no bitwise operators.
//!
//! Every argument is normalised to 32 bits the way LuaBitOp does it:
//! adding 2^52 + 2^51 to the double and keeping the low 32 bits of its
//! representation, which rounds to the nearest integer (ties to even) and
//! wraps modulo 2^32. Results are signed 32-bit numbers.
//!
//! Scripts call these in tight loops, and they only read and push
//! numbers, so they are plain C functions on the Lua API rather than
//! [`super::native`] closures: nothing in their frames needs dropping
//! when Lua raises an argument error through them.

use mlua::{ffi, Lua, Table};
use std::os::raw::c_int;

/// A C function of this library.
type CFn = unsafe extern "C-unwind" fn(*mut ffi::lua_State) -> c_int;

/// Builds the `bit` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let functions: [(&str, CFn); 12] = [
        ("tobit", tobit),
        ("bnot", bnot),
        ("band", band),
        ("bor", bor),
        ("bxor", bxor),
        ("lshift", lshift),
        ("rshift", rshift),
        ("arshift", arshift),
        ("rol", rol),
        ("ror", ror),
        ("bswap", bswap),
        ("tohex", tohex),
    ];
    let t = lua.create_table()?;
    for (name, f) in functions {
        // SAFETY: each function follows the Lua C API contract.
        t.set(name, unsafe { lua.create_c_function(f)? })?;
    }
    Ok(t)
}

/// The low 32 bits of `x + 2^52 + 2^51`.
fn normalise(x: f64) -> u32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32
}

/// Argument `idx` as 32 bits; raises "number expected" for a non-number
/// (whose bits always come out zero, the only case LuaBitOp checks).
unsafe fn arg(state: *mut ffi::lua_State, idx: c_int) -> u32 {
    // SAFETY: `state` is the running state of the calling C function.
    unsafe {
        let b = normalise(ffi::lua_tonumber(state, idx));
        if b == 0 && ffi::lua_isnumber(state, idx) == 0 {
            ffi::luaL_typerror(state, idx, c"number".as_ptr());
        }
        b
    }
}

/// Returns `b` as a signed 32-bit number.
unsafe fn ret(state: *mut ffi::lua_State, b: u32) -> c_int {
    // SAFETY: a C function has room for one result.
    unsafe { ffi::lua_pushnumber(state, f64::from(b as i32)) };
    1
}

/// `band`/`bor`/`bxor`: combines every argument, the last one first.
unsafe fn fold(state: *mut ffi::lua_State, op: fn(u32, u32) -> u32) -> c_int {
    // SAFETY: reads arguments of the running C function.
    unsafe {
        let mut b = arg(state, 1);
        let mut i = ffi::lua_gettop(state);
        while i > 1 {
            b = op(b, arg(state, i));
            i -= 1;
        }
        ret(state, b)
    }
}

/// Shifts and rotations: the count is taken modulo 32.
unsafe fn shift(state: *mut ffi::lua_State, op: fn(u32, u32) -> u32) -> c_int {
    // SAFETY: reads arguments of the running C function.
    unsafe {
        let b = arg(state, 1);
        let n = arg(state, 2) & 31;
        ret(state, op(b, n))
    }
}

/// Defines a C function of this library from an expression over its state.
macro_rules! bit_fn {
    ($($(#[$doc:meta])* $name:ident = |$s:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        unsafe extern "C-unwind" fn $name($s: *mut ffi::lua_State) -> c_int {
            // SAFETY: called by Lua as a C function with a valid state.
            unsafe { $body }
        }
    )*};
}

bit_fn! {
    /// `bit.tobit(x)`: `x` normalised to a signed 32-bit number.
    tobit = |s| ret(s, arg(s, 1));
    /// `bit.bnot(x)`.
    bnot = |s| ret(s, !arg(s, 1));
    /// `bit.band(x, ...)`.
    band = |s| fold(s, |x, y| x & y);
    /// `bit.bor(x, ...)`.
    bor = |s| fold(s, |x, y| x | y);
    /// `bit.bxor(x, ...)`.
    bxor = |s| fold(s, |x, y| x ^ y);
    /// `bit.lshift(x, n)`.
    lshift = |s| shift(s, |b, n| b << n);
    /// `bit.rshift(x, n)`: logical.
    rshift = |s| shift(s, |b, n| b >> n);
    /// `bit.arshift(x, n)`: arithmetic (the sign bit is copied).
    arshift = |s| shift(s, |b, n| ((b as i32) >> n) as u32);
    /// `bit.rol(x, n)`.
    rol = |s| shift(s, u32::rotate_left);
    /// `bit.ror(x, n)`.
    ror = |s| shift(s, u32::rotate_right);
    /// `bit.bswap(x)`: byte order reversed.
    bswap = |s| ret(s, arg(s, 1).swap_bytes());
    /// `bit.tohex(x [, n])`: the low `|n|` hex digits of `x` (default 8,
    /// at most 8), upper case when `n` is negative.
    tohex = |s| {
        let mut b = arg(s, 1);
        let mut n = if ffi::lua_isnone(s, 2) != 0 { 8 } else { arg(s, 2) as i32 };
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
        ffi::lua_pushlstring(s, buf.as_ptr().cast(), n);
        1
    };
}
