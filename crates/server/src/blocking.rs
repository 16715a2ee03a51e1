//! Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX,
//! BZMPOP, XREAD and XREADGROUP with BLOCK): parking clients on keys and
//! serving them in order.
//!
//! A blocking handler that finds nothing sets `Ctx::block`; the client is
//! then parked on its keys, first blocked first served. When a command
//! (or a whole MULTI/EXEC) finishes, keys that received data are served:
//! each parked client whose key now holds the right type runs its command
//! again; if that finds nothing (someone else took the data) it parks again
//! with its original deadline. XREADGROUP waiters are also served when
//! their key is deleted or overwritten (the re-run fails with NOGROUP), as
//! in Redis 7.2. Deadlines are checked before every sleep,
//! so a timeout answers within the poll granularity.

use crate::client::{flags, Blocked};
use crate::server::Server;
use lodestone_commands::BlockRequest;
use lodestone_protocol::Reply;

impl Server {
    /// Parks client `key` running command `cmd` with `args` on `req`.
    pub fn block_client(&mut self, key: usize, cmd: usize, args: &[&[u8]], req: BlockRequest) {
        let deadline = self.reprocess_deadline.take().unwrap_or(req.deadline_ms);
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let db = c.db;
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for k in req.keys {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        c.flags |= flags::BLOCKED;
        let args = req
            .rewritten_args
            .unwrap_or_else(|| args.iter().map(|a| a.to_vec()).collect());
        c.blocked = Some(Blocked {
            cmd,
            args,
            db,
            keys: keys.clone(),
            deadline_ms: deadline,
            kind: req.kind,
            wake_on_delete: req.wake_on_delete,
            acks: None,
        });
        for k in keys {
            self.engine.shard_for(&k).block_on(db, &k);
            self.blocked_on.entry((db, k)).or_default().push_back(key);
        }
        if let Some(d) = deadline {
            self.block_deadlines.insert((d, key));
        }
    }

    /// Takes a client out of the blocked state (no reply is written).
    pub fn unblock_client(&mut self, key: usize) -> Option<Blocked> {
        let c = self.clients.get_mut(key)?;
        let b = c.blocked.take()?;
        c.flags &= !flags::BLOCKED;
        for k in &b.keys {
            self.engine.shard_for(k).unblock_on(b.db, k);
            let slot = (b.db, k.clone());
            if let Some(q) = self.blocked_on.get_mut(&slot) {
                q.retain(|&ck| ck != key);
                if q.is_empty() {
                    self.blocked_on.remove(&slot);
                }
            }
        }
        if let Some(d) = b.deadline_ms {
            self.block_deadlines.remove(&(d, key));
        }
        if b.acks.is_some() {
            self.waiting_acks.retain(|&k| k != key);
        }
        Some(b)
    }

    /// Number of clients blocked on keys.
    pub fn blocked_client_count(&self) -> usize {
        self.clients
            .iter()
            .filter(|(_, c)| c.has(flags::BLOCKED))
            .count()
    }

    /// When the earliest blocked client times out (the millisecond after
    /// its deadline, see [`Server::expire_blocked_clients`]), in wall-clock
    /// Unix ms for the poll timeout: deadlines are on the command clock,
    /// which may drift from the wall clock.
    pub fn next_block_deadline(&self) -> Option<i64> {
        let (deadline, _) = self.block_deadlines.iter().next()?;
        Some(deadline + 1 + crate::server::unix_ms() - self.command_clock_ms())
    }

    /// Serves clients blocked on keys that received data. Runs after each
    /// top-level command, so pushes inside MULTI/EXEC wake clients only
    /// once the transaction is complete.
    pub fn serve_ready_keys(&mut self) {
        if self.serving_ready_keys || !self.engine.shards().iter().any(|ks| ks.has_ready()) {
            return;
        }
        self.serving_ready_keys = true;
        loop {
            let ready: Vec<(usize, Vec<u8>)> = self
                .engine
                .shards_mut()
                .iter_mut()
                .flat_map(|ks| ks.take_ready())
                .collect();
            if ready.is_empty() {
                break;
            }
            for (db, k) in ready {
                let Some(queue) = self.blocked_on.get(&(db, k.clone())) else {
                    continue;
                };
                // Only the clients blocked now: one that blocks again goes
                // to the back of the queue and must not be retried here.
                let waiting: Vec<usize> = queue.iter().copied().collect();
                for ck in waiting {
                    let kind = self.engine.shard_for(&k).peek_kind(db, &k);
                    let Some(b) = self.clients.get(ck).and_then(|c| c.blocked.as_ref()) else {
                        continue;
                    };
                    if !b.wake_on_delete && (kind.is_none() || kind != Some(b.kind)) {
                        continue;
                    }
                    self.rerun_blocked(ck);
                }
            }
        }
        self.serving_ready_keys = false;
    }

    /// Unblocks a client and runs its command again.
    fn rerun_blocked(&mut self, key: usize) {
        let Some(b) = self.unblock_client(key) else {
            return;
        };
        self.reprocess_deadline = Some(b.deadline_ms);
        let args: Vec<&[u8]> = b.args.iter().map(Vec::as_slice).collect();
        self.call(key, b.cmd, &args);
        self.reprocess_deadline = None;
        self.end_caching_window(key);
        if self
            .clients
            .get(key)
            .is_some_and(|c| !c.has(flags::BLOCKED))
        {
            // Commands it pipelined after the blocking one can run now.
            self.to_resume.push(key);
        }
    }

    /// Answers blocked clients whose deadline passed with a null array.
    /// As in Redis, a client times out once the clock is past its
    /// deadline, not on it: a 1 s timeout never answers before a full
    /// second has elapsed from the client's point of view.
    pub fn expire_blocked_clients(&mut self) {
        let now = self.command_clock_ms();
        while let Some(&(deadline, key)) = self.block_deadlines.iter().next() {
            if deadline >= now {
                break;
            }
            self.unblock_with_timeout(key);
        }
    }

    /// The time on the clock commands read (and so deadlines are set
    /// in): comparing deadlines with another clock could time a client
    /// out before its full timeout has passed on this one.
    fn command_clock_ms(&self) -> i64 {
        self.clock.unix_ms + self.clock.instant.elapsed().as_millis() as i64
    }

    /// Unblocks a client as if its timeout had passed (also CLIENT UNBLOCK
    /// TIMEOUT): a null array, or for WAIT and WAITAOF the
    /// acknowledgements counted so far.
    pub fn unblock_with_timeout(&mut self, key: usize) {
        let Some(b) = self.unblock_client(key) else {
            return;
        };
        self.cmd_stats[b.cmd].calls += 1;
        self.stats.total_commands_processed += 1;
        if let Some(wait) = b.acks {
            self.reply_acks(key, wait);
        } else if let Some(c) = self.clients.get_mut(key) {
            Reply::new(&mut c.out, c.resp).null_array();
        }
        self.end_caching_window(key);
        self.after_reply(key);
        self.to_resume.push(key);
    }

    /// Unblocks a client with the error CLIENT UNBLOCK ... ERROR sends.
    pub fn unblock_with_error(&mut self, key: usize) {
        let Some(b) = self.unblock_client(key) else {
            return;
        };
        self.cmd_stats[b.cmd].calls += 1;
        self.cmd_stats[b.cmd].failed_calls += 1;
        self.stats.total_commands_processed += 1;
        if b.acks.is_some() {
            // Redis counts a WAIT or WAITAOF unblocked this way twice
            // (once for the error, once more as it leaves the waiting
            // list); INFO shows the same numbers here.
            self.cmd_stats[b.cmd].calls += 1;
            self.stats.total_commands_processed += 1;
        }
        self.stats.count_error(b"UNBLOCKED");
        if let Some(c) = self.clients.get_mut(key) {
            Reply::new(&mut c.out, c.resp).error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        }
        self.end_caching_window(key);
        self.after_reply(key);
        self.to_resume.push(key);
    }
}
