//! Turning library code into a [`Library`]: the metadata checks, then a run
//! of the code in the functions interpreter with the library API as its
//! globals, collecting what it passes to `redis.register_function`.

use super::metadata::{self, valid_name};
use super::{FunctionInfo, Library};
use crate::scripting::bridge::{bridge_args, redis_log, OP_LOG};
use crate::scripting::shebang::ScriptFlags;
use crate::scripting::trampoline::BRIDGE_KEY;
use crate::scripting::{error_table, ScriptEngine};
use crate::server::Server;
use mlua::{Table, Value};
use std::cell::Cell;
use std::rc::Rc;

/// How long FUNCTION LOAD lets library code run before failing it.
pub const LOAD_TIMEOUT_MS: u128 = 500;

/// Lua instructions between two checks of the load time.
const HOOK_INSTRUCTIONS: u32 = 100_000;

/// The error for a bad library or function name.
const NAME_ERROR: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// A library's name and where its code starts, once its metadata passed.
pub struct Prepared {
    /// The library name.
    pub name: String,
    /// Offset of the code after the metadata line.
    code_start: usize,
}

/// Checks the metadata of `code` (Redis's order: metadata, name, engine).
/// Errors carry Redis's message.
pub fn prepare(code: &[u8]) -> Result<Prepared, String> {
    let meta = metadata::parse(code)?;
    if !valid_name(&meta.name) {
        return Err(NAME_ERROR.into());
    }
    if !meta.engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&meta.engine)
        ));
    }
    Ok(Prepared {
        name: String::from_utf8_lossy(&meta.name).into_owned(),
        code_start: meta.code_start,
    })
}

/// Runs the library code in `engine` and returns the library with the
/// functions it registered. `timeout_ms` 0 means no time limit. The code
/// may call `redis.log`, which logs through `server`.
pub fn compile(
    server: &Server,
    engine: &ScriptEngine,
    prepared: Prepared,
    code: &[u8],
    timeout_ms: u128,
) -> Result<Library, String> {
    let lua = &engine.lua;
    let body = lua
        .create_string(&code[prepared.code_start..])
        .map_err(|e| e.to_string())?;
    let timed_out = Rc::new(Cell::new(false));
    if timeout_ms > 0 {
        let started = quanta::Instant::now();
        let flag = timed_out.clone();
        let triggers = mlua::HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS);
        lua.set_hook(triggers, move |_, _| {
            if !flag.get() && started.elapsed().as_millis() > timeout_ms {
                flag.set(true);
                return Err(mlua::Error::external("FUNCTION LOAD timeout"));
            }
            Ok(mlua::VmState::Continue)
        });
    }
    let result: mlua::Result<(Option<Table>, Option<mlua::String>)> = lua.scope(|scope| {
        let bridge = scope.create_function(|lua, (op, n, args): (i64, usize, Table)| {
            if op == OP_LOG {
                return redis_log(server, lua, &bridge_args(n, &args)?);
            }
            let err = error_table(lua, b"this redis API is not available here")?;
            Ok((Value::Table(err), true))
        })?;
        let key = BRIDGE_KEY.to_str().unwrap_or_default();
        let runs_bridge: Value = lua.named_registry_value(key)?;
        lua.set_named_registry_value(key, bridge)?;
        let result = match &engine.load_library {
            Some(load_library) => load_library.call(body),
            None => Err(mlua::Error::runtime(
                "this interpreter does not load libraries",
            )),
        };
        lua.set_named_registry_value(key, runs_bridge)?;
        result
    });
    lua.remove_hook();
    // The timeout hook replaced the script watch hook.
    crate::scripting::watch::install(lua);
    let (regs, err) = result.map_err(|e| e.to_string())?;
    if timed_out.get() {
        return Err("Error registering functions: ERR FUNCTION LOAD timeout".into());
    }
    let Some(regs) = regs else {
        return Err(err.map(|m| m.to_string_lossy()).unwrap_or_default());
    };
    let mut functions = Vec::new();
    for reg in regs.sequence_values::<Table>() {
        functions.push(Rc::new(registration(lua, reg.map_err(|e| e.to_string())?)?));
    }
    if functions.is_empty() {
        return Err("No functions registered".into());
    }
    Ok(Library {
        name: prepared.name,
        code: code.to_vec(),
        functions,
    })
}

/// One registration table from the prelude as a [`FunctionInfo`].
fn registration(lua: &mlua::Lua, reg: Table) -> Result<FunctionInfo, String> {
    let get = |k: &str| reg.raw_get::<Value>(k).map_err(|e| e.to_string());
    let name = match get("name")? {
        Value::String(s) => s.to_string_lossy(),
        _ => return Err(NAME_ERROR.into()),
    };
    let Value::Function(func) = get("callback")? else {
        return Err("redis.register_function must get a callback argument".into());
    };
    let description = match get("description")? {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    };
    let flags = match get("flags")? {
        Value::Table(t) => flags_of(&t),
        _ => ScriptFlags::default(),
    };
    Ok(FunctionInfo {
        name,
        description,
        flags,
        func: lua.create_registry_value(func).map_err(|e| e.to_string())?,
    })
}

/// The flags set in a prelude flags table (canonical names as keys).
fn flags_of(t: &Table) -> ScriptFlags {
    let has = |k: &str| matches!(t.raw_get::<Value>(k), Ok(Value::Boolean(true)));
    ScriptFlags {
        compat: false,
        no_writes: has("no-writes"),
        allow_oom: has("allow-oom"),
        allow_stale: has("allow-stale"),
        no_cluster: has("no-cluster"),
        allow_cross_slot: has("allow-cross-slot-keys"),
    }
}
