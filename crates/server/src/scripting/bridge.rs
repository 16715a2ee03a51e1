//! The `redis.*` operations other than `call` and `pcall` (`setresp`,
//! `set_repl`, `log`, `acl_check_cmd`, `sha1hex`): one mlua function, the
//! bridge, serves them all for the run in progress. They are called far
//! less often than `redis.call`, so they keep mlua's conversions; the C
//! trampolines in `trampoline.rs` call the bridge and raise its errors.

use super::call::push_number_arg;
use super::run::{with_current_run_cell, Run};
use super::trampoline::BRIDGE_KEY;
use super::{error_table, sha1_hex};
use crate::log::Level;
use crate::server::Server;
use lodestone_commands::table::Resolved;
use mlua::{Lua, Table, Value};
use std::cell::RefCell;

/// Bridge operations, as the trampolines number them.
const OP_SETRESP: i64 = 3;
const OP_SET_REPL: i64 = 4;
/// `redis.log`, the one operation library code may use while loading.
pub(crate) const OP_LOG: i64 = 5;
const OP_ACL_CHECK: i64 = 6;
const OP_SHA1HEX: i64 = 7;

/// Registers the interpreter's bridge once (see `trampoline.rs`): it
/// serves the run in progress, so a script run creates no Rust callback
/// of its own.
pub(crate) fn install_bridge(lua: &Lua) -> mlua::Result<()> {
    let bridge = lua.create_function(|lua, (op, n, args): (i64, usize, Table)| {
        let args = bridge_args(n, &args)?;
        match with_current_run_cell(|run| bridge_op(run, lua, op, args)) {
            Some(result) => result,
            None => {
                let err = error_table(lua, b"the redis API is only usable while a script runs")?;
                Ok((Value::Table(err), true))
            }
        }
    })?;
    lua.set_named_registry_value(BRIDGE_KEY.to_str().unwrap_or_default(), bridge)
}

/// The `n` arguments a trampoline packed into `args` (nils included).
pub(crate) fn bridge_args(n: usize, args: &Table) -> mlua::Result<Vec<Value>> {
    (1..=n).map(|i| args.raw_get(i)).collect()
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

/// The arguments of `redis.acl_check_cmd` as a command's arguments, with Redis's
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
            Value::Number(n) => {
                let mut text = Vec::new();
                push_number_arg(&mut text, *n);
                argv.push(text);
            }
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
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
