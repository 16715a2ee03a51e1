//! The FUNCTION family and FCALL / FCALL_RO (Redis's `functions.c`):
//! loading, listing, dumping and restoring function libraries, and calling
//! their functions. The registry and the loading logic are in
//! [`crate::scripting::functions`].

use super::scripting::{engine_in, finish_run};
use super::{reply, ServerHandler};
use crate::scripting::functions::load::{self, LOAD_TIMEOUT_MS};
use crate::scripting::functions::payload::{self, PayloadError};
use crate::scripting::functions::{Libraries, Library};
use crate::scripting::run::{run_script, RunState};
use crate::scripting::{EngineKind, ScriptEngine};
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::glob;
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("fcall", fcall),
    ("fcall_ro", fcall_ro),
    ("function|load", load),
    ("function|delete", delete),
    ("function|list", list),
    ("function|flush", flush),
    ("function|dump", dump),
    ("function|restore", restore),
    ("function|stats", stats),
    ("function|kill", kill),
    ("function|help", help),
];

/// The flags FUNCTION LIST shows, in Redis's order.
const FLAG_NAMES: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// `FCALL function numkeys [key ...] [arg ...]`
fn fcall(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    fcall_generic(s, key, args, false)
}

/// `FCALL_RO function numkeys [key ...] [arg ...]`
fn fcall_ro(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    fcall_generic(s, key, args, true)
}

/// The common body of FCALL and FCALL_RO (Redis's `fcallCommandGeneric`).
fn fcall_generic(s: &mut Server, key: usize, args: &[&[u8]], read_only: bool) -> CmdResult {
    // Shown in MONITOR before the commands the function runs.
    if !s.monitors.is_empty() {
        s.feed_monitors(key, args);
    }
    let info = s
        .functions
        .libs
        .function(args[1])
        .cloned()
        .ok_or(CmdError::FunctionNotFound)?;
    let numkeys = std::str::from_utf8(args[2])
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(CmdError::BadNumKeys)?;
    if numkeys > (args.len() - 3) as i64 {
        return Err(CmdError::NumKeysTooMany);
    }
    if numkeys < 0 {
        return Err(CmdError::NumKeysNegative);
    }
    if read_only && !info.flags.no_writes {
        return Err(CmdError::WriteScriptReadOnlyCommand);
    }
    if s.script_refused_for_memory(&info.flags) {
        return Err(CmdError::ScriptOutOfMemory);
    }
    let mut engine = s
        .functions
        .engine
        .take()
        .ok_or(CmdError::FunctionNotFound)?;
    let state = RunState {
        caller: key,
        db: s.clients.get(key).map_or(0, |c| c.db),
        resp: 2,
        read_only: read_only || info.flags.no_writes,
        write_dirty: false,
        allow_oom: info.flags.allow_oom,
        repl_flags: 3,
        eval: false,
    };
    let outcome = run_script(
        s,
        &engine,
        &info.func,
        &info.name,
        args,
        numkeys as usize,
        state,
    );
    engine.after_run();
    s.functions.engine = Some(engine);
    finish_run(s, key, outcome)
}

/// The functions interpreter, taken out of the server (created on first
/// use) so that library code can run while the server is borrowed.
fn take_engine(s: &mut Server) -> Result<ScriptEngine, CmdError> {
    engine_in(&mut s.functions.engine, EngineKind::Functions)?;
    s.functions
        .engine
        .take()
        .ok_or_else(|| CmdError::Script(b"ERR scripting engine unavailable".to_vec()))
}

impl Server {
    /// Loads `code` into `libs` (Redis's `functionsCreateWithLibraryCtx`):
    /// metadata, the name not taken unless `replace`, the code run, then
    /// the library linked. Returns the library name. Used by FUNCTION
    /// LOAD and RESTORE and by snapshot loading.
    pub(crate) fn create_library(
        &mut self,
        libs: &mut Libraries,
        code: &[u8],
        replace: bool,
        timeout_ms: u128,
    ) -> Result<String, CmdError> {
        let prepared = load::prepare(code).map_err(CmdError::Library)?;
        if !replace && libs.library(prepared.name.as_bytes()).is_some() {
            return Err(CmdError::Library(format!(
                "Library '{}' already exists",
                prepared.name
            )));
        }
        let engine = take_engine(self)?;
        let compiled = load::compile(self, &engine, prepared, code, timeout_ms);
        self.functions.engine = Some(engine);
        let lib: Library = compiled.map_err(CmdError::Library)?;
        let name = lib.name.clone();
        libs.add(lib, replace).map_err(CmdError::Library)?;
        Ok(name)
    }
}

/// Counts a change of the libraries as a change of the data set (they are
/// saved with it): `rdb_changes_since_last_save` counts it. Libraries are
/// not sharded, so the first shard carries the count.
fn count_change(s: &mut Server) {
    if let Some(shard) = s.engine.shards_mut().first_mut() {
        shard.dirty += 1;
    }
}

/// `FUNCTION LOAD [REPLACE] function-code`
fn load(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut replace = false;
    let mut pos = 2;
    while pos < args.len() - 1 {
        if !is(args[pos], "REPLACE") {
            return Err(CmdError::FunctionLoadOption(args[pos].to_vec()));
        }
        replace = true;
        pos += 1;
    }
    let code = args.get(pos).ok_or(CmdError::FunctionCodeMissing)?;
    let mut libs = std::mem::take(&mut s.functions.libs);
    let created = s.create_library(&mut libs, code, replace, LOAD_TIMEOUT_MS);
    s.functions.libs = libs;
    let name = created?;
    count_change(s);
    reply(s, key, |r| r.bulk(name.as_bytes()));
    Ok(())
}

/// `FUNCTION DELETE library-name`
fn delete(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if !s.functions.libs.delete(args[2]) {
        return Err(CmdError::LibraryNotFound);
    }
    count_change(s);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`
fn list(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        if !with_code && is(args[i], "WITHCODE") {
            with_code = true;
        } else if pattern.is_none() && is(args[i], "LIBRARYNAME") {
            i += 1;
            pattern = Some(args.get(i).ok_or(CmdError::FunctionListNoPattern)?);
        } else {
            return Err(CmdError::FunctionListArgument(args[i].to_vec()));
        }
        i += 1;
    }
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
    let libs: Vec<&Library> = s
        .functions
        .libs
        .iter()
        .filter(|lib| pattern.is_none_or(|p| glob::matches(p, lib.name.as_bytes(), true)))
        .collect();
    r.array(libs.len());
    for lib in libs {
        r.map(if with_code { 4 } else { 3 });
        r.bulk(b"library_name");
        r.bulk(lib.name.as_bytes());
        r.bulk(b"engine");
        r.bulk(b"LUA");
        r.bulk(b"functions");
        r.array(lib.functions.len());
        for f in &lib.functions {
            r.map(3);
            r.bulk(b"name");
            r.bulk(f.name.as_bytes());
            r.bulk(b"description");
            match &f.description {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk(b"flags");
            let flags = f.flags;
            let set = [
                flags.no_writes,
                flags.allow_oom,
                flags.allow_stale,
                flags.no_cluster,
                flags.allow_cross_slot,
            ];
            r.set(set.iter().filter(|&&on| on).count());
            for (name, on) in FLAG_NAMES.iter().zip(set) {
                if on {
                    r.simple(name);
                }
            }
        }
        if with_code {
            r.bulk(b"library_code");
            r.bulk(&lib.code);
        }
    }
    Ok(())
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`
fn flush(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args));
    }
    match args.get(2) {
        None => {}
        Some(a) if is(a, "ASYNC") || is(a, "SYNC") => {}
        Some(_) => return Err(CmdError::FunctionFlushMode),
    }
    s.functions.libs = Libraries::default();
    count_change(s);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `FUNCTION DUMP`
fn dump(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let payload = payload::dump(&s.functions.libs);
    reply(s, key, |r| r.bulk(&payload));
    Ok(())
}

/// How FUNCTION RESTORE treats the libraries already loaded.
#[derive(PartialEq)]
enum Policy {
    /// Drop them all first.
    Flush,
    /// Keep them; a name collision fails the restore.
    Append,
    /// Keep them; a restored library replaces one of the same name.
    Replace,
}

/// `FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]`
fn restore(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let policy = match args.get(3) {
        None => Policy::Append,
        Some(a) if is(a, "APPEND") => Policy::Append,
        Some(a) if is(a, "REPLACE") => Policy::Replace,
        Some(a) if is(a, "FLUSH") => Policy::Flush,
        Some(_) => return Err(CmdError::RestorePolicy),
    };
    let codes = payload::codes(args[2]).map_err(|e| match e {
        PayloadError::Footer => CmdError::BadDumpPayload,
        PayloadError::Body(msg) => CmdError::Library(msg.into()),
    })?;
    let mut restored = Libraries::default();
    for code in &codes {
        s.create_library(&mut restored, code, false, 0)?;
    }
    if policy == Policy::Flush {
        s.functions.libs = restored;
    } else {
        s.functions
            .libs
            .join(restored, policy == Policy::Replace)
            .map_err(CmdError::Library)?;
    }
    count_change(s);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `FUNCTION STATS`: the function running past `busy-reply-threshold`, if
/// any, and the number of libraries and functions per engine.
fn stats(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    if s.busy_script.as_ref().is_some_and(|b| b.eval) {
        return Err(CmdError::BusyScript);
    }
    let running = s.busy_script.as_ref().map(|b| {
        (
            b.name.clone(),
            b.command.clone(),
            b.started.elapsed().as_millis() as i64,
        )
    });
    let (libraries, functions) = (
        s.functions.libs.library_count(),
        s.functions.libs.function_count(),
    );
    reply(s, key, |r| {
        r.map(2);
        r.bulk(b"running_script");
        match running {
            None => r.null(),
            Some((name, command, duration)) => {
                r.map(3);
                r.bulk(b"name");
                r.bulk(name.as_bytes());
                r.bulk(b"command");
                r.bulk_array(command.iter());
                r.bulk(b"duration_ms");
                r.int(duration);
            }
        }
        r.bulk(b"engines");
        r.map(1);
        r.bulk(b"LUA");
        r.map(2);
        r.bulk(b"libraries_count");
        r.int(libraries as i64);
        r.bulk(b"functions_count");
        r.int(functions as i64);
    });
    Ok(())
}

/// `FUNCTION KILL`: stops the busy function unless it already wrote.
fn kill(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    match s.busy_script.as_mut() {
        None => Err(CmdError::NotBusy),
        Some(b) if b.write_dirty => Err(CmdError::Unkillable),
        Some(b) if b.eval => Err(CmdError::BusyScript),
        Some(b) => {
            b.kill_requested = true;
            reply(s, key, |r| r.ok());
            Ok(())
        }
    }
}

/// `FUNCTION HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
    ];
    reply(s, key, |r| reply_help(r, "FUNCTION", LINES));
    Ok(())
}
