//! `math.random` and `math.randomseed` for scripts: the 48-bit linear
//! congruential generator of POSIX `lrand48`, which Redis ships as its own
//! so that every platform gives the same sequence for the same seed.

use std::cell::Cell;

/// Multiplier and increment of the generator.
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// The largest value a draw is reduced modulo (`INT32_MAX`, as Redis).
const LRAND48_MAX: i64 = i32::MAX as i64;

thread_local! {
    /// Generator state; the initial value is POSIX's unseeded one.
    static STATE: Cell<u64> = const { Cell::new(0x1234_ABCD_330E) };
}

/// The next 31-bit draw.
fn next() -> i64 {
    STATE.with(|s| {
        let x = (s.get().wrapping_mul(A).wrapping_add(C)) & MASK;
        s.set(x);
        (x >> 17) as i64
    })
}

/// Seeds the generator as `srand48(seed)`.
fn seed(value: i32) {
    STATE.with(|s| s.set(((value as u32 as u64) << 16) | 0x330E));
}

/// Lua's `luaL_checkint`: a number (or numeric string) truncated to int.
fn check_int(lua: &mlua::Lua, v: &mlua::Value, arg: usize) -> mlua::Result<i32> {
    match lua.coerce_number(v.clone())? {
        Some(n) => Ok(n as i32),
        None => Err(mlua::Error::runtime(format!(
            "bad argument #{arg} to '?' (number expected, got {})",
            v.type_name()
        ))),
    }
}

/// `math.random([m [, n]])` with Lua 5.1's argument rules.
pub fn random(lua: &mlua::Lua, args: mlua::Variadic<mlua::Value>) -> mlua::Result<f64> {
    let r = (next() % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = check_int(lua, &args[0], 1)?;
            if u < 1 {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        2 => {
            let l = check_int(lua, &args[0], 1)?;
            let u = check_int(lua, &args[1], 2)?;
            if l > u {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            Ok((r * (u as f64 - l as f64 + 1.0)).floor() + l as f64)
        }
        _ => Err(mlua::Error::runtime("wrong number of arguments")),
    }
}

/// `math.randomseed(n)`.
pub fn randomseed(lua: &mlua::Lua, v: mlua::Value) -> mlua::Result<()> {
    seed(check_int(lua, &v, 1)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_c_library_lrand48() {
        for s in [0, 1, -7, 123_456_789] {
            seed(s);
            // SAFETY: srand48/lrand48 only touch libc's own generator state.
            unsafe { libc::srand48(s as libc::c_long) };
            for _ in 0..100 {
                assert_eq!(next(), unsafe { libc::lrand48() } as i64);
            }
        }
    }
}
