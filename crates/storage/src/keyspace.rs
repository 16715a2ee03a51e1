//! [`Keyspace`]: the databases of one shard and the rules every command
//! relies on when it touches a key.
//!
//! * An expired key is never visible: every lookup first removes a key whose
//!   time has passed (lazy expiry), counting it and raising `expired`.
//! * Reads count `keyspace_hits`/`keyspace_misses` and stamp the access time
//!   (unless the client asked for `CLIENT NO-TOUCH`).
//! * Writes go through [`Keyspace::signal_modified`], which invalidates WATCH
//!   and, while client-side caching needs it, logs the change
//!   ([`crate::changes`]); so do expiry, eviction and FLUSH.
//! * Notifications are queued, not delivered: the server publishes them after
//!   the command, so this crate stays free of I/O.
//!
//! Architecture invariant: one thread owns a `Keyspace`; nothing here locks.

use crate::changes::{Change, ChangeLog};
use crate::clock;
use crate::db::{Db, KeyEntry};
use crate::lazyfree::LazyFree;
use crate::notify::{self, Notification};
use crate::value::{Value, LAZYFREE_THRESHOLD};
use crate::watch::{WatchRegistry, WatcherId};
use std::collections::{HashMap, HashSet};

/// What a snapshot says about a key besides its value: written with each
/// key by the RDB writer and applied by [`Keyspace::load_key`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// Absolute expiry, Unix ms.
    pub expire_ms: Option<i64>,
    /// Seconds since last access (kept under LRU policies).
    pub idle_secs: Option<u64>,
    /// LFU counter (kept under LFU policies).
    pub freq: Option<u8>,
}

/// Settings the keyspace applies on its own; the server copies them from
/// configuration whenever it changes.
#[derive(Clone, Debug)]
pub struct KeyspaceConfig {
    /// `notify-keyspace-events` as flags (see [`crate::notify`]).
    pub notify_flags: u32,
    /// True when `maxmemory-policy` is an LFU policy: entries then keep a
    /// frequency counter instead of an access time.
    pub lfu: bool,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u32,
    /// `lazyfree-lazy-expire`: free expired values in the background.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`: free values replaced or deleted as a side
    /// effect of a command in the background.
    pub lazyfree_lazy_server_del: bool,
    /// `active-expire-effort` (1-10).
    pub active_expire_effort: u32,
    /// `maxmemory-policy`: which keys [`Keyspace::evict_one`] may take.
    pub maxmemory_policy: crate::evict::Policy,
    /// `maxmemory-samples`: keys sampled per database per eviction.
    pub maxmemory_samples: usize,
    /// `lazyfree-lazy-eviction`: free evicted values in the background.
    pub lazyfree_lazy_eviction: bool,
    /// `list-max-listpack-size`, `list-compress-depth` and the quicklist
    /// packed threshold (`DEBUG QUICKLIST-PACKED-THRESHOLD`).
    pub list: crate::list::ListConfig,
    /// `hash-max-listpack-entries` and `hash-max-listpack-value`.
    pub hash_limits: crate::hash::HashLimits,
    /// `set-max-intset-entries`, `set-max-listpack-entries` and
    /// `set-max-listpack-value`.
    pub set_limits: crate::set::SetLimits,
    /// `zset-max-listpack-entries` and `zset-max-listpack-value`.
    pub zset_limits: crate::zset::ZSetLimits,
}

impl Default for KeyspaceConfig {
    fn default() -> Self {
        KeyspaceConfig {
            notify_flags: 0,
            lfu: false,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            active_expire_effort: 1,
            maxmemory_policy: crate::evict::Policy::NoEviction,
            maxmemory_samples: 5,
            lazyfree_lazy_eviction: false,
            list: crate::list::ListConfig::default(),
            hash_limits: crate::hash::HashLimits::default(),
            set_limits: crate::set::SetLimits::default(),
            zset_limits: crate::zset::ZSetLimits::default(),
        }
    }
}

/// Counters reported by `INFO stats`.
#[derive(Clone, Debug, Default)]
pub struct KeyspaceStats {
    /// Successful key lookups by read commands.
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands.
    pub keyspace_misses: u64,
    /// Keys removed because their time to live passed.
    pub expired_keys: u64,
    /// Keys removed to bring memory under `maxmemory`.
    pub evicted_keys: u64,
    /// Estimated percentage of volatile keys that are logically expired.
    pub expired_stale_perc: f64,
    /// Active expiry cycles that stopped because they ran out of time.
    pub expired_time_cap_reached_count: u64,
    /// Time spent in active expiry (ms).
    pub expire_cycle_cpu_milliseconds: u64,
}

/// How a lookup behaves, as Redis's `LOOKUP_*` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lookup {
    /// Do not update the access time (TYPE, EXISTS, OBJECT, ...).
    pub no_touch: bool,
    /// Do not count a hit or miss.
    pub no_stats: bool,
    /// Do not raise the `keymiss` event.
    pub no_notify: bool,
}

impl Lookup {
    /// Plain read lookup.
    pub const READ: Lookup = Lookup {
        no_touch: false,
        no_stats: false,
        no_notify: false,
    };
    /// Lookup that leaves no trace: no access time, no stats, no event.
    pub const PEEK: Lookup = Lookup {
        no_touch: true,
        no_stats: true,
        no_notify: true,
    };
}

/// Where a key stands at command time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    Absent,
    Expired,
    Live,
}

/// All databases of one shard, with the state commands share.
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Settings applied by the keyspace itself.
    pub config: KeyspaceConfig,
    /// Counters for `INFO`.
    pub stats: KeyspaceStats,
    /// Whether expiry deletions are logged (see `set_record_expired`).
    record_expired: bool,
    /// Expiry deletions not yet taken.
    expired_log: Vec<(usize, Vec<u8>)>,
    /// Eviction deletions not yet taken.
    evicted_log: Vec<(usize, Vec<u8>)>,
    /// Number of changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
    now_ms: i64,
    lru_clock: u32,
    no_touch: bool,
    /// A fork child shares the data set's memory copy-on-write.
    child_active: bool,
    expiry_paused: bool,
    loading: bool,
    notifications: Vec<Notification>,
    watch: WatchRegistry,
    changes: ChangeLog,
    /// Keys some client is blocked on (BLPOP, BZPOPMIN, ...), with the
    /// number of blocked clients per key.
    blocking: HashMap<(usize, Vec<u8>), usize>,
    /// Keys that may satisfy blocked clients, in signal order, without repeats.
    ready: Vec<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
    lazyfree: LazyFree,
    pub(crate) evictor: crate::evict::Evictor,
    pub(crate) expire_db_cursor: usize,
    pub(crate) last_fast_cycle_ms: i64,
    pub(crate) last_cycle_time_capped: bool,
}

impl Keyspace {
    /// A keyspace of `databases` empty databases.
    pub fn new(databases: usize, lazyfree: LazyFree) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            config: KeyspaceConfig::default(),
            stats: KeyspaceStats::default(),
            record_expired: false,
            expired_log: Vec::new(),
            evicted_log: Vec::new(),
            dirty: 0,
            now_ms: 0,
            lru_clock: 0,
            no_touch: false,
            child_active: false,
            expiry_paused: false,
            loading: false,
            notifications: Vec::new(),
            watch: WatchRegistry::default(),
            changes: ChangeLog::default(),
            blocking: HashMap::new(),
            ready: Vec::new(),
            ready_set: HashSet::new(),
            lazyfree,
            evictor: crate::evict::Evictor::default(),
            expire_db_cursor: 0,
            last_fast_cycle_ms: 0,
            last_cycle_time_capped: false,
        }
    }

    /// Sets the time commands see (Unix ms). The server sets it once per
    /// command, so a command (or a whole MULTI) sees one consistent time.
    pub fn set_time(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.lru_clock = clock::lru_clock(now_ms);
    }

    /// The time commands see (Unix ms).
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The LRU clock at the command time.
    pub fn lru_clock(&self) -> u32 {
        self.lru_clock
    }

    /// `CLIENT NO-TOUCH` of the client running the current command.
    pub fn set_no_touch(&mut self, no_touch: bool) {
        self.no_touch = no_touch;
    }

    /// Whether a fork child (BGSAVE) shares the data set's memory: while
    /// one does, reads leave keys' access times alone, as Redis's do, since
    /// each stamp would make the kernel copy the entry's page.
    pub fn set_child_active(&mut self, active: bool) {
        self.child_active = active;
    }

    /// While paused (`CLIENT PAUSE WRITE`), expired keys stay in memory but
    /// remain invisible.
    pub fn set_expiry_paused(&mut self, paused: bool) {
        self.expiry_paused = paused;
    }

    /// True while expiry deletions are suspended.
    pub fn expiry_paused(&self) -> bool {
        self.expiry_paused
    }

    /// While loading (an append-only file replayed at startup or by DEBUG
    /// LOADAOF) nothing expires: commands are replayed in the state they
    /// originally ran against, when their keys were still live, and a
    /// time already past sets an expiry instead of deleting the key, as
    /// in Redis (`keyIsExpired`, `checkAlreadyExpired` with
    /// `server.loading`). The file's own DELs and later expiry remove them.
    pub fn set_loading(&mut self, loading: bool) {
        self.loading = loading;
    }

    /// Whether an expiry time `when` (Unix ms) given to a command is
    /// already past, so the key is deleted rather than given a TTL; never
    /// while loading.
    pub fn already_expired(&self, when: i64) -> bool {
        when <= self.now_ms && !self.loading
    }

    /// Number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Database `db` for read-only inspection.
    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    /// The lazy-free handle, for commands that free big values themselves.
    pub fn lazyfree(&self) -> &LazyFree {
        &self.lazyfree
    }

    /// The WATCH registry.
    pub fn watch_registry(&mut self) -> &mut WatchRegistry {
        &mut self.watch
    }

    /// Starts or stops logging key changes for client-side caching (the
    /// server turns it on while the tracking table can hold anything).
    pub fn set_change_recording(&mut self, on: bool) {
        self.changes.set_recording(on);
    }

    /// True when logged key changes wait to be read.
    pub fn has_changes(&self) -> bool {
        self.changes.has_changes()
    }

    /// Takes the logged key changes, oldest first.
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.changes.take()
    }

    /// Takes the queued keyspace notifications.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.notifications)
    }

    /// True when notifications are waiting.
    pub fn has_notifications(&self) -> bool {
        !self.notifications.is_empty()
    }

    /// Queues a keyspace notification of class `class` if that class is enabled.
    pub fn notify(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        let flags = self.config.notify_flags;
        if flags & class != 0 && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0 {
            self.notifications.push(Notification {
                event,
                key: key.to_vec(),
                db,
            });
        }
    }

    fn new_lru(&self) -> u32 {
        if self.config.lfu {
            clock::lfu_initial(self.now_ms)
        } else {
            self.lru_clock
        }
    }

    /// True when `entry` (of `db`) is past its expiry time at command time.
    pub fn entry_is_expired(&self, db: usize, entry: &KeyEntry) -> bool {
        !self.loading
            && self.dbs[db]
                .expire_of(entry)
                .is_some_and(|at| at < self.now_ms)
    }

    /// True when `key` exists but is past its expiry time.
    pub fn key_is_expired(&self, db: usize, key: &[u8]) -> bool {
        self.probe(db, key) == Probe::Expired
    }

    /// Where `key` stands at command time, with one table probe for keys
    /// without a TTL.
    fn probe(&self, db: usize, key: &[u8]) -> Probe {
        match self.dbs[db].entry(key) {
            None => Probe::Absent,
            Some(e) if self.entry_is_expired(db, e) => Probe::Expired,
            Some(_) => Probe::Live,
        }
    }

    /// Removes `key` if it is logically expired. Returns true when the key
    /// is expired (whether or not it could be removed).
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        self.settle(db, key) == Probe::Expired
    }

    /// Probes `key` and removes it when expired (unless expiry is paused).
    fn settle(&mut self, db: usize, key: &[u8]) -> Probe {
        let probe = self.probe(db, key);
        if probe == Probe::Expired && !self.expiry_paused {
            self.delete_expired(db, key);
        }
        probe
    }

    /// Deletes an expired key with all the side effects of expiry.
    pub(crate) fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if let Some(value) = self.dbs[db].remove(key) {
            self.dispose(value, self.config.lazyfree_lazy_expire);
            self.signal_ready(db, key);
            self.stats.expired_keys += 1;
            self.notify(notify::EXPIRED, "expired", db, key);
            self.watch.touch(db, key, false);
            self.changes.key(key, true);
            if self.record_expired {
                self.expired_log.push((db, key.to_vec()));
            }
        }
    }

    /// Records expiry and eviction deletions for [`Self::take_expired`]
    /// and [`Self::take_evicted`] from now on (when the server propagates
    /// writes): replicas and the AOF learn of them as DELs, since they
    /// never expire or evict keys themselves.
    pub fn set_record_expired(&mut self, on: bool) {
        self.record_expired = on;
    }

    /// The keys deleted by expiry since the last call, with their database.
    pub fn take_expired(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.expired_log)
    }

    /// Logs an eviction for [`Self::take_evicted`] when deletions are
    /// recorded: the AOF and replicas learn of it as a DEL.
    pub(crate) fn log_eviction(&mut self, db: usize, key: &[u8]) {
        if self.record_expired {
            self.evicted_log.push((db, key.to_vec()));
        }
    }

    /// The keys evicted since the last call, with their database.
    pub fn take_evicted(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.evicted_log)
    }

    /// Looks a key up for reading; `None` when absent or expired.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&Value> {
        self.lookup(db, key, Lookup::READ).map(|e| &e.value)
    }

    /// Looks a key up with explicit flags, counting hits and misses.
    pub fn lookup(&mut self, db: usize, key: &[u8], flags: Lookup) -> Option<&mut KeyEntry> {
        if self.settle(db, key) != Probe::Live {
            if !flags.no_notify {
                self.notify(notify::KEY_MISS, "keymiss", db, key);
            }
            if !flags.no_stats {
                self.stats.keyspace_misses += 1;
            }
            return None;
        }
        if !flags.no_stats {
            self.stats.keyspace_hits += 1;
        }
        self.touch_entry(db, key, flags.no_touch)
    }

    /// Looks a key up for writing: expires it if needed, stamps the access
    /// time, counts no statistics.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        if self.settle(db, key) != Probe::Live {
            return None;
        }
        self.touch_entry(db, key, false).map(|e| &mut e.value)
    }

    /// The live entry for `key`, with its access time updated unless
    /// `no_touch` (or the client's NO-TOUCH mode, or a fork child sharing
    /// memory) says otherwise.
    fn touch_entry(&mut self, db: usize, key: &[u8], no_touch: bool) -> Option<&mut KeyEntry> {
        let touch = !(no_touch || self.no_touch || self.child_active);
        let (now, lru_clock) = (self.now_ms, self.lru_clock);
        let (lfu, log_factor, decay) = (
            self.config.lfu,
            self.config.lfu_log_factor,
            self.config.lfu_decay_time,
        );
        let entry = self.dbs[db].entry_mut(key)?;
        if touch {
            entry.lru = if lfu {
                clock::lfu_touch(entry.lru, now, log_factor, decay)
            } else {
                lru_clock
            };
        }
        Some(entry)
    }

    /// True when `key` exists and is not expired; touches nothing.
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.settle(db, key) == Probe::Live
    }

    /// Adds a key that does not exist (Redis's `dbAdd`); raises `new` and
    /// wakes clients blocked on the key.
    pub fn add(&mut self, db: usize, key: &[u8], value: Value) {
        let lru = self.new_lru();
        self.dbs[db].insert_new(key, value, lru);
        self.notify(notify::NEW, "new", db, key);
        self.signal_ready(db, key);
    }

    /// Adds a key read from a snapshot, with its expiry and access
    /// history: no notification, no wakeup, no change counted. When the
    /// key exists it is replaced if `replace`, else nothing changes and
    /// false is returned (a duplicate key in the file).
    pub fn load_key(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        meta: KeyMeta,
        replace: bool,
    ) -> bool {
        if replace && self.dbs[db].entry(key).is_some() {
            if let Some((old, _)) = self.take(db, key) {
                self.dispose(old, false);
            }
        }
        let lru = if self.config.lfu {
            match meta.freq {
                Some(f) => (clock::lfu_minutes(self.now_ms) << 8) | u32::from(f),
                None => self.new_lru(),
            }
        } else {
            match meta.idle_secs {
                Some(idle) => clock::lru_for_idle(self.lru_clock, idle as i64 * 1000),
                None => self.new_lru(),
            }
        };
        self.dbs[db]
            .load_new(key, value, lru, meta.expire_ms)
            .is_ok()
    }

    /// Starts fetching the memory a [`Keyspace::load_key`] of `key` into
    /// `db` will probe first, so that decoding its value meanwhile hides
    /// the wait.
    pub fn prefetch_for_load(&self, db: usize, key: &[u8]) {
        self.dbs[db].prefetch(key);
    }

    /// Sizes database `db`'s tables for `keys` keys, `expires` of them
    /// with a TTL, before a load adds them (RESIZEDB; the caller bounds
    /// the figures by what its input can hold).
    pub fn reserve_for_load(&mut self, db: usize, keys: usize, expires: usize) {
        self.dbs[db].reserve(keys, expires);
    }

    /// Records that one more client blocks on `key` of `db`.
    pub fn block_on(&mut self, db: usize, key: &[u8]) {
        *self.blocking.entry((db, key.to_vec())).or_default() += 1;
    }

    /// Records that a client no longer blocks on `key` of `db`.
    pub fn unblock_on(&mut self, db: usize, key: &[u8]) {
        let k = (db, key.to_vec());
        if let Some(n) = self.blocking.get_mut(&k) {
            *n -= 1;
            if *n == 0 {
                self.blocking.remove(&k);
            }
        }
    }

    /// Number of distinct keys clients are blocked on.
    pub fn blocking_key_count(&self) -> usize {
        self.blocking.len()
    }

    /// A key received data: if clients block on it, queue it so the server
    /// retries their commands after the current command (or transaction).
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.is_empty() {
            return;
        }
        let k = (db, key.to_vec());
        if self.blocking.contains_key(&k) && self.ready_set.insert(k.clone()) {
            self.ready.push(k);
        }
    }

    /// Takes the keys signalled ready since the last call.
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// True when keys are waiting to be served to blocked clients.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The type of a live key without any side effect (no expiry, no
    /// stats, no access time): used to decide whether a blocked client
    /// can be served.
    pub fn peek_kind(&self, db: usize, key: &[u8]) -> Option<crate::value::Kind> {
        match self.probe(db, key) {
            Probe::Live => self.dbs[db].entry(key).map(|e| e.value.kind()),
            _ => None,
        }
    }

    /// Stores `value` at `key`, replacing any value (Redis's `setKey`). The
    /// TTL is cleared unless `keep_ttl`; WATCH is invalidated.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        self.expire_if_needed(db, key);
        match self.dbs[db].entry_mut(key) {
            Some(entry) => {
                let old = std::mem::replace(&mut entry.value, value);
                self.dispose(old, self.config.lazyfree_lazy_server_del);
                // Group readers blocked on an overwritten stream must learn.
                self.signal_ready(db, key);
            }
            None => self.add(db, key, value),
        }
        if !keep_ttl {
            self.dbs[db].remove_expire(key);
        }
        self.signal_modified(db, key);
    }

    /// Replaces the value of an existing key in place, keeping its TTL and
    /// access time (Redis's `dbReplaceValue`).
    pub fn replace_value(&mut self, db: usize, key: &[u8], value: Value) -> bool {
        let Some(entry) = self.dbs[db].entry_mut(key) else {
            return false;
        };
        let old = std::mem::replace(&mut entry.value, value);
        self.dispose(old, self.config.lazyfree_lazy_server_del);
        true
    }

    /// Deletes `key`, freeing a large value in the background when `lazy`.
    /// Returns false when the key did not exist (expired keys count as
    /// absent). Does not notify: the command names the event.
    pub fn delete(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        if self.expire_if_needed(db, key) {
            return false;
        }
        match self.dbs[db].remove(key) {
            Some(value) => {
                self.dispose(value, lazy);
                // Group readers blocked on a deleted stream must learn.
                self.signal_ready(db, key);
                true
            }
            None => false,
        }
    }

    /// Removes `key` and returns its value, TTL and access stamp (for
    /// RENAME, MOVE). Expired keys count as absent.
    pub fn take(&mut self, db: usize, key: &[u8]) -> Option<(Value, Option<i64>)> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        let ttl = self.dbs[db].expire_at(key);
        let taken = self.dbs[db].remove(key).map(|v| (v, ttl));
        if taken.is_some() {
            self.signal_ready(db, key);
        }
        taken
    }

    /// Frees a value, in the background when `lazy` and it is big (with
    /// its estimated size, which `maxmemory` counts as freed at once).
    pub fn dispose(&self, value: Value, lazy: bool) {
        if lazy && value.free_effort() > LAZYFREE_THRESHOLD {
            let bytes = value.heap_size() as u64;
            self.lazyfree.free_sized(value, bytes);
        }
    }

    /// Sets the absolute expiry (Unix ms) of an existing key.
    pub fn set_expire(&mut self, db: usize, key: &[u8], at_ms: i64) -> bool {
        self.dbs[db].set_expire(key, at_ms)
    }

    /// Removes the TTL of `key`; true when it had one.
    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].remove_expire(key)
    }

    /// The absolute expiry (Unix ms) of `key`, if any.
    pub fn expire_at(&self, db: usize, key: &[u8]) -> Option<i64> {
        self.dbs[db]
            .entry(key)
            .and_then(|e| self.dbs[db].expire_of(e))
    }

    /// A write happened to `key`: invalidates WATCHes on it and logs the
    /// change for client-side caching.
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        self.signal_changed(db, key, false);
    }

    /// [`Self::signal_modified`], saying whether the server changed the key
    /// on its own (eviction) rather than a command.
    pub(crate) fn signal_changed(&mut self, db: usize, key: &[u8], by_server: bool) {
        if !self.watch.is_empty() {
            let exists = self.dbs[db].main.contains_key(key);
            self.watch.touch(db, key, exists);
        }
        self.changes.key(key, by_server);
    }

    /// Registers a WATCH of `key` by `client`.
    pub fn watch(&mut self, db: usize, key: &[u8], client: WatcherId) {
        let expired = self.key_is_expired(db, key);
        self.watch.watch(db, key, client, expired);
    }

    /// True when a key `client` watches (and that was live when watched) is
    /// now logically expired: EXEC must then fail.
    pub fn watched_key_expired(&self, watched: &[(usize, Vec<u8>)], client: WatcherId) -> bool {
        watched.iter().any(|(db, key)| {
            !self.watch.expired_flag(*db, key, client) && self.key_is_expired(*db, key)
        })
    }

    /// A random live key of `db` (RANDOMKEY); expired keys met on the way are
    /// removed.
    pub fn random_key(&mut self, db: usize) -> Option<Vec<u8>> {
        // Bounded so that a database of only expired keys (while expiry is
        // paused) cannot spin forever.
        for _ in 0..100 {
            let key = self.dbs[db].random()?.key().to_vec();
            if !self.expire_if_needed(db, &key) {
                return Some(key);
            }
            if self.expiry_paused {
                // Cannot delete; report the key's absence honestly.
                continue;
            }
        }
        None
    }

    /// Empties database `db` (or all with `None`); values are freed in the
    /// background when `lazy`. WATCHes on existing keys are invalidated and
    /// every cached key is (one logged flush, even for an empty database).
    /// Returns the number of keys removed.
    pub fn flush(&mut self, db: Option<usize>, lazy: bool) -> usize {
        self.changes.flush(lazy);
        let range = match db {
            Some(d) => d..d + 1,
            None => 0..self.dbs.len(),
        };
        let mut removed = 0;
        for d in range {
            if !self.watch.is_empty() {
                let dbref = &self.dbs[d];
                self.watch.touch_db(d, |k| dbref.main.contains_key(k), None);
            }
            removed += self.dbs[d].len();
            let old = std::mem::take(&mut self.dbs[d]);
            if lazy && old.len() > LAZYFREE_THRESHOLD {
                self.lazyfree.free(old);
            }
            // Group readers blocked on keys that were just deleted must
            // learn (they fail with NOGROUP); other waiters stay parked.
            let blocked: Vec<Vec<u8>> = self
                .blocking
                .keys()
                .filter(|(bd, _)| *bd == d)
                .map(|(_, k)| k.clone())
                .collect();
            for k in blocked {
                self.signal_ready(d, &k);
            }
        }
        removed
    }

    /// Swaps two databases (SWAPDB), invalidating WATCHes as Redis does.
    pub fn swap_db(&mut self, a: usize, b: usize) {
        if !self.watch.is_empty() {
            let now = self.now_ms;
            for (emptied, replaced) in [(a, b), (b, a)] {
                let (e, r) = (&self.dbs[emptied], &self.dbs[replaced]);
                let exists = |k: &[u8]| r.main.contains_key(k);
                let expired = |k: &[u8]| {
                    r.entry(k)
                        .and_then(|en| r.expire_of(en))
                        .is_some_and(|at| at < now)
                };
                self.watch.touch_db(
                    emptied,
                    |k| e.main.contains_key(k),
                    Some((&exists, &expired)),
                );
            }
        }
        self.dbs.swap(a, b);
        // Clients blocked in either database may now find data.
        let blocked: Vec<(usize, Vec<u8>)> = self
            .blocking
            .keys()
            .filter(|(d, _)| *d == a || *d == b)
            .cloned()
            .collect();
        for (d, k) in blocked {
            if self.dbs[d].main.contains_key(&k) {
                self.signal_ready(d, &k);
            }
        }
    }

    /// Does about `ms` milliseconds of pending table resizing (the server
    /// calls this every tick, like Redis's `activerehashing`).
    pub fn rehash_for(&mut self, ms: u64) {
        let start = std::time::Instant::now();
        for db in &mut self.dbs {
            while db.rehash(100) {
                if start.elapsed().as_millis() as u64 >= ms {
                    return;
                }
            }
        }
    }

    /// Database `db` for mutation of entries' metadata by the command layer.
    pub fn db_mut(&mut self, db: usize) -> &mut Db {
        &mut self.dbs[db]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks() -> Keyspace {
        let mut ks = Keyspace::new(16, LazyFree::start());
        ks.set_time(1_000_000);
        ks
    }

    #[test]
    fn expired_keys_are_invisible_and_counted() {
        let mut k = ks();
        k.set(0, b"a", Value::string(b"1"), false);
        k.set_expire(0, b"a", 1_000_500);
        assert!(k.lookup_read(0, b"a").is_some());
        k.set_time(1_000_500);
        assert!(
            k.lookup_read(0, b"a").is_some(),
            "a key is live at exactly its expiry time"
        );
        k.set_time(1_000_501);
        assert!(k.lookup_read(0, b"a").is_none());
        assert_eq!(k.stats.expired_keys, 1);
        assert_eq!(k.stats.keyspace_hits, 2);
        assert_eq!(k.stats.keyspace_misses, 1);
        assert_eq!(k.db(0).len(), 0);
    }

    #[test]
    fn set_clears_ttl_unless_kept() {
        let mut k = ks();
        k.set(0, b"a", Value::string(b"1"), false);
        k.set_expire(0, b"a", 2_000_000);
        k.set(0, b"a", Value::string(b"2"), true);
        assert_eq!(k.expire_at(0, b"a"), Some(2_000_000));
        k.set(0, b"a", Value::string(b"3"), false);
        assert_eq!(k.expire_at(0, b"a"), None);
    }

    #[test]
    fn writes_and_flushes_dirty_watchers() {
        let mut k = ks();
        k.set(0, b"a", Value::string(b"1"), false);
        k.watch(0, b"a", 7);
        k.watch(0, b"missing", 8);
        assert!(!k.watch_registry().is_dirty(7));
        k.set(0, b"a", Value::string(b"2"), false);
        assert!(k.watch_registry().is_dirty(7));
        k.flush(Some(0), false);
        assert!(
            !k.watch_registry().is_dirty(8),
            "flushing a db without the key changes nothing"
        );
    }

    #[test]
    fn notifications_follow_flags() {
        let mut k = ks();
        k.config.notify_flags = notify::parse_flags(b"KEA").unwrap();
        k.set(0, b"a", Value::string(b"1"), false);
        k.set_expire(0, b"a", 0);
        assert!(k.lookup_read(0, b"a").is_none());
        let events: Vec<_> = k
            .take_notifications()
            .into_iter()
            .map(|n| n.event)
            .collect();
        assert_eq!(events, vec!["expired"]);
    }

    #[test]
    fn changes_are_logged_only_while_recording() {
        let mut k = ks();
        k.set(0, b"a", Value::string(b"1"), false);
        assert!(!k.has_changes());
        k.set_change_recording(true);
        k.set(0, b"a", Value::string(b"2"), false);
        k.set_expire(0, b"a", 0);
        assert!(k.lookup_read(0, b"a").is_none());
        k.flush(Some(3), true);
        let key = |by_server| Change::Key {
            key: b"a".to_vec(),
            by_server,
        };
        assert_eq!(
            k.take_changes(),
            vec![key(false), key(true), Change::Flush { lazy: true }],
            "a write, its expiry (by the server) and a flush of an empty db"
        );
    }
}
