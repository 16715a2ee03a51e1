//! Lua scripting (EVAL and friends), as Redis 7.2 runs it: one Lua 5.1
//! interpreter owned by the keyspace thread, a sandbox whose globals are
//! read-only, a cache of compiled scripts by SHA1, and a bridge through
//! which `redis.call` runs commands with the same checks and effects as a
//! client's.
//!
//! The Lua side of the sandbox is `prelude.lua`; this module creates the
//! interpreter, hands the prelude its Rust primitives, and keeps the
//! handles the server drives scripts with. Running a script is in [`run`];
//! `redis.call` in [`call`], the other `redis.*` functions in [`bridge`];
//! value conversions are in [`convert`].

mod bridge;
pub mod busy;
mod call;
mod command;
pub mod convert;
pub mod functions;
mod libs;
mod rand48;
mod raw;
pub mod run;
pub mod shebang;
mod trampoline;
pub(crate) mod watch;

use crate::handlers::connection::REDIS_VERSION;
use mlua::{ffi, Function, Lua, LuaOptions, RegistryKey, StdLib, Table, Value};
use raw::Names;
use shebang::ScriptFlags;
use std::collections::HashMap;

/// The sandbox, compiled into the binary.
const PRELUDE: &str = include_str!("prelude.lua");

/// The function-library loader, for the functions interpreter only.
const LIBRARY: &str = include_str!("library.lua");

/// The prelude's chunk name: its frames are the sandbox's, not a script's.
const PRELUDE_CHUNK_NAME: &str = "@lodestone";

/// [`REDIS_VERSION`] as `0x00MMmmpp` (`redis.REDIS_VERSION_NUM`).
const REDIS_VERSION_NUM: i64 = 0x0007_0206;

/// A script in the cache.
pub struct Script {
    /// The compiled function, referenced from the registry (a run pushes
    /// it with one registry read).
    pub func: RegistryKey,
    /// Its source (SCRIPT LOAD / EVAL body), kept for memory accounting and
    /// for replicating EVALSHA as EVAL later.
    pub body: Vec<u8>,
    /// Flags from its shebang line.
    pub flags: ScriptFlags,
}

/// Which interpreter an engine is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// EVAL's (SCRIPT FLUSH replaces it).
    Eval,
    /// The functions' (it also loads libraries).
    Functions,
}

/// The interpreter and the script cache.
pub struct ScriptEngine {
    /// The interpreter.
    pub lua: Lua,
    /// Its main thread, which runs go through with the C API.
    state: *mut ffi::lua_State,
    /// Field names those runs look up.
    names: Names,
    /// The sandbox's error handler (prelude `api.on_error`).
    on_error: RegistryKey,
    /// The table the globals resolve to (prelude `api.backing`), where an
    /// EVAL run sets KEYS and ARGV.
    backing: RegistryKey,
    /// The C function that runs a script under the error handler.
    runner: RegistryKey,
    /// Compiles a body into a sandboxed function (prelude `api.compile`).
    compile: Function,
    /// Runs a function library's code (`library.lua`); only the functions
    /// interpreter has it.
    pub(crate) load_library: Option<Function>,
    /// Cached scripts by lower-case hex SHA1.
    pub scripts: HashMap<String, Script, ahash::RandomState>,
    /// Bytes of script bodies in the cache (INFO `used_memory_scripts_eval`).
    pub scripts_memory: usize,
    /// Runs since the last garbage-collection step (see [`Self::after_run`]).
    runs_since_gc: u32,
    /// Interpreter memory when the last collection cycle ended.
    heap_after_gc: usize,
}

/// Runs between two garbage-collection steps, and the step's size in
/// kilobytes (Redis's `LUA_GC_CYCLE_PERIOD`): the collector advances a
/// little between runs rather than in long pauses inside them.
const GC_PERIOD: u32 = 50;

/// The flags an EVAL- or FCALL-family request's script or function
/// declares (its shebang or registered flags), which replace the command
/// table's `write` and `denyoom` flags as in Redis's `evalGetCommandFlags`
/// and `fcallGetCommandFlags`; `None` when the table's flags decide (not a
/// script command, no shebang, unknown SHA1 or function).
pub fn declared_flags(
    server: &crate::server::Server,
    command: &str,
    args: &[&[u8]],
) -> Option<ScriptFlags> {
    let by_sha = match command {
        "eval" | "eval_ro" => false,
        "evalsha" | "evalsha_ro" => true,
        "fcall" | "fcall_ro" => {
            return Some(server.functions.libs.function(args.get(1)?)?.flags);
        }
        _ => return None,
    };
    let body = args.get(1)?;
    let cached = |sha: &str| {
        server
            .scripting
            .as_ref()
            .and_then(|e| e.scripts.get(sha))
            .map(|s| s.flags)
    };
    let flags = if by_sha {
        cached(&String::from_utf8_lossy(body).to_ascii_lowercase())?
    } else {
        match cached(&sha1_hex(body)) {
            Some(f) => f,
            None => shebang::parse(body).ok()?.0,
        }
    };
    (!flags.compat).then_some(flags)
}

/// Whether an EVAL- or FCALL-family request may write, as its script or
/// function declares it: `Some(false)` for a `no-writes` one, `Some(true)`
/// for one with a shebang or registered flags without it, `None` when the
/// command table's flags decide (see [`declared_flags`]).
pub fn declared_writes(
    server: &crate::server::Server,
    command: &str,
    args: &[&[u8]],
) -> Option<bool> {
    declared_flags(server, command, args).map(|f| !f.no_writes)
}

/// Whether a request counts as `denyoom` (refused when memory is over
/// `maxmemory`): a script or function with declared flags does unless it
/// declares `allow-oom` or `no-writes` (Redis's `scriptFlagsToCmdFlags`);
/// other commands as the command table says (`table_flags`).
pub fn is_denyoom(
    server: &crate::server::Server,
    command: &str,
    args: &[&[u8]],
    table_flags: u64,
) -> bool {
    match declared_flags(server, command, args) {
        Some(f) => !(f.allow_oom || f.no_writes),
        None => table_flags & lodestone_commands::table::spec::flags::DENYOOM != 0,
    }
}

/// The SHA1 of `body` as 40 lower-case hex digits, as script ids are.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

impl ScriptEngine {
    /// A fresh interpreter with the sandbox set up and an empty cache.
    pub fn new(kind: EngineKind) -> mlua::Result<ScriptEngine> {
        // SAFETY: the debug library is loaded only for the prelude, which
        // keeps a private reference for its error handler and removes the
        // global before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::default(),
            )
        };
        let prims = lua.create_table()?;
        prims.set("make_err", lua.create_function(make_err_fn)?)?;
        let raw_functions: [(&str, ffi::lua_CFunction); 2] =
            [("call", call::call::<true>), ("pcall", call::call::<false>)];
        for (name, func) in trampoline::FUNCTIONS.iter().chain(&raw_functions) {
            // SAFETY: these C functions follow the Lua C API contract.
            prims.set(*name, unsafe { lua.create_c_function(*func)? })?;
        }
        prims.set("random", lua.create_function(rand48::random)?)?;
        prims.set("randomseed", lua.create_function(rand48::randomseed)?)?;
        prims.set("version", REDIS_VERSION)?;
        prims.set("version_num", REDIS_VERSION_NUM)?;
        let libs = lua.create_table()?;
        libs::register(&lua, &libs)?;
        prims.set("libs", libs)?;
        let api: Table = lua.load(PRELUDE).set_name(PRELUDE_CHUNK_NAME).call(prims)?;
        let load_library = match kind {
            EngineKind::Eval => None,
            EngineKind::Functions => Some(
                lua.load(LIBRARY)
                    .set_name(PRELUDE_CHUNK_NAME)
                    .call(api.get::<Table>("internals")?)?,
            ),
        };
        // The debug library stays reachable only from the registry's
        // list of loaded modules (the sandbox kept what it needs): let it
        // be collected rather than traversed on every cycle.
        let loaded: Table = lua.named_registry_value("_LOADED")?;
        loaded.raw_set("debug", Value::Nil)?;
        // SAFETY: the runner follows the Lua C API contract.
        let runner = unsafe { lua.create_c_function(run::RUNNER)? };
        Ok(ScriptEngine {
            state: raw::main_state(&lua)?,
            names: Names::new(&lua)?,
            on_error: lua.create_registry_value(api.get::<Function>("on_error")?)?,
            backing: lua.create_registry_value(api.get::<Table>("backing")?)?,
            runner: lua.create_registry_value(runner)?,
            compile: api.get("compile")?,
            load_library,
            lua,
            scripts: HashMap::default(),
            scripts_memory: 0,
            runs_since_gc: 0,
            heap_after_gc: 0,
        })
        .and_then(|mut engine| {
            bridge::install_bridge(&engine.lua)?;
            watch::install(&engine.lua);
            // Setting up the sandbox leaves garbage behind.
            engine.lua.gc_collect()?;
            engine.heap_after_gc = engine.lua.used_memory();
            Ok(engine)
        })
    }

    /// Compiles `body` and caches it under its SHA1 (already cached: the
    /// cached one). Errors carry Redis's reply text without the code.
    pub fn create(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang::parse(body)?;
        let source = self
            .lua
            .create_string(&body[shebang_len..])
            .map_err(|e| e.to_string())?;
        let (func, msg): (Option<Function>, Option<mlua::String>) = self
            .compile
            .call((source, "@user_script"))
            .map_err(|e| e.to_string())?;
        let Some(func) = func else {
            let msg = msg.map(|m| m.to_string_lossy()).unwrap_or_default();
            return Err(format!("Error compiling script (new function): {msg}"));
        };
        self.scripts_memory += body.len() + sha.len();
        let func = self
            .lua
            .create_registry_value(func)
            .map_err(|e| e.to_string())?;
        self.scripts.insert(
            sha.clone(),
            Script {
                func,
                body: body.to_vec(),
                flags,
            },
        );
        Ok(sha)
    }

    /// Called after every script or function run. As in Redis, every
    /// [`GC_PERIOD`] runs the garbage collector advances by a step of that
    /// many kilobytes, so garbage from short scripts never piles up. On a
    /// heap as small as the sandbox's, that step is a whole cycle over
    /// every live object, whose cost is the heap's size whatever the
    /// garbage: so the step waits until the runs since the last cycle
    /// allocated a quarter of the heap left after it. The heap stays
    /// within a quarter and one period's garbage of its live size.
    pub fn after_run(&mut self) {
        self.runs_since_gc += 1;
        if self.runs_since_gc < GC_PERIOD {
            return;
        }
        self.runs_since_gc = 0;
        let grown = self.lua.used_memory().saturating_sub(self.heap_after_gc);
        if grown < self.heap_after_gc / 4 {
            return;
        }
        if let Ok(true) = self.lua.gc_step_kbytes(GC_PERIOD as i32) {
            self.heap_after_gc = self.lua.used_memory();
        }
    }

    /// Memory the interpreter uses (INFO `used_memory_lua`).
    pub fn lua_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// `make_err(text)`: the error table Redis builds for an error string
/// (`luaPushErrorBuff`): `-CODE message` keeps its code, a bare message
/// gets `ERR`; CR/LF around the message are trimmed.
fn make_err_fn(lua: &Lua, text: mlua::String) -> mlua::Result<Table> {
    error_table(lua, &text.as_bytes())
}

/// The `{err = "CODE message"}` table for `text` (see [`make_err_fn`]).
pub fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let (code, msg) = raw::error_parts(text);
    let mut full = Vec::with_capacity(code.len() + 1 + msg.len());
    full.extend_from_slice(code);
    full.push(b' ');
    full.extend_from_slice(msg);
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(&full)?)?;
    Ok(t)
}
