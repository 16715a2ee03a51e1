//! The `cjson` library (Lua CJSON 2.1.0 as Redis builds it): JSON encoding
//! and decoding, for scripts that store or read JSON documents.
//!
//! Settings (`encode_max_depth`, `encode_number_precision`, ...) belong to
//! one module table and persist across scripts until the interpreter is
//! recreated, as in Redis; they are kept in Rust ([`Config`]) because the
//! library table scripts see is read-only. `cjson.new()` makes another
//! module with its own settings.
//!
//! Encoding walks the value with the Lua C API rather than through mlua
//! values, which would lose the sign of `-0.0` and would not hit the
//! interpreter's stack limit where the C library hits it.

use super::cjson_decode;
use super::native::{error, marked_number, native, one, Args, Outcome, Raise, Ret};
use mlua::{ffi, LightUserData, Lua, MultiValue, Table, Value};
use std::cell::Cell;
use std::ffi::CStr;
use std::os::raw::c_int;
use std::rc::Rc;

/// One module's settings, with Redis's defaults.
#[derive(Clone, Copy)]
pub struct Config {
    /// Encode excessively sparse arrays as objects instead of failing.
    sparse_convert: bool,
    /// An array is excessively sparse when its largest index exceeds the
    /// item count times this (0: never).
    sparse_ratio: i32,
    /// Arrays whose largest index is at most this are never sparse.
    sparse_safe: i32,
    /// Deepest nesting `encode` accepts.
    encode_max_depth: i32,
    /// NaN and infinities: 0 error, 1 write them (`nan`, `inf`), 2 `null`.
    encode_invalid_numbers: usize,
    /// Significant digits of numbers (`%.14g`).
    number_precision: i32,
    /// Reuse the encode buffer (no visible effect; kept for its getter).
    keep_buffer: bool,
    /// Accept `NaN`, `Infinity`, hex and `+` numbers when decoding.
    pub decode_invalid_numbers: bool,
    /// Deepest nesting `decode` accepts.
    pub decode_max_depth: i32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            encode_invalid_numbers: 0,
            number_precision: 14,
            keep_buffer: true,
            decode_invalid_numbers: true,
            decode_max_depth: 1000,
        }
    }
}

/// Stack slots a C function may use (LUAI_MAXCSTACK): the C library's
/// nesting limit when its own depth limits are raised.
pub const MAX_C_STACK: usize = 8000;

/// Builds a `cjson` table with fresh settings.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Rc::new(Cell::new(Config::default()));
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.set(
        "encode",
        native(lua, move |lua, a| encode(lua, &a, c.get()))?,
    )?;
    let c = cfg.clone();
    t.set(
        "decode",
        native(lua, move |lua, a| {
            if a.len() != 1 {
                return Err(Raise::Arg(1, b"expected 1 argument".to_vec()));
            }
            let s = a.check_string(1)?;
            one(cjson_decode::decode(lua, &s.as_bytes(), &c.get())?)
        })?,
    )?;
    let c = cfg.clone();
    t.set(
        "encode_sparse_array",
        native(lua, move |_, a| {
            arg_init(&a, 3)?;
            let mut cfg = c.get();
            let convert = bool_option(&a, 1, &mut cfg.sparse_convert);
            c.set(cfg);
            let convert = convert?;
            let ratio = int_option(&a, 2, &mut cfg.sparse_ratio, 0, i32::MAX);
            c.set(cfg);
            let ratio = ratio?;
            let safe = int_option(&a, 3, &mut cfg.sparse_safe, 0, i32::MAX);
            c.set(cfg);
            Ok(Ret::Values(MultiValue::from_vec(vec![
                convert, ratio, safe?,
            ])))
        })?,
    )?;
    type Field = fn(&mut Config) -> &mut i32;
    let ints: [(&str, Field, i32); 3] = [
        ("encode_max_depth", |c| &mut c.encode_max_depth, 1),
        ("decode_max_depth", |c| &mut c.decode_max_depth, 1),
        ("encode_number_precision", |c| &mut c.number_precision, 1),
    ];
    for (name, field, min) in ints {
        let max = if name == "encode_number_precision" {
            14
        } else {
            i32::MAX
        };
        let c = cfg.clone();
        t.set(
            name,
            native(lua, move |_, a| {
                arg_init(&a, 1)?;
                let mut cfg = c.get();
                let v = int_option(&a, 1, field(&mut cfg), min, max)?;
                c.set(cfg);
                one(v)
            })?,
        )?;
    }
    type Flag = fn(&mut Config) -> &mut bool;
    let flags: [(&str, Flag); 2] = [
        ("encode_keep_buffer", |c| &mut c.keep_buffer),
        ("decode_invalid_numbers", |c| &mut c.decode_invalid_numbers),
    ];
    for (name, field) in flags {
        let c = cfg.clone();
        t.set(
            name,
            native(lua, move |_, a| {
                arg_init(&a, 1)?;
                let mut cfg = c.get();
                let v = bool_option(&a, 1, field(&mut cfg))?;
                c.set(cfg);
                one(v)
            })?,
        )?;
    }
    let c = cfg;
    t.set(
        "encode_invalid_numbers",
        native(lua, move |lua, a| {
            arg_init(&a, 1)?;
            let mut cfg = c.get();
            let v = enum_option(lua, &a, 1, &mut cfg.encode_invalid_numbers, INVALID_OPTIONS)?;
            c.set(cfg);
            one(v)
        })?,
    )?;
    t.set(
        "new",
        native(lua, |lua, _| one(Value::Table(module(lua)?)))?,
    )?;
    t.set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// The words `encode_invalid_numbers` takes besides booleans.
const INVALID_OPTIONS: &[&str] = &["off", "on", "null"];

/// Rejects more than `max` arguments, as every setter does.
fn arg_init(a: &Args, max: usize) -> Result<(), Raise> {
    if a.len() > max {
        return Err(Raise::Arg(
            max as i32 + 1,
            b"found too many arguments".to_vec(),
        ));
    }
    Ok(())
}

/// An integer setting: argument `n` (when given) must be in
/// `min..=max`; returns the setting.
fn int_option(a: &Args, n: usize, setting: &mut i32, min: i32, max: i32) -> Result<Value, Raise> {
    if !a.is_none_or_nil(n) {
        let v = a.check_integer(n)? as i32;
        if v < min || v > max {
            // The C library names argument 1 whatever the position.
            let msg = format!("expected integer between {min} and {max}");
            return Err(Raise::Arg(1, msg.into_bytes()));
        }
        *setting = v;
    }
    Ok(Value::Integer((*setting).into()))
}

/// A boolean setting: a boolean or "on"/"off" (when given); returns it.
fn bool_option(a: &Args, n: usize, setting: &mut bool) -> Result<Value, Raise> {
    let mut v = usize::from(*setting);
    let r = option_value(a, n, &mut v, &["off", "on"]);
    *setting = v == 1;
    r?;
    Ok(Value::Boolean(*setting))
}

/// An enumerated setting with boolean shorthands for its first two words;
/// returns a boolean for those and the word otherwise.
fn enum_option(
    lua: &Lua,
    a: &Args,
    n: usize,
    setting: &mut usize,
    words: &[&str],
) -> Result<Value, Raise> {
    option_value(a, n, setting, words)?;
    Ok(match *setting {
        0 | 1 => Value::Boolean(*setting == 1),
        i => Value::String(lua.create_string(words[i])?),
    })
}

/// Reads argument `n` of an enumerated setting into `setting`.
fn option_value(a: &Args, n: usize, setting: &mut usize, words: &[&str]) -> Result<(), Raise> {
    match a.get(n) {
        None | Some(Value::Nil) => Ok(()),
        Some(Value::Boolean(b)) => {
            *setting = usize::from(b);
            Ok(())
        }
        Some(_) => {
            let s = a.check_string(n)?;
            let s = s.as_bytes();
            let name = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
            match words.iter().position(|w| w.as_bytes() == name) {
                Some(i) => {
                    *setting = i;
                    Ok(())
                }
                None => {
                    let mut msg = b"invalid option '".to_vec();
                    msg.extend_from_slice(name);
                    msg.push(b'\'');
                    Err(Raise::Arg(n as i32, msg))
                }
            }
        }
    }
}

/// `cjson.encode(value)`.
fn encode(lua: &Lua, a: &Args, cfg: Config) -> Outcome {
    if a.len() != 1 {
        return Err(Raise::Arg(1, b"expected 1 argument".to_vec()));
    }
    let value = a.get(1).unwrap_or(Value::Nil);
    let mut result = Ok(Vec::new());
    // SAFETY: the closure runs with `value` alone on the stack (as the C
    // library's argument), only reads values and keeps the stack within
    // what lua_checkstack granted; nothing in it raises a Lua error.
    unsafe {
        lua.exec_raw::<()>(value, |state| {
            let mut enc = Encoder {
                state,
                cfg,
                out: Vec::new(),
            };
            result = enc.data(0).map(|()| enc.out);
            ffi::lua_settop(state, 0);
        })?;
    }
    let out = result.map_err(error)?;
    one(Value::String(lua.create_string(&out)?))
}

/// The JSON text of the value on top of a Lua stack.
struct Encoder {
    state: *mut ffi::lua_State,
    cfg: Config,
    out: Vec<u8>,
}

impl Encoder {
    /// Lua's type name of the value at `idx` (a marked number is a number).
    unsafe fn type_name(&self, idx: c_int) -> String {
        // SAFETY: `idx` is a valid index of the stack being encoded.
        unsafe {
            if self.marked(idx).is_some() {
                return "number".into();
            }
            let name = ffi::lua_typename(self.state, ffi::lua_type(self.state, idx));
            CStr::from_ptr(name).to_string_lossy().into_owned()
        }
    }

    /// The number at `idx` when it is a marked argument (see `native`).
    unsafe fn marked(&self, idx: c_int) -> Option<f64> {
        // SAFETY: as for type_name.
        unsafe {
            if ffi::lua_type(self.state, idx) != ffi::LUA_TLIGHTUSERDATA {
                return None;
            }
            marked_number(ffi::lua_touserdata(self.state, idx))
        }
    }

    /// "Cannot serialise TYPE: reason" about the value at `idx`.
    unsafe fn fail(&self, idx: c_int, reason: &str) -> String {
        // SAFETY: as for type_name.
        let name = unsafe { self.type_name(idx) };
        format!("Cannot serialise {name}: {reason}")
    }

    /// Appends the value on top of the stack, `depth` tables deep.
    unsafe fn data(&mut self, depth: i32) -> Result<(), String> {
        if self.out.len() > super::MAX_OUTPUT {
            return Err(super::OUTPUT_TOO_LARGE.to_string());
        }
        // SAFETY: the top of the stack is the value to encode; tables are
        // walked with stack space reserved by lua_checkstack.
        unsafe {
            let state = self.state;
            match ffi::lua_type(state, -1) {
                ffi::LUA_TSTRING => self.string(-1),
                ffi::LUA_TNUMBER => self.number(-1)?,
                ffi::LUA_TBOOLEAN => {
                    let text: &[u8] = if ffi::lua_toboolean(state, -1) != 0 {
                        b"true"
                    } else {
                        b"false"
                    };
                    self.out.extend_from_slice(text);
                }
                ffi::LUA_TTABLE => {
                    let depth = depth + 1;
                    if depth > self.cfg.encode_max_depth || ffi::lua_checkstack(state, 3) == 0 {
                        return Err(format!("Cannot serialise, excessive nesting ({depth})"));
                    }
                    let len = self.array_length()?;
                    if len > 0 {
                        self.array(depth, len)?;
                    } else {
                        self.object(depth)?;
                    }
                }
                ffi::LUA_TNIL => self.out.extend_from_slice(b"null"),
                ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(state, -1).is_null() => {
                    self.out.extend_from_slice(b"null")
                }
                _ if self.marked(-1).is_some() => self.number(-1)?,
                _ => return Err(self.fail(-1, "type not supported")),
            }
            Ok(())
        }
    }

    /// The array length of the table on top of the stack: its largest
    /// index when every key is a positive whole number and the array is
    /// not excessively sparse, else 0 or less (an object).
    unsafe fn array_length(&mut self) -> Result<i32, String> {
        // SAFETY: the table is on top; lua_next uses the two slots
        // reserved by the caller.
        unsafe {
            let state = self.state;
            let mut max: i32 = 0;
            let mut items: i32 = 0;
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, -2) != 0 {
                let k = ffi::lua_tonumber(state, -2);
                let numeric = ffi::lua_type(state, -2) == ffi::LUA_TNUMBER && k != 0.0;
                if numeric && k.floor() == k && k >= 1.0 {
                    if k > f64::from(max) {
                        max = super::native::c_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                    ffi::lua_settop(state, -2);
                    continue;
                }
                ffi::lua_settop(state, -3);
                return Ok(-1);
            }
            let cfg = &self.cfg;
            if cfg.sparse_ratio > 0
                && max > items.wrapping_mul(cfg.sparse_ratio)
                && max > cfg.sparse_safe
            {
                if !cfg.sparse_convert {
                    return Err(self.fail(-1, "excessively sparse array"));
                }
                return Ok(-1);
            }
            Ok(max)
        }
    }

    /// Appends the table on top as an array of `len` items.
    unsafe fn array(&mut self, depth: i32, len: i32) -> Result<(), String> {
        // SAFETY: each item is pushed into a slot the caller reserved and
        // popped before the next.
        unsafe {
            self.out.push(b'[');
            for i in 1..=len {
                if i > 1 {
                    self.out.push(b',');
                }
                ffi::lua_rawgeti(self.state, -1, i.into());
                self.data(depth)?;
                ffi::lua_settop(self.state, -2);
            }
            self.out.push(b']');
            Ok(())
        }
    }

    /// Appends the table on top as an object, in the table's key order.
    unsafe fn object(&mut self, depth: i32) -> Result<(), String> {
        // SAFETY: lua_next keeps a key and a value in the reserved slots.
        unsafe {
            let state = self.state;
            self.out.push(b'{');
            ffi::lua_pushnil(state);
            let mut first = true;
            while ffi::lua_next(state, -2) != 0 {
                if !first {
                    self.out.push(b',');
                }
                first = false;
                match ffi::lua_type(state, -2) {
                    ffi::LUA_TNUMBER => {
                        self.out.push(b'"');
                        self.number(-2)?;
                        self.out.extend_from_slice(b"\":");
                    }
                    ffi::LUA_TSTRING => {
                        self.string(-2);
                        self.out.push(b':');
                    }
                    _ => return Err(self.fail(-2, "table key must be a number or string")),
                }
                self.data(depth)?;
                ffi::lua_settop(state, -2);
            }
            self.out.push(b'}');
            Ok(())
        }
    }

    /// Appends the number at `idx` as the settings say.
    unsafe fn number(&mut self, idx: c_int) -> Result<(), String> {
        // SAFETY: `idx` holds a number or a marked number.
        let n = unsafe {
            self.marked(idx)
                .unwrap_or_else(|| ffi::lua_tonumber(self.state, idx))
        };
        match self.cfg.encode_invalid_numbers {
            0 if !n.is_finite() => {
                // SAFETY: as above.
                return Err(unsafe { self.fail(idx, "must not be NaN or Inf") });
            }
            1 if n.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            2 if !n.is_finite() => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let prec = self.cfg.number_precision.clamp(1, 14) as usize;
        self.out.extend_from_slice(format_g(n, prec).as_bytes());
        Ok(())
    }

    /// Appends the string at `idx`, quoted and escaped.
    unsafe fn string(&mut self, idx: c_int) {
        let mut len = 0usize;
        // SAFETY: `idx` holds a string, so lua_tolstring does not convert
        // (or allocate) and the bytes live as long as the stack slot.
        let bytes = unsafe {
            let p = ffi::lua_tolstring(self.state, idx, &mut len);
            std::slice::from_raw_parts(p as *const u8, len)
        };
        self.out.reserve(len + 2);
        self.out.push(b'"');
        for &b in bytes {
            match b {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'/' => self.out.extend_from_slice(b"\\/"),
                b'\x08' => self.out.extend_from_slice(b"\\b"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\x0c' => self.out.extend_from_slice(b"\\f"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0..=0x1f | 0x7f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.extend_from_slice(b"\\u00");
                    self.out.push(HEX[usize::from(b >> 4)]);
                    self.out.push(HEX[usize::from(b & 15)]);
                }
                _ => self.out.push(b),
            }
        }
        self.out.push(b'"');
    }
}

/// C's `printf("%.Pg", v)`: `prec` significant digits, trailing zeros
/// dropped, exponent form when the exponent is below -4 or at least
/// `prec`.
pub fn format_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= prec as i64 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = (prec as i64 - 1 - exp) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn formats_like_printf_g() {
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(1e300, 14), "1e+300");
        assert_eq!(format_g(-0.0, 14), "-0");
        assert_eq!(format_g(100.0, 14), "100");
        assert_eq!(format_g(1e14, 14), "1e+14");
        assert_eq!(format_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(format_g(0.0001, 14), "0.0001");
        assert_eq!(format_g(0.00001, 14), "1e-05");
        assert_eq!(format_g(1.23456, 3), "1.23");
        assert_eq!(format_g(99999.0, 1), "1e+05");
    }
}
