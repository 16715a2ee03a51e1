//! The COMMAND family: what the server implements and how to call it.
//! Clients read COMMAND INFO/DOCS to route requests and show help, and
//! COMMAND GETKEYS to find keys, so replies follow Redis 7.2 exactly. Only
//! implemented commands are listed: the table holds nothing else.

use super::{reply, ServerHandler};
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::glob::Pattern;
use lodestone_commands::help::reply_help;
use lodestone_commands::table::spec::{acl, flags};
use lodestone_commands::table::{getkeys, render, Resolved};
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("command", all),
    ("command|count", count),
    ("command|info", info),
    ("command|docs", docs),
    ("command|list", list),
    ("command|getkeys", getkeys_cmd),
    ("command|getkeysandflags", getkeysandflags),
    ("command|help", help),
];

/// `COMMAND`: the INFO entry of every command.
fn all(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let table = &s.table;
    if let Some(c) = s.clients.get_mut(key) {
        let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
        r.array(table.top_level().count());
        for cmd in table.top_level() {
            render::info(table, cmd, &mut r);
        }
    }
    Ok(())
}

/// `COMMAND COUNT`: the number of top-level commands.
fn count(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let n = s.table.top_level().count() as i64;
    reply(s, key, |r| r.int(n));
    Ok(())
}

/// `COMMAND INFO [name ...]`: one entry per name (`container|sub` for
/// subcommands), null for unknown names; every command without names.
fn info(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() == 2 {
        return all(s, key, args);
    }
    let table = &s.table;
    if let Some(c) = s.clients.get_mut(key) {
        let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
        r.array(args.len() - 2);
        for name in &args[2..] {
            match table.by_fullname(name) {
                Some(cmd) => render::info(table, cmd, &mut r),
                None => r.null(),
            }
        }
    }
    Ok(())
}

/// `COMMAND DOCS [name ...]`: a map of name to documentation; unknown
/// names are left out.
fn docs(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let table = &s.table;
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
    if args.len() == 2 {
        r.map(table.top_level().count());
        for cmd in table.top_level() {
            r.bulk(cmd.fullname.as_bytes());
            render::docs(table, cmd, &mut r);
        }
        return Ok(());
    }
    let found: Vec<_> = args[2..]
        .iter()
        .filter_map(|n| table.by_fullname(n))
        .collect();
    r.map(found.len());
    for cmd in found {
        r.bulk(cmd.fullname.as_bytes());
        render::docs(table, cmd, &mut r);
    }
    Ok(())
}

/// A COMMAND LIST filter.
enum Filter {
    /// `MODULE name`: no modules exist, so nothing matches.
    Module,
    /// `ACLCAT category` (bit 0 for an unknown category: nothing matches).
    AclCat(u64),
    /// `PATTERN glob`, matched against full names without case.
    Pattern(Pattern),
}

impl Filter {
    fn keeps(&self, fullname: &str, categories: u64) -> bool {
        match self {
            Filter::Module => false,
            Filter::AclCat(bit) => categories & bit != 0,
            Filter::Pattern(p) => p.matches(fullname.as_bytes()),
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE m | ACLCAT cat | PATTERN p]`: full names
/// of commands and subcommands.
fn list(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut filter = None;
    let mut i = 2;
    while i < args.len() {
        if !(is(args[i], "filterby") && args.len() - 1 - i == 2) {
            return Err(CmdError::Syntax);
        }
        let arg = args[i + 2];
        filter = Some(if is(args[i + 1], "module") {
            Filter::Module
        } else if is(args[i + 1], "aclcat") {
            let bit = acl::NAMES
                .iter()
                .position(|n| arg.eq_ignore_ascii_case(n.as_bytes()))
                .map_or(0, |b| 1u64 << b);
            Filter::AclCat(bit)
        } else if is(args[i + 1], "pattern") {
            Filter::Pattern(Pattern::new(arg, true))
        } else {
            return Err(CmdError::Syntax);
        });
        i += 3;
    }
    let names: Vec<String> = s
        .table
        .top_level()
        .flat_map(|top| {
            std::iter::once(top).chain(top.subcommands.iter().map(|&(_, id)| s.table.get(id)))
        })
        .filter(|c| {
            filter
                .as_ref()
                .is_none_or(|f| f.keeps(&c.fullname, c.acl_categories))
        })
        .map(|c| c.fullname.clone())
        .collect();
    reply(s, key, |r| r.bulk_array(names));
    Ok(())
}

/// `COMMAND GETKEYS command arg ...`
fn getkeys_cmd(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    get_keys(s, key, args, false)
}

/// `COMMAND GETKEYSANDFLAGS command arg ...`
fn getkeysandflags(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    get_keys(s, key, args, true)
}

/// The keys of the request in `args[2..]`, optionally with their flags.
fn get_keys(s: &mut Server, key: usize, args: &[&[u8]], with_flags: bool) -> CmdResult {
    let request = &args[2..];
    let cmd = match s.table.resolve(request) {
        Resolved::Found(cmd) => cmd,
        _ => return Err(CmdError::InvalidCommandSpecified),
    };
    if !getkeys::has_keys(cmd.def) {
        return Err(CmdError::NoKeyArguments);
    }
    if !cmd.arity_ok(request.len()) {
        return Err(CmdError::InvalidKeyArgumentCount);
    }
    let keys = s.table.key_positions(cmd, request);
    if keys.is_empty() && !cmd.has(flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::InvalidKeyArguments);
    }
    reply(s, key, |r| {
        r.array(keys.len());
        for (pos, key_flags) in keys {
            if with_flags {
                r.array(2);
                r.bulk(request[pos]);
                render::key_flag_set(key_flags, r);
            } else {
                r.bulk(request[pos]);
            }
        }
    });
    Ok(())
}

/// `COMMAND HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
    ];
    reply(s, key, |r| reply_help(r, "COMMAND", LINES));
    Ok(())
}
