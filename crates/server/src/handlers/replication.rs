//! The master side of replication's handshake: SYNC and PSYNC answer with
//! a full snapshot (an RDB payload) and then stream every write to the
//! connection (see `replica_feed.rs`); REPLCONF is acknowledged and its
//! ACKs recorded, which WAIT and WAITAOF count (see `wait_acks.rs`).
//! Partial resynchronization (a backlog) is not kept: PSYNC always
//! answers FULLRESYNC, with the current replication offset.

use super::ServerHandler;
use crate::client::flags;
use crate::client::AckWait;
use crate::persistence::save::SnapshotParts;
use crate::server::Server;
use lodestone_commands::{args, CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("sync", sync),
    ("psync", psync),
    ("replconf", replconf),
    ("wait", wait),
    ("waitaof", waitaof),
];

/// `SYNC`: the snapshot as a bulk payload, then the stream.
fn sync(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.attach_replica(key, false);
    Ok(())
}

/// `PSYNC replicationid offset`: always a full resynchronization.
fn psync(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.attach_replica(key, true);
    Ok(())
}

/// `REPLCONF option value ...`: `listening-port` is kept for INFO,
/// `rdb-only 1` asks for the snapshot without the stream after it,
/// `rdb-filter-only "functions"` (or `""`) for a snapshot of only those
/// parts (`redis-cli --rdb`, `--functions-rdb`); other options (capa,
/// ip-address) are accepted. `ACK offset [FACK aofoffset]` from a replica
/// records how far it processed (and fsynced) the stream, and gets no
/// reply, as in Redis.
fn replconf(s: &mut Server, key: usize, argv: &[&[u8]]) -> CmdResult {
    if argv.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"ack")) {
        record_ack(s, key, &argv[2..]);
        return Ok(());
    }
    for pair in argv[1..].chunks_exact(2) {
        let (option, value) = (pair[0], pair[1]);
        let Some(c) = s.clients.get_mut(key) else {
            return Ok(());
        };
        if args::is(option, "listening-port") {
            c.repl_listening_port = args::int(value)?;
        } else if args::is(option, "rdb-only") {
            let v = args::int(value)?;
            if !(0..=1).contains(&v) {
                return Err(CmdError::OutOfRangeBetween(0, 1));
            }
            c.repl_rdb_only = v == 1;
        } else if args::is(option, "rdb-filter-only") {
            c.repl_rdb_parts = Some(rdb_filter(value)?);
        }
    }
    super::reply(s, key, |r| r.ok());
    Ok(())
}

/// The parts an `rdb-filter-only` value keeps: nothing but what it
/// names, and Redis knows only `functions`.
fn rdb_filter(value: &[u8]) -> Result<SnapshotParts, CmdError> {
    let mut parts = SnapshotParts {
        data: false,
        functions: false,
    };
    for word in value
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
    {
        if args::is(word, "functions") {
            parts.functions = true;
        } else {
            return Err(CmdError::UnsupportedRdbFilter(
                String::from_utf8_lossy(word).into_owned(),
            ));
        }
    }
    Ok(parts)
}

/// Records `offset [FACK aofoffset]` of a replica's REPLCONF ACK: offsets
/// only move forward; anything malformed (or from a client that is not
/// a replica) is ignored, as Redis does.
fn record_ack(s: &mut Server, key: usize, rest: &[&[u8]]) {
    let Some(c) = s.clients.get_mut(key) else {
        return;
    };
    if !c.has(flags::REPLICA) {
        return;
    }
    let Some(offset) = rest.first().and_then(|a| args::int(a).ok()) else {
        return;
    };
    c.repl_ack_off = c.repl_ack_off.max(offset);
    c.repl_ack_time_ms = crate::server::unix_ms();
    if rest.len() > 2 && args::is(rest[1], "fack") {
        if let Ok(aof) = args::int(rest[2]) {
            c.repl_aof_off = c.repl_aof_off.max(aof);
        }
    }
}

/// Whether the running command may park its client (not inside MULTI,
/// a script or the AOF's fake client, where Redis's
/// `CLIENT_DENY_BLOCKING` applies).
fn may_block(s: &Server, key: usize) -> bool {
    s.call_depth == 1
        && s.clients
            .get(key)
            .is_some_and(|c| c.multi.is_none() && !c.has(flags::DENY_BLOCKING))
}

/// `WAIT numreplicas timeout`: how many replicas acknowledged the
/// client's writes, waiting for `numreplicas` of them up to `timeout` ms.
fn wait(s: &mut Server, key: usize, argv: &[&[u8]]) -> CmdResult {
    let numreplicas = args::int(argv[1])?;
    let deadline = args::timeout_ms_deadline(argv[2], s.now_ms)?;
    let offset = s.clients.get(key).map_or(0, |c| c.woff);
    let acked = s.replica_acks(offset, false);
    if acked >= numreplicas || !may_block(s, key) {
        super::reply(s, key, |r| r.int(acked));
        return Ok(());
    }
    park_for_acks(s, deadline, offset, numreplicas, None);
    Ok(())
}

/// Asks the dispatcher to park the client until `numreplicas` replicas
/// (and, with `numlocal`, the local AOF) reach `offset`, or `deadline`.
fn park_for_acks(
    s: &mut Server,
    deadline: Option<i64>,
    offset: i64,
    numreplicas: i64,
    numlocal: Option<bool>,
) {
    s.park_for_acks = Some((
        deadline,
        AckWait {
            offset,
            numreplicas,
            numlocal,
        },
    ));
}

/// `WAITAOF numlocal numreplicas timeout`: whether the local AOF fsynced
/// the client's writes and how many replicas did, waiting for
/// `numlocal` (0 or 1) and `numreplicas` up to `timeout` ms.
fn waitaof(s: &mut Server, key: usize, argv: &[&[u8]]) -> CmdResult {
    let numlocal = args::int(argv[1])?;
    if !(0..=1).contains(&numlocal) {
        return Err(CmdError::OutOfRangeBetween(0, 1));
    }
    let numreplicas = args::int(argv[2])
        .ok()
        .filter(|n| *n >= 0)
        .ok_or(CmdError::MustBePositive)?;
    let deadline = args::timeout_ms_deadline(argv[3], s.now_ms)?;
    if numlocal == 1 && !s.config.bool("appendonly") {
        return Err(CmdError::WaitAofAppendOnlyOff);
    }
    let offset = s.clients.get(key).map_or(0, |c| c.woff);
    let replicas = s.replica_acks(offset, true);
    let local = s.aof_fsynced(offset);
    if (replicas >= numreplicas && (local || numlocal == 0)) || !may_block(s, key) {
        super::reply(s, key, |r| {
            r.array(2);
            r.int(i64::from(local));
            r.int(replicas);
        });
        return Ok(());
    }
    park_for_acks(s, deadline, offset, numreplicas, Some(numlocal == 1));
    Ok(())
}

impl Server {
    /// Makes `key` a replica: sends FULLRESYNC (for PSYNC) and the snapshot
    /// (`$len` then the RDB bytes, without a trailing CRLF), and subscribes
    /// it to the stream, which starts with a SELECT.
    fn attach_replica(&mut self, key: usize, psync: bool) {
        if self.replica_feed.is_none() {
            let buffer = crate::replica_feed::FeedBuffer::default();
            let selected = std::rc::Rc::new(std::cell::RefCell::new(None));
            self.effects
                .add_sink(Box::new(crate::replica_feed::ReplicaFeed::new(
                    buffer.clone(),
                    selected.clone(),
                )));
            self.replica_feed = Some((buffer, selected));
            for ks in self.engine.shards_mut() {
                ks.set_record_expired(true);
            }
        }
        if let Some((_, selected)) = &self.replica_feed {
            *selected.borrow_mut() = None;
        }
        let (parts, rdb_only) = self
            .clients
            .get(key)
            .map_or((SnapshotParts::ALL, false), |c| {
                (
                    c.repl_rdb_parts.unwrap_or(SnapshotParts::ALL),
                    c.repl_rdb_only,
                )
            });
        let snapshot = crate::persistence::save::snapshot(self, parts);
        let replid = self.replid.clone();
        let offset = self.effects.repl_offset();
        let now_ms = self.now_ms;
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        if psync {
            c.out
                .extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
        }
        c.out
            .extend_from_slice(format!("${}\r\n", snapshot.len()).as_bytes());
        c.out.extend_from_slice(&snapshot);
        if rdb_only {
            // Only the file was asked for: no stream follows it.
            c.flags |= flags::CLOSE_AFTER_REPLY;
            self.log_notice("Synchronization with replica succeeded (RDB only)");
            return;
        }
        c.flags |= flags::REPLICA;
        c.repl_ack_time_ms = now_ms;
        c.repl_ack_off = 0;
        c.repl_aof_off = 0;
        self.replicas.push(key);
        self.log_notice("Synchronization with replica succeeded");
    }

    /// Copies the stream written since the last call to every replica
    /// (after each execution unit).
    pub fn feed_replicas(&mut self) {
        let Some((buffer, _)) = &self.replica_feed else {
            return;
        };
        let bytes = std::mem::take(&mut *buffer.borrow_mut());
        if bytes.is_empty() {
            return;
        }
        self.effects.advance_repl_offset(bytes.len() as i64);
        let replicas = self.replicas.clone();
        for key in replicas {
            if let Some(c) = self.clients.get_mut(key) {
                c.out.extend_from_slice(&bytes);
                self.after_reply(key);
            }
        }
    }
}
