//! DEBUG: the test suite's and developers' window into the server
//! (value internals, digests, canned protocol replies, allocator
//! controls) and levers over it (sleeping, pausing expiry or the periodic
//! task, filling the keyspace).
//!
//! DEBUG is a protected command: the dispatcher refuses it unless
//! `enable-debug-command` is `yes`, or `local` and the client is on the
//! loopback interface ([`Server::protected_command_allowed`]). RELOAD and
//! LOADAOF reload the data set from the RDB file and the AOF. Subcommands
//! that need subsystems Lodestone does not have (CLUSTERLINK a cluster,
//! the crash commands a crash handler) are not offered: they answer like
//! unknown subcommands.

mod digest;
mod mallctl;
mod object;
mod protocol;
mod sha1;

use super::{reply, ServerHandler};
use crate::client::flags;
use crate::server::Server;
use lodestone_commands::help::reply_help;
use lodestone_commands::table::getkeys::atoi;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_storage::Value;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[("debug", debug)];

/// Largest QUICKLIST-PACKED-THRESHOLD: a little under 4 GB.
const MAX_PACKED_THRESHOLD: u64 = (1 << 32) - (1 << 20);
/// QUICKLIST-PACKED-THRESHOLD when set to 0: 1 GB.
pub const DEFAULT_PACKED_THRESHOLD: u64 = 1 << 30;

impl Server {
    /// Whether client `key` may run a protected command (DEBUG, MODULE):
    /// the command's `enable-*-command` setting is `yes`, or `local` and
    /// the client connects from this machine.
    pub fn protected_command_allowed(&self, key: usize, setting: &str) -> bool {
        match setting {
            "yes" => true,
            "local" => self
                .clients
                .get(key)
                .is_some_and(|c| c.has(flags::UNIX_SOCKET) || is_loopback(&c.addr)),
            _ => false,
        }
    }

    /// The refusal of a protected command named `name` (`DEBUG`) guarded
    /// by the parameter `param`.
    pub fn protected_command_refusal(name: &str, param: &str) -> CmdError {
        CmdError::CommandDisabled(format!(
            "{name} command not allowed. If the {param} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
        ))
    }
}

/// True for `127.*` and `::1` peers (`ip:port`, IPv6 possibly bracketed).
fn is_loopback(addr: &str) -> bool {
    let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.starts_with("127.") || ip == "::1"
}

/// The leading floating-point number of `s`, as C's `strtod` reads it
/// (0 when there is none).
fn strtod(s: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(s);
    let text = text.trim_start();
    let candidate: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .take(400)
        .collect();
    (1..=candidate.len())
        .rev()
        .find_map(|n| candidate.get(..n)?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// `DEBUG <subcommand> ...`
fn debug(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let sub = args[1];
    let argc = args.len();
    let name = String::from_utf8_lossy(sub).to_ascii_lowercase();
    match (name.as_str(), argc) {
        ("help", 2) => help(s, key),
        ("log", 3) => {
            s.log_warning(&format!("DEBUG LOG: {}", String::from_utf8_lossy(args[2])));
            ok(s, key)
        }
        ("object", 3) => object::object(s, key, args[2]),
        ("listpack", 3) => object::encoding_dump(s, key, args[2], "listpack", "Listpack"),
        ("quicklist", 3 | 4) => object::encoding_dump(s, key, args[2], "quicklist", "Quicklist"),
        ("populate", 3..=5) => populate(s, key, args),
        ("digest", 2) => {
            let d = digest::hex(&digest::dataset(s));
            reply(s, key, |r| r.simple(&d));
            Ok(())
        }
        ("digest-value", _) => {
            let db = s.clients.get(key).map_or(0, |c| c.db);
            let digests: Vec<String> = args[2..]
                .iter()
                .map(|k| digest::hex(&digest::value(s, db, k)))
                .collect();
            reply(s, key, |r| {
                r.array(digests.len());
                for d in &digests {
                    r.simple(d);
                }
            });
            Ok(())
        }
        ("protocol", 3) => protocol::protocol(s, key, args[2]),
        ("sleep", 3) => {
            let micros = strtod(args[2]) * 1_000_000.0;
            if micros >= 1.0 {
                // Blocks the whole server on purpose, as in Redis: tests
                // use it to simulate a slow command.
                std::thread::sleep(std::time::Duration::from_micros(micros as u64));
            }
            ok(s, key)
        }
        ("set-active-expire", 3) => {
            s.active_expire = atoi(args[2]) != 0;
            ok(s, key)
        }
        ("set-skip-checksum-validation", 3) => {
            s.settings.skip_checksum_validation = atoi(args[2]) != 0;
            ok(s, key)
        }
        ("quicklist-packed-threshold", 3) => {
            let size = std::str::from_utf8(args[2])
                .ok()
                .and_then(crate::config::cparse::memtoull)
                .filter(|&n| n <= MAX_PACKED_THRESHOLD)
                .ok_or_else(|| {
                    CmdError::Debug(
                        "argument must be a memory value bigger than 1 and smaller than 4gb".into(),
                    )
                })?;
            s.quicklist_packed_threshold = if size == 0 {
                DEFAULT_PACKED_THRESHOLD
            } else {
                size
            };
            for ks in s.engine.shards_mut() {
                ks.config.list.packed_threshold = s.quicklist_packed_threshold as usize;
            }
            ok(s, key)
        }
        ("error", 3) => Err(CmdError::Verbatim(
            String::from_utf8_lossy(args[2]).into_owned(),
        )),
        ("change-repl-id", 2) => {
            s.log_notice("Changing replication IDs after receiving DEBUG change-repl-id");
            s.replid = crate::server::random_hex_id();
            ok(s, key)
        }
        ("stringmatch-test", 2) => {
            stringmatch_fuzz();
            reply(s, key, |r| {
                r.simple("Apparently Redis did not crash: test passed")
            });
            Ok(())
        }
        ("set-disable-deny-scripts", 3) => {
            s.script_disable_deny_script = atoi(args[2]) != 0;
            ok(s, key)
        }
        ("config-rewrite-force-all", 2) => config_rewrite_force_all(s, key),
        ("mallctl", 3..) => {
            let ctl =
                mallctl::name(args[2]).ok_or(CmdError::Debug(mallctl::strerror(libc::EINVAL)))?;
            let value = match args.get(3) {
                Some(v) => Some(parse_i64(v).ok_or(CmdError::NotInteger)?),
                None => None,
            };
            mallctl_reply(s, key, mallctl::int(&ctl, value))
        }
        ("mallctl-str", 3..) => {
            let ctl =
                mallctl::name(args[2]).ok_or(CmdError::Debug(mallctl::strerror(libc::EINVAL)))?;
            mallctl_reply(s, key, mallctl::string(&ctl, args.get(3).copied()))
        }
        ("reload", _) => s.debug_reload(key, args),
        ("loadaof", 2) => s.debug_loadaof(key),
        ("aof-flush-sleep", 3) => {
            s.aof.flush_sleep_us = atoi(args[2]).max(0) as u64;
            ok(s, key)
        }
        ("pause-cron", 3) => {
            s.pause_cron = atoi(args[2]) != 0;
            ok(s, key)
        }
        _ => Err(CmdError::subcommand_syntax(args)),
    }
}

fn ok(s: &mut Server, key: usize) -> CmdResult {
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `DEBUG HELP`: the subcommands Lodestone offers, in Redis's words.
fn help(s: &mut Server, key: usize) -> CmdResult {
    const LINES: &[&str] = &[
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "MALLCTL <key> [<val>]",
        "    Get or set a malloc tuning integer.",
        "MALLCTL-STR <key> [<val>]",
        "    Get or set a malloc tuning string.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
    ];
    reply(s, key, |r| reply_help(r, "DEBUG", LINES));
    Ok(())
}

/// Physical memory of the machine (bytes).
fn system_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64).saturating_mul(size.max(0) as u64)
}

/// Longest key or value name POPULATE builds (Redis formats into 128 bytes).
const POPULATE_NAME_MAX: usize = 127;

/// `DEBUG POPULATE count [prefix] [size]`: adds string keys
/// `prefix:0..count` (default prefix `key`) holding `value:N`, padded with
/// zero bytes or cut to `size` when given. Existing keys are left alone.
fn populate(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    // Redis reads both numbers with one message for any bad value.
    let positive = |a: &[u8]| {
        parse_i64(a)
            .filter(|&n| n >= 0)
            .ok_or(CmdError::MustBePositive)
    };
    let count = positive(args[2])?;
    let size = match args.get(4) {
        Some(a) => positive(a)? as u64,
        None => 0,
    };
    // Redis sizes the table first and fails when that cannot be allocated;
    // refuse what could never fit rather than exhaust memory.
    let table_bytes = (count as u64)
        .checked_next_power_of_two()
        .unwrap_or(u64::MAX)
        .saturating_mul(8);
    let value_bytes = (count as u64).saturating_mul(size);
    if table_bytes > system_memory() || value_bytes > system_memory() {
        return Err(CmdError::Debug("OOM in dictTryExpand".into()));
    }
    let prefix: &[u8] = args.get(3).copied().unwrap_or(b"key");
    let Some(db) = s.clients.get(key).map(|c| c.db) else {
        return Ok(());
    };
    let mut name = Vec::new();
    for j in 0..count {
        name.clear();
        name.extend_from_slice(prefix);
        name.extend_from_slice(format!(":{j}").as_bytes());
        name.truncate(POPULATE_NAME_MAX);
        let ks = s.engine.shard_for(&name);
        if ks.lookup_write(db, &name).is_some() {
            continue;
        }
        let mut text = format!("value:{j}").into_bytes();
        if size > 0 {
            text.resize(size as usize, 0);
        }
        ks.add(db, &name, Value::plain_string(&text));
        ks.signal_modified(db, &name);
    }
    ok(s, key)
}

/// `DEBUG CONFIG-REWRITE-FORCE-ALL`: CONFIG REWRITE writing every
/// parameter, defaults included.
fn config_rewrite_force_all(s: &mut Server, key: usize) -> CmdResult {
    let result = match s.config.file.clone() {
        Some(path) => crate::config::rewrite::rewrite_file(&path, &s.config, true)
            .map_err(|e| crate::config::special::os_error_text(&e)),
        // Redis tries to open the missing path and reports the failure.
        None => Err(mallctl::strerror(libc::EFAULT)),
    };
    match result {
        Ok(()) => ok(s, key),
        Err(text) => Err(CmdError::Debug(format!(
            "CONFIG-REWRITE-FORCE-ALL failed: {text}"
        ))),
    }
}

fn mallctl_reply(s: &mut Server, key: usize, outcome: mallctl::Outcome) -> CmdResult {
    match outcome {
        mallctl::Outcome::Int(n) => reply(s, key, |r| r.int(n)),
        mallctl::Outcome::Str(text) => reply(s, key, |r| r.bulk(&text)),
        mallctl::Outcome::Written => reply(s, key, |r| r.ok()),
        mallctl::Outcome::Failed(e) => return Err(CmdError::Debug(mallctl::strerror(e))),
    }
    Ok(())
}

/// DEBUG STRINGMATCH-TEST: matches random patterns against random strings
/// to show the glob matcher neither crashes nor hangs on any input.
fn stringmatch_fuzz() {
    const CYCLES: usize = 10_000_000;
    let mut rng = fastrand::Rng::new();
    let mut text = [0u8; 32];
    let mut pattern = [0u8; 32];
    for _ in 0..CYCLES {
        let tl = rng.usize(..text.len());
        let pl = rng.usize(..pattern.len());
        text[..tl].iter_mut().for_each(|b| *b = rng.u8(..128));
        pattern[..pl].iter_mut().for_each(|b| *b = rng.u8(..128));
        std::hint::black_box(lodestone_commands::glob::matches(
            &pattern[..pl],
            &text[..tl],
            false,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        assert!(is_loopback("127.0.0.1:6379"));
        assert!(is_loopback("127.1.2.3:1"));
        assert!(is_loopback("::1:6379"));
        assert!(is_loopback("[::1]:6379"));
        assert!(!is_loopback("10.0.0.1:6379"));
    }

    #[test]
    fn strtod_reads_a_prefix() {
        assert_eq!(strtod(b"0.25"), 0.25);
        assert_eq!(strtod(b" 1.5abc"), 1.5);
        assert_eq!(strtod(b"abc"), 0.0);
        assert_eq!(strtod(b"2e-1"), 0.2);
    }
}
