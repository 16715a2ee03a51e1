//! The pieces the Lua C-API paths share: the interpreter's main state, the
//! field names they look up anchored in the registry, and small stack
//! helpers.
//!
//! The hot paths of a script run (starting it, `redis.call`, converting
//! replies both ways) talk to Lua through its C API instead of mlua's
//! values, which would cost a registry reference and a protected call per
//! value. The rule that keeps this sound: a Lua API call that may raise
//! (allocate, run the collector and with it `__gc` finalizers) only
//! happens where a raised error lands in a protected call and every Rust
//! frame it unwinds owns nothing with a destructor.

use mlua::{ffi, Lua, RegistryKey};
use std::os::raw::c_int;

/// Field and global names the C-API paths read or write.
#[derive(Clone, Copy)]
pub(crate) enum Name {
    Err,
    Ok,
    Double,
    BigNumber,
    VerbatimString,
    Format,
    String,
    Map,
    Set,
    IgnoreErrorStats,
    Source,
    Line,
    Keys,
    Argv,
}

/// The text of each [`Name`], in declaration order.
const NAME_TEXT: [&str; 14] = [
    "err",
    "ok",
    "double",
    "big_number",
    "verbatim_string",
    "format",
    "string",
    "map",
    "set",
    "ignore_error_stats_update",
    "source",
    "line",
    "KEYS",
    "ARGV",
];

/// The [`Name`] strings, each kept alive by a registry reference: pushing
/// one is a registry read, which neither allocates nor can raise, so code
/// running outside any protected call can look fields up with it.
pub(crate) struct Names {
    keys: Vec<RegistryKey>,
}

impl Names {
    /// Interns and anchors every name in `lua`.
    pub fn new(lua: &Lua) -> mlua::Result<Names> {
        let keys = NAME_TEXT
            .iter()
            .map(|text| lua.create_registry_value(*text))
            .collect::<mlua::Result<_>>()?;
        Ok(Names { keys })
    }

    /// Pushes `name`.
    ///
    /// # Safety
    /// `state` belongs to the interpreter the names were created in and
    /// has a free stack slot.
    pub unsafe fn push(&self, state: *mut ffi::lua_State, name: Name) {
        // SAFETY: the caller's contract; the reference is alive (owned by
        // self), and rawgeti on the registry never raises.
        unsafe { ffi::lua_rawgeti_(state, ffi::LUA_REGISTRYINDEX, self.keys[name as usize].id()) };
    }

    /// Pushes the raw value of field `name` of the table at `table` (an
    /// absolute index); never raises and runs no metamethod.
    ///
    /// # Safety
    /// As [`Names::push`], with a table at `table`.
    pub unsafe fn raw_field(&self, state: *mut ffi::lua_State, table: c_int, name: Name) {
        // SAFETY: the caller's contract; rawget reads without metamethods.
        unsafe {
            self.push(state, name);
            ffi::lua_rawget(state, table);
        }
    }
}

/// The interpreter's main thread, which the C-API paths run on (mlua
/// keeps that thread's stack balanced around its own calls, and so do
/// these paths).
pub(crate) fn main_state(lua: &Lua) -> mlua::Result<*mut ffi::lua_State> {
    let mut main = std::ptr::null_mut();
    // SAFETY: the closure only records the state pointer it is given,
    // which is `lua`'s main thread outside any callback.
    unsafe { lua.exec_raw::<()>((), |state| main = state)? };
    Ok(main)
}

/// The bytes of the string at `idx`, or `None` for any other type
/// (numbers are not converted: converting allocates).
///
/// # Safety
/// `idx` is a valid index of `state`; the slice lives as long as the
/// string stays reachable (on the stack or in a table it is read from).
pub(crate) unsafe fn string_at<'a>(state: *mut ffi::lua_State, idx: c_int) -> Option<&'a [u8]> {
    // SAFETY: the caller's contract; lua_tolstring on a string neither
    // allocates nor raises, and returns its length-delimited bytes.
    unsafe {
        if ffi::lua_type(state, idx) != ffi::LUA_TSTRING {
            return None;
        }
        let mut len = 0usize;
        let ptr = ffi::lua_tolstring(state, idx, &mut len);
        Some(std::slice::from_raw_parts(ptr as *const u8, len))
    }
}

/// Pushes `bytes` as a Lua string.
///
/// # Safety
/// May raise (it allocates): only where a raised error is caught and
/// unwinds no Rust frame that owns a value with a destructor.
pub(crate) unsafe fn push_bytes(state: *mut ffi::lua_State, bytes: &[u8]) {
    // SAFETY: the caller's contract.
    unsafe { ffi::lua_pushlstring(state, bytes.as_ptr() as *const _, bytes.len()) };
}

/// `text` as Redis turns an error string into an error table
/// (`luaPushErrorBuff`): `-CODE message` keeps its code, a bare message
/// gets `ERR`; CR and LF around the message are trimmed. Returns the code
/// and the message the table's `err` joins with a space.
pub(crate) fn error_parts(text: &[u8]) -> (&[u8], &[u8]) {
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let trim = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !trim(b)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|b| !trim(b)).map_or(start, |e| e + 1);
    (code, &msg[start..end])
}

/// Pushes the error table Redis builds for `text` (see [`error_parts`]),
/// flagged `ignore_error_stats_update` when `counted` (the command that
/// produced it counted it already).
///
/// # Safety
/// As [`push_bytes`]; needs four free stack slots.
pub(crate) unsafe fn push_error_table(state: *mut ffi::lua_State, text: &[u8], counted: bool) {
    let (code, msg) = error_parts(text);
    // SAFETY: the caller's contract; the pushes and the concatenation are
    // balanced, leaving the table on top.
    unsafe {
        ffi::lua_createtable(state, 0, 2);
        push_bytes(state, code);
        push_bytes(state, b" ");
        push_bytes(state, msg);
        ffi::lua_concat(state, 3);
        ffi::lua_setfield(state, -2, c"err".as_ptr());
        if counted {
            ffi::lua_pushboolean(state, 1);
            ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::error_parts;

    #[test]
    fn error_parts_follow_redis() {
        assert_eq!(
            error_parts(b"-WRONGTYPE bad"),
            (&b"WRONGTYPE"[..], &b"bad"[..])
        );
        assert_eq!(error_parts(b"-oops"), (&b"ERR"[..], &b"oops"[..]));
        assert_eq!(error_parts(b"plain\r\n"), (&b"ERR"[..], &b"plain"[..]));
        assert_eq!(error_parts(b"-E \r\nx\r\n"), (&b"E"[..], &b"x"[..]));
    }
}
