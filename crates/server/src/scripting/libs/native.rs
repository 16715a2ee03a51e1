//! How the libraries' Rust functions are presented to Lua: as C closures
//! that raise errors the way C libraries do, and argument access with the
//! coercions and error texts of Lua 5.1's `lauxlib`.
//!
//! A Rust callback made by mlua raises its errors as userdata, and Lua
//! cannot name it in "bad argument" messages. So each library function is
//! a small C closure ([`trampoline`]) around the Rust callback: the callback
//! returns its results, or the error to raise as a status at the end, and
//! the closure raises it itself (a string, or through `luaL_argerror`, which
//! names the function as the calling code spells it).
//!
//! mlua turns a Lua number within `f64::EPSILON` of a whole number into
//! an integer value, so `-0.0` and tiny numbers such as `1e-300` arrive as
//! 0. The closure therefore passes such arguments as a light userdata
//! whose address is the number's bits ([`marked_number`]), which [`Args`]
//! reads back exactly. Scripts cannot make light userdata other than
//! `cjson.null` (address 0, which no marked number has).

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Value};
use std::ffi::c_void;
use std::os::raw::c_int;

/// Status the callback appends: results follow.
const STATUS_OK: i64 = 0;
/// Status: raise the message before it, prefixed with the caller's
/// position as `luaL_error` does.
const STATUS_ERROR: i64 = 1;
/// Status: raise the message before it as it is (errors the Lua core
/// raises inside a C function, such as "table index is nil").
const STATUS_RAW_ERROR: i64 = 3;
/// Status: raise `luaL_argerror(narg, message)` (message, narg, status).
const STATUS_ARG_ERROR: i64 = 2;

/// Status: the results are the `n` items of the table before `n`.
const STATUS_SPREAD: i64 = 4;

/// True when mlua would not keep `n` exactly (see the module docs).
fn needs_marking(n: f64) -> bool {
    n.abs() < f64::EPSILON && (n != 0.0 || n.is_sign_negative())
}

/// The number a light userdata at `p` stands for, `None` for `NULL`
/// (`cjson.null`).
pub fn marked_number(p: *mut c_void) -> Option<f64> {
    (!p.is_null()).then(|| f64::from_bits(p as usize as u64))
}

/// An error a library function raises.
#[derive(Debug)]
pub enum Raise {
    /// An error with this message, after the calling script's position
    /// (`luaL_error`).
    Msg(Vec<u8>),
    /// An error with exactly this message (raised by the Lua core).
    Raw(Vec<u8>),
    /// A "bad argument #N to 'name' (message)" error.
    Arg(i32, Vec<u8>),
    /// An error from mlua itself (out of memory and the like).
    Lua(mlua::Error),
}

impl From<mlua::Error> for Raise {
    fn from(e: mlua::Error) -> Raise {
        Raise::Lua(e)
    }
}

/// A `luaL_error` error with `msg`.
pub fn error(msg: impl Into<Vec<u8>>) -> Raise {
    Raise::Msg(msg.into())
}

/// What a library function returns.
pub type Outcome = Result<Ret, Raise>;

/// A library function's results.
pub enum Ret {
    /// A few values.
    Values(MultiValue),
    /// The first `n` items of a table: for functions that can return
    /// thousands of values, more than mlua passes back from a callback.
    Spread(mlua::Table, usize),
}

/// One result.
pub fn one(v: Value) -> Outcome {
    Ok(Ret::Values(MultiValue::from_vec(vec![v])))
}

/// Makes `f` a Lua function that raises its errors as a C function does.
pub fn native<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Outcome + 'static,
{
    let inner = lua.create_function(move |lua, (table, len): (mlua::Table, usize)| {
        let args = Args {
            lua,
            table,
            len,
            above: Vec::new(),
        };
        let out = match f(lua, args) {
            Ok(Ret::Values(mut values)) => {
                values.push_back(Value::Integer(STATUS_OK));
                values
            }
            Ok(Ret::Spread(t, n)) => MultiValue::from_vec(vec![
                Value::Table(t),
                Value::Integer(n as i64),
                Value::Integer(STATUS_SPREAD),
            ]),
            Err(Raise::Msg(msg)) => MultiValue::from_vec(vec![
                Value::String(lua.create_string(msg)?),
                Value::Integer(STATUS_ERROR),
            ]),
            Err(Raise::Raw(msg)) => MultiValue::from_vec(vec![
                Value::String(lua.create_string(msg)?),
                Value::Integer(STATUS_RAW_ERROR),
            ]),
            Err(Raise::Arg(narg, msg)) => MultiValue::from_vec(vec![
                Value::String(lua.create_string(msg)?),
                Value::Integer(narg.into()),
                Value::Integer(STATUS_ARG_ERROR),
            ]),
            Err(Raise::Lua(e)) => return Err(e),
        };
        Ok(out)
    })?;
    // SAFETY: the closure runs with `inner` alone on the stack and replaces
    // it with a C closure holding it as its upvalue.
    unsafe {
        lua.exec_raw(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

/// The C side of [`native`]: marks `-0.0` arguments, calls the Rust
/// callback (upvalue 1) and returns its results or raises its error.
///
/// # Safety
/// Called by Lua only, as a closure made by [`native`].
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running state; the calls keep the stack as the
    // Lua 5.1 C API documents, and this frame owns nothing a longjmp from
    // lua_call or lua_error could leak.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        for i in 1..=nargs {
            if ffi::lua_type(state, i) == ffi::LUA_TNUMBER {
                let n = ffi::lua_tonumber(state, i);
                if needs_marking(n) {
                    ffi::lua_pushlightuserdata(state, n.to_bits() as usize as *mut c_void);
                    ffi::lua_replace(state, i);
                }
            }
        }
        // The arguments go over in a table: mlua takes only so many
        // arguments, and the C libraries take thousands.
        ffi::lua_createtable(state, nargs, 0);
        ffi::lua_insert(state, 1);
        for i in (1..=nargs).rev() {
            ffi::lua_rawseti(state, 1, i.into());
        }
        ffi::lua_pushinteger(state, nargs.into());
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, 2, ffi::LUA_MULTRET);
        let top = ffi::lua_gettop(state);
        let status = ffi::lua_tointeger(state, top) as i64;
        ffi::lua_settop(state, top - 1);
        match status {
            STATUS_ERROR => {
                ffi::luaL_where(state, 1);
                ffi::lua_insert(state, -2);
                ffi::lua_concat(state, 2);
                ffi::lua_error(state)
            }
            STATUS_RAW_ERROR => ffi::lua_error(state),
            STATUS_ARG_ERROR => {
                let narg = ffi::lua_tointeger(state, top - 1) as c_int;
                ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, top - 2))
            }
            STATUS_SPREAD => {
                // The callback's results start at 1: the table, then n.
                let n = ffi::lua_tointeger(state, 2) as c_int;
                ffi::lua_settop(state, 1);
                if n > 0 && ffi::lua_checkstack(state, n) == 0 {
                    ffi::luaL_error(state, c"too many results".as_ptr());
                }
                for i in 1..=n {
                    ffi::lua_rawgeti(state, 1, i.into());
                }
                n
            }
            _ => top - 1,
        }
    }
}

/// The arguments of a call, read as `lauxlib` reads them.
pub struct Args<'l> {
    lua: &'l Lua,
    /// The arguments, 1 to `len`.
    table: mlua::Table,
    len: usize,
    /// Values the function has pushed above its arguments (see
    /// [`Args::stack_mut`]).
    above: Vec<Value>,
}

impl Args<'_> {
    /// How many arguments were passed (`lua_gettop`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// The arguments as a table (1 to [`Args::len`]), as passed: marked
    /// numbers stay marked.
    pub fn table(&self) -> &mlua::Table {
        &self.table
    }

    /// Stack slot `n` (1-based) as the function sees it: an argument, a
    /// value it pushed, or `None` past them ("no value").
    pub fn get(&self, n: usize) -> Option<Value> {
        match n {
            0 => None,
            n if n <= self.len => Some(self.table.raw_get(n).unwrap_or(Value::Nil)),
            n => self.above.get(n - self.len - 1).cloned(),
        }
    }

    /// The C function's stack as argument reads see it: a function that
    /// pushes values of its own (struct.pack) makes them visible to reads
    /// past its arguments, as in C.
    pub fn stack_mut(&mut self) -> &mut Vec<Value> {
        &mut self.above
    }

    /// True when argument `n` is absent or nil (`lua_isnoneornil`).
    pub fn is_none_or_nil(&self, n: usize) -> bool {
        matches!(self.get(n), None | Some(Value::Nil))
    }

    /// `lua_tonumber` semantics: numbers and numeric strings convert,
    /// anything else is `None`.
    pub fn number(&self, n: usize) -> Result<Option<f64>, Raise> {
        Ok(match self.get(n) {
            Some(Value::String(s)) => self.lua.coerce_number(Value::String(s))?,
            Some(v) => number_of(&v),
            None => None,
        })
    }

    /// `luaL_checknumber`.
    pub fn check_number(&self, n: usize) -> Result<f64, Raise> {
        self.number(n)?.ok_or_else(|| self.type_error(n, "number"))
    }

    /// `luaL_checkinteger`: the number truncated as C casts it.
    pub fn check_integer(&self, n: usize) -> Result<i64, Raise> {
        self.check_number(n).map(c_to_i64)
    }

    /// `luaL_optinteger`.
    pub fn opt_integer(&self, n: usize, default: i64) -> Result<i64, Raise> {
        if self.is_none_or_nil(n) {
            Ok(default)
        } else {
            self.check_integer(n)
        }
    }

    /// `luaL_checklstring`: strings, and numbers as Lua prints them.
    pub fn check_string(&self, n: usize) -> Result<mlua::String, Raise> {
        match self.get(n) {
            Some(Value::String(s)) => Ok(s),
            Some(v) if number_of(&v).is_some() => self
                .lua
                .coerce_string(unmark(v))?
                .ok_or_else(|| self.type_error(n, "string")),
            _ => Err(self.type_error(n, "string")),
        }
    }

    /// `luaL_typerror`: "X expected, got Y" about argument `n`.
    pub fn type_error(&self, n: usize, expected: &str) -> Raise {
        let got = self.get(n).map_or("no value", |v| type_name(&v));
        Raise::Arg(
            n as i32,
            format!("{expected} expected, got {got}").into_bytes(),
        )
    }
}

/// The number `v` holds (a marked number included), `None` for other
/// types.
pub fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::LightUserData(LightUserData(p)) => marked_number(*p),
        _ => None,
    }
}

/// `v` with a marked number replaced by the number.
fn unmark(v: Value) -> Value {
    match v {
        Value::LightUserData(LightUserData(p)) => match marked_number(p) {
            Some(n) => Value::Number(n),
            None => v,
        },
        v => v,
    }
}

/// Lua's name for the type of `v` (`luaL_typename`).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(LightUserData(p)) if marked_number(*p).is_some() => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// C's `(int64_t)d` on x86-64: out of range and NaN give `INT64_MIN`.
pub fn c_to_i64(d: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// C's `(int)d` on x86-64: out of range and NaN give `INT_MIN`.
pub fn c_to_i32(d: f64) -> i32 {
    if d > -2_147_483_649.0 && d < 2_147_483_648.0 {
        d as i32
    } else {
        i32::MIN
    }
}

/// C's `(uint64_t)d` on x86-64 as gcc compiles it: below 2^63 (and NaN)
/// through the signed conversion, from 2^63 by offsetting it.
pub fn c_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO_63 {
        (c_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_to_i64(d) as u64
    }
}
