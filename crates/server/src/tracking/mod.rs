//! Client-side caching: CLIENT TRACKING, as Redis 7.2's `tracking.c`.
//!
//! A tracking client caches what it reads; the server tells it when a key
//! it may hold changes. Two modes:
//!
//! * **default**: after a read-only command (and each read-only command a
//!   transaction or script runs) of a tracking client, the command's keys
//!   are remembered in the [`KeyTable`]; when such a key changes, each
//!   client that read it gets one invalidation and the key leaves the
//!   table. OPTIN/OPTOUT with CLIENT CACHING decide per command whether
//!   reads count. The table is bounded by `tracking-table-max-keys`:
//!   beyond it, random keys are invalidated as if they had changed.
//! * **BCAST**: nothing is remembered per client; changes of keys under a
//!   client's prefixes are batched per event-loop iteration
//!   ([`PrefixTable`]).
//!
//! Changes come from the storage layer's change log
//! (`lodestone_storage::changes`), read after every command (so a key a
//! transaction reads and then writes is invalidated in order) and after
//! every background job (active expiry, eviction). FLUSHALL/FLUSHDB send
//! every tracking client a null ("everything") and empty the table.
//!
//! Invalidations for the client whose command is running wait until that
//! command (the whole transaction or script) has replied; see
//! `Server::send_deferred_pushes`.
//!
//! Cost when nobody tracks: the change log records nothing, and each
//! command tests one flag ([`Tracking::is_active`]).

mod bcast;
mod message;
mod table;

pub use bcast::PrefixTable;
pub use message::{Payload, CHANNEL};
pub use table::KeyTable;

use crate::client::{flags, ClientId};
use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_storage::changes::Change;

/// Keys invalidated per round of the table limit, times the number of
/// rounds in a row the table stayed over it (Redis's effort rule).
const LIMIT_EFFORT: usize = 100;

/// The server's tracking state.
#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on (INFO `tracking_clients`).
    pub clients: usize,
    /// Default-mode keys and their readers.
    pub table: KeyTable,
    /// BCAST prefixes.
    pub prefixes: PrefixTable,
    /// `tracking-table-max-keys` (0: no limit).
    pub max_keys: usize,
    /// Invalidations for the client running a command, sent after its
    /// reply: (client key, changed key, or `None` after a flush).
    pending: Vec<(usize, Option<Vec<u8>>)>,
    /// Limit rounds in a row that ended still over the limit.
    over_limit_rounds: usize,
    /// The storage layer records changes (someone tracks, or the table
    /// still holds keys of clients that stopped).
    active: bool,
}

impl Tracking {
    /// True when changes must be read and reads may be remembered: the
    /// one test every command pays.
    pub fn is_active(&self) -> bool {
        self.active
    }
}

/// Tracking options of CLIENT TRACKING ON, as client flags.
pub const OPTION_FLAGS: u32 =
    flags::TRACKING_BCAST | flags::TRACKING_OPTIN | flags::TRACKING_OPTOUT | flags::TRACKING_NOLOOP;

impl Server {
    /// Turns tracking on for client `key` (or changes its options):
    /// `options` are [`OPTION_FLAGS`], `redirect` a client id or 0, and in
    /// BCAST mode `prefixes` are added to the client's (the empty prefix
    /// when none is given). The caller has validated everything.
    pub fn enable_tracking(
        &mut self,
        key: usize,
        redirect: ClientId,
        options: u32,
        prefixes: &[&[u8]],
    ) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        if !c.has(flags::TRACKING) {
            self.tracking.clients += 1;
        }
        c.flags |= flags::TRACKING;
        c.flags &= !(flags::TRACKING_BROKEN_REDIR | OPTION_FLAGS);
        c.tracking_redirect = redirect;
        if options & flags::TRACKING_BCAST != 0 {
            c.flags |= flags::TRACKING_BCAST;
            let empty: &[&[u8]] = &[b""];
            let list = if prefixes.is_empty() { empty } else { prefixes };
            for p in list {
                if self.tracking.prefixes.subscribe(p, c.id) {
                    c.tracking_prefixes.insert(p.to_vec());
                }
            }
        }
        c.flags |=
            options & (flags::TRACKING_OPTIN | flags::TRACKING_OPTOUT | flags::TRACKING_NOLOOP);
        self.update_tracking_activity();
    }

    /// Turns tracking off for client `key` (CLIENT TRACKING OFF, RESET,
    /// disconnect). Its entries in the key table stay until their keys
    /// change, which keeps this cheap.
    pub fn disable_tracking(&mut self, key: usize) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        if c.has(flags::TRACKING_BCAST) {
            for p in std::mem::take(&mut c.tracking_prefixes) {
                self.tracking.prefixes.unsubscribe(&p, c.id);
            }
        }
        if c.has(flags::TRACKING) {
            self.tracking.clients -= 1;
            c.flags &= !flags::TRACKING_ALL;
        }
        self.update_tracking_activity();
    }

    /// Starts or stops the storage layer's change log as tracking needs it.
    fn update_tracking_activity(&mut self) {
        let active = self.tracking.clients > 0 || !self.tracking.table.is_empty();
        if active != self.tracking.active {
            self.tracking.active = active;
            for ks in self.engine.shards_mut() {
                ks.set_change_recording(active);
            }
        }
    }

    /// After a command ran for client `key`: invalidations for the keys it
    /// changed, then the keys it read if it is a read-only command and the
    /// client tracks them (Redis's `trackingRememberKeys` in `call`).
    pub(crate) fn tracking_after_call(&mut self, key: usize, id: usize, args: &[&[u8]]) {
        self.process_changes(Some(key), true);
        self.remember_keys(key, id, args);
    }

    /// Reads the change log after work done outside any command (active
    /// expiry, eviction, a command's eviction before it runs): `current`
    /// is the client about to run a command, if any.
    pub(crate) fn tracking_changes_outside_command(&mut self, current: Option<usize>) {
        if self.tracking.active {
            self.process_changes(current, false);
        }
    }

    /// Sends what the change log holds. `current` is the client whose
    /// command is running (`executing`) or about to run: NOLOOP spares it,
    /// and while it executes its invalidations wait for its reply.
    fn process_changes(&mut self, current: Option<usize>, executing: bool) {
        for shard in 0..self.engine.shards().len() {
            if !self.engine.shards()[shard].has_changes() {
                continue;
            }
            let changes = self.engine.shards_mut()[shard].take_changes();
            for change in changes {
                match change {
                    Change::Key { key, by_server } => {
                        if !self.tracking.prefixes.is_empty() {
                            // A script's writes are its own (Redis's Lua
                            // client), so NOLOOP does not hide them.
                            let writer = match current {
                                Some(k) if !by_server && !self.in_script => {
                                    self.clients.get(k).map(|c| c.id)
                                }
                                _ => None,
                            };
                            self.tracking.prefixes.record(&key, writer);
                        }
                        self.invalidate_key(&key, current, executing);
                    }
                    Change::Flush { lazy } => self.invalidate_all(current, lazy),
                }
            }
        }
        self.update_tracking_activity();
    }

    /// Tells every client that read `key` that it changed, and forgets
    /// the key (Redis's `trackingInvalidateKey`).
    fn invalidate_key(&mut self, key: &[u8], current: Option<usize>, executing: bool) {
        let Some(readers) = self.tracking.table.take(key) else {
            return;
        };
        for id in readers {
            let Some(target) = self.client_key(id) else {
                continue;
            };
            let Some(c) = self.clients.get(target) else {
                continue;
            };
            // Switched to BCAST since: old reads no longer count.
            if !c.has(flags::TRACKING) || c.has(flags::TRACKING_BCAST) {
                continue;
            }
            let is_current = current == Some(target);
            if is_current && c.has(flags::TRACKING_NOLOOP) {
                continue;
            }
            if is_current && executing {
                self.tracking.pending.push((target, Some(key.to_vec())));
            } else {
                self.send_invalidation(target, Payload::Keys(&[key]));
            }
        }
    }

    /// A flush: every tracking client (BCAST ones too) is told that
    /// everything changed, and the table is emptied (a big one freed in
    /// the background for an ASYNC flush).
    fn invalidate_all(&mut self, current: Option<usize>, lazy: bool) {
        if self.tracking.clients > 0 {
            let mut targets: Vec<(ClientId, usize)> = self
                .clients
                .iter()
                .filter(|(_, c)| c.has(flags::TRACKING))
                .map(|(k, c)| (c.id, k))
                .collect();
            targets.sort_unstable();
            for (_, k) in targets {
                if current == Some(k) {
                    self.tracking.pending.push((k, None));
                } else if let Some(resp) = self.clients.get(k).map(|c| c.connection_resp()) {
                    self.send_invalidation(k, Payload::All(resp));
                }
            }
        }
        let big = self.tracking.table.len() > lodestone_storage::value::LAZYFREE_THRESHOLD;
        let old = self.tracking.table.take_all();
        if lazy && big {
            self.engine.shards()[0].lazyfree().free(old);
        }
    }

    /// Remembers the keys of a read-only command for client `key` when it
    /// tracks in default mode and OPTIN/OPTOUT let this command count.
    /// EVAL_RO, EVALSHA_RO and FCALL_RO count only through the commands
    /// their script runs; Pub/Sub commands' "keys" are shard channels.
    fn remember_keys(&mut self, key: usize, id: usize, args: &[&[u8]]) {
        let cmd = self.table.get(id);
        if cmd.flags & cmdflags::READONLY == 0
            || cmd.flags & cmdflags::PUBSUB != 0
            || matches!(cmd.def.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
        {
            return;
        }
        let Some(c) = self.clients.get(key) else {
            return;
        };
        if !c.has(flags::TRACKING) || c.has(flags::TRACKING_BCAST) {
            return;
        }
        let caching = c.has(flags::TRACKING_CACHING);
        if (c.has(flags::TRACKING_OPTIN) && !caching) || (c.has(flags::TRACKING_OPTOUT) && caching)
        {
            return;
        }
        let client_id = c.id;
        for (pos, _) in self.table.key_positions(cmd, args) {
            if let Some(k) = args.get(pos) {
                self.tracking.table.remember(k, client_id);
            }
        }
        self.update_tracking_activity();
    }

    /// Sends client `key` the invalidations that waited for the end of its
    /// command (Redis's `trackingHandlePendingKeyInvalidations`).
    pub(crate) fn send_pending_invalidations(&mut self, key: usize) {
        if self.tracking.pending.is_empty() {
            return;
        }
        let mut mine = Vec::new();
        self.tracking.pending.retain_mut(|(k, what)| {
            if *k == key {
                mine.push(what.take());
                false
            } else {
                true
            }
        });
        for what in mine {
            match what {
                Some(name) => self.send_invalidation(key, Payload::Keys(&[&name])),
                None => {
                    if let Some(resp) = self.clients.get(key).map(|c| c.connection_resp()) {
                        self.send_invalidation(key, Payload::All(resp));
                    }
                }
            }
        }
    }

    /// Keeps the key table within `tracking-table-max-keys` by invalidating
    /// random keys as if they had changed (Redis's
    /// `trackingLimitUsedSlots`): at most 100 keys per call, 100 more for
    /// each call in a row that could not get under the limit. Runs before
    /// each command of any client and on every tick while someone tracks.
    pub(crate) fn tracking_limit(&mut self, current: Option<usize>) {
        let max = self.tracking.max_keys;
        if max == 0 {
            return;
        }
        if self.tracking.table.len() <= max {
            self.tracking.over_limit_rounds = 0;
            return;
        }
        let effort = LIMIT_EFFORT.saturating_mul(self.tracking.over_limit_rounds + 1);
        for _ in 0..effort {
            let Some(victim) = self.tracking.table.random_key() else {
                break;
            };
            self.invalidate_key(&victim, current, false);
            if self.tracking.table.len() <= max {
                self.tracking.over_limit_rounds = 0;
                self.update_tracking_activity();
                return;
            }
        }
        self.tracking.over_limit_rounds += 1;
        self.update_tracking_activity();
    }

    /// Sends BCAST clients the keys changed under their prefixes since the
    /// last call, one message per prefix; a NOLOOP client does not hear
    /// of keys it changed last itself. Runs once per event-loop iteration,
    /// before the loop sleeps.
    pub(crate) fn tracking_broadcast(&mut self) {
        if self.tracking.clients == 0 || self.tracking.prefixes.is_empty() {
            return;
        }
        for batch in self.tracking.prefixes.take_batches() {
            let all: Vec<&[u8]> = batch.keys.iter().map(|(k, _)| k.as_slice()).collect();
            for id in batch.clients {
                let Some(target) = self.client_key(id) else {
                    continue;
                };
                let noloop = self
                    .clients
                    .get(target)
                    .is_some_and(|c| c.has(flags::TRACKING_NOLOOP));
                if !noloop {
                    self.send_invalidation(target, Payload::Keys(&all));
                    continue;
                }
                let others: Vec<&[u8]> = batch
                    .keys
                    .iter()
                    .filter(|(_, writer)| *writer != Some(id))
                    .map(|(k, _)| k.as_slice())
                    .collect();
                if !others.is_empty() {
                    self.send_invalidation(target, Payload::Keys(&others));
                }
            }
        }
    }
}
