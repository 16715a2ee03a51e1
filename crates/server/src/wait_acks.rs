//! WAIT and WAITAOF: clients parked until the writes they sent are
//! acknowledged by replicas (REPLCONF ACK) or, for WAITAOF, fsynced to
//! the local append-only file.
//!
//! Positions are replication offsets (`Effects::repl_offset`, Redis's
//! `master_repl_offset`): every client remembers the offset after its
//! last write (`Client::woff`); the AOF knows the offset its last
//! completed fsync covered (`AofState::fsynced_reploff`, taken from the
//! fsync worker before every sleep, as Redis's `beforeSleep` does), and
//! each replica the offsets it reported processed and fsynced. Parked
//! clients are checked before every sleep, the latest parked first (as
//! Redis walks `clients_waiting_acks`), and answered when satisfied, when
//! their timeout passes, or by CLIENT UNBLOCK, with the counts reached so
//! far. A parked client makes the server ask the replicas for an
//! acknowledgement (REPLCONF GETACK) before sleeping.

use crate::client::{flags, AckWait, Blocked};
use crate::server::Server;
use lodestone_commands::CmdError;
use lodestone_protocol::Reply;

impl Server {
    /// Parks client `key` running command `cmd` until `wait` is satisfied
    /// or `deadline_ms` (Unix ms) passes.
    pub fn block_for_acks(
        &mut self,
        key: usize,
        cmd: usize,
        deadline_ms: Option<i64>,
        wait: AckWait,
    ) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        c.flags |= flags::BLOCKED;
        c.blocked = Some(Blocked {
            cmd,
            args: Vec::new(),
            db: c.db,
            keys: Vec::new(),
            deadline_ms,
            kind: lodestone_storage::Kind::String,
            wake_on_delete: false,
            acks: Some(wait),
        });
        if let Some(d) = deadline_ms {
            self.block_deadlines.insert((d, key));
        }
        self.waiting_acks.insert(0, key);
        self.get_ack_from_replicas = true;
    }

    /// Replicas that acknowledged processing (or, with `fsynced`, fsyncing
    /// to their AOF) the stream up to `offset`.
    pub fn replica_acks(&self, offset: i64, fsynced: bool) -> i64 {
        self.replicas
            .iter()
            .filter_map(|&k| self.clients.get(k))
            .filter(|c| {
                let acked = if fsynced {
                    c.repl_aof_off
                } else {
                    c.repl_ack_off
                };
                acked >= offset
            })
            .count() as i64
    }

    /// Whether the local AOF has fsynced everything up to `offset`.
    pub fn aof_fsynced(&self, offset: i64) -> bool {
        self.aof.fsynced_reploff >= offset
    }

    /// Writes the answer to `wait` as things stand: WAIT's count of
    /// replicas, or WAITAOF's pair (local fsync, replicas that fsynced).
    pub fn reply_acks(&mut self, key: usize, wait: AckWait) {
        let replicas = self.replica_acks(wait.offset, wait.numlocal.is_some());
        let local = i64::from(self.aof_fsynced(wait.offset));
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let mut r = Reply::new(&mut c.out, c.resp);
        if wait.numlocal.is_some() {
            r.array(2);
            r.int(local);
            r.int(replicas);
        } else {
            r.int(replicas);
        }
    }

    /// Answers the parked WAIT and WAITAOF clients whose acknowledgements
    /// arrived (Redis's `processClientsWaitingReplicas`); a WAITAOF
    /// waiting for a local fsync fails once `appendonly` is turned off.
    pub fn process_clients_waiting_acks(&mut self) {
        if self.waiting_acks.is_empty() {
            return;
        }
        let aof_enabled = self.config.bool("appendonly");
        for key in self.waiting_acks.clone() {
            let Some(wait) = self
                .clients
                .get(key)
                .and_then(|c| c.blocked.as_ref())
                .and_then(|b| b.acks)
            else {
                continue;
            };
            if wait.numlocal == Some(true) && !aof_enabled {
                let e = CmdError::WaitAofAppendOnlyOff;
                if let Some(c) = self.clients.get_mut(key) {
                    Reply::new(&mut c.out, c.resp).error_bytes(&e.message_bytes());
                }
                self.stats.count_error(b"ERR");
                self.finish_ack_wait(key);
                continue;
            }
            let replicas = self.replica_acks(wait.offset, wait.numlocal.is_some());
            if replicas < wait.numreplicas {
                continue;
            }
            if wait.numlocal == Some(true) && !self.aof_fsynced(wait.offset) {
                continue;
            }
            self.reply_acks(key, wait);
            self.finish_ack_wait(key);
        }
    }

    /// Unblocks an answered WAIT or WAITAOF client and counts its command.
    fn finish_ack_wait(&mut self, key: usize) {
        let Some(b) = self.unblock_client(key) else {
            return;
        };
        self.cmd_stats[b.cmd].calls += 1;
        self.stats.total_commands_processed += 1;
        self.after_reply(key);
        self.to_resume.push(key);
    }

    /// Takes the offset the AOF worker last fsynced (Redis does this in
    /// `beforeSleep`): not while the AOF waits for its first rewrite,
    /// whose base is not on disk yet.
    pub fn update_fsynced_reploff(&mut self) {
        if self.aof.status == crate::aof::Status::On && self.aof.fsynced_reploff != -1 {
            self.aof.fsynced_reploff = self.aof.bio.fsynced_offset();
        }
    }

    /// Asks the replicas for an acknowledgement (REPLCONF GETACK *) when a
    /// client parked in WAIT or WAITAOF, except during CLIENT PAUSE. As in
    /// Redis, the request takes its place in the replication stream (and
    /// counts in the offset, by one when no replica stream exists).
    pub fn send_getack_to_replicas(&mut self) {
        if !self.get_ack_from_replicas || self.pause.is_some() {
            return;
        }
        self.get_ack_from_replicas = false;
        match &self.replica_feed {
            Some((buffer, _)) => {
                buffer
                    .borrow_mut()
                    .extend_from_slice(b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n");
                self.feed_replicas();
            }
            None => self.effects.advance_repl_offset(1),
        }
    }
}
