//! Running a cached script for EVAL/EVALSHA or a function for FCALL.
//!
//! While a script runs, the interpreter is taken out of the server so the
//! `redis.*` functions can hold the server mutably: they find the run in
//! progress through a thread-local pointer ([`CurrentRun`]), so a run
//! creates no callback of its own. The run itself goes through the Lua C
//! API (see `raw.rs`): one protected call of [`runner`], which sets KEYS
//! and ARGV up and calls the script under the sandbox's error handler;
//! the value it returns is then written straight into the caller's reply.

use super::busy::HookVerdict;
use super::convert::write_reply;
use super::raw::{push_bytes, string_at, Name, Names};
use super::watch::{Check, Watch};
use super::ScriptEngine;
use crate::server::Server;
use lodestone_protocol::Reply;
use mlua::{ffi, RegistryKey};
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::os::raw::c_int;

/// What a run knows about itself while the script executes.
pub struct RunState {
    /// Slab key of the client that called EVAL.
    pub caller: usize,
    /// The database the script's commands use (SELECT inside changes it).
    pub db: usize,
    /// Protocol of the script's commands (`redis.setresp`).
    pub resp: u8,
    /// EVAL_RO, or a `no-writes` script: write commands are refused.
    pub read_only: bool,
    /// A write command ran: the script can no longer be killed (nor be
    /// refused a `denyoom` command).
    pub write_dirty: bool,
    /// `allow-oom` declared: any command may run while memory is over
    /// `maxmemory`.
    pub allow_oom: bool,
    /// `redis.set_repl` flags (REPL_AOF | REPL_REPLICA), for propagation.
    pub repl_flags: u8,
    /// EVAL (KEYS and ARGV are globals; SCRIPT KILL stops it) or FCALL
    /// (they are the function's two arguments; FUNCTION KILL stops it).
    pub eval: bool,
}

/// How a run ended.
pub enum Outcome {
    /// The script returned; its reply is written.
    Replied,
    /// It raised an error: the full error text (code included), and
    /// whether the error was already counted by the command that raised it.
    Failed {
        /// `CODE message`.
        text: Vec<u8>,
        /// True when statistics must not count it again.
        already_counted: bool,
    },
}

/// The server and the run state, shared by the `redis.*` calls.
pub(super) struct Run<'s> {
    pub(super) server: &'s mut Server,
    pub(super) state: RunState,
}

/// What [`runner`] is given (as a light userdata).
struct RunnerInput<'a> {
    /// Registry reference of the function to call.
    func: c_int,
    /// KEYS and ARGV.
    keys: &'a [&'a [u8]],
    argv: &'a [&'a [u8]],
    /// EVAL: the table the globals resolve to (a registry reference), in
    /// which KEYS and ARGV are set; FCALL passes them as arguments.
    globals: Option<(c_int, &'a Names)>,
}

/// Runs `func` for `state.caller`, writing the script's reply to the
/// caller. `command` is the EVAL/FCALL request: its keys and arguments
/// follow the name and `numkeys`. `name` identifies the script in error
/// texts (an EVAL script's SHA1, a function's name).
pub fn run_script(
    server: &mut Server,
    engine: &ScriptEngine,
    func: &RegistryKey,
    name: &str,
    command: &[&[u8]],
    numkeys: usize,
    state: RunState,
) -> Outcome {
    let eval = state.eval;
    let input = RunnerInput {
        func: func.id(),
        keys: &command[3..3 + numkeys],
        argv: &command[3 + numkeys..],
        globals: eval.then(|| (engine.backing.id(), &engine.names)),
    };
    server.in_script = true;
    let busy_check = server.rt.busy_reply_threshold_ms > 0;
    // The script started with its command.
    let started = server.call_started;
    let run = RefCell::new(Run { server, state });
    let busy_command: Vec<Vec<u8>> = if eval || !busy_check {
        Vec::new()
    } else {
        // FUNCTION STATS shows the FCALL that runs a busy function.
        command.iter().map(|a| a.to_vec()).collect()
    };
    let lua = engine.state;
    // SAFETY: `lua` is the engine's main thread, whose stack mlua leaves
    // balanced between its calls; the pushes below fit the slots checked
    // for, no raise can happen outside the protected call, and the stack
    // is back at `base` when this returns.
    let base = unsafe { ffi::lua_gettop(lua) };
    let status = {
        let _current = CurrentRun::enter(&run);
        let mut check = || busy_verdict(&run, name, &busy_command, started);
        let mut check: &mut Check = &mut check;
        let watch = busy_check.then(|| Watch::start(&mut check));
        // SAFETY: see `base`; `input` outlives the call.
        let status = unsafe {
            // No room on the main stack (which cannot happen between
            // commands, but is not to be assumed): the run fails.
            (ffi::lua_checkstack(lua, 4) != 0).then(|| {
                ffi::lua_rawgeti_(lua, ffi::LUA_REGISTRYINDEX, engine.on_error.id());
                ffi::lua_rawgeti_(lua, ffi::LUA_REGISTRYINDEX, engine.runner.id());
                ffi::lua_pushlightuserdata(lua, &input as *const RunnerInput as *mut c_void);
                ffi::lua_pcall(lua, 1, 1, base + 1)
            })
        };
        drop(watch);
        super::watch::settle(&engine.lua);
        status
    };
    let Run { server, state } = run.into_inner();
    server.in_script = false;
    server.busy_script = None;
    let result = base + 2;
    // SAFETY: the call left its result or error at `result`; reading it
    // raises nothing, and the stack is reset to `base` at the end.
    let outcome = unsafe {
        let Some(status) = status else {
            return Outcome::Failed {
                text: format!("ERR Error running script {name}, stack overflow").into_bytes(),
                already_counted: false,
            };
        };
        if status == 0 {
            if let Some(c) = server.clients.get_mut(state.caller) {
                let mut reply = Reply::new(&mut c.out, c.resp);
                let already_counted =
                    write_reply(lua, &engine.names, result, &mut reply, state.resp);
                let errors = reply.error_count();
                if errors > already_counted {
                    let code = reply.first_error_code().to_vec();
                    server.stats.count_error(&code);
                }
                // The script's command fails either way (Redis counts a
                // failed call even for an error it does not count again).
                server.handler_failed |= errors > 0;
            }
            Outcome::Replied
        } else {
            error_outcome(lua, &engine.names, result, name)
        }
    };
    // SAFETY: drops the handler and the result.
    unsafe { ffi::lua_settop(lua, base) };
    outcome
}

/// The protected part of a run: sets KEYS and ARGV up (EVAL: as globals;
/// FCALL: as the function's arguments) and calls the function, leaving
/// its one result.
///
/// # Safety
/// Called by Lua through `lua_pcall` only, with a [`RunnerInput`] as its
/// light userdata argument.
unsafe extern "C-unwind" fn runner(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the argument is the `RunnerInput` `run_script` keeps alive
    // during the call; a C function has LUA_MINSTACK slots and this uses
    // at most six; this frame owns nothing, so errors may unwind it.
    unsafe {
        let input = &*(ffi::lua_touserdata(state, 1) as *const RunnerInput);
        ffi::lua_settop(state, 0);
        ffi::lua_rawgeti_(state, ffi::LUA_REGISTRYINDEX, input.func);
        push_array(state, input.keys);
        push_array(state, input.argv);
        match input.globals {
            Some((backing, names)) => {
                ffi::lua_rawgeti_(state, ffi::LUA_REGISTRYINDEX, backing);
                names.push(state, Name::Keys);
                ffi::lua_pushvalue(state, 2);
                ffi::lua_rawset(state, 4);
                names.push(state, Name::Argv);
                ffi::lua_pushvalue(state, 3);
                ffi::lua_rawset(state, 4);
                ffi::lua_settop(state, 1);
                ffi::lua_call(state, 0, 1);
            }
            None => ffi::lua_call(state, 2, 1),
        }
    }
    1
}

/// Pushes `items` as an array of strings.
///
/// # Safety
/// As [`runner`], with two free slots.
unsafe fn push_array(state: *mut ffi::lua_State, items: &[&[u8]]) {
    // SAFETY: the caller's contract; each string is pushed, then stored.
    unsafe {
        ffi::lua_createtable(state, items.len().min(c_int::MAX as usize) as c_int, 0);
        for (i, item) in items.iter().enumerate() {
            push_bytes(state, item);
            ffi::lua_rawseti_(state, -2, (i + 1) as c_int);
        }
    }
}

/// The C function [`runner`], to be anchored by the engine.
pub(super) const RUNNER: ffi::lua_CFunction = runner;

thread_local! {
    /// The run in progress (a `*const RefCell<Run>`), or null: what the
    /// `redis.*` functions serve.
    static CURRENT_RUN: Cell<*const c_void> = const { Cell::new(std::ptr::null()) };
}

/// Makes a run the `redis.*` functions' target while alive (restoring the
/// previous one on drop, also when unwinding).
struct CurrentRun {
    previous: *const c_void,
}

impl CurrentRun {
    fn enter(run: &RefCell<Run>) -> CurrentRun {
        let ptr = run as *const RefCell<Run> as *const c_void;
        super::call::reset();
        CurrentRun {
            previous: CURRENT_RUN.with(|c| c.replace(ptr)),
        }
    }
}

impl Drop for CurrentRun {
    fn drop(&mut self) {
        super::call::reset();
        CURRENT_RUN.with(|c| c.set(self.previous));
    }
}

/// Runs `f` on the run in progress; `None` when no script runs.
pub(super) fn with_current_run_cell<R>(f: impl FnOnce(&RefCell<Run>) -> R) -> Option<R> {
    let ptr = CURRENT_RUN.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: CURRENT_RUN is non-null only while the `CurrentRun` guard
    // of a live `run_script` frame exists, and that frame owns the
    // `RefCell<Run>` it points to; borrows go through the RefCell.
    let run = unsafe { &*(ptr as *const RefCell<Run<'static>>) };
    Some(f(run))
}

/// Runs `f` on the server and state of the run in progress; `None` when
/// no script runs (or, which cannot happen, its state is borrowed).
pub(super) fn with_current_run<R>(f: impl FnOnce(&mut Server, &mut RunState) -> R) -> Option<R> {
    with_current_run_cell(|run| {
        let mut r = run.try_borrow_mut().ok()?;
        let Run { server, state } = &mut *r;
        Some(f(server, state))
    })
    .flatten()
}

/// The watch hook's check (see `watch.rs`): once the run is over
/// `busy-reply-threshold`, serve other clients and say whether to stop.
fn busy_verdict(
    run: &RefCell<Run>,
    name: &str,
    command: &[Vec<u8>],
    started: quanta::Instant,
) -> HookVerdict {
    // Busy while a `redis.*` call is in progress: not a script slice.
    let Ok(mut r) = run.try_borrow_mut() else {
        return HookVerdict::Continue;
    };
    let Run { server, state } = &mut *r;
    let running = super::busy::Running {
        eval: state.eval,
        name,
        command,
        started,
        write_dirty: state.write_dirty,
    };
    server.script_hook(state.caller, running)
}

/// The error reply for a failed run, as Redis words it: the error table's
/// message, plus where in the script it happened.
///
/// # Safety
/// `idx` is the absolute index of the error value in `lua`, the
/// interpreter `names` belongs to, with two free slots above the top.
unsafe fn error_outcome(
    lua: *mut ffi::lua_State,
    names: &Names,
    idx: c_int,
    name: &str,
) -> Outcome {
    // SAFETY: the caller's contract; raw reads only, each popped.
    unsafe {
        if ffi::lua_type(lua, idx) != ffi::LUA_TTABLE {
            let msg = match string_at(lua, idx) {
                Some(s) => String::from_utf8_lossy(s).into_owned(),
                None => "execution failure".to_string(),
            };
            let msg: String = msg.chars().take(100).collect();
            return Outcome::Failed {
                text: format!("ERR Error running script {name}, {msg}").into_bytes(),
                already_counted: false,
            };
        }
        let field = |k: Name| -> Option<Vec<u8>> {
            names.raw_field(lua, idx, k);
            let value = match ffi::lua_type(lua, -1) {
                ffi::LUA_TSTRING => string_at(lua, -1).map(<[u8]>::to_vec),
                ffi::LUA_TNUMBER => Some(format_line(ffi::lua_tonumber(lua, -1)).into_bytes()),
                _ => None,
            };
            ffi::lua_settop(lua, -2);
            value
        };
        let mut text = field(Name::Err).unwrap_or_else(|| b"ERR unknown error".to_vec());
        if let (Some(source), Some(line)) = (field(Name::Source), field(Name::Line)) {
            text.extend_from_slice(format!(" script: {name}, on ").as_bytes());
            text.extend_from_slice(&source);
            text.push(b':');
            text.extend_from_slice(&line);
            text.push(b'.');
        }
        names.raw_field(lua, idx, Name::IgnoreErrorStats);
        let already_counted =
            ffi::lua_type(lua, -1) == ffi::LUA_TBOOLEAN && ffi::lua_toboolean(lua, -1) != 0;
        ffi::lua_settop(lua, -2);
        Outcome::Failed {
            text,
            already_counted,
        }
    }
}

/// A line number as Lua prints it (an integer).
fn format_line(n: f64) -> String {
    format!("{}", n as i64)
}
