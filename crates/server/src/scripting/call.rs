//! `redis.call` and `redis.pcall`: C functions that read their arguments
//! off the Lua stack into the command's argument list, run the command on
//! the server, and push its reply straight back as a Lua value.
//!
//! A call has three phases, kept apart so that a Lua error can never skip
//! a Rust destructor (see `raw.rs`):
//!
//! 1. the arguments are read as borrowed slices of the Lua strings (numbers
//!    are formatted into a reused buffer); nothing here can raise;
//! 2. the command runs through [`Server::script_command`], its reply landing
//!    in a reused buffer kept in a thread-local slot; no Lua code runs;
//! 3. the reply is pushed onto the Lua stack. Pushing allocates, so the
//!    collector may run a `__gc` finalizer, which could call `redis.call`
//!    again while the reply is being read: as in Redis, such a recursive
//!    call is refused (and the slot left alone).
//!
//! [`Server::script_command`]: crate::server::Server::script_command

use super::convert::push_reply;
use super::raw::{push_error_table, string_at};
use super::run::with_current_run;
use mlua::ffi;
use smallvec::SmallVec;
use std::cell::Cell;
use std::os::raw::c_int;

/// The reply buffer is dropped rather than kept when a reply made it this
/// big (a reused buffer should not pin a huge allocation).
const KEPT_REPLY_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// The last command's reply (or refusal message), reused by every call.
    static REPLY: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// A reply is being pushed from [`REPLY`] (phase 3).
    static PUSHING: Cell<bool> = const { Cell::new(false) };
    /// Text of number arguments, reused by every call.
    static NUMBERS: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Clears the recursion guard; called when a run starts or ends. A guard
/// left set means a push was cut short by an error out of a finalizer
/// (it unwinds past the reset), which must not outlive that run.
pub(crate) fn reset() {
    PUSHING.set(false);
    let reply = REPLY.take();
    if reply.capacity() <= KEPT_REPLY_CAPACITY {
        REPLY.set(reply);
    }
}

/// Redis's message for a recursive call (from a finalizer, a debug hook).
const RECURSION: &str = "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?";

/// How phases 1 and 2 ended.
enum Called {
    /// The reply is in [`REPLY`], in protocol `resp`.
    Reply { resp: u8 },
    /// The command was refused; the message is in [`REPLY`].
    Refused,
    /// A bad call: the message (its error table is raised by
    /// `redis.call`, returned by `redis.pcall`).
    Bad(&'static str),
    /// No script is running: the message, raised by both.
    NoRun(&'static str),
}

/// `redis.call` (`RAISE`) and `redis.pcall`.
///
/// # Safety
/// Called by Lua only, with a valid state.
pub unsafe extern "C-unwind" fn call<const RAISE: bool>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `call_and_push` returns with everything it owned dropped;
    // the error value is then on top, and lua_error unwinds nothing that
    // needs dropping.
    unsafe {
        if call_and_push(state, RAISE) {
            ffi::lua_error(state);
        }
    }
    1
}

/// The three phases; leaves one value on the stack and says whether it
/// is an error to raise.
///
/// # Safety
/// As [`call`].
unsafe fn call_and_push(state: *mut ffi::lua_State, raise: bool) -> bool {
    if PUSHING.get() {
        with_current_run(|server, _| server.log_warning(RECURSION));
        // SAFETY: a C function has LUA_MINSTACK free slots.
        unsafe { push_error_table(state, RECURSION.as_bytes(), false) };
        return false;
    }
    // SAFETY: the phases' contracts are met: `run_command` owns nothing
    // once it returns, and the pushes read `REPLY`, which the recursion
    // guard protects until they are done.
    unsafe {
        let called = run_command(state);
        // The arguments are no longer needed: the reply takes their place.
        ffi::lua_settop(state, 0);
        match called {
            Called::NoRun(msg) => {
                push_error_table(state, msg.as_bytes(), false);
                true
            }
            Called::Bad(msg) => {
                push_error_table(state, msg.as_bytes(), false);
                raise
            }
            Called::Refused => {
                with_reply(|text| push_error_table(state, text, true));
                raise
            }
            Called::Reply { resp } => {
                let mut is_error = false;
                with_reply(|bytes| {
                    is_error = bytes.first() == Some(&b'-');
                    push_reply(state, bytes, resp);
                });
                raise && is_error
            }
        }
    }
}

/// Runs `f` on the reply slot's bytes with the recursion guard set. The
/// bytes are read in place: the slot's vector stays where it is, so a
/// Lua error out of `f` leaves nothing behind but the guard (cleared when
/// the run ends).
fn with_reply(f: impl FnOnce(&[u8])) {
    let reply = REPLY.take();
    let (ptr, len) = (reply.as_ptr(), reply.len());
    REPLY.set(reply);
    PUSHING.set(true);
    // SAFETY: the vector's buffer does not move when the vector is moved
    // into and out of the cell, and nothing changes it while the guard
    // is set (a recursive call stops at the guard).
    f(unsafe { std::slice::from_raw_parts(ptr, len) });
    PUSHING.set(false);
}

/// Phases 1 and 2: reads the arguments and runs the command.
///
/// # Safety
/// As [`call`]; raises nothing.
unsafe fn run_command(state: *mut ffi::lua_State) -> Called {
    // SAFETY: lua_gettop never raises.
    let argc = unsafe { ffi::lua_gettop(state) };
    if argc == 0 {
        return Called::Bad("Please specify at least one argument for this redis lib call");
    }
    let mut numbers = NUMBERS.take();
    numbers.clear();
    let mut argv: SmallVec<[&[u8]; 8]> = SmallVec::with_capacity(argc as usize);
    // Number arguments: their index in `argv` and their span of `numbers`
    // (filled in once every number is formatted).
    let mut spans: SmallVec<[(usize, usize, usize); 4]> = SmallVec::new();
    for i in 1..=argc {
        // SAFETY: `i` is a valid index; these reads neither allocate nor
        // raise, and the strings stay on the stack until phase 3.
        unsafe {
            match ffi::lua_type(state, i) {
                ffi::LUA_TSTRING => argv.push(string_at(state, i).unwrap_or_default()),
                ffi::LUA_TNUMBER => {
                    let start = numbers.len();
                    push_number_arg(&mut numbers, ffi::lua_tonumber(state, i));
                    spans.push((argv.len(), start, numbers.len()));
                    argv.push(&[]);
                }
                _ => {
                    NUMBERS.set(numbers);
                    return Called::Bad(
                        "Lua redis lib command arguments must be strings or integers",
                    );
                }
            }
        }
    }
    for &(at, start, end) in &spans {
        argv[at] = &numbers[start..end];
    }
    let mut reply = REPLY.take();
    if reply.capacity() > KEPT_REPLY_CAPACITY {
        reply = Vec::new();
    }
    reply.clear();
    let called =
        with_current_run(
            |server, state| match server.script_command(state, &argv, &mut reply) {
                Ok(()) => Called::Reply { resp: state.resp },
                Err(msg) => {
                    reply.clear();
                    reply.extend_from_slice(msg.as_bytes());
                    Called::Refused
                }
            },
        )
        .unwrap_or(Called::NoRun(
            "the redis API is only usable while a script runs",
        ));
    drop(argv);
    REPLY.set(reply);
    NUMBERS.set(numbers);
    called
}

/// A Lua number as a command argument, as Redis formats it: whole numbers
/// in the 64-bit range as integers, others in the shortest form that
/// reads back exactly.
pub(crate) fn push_number_arg(out: &mut Vec<u8>, n: f64) {
    if n.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&n) {
        out.extend_from_slice(itoa::Buffer::new().format(n as i64).as_bytes());
    } else {
        lodestone_protocol::num::push_double(out, n);
    }
}
