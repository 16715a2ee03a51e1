//! Running commands: from parsed request to reply, with every check Redis
//! makes before a command runs (existence, arity, authentication,
//! `maxmemory` with eviction, MISCONF after a failed save, Pub/Sub
//! context, LOADING, MULTI queuing, CLIENT PAUSE) and the bookkeeping
//! after it (statistics, SLOWLOG, LATENCY, MONITOR, keyspace
//! notifications, client-side caching).

use crate::client::{flags, QueuedCommand, ReplyMode};
use crate::handlers::Handler;
use crate::propagate::Effects;
use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_commands::table::Resolved;
use lodestone_commands::{CmdError, Ctx};
use lodestone_protocol::{Limits, ParseStatus, Reply};
use smallvec::SmallVec;

/// Whether a command ran (or was refused) or must wait for a pause to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handled; its reply (if any) is in the output buffer.
    Done,
    /// Not run: CLIENT PAUSE holds it; the client is parked.
    Postponed,
}

/// Commands allowed in RESP2 subscribed mode.
const PUBSUB_CONTEXT_ALLOWED: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Why a command's client parks.
enum Park {
    /// On keys (a blocking command found nothing).
    Keys(lodestone_commands::BlockRequest),
    /// For acknowledgements (WAIT, WAITAOF), until the deadline.
    Acks(Option<i64>, crate::client::AckWait),
}

/// Commands that run (rather than queue) inside MULTI.
const MULTI_CONTROL: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

impl Server {
    /// Parses and runs every complete command in a client's input buffer.
    /// Stops early when the client must wait (CLIENT PAUSE, blocking
    /// command) or is being closed; the rest of its input stays buffered.
    pub fn process_input(&mut self, key: usize) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let mut input = std::mem::take(&mut c.input);
        c.running_input = (input.buf.len(), input.buf.capacity());
        while let Some(c) = self.clients.get(key) {
            if c.has(flags::CLOSE_ASAP | flags::CLOSE_AFTER_REPLY | flags::PAUSED | flags::BLOCKED)
            {
                break;
            }
            let limits = Limits {
                proto_max_bulk_len: self.settings.proto_max_bulk_len,
                auth_required: !c.authenticated,
            };
            match input.parser.parse(&input.buf, &limits) {
                ParseStatus::Complete => {
                    let outcome = {
                        let mut args: SmallVec<[&[u8]; 8]> = SmallVec::new();
                        input.parser.args(&input.buf, &mut args);
                        self.run_command(key, &args)
                    };
                    input.parser.release_argument_table();
                    if outcome == Outcome::Postponed {
                        // Paused: rewind so the command is parsed again later.
                        input.parser.rewind_last();
                        break;
                    }
                }
                ParseStatus::Incomplete => break,
                ParseStatus::Error(e) => {
                    self.protocol_error(key, e);
                    input.buf.clear();
                    input.parser.reset();
                    break;
                }
            }
        }
        let consumed = input.parser.consumable();
        if consumed > 0 {
            input.buf.drain(..consumed);
            input.parser.consume(consumed);
        }
        if let Some(c) = self.clients.get_mut(key) {
            c.input = input;
        }
    }

    fn protocol_error(&mut self, key: usize, e: lodestone_protocol::ProtocolError) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let mut r = Reply::new(&mut c.out, c.resp);
        r.error(&format!("ERR {e}"));
        c.flags |= flags::CLOSE_AFTER_REPLY | flags::PROTOCOL_ERROR;
        let id = c.id;
        self.stats.count_error(b"ERR");
        self.log_verbose(&format!(
            "Protocol error ({}) from client: id={id}",
            e.log_reason()
        ));
        self.schedule_write(key);
    }

    /// Finds the command a request runs, remembering top-level commands
    /// for the next lookup.
    fn resolve_uncached(&mut self, args: &[&[u8]]) -> Result<usize, CmdError> {
        let resolved = match self.table.resolve(args) {
            Resolved::Found(cmd) => Ok(cmd.id),
            Resolved::UnknownCommand => Err(CmdError::unknown_command(args)),
            Resolved::UnknownSubcommand => Err(CmdError::unknown_subcommand(args)),
        };
        if let Ok(id) = resolved {
            let cmd = self.table.get(id);
            if cmd.parent.is_none() && !cmd.is_container() {
                self.last_lookup = Some((args[0].to_vec(), id));
            }
        }
        resolved
    }

    /// Checks existence, arity and context, then queues (inside MULTI) or
    /// runs the command. Mirrors Redis's `processCommand`, followed by the
    /// part of `resetClient` that ends a CLIENT CACHING: it applies to the
    /// next command or transaction only (CLIENT commands in between keep
    /// it).
    pub fn run_command(&mut self, key: usize, args: &[&[u8]]) -> Outcome {
        let outcome = self.process_command(key, args);
        if outcome == Outcome::Done && !args[0].eq_ignore_ascii_case(b"client") {
            self.end_caching_window(key);
        }
        outcome
    }

    /// A command or transaction of client `key` is over: a CLIENT CACHING
    /// given for it no longer applies. A blocked command is over once it
    /// is served or times out; a transaction once EXEC or DISCARD ran.
    pub(crate) fn end_caching_window(&mut self, key: usize) {
        if let Some(c) = self.clients.get_mut(key) {
            if c.has(flags::TRACKING_CACHING) && c.multi.is_none() && !c.has(flags::BLOCKED) {
                c.flags &= !flags::TRACKING_CACHING;
            }
        }
    }

    fn process_command(&mut self, key: usize, args: &[&[u8]]) -> Outcome {
        // Pipelines repeat the same command: remember the last top-level
        // name (exact bytes) to skip the case-folding table lookup.
        let cached = match &self.last_lookup {
            Some((name, id)) if name.as_slice() == args[0] => Some(*id),
            _ => None,
        };
        let resolved = match cached {
            Some(id) => Ok(id),
            None => self.resolve_uncached(args),
        };
        let id = match resolved {
            Ok(id) => id,
            Err(e) => return self.reject(key, None, e),
        };
        let cmd = self.table.get(id);
        if !cmd.arity_ok(args.len()) || cmd.handler.is_none() {
            let e = CmdError::WrongArity(cmd.fullname.clone());
            return self.reject(key, Some(id), e);
        }
        let name = cmd.def.name;
        let top_name = cmd.parent.map_or(name, |p| self.table.get(p).def.name);
        let cmd_flags = cmd.flags;
        if cmd_flags & cmdflags::PROTECTED != 0 {
            let (label, param) = if top_name == "debug" {
                ("DEBUG", "enable-debug-command")
            } else {
                ("MODULE", "enable-module-command")
            };
            if !self.protected_command_allowed(key, &self.config.enum_name(param)) {
                return self.reject(
                    key,
                    Some(id),
                    Server::protected_command_refusal(label, param),
                );
            }
        }
        let Some(c) = self.clients.get(key) else {
            return Outcome::Done;
        };
        if !c.authenticated && cmd_flags & cmdflags::NO_AUTH == 0 {
            return self.reject(key, Some(id), CmdError::NoAuth);
        }
        let in_multi = c.multi.is_some();
        if in_multi && cmd_flags & cmdflags::NO_MULTI != 0 {
            return self.reject(key, Some(id), CmdError::NotAllowedInMulti);
        }
        if self.rt.maxmemory > 0 && self.busy_script.is_none() {
            let refused = self.refused_for_memory(key, top_name, args, cmd_flags, in_multi);
            // Keys evicted for this command are invalidated before its
            // reply: a cached value from before the eviction is stale.
            self.tracking_changes_outside_command(Some(key));
            if refused {
                let e = if top_name == "exec" {
                    CmdError::ExecRefused(Box::new(CmdError::OutOfMemory))
                } else {
                    CmdError::OutOfMemory
                };
                return self.reject(key, Some(id), e);
            }
        }
        if self.tracking.clients > 0 {
            self.tracking_limit(Some(key));
        }
        if let Some(e) = self.refused_for_disk_error(key, top_name, args, cmd_flags) {
            return self.reject(key, Some(id), e);
        }
        if let Some(errno) = self.aof.write_error() {
            // Redis's `writeCommandsDeniedByDiskError`: writes (and PING,
            // so monitoring notices) are refused while the AOF cannot be
            // written.
            let writes = match crate::scripting::declared_writes(self, top_name, args) {
                Some(w) => w,
                None => cmd_flags & cmdflags::WRITE != 0,
            } || (top_name == "exec" && self.multi_has_writes(key));
            if writes || top_name == "ping" {
                let reason = std::io::Error::from_raw_os_error(errno);
                let e = CmdError::AofWriteError(crate::config::special::os_error_text(&reason));
                return self.reject(key, Some(id), e);
            }
        }
        let Some(c) = self.clients.get(key) else {
            return Outcome::Done;
        };
        if c.in_resp2_pubsub() && !PUBSUB_CONTEXT_ALLOWED.contains(&top_name) {
            let e = CmdError::OnlySubscribeAllowed(String::from_utf8_lossy(args[0]).to_lowercase());
            return self.reject(key, Some(id), e);
        }
        if self.loading.is_some() && self.denied_while_loading(key, top_name, cmd_flags) {
            return self.reject(key, Some(id), CmdError::Loading);
        }
        if let Some(busy) = &self.busy_script {
            if cmd_flags & cmdflags::ALLOW_BUSY == 0 {
                let e = if busy.eval {
                    CmdError::BusyScript
                } else {
                    CmdError::BusyFunction
                };
                return self.reject(key, Some(id), e);
            }
        }
        if let Some(p) = self.pause {
            let writes = match crate::scripting::declared_writes(self, top_name, args) {
                Some(w) => w,
                None => cmd_flags & (cmdflags::WRITE | cmdflags::MAY_REPLICATE) != 0,
            } || (top_name == "exec" && self.multi_has_writes(key));
            if !p.write_only || writes {
                if let Some(c) = self.clients.get_mut(key) {
                    c.flags |= flags::PAUSED;
                }
                return Outcome::Postponed;
            }
        }
        let Some(c) = self.clients.get(key) else {
            return Outcome::Done;
        };
        if c.multi.is_some() && !MULTI_CONTROL.contains(&top_name) {
            let denyoom = crate::scripting::is_denyoom(self, top_name, args, cmd_flags);
            self.queue_command(key, id, args, denyoom);
            return Outcome::Done;
        }
        self.call(key, id, args);
        Outcome::Done
    }

    /// Runs eviction as needed and says whether the command must be
    /// refused because memory stays over `maxmemory` (Redis's
    /// `processCommand`): `denyoom` commands are (EXEC when it queued
    /// one), and so is anything but EXEC, DISCARD, QUIT and RESET inside
    /// MULTI, since queuing itself takes memory. Remembers the state for
    /// scripts the command may run.
    fn refused_for_memory(
        &mut self,
        key: usize,
        top_name: &str,
        args: &[&[u8]],
        cmd_flags: u64,
        in_multi: bool,
    ) -> bool {
        let oom = self.perform_evictions() == crate::evict::EvictResult::Fail;
        self.pre_command_oom = oom;
        if !oom {
            return false;
        }
        let queued_denyoom = top_name == "exec"
            && self
                .clients
                .get(key)
                .and_then(|c| c.multi.as_ref())
                .is_some_and(|m| m.denyoom);
        queued_denyoom
            || (in_multi && !matches!(top_name, "exec" | "discard" | "quit" | "reset"))
            || crate::scripting::is_denyoom(self, top_name, args, cmd_flags)
    }

    /// Answers a command refused before running, counting it as Redis does;
    /// inside MULTI the transaction is marked to fail at EXEC, and a
    /// refused EXEC discards it.
    fn reject(&mut self, key: usize, id: Option<usize>, e: CmdError) -> Outcome {
        if let Some(id) = id {
            self.cmd_stats[id].rejected_calls += 1;
        }
        // A refused EXEC ends the transaction it would have run, with the
        // refusal as its cause (Redis's execCommandAbort).
        let exec_in_multi = id.is_some_and(|id| self.table.get(id).fullname == "exec")
            && self.clients.get(key).is_some_and(|c| c.multi.is_some());
        let e = match e {
            e @ CmdError::ExecRefused(_) => e,
            e if exec_in_multi => CmdError::ExecRefused(Box::new(e)),
            e => e,
        };
        if matches!(e, CmdError::ExecRefused(_)) {
            if let Some(c) = self.clients.get_mut(key) {
                c.multi = None;
            }
            self.unwatch_all(key);
        }
        let Some(c) = self.clients.get_mut(key) else {
            return Outcome::Done;
        };
        if let Some(m) = c.multi.as_mut() {
            m.aborted = true;
        }
        let mut r = Reply::new(&mut c.out, c.resp);
        r.error_bytes(&e.message_bytes());
        let code = r.first_error_code().to_vec();
        self.stats.count_error(&code);
        self.after_reply(key);
        Outcome::Done
    }

    pub(crate) fn queue_command(&mut self, key: usize, id: usize, args: &[&[u8]], denyoom: bool) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let owned: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        if let Some(m) = c.multi.as_mut() {
            m.denyoom |= denyoom;
            m.bytes += owned.iter().map(Vec::len).sum::<usize>();
            m.queued.push(QueuedCommand {
                cmd: id,
                args: owned,
            });
        }
        c.out.extend_from_slice(b"+QUEUED\r\n");
        self.after_reply(key);
    }

    /// Runs one command and does all the bookkeeping around it (Redis's `call`).
    pub fn call(&mut self, key: usize, id: usize, args: &[&[u8]]) {
        let cmd = self.table.get(id);
        let Some(handler) = cmd.handler else {
            // Callers only pass commands with a handler (run_command, EXEC
            // and scripts check); answer a bare container as Redis does.
            let e = CmdError::WrongArity(cmd.fullname.clone());
            crate::handlers::reply(self, key, |r| r.error_bytes(&e.message_bytes()));
            return;
        };
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let out_mark = c.out.len();
        let db = c.db;
        let no_touch = c.has(flags::NO_TOUCH);
        let start = quanta::Instant::now();
        self.call_started = start;
        // One time for the whole command: a transaction's commands all see
        // the time EXEC started, as in Redis.
        if self.call_depth == 0 {
            let since_base = start.saturating_duration_since(self.clock.instant);
            self.now_ms = self.clock.unix_ms + since_base.as_millis() as i64;
            self.cmd_time_us = self.clock.unix_ms * 1000 + since_base.as_micros() as i64;
        }
        c.last_cmd = Some(id);
        c.last_interaction_ms = self.now_ms;
        let cmd = self.table.get(id);
        let is_touch = cmd.def.name == "touch";
        for ks in self.engine.shards_mut() {
            ks.set_time(self.now_ms);
            ks.set_no_touch(no_touch && !is_touch);
        }
        let dirty_before = (self.effects.active() && Effects::propagates_itself(&cmd.fullname))
            .then(|| self.dirty_total());
        let offset_before = self.effects.repl_offset();
        let arbitrary_keys = cmd.flags & cmdflags::TOUCHES_ARBITRARY_KEYS != 0;
        self.call_depth += 1;
        let caller = self.current_client.replace(key);
        let outer_cmd = self.running_cmd.replace(id);
        let may_block = self.call_depth == 1
            && self
                .clients
                .get(key)
                .is_some_and(|c| c.multi.is_none() && !c.has(flags::DENY_BLOCKING));
        let mut block = None;
        let mut rewrite = None;
        let mut forced = false;
        let (errors, code) = match handler {
            // The client was looked up above and nothing since removes it.
            Handler::Keyspace(f) => match self.clients.get_mut(key) {
                None => (0, Vec::new()),
                Some(c) => {
                    let must_obey = c.has(flags::MUST_OBEY);
                    let mut reply = Reply::new(&mut c.out, c.resp);
                    let mut ctx = Ctx {
                        engine: &mut self.engine,
                        db,
                        out: &mut reply,
                        settings: &self.settings,
                        cmd: &cmd.fullname,
                        may_block,
                        block: None,
                        from_script: self.in_script,
                        must_obey,
                        propagate_as: None,
                        propagating: dirty_before.is_some(),
                        force_propagation: false,
                        propagate_everywhere: false,
                    };
                    let result = f(&mut ctx, args);
                    block = ctx.block.take();
                    rewrite = ctx
                        .propagate_as
                        .take()
                        .map(|c| (c, ctx.propagate_everywhere));
                    forced = ctx.force_propagation;
                    if let Err(e) = result {
                        reply.error_bytes(&e.message_bytes());
                    }
                    (reply.error_count(), reply.first_error_code().to_vec())
                }
            },
            Handler::Server(f) => match f(self, key, args) {
                Ok(()) => (0, Vec::new()),
                Err(e) => match self.clients.get_mut(key) {
                    Some(c) => {
                        let mut reply = Reply::new(&mut c.out, c.resp);
                        reply.error_bytes(&e.message_bytes());
                        (1, reply.first_error_code().to_vec())
                    }
                    None => (1, b"ERR".to_vec()),
                },
            },
        };
        self.call_depth -= 1;
        if self.tracking.is_active() {
            self.tracking_after_call(key, id, args);
        }
        let park = match (block, self.park_for_acks.take()) {
            (Some(req), _) => Some(Park::Keys(req)),
            (None, Some((deadline, wait))) => Some(Park::Acks(deadline, wait)),
            (None, None) => None,
        };
        if let Some(park) = park {
            self.running_cmd = outer_cmd;
            self.current_client = caller;
            // Parked: statistics count the command when it completes;
            // MONITOR shows it now, once (not again when it is re-run).
            if self.reprocess_deadline.is_none() {
                self.feed_monitors_if_shown(key, id, args);
            }
            // What it did before parking (a consumer a NOACK XREADGROUP
            // created) is propagated now, as its own unit.
            if let Some((commands, everywhere)) = rewrite {
                if dirty_before.is_some_and(|before| before != self.dirty_total()) {
                    self.record_commands(db, commands, everywhere);
                }
            }
            match park {
                Park::Keys(req) => self.block_client(key, id, args, req),
                Park::Acks(deadline, wait) => self.block_for_acks(key, id, deadline, wait),
            }
            if caller != Some(key) {
                self.send_deferred_pushes(key);
            }
            if self.call_depth == 0 {
                self.effects.end_unit(!arbitrary_keys);
                self.feed_replicas();
            }
            self.remember_write_offset(key, offset_before);
            return;
        }
        if dirty_before.is_some() {
            self.record_expiry_deletions(false);
        }
        let prevented = std::mem::take(&mut self.prevent_propagation);
        if !prevented && dirty_before.is_some_and(|before| forced || before != self.dirty_total()) {
            match rewrite {
                None => self.effects.record(db, args, self.effect_targets),
                Some((commands, everywhere)) => self.record_commands(db, commands, everywhere),
            }
        }
        let name = self.table.get(id).def.name;
        if errors == 0 && (name == "flushall" || name == "flushdb") {
            if name == "flushall" {
                self.reset_rdb_after_flushall();
            }
            // As Redis 7: a synchronous flush gives the freed pages back to
            // the system at once (jemalloc keeps them while there is no
            // traffic), so RSS follows the emptied data set.
            if !flush_is_async(args, self.settings.lazyfree_lazy_user_flush) {
                crate::handlers::memory::purge_arenas();
            }
        }
        let handler_failed = std::mem::take(&mut self.handler_failed);
        let duration_us = start.elapsed().as_micros() as u64;
        let stats = &mut self.cmd_stats[id];
        stats.calls += 1;
        stats.usec += duration_us;
        if self.rt.latency_tracking {
            stats.record_latency(duration_us);
        }
        if errors > 0 {
            stats.failed_calls += 1;
            self.stats.count_error(&code);
        } else if handler_failed {
            stats.failed_calls += 1;
        }
        self.stats.total_commands_processed += 1;
        if self.call_depth == 0 {
            self.stats.eventloop.cmd_sum_us += duration_us;
        }
        self.after_command(key, id, args, duration_us);
        self.running_cmd = outer_cmd;
        self.current_client = caller;
        if let Some(c) = self.clients.get_mut(key) {
            if !c.replies_enabled() {
                c.out.truncate(out_mark.max(c.out_sent));
            }
            if !c.set_aside_pushes.is_empty() {
                let pushes = std::mem::take(&mut c.set_aside_pushes);
                c.out.extend_from_slice(&pushes);
            }
            if c.reply_mode == ReplyMode::Skip {
                c.reply_mode = ReplyMode::On;
            } else if c.reply_mode == ReplyMode::SkipNext {
                c.reply_mode = ReplyMode::Skip;
            }
        }
        // The client's outermost command (not one of its transaction or
        // script) ends here.
        if caller != Some(key) {
            self.send_deferred_pushes(key);
        }
        self.after_reply(key);
        if self.call_depth == 0 {
            // The execution unit ends before woken clients run theirs.
            self.effects.end_unit(!arbitrary_keys);
            self.feed_replicas();
        }
        self.remember_write_offset(key, offset_before);
        if self.call_depth == 0 {
            self.serve_ready_keys();
        }
    }

    /// Remembers the replication offset in the client after a command
    /// that propagated something (Redis's `woff`), for WAIT and WAITAOF.
    fn remember_write_offset(&mut self, key: usize, before: i64) {
        let now = self.effects.repl_offset();
        if now != before {
            if let Some(c) = self.clients.get_mut(key) {
                c.woff = now;
            }
        }
    }

    /// Adds the commands a write is propagated as (`Ctx::propagate_as`)
    /// to the current execution unit: for the consumers a script chose,
    /// or for all when `everywhere` (`Ctx::propagate_everywhere`).
    fn record_commands(&mut self, db: usize, commands: Vec<Vec<Vec<u8>>>, everywhere: bool) {
        let targets = if everywhere {
            crate::propagate::TARGET_ALL
        } else {
            self.effect_targets
        };
        for cmd in commands {
            let refs: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
            self.effects.record(db, &refs, targets);
        }
    }

    /// Adds the keys expiry deleted since the last call to the current
    /// execution unit, as DEL (UNLINK with `lazyfree-lazy-expire`), to
    /// every consumer whatever the script's targets (Redis's
    /// `propagateDeletion`). With `each_alone` (the active expiry cycle)
    /// every deletion is a unit of its own, never wrapped in MULTI/EXEC.
    pub(crate) fn record_expiry_deletions(&mut self, each_alone: bool) {
        for ks in self.engine.shards_mut() {
            let lazy = ks.config.lazyfree_lazy_expire;
            for (db, key) in ks.take_expired() {
                let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
                self.effects
                    .record(db, &[del, &key], crate::propagate::TARGET_ALL);
                if each_alone {
                    self.effects.end_unit(false);
                }
            }
        }
    }

    /// Changes made to the data set so far (every shard's `dirty`), to
    /// tell whether a command wrote.
    pub(crate) fn dirty_total(&self) -> u64 {
        self.engine.shards().iter().map(|ks| ks.dirty).sum()
    }

    /// SLOWLOG, LATENCY, MONITOR and keyspace notifications after a command.
    fn after_command(&mut self, key: usize, id: usize, args: &[&[u8]], duration_us: u64) {
        let cmd = self.table.get(id);
        let cmd_flags = cmd.flags;
        let threshold = self.rt.slowlog_slower_than_us;
        if threshold >= 0
            && duration_us as i64 >= threshold
            && cmd_flags & cmdflags::SKIP_SLOWLOG == 0
        {
            self.slowlog_record(key, args, duration_us);
        }
        let latency_ms = (duration_us / 1000) as i64;
        if self.rt.latency_threshold_ms > 0 && latency_ms >= self.rt.latency_threshold_ms {
            let event = if cmd_flags & cmdflags::FAST != 0 {
                "fast-command"
            } else {
                "command"
            };
            self.latency
                .add_sample(event, self.now_ms / 1000, latency_ms as u64);
        }
        if self.reprocess_deadline.is_none() {
            self.feed_monitors_if_shown(key, id, args);
        }
        self.publish_keyspace_notifications();
    }

    /// Shows the command to MONITOR clients unless its flags hide it
    /// (administrative and sensitive commands).
    fn feed_monitors_if_shown(&mut self, key: usize, id: usize, args: &[&[u8]]) {
        let cmd_flags = self.table.get(id).flags;
        if !self.monitors.is_empty() && cmd_flags & (cmdflags::SKIP_MONITOR | cmdflags::ADMIN) == 0
        {
            self.feed_monitors(key, args);
        }
    }

    /// Marks the client for writing.
    pub fn after_reply(&mut self, key: usize) {
        if self
            .clients
            .get(key)
            .is_some_and(|c| c.pending_output() > 0)
        {
            self.schedule_write(key);
        }
    }

    /// Resumes clients whose input was left unprocessed.
    pub fn resume_clients(&mut self) {
        let keys = std::mem::take(&mut self.to_resume);
        for key in keys {
            self.process_input(key);
        }
    }
}

/// Whether a FLUSHALL/FLUSHDB request (already validated) frees in the
/// background: ASYNC, or no mode with `lazyfree-lazy-user-flush yes`.
fn flush_is_async(args: &[&[u8]], lazy_user_flush: bool) -> bool {
    match args.get(1) {
        Some(mode) => mode.eq_ignore_ascii_case(b"async"),
        None => lazy_user_flush,
    }
}
