//! Running a cached script for EVAL/EVALSHA and the bridge its
//! `redis.*` calls cross into the server.
//!
//! While a script runs, the interpreter is taken out of the server so the
//! bridge can hold the server mutably; the bridge is a scoped Lua function
//! that lives exactly as long as the run. Commands called by the script run
//! through [`Server::call`] on the calling client with the script's own
//! database and protocol swapped in, so they get every effect a client's
//! command gets (statistics, notifications, WATCH invalidation) while their
//! replies go to the script instead of the socket.

use super::busy::HookVerdict;
use super::convert::{frame_to_lua, lua_to_reply};
use super::trampoline::BRIDGE_KEY;
use super::watch::{Check, Watch};
use super::{error_table, sha1_hex, ScriptEngine};
use crate::client::ReplyMode;
use crate::log::Level;
use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_commands::table::Resolved;
use lodestone_protocol::frame;
use lodestone_protocol::Reply;
use mlua::{Function, Lua, Table, Value, Variadic};
use std::cell::{Cell, RefCell};
use std::ffi::c_void;

/// Bridge operations, as the prelude numbers them.
const OP_CALL: i64 = 1;
const OP_PCALL: i64 = 2;
const OP_SETRESP: i64 = 3;
const OP_SET_REPL: i64 = 4;
/// `redis.log`, the one operation library code may use while loading.
pub(crate) const OP_LOG: i64 = 5;
const OP_ACL_CHECK: i64 = 6;
const OP_SHA1HEX: i64 = 7;

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

/// The server and the run state, shared by the bridge's calls.
struct Run<'s> {
    server: &'s mut Server,
    state: RunState,
}

/// Runs `func` for `state.caller`, writing the script's reply to the
/// caller. `command` is the EVAL/FCALL request: its keys and arguments
/// follow the name and `numkeys`. `name` identifies the script in error
/// texts (an EVAL script's SHA1, a function's name).
pub fn run_script(
    server: &mut Server,
    engine: &ScriptEngine,
    func: &Function,
    name: &str,
    command: &[&[u8]],
    numkeys: usize,
    state: RunState,
) -> mlua::Result<Outcome> {
    let lua = &engine.lua;
    let array = |items: &[&[u8]]| -> mlua::Result<mlua::Table> {
        let t = lua.create_table_with_capacity(items.len(), 0)?;
        for (i, item) in items.iter().enumerate() {
            t.raw_set(i + 1, lua.create_string(item)?)?;
        }
        Ok(t)
    };
    let keys = array(&command[3..3 + numkeys])?;
    let argv = array(&command[3 + numkeys..])?;
    let eval = state.eval;
    let args = if eval {
        engine.set_keys_argv.call::<()>((keys, argv))?;
        Variadic::new()
    } else {
        Variadic::from_iter([Value::Table(keys), Value::Table(argv)])
    };
    server.in_script = true;
    let busy_check = server.rt.busy_reply_threshold_ms > 0;
    let run = RefCell::new(Run { server, state });
    let started = quanta::Instant::now();
    let busy_command: Vec<Vec<u8>> = if eval || !busy_check {
        Vec::new()
    } else {
        // FUNCTION STATS shows the FCALL that runs a busy function.
        command.iter().map(|a| a.to_vec()).collect()
    };
    let result: mlua::Result<(bool, Value)> = {
        let _current = CurrentRun::enter(&run);
        let mut check = || busy_verdict(&run, name, &busy_command, started);
        let mut check: &mut Check = &mut check;
        let watch = busy_check.then(|| Watch::start(&mut check));
        let result = engine.runner.call((func.clone(), args));
        drop(watch);
        super::watch::settle(lua);
        result
    };
    let Run { server, state } = run.into_inner();
    server.in_script = false;
    server.busy_script = None;
    let (ok, value) = result?;
    if ok {
        let Some(c) = server.clients.get_mut(state.caller) else {
            return Ok(Outcome::Replied);
        };
        let mut reply = Reply::new(&mut c.out, c.resp);
        let already_counted = lua_to_reply(&value, &mut reply, state.resp);
        let errors = reply.error_count();
        let code = reply.first_error_code().to_vec();
        if errors > already_counted {
            server.stats.count_error(&code);
        }
        // The script's command fails either way (Redis counts a failed
        // call even for an error it does not count again).
        server.handler_failed |= errors > 0;
        return Ok(Outcome::Replied);
    }
    Ok(error_outcome(&value, name))
}

thread_local! {
    /// The run in progress (a `*const RefCell<Run>`), or null: what the
    /// interpreter's one bridge function dispatches to.
    static CURRENT_RUN: Cell<*const c_void> = const { Cell::new(std::ptr::null()) };
}

/// Makes a run the bridge's target while alive (restoring the previous
/// one on drop, also when unwinding).
struct CurrentRun {
    previous: *const c_void,
}

impl CurrentRun {
    fn enter(run: &RefCell<Run>) -> CurrentRun {
        let ptr = run as *const RefCell<Run> as *const c_void;
        CurrentRun {
            previous: CURRENT_RUN.with(|c| c.replace(ptr)),
        }
    }
}

impl Drop for CurrentRun {
    fn drop(&mut self) {
        CURRENT_RUN.with(|c| c.set(self.previous));
    }
}

/// Registers the interpreter's bridge once (see `trampoline.rs`): it
/// serves the run in progress, so a script run creates no Rust callback
/// of its own.
pub(crate) fn install_bridge(lua: &Lua) -> mlua::Result<()> {
    let bridge = lua.create_function(|lua, (op, n, args): (i64, usize, Table)| {
        let ptr = CURRENT_RUN.with(Cell::get);
        if ptr.is_null() {
            let err = error_table(lua, b"the redis API is only usable while a script runs")?;
            return Ok((Value::Table(err), true));
        }
        // SAFETY: CURRENT_RUN is non-null only while the `CurrentRun`
        // guard of a live `run_script` frame exists, and that frame owns
        // the `RefCell<Run>` it points to; borrows go through the RefCell.
        let run = unsafe { &*(ptr as *const RefCell<Run<'static>>) };
        bridge_op(run, lua, op, bridge_args(n, &args)?)
    })?;
    lua.set_named_registry_value(BRIDGE_KEY.to_str().unwrap_or_default(), bridge)
}

/// The `n` arguments a trampoline packed into `args` (nils included).
pub(crate) fn bridge_args(n: usize, args: &Table) -> mlua::Result<Vec<Value>> {
    (1..=n).map(|i| args.raw_get(i)).collect()
}

/// The watch hook's check (see `watch.rs`): once the run is over
/// `busy-reply-threshold`, serve other clients and say whether to stop.
fn busy_verdict(
    run: &RefCell<Run>,
    name: &str,
    command: &[Vec<u8>],
    started: quanta::Instant,
) -> HookVerdict {
    // Busy while a bridge call is in progress: not a script slice.
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
fn error_outcome(err: &Value, name: &str) -> Outcome {
    let Value::Table(t) = err else {
        let msg = match err {
            Value::String(s) => s.to_string_lossy(),
            _ => "execution failure".to_string(),
        };
        let msg: String = msg.chars().take(100).collect();
        return Outcome::Failed {
            text: format!("ERR Error running script {name}, {msg}").into_bytes(),
            already_counted: false,
        };
    };
    let field = |k: &str| -> Option<Vec<u8>> {
        match t.raw_get::<Value>(k) {
            Ok(Value::String(s)) => Some(s.as_bytes().to_vec()),
            Ok(Value::Number(n)) => Some(format_line(n).into_bytes()),
            Ok(Value::Integer(n)) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    };
    let mut text = field("err").unwrap_or_else(|| b"ERR unknown error".to_vec());
    if let (Some(source), Some(line)) = (field("source"), field("line")) {
        text.extend_from_slice(format!(" script: {name}, on ").as_bytes());
        text.extend_from_slice(&source);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    let already_counted = matches!(
        t.raw_get::<Value>("ignore_error_stats_update"),
        Ok(Value::Boolean(true))
    );
    Outcome::Failed {
        text,
        already_counted,
    }
}

/// A line number as Lua prints it (an integer).
fn format_line(n: f64) -> String {
    format!("{}", n as i64)
}

/// Dispatches one bridge call. Returns `(value, raise)`: the prelude
/// raises `value` as an error when `raise` is true.
fn bridge_op(
    run: &RefCell<Run>,
    lua: &Lua,
    op: i64,
    args: Vec<Value>,
) -> mlua::Result<(Value, bool)> {
    let fail = |msg: &str| -> mlua::Result<(Value, bool)> {
        Ok((Value::Table(error_table(lua, msg.as_bytes())?), true))
    };
    match op {
        OP_CALL | OP_PCALL => redis_call(run, lua, &args, op == OP_CALL),
        OP_SETRESP => {
            if args.len() != 1 {
                return fail("redis.setresp() requires one argument.");
            }
            let resp = lua.coerce_number(args[0].clone())?.unwrap_or(0.0) as i64;
            if resp != 2 && resp != 3 {
                return fail("RESP version must be 2 or 3.");
            }
            run.borrow_mut().state.resp = resp as u8;
            Ok((Value::Nil, false))
        }
        OP_SET_REPL => {
            if args.len() != 1 {
                return fail("redis.set_repl() requires one argument.");
            }
            let flags = lua.coerce_number(args[0].clone())?.unwrap_or(0.0) as i64;
            if flags & !3 != 0 {
                return fail(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            run.borrow_mut().state.repl_flags = flags as u8;
            Ok((Value::Nil, false))
        }
        OP_LOG => {
            let r = run.borrow();
            redis_log(r.server, lua, &args)
        }
        OP_ACL_CHECK => {
            let argv = match lua_args_to_argv(&args) {
                Ok(a) => a,
                Err(msg) => return fail(msg),
            };
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let r = run.borrow();
            match r.server.table.resolve(&refs) {
                // Without ACL users every command is permitted.
                Resolved::Found(_) => Ok((Value::Boolean(true), false)),
                _ => fail("Invalid command passed to redis.acl_check_cmd()"),
            }
        }
        OP_SHA1HEX => {
            if args.len() != 1 {
                return fail("wrong number of arguments");
            }
            let text = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                v @ (Value::Number(_) | Value::Integer(_)) => lua
                    .coerce_string(v.clone())?
                    .map(|s| s.as_bytes().to_vec())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            Ok((Value::String(lua.create_string(sha1_hex(&text))?), false))
        }
        _ => fail("unknown redis lib operation"),
    }
}

/// The arguments of `redis.call` as command arguments, with Redis's
/// rules: strings as they are, numbers as integers when they are whole.
fn lua_args_to_argv(args: &[Value]) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(n) => argv.push(n.to_string().into_bytes()),
            Value::Number(n) => argv.push(number_arg(*n)),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// A Lua number as a command argument: whole numbers in the 64-bit range
/// print as integers, others in the shortest form that reads back exactly.
fn number_arg(n: f64) -> Vec<u8> {
    if n.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&n) {
        return (n as i64).to_string().into_bytes();
    }
    let mut buf = Vec::new();
    lodestone_protocol::num::push_double(&mut buf, n);
    buf
}

/// `redis.call` / `redis.pcall`.
fn redis_call(
    run: &RefCell<Run>,
    lua: &Lua,
    args: &[Value],
    raise: bool,
) -> mlua::Result<(Value, bool)> {
    let argv = match lua_args_to_argv(args) {
        Ok(a) => a,
        Err(msg) => return Ok((Value::Table(error_table(lua, msg.as_bytes())?), raise)),
    };
    let (reply, resp) = {
        let mut r = run.borrow_mut();
        let Run { server, state } = &mut *r;
        (server.script_command(state, &argv), state.resp)
    };
    match reply {
        Err(msg) => {
            let t = error_table(lua, msg.as_bytes())?;
            t.raw_set("ignore_error_stats_update", true)?;
            Ok((Value::Table(t), raise))
        }
        Ok(bytes) => {
            let value = match frame::parse(&bytes) {
                Ok(Some((f, _))) => frame_to_lua(lua, f, resp)?,
                _ => Value::Boolean(false),
            };
            let is_error = bytes.first() == Some(&b'-');
            Ok((value, raise && is_error))
        }
    }
}

/// `redis.log(level, message, ...)`, logging through `server`.
pub(crate) fn redis_log(server: &Server, lua: &Lua, args: &[Value]) -> mlua::Result<(Value, bool)> {
    let fail = |msg: &str| -> mlua::Result<(Value, bool)> {
        Ok((Value::Table(error_table(lua, msg.as_bytes())?), true))
    };
    if args.len() < 2 {
        return fail("redis.log() requires two arguments or more.");
    }
    let Some(level) = lua.coerce_number(args[0].clone())? else {
        return fail("First argument must be a number (log level).");
    };
    let level = match level as i64 {
        0 => Level::Debug,
        1 => Level::Verbose,
        2 => Level::Notice,
        3 => Level::Warning,
        _ => return fail("Invalid debug level."),
    };
    let mut text = Vec::new();
    for (i, a) in args[1..].iter().enumerate() {
        if let Some(s) = lua.coerce_string(a.clone())? {
            if i > 0 {
                text.push(b' ');
            }
            text.extend_from_slice(&s.as_bytes());
        }
    }
    server.log(level, &String::from_utf8_lossy(&text));
    Ok((Value::Nil, false))
}

impl Server {
    /// Runs one command for a script (Redis's `scriptCall`): the checks a
    /// script's command gets, then [`Server::call`] on the caller with the
    /// script's database and protocol. Returns the reply bytes, or the
    /// message of a refusal (counted as the command's rejected call).
    pub fn script_command(
        &mut self,
        state: &mut RunState,
        argv: &[Vec<u8>],
    ) -> Result<Vec<u8>, String> {
        let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let id = match self.table.resolve(&refs) {
            Resolved::Found(cmd) => cmd.id,
            _ => return self.script_refusal(None, "Unknown Redis command called from script"),
        };
        let cmd = self.table.get(id);
        if !cmd.arity_ok(refs.len()) || cmd.handler.is_none() {
            return self.script_refusal(
                Some(id),
                "Wrong number of args calling Redis command from script",
            );
        }
        let flags = cmd.flags;
        if flags & cmdflags::NOSCRIPT != 0 && !self.script_disable_deny_script {
            return self.script_refusal(Some(id), "This Redis command is not allowed from script");
        }
        if state.read_only && flags & (cmdflags::WRITE | cmdflags::MAY_REPLICATE) != 0 {
            return self.script_refusal(
                Some(id),
                "Write commands are not allowed from read-only scripts.",
            );
        }
        // Persistence failing: a write is refused unless the script already
        // wrote (it cannot be stopped half-way).
        if flags & cmdflags::WRITE != 0 && !state.write_dirty {
            if let Some(cause) = self.disk_error() {
                let text = cause.command_error().message();
                return self.script_refusal(Some(id), &format!("-{text}"));
            }
        }
        // Over `maxmemory` when the script started: a command that may
        // grow memory is refused, unless the script already wrote (it
        // cannot be stopped half-way) or declared `allow-oom`.
        if flags & cmdflags::DENYOOM != 0
            && !state.allow_oom
            && !state.write_dirty
            && self.rt.maxmemory > 0
            && self.pre_command_oom
        {
            return self.script_refusal(
                Some(id),
                "-OOM command not allowed when used memory > 'maxmemory'.",
            );
        }
        if flags & cmdflags::WRITE != 0 {
            state.write_dirty = true;
        }
        let Some(c) = self.clients.get_mut(state.caller) else {
            return Err("the calling client is gone".into());
        };
        let saved_out = std::mem::take(&mut c.out);
        let saved_sent = std::mem::replace(&mut c.out_sent, 0);
        let saved_pushes = std::mem::take(&mut c.set_aside_pushes);
        let saved_db = std::mem::replace(&mut c.db, state.db);
        let saved_resp = std::mem::replace(&mut c.resp, state.resp);
        c.script_saved_resp = Some(saved_resp);
        let saved_mode = std::mem::replace(&mut c.reply_mode, ReplyMode::On);
        let saved_last = c.last_cmd;
        let saved_targets = std::mem::replace(&mut self.effect_targets, state.repl_flags);
        self.call(state.caller, id, &refs);
        self.effect_targets = saved_targets;
        let Some(c) = self.clients.get_mut(state.caller) else {
            return Err("the calling client is gone".into());
        };
        let reply = std::mem::replace(&mut c.out, saved_out);
        c.out_sent = saved_sent;
        let script_pushes = std::mem::replace(&mut c.set_aside_pushes, saved_pushes);
        c.set_aside_pushes.extend_from_slice(&script_pushes);
        state.db = std::mem::replace(&mut c.db, saved_db);
        c.resp = saved_resp;
        c.script_saved_resp = None;
        c.reply_mode = saved_mode;
        c.last_cmd = saved_last;
        Ok(reply)
    }

    /// Counts a command a script was refused and returns the refusal. A
    /// message starting with `-CODE ` carries its own error code (counted
    /// under it); others are `ERR`.
    fn script_refusal(&mut self, id: Option<usize>, msg: &str) -> Result<Vec<u8>, String> {
        if let Some(id) = id {
            self.cmd_stats[id].rejected_calls += 1;
        }
        let code = msg
            .strip_prefix('-')
            .and_then(|m| m.split(' ').next())
            .unwrap_or("ERR");
        self.stats.count_error(code.as_bytes());
        Err(msg.to_string())
    }

    /// Whether a script with these flags may not start because memory was
    /// over `maxmemory` when its command started (Redis's check in
    /// `scriptPrepareForRun`; scripts without a shebang are checked per
    /// command instead).
    pub fn script_refused_for_memory(&self, flags: &super::shebang::ScriptFlags) -> bool {
        !(flags.compat || flags.allow_oom || flags.no_writes)
            && self.rt.maxmemory > 0
            && self.pre_command_oom
    }
}
