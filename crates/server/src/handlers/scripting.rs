//! EVAL, EVALSHA, their read-only forms, and SCRIPT: the commands that run
//! and manage cached Lua scripts (Redis's `eval.c`). The interpreter and
//! the bridge are in [`crate::scripting`].

use super::{reply, ServerHandler};
use crate::scripting::run::{run_script, Outcome, RunState};
use crate::scripting::{EngineKind, ScriptEngine};
use crate::server::Server;
use lodestone_commands::args::{int, is};
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("eval", eval),
    ("evalsha", evalsha),
    ("eval_ro", eval_ro),
    ("evalsha_ro", evalsha_ro),
    ("script|load", script_load),
    ("script|exists", script_exists),
    ("script|flush", script_flush),
    ("script|kill", script_kill),
    ("script|help", script_help),
];

/// `EVAL script numkeys [key ...] [arg ...]`
fn eval(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    eval_generic(s, key, args, false, false)
}

/// `EVALSHA sha1 numkeys [key ...] [arg ...]`
fn evalsha(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    eval_generic(s, key, args, true, false)
}

/// `EVAL_RO script numkeys [key ...] [arg ...]`
fn eval_ro(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    eval_generic(s, key, args, false, true)
}

/// `EVALSHA_RO sha1 numkeys [key ...] [arg ...]`
fn evalsha_ro(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    eval_generic(s, key, args, true, true)
}

/// The interpreter, created on first use.
fn engine(s: &mut Server) -> Result<&mut ScriptEngine, CmdError> {
    engine_in(&mut s.scripting, EngineKind::Eval)
}

/// The interpreter in `slot`, created there on first use (the EVAL one or
/// the functions one).
pub(super) fn engine_in(
    slot: &mut Option<ScriptEngine>,
    kind: EngineKind,
) -> Result<&mut ScriptEngine, CmdError> {
    if slot.is_none() {
        let engine = ScriptEngine::new(kind)
            .map_err(|e| CmdError::Script(format!("ERR {e}").into_bytes()))?;
        *slot = Some(engine);
    }
    slot.as_mut()
        .ok_or_else(|| CmdError::Script(b"ERR scripting engine unavailable".to_vec()))
}

/// The common body of the EVAL family (Redis's `evalGenericCommand`).
fn eval_generic(
    s: &mut Server,
    key: usize,
    args: &[&[u8]],
    by_sha: bool,
    read_only: bool,
) -> CmdResult {
    // EVAL skips the usual after-command MONITOR feed so that it is shown
    // before the commands its script runs, as Redis shows it.
    if !s.monitors.is_empty() {
        s.feed_monitors(key, args);
    }
    let numkeys = int(args[2])?;
    if numkeys > (args.len() - 3) as i64 {
        return Err(CmdError::NumKeysTooMany);
    }
    if numkeys < 0 {
        return Err(CmdError::NumKeysNegative);
    }
    let numkeys = numkeys as usize;
    let mut sha_buf = [0u8; 40];
    let created;
    let sha: &str = if by_sha {
        // SHA1s are compared case-insensitively; no allocation on this path.
        if args[1].len() != sha_buf.len() {
            return Err(CmdError::NoScript);
        }
        for (d, c) in sha_buf.iter_mut().zip(args[1]) {
            *d = c.to_ascii_lowercase();
        }
        engine(s)?;
        std::str::from_utf8(&sha_buf).map_err(|_| CmdError::NoScript)?
    } else {
        created = engine(s)?
            .create(args[1])
            .map_err(|msg| CmdError::Script(format!("ERR {msg}").into_bytes()))?;
        &created
    };
    let Some(mut engine) = s.scripting.take() else {
        return Err(CmdError::NoScript);
    };
    let Some(script) = engine.scripts.get(sha) else {
        s.scripting = Some(engine);
        return Err(CmdError::NoScript);
    };
    let flags = script.flags;
    if !flags.compat && !flags.no_writes && read_only {
        s.scripting = Some(engine);
        return Err(CmdError::WriteScriptReadOnlyCommand);
    }
    if s.script_refused_for_memory(&flags) {
        s.scripting = Some(engine);
        return Err(CmdError::ScriptOutOfMemory);
    }
    let db = s.clients.get(key).map_or(0, |c| c.db);
    let state = RunState {
        caller: key,
        db,
        resp: 2,
        read_only: read_only || (!flags.compat && flags.no_writes),
        write_dirty: false,
        allow_oom: !flags.compat && flags.allow_oom,
        repl_flags: 3,
        eval: true,
    };
    let outcome = run_script(s, &engine, &script.func, sha, args, numkeys, state);
    engine.after_run();
    s.scripting = Some(engine);
    finish_run(s, key, outcome)
}

/// Replies for a finished EVAL or FCALL run: its error, if it failed (the
/// reply of a successful run is written already).
pub(super) fn finish_run(s: &mut Server, key: usize, outcome: Outcome) -> CmdResult {
    match outcome {
        Outcome::Replied => Ok(()),
        Outcome::Failed {
            text,
            already_counted: true,
        } => {
            // The command inside the script counted this error already;
            // the script's command still counts as failed.
            reply(s, key, |r| r.error_bytes(&text));
            s.handler_failed = true;
            Ok(())
        }
        Outcome::Failed { text, .. } => Err(CmdError::Script(text)),
    }
}

/// `SCRIPT LOAD script`
fn script_load(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let sha = engine(s)?
        .create(args[2])
        .map_err(|msg| CmdError::Script(format!("ERR {msg}").into_bytes()))?;
    reply(s, key, |r| r.bulk(sha.as_bytes()));
    Ok(())
}

/// `SCRIPT EXISTS sha1 [sha1 ...]`
fn script_exists(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let found: Vec<bool> = {
        let scripts = s.scripting.as_ref().map(|e| &e.scripts);
        args[2..]
            .iter()
            .map(|sha| {
                // Redis's script table compares SHA1s case-insensitively.
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                scripts.is_some_and(|m| m.contains_key(&sha))
            })
            .collect()
    };
    reply(s, key, |r| {
        r.array(found.len());
        for f in found {
            r.int(f as i64);
        }
    });
    Ok(())
}

/// `SCRIPT FLUSH [ASYNC|SYNC]`: drops the cache and the interpreter with
/// everything scripts left in it.
fn script_flush(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    match args.len() {
        2 => {}
        3 if is(args[2], "SYNC") || is(args[2], "ASYNC") => {}
        _ => return Err(CmdError::ScriptFlushMode),
    }
    s.scripting = None;
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `SCRIPT KILL`: stops the busy EVAL script (it can only be sent while
/// one is over `busy-reply-threshold`) unless it already wrote.
fn script_kill(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    match s.busy_script.as_mut() {
        None => Err(CmdError::NotBusy),
        Some(b) if b.write_dirty => Err(CmdError::Unkillable),
        Some(b) if !b.eval => Err(CmdError::BusyFunction),
        Some(b) => {
            b.kill_requested = true;
            reply(s, key, |r| r.ok());
            Ok(())
        }
    }
}

/// `SCRIPT HELP`
fn script_help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
    ];
    reply(s, key, |r| reply_help(r, "SCRIPT", LINES));
    Ok(())
}
