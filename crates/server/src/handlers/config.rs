//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP.

use super::{reply, ServerHandler};
use crate::config::registry::HIDDEN;
use crate::config::{rewrite, Config};
use crate::server::Server;
use lodestone_commands::{CmdError, CmdResult};
use std::collections::HashSet;

/// The CONFIG subcommands.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("config|get", get),
    ("config|set", set),
    ("config|resetstat", resetstat),
    ("config|rewrite", rewrite_cmd),
    ("config|help", help),
];

/// `CONFIG GET pattern [pattern ...]`: a map of every matching parameter to
/// its value. A pattern without glob characters names one parameter or
/// alias (hidden ones included) and is answered under the name as given;
/// glob patterns match names and aliases, except hidden parameters, in any
/// case. Each name appears once.
fn get(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut seen: HashSet<String> = HashSet::new();
    let mut found: Vec<(String, usize)> = Vec::new();
    for pattern in &args[2..] {
        if !pattern.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
            let name = String::from_utf8_lossy(pattern).into_owned();
            if let Some(i) = s.config.lookup(&name) {
                if seen.insert(name.to_ascii_lowercase()) {
                    found.push((name, i));
                }
            }
            continue;
        }
        for (name, i) in Config::names() {
            if s.config.def(i).has(HIDDEN) || seen.contains(name) {
                continue;
            }
            if lodestone_commands::glob::matches(pattern, name.as_bytes(), true) {
                seen.insert(name.to_string());
                found.push((name.to_string(), i));
            }
        }
    }
    let values: Vec<String> = found.iter().map(|(_, i)| s.config.format(*i)).collect();
    reply(s, key, |r| {
        r.map(found.len());
        for ((name, _), v) in found.iter().zip(&values) {
            r.bulk(name.as_bytes());
            r.bulk(v.as_bytes());
        }
    });
    Ok(())
}

/// `CONFIG SET name value [name value ...]`: all or nothing.
fn set(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    s.config_set(key, &pairs)?;
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CONFIG RESETSTAT`: zeroes the INFO statistics, command and error
/// statistics, keyspace hit/miss/expiry/eviction counters, the eviction
/// times and the lazyfree count.
fn resetstat(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.stats.reset();
    s.eviction.reset_stats();
    for c in s.cmd_stats.iter_mut() {
        *c = Default::default();
    }
    for ks in s.engine.shards_mut() {
        ks.stats = Default::default();
        ks.lazyfree().reset_stats();
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CONFIG REWRITE`: writes the configuration back to the file the server
/// was started with.
fn rewrite_cmd(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let Some(path) = s.config.file.clone() else {
        return Err(CmdError::NoConfigFile);
    };
    if let Err(e) = rewrite::rewrite_file(&path, &s.config, false) {
        let text = crate::config::special::os_error_text(&e);
        s.log_warning(&format!("CONFIG REWRITE failed: {text}"));
        return Err(CmdError::ConfigRewriteFailed(text));
    }
    s.log_notice("CONFIG REWRITE executed with success.");
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CONFIG HELP`.
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
    ];
    reply(s, key, |r| {
        lodestone_commands::help::reply_help(r, "CONFIG", LINES)
    });
    Ok(())
}
