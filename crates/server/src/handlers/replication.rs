//! The master side of replication's handshake: SYNC and PSYNC answer with
//! a full snapshot (an RDB payload) and then stream every write to the
//! connection (see `replica_feed.rs`); REPLCONF is acknowledged. Partial
//! resynchronization (a backlog) is not kept: PSYNC always answers
//! FULLRESYNC.

use super::ServerHandler;
use crate::client::flags;
use crate::server::Server;
use lodestone_commands::CmdResult;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] =
    &[("sync", sync), ("psync", psync), ("replconf", replconf)];

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

/// `REPLCONF option value ...`: accepted (listening-port, capa, ack).
fn replconf(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    // ACKs get no reply, as in Redis.
    if args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"ack")) {
        return Ok(());
    }
    super::reply(s, key, |r| r.ok());
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
        let snapshot = crate::persistence::save::snapshot(self);
        let replid = self.replid.clone();
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        if psync {
            c.out
                .extend_from_slice(format!("+FULLRESYNC {replid} 0\r\n").as_bytes());
        }
        c.out
            .extend_from_slice(format!("${}\r\n", snapshot.len()).as_bytes());
        c.out.extend_from_slice(&snapshot);
        c.flags |= flags::REPLICA;
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
        let replicas = self.replicas.clone();
        for key in replicas {
            if let Some(c) = self.clients.get_mut(key) {
                c.out.extend_from_slice(&bytes);
                self.after_reply(key);
            }
        }
    }
}
