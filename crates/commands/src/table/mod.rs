//! The command table: one entry per implemented command and subcommand,
//! joining Redis's static metadata ([`spec::CommandDef`]) with the handler
//! that runs it.
//!
//! Everything that needs to know about commands reads this one table: the
//! dispatcher (arity, flags), `COMMAND` (info, docs, key extraction),
//! statistics (`commandstats` by [`Command::id`]), and later ACL and cluster
//! routing. The handler type is a parameter so the server layer can bind its
//! own handlers without this crate knowing about connections.

pub mod getkeys;
pub mod render;
pub mod spec;

#[rustfmt::skip]
mod defs;

use spec::{acl, flags, key_flags, BeginSearch, CommandDef, FindKeys};
use std::collections::HashMap;

/// Longest command or subcommand name looked up (longer names cannot exist).
const MAX_NAME_LEN: usize = 64;

/// One command (or subcommand) as the server runs it.
pub struct Command<H> {
    /// Static metadata.
    pub def: &'static CommandDef,
    /// `get`, or `client|kill` for subcommands.
    pub fullname: String,
    /// Flags, including the computed `MOVABLE_KEYS`.
    pub flags: u64,
    /// ACL categories including the implied ones (`@write`, `@slow`, ...).
    pub acl_categories: u64,
    /// Legacy `(first, last, step)` key positions of COMMAND INFO.
    pub legacy_keys: (i32, i32, i32),
    /// Position in [`CommandTable::all`]; statistics are indexed by it.
    pub id: usize,
    /// The handler, absent for pure containers like `CONFIG`.
    pub handler: Option<H>,
    /// Subcommand ids by lower-case name.
    pub subcommands: Vec<(String, usize)>,
    /// Id of the container command for subcommands.
    pub parent: Option<usize>,
}

impl<H> Command<H> {
    /// Arity check as Redis does it.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let arity = self.def.arity;
        if arity >= 0 {
            argc == arity as usize
        } else {
            argc >= (-arity) as usize
        }
    }

    /// True when the command has any of `flag`.
    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// True for commands with subcommands.
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }
}

/// Result of resolving a request's first arguments to a command.
pub enum Resolved<'a, H> {
    /// The command (or subcommand) to run.
    Found(&'a Command<H>),
    /// No such command.
    UnknownCommand,
    /// The container exists but the subcommand does not.
    UnknownSubcommand,
}

/// All implemented commands.
pub struct CommandTable<H> {
    all: Vec<Command<H>>,
    /// Top-level command ids by lower-case name (ahash: this lookup runs
    /// for every request).
    top: HashMap<Box<[u8]>, usize, ahash::RandomState>,
}

fn lower(name: &[u8], buf: &mut [u8; MAX_NAME_LEN]) -> Option<usize> {
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(name.len())
}

fn find_def(container: &str, name: &str) -> Option<&'static CommandDef> {
    defs::DEFS
        .iter()
        .find(|d| d.container == container && d.name == name)
}

impl<H> CommandTable<H> {
    /// Builds the table from `(fullname, handler)` pairs, where fullname is
    /// `get` or `config|get`. Containers of registered subcommands are added
    /// without a handler. Panics on a name Redis does not define: that is a
    /// programming error caught by the first test run.
    pub fn build(handlers: impl IntoIterator<Item = (&'static str, H)>) -> CommandTable<H> {
        let mut table = CommandTable {
            all: Vec::new(),
            top: HashMap::default(),
        };
        for (fullname, handler) in handlers {
            match fullname.split_once('|') {
                None => {
                    let id = table.ensure_top(fullname);
                    table.all[id].handler = Some(handler);
                }
                Some((parent, sub)) => {
                    let pid = table.ensure_top(parent);
                    let def = find_def(parent, sub)
                        .unwrap_or_else(|| panic!("unknown subcommand {fullname}"));
                    let id = table.push(def, fullname.to_string(), Some(pid));
                    table.all[id].handler = Some(handler);
                    table.all[pid].subcommands.push((sub.to_string(), id));
                }
            }
        }
        table
    }

    fn ensure_top(&mut self, name: &str) -> usize {
        if let Some(&id) = self.top.get(name.as_bytes()) {
            return id;
        }
        let def = find_def("", name).unwrap_or_else(|| panic!("unknown command {name}"));
        let id = self.push(def, name.to_string(), None);
        self.top.insert(name.as_bytes().into(), id);
        id
    }

    fn push(&mut self, def: &'static CommandDef, fullname: String, parent: Option<usize>) -> usize {
        let (legacy_keys, movable) = legacy_range(def);
        let mut flags = def.flags;
        if movable {
            flags |= flags::MOVABLE_KEYS;
        }
        let id = self.all.len();
        self.all.push(Command {
            def,
            fullname,
            flags,
            acl_categories: implied_categories(def.acl_categories, flags),
            legacy_keys,
            id,
            handler: None,
            subcommands: Vec::new(),
            parent,
        });
        id
    }

    /// Every command and subcommand, indexed by id.
    pub fn all(&self) -> &[Command<H>] {
        &self.all
    }

    /// Top-level commands.
    pub fn top_level(&self) -> impl Iterator<Item = &Command<H>> {
        self.all.iter().filter(|c| c.parent.is_none())
    }

    /// The command with this id.
    pub fn get(&self, id: usize) -> &Command<H> {
        &self.all[id]
    }

    /// A top-level command by name (any case).
    pub fn by_name(&self, name: &[u8]) -> Option<&Command<H>> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let n = lower(name, &mut buf)?;
        self.top.get(&buf[..n]).map(|&id| &self.all[id])
    }

    /// A subcommand of `parent` by name (any case).
    pub fn subcommand(&self, parent: &Command<H>, name: &[u8]) -> Option<&Command<H>> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let n = lower(name, &mut buf)?;
        parent
            .subcommands
            .iter()
            .find(|(s, _)| s.as_bytes() == &buf[..n])
            .map(|&(_, id)| &self.all[id])
    }

    /// A command by full name (`get`, `config|get`), as COMMAND INFO and ACL
    /// name them.
    pub fn by_fullname(&self, fullname: &[u8]) -> Option<&Command<H>> {
        let mut parts = fullname.splitn(2, |&b| b == b'|');
        let top = self.by_name(parts.next()?)?;
        match parts.next() {
            None => Some(top),
            Some(sub) => self.subcommand(top, sub),
        }
    }

    /// Resolves a request to the command it runs, as Redis's `lookupCommand`:
    /// a container with at least one more argument resolves to a subcommand.
    pub fn resolve(&self, args: &[&[u8]]) -> Resolved<'_, H> {
        let Some(base) = args.first().and_then(|n| self.by_name(n)) else {
            return Resolved::UnknownCommand;
        };
        if args.len() == 1 || !base.is_container() {
            return Resolved::Found(base);
        }
        match self.subcommand(base, args[1]) {
            Some(sub) => Resolved::Found(sub),
            None => Resolved::UnknownSubcommand,
        }
    }

    /// Positions of the key arguments of `args` for `cmd` with their key
    /// spec flags (COMMAND GETKEYS, cluster routing), as Redis finds them:
    /// from the key specs, or the command's own rules where the specs do
    /// not suffice. Empty when the arguments are malformed.
    pub fn key_positions(&self, cmd: &Command<H>, args: &[&[u8]]) -> Vec<getkeys::KeyRef> {
        getkeys::find_keys(cmd.def, args)
    }
}

/// Adds the categories Redis implies from flags.
fn implied_categories(explicit: u64, flags: u64) -> u64 {
    let mut c = explicit;
    if flags & flags::WRITE != 0 {
        c |= acl::WRITE;
    }
    if flags & flags::READONLY != 0 && c & acl::SCRIPTING == 0 {
        c |= acl::READ;
    }
    if flags & flags::ADMIN != 0 {
        c |= acl::ADMIN | acl::DANGEROUS;
    }
    if flags & flags::PUBSUB != 0 {
        c |= acl::PUBSUB;
    }
    if flags & flags::FAST != 0 {
        c |= acl::FAST;
    }
    if flags & flags::BLOCKING != 0 {
        c |= acl::BLOCKING;
    }
    if c & acl::FAST == 0 {
        c |= acl::SLOW;
    }
    c
}

/// The legacy `(first, last, step)` triple of COMMAND INFO and whether the
/// command has movable keys, derived from the key specs as Redis does.
fn legacy_range(def: &CommandDef) -> ((i32, i32, i32), bool) {
    let specs = def.key_specs;
    if specs.is_empty() {
        return ((0, 0, 0), false);
    }
    let as_range = |s: &spec::KeySpec| match (&s.begin_search, &s.find_keys) {
        (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) => {
            Some((*pos, *lastkey, *step))
        }
        _ => None,
    };
    let to_triple = |first: i32, last_rel: i32, step: i32| {
        let last = if last_rel >= 0 {
            last_rel + first
        } else {
            last_rel
        };
        (first, last, step)
    };
    if specs.len() == 1 {
        if let Some((pos, last, step)) = as_range(&specs[0]) {
            return (
                to_triple(pos, last, step),
                specs[0].flags & key_flags::INCOMPLETE != 0,
            );
        }
    }
    let mut movable = false;
    let (mut first, mut last, mut prev_last) = (i32::MAX, 0i32, 0i32);
    for s in specs {
        let Some((pos, lastkey, step)) = as_range(s) else {
            movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        if s.flags & key_flags::INCOMPLETE != 0 {
            movable = true;
        }
        first = first.min(pos);
        let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
        // Unsigned comparison, so a negative (relative-to-end) index wins.
        last = if (abs as u32) > (last as u32) {
            abs
        } else {
            last
        };
        prev_last = last;
    }
    if first == i32::MAX {
        return ((0, 0, 0), true);
    }
    let last_rel = if last < 0 { last } else { last - first };
    (to_triple(first, last_rel, 1), movable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CommandTable<()> {
        CommandTable::build(
            [
                "get",
                "set",
                "mset",
                "config|get",
                "object|encoding",
                "zunionstore",
                "getex",
            ]
            .map(|n| (n, ())),
        )
    }

    #[test]
    fn metadata_matches_redis() {
        let t = table();
        let get = t.by_name(b"GeT").unwrap();
        assert_eq!(get.def.arity, 2);
        assert_eq!(get.legacy_keys, (1, 1, 1));
        assert!(get.has(flags::READONLY | flags::FAST));
        assert_eq!(get.acl_categories, acl::READ | acl::STRING | acl::FAST);
        let mset = t.by_name(b"mset").unwrap();
        assert_eq!(mset.legacy_keys, (1, -1, 2));
        let config = t.by_name(b"config").unwrap();
        assert!(config.handler.is_none() && config.is_container());
        assert!(t.by_fullname(b"config|get").unwrap().handler.is_some());
        assert!(t.by_name(b"zunionstore").unwrap().has(flags::MOVABLE_KEYS));
    }

    #[test]
    fn resolution() {
        let t = table();
        let args: [&[u8]; 2] = [b"CONFIG", b"GET"];
        assert!(matches!(t.resolve(&args), Resolved::Found(c) if c.fullname == "config|get"));
        let args: [&[u8]; 2] = [b"config", b"nope"];
        assert!(matches!(t.resolve(&args), Resolved::UnknownSubcommand));
        let args: [&[u8]; 1] = [b"config"];
        assert!(matches!(t.resolve(&args), Resolved::Found(c) if !c.arity_ok(1)));
        let args: [&[u8]; 1] = [b"nosuch"];
        assert!(matches!(t.resolve(&args), Resolved::UnknownCommand));
    }

    #[test]
    fn keys_from_specs() {
        let t = table();
        let z = t.by_name(b"zunionstore").unwrap();
        let args: Vec<&[u8]> = vec![
            b"zunionstore",
            b"dst",
            b"2",
            b"a",
            b"b",
            b"WEIGHTS",
            b"1",
            b"2",
        ];
        let keys: Vec<usize> = t.key_positions(z, &args).into_iter().map(|k| k.0).collect();
        assert_eq!(keys, vec![1, 3, 4]);
        let m = t.by_name(b"mset").unwrap();
        let args: Vec<&[u8]> = vec![b"mset", b"a", b"1", b"b", b"2"];
        let keys: Vec<usize> = t.key_positions(m, &args).into_iter().map(|k| k.0).collect();
        assert_eq!(keys, vec![1, 3]);
    }
}
