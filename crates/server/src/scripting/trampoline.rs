//! The `redis.*` functions other than `call` and `pcall` (which are C
//! functions of their own, in `call.rs`) that can raise errors, as C
//! functions.
//!
//! Redis's `redis.call` is a C function, and that shows in error reports:
//! a C function is never tail-called, so in `return redis.call(...)` the
//! script's frame stays on the stack and the error handler can name the
//! script line. A Lua wrapper would be tail-called and lose it. So each
//! raising function is this small C trampoline: it calls the current run's
//! bridge (kept in the registry under [`BRIDGE_KEY`]) with its operation
//! number and arguments, and raises the returned error value itself.

use mlua::ffi;
use std::os::raw::c_int;

/// Registry field holding the bridge of the running script.
pub const BRIDGE_KEY: &std::ffi::CStr = c"lodestone.bridge";

/// The trampolines by `redis.*` name; the numbers are the bridge's
/// operations (see `bridge.rs`).
pub const FUNCTIONS: &[(&str, ffi::lua_CFunction)] = &[
    ("setresp", trampoline::<3>),
    ("set_repl", trampoline::<4>),
    ("log", trampoline::<5>),
    ("acl_check_cmd", trampoline::<6>),
    ("sha1hex", trampoline::<7>),
];

/// Calls `bridge(OP, n, {...})`, which returns `(value, raise)`; raises
/// `value` when `raise` is true, else returns it. The arguments travel in
/// one table so that a call with thousands of them (`unpack` of a big
/// table) needs no more stack than a C function is guaranteed.
///
/// # Safety
/// Called by Lua only, with a valid state.
pub unsafe extern "C-unwind" fn trampoline<const OP: i32>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state; a C function may push
    // LUA_MINSTACK values beyond its arguments, and this pushes at most
    // four at a time; every call below keeps the stack balanced as
    // documented for the Lua 5.1 C API, and this frame owns nothing that
    // a longjmp from lua_call/lua_error could leak.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_createtable(state, nargs, 0);
        for i in 1..=nargs {
            ffi::lua_pushvalue(state, i);
            ffi::lua_rawseti(state, -2, i as ffi::lua_Integer);
        }
        ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, BRIDGE_KEY.as_ptr());
        ffi::lua_pushinteger(state, OP as ffi::lua_Integer);
        ffi::lua_pushinteger(state, nargs as ffi::lua_Integer);
        ffi::lua_pushvalue(state, -4);
        ffi::lua_call(state, 3, 2);
        let raise = ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_settop(state, -2);
        if raise {
            ffi::lua_error(state);
        }
        1
    }
}
