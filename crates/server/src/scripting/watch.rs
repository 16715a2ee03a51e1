//! The instruction hook that watches a running script, installed with the
//! Lua C API rather than mlua's `set_hook` for two reasons:
//!
//! - Lua 5.1 copies a thread's hook into every coroutine created from it,
//!   so a script looping inside a coroutine is watched too (mlua's hook
//!   removes itself from any thread but the one it was set on, which left
//!   such a loop unkillable and the server unresponsive).
//! - Once the script is to be stopped (SCRIPT/FUNCTION KILL, SHUTDOWN),
//!   the hook also fires on every line, as Redis's does, so a script that
//!   catches the error with `pcall` in a loop is stopped anyway.
//!
//! The hook stays installed for the interpreter's life and finds the run
//! through a thread-local pointer that is set only while a [`Watch`] is
//! alive (between runs it returns at once), so starting a run costs no
//! call into Lua.

use super::busy::{HookVerdict, HOOK_INSTRUCTIONS};
use mlua::ffi;
use std::cell::Cell;
use std::os::raw::{c_int, c_void};

/// What the hook calls: every [`HOOK_INSTRUCTIONS`] instructions, and on
/// every line once it said to stop. Returns the verdict.
pub type Check<'a> = dyn FnMut() -> HookVerdict + 'a;

thread_local! {
    /// The check of the run being watched (a `*mut &mut Check`), or null.
    static CURRENT: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
}

thread_local! {
    /// The hook raised on every line since the last run (after a kill):
    /// the main thread's mask goes back to counts when the run ends.
    static ESCALATED: Cell<bool> = const { Cell::new(false) };
}

/// Installs the hook on `lua`'s main thread for good (it does nothing
/// between runs); called when the interpreter is created and after
/// anything replaced it (the FUNCTION LOAD timeout hook).
pub fn install(lua: &mlua::Lua) {
    set_mask(lua, ffi::LUA_MASKCOUNT);
}

/// Points the hook at a run's check while alive.
pub struct Watch(());

impl Watch {
    /// Makes the hook call `check`, which must outlive the returned guard
    /// (the caller keeps both on its stack, the guard declared after).
    pub fn start(check: &mut &mut Check<'_>) -> Watch {
        CURRENT.with(|c| c.set(check as *mut &mut Check<'_> as *mut c_void));
        Watch(())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null_mut()));
    }
}

/// Restores count-only events on the main thread after a run that was
/// killed (the hook had switched to line events).
pub fn settle(lua: &mlua::Lua) {
    if ESCALATED.with(|e| e.replace(false)) {
        set_mask(lua, ffi::LUA_MASKCOUNT);
    }
}

/// Sets the hook's event mask on the main thread (0 removes it).
fn set_mask(lua: &mlua::Lua, mask: c_int) {
    // SAFETY: lua_sethook only stores the hook, mask and count in the
    // state; it cannot fail or raise.
    let _ = unsafe {
        lua.exec_raw::<()>((), |state| {
            let hook: Option<ffi::lua_Hook> = if mask == 0 { None } else { Some(hook) };
            ffi::lua_sethook(state, hook, mask, HOOK_INSTRUCTIONS as c_int);
        })
    };
}

/// Asks the current check for a verdict: `Some(message)` to stop.
fn verdict() -> Option<&'static str> {
    let ptr = CURRENT.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: CURRENT is non-null only while the `Watch` that set it is
    // alive, and the check it points to outlives that guard.
    let check = unsafe { &mut *(ptr as *mut &mut Check<'_>) };
    match check() {
        HookVerdict::Continue => None,
        HookVerdict::Abort(msg) => Some(msg),
    }
}

/// The hook. Raises `{err = "ERR <message>"}` when the run is to stop,
/// after switching the thread to line events so the error keeps coming.
unsafe extern "C-unwind" fn hook(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    // The sandbox's own code (the error handler, `api.run`) is never
    // interrupted: the error must leave through the handler, which names
    // the script line. The next event in script code raises instead.
    // SAFETY: `ar` is the hook's activation record, valid for this call.
    if unsafe { in_prelude(state, ar) } {
        return;
    }
    // Every Rust value is dropped before lua_error unwinds this frame.
    let Some(msg) = verdict() else {
        return;
    };
    // SAFETY: `state` is the running thread; the pushes keep the stack
    // balanced (one table left for lua_error), and no Rust value with a
    // destructor is alive here when lua_error longjmps.
    ESCALATED.with(|e| e.set(true));
    unsafe {
        ffi::lua_sethook(
            state,
            Some(hook),
            ffi::LUA_MASKCOUNT | ffi::LUA_MASKLINE,
            HOOK_INSTRUCTIONS as c_int,
        );
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_pushlstring(state, b"ERR ".as_ptr() as *const _, 4);
        ffi::lua_pushlstring(state, msg.as_ptr() as *const _, msg.len());
        ffi::lua_concat(state, 2);
        ffi::lua_setfield(state, -2, c"err".as_ptr());
        ffi::lua_error(state);
    }
}

/// Whether the function the hook interrupted is the prelude's.
///
/// # Safety
/// `state` and `ar` must be the arguments the hook was called with.
unsafe fn in_prelude(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) -> bool {
    // SAFETY: lua_getinfo with "S" on a hook's record fills its source.
    unsafe {
        if ffi::lua_getinfo(state, c"S".as_ptr(), ar) == 0 || (*ar).source.is_null() {
            return false;
        }
        std::ffi::CStr::from_ptr((*ar).source).to_bytes() == super::PRELUDE_CHUNK_NAME.as_bytes()
    }
}
