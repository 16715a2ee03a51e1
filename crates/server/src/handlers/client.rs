//! The CLIENT command family: connection introspection (ID, INFO, LIST,
//! GETNAME), per-connection settings (SETNAME,
//! SETINFO, REPLY, NO-EVICT, NO-TOUCH) and control of other connections
//! (KILL, PAUSE, UNPAUSE, UNBLOCK).
//!
//! CLIENT LIST lines follow Redis 7.2 field for field, so tools that split
//! them on spaces and `=` (redis-cli, client libraries, the TCL suite) read
//! the same keys. The client-side caching subcommands (TRACKING, CACHING,
//! GETREDIR, TRACKINGINFO) are in `tracking.rs`.

use super::{reply, ServerHandler};
use crate::client::{flags, Client, ReplyMode};
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("client|help", help),
    ("client|id", id),
    ("client|info", info),
    ("client|list", list),
    ("client|getname", getname),
    ("client|setname", setname),
    ("client|setinfo", setinfo),
    ("client|kill", kill),
    ("client|pause", pause),
    ("client|unpause", unpause),
    ("client|reply", reply_mode),
    ("client|no-evict", no_evict),
    ("client|no-touch", no_touch),
    ("client|unblock", unblock),
];

/// Size of Redis's static reply buffer: CLIENT LIST splits pending output
/// into that buffer (`obl`) and reply blocks beyond it (`oll`, `omem`).
const REPLY_CHUNK: usize = 16 * 1024;

/// Kinds of connection as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientType {
    /// Ordinary connections (including MONITOR).
    Normal,
    /// Replicas connected to this server (SYNC/PSYNC connections).
    Replica,
    /// The connection to our master (none without replication).
    Master,
    /// Connections with Pub/Sub subscriptions.
    PubSub,
}

/// Parses a client type name (`slave` is an alias of `replica`).
fn parse_type(name: &[u8]) -> Result<ClientType, CmdError> {
    if is(name, "normal") {
        Ok(ClientType::Normal)
    } else if is(name, "slave") || is(name, "replica") {
        Ok(ClientType::Replica)
    } else if is(name, "pubsub") {
        Ok(ClientType::PubSub)
    } else if is(name, "master") {
        Ok(ClientType::Master)
    } else {
        Err(CmdError::UnknownClientType(lossy(name)))
    }
}

/// The type of a connected client.
fn type_of(c: &Client) -> ClientType {
    if c.has(crate::client::flags::REPLICA) {
        ClientType::Replica
    } else if c.subscription_count() > 0 {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `CLIENT HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
    ];
    reply(s, key, |r| {
        lodestone_commands::help::reply_help(r, "CLIENT", LINES)
    });
    Ok(())
}

/// `CLIENT ID`
fn id(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let id = s.clients.get(key).map_or(0, |c| c.id);
    reply(s, key, |r| r.int(id as i64));
    Ok(())
}

/// `CLIENT INFO`: the caller's CLIENT LIST line.
fn info(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut text = String::new();
    append_info_line(s, key, Some(args), &mut text);
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// `CLIENT LIST [TYPE type | ID id [id ...]]`
fn list(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut keys: Vec<usize> = Vec::new();
    if args.len() == 4 && is(args[2], "type") {
        let wanted = parse_type(args[3])?;
        keys.extend(
            s.clients
                .iter()
                .filter(|(_, c)| type_of(c) == wanted)
                .map(|(k, _)| k),
        );
        sort_by_id(s, &mut keys);
    } else if args.len() > 3 && is(args[2], "id") {
        let mut ids = Vec::with_capacity(args.len() - 3);
        for a in &args[3..] {
            ids.push(parse_i64(a).ok_or(CmdError::InvalidClientId)?);
        }
        // Listed in the order asked, repeated ids repeated, as Redis does.
        keys.extend(
            ids.into_iter()
                .filter_map(|id| u64::try_from(id).ok().and_then(|id| s.client_key(id))),
        );
    } else if args.len() != 2 {
        return Err(CmdError::Syntax);
    } else {
        keys.extend(s.clients.iter().map(|(k, _)| k));
        sort_by_id(s, &mut keys);
    }
    let mut text = String::with_capacity(keys.len() * 320);
    for k in keys {
        append_info_line(s, k, (k == key).then_some(args), &mut text);
    }
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// Orders clients by id, which is connection order as Redis lists them.
fn sort_by_id(s: &Server, keys: &mut [usize]) {
    keys.sort_by_key(|&k| s.clients.get(k).map_or(0, |c| c.id));
}

/// Appends the CLIENT LIST line of client `key` and its newline.
/// `running` holds the arguments of the command being run when `key` is
/// the caller: its query buffer is then the snapshot taken when its
/// commands started, and its arguments count in `argv-mem`.
fn append_info_line(s: &mut Server, key: usize, running: Option<&[&[u8]]>, out: &mut String) {
    use std::fmt::Write;
    let dirty = watch_dirty(s, key);
    let Some(c) = s.clients.get(key) else {
        return;
    };
    let (qbuf, qbuf_cap) = match running {
        Some(_) => c.running_input,
        None => (c.input.buf.len(), c.input.buf.capacity()),
    };
    // Arguments are kept while a command runs or is blocked.
    let (argv_mem, argc) = match (running, &c.blocked) {
        (Some(a), _) => (a.iter().map(|x| x.len()).sum(), a.len()),
        (None, Some(b)) => (b.args.iter().map(Vec::len).sum(), b.args.len()),
        (None, None) => (0, 0),
    };
    let pending = c.pending_output();
    let obl = pending.min(REPLY_CHUNK);
    let omem = output_list_bytes(c);
    let oll = omem.div_ceil(REPLY_CHUNK);
    let tot_mem = memory_with_input(c, qbuf_cap) + argv_mem + argc * std::mem::size_of::<usize>();
    let now_s = s.now_ms / 1000;
    let cmd = c
        .last_cmd
        .map_or("NULL", |id| s.table.get(id).fullname.as_str());
    let events = if pending > 0 && !c.pending_write {
        "rw"
    } else {
        "r"
    };
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
        now_s - c.created_ms / 1000,
        now_s - c.last_interaction_ms / 1000,
        flag_letters(c, dirty),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        c.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
        qbuf,
        qbuf_cap - qbuf,
        argv_mem,
        multi_memory(c),
        c.out.capacity(),
        c.out.len(),
        obl,
        oll,
        omem,
        tot_mem,
        events,
        cmd,
        c.user,
        if c.has(flags::TRACKING) {
            c.tracking_redirect as i64
        } else {
            -1
        },
        c.resp,
        String::from_utf8_lossy(c.lib_name.as_deref().unwrap_or_default()),
        String::from_utf8_lossy(c.lib_ver.as_deref().unwrap_or_default()),
    );
}

/// Bytes of arguments of the client's queued MULTI commands, counted as
/// Redis does (argument lengths plus one pointer per argument).
fn multi_memory(c: &Client) -> usize {
    c.multi.as_ref().map_or(0, |m| {
        m.queued
            .iter()
            .map(|q| {
                q.args.iter().map(Vec::len).sum::<usize>()
                    + q.args.len() * std::mem::size_of::<usize>()
            })
            .sum()
    })
}

/// Pending output beyond the first [`REPLY_CHUNK`] bytes: what Redis keeps
/// in reply blocks (`omem`, and what `client_recent_max_output_buffer`
/// reports).
pub fn output_list_bytes(c: &Client) -> usize {
    c.pending_output().saturating_sub(REPLY_CHUNK)
}

/// Memory a client holds (`tot-mem` of CLIENT LIST, `mem_clients_normal`
/// of INFO): its state, buffers, queued transaction and subscriptions.
pub fn memory_usage(c: &Client) -> usize {
    memory_with_input(c, c.input.buf.capacity())
}

/// [`memory_usage`] with the input buffer's capacity given (the running
/// client's buffer is moved out of it).
fn memory_with_input(c: &Client, input_capacity: usize) -> usize {
    let subscriptions: usize = c
        .channels
        .iter()
        .chain(c.patterns.iter())
        .chain(c.shard_channels.iter())
        .map(|n| n.len() + std::mem::size_of::<usize>())
        .sum();
    std::mem::size_of::<Client>()
        + input_capacity
        + c.out.capacity()
        + multi_memory(c)
        + subscriptions
}

/// True when a key the client WATCHes was modified (the `d` flag).
fn watch_dirty(s: &mut Server, key: usize) -> bool {
    let Some(id) = s.clients.get(key).map(|c| c.id) else {
        return false;
    };
    s.engine
        .shards_mut()
        .iter_mut()
        .any(|ks| ks.watch_registry().is_dirty(id))
}

/// The `flags=` letters of CLIENT LIST, in Redis's order.
fn flag_letters(c: &Client, dirty: bool) -> String {
    let mut f = String::new();
    if c.has(flags::MONITOR) {
        f.push('O');
    }
    if c.subscription_count() > 0 {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.has(flags::BLOCKED) {
        f.push('b');
    }
    for (flag, letter) in [
        (flags::TRACKING, 't'),
        (flags::TRACKING_BROKEN_REDIR, 'R'),
        (flags::TRACKING_BCAST, 'B'),
    ] {
        if c.has(flag) {
            f.push(letter);
        }
    }
    if dirty {
        f.push('d');
    }
    if c.has(flags::CLOSE_AFTER_REPLY) {
        f.push('c');
    }
    if c.has(flags::CLOSE_ASAP) {
        f.push('A');
    }
    if c.has(flags::UNIX_SOCKET) {
        f.push('U');
    }
    if c.has(flags::NO_EVICT) {
        f.push('e');
    }
    if c.has(flags::NO_TOUCH) {
        f.push('T');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// `CLIENT GETNAME`
fn getname(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let name = s.clients.get(key).and_then(|c| c.name.clone());
    reply(s, key, |r| match &name {
        Some(n) => r.bulk(n),
        None => r.null(),
    });
    Ok(())
}

/// `CLIENT SETNAME name`: an empty name removes the name.
fn setname(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    super::connection::validate_client_name(args[2])?;
    if let Some(c) = s.clients.get_mut(key) {
        c.name = (!args[2].is_empty()).then(|| args[2].to_vec());
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CLIENT SETINFO LIB-NAME|LIB-VER value`: an empty value removes it.
fn setinfo(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let (attr, value) = (args[2], args[3]);
    let lib_name = if is(attr, "lib-name") {
        true
    } else if is(attr, "lib-ver") {
        false
    } else {
        return Err(CmdError::UnknownClientInfoAttribute(lossy(attr)));
    };
    if !value.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        return Err(CmdError::InvalidClientInfo(lossy(attr)));
    }
    if let Some(c) = s.clients.get_mut(key) {
        let v = (!value.is_empty()).then(|| value.to_vec());
        if lib_name {
            c.lib_name = v;
        } else {
            c.lib_ver = v;
        }
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// What CLIENT KILL matches; every given criterion must hold.
#[derive(Default)]
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    kind: Option<ClientType>,
    id: Option<u64>,
    user: Option<&'a [u8]>,
    skip_me: bool,
}

impl KillFilter<'_> {
    fn matches(&self, c: &Client, is_me: bool) -> bool {
        self.addr.is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == c.laddr.as_bytes())
            && self.kind.is_none_or(|t| t == type_of(c))
            && self.id.is_none_or(|id| id == c.id)
            && self.user.is_none_or(|u| u == c.user.as_bytes())
            && !(is_me && self.skip_me)
    }
}

/// True when an ACL user of that name exists. Without ACL users beyond
/// `default`, those are `default` and any user a connection runs as.
fn user_exists(s: &Server, name: &[u8]) -> bool {
    name == b"default" || s.clients.iter().any(|(_, c)| c.user.as_bytes() == name)
}

/// `CLIENT KILL addr` or `CLIENT KILL [ID id] [TYPE type] [USER user]
/// [ADDR addr] [LADDR laddr] [SKIPME yes|no] ...`. The old form answers
/// OK or an error and may kill the caller; the new form answers how many
/// connections it closed and skips the caller unless `SKIPME no`.
fn kill(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let old_form = args.len() == 3;
    let mut filter = KillFilter {
        skip_me: !old_form,
        ..KillFilter::default()
    };
    if old_form {
        filter.addr = Some(args[2]);
    } else {
        let mut i = 2;
        while i < args.len() {
            let (opt, Some(&value)) = (args[i], args.get(i + 1)) else {
                return Err(CmdError::Syntax);
            };
            if is(opt, "id") {
                match parse_i64(value) {
                    Some(id) if id > 0 => filter.id = Some(id as u64),
                    _ => return Err(CmdError::ClientIdNotPositive),
                }
            } else if is(opt, "type") {
                filter.kind = Some(parse_type(value)?);
            } else if is(opt, "addr") {
                filter.addr = Some(value);
            } else if is(opt, "laddr") {
                filter.laddr = Some(value);
            } else if is(opt, "user") {
                if !user_exists(s, value) {
                    return Err(CmdError::NoSuchUser(lossy(value)));
                }
                filter.user = Some(value);
            } else if is(opt, "skipme") {
                filter.skip_me = if is(value, "yes") {
                    true
                } else if is(value, "no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                };
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let victims: Vec<usize> = s
        .clients
        .iter()
        .filter(|&(k, c)| filter.matches(c, k == key))
        .map(|(k, _)| k)
        .collect();
    let killed = victims.len();
    let mut kill_me = false;
    for k in victims {
        if k == key {
            kill_me = true;
        } else if s.clients.get(k).is_some_and(|c| c.has(flags::CLOSE_ASAP)) {
            // Already queued for closing; closing it again here could hit
            // another client reusing its slot later in this iteration.
        } else {
            s.close_client(k);
        }
    }
    if old_form {
        if killed == 0 {
            return Err(CmdError::NoSuchClient);
        }
        reply(s, key, |r| r.ok());
    } else {
        reply(s, key, |r| r.int(killed as i64));
    }
    if kill_me {
        if let Some(c) = s.clients.get_mut(key) {
            c.flags |= flags::CLOSE_AFTER_REPLY;
        }
    }
    Ok(())
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`: holds all commands, or only
/// writes, for `timeout` milliseconds. Pauses combine: the later deadline
/// and the more restrictive kind win.
fn pause(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let mut write_only = false;
    if let Some(mode) = args.get(3) {
        if is(mode, "write") {
            write_only = true;
        } else if !is(mode, "all") {
            return Err(CmdError::PauseMode);
        }
    }
    let timeout = parse_i64(args[2]).ok_or(CmdError::InvalidTimeout)?;
    if timeout < 0 {
        return Err(CmdError::NegativeTimeout);
    }
    let now = crate::server::unix_ms();
    let until = if timeout > 0 {
        now.checked_add(timeout)
            .ok_or(CmdError::TimeoutOutOfRange)?
    } else {
        0
    };
    // A deadline already past starts nothing, but still upgrades the kind
    // of a pause in effect.
    if until > now || s.pause.is_some() {
        s.pause_clients(until, write_only);
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CLIENT UNPAUSE`
fn unpause(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.unpause();
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CLIENT REPLY ON|OFF|SKIP`: OFF and SKIP have no reply themselves; the
/// dispatcher drops replies according to the mode set here.
fn reply_mode(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if is(args[2], "on") {
        c.reply_mode = ReplyMode::On;
        reply(s, key, |r| r.ok());
    } else if is(args[2], "off") {
        c.reply_mode = ReplyMode::Off;
    } else if is(args[2], "skip") {
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// Sets or clears a client flag from an `ON|OFF` argument.
fn on_off_flag(s: &mut Server, key: usize, arg: &[u8], flag: u32) -> CmdResult {
    let on = if is(arg, "on") {
        true
    } else if is(arg, "off") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    if let Some(c) = s.clients.get_mut(key) {
        if on {
            c.flags |= flag;
        } else {
            c.flags &= !flag;
        }
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CLIENT NO-EVICT ON|OFF`: exempts the connection from client eviction.
fn no_evict(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    on_off_flag(s, key, args[2], flags::NO_EVICT)
}

/// `CLIENT NO-TOUCH ON|OFF`: the connection's commands do not update
/// keys' access time (except TOUCH).
fn no_touch(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    on_off_flag(s, key, args[2], flags::NO_TOUCH)
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: ends a blocking command as if it
/// timed out (or with an `-UNBLOCKED` error); 1 if the client was blocked,
/// 0 otherwise.
fn unblock(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::subcommand_syntax(args));
    }
    let mut with_error = false;
    if let Some(reason) = args.get(3) {
        if is(reason, "error") {
            with_error = true;
        } else if !is(reason, "timeout") {
            return Err(CmdError::UnblockReason);
        }
    }
    let id = parse_i64(args[2]).ok_or(CmdError::NotInteger)?;
    let target = u64::try_from(id)
        .ok()
        .and_then(|id| s.client_key(id))
        .filter(|&k| s.clients.get(k).is_some_and(|c| c.has(flags::BLOCKED)));
    match target {
        Some(k) if with_error => s.unblock_with_error(k),
        Some(k) => s.unblock_with_timeout(k),
        None => {}
    }
    reply(s, key, |r| r.int(target.is_some() as i64));
    Ok(())
}
