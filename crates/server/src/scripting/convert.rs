//! Conversions between RESP replies and Lua values, with Redis's rules:
//! a command's reply becomes a Lua value for `redis.call`, and the value a
//! script returns becomes the client's reply. Both work on the Lua stack
//! through the C API (see `raw.rs`): the reply bytes are read straight
//! into Lua values and Lua values straight into the reply buffer.

use super::raw::{push_bytes, push_error_table, string_at, Name, Names};
use lodestone_protocol::Reply;
use mlua::ffi;
use std::os::raw::c_int;

/// Deepest table nesting a script may return; deeper levels become an
/// error element, as Redis answers when the Lua stack runs out.
const MAX_REPLY_DEPTH: usize = 1000;

/// Deepest aggregate nesting of a command reply read into Lua (the RESP
/// parser's bound; deeper replies read as `false`).
const MAX_RESP_DEPTH: usize = lodestone_protocol::frame::MAX_DEPTH;

/// Pushes the Lua value of the command reply `buf` (its first RESP value).
/// `resp` is the protocol the script asked for (`redis.setresp`): RESP2
/// nulls are `false`, RESP3 nulls `nil`. A malformed reply reads as
/// `false`.
///
/// # Safety
/// May raise (it allocates): the caller is a C function whose frames own
/// nothing with a destructor, and `buf` must stay untouched until this
/// returns (no code that could run meanwhile, such as a `__gc`
/// finalizer, may change it).
pub(crate) unsafe fn push_reply(state: *mut ffi::lua_State, buf: &[u8], resp: u8) {
    // SAFETY: the caller's contract; on failure the partial values are
    // dropped from the stack and `false` takes their place.
    unsafe {
        let base = ffi::lua_gettop(state);
        let mut pos = 0;
        if ffi::lua_checkstack(state, 4) == 0 || !push_at(state, buf, &mut pos, resp, 0) {
            ffi::lua_settop(state, base);
            ffi::lua_pushboolean(state, 0);
        }
    }
}

/// The header line at `*pos` (after the type byte), moving past its CRLF.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let rest = buf.get(start..)?;
    let rel = rest.windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some(&rest[..rel])
}

/// A header's integer.
fn int(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A RESP3 double's text as a number.
fn parse_double(text: &[u8]) -> f64 {
    match text {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        b"nan" => f64::NAN,
        _ => std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0),
    }
}

/// Pushes a one-field table `{name = <value on top>}` in place of the
/// value.
///
/// # Safety
/// As [`push_reply`], with the value on top and two free slots.
unsafe fn tag(state: *mut ffi::lua_State, name: &std::ffi::CStr) {
    // SAFETY: the caller's contract; leaves exactly the new table.
    unsafe {
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_setfield(state, -2, name.as_ptr());
    }
}

/// Pushes the value at `*pos`; false when the reply is malformed,
/// incomplete or nested too deep (pushed values are then left for the
/// caller to drop).
///
/// # Safety
/// As [`push_reply`], with four free stack slots.
unsafe fn push_at(
    state: *mut ffi::lua_State,
    buf: &[u8],
    pos: &mut usize,
    resp: u8,
    depth: usize,
) -> bool {
    if depth > MAX_RESP_DEPTH {
        return false;
    }
    let Some(&kind) = buf.get(*pos) else {
        return false;
    };
    let type_at = *pos;
    *pos += 1;
    let Some(head) = line(buf, pos) else {
        return false;
    };
    let null = |state| {
        // SAFETY: a free slot is the caller's contract.
        unsafe {
            if resp == 2 {
                ffi::lua_pushboolean(state, 0);
            } else {
                ffi::lua_pushnil(state);
            }
        }
    };
    // SAFETY: every arm pushes exactly one value within the slots the
    // caller guarantees (aggregates check for more before recursing).
    unsafe {
        match kind {
            b'+' => {
                push_bytes(state, head);
                tag(state, c"ok");
            }
            // The text with its '-' is what error tables are made from.
            b'-' => push_error_table(state, &buf[type_at..type_at + 1 + head.len()], true),
            b':' => match int(head) {
                Some(n) => ffi::lua_pushnumber(state, n as f64),
                None => return false,
            },
            b',' => {
                ffi::lua_pushnumber(state, parse_double(head));
                tag(state, c"double");
            }
            b'(' => {
                push_bytes(state, head);
                tag(state, c"big_number");
            }
            b'_' => null(state),
            b'#' => match head {
                b"t" => ffi::lua_pushboolean(state, 1),
                b"f" => ffi::lua_pushboolean(state, 0),
                _ => return false,
            },
            b'$' | b'=' => {
                let Some(n) = int(head) else {
                    return false;
                };
                if n < 0 {
                    null(state);
                    return true;
                }
                let n = n as usize;
                if buf.len() - *pos < n.saturating_add(2) {
                    return false;
                }
                let data = &buf[*pos..*pos + n];
                *pos += n + 2;
                if kind == b'$' {
                    push_bytes(state, data);
                } else {
                    push_verbatim(state, data);
                }
            }
            b'*' | b'~' | b'>' | b'%' => {
                let Some(n) = int(head) else {
                    return false;
                };
                if n < 0 {
                    null(state);
                    return true;
                }
                if ffi::lua_checkstack(state, 4) == 0 {
                    return false;
                }
                // Never trust the count for allocation: each element
                // needs at least three bytes.
                let hint = (n as usize)
                    .min((buf.len() - *pos) / 3)
                    .min(c_int::MAX as usize) as c_int;
                return match kind {
                    b'%' => push_map(state, buf, pos, resp, depth, n as usize, hint),
                    b'~' => push_set(state, buf, pos, resp, depth, n as usize, hint),
                    _ => push_array(state, buf, pos, resp, depth, n as usize, hint),
                };
            }
            b'|' => {
                // An attribute: metadata pairs before the reply they
                // describe, which scripts see alone (as in Redis).
                let Some(pairs) = int(head).and_then(|n| usize::try_from(n).ok()) else {
                    return false;
                };
                for _ in 0..pairs.saturating_mul(2) {
                    if !push_at(state, buf, pos, resp, depth + 1) {
                        return false;
                    }
                    ffi::lua_settop(state, -2);
                }
                return push_at(state, buf, pos, resp, depth + 1);
            }
            _ => return false,
        }
    }
    true
}

/// Pushes `{verbatim_string = {format = ..., string = ...}}` for a
/// verbatim string's body (`fmt:text`; a body without the prefix is
/// `txt`).
///
/// # Safety
/// As [`push_at`].
unsafe fn push_verbatim(state: *mut ffi::lua_State, body: &[u8]) {
    let (format, text) = if body.len() >= 4 && body[3] == b':' {
        (&body[..3], &body[4..])
    } else {
        (&b"txt"[..], body)
    };
    // SAFETY: the caller's contract; leaves the outer table.
    unsafe {
        ffi::lua_createtable(state, 0, 2);
        push_bytes(state, format);
        ffi::lua_setfield(state, -2, c"format".as_ptr());
        push_bytes(state, text);
        ffi::lua_setfield(state, -2, c"string".as_ptr());
        tag(state, c"verbatim_string");
    }
}

/// Pushes an array (or push message) of `n` elements.
///
/// # Safety
/// As [`push_at`].
unsafe fn push_array(
    state: *mut ffi::lua_State,
    buf: &[u8],
    pos: &mut usize,
    resp: u8,
    depth: usize,
    n: usize,
    hint: c_int,
) -> bool {
    // SAFETY: the caller's contract; each element is pushed, then stored.
    unsafe {
        ffi::lua_createtable(state, hint, 0);
        for i in 0..n {
            if !push_at(state, buf, pos, resp, depth + 1) {
                return false;
            }
            ffi::lua_rawseti_(state, -2, (i + 1) as c_int);
        }
    }
    true
}

/// Whether the value on top can be a table key (not nil, not NaN).
///
/// # Safety
/// A value is on top of `state`.
unsafe fn usable_key(state: *mut ffi::lua_State, idx: c_int) -> bool {
    // SAFETY: the caller's contract.
    unsafe {
        match ffi::lua_type(state, idx) {
            ffi::LUA_TNIL => false,
            ffi::LUA_TNUMBER => !ffi::lua_tonumber(state, idx).is_nan(),
            _ => true,
        }
    }
}

/// Pushes `{map = {k = v, ...}}` for a map of `n` pairs.
///
/// # Safety
/// As [`push_at`].
unsafe fn push_map(
    state: *mut ffi::lua_State,
    buf: &[u8],
    pos: &mut usize,
    resp: u8,
    depth: usize,
    n: usize,
    hint: c_int,
) -> bool {
    // SAFETY: the caller's contract; each pair is pushed, then stored
    // (or dropped when its key cannot index a table).
    unsafe {
        ffi::lua_createtable(state, 0, hint / 2);
        for _ in 0..n {
            if !push_at(state, buf, pos, resp, depth + 1)
                || !push_at(state, buf, pos, resp, depth + 1)
            {
                return false;
            }
            if usable_key(state, -2) {
                ffi::lua_rawset(state, -3);
            } else {
                ffi::lua_settop(state, -3);
            }
        }
        tag(state, c"map");
    }
    true
}

/// Pushes `{set = {member = true, ...}}` for a set of `n` members.
///
/// # Safety
/// As [`push_at`].
unsafe fn push_set(
    state: *mut ffi::lua_State,
    buf: &[u8],
    pos: &mut usize,
    resp: u8,
    depth: usize,
    n: usize,
    hint: c_int,
) -> bool {
    // SAFETY: the caller's contract; each member is pushed, then stored.
    unsafe {
        ffi::lua_createtable(state, 0, hint);
        for _ in 0..n {
            if !push_at(state, buf, pos, resp, depth + 1) {
                return false;
            }
            if usable_key(state, -1) {
                ffi::lua_pushboolean(state, 1);
                ffi::lua_rawset(state, -3);
            } else {
                ffi::lua_settop(state, -2);
            }
        }
        tag(state, c"set");
    }
    true
}

/// Writes the value at `idx` (an absolute index) a script returned as the
/// client's reply. `script_resp` is the protocol the script chose: it
/// decides how booleans are sent. Returns how many of the errors written
/// were already counted in the error statistics (tables flagged
/// `ignore_error_stats_update`: errors of commands the script called),
/// which must not be counted again.
///
/// Reads only (raw table reads, no metamethods, no allocation), so it
/// needs no protected call.
///
/// # Safety
/// `state` is the interpreter `names` belongs to, `idx` a valid index.
pub(crate) unsafe fn write_reply(
    state: *mut ffi::lua_State,
    names: &Names,
    idx: c_int,
    out: &mut Reply,
    script_resp: u8,
) -> u32 {
    let mut w = Writer {
        state,
        names,
        out,
        script_resp,
        counted: 0,
    };
    // SAFETY: the caller's contract.
    unsafe { w.value(idx, 0) };
    w.counted
}

/// The state of one [`write_reply`].
struct Writer<'a, 'r> {
    state: *mut ffi::lua_State,
    names: &'a Names,
    out: &'a mut Reply<'r>,
    script_resp: u8,
    counted: u32,
}

/// C's `(long long)` cast of a Lua number as x86-64 performs it (Redis's
/// reply): NaN and values outside the 64-bit range become `i64::MIN`.
fn lua_number_to_i64(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// `s` with CR and LF turned into spaces, as Redis sends status and
/// big-number texts a script returns.
fn blank_line_breaks(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

impl Writer<'_, '_> {
    /// Writes the value at `idx`.
    ///
    /// # Safety
    /// `idx` is a valid absolute index.
    unsafe fn value(&mut self, idx: c_int, depth: usize) {
        if depth > MAX_REPLY_DEPTH {
            self.out.error("ERR reached lua stack limit");
            return;
        }
        let state = self.state;
        // SAFETY: the caller's contract; reads only.
        unsafe {
            match ffi::lua_type(state, idx) {
                ffi::LUA_TSTRING => {
                    let s = string_at(state, idx).unwrap_or_default();
                    self.out.bulk(s);
                }
                ffi::LUA_TBOOLEAN => {
                    let b = ffi::lua_toboolean(state, idx) != 0;
                    if self.script_resp == 2 {
                        if b {
                            self.out.int(1);
                        } else {
                            self.out.null();
                        }
                    } else {
                        self.out.bool(b);
                    }
                }
                ffi::LUA_TNUMBER => self
                    .out
                    .int(lua_number_to_i64(ffi::lua_tonumber(state, idx))),
                ffi::LUA_TTABLE => self.table(idx, depth),
                _ => self.out.null(),
            }
        }
    }

    /// Pushes field `name` of the table at `t`; returns its type.
    ///
    /// # Safety
    /// A table is at `t` and the stack has a free slot.
    unsafe fn field(&self, t: c_int, name: Name) -> c_int {
        // SAFETY: the caller's contract.
        unsafe {
            self.names.raw_field(self.state, t, name);
            ffi::lua_type(self.state, -1)
        }
    }

    /// Writes the table at `t`: an error, status, double, big number or
    /// verbatim table, a map, a set, or else an array (items up to the
    /// first nil).
    ///
    /// # Safety
    /// A table is at the absolute index `t`.
    unsafe fn table(&mut self, t: c_int, depth: usize) {
        let state = self.state;
        // SAFETY: every push below is popped before the next (the stack
        // is back at its height on return), with room checked first.
        unsafe {
            if ffi::lua_checkstack(state, 4) == 0 {
                self.out.error("ERR reached lua stack limit");
                return;
            }
            let top = ffi::lua_gettop(state);
            if self.field(t, Name::Err) == ffi::LUA_TSTRING {
                self.out
                    .error_bytes(string_at(state, -1).unwrap_or_default());
                if self.field(t, Name::IgnoreErrorStats) == ffi::LUA_TBOOLEAN
                    && ffi::lua_toboolean(state, -1) != 0
                {
                    self.counted += 1;
                }
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::Ok) == ffi::LUA_TSTRING {
                let text = blank_line_breaks(string_at(state, -1).unwrap_or_default());
                self.out.simple_bytes(&text);
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::Double) == ffi::LUA_TNUMBER {
                self.out.double(ffi::lua_tonumber(state, -1));
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::BigNumber) == ffi::LUA_TSTRING {
                let digits = blank_line_breaks(string_at(state, -1).unwrap_or_default());
                self.out.big_number(&digits);
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::VerbatimString) == ffi::LUA_TTABLE {
                let v = top + 1;
                let format = self.field(v, Name::Format) == ffi::LUA_TSTRING;
                let text = self.field(v, Name::String) == ffi::LUA_TSTRING;
                if format && text {
                    let format = String::from_utf8_lossy(string_at(state, -2).unwrap_or_default());
                    self.out
                        .verbatim(&format, string_at(state, -1).unwrap_or_default());
                    ffi::lua_settop(state, top);
                    return;
                }
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::Map) == ffi::LUA_TTABLE {
                let m = top + 1;
                self.out.map(self.count_pairs(m));
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, m) != 0 {
                    let top = ffi::lua_gettop(state);
                    self.value(top - 1, depth + 1);
                    self.value(top, depth + 1);
                    ffi::lua_settop(state, top - 1);
                }
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            if self.field(t, Name::Set) == ffi::LUA_TTABLE {
                let s = top + 1;
                self.out.set(self.count_pairs(s));
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, s) != 0 {
                    let top = ffi::lua_gettop(state);
                    self.value(top - 1, depth + 1);
                    ffi::lua_settop(state, top - 1);
                }
                ffi::lua_settop(state, top);
                return;
            }
            ffi::lua_settop(state, top);
            let mut n = 0;
            loop {
                ffi::lua_rawgeti_(state, t, n + 1);
                let nil = ffi::lua_type(state, -1) == ffi::LUA_TNIL;
                ffi::lua_settop(state, top);
                if nil {
                    break;
                }
                n += 1;
            }
            self.out.array(n as usize);
            for i in 1..=n {
                ffi::lua_rawgeti_(state, t, i);
                self.value(top + 1, depth + 1);
                ffi::lua_settop(state, top);
            }
        }
    }

    /// The number of pairs in the table at `t`.
    ///
    /// # Safety
    /// A table is at the absolute index `t`, with two free slots.
    unsafe fn count_pairs(&self, t: c_int) -> usize {
        let mut n = 0;
        // SAFETY: the caller's contract; lua_next leaves key and value,
        // the value is dropped, and the last call pops the key.
        unsafe {
            ffi::lua_pushnil(self.state);
            while ffi::lua_next(self.state, t) != 0 {
                ffi::lua_settop(self.state, -2);
                n += 1;
            }
        }
        n
    }
}
