//! The `cmsgpack` library (lua-cmsgpack 0.4.0 as Redis embeds it):
//! MessagePack encoding of Lua values, for scripts that store compact
//! binary documents.
//!
//! `pack(...)` encodes each argument and concatenates them; numbers that
//! are whole (and fit 64 bits) use the smallest integer format, others a
//! float when a float keeps them exactly, else a double. A table whose
//! keys are exactly 1..n is an array, any other a map; tables nested
//! [`MAX_NESTING`] deep, functions and userdata encode as nil.
//! Packing walks the values with the Lua C API (mlua values would turn
//! tiny numbers into integers) and keeps the stack as the C library does,
//! so its stack limits fall in the same places.
//! `unpack(s)` decodes every value in `s`; `unpack_one(s [, offset])` and
//! `unpack_limit(s, limit [, offset])` decode some and return the offset
//! to continue from first (-1 at the end). The bin and ext formats are not
//! understood ("Bad data format in input."), as in Redis.

use super::native::{
    c_to_i32, c_to_i64, error, marked_number, native, one, Args, Outcome, Raise, Ret,
};
use mlua::{ffi, Lua, Table, Value};
use std::os::raw::c_int;

/// Tables nested this deep encode as nil (survives cyclic tables).
const MAX_NESTING: u32 = 16;
/// Stack slots a C function may use (LUAI_MAXCSTACK): the C library's
/// decoder keeps every value it builds on the stack and stops there, so
/// decoding is bounded the same way.
const MAX_C_STACK: usize = 8000;
/// The C library's message when a value does not fit on the stack.
const TOO_MANY: &str =
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";

/// Builds the `cmsgpack` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", native(lua, pack)?)?;
    t.set(
        "unpack",
        native(lua, |lua, a| {
            let used = a.len();
            unpack_full(lua, &a, 0, 0, used)
        })?,
    )?;
    t.set(
        "unpack_one",
        native(lua, |lua, a| {
            let offset = a.opt_integer(2, 0)?;
            unpack_full(lua, &a, 1, offset, 1)
        })?,
    )?;
    t.set(
        "unpack_limit",
        native(lua, |lua, a| {
            let limit = a.check_integer(2)?;
            let offset = a.opt_integer(3, 0)?;
            unpack_full(lua, &a, limit, offset, 1)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

/// `cmsgpack.pack(...)`.
fn pack(lua: &Lua, a: Args) -> Outcome {
    if a.len() == 0 {
        return Err(Raise::Arg(0, b"MessagePack pack needs input.".to_vec()));
    }
    if a.len() * 2 > MAX_C_STACK {
        return Err(Raise::Arg(
            0,
            b"Too many arguments for MessagePack pack.".to_vec(),
        ));
    }
    let nargs = a.len() as c_int;
    let mut result = Ok(Vec::new());
    // SAFETY: the closure lays the arguments out alone on the stack (as
    // the C function has them), only reads values, and pushes only within
    // what lua_checkstack granted; nothing in it raises a Lua error.
    unsafe {
        lua.exec_raw::<()>(a.table(), |state| {
            if ffi::lua_checkstack(state, nargs) == 0 {
                result = Err("stack overflow (in function mp_pack)".to_string());
                return;
            }
            for i in 1..=nargs {
                ffi::lua_rawgeti(state, 1, i.into());
            }
            ffi::lua_remove(state, 1);
            let mut out = Vec::new();
            result = encode_args(state, &mut out).map(|()| out);
            ffi::lua_settop(state, 0);
        })?;
    }
    one(Value::String(lua.create_string(result.map_err(error)?)?))
}

/// Encodes every value on the stack in turn. After each one a slot is
/// taken, as the C function keeps each encoding on the stack until it
/// concatenates them, so that stack limits fall where they fall in C.
unsafe fn encode_args(state: *mut ffi::lua_State, out: &mut Vec<u8>) -> Result<(), String> {
    // SAFETY: the stack holds the arguments; every push is reserved.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        for i in 1..=nargs {
            check_stack(state, 1, "mp_check")?;
            ffi::lua_pushvalue(state, i);
            encode(state, 0, out)?;
            ffi::lua_pushboolean(state, 0);
        }
        Ok(())
    }
}

/// `luaL_checkstack(L, n, "in function WHERE")`.
unsafe fn check_stack(state: *mut ffi::lua_State, n: c_int, what: &str) -> Result<(), String> {
    // SAFETY: lua_checkstack only grows the stack.
    if unsafe { ffi::lua_checkstack(state, n) } == 0 {
        return Err(format!("stack overflow (in function {what})"));
    }
    Ok(())
}

/// Appends the encoding of the value on top of the stack, `level` tables
/// deep, and pops it.
unsafe fn encode(state: *mut ffi::lua_State, level: u32, out: &mut Vec<u8>) -> Result<(), String> {
    if out.len() > super::MAX_OUTPUT {
        return Err(super::OUTPUT_TOO_LARGE.to_string());
    }
    // SAFETY: the value is on top; tables are walked within reserved slots.
    unsafe {
        match ffi::lua_type(state, -1) {
            ffi::LUA_TSTRING => {
                let mut len = 0usize;
                let p = ffi::lua_tolstring(state, -1, &mut len);
                encode_bytes(std::slice::from_raw_parts(p as *const u8, len), out);
            }
            ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(state, -1) != 0 {
                0xc3
            } else {
                0xc2
            }),
            ffi::LUA_TNUMBER => encode_number(ffi::lua_tonumber(state, -1), out),
            ffi::LUA_TTABLE if level < MAX_NESTING => encode_table(state, level, out)?,
            ffi::LUA_TLIGHTUSERDATA => match marked_number(ffi::lua_touserdata(state, -1)) {
                Some(n) => encode_number(n, out),
                None => out.push(0xc0),
            },
            _ => out.push(0xc0),
        }
        ffi::lua_settop(state, -2);
        Ok(())
    }
}

/// A string: fixstr, str8, str16 or str32 by length.
fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// A number: an integer format when it is whole and fits 64 bits, else a
/// float or double.
fn encode_number(n: f64, out: &mut Vec<u8>) {
    let i = c_to_i64(n);
    if n.is_finite() && i as f64 == n {
        encode_int(i, out);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The smallest integer format holding `n`.
fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A header for `n` items: fix form up to 15, then 16 and 32 bits.
fn encode_header(n: usize, fix: u8, wide: u8, out: &mut Vec<u8>) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// The table on top of the stack: an array when its keys are exactly
/// 1..n (the empty table included), else a map in the table's key order.
unsafe fn encode_table(
    state: *mut ffi::lua_State,
    level: u32,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    // SAFETY: the table is on top; each loop pushes at most the slots
    // reserved before it.
    unsafe {
        if is_array(state)? {
            let len = ffi::lua_objlen(state, -1);
            encode_header(len, 0x90, 0xdc, out);
            check_stack(state, 1, "mp_encode_lua_table_as_array")?;
            for i in 1..=len {
                ffi::lua_rawgeti(state, -1, i as ffi::lua_Integer);
                encode(state, level + 1, out)?;
            }
        } else {
            check_stack(state, 3, "mp_encode_lua_table_as_map")?;
            let mut len = 0;
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, -2) != 0 {
                ffi::lua_settop(state, -2);
                len += 1;
            }
            encode_header(len, 0x80, 0xde, out);
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, -2) != 0 {
                ffi::lua_pushvalue(state, -2);
                encode(state, level + 1, out)?;
                encode(state, level + 1, out)?;
            }
        }
        Ok(())
    }
}

/// True when every key of the table on top is a positive whole number
/// that fits a C `int` and the largest equals the count (no holes).
unsafe fn is_array(state: *mut ffi::lua_State) -> Result<bool, String> {
    // SAFETY: the table is on top; lua_next uses the reserved slots.
    unsafe {
        let top = ffi::lua_gettop(state);
        check_stack(state, 2, "table_is_an_array")?;
        let mut max: i32 = 0;
        let mut count: i32 = 0;
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, -2) != 0 {
            ffi::lua_settop(state, -2);
            let n = ffi::lua_tonumber(state, -1);
            if ffi::lua_type(state, -1) != ffi::LUA_TNUMBER
                || n <= 0.0
                || f64::from(c_to_i32(n)) != n
            {
                ffi::lua_settop(state, top);
                return Ok(false);
            }
            max = max.max(n as i32);
            count = count.wrapping_add(1);
        }
        ffi::lua_settop(state, top);
        Ok(max == count)
    }
}

/// Why decoding stopped short.
enum Stop {
    /// The input ended inside a value.
    Eof,
    /// A byte that starts no value this decoder knows.
    BadFormat,
    /// An error to raise as it is.
    Raise(Raise),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Stop {
        Stop::Raise(Raise::Lua(e))
    }
}

/// A cursor over the input that also counts the stack slots the C
/// decoder would hold, to fail where it fails.
struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    used: usize,
    /// The containers being filled and the key whose value is being read,
    /// by nesting depth (see `cjson_decode`: mlua holds only some
    /// thousands of Rust handles).
    open: Table,
    depth: i64,
}

impl Decoder<'_> {
    /// The next `n` bytes, consumed; `Eof` when fewer remain.
    fn take(&mut self, n: usize) -> Result<&[u8], Stop> {
        let rest = &self.data[self.pos..];
        if rest.len() < n {
            return Err(Stop::Eof);
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    /// A big-endian unsigned number of `N` bytes.
    fn uint<const N: usize>(&mut self) -> Result<u64, Stop> {
        Ok(self
            .take(N)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Reserves a stack slot as `luaL_checkstack` would, raising `what`.
    fn reserve(&self, what: &str) -> Result<(), Stop> {
        if self.used + 1 > MAX_C_STACK {
            return Err(Stop::Raise(error(what)));
        }
        Ok(())
    }

    /// Decodes one value.
    fn value(&mut self) -> Result<Value, Stop> {
        let Some(&tag) = self.data.get(self.pos) else {
            return Err(Stop::Eof);
        };
        self.reserve(TOO_MANY)?;
        match tag {
            0xc0 | 0xc2 | 0xc3 => {
                self.pos += 1;
                Ok(match tag {
                    0xc0 => Value::Nil,
                    t => Value::Boolean(t == 0xc3),
                })
            }
            0xca..=0xd3 => {
                self.pos += 1;
                let n = match tag {
                    0xcc => self.uint::<1>()? as f64,
                    0xcd => self.uint::<2>()? as f64,
                    0xce => self.uint::<4>()? as f64,
                    // A uint64 goes through a signed lua_Integer in Redis.
                    0xcf | 0xd3 => self.uint::<8>()? as i64 as f64,
                    0xd0 => f64::from(self.uint::<1>()? as u8 as i8),
                    0xd1 => f64::from(self.uint::<2>()? as u16 as i16),
                    0xd2 => f64::from(self.uint::<4>()? as u32 as i32),
                    0xca => f64::from(f32::from_bits(self.uint::<4>()? as u32)),
                    _ => f64::from_bits(self.uint::<8>()?),
                };
                Ok(Value::Number(n))
            }
            0xd9..=0xdb => {
                self.pos += 1;
                let len = match tag {
                    0xd9 => self.uint::<1>()?,
                    0xda => self.uint::<2>()?,
                    _ => self.uint::<4>()?,
                } as usize;
                let s = self.lua.create_string(self.take(len)?)?;
                Ok(Value::String(s))
            }
            0xdc..=0xdf => {
                self.pos += 1;
                let len = if tag & 1 == 0 {
                    self.uint::<2>()?
                } else {
                    self.uint::<4>()?
                } as usize;
                if tag < 0xde {
                    self.array(len)
                } else {
                    self.map(len)
                }
            }
            t if t & 0x80 == 0 => {
                self.pos += 1;
                Ok(Value::Number(f64::from(t)))
            }
            t if t & 0xe0 == 0xe0 => {
                self.pos += 1;
                Ok(Value::Number(f64::from(t as i8)))
            }
            t if t & 0xe0 == 0xa0 => {
                self.pos += 1;
                let s = self.lua.create_string(self.take(usize::from(t & 0x1f))?)?;
                Ok(Value::String(s))
            }
            t if t & 0xf0 == 0x90 => {
                self.pos += 1;
                self.array(usize::from(t & 0xf))
            }
            t if t & 0xf0 == 0x80 => {
                self.pos += 1;
                self.map(usize::from(t & 0xf))
            }
            _ => Err(Stop::BadFormat),
        }
    }

    /// An array of `len` values (the table, then each index and value,
    /// take stack slots while it is built).
    fn array(&mut self, len: usize) -> Result<Value, Stop> {
        let slot = self.enter()?;
        self.used += 1;
        self.reserve("stack overflow (in function mp_decode_to_lua_array)")?;
        for i in 1..=len {
            self.used += 1;
            let v = self.value()?;
            self.used -= 1;
            self.open.raw_get::<Table>(slot)?.raw_set(i, v)?;
        }
        self.used -= 1;
        self.leave(slot)
    }

    /// Opens a new container; returns its slot in `open`.
    fn enter(&mut self) -> Result<i64, Stop> {
        self.depth += 1;
        let slot = 2 * self.depth;
        self.open.raw_set(slot, self.lua.create_table()?)?;
        Ok(slot)
    }

    /// Closes the container at `slot`, returning it.
    fn leave(&mut self, slot: i64) -> Result<Value, Stop> {
        let t = self.open.raw_get(slot)?;
        self.open.raw_set(slot, Value::Nil)?;
        self.open.raw_set(slot + 1, Value::Nil)?;
        self.depth -= 1;
        Ok(t)
    }

    /// A map of `len` key/value pairs.
    fn map(&mut self, len: usize) -> Result<Value, Stop> {
        let slot = self.enter()?;
        self.used += 1;
        for _ in 0..len {
            let k = self.value()?;
            self.open.raw_set(slot + 1, k)?;
            self.used += 1;
            let v = self.value()?;
            self.used -= 1;
            let k: Value = self.open.raw_get(slot + 1)?;
            let t: Table = self.open.raw_get(slot)?;
            match k {
                Value::Nil => return Err(Stop::Raise(Raise::Raw(b"table index is nil".to_vec()))),
                Value::Number(n) if n.is_nan() => {
                    return Err(Stop::Raise(Raise::Raw(b"table index is NaN".to_vec())))
                }
                k => t.raw_set(k, v)?,
            }
        }
        self.used -= 1;
        self.leave(slot)
    }
}

/// Decodes up to `limit` values of argument 1 from `offset` (both 0:
/// every value, and no offset is returned). `used` is the stack slots the
/// C function holds when it starts decoding.
fn unpack_full(lua: &Lua, a: &Args, limit: i64, offset: i64, used: usize) -> Outcome {
    let decode_all = limit == 0 && offset == 0;
    let s = a.check_string(1)?;
    let data = s.as_bytes();
    let len = data.len();
    if offset < 0 || limit < 0 {
        return Err(error(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    }
    if offset as u64 > len as u64 {
        return Err(error(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        )));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut d = Decoder {
        lua,
        data: &data[..],
        pos: offset as usize,
        used,
        open: lua.create_table()?,
        depth: 0,
    };
    let results = lua.create_table()?;
    // The offset comes first when it is returned.
    let first = if decode_all { 1 } else { 2 };
    let mut count: i64 = 0;
    while d.pos < len && count < limit {
        match d.value() {
            Ok(v) => results.raw_set(first + count, v)?,
            Err(Stop::Eof) => return Err(error("Missing bytes in input.")),
            Err(Stop::BadFormat) => return Err(error("Bad data format in input.")),
            Err(Stop::Raise(r)) => return Err(r),
        }
        d.used += 1;
        count += 1;
    }
    if !decode_all {
        let next = if d.pos == len { -1 } else { d.pos as i64 };
        results.raw_set(1, next)?;
    }
    Ok(Ret::Spread(results, (count + first - 1) as usize))
}
