//! `COMMAND INFO` and `COMMAND DOCS` replies, shaped exactly as Redis 7.2
//! shapes them (clients parse these to route requests and show help).

use super::spec::{acl, flags, key_flags, Arg, BeginSearch, FindKeys, KeySpec};
use super::{Command, CommandTable};
use lodestone_protocol::Reply;

/// Writes the COMMAND INFO entry of `cmd` (a 10-element array).
pub fn info<H>(table: &CommandTable<H>, cmd: &Command<H>, out: &mut Reply) {
    let (first, last, step) = cmd.legacy_keys;
    out.array(10);
    out.bulk(cmd.fullname.as_bytes());
    out.int(cmd.def.arity as i64);
    let shown: Vec<&str> = flags::SHOWN
        .iter()
        .filter(|(b, _)| cmd.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(shown.len());
    for name in shown {
        out.simple(name);
    }
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats: Vec<&str> = acl::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| cmd.acl_categories & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(cats.len());
    for c in cats {
        out.simple(&format!("@{c}"));
    }
    out.set(cmd.def.tips.len());
    for tip in cmd.def.tips {
        out.bulk(tip.as_bytes());
    }
    out.set(cmd.def.key_specs.len());
    for spec in cmd.def.key_specs {
        key_spec(spec, out);
    }
    out.array(cmd.subcommands.len());
    for &(_, id) in &cmd.subcommands {
        info(table, table.get(id), out);
    }
}

/// Writes key spec flags as the set of names Redis shows (COMMAND INFO
/// key specs, COMMAND GETKEYSANDFLAGS).
pub fn key_flag_set(flags: u32, out: &mut Reply) {
    let shown: Vec<&str> = key_flags::SHOWN
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(shown.len());
    for name in shown {
        out.simple(name);
    }
}

fn key_spec(spec: &KeySpec, out: &mut Reply) {
    out.map(if spec.notes.is_empty() { 3 } else { 4 });
    if !spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    key_flag_set(spec.flags, out);
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match &spec.begin_search {
        BeginSearch::Index(pos) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(*pos as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(*startfrom as i64);
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match &spec.find_keys {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"lastkey");
            out.int(*lastkey as i64);
            out.bulk(b"keystep");
            out.int(*step as i64);
            out.bulk(b"limit");
            out.int(*limit as i64);
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(*keynumidx as i64);
            out.bulk(b"firstkey");
            out.int(*firstkey as i64);
            out.bulk(b"keystep");
            out.int(*step as i64);
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// Writes the COMMAND DOCS map of `cmd` (without its name).
pub fn docs<H>(table: &CommandTable<H>, cmd: &Command<H>, out: &mut Reply) {
    let d = cmd.def;
    let present = |s: &str| !s.is_empty();
    let mut len = 1;
    len += present(d.summary) as usize + present(d.since) as usize + present(d.complexity) as usize;
    len += (d.doc_flags != 0) as usize
        + present(d.deprecated_since) as usize
        + present(d.replaced_by) as usize;
    len +=
        !d.history.is_empty() as usize + !d.args.is_empty() as usize + cmd.is_container() as usize;
    out.map(len);
    if present(d.summary) {
        out.bulk(b"summary");
        out.bulk(d.summary.as_bytes());
    }
    if present(d.since) {
        out.bulk(b"since");
        out.bulk(d.since.as_bytes());
    }
    out.bulk(b"group");
    out.bulk(d.group.as_bytes());
    if present(d.complexity) {
        out.bulk(b"complexity");
        out.bulk(d.complexity.as_bytes());
    }
    if d.doc_flags != 0 {
        out.bulk(b"doc_flags");
        let names: Vec<&str> = [(1u8, "deprecated"), (2, "syscmd")]
            .iter()
            .filter(|(b, _)| d.doc_flags & b != 0)
            .map(|(_, n)| *n)
            .collect();
        out.set(names.len());
        for n in names {
            out.simple(n);
        }
    }
    if present(d.deprecated_since) {
        out.bulk(b"deprecated_since");
        out.bulk(d.deprecated_since.as_bytes());
    }
    if present(d.replaced_by) {
        out.bulk(b"replaced_by");
        out.bulk(d.replaced_by.as_bytes());
    }
    if !d.history.is_empty() {
        out.bulk(b"history");
        out.set(d.history.len());
        for (since, change) in d.history {
            out.array(2);
            out.bulk(since.as_bytes());
            out.bulk(change.as_bytes());
        }
    }
    if !d.args.is_empty() {
        out.bulk(b"arguments");
        args(d.args, out);
    }
    if cmd.is_container() {
        out.bulk(b"subcommands");
        out.map(cmd.subcommands.len());
        for &(_, id) in &cmd.subcommands {
            let sub = table.get(id);
            out.bulk(sub.fullname.as_bytes());
            docs(table, sub, out);
        }
    }
}

fn args(list: &[Arg], out: &mut Reply) {
    out.array(list.len());
    for a in list {
        let nested = a.kind == "oneof" || a.kind == "block";
        let mut len = 2;
        len += (a.key_spec_index != -1) as usize
            + !a.token.is_empty() as usize
            + !a.since.is_empty() as usize;
        len += !a.deprecated_since.is_empty() as usize + (a.flags != 0) as usize + 1;
        out.map(len);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.kind.as_bytes());
        if !nested {
            out.bulk(b"display_text");
            out.bulk(
                if a.display.is_empty() {
                    a.name
                } else {
                    a.display
                }
                .as_bytes(),
            );
        }
        if a.key_spec_index != -1 {
            out.bulk(b"key_spec_index");
            out.int(a.key_spec_index as i64);
        }
        if !a.token.is_empty() {
            out.bulk(b"token");
            out.bulk(a.token.as_bytes());
        }
        if !a.since.is_empty() {
            out.bulk(b"since");
            out.bulk(a.since.as_bytes());
        }
        if !a.deprecated_since.is_empty() {
            out.bulk(b"deprecated_since");
            out.bulk(a.deprecated_since.as_bytes());
        }
        if a.flags != 0 {
            out.bulk(b"flags");
            let names: Vec<&str> = [(1u8, "optional"), (2, "multiple"), (4, "multiple_token")]
                .iter()
                .filter(|(b, _)| a.flags & b != 0)
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if nested {
            out.bulk(b"arguments");
            args(a.args, out);
        }
    }
}
