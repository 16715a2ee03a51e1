//! [`Server`]: everything the event-loop thread owns.
//!
//! Threading model: one thread runs the event loop and owns the `Server`,
//! hence the keyspace, every client and every registry (Pub/Sub, WATCH,
//! slowlog). Commands run to completion on it without locks, as in Redis.
//! Other threads only free memory (lazyfree) and never touch this state.

use crate::client::{Client, ClientId};
use crate::config::Config;
use crate::handlers::Handler;
use crate::latency::LatencyMonitor;
use crate::pubsub::PubSub;
use crate::slowlog::SlowLog;
use crate::stats::{CommandStats, Stats};
use lodestone_commands::table::CommandTable;
use lodestone_commands::Settings;
use lodestone_storage::Engine;
use mio::net::TcpListener;
use mio::Poll;
use slab::Slab;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

/// Values read on every command or I/O event, copied out of [`Config`]
/// whenever it changes so hot paths never look a parameter up by name.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// `hz`: server ticks per second.
    pub hz: u32,
    /// `busy-reply-threshold` (`lua-time-limit`), ms: a script running
    /// longer makes the server serve other clients with BUSY errors.
    pub busy_reply_threshold_ms: i64,
    /// `maxclients`.
    pub maxclients: usize,
    /// `timeout`: idle seconds before a client is closed (0: never).
    pub timeout_secs: i64,
    /// `client-query-buffer-limit`.
    pub query_buffer_limit: usize,
    /// `requirepass`, when set.
    pub requirepass: Option<Vec<u8>>,
    /// `slowlog-log-slower-than` (µs; negative disables).
    pub slowlog_slower_than_us: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: usize,
    /// `latency-monitor-threshold` (ms; 0 disables).
    pub latency_threshold_ms: i64,
    /// Output buffer limits for normal, replica and pubsub clients.
    pub output_limits: [crate::config::special::OutputLimit; 3],
    /// `enable-debug-command` (`no`, `yes`, `local`).
    pub enable_debug: String,
    /// `enable-protected-configs`.
    pub enable_protected_configs: String,
    /// `tcp-keepalive` seconds.
    pub tcp_keepalive: u32,
    /// `activerehashing`.
    pub active_rehashing: bool,
    /// `latency-tracking`: record per-command latency distributions.
    pub latency_tracking: bool,
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: u64,
    /// Time budget of one eviction attempt (µs), from
    /// `maxmemory-eviction-tenacity`.
    pub eviction_time_limit_us: u64,
}

/// A CLIENT PAUSE in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// Until when (Unix ms).
    pub until_ms: i64,
    /// True for `WRITE` pauses (only writes wait), false for `ALL`.
    pub write_only: bool,
}

/// The whole server state owned by the event-loop thread.
pub struct Server {
    /// Configuration.
    pub config: Config,
    /// Hot configuration values.
    pub rt: Runtime,
    /// Settings handed to keyspace commands.
    pub settings: Settings,
    /// The keyspace.
    pub engine: Engine,
    /// All implemented commands.
    pub table: CommandTable<Handler>,
    /// Per-command counters, indexed by command id.
    pub cmd_stats: Vec<CommandStats>,
    /// Connected clients, keyed by their mio token.
    pub clients: Slab<Client>,
    /// Client id to slab key.
    pub client_keys: HashMap<ClientId, usize>,
    /// Next CLIENT ID to hand out.
    pub next_client_id: ClientId,
    /// The readiness poller.
    pub poll: Poll,
    /// Listening sockets.
    pub listeners: Vec<TcpListener>,
    /// Server-wide counters.
    pub stats: Stats,
    /// Pub/Sub subscriptions.
    pub pubsub: PubSub,
    /// SLOWLOG entries.
    pub slowlog: SlowLog,
    /// LATENCY events.
    pub latency: LatencyMonitor,
    /// Slab keys of clients in MONITOR mode.
    pub monitors: Vec<usize>,
    /// CLIENT PAUSE in effect, if any.
    pub pause: Option<Pause>,
    /// Clients whose output must be written before the loop sleeps.
    pub pending_writes: Vec<usize>,
    /// Clients to close at the end of the current iteration.
    pub to_close: Vec<usize>,
    /// Clients with unprocessed input to resume (after a pause ended).
    pub to_resume: Vec<usize>,
    /// Cached wall-clock time of the current iteration or command (Unix ms).
    pub now_ms: i64,
    /// Unix time in microseconds when the current top-level command
    /// started: TIME answers it, so that a script or a transaction sees
    /// time stand still, as Redis's cached `ustime` does.
    pub cmd_time_us: i64,
    /// Clock pairing used to turn monotonic readings into Unix time.
    pub clock: ClockBase,
    /// When the server started.
    pub started: Instant,
    /// Unix time (s) of the start.
    pub start_unix: i64,
    /// Random 40-hex-digit id of this run (INFO `run_id`).
    pub run_id: String,
    /// A termination signal arrived: shut down at the end of this iteration.
    pub signal_shutdown: bool,
    /// SIGTERM/SIGINT delivery, registered with the poller by `run`.
    pub signals: Option<signal_hook_mio::v1_0::Signals>,
    /// Shutdown work is done: the loop exits at the end of this iteration.
    pub exit_now: bool,
    /// DEBUG SET-ACTIVE-EXPIRE: whether the active expiry cycle runs.
    pub active_expire: bool,
    /// DEBUG PAUSE-CRON: the periodic task is skipped while set.
    pub pause_cron: bool,
    /// DEBUG QUICKLIST-PACKED-THRESHOLD: list elements at least this large
    /// (bytes) get a node of their own instead of sharing a listpack.
    pub quicklist_packed_threshold: u64,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands.
    pub script_disable_deny_script: bool,
    /// Replication id (INFO `master_replid`); DEBUG CHANGE-REPL-ID renews it.
    pub replid: String,
    /// Cron ticks run so far.
    pub cron_loops: u64,
    /// Address and port actually listened on (port 0 resolves here).
    pub port: u16,
    /// Clients blocked on each (db, key), first blocked first.
    pub blocked_on: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Deadlines of blocked clients: (Unix ms, client key).
    pub block_deadlines: BTreeSet<(i64, usize)>,
    /// Deadline kept when a woken client's command blocks again.
    pub reprocess_deadline: Option<Option<i64>>,
    /// Nesting depth of `call` (EXEC runs commands inside a command).
    pub call_depth: usize,
    /// Slab key of the client whose command is running (from the start of
    /// its command to the end of the bookkeeping after it).
    pub current_client: Option<usize>,
    /// Id of the innermost command running: pushes to the running client
    /// wait for its reply unless this command replies with pushes
    /// ((P|S)(UN)SUBSCRIBE).
    pub running_cmd: Option<usize>,
    /// Client-side caching (CLIENT TRACKING) state.
    pub tracking: crate::tracking::Tracking,
    /// The last top-level command looked up, by its exact name bytes.
    pub last_lookup: Option<(Vec<u8>, usize)>,
    /// The same for the commands scripts call (`redis.call`), which
    /// repeat as a pipeline's requests do.
    pub last_script_lookup: Option<(Vec<u8>, usize)>,
    /// When the command being called started (set by `call` before its
    /// handler runs; a script run takes it as its start).
    pub call_started: quanta::Instant,
    /// True while ready keys are being served (no re-entry).
    pub serving_ready_keys: bool,
    /// The Lua interpreter and script cache, created on first use (and
    /// taken out while a script runs, so its bridge can hold the server).
    pub scripting: Option<crate::scripting::ScriptEngine>,
    /// The effects stream for the AOF and replicas (see `propagate.rs`).
    pub effects: crate::propagate::Effects,
    /// Where writes recorded now go (`propagate::TARGET_*`): all, unless a
    /// script narrowed it with `redis.set_repl`.
    pub effect_targets: u8,
    /// The replicas' stream buffer and selected database, once a replica
    /// attached (see `replica_feed.rs`).
    pub replica_feed: Option<(
        crate::replica_feed::FeedBuffer,
        std::rc::Rc<std::cell::RefCell<Option<usize>>>,
    )>,
    /// Clients attached as replicas.
    pub replicas: Vec<usize>,
    /// Clients blocked in WAIT or WAITAOF, the latest first (see
    /// `wait_acks.rs`).
    pub waiting_acks: Vec<usize>,
    /// Set by WAIT or WAITAOF when their client must park (deadline, what
    /// it waits for); `call` parks it once the handler returns.
    pub park_for_acks: Option<(Option<i64>, crate::client::AckWait)>,
    /// A client blocked in WAIT or WAITAOF: ask the replicas for an
    /// acknowledgement before sleeping (REPLCONF GETACK).
    pub get_ack_from_replicas: bool,
    /// RDB saving and loading state (SAVE, BGSAVE, INFO persistence).
    pub rdb: crate::persistence::RdbState,
    /// The data set load in progress, if any (see `loading.rs`).
    pub loading: Option<crate::loading::Loading>,
    /// The append-only file (see `aof/`).
    pub aof: crate::aof::AofState,
    /// Function libraries and their interpreter (FUNCTION, FCALL).
    pub functions: crate::scripting::functions::Functions,
    /// True while a script runs (its commands show as `lua` in MONITOR).
    pub in_script: bool,
    /// A script running past `busy-reply-threshold`: other clients get
    /// BUSY until it ends or is killed.
    pub busy_script: Option<crate::scripting::busy::BusyScript>,
    /// Clients whose socket events were set aside while they ran a busy
    /// script; read again once it ends.
    pub to_reread: Vec<usize>,
    /// Used memory as `maxmemory` sees it.
    pub used_memory: crate::memory::UsedMemory,
    /// Eviction in progress and its statistics.
    pub eviction: crate::evict::EvictionState,
    /// Memory was over `maxmemory` (and nothing could be evicted) when the
    /// current top-level command started (Redis's `pre_command_oom_state`):
    /// scripts decide on it, not on memory their own run uses.
    pub pre_command_oom: bool,
    /// The running server-level handler replied with an error whose
    /// statistics it handled itself (a script's error): `call` counts the
    /// command as failed without counting the error again.
    pub handler_failed: bool,
    /// The running command's own request must not be propagated although
    /// it changed the data set (DEBUG LOADAOF and DEBUG RELOAD replace it
    /// from disk; Redis's `preventCommandPropagation`).
    pub prevent_propagation: bool,
}

/// A random 40-hex-digit id (run id, replication id).
pub fn random_hex_id() -> String {
    (0..40)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect()
}

/// A wall-clock reading paired with a monotonic one, refreshed once per
/// event-loop iteration, so commands get their Unix time from the one
/// monotonic reading they already take instead of another clock call.
/// The monotonic clock is the CPU's time-stamp counter (`quanta`): reading
/// it costs a few nanoseconds, against ~25 ns for `clock_gettime`, and every
/// command reads it twice (start and duration).
#[derive(Clone, Copy, Debug)]
pub struct ClockBase {
    /// Monotonic reading.
    pub instant: quanta::Instant,
    /// Unix time (ms) at `instant`.
    pub unix_ms: i64,
}

impl ClockBase {
    /// Reads both clocks now.
    pub fn now() -> ClockBase {
        ClockBase {
            instant: quanta::Instant::now(),
            unix_ms: unix_ms(),
        }
    }
}

/// Current Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Current Unix time in microseconds.
pub fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl Server {
    /// Builds the server state from configuration; binds nothing yet.
    pub fn new(config: Config) -> std::io::Result<Server> {
        let databases = config.int("databases").max(1) as usize;
        let table = CommandTable::build(crate::handlers::all());
        let cmd_stats = vec![CommandStats::default(); table.all().len()];
        let now = unix_ms();
        let aof = crate::aof::AofState::new(&config, now / 1000);
        let mut server = Server {
            rt: runtime_from(&config),
            settings: Settings::default(),
            engine: Engine::new(databases),
            config,
            cmd_stats,
            table,
            clients: Slab::new(),
            client_keys: HashMap::new(),
            next_client_id: 1,
            poll: Poll::new()?,
            listeners: Vec::new(),
            stats: Stats::default(),
            pubsub: PubSub::default(),
            slowlog: SlowLog::default(),
            latency: LatencyMonitor::default(),
            monitors: Vec::new(),
            pause: None,
            pending_writes: Vec::new(),
            to_close: Vec::new(),
            to_resume: Vec::new(),
            now_ms: now,
            cmd_time_us: now * 1000,
            clock: ClockBase::now(),
            started: Instant::now(),
            start_unix: now / 1000,
            run_id: random_hex_id(),
            signal_shutdown: false,
            signals: None,
            exit_now: false,
            active_expire: true,
            pause_cron: false,
            quicklist_packed_threshold: crate::handlers::debug::DEFAULT_PACKED_THRESHOLD,
            script_disable_deny_script: false,
            replid: random_hex_id(),
            cron_loops: 0,
            port: 0,
            blocked_on: HashMap::new(),
            block_deadlines: BTreeSet::new(),
            reprocess_deadline: None,
            call_depth: 0,
            current_client: None,
            running_cmd: None,
            tracking: Default::default(),
            last_lookup: None,
            last_script_lookup: None,
            call_started: quanta::Instant::now(),
            serving_ready_keys: false,
            scripting: None,
            effects: Default::default(),
            effect_targets: crate::propagate::TARGET_ALL,
            functions: Default::default(),
            rdb: crate::persistence::RdbState::new(now / 1000),
            loading: None,
            aof,
            replica_feed: None,
            replicas: Vec::new(),
            waiting_acks: Vec::new(),
            park_for_acks: None,
            get_ack_from_replicas: false,
            in_script: false,
            busy_script: None,
            to_reread: Vec::new(),
            used_memory: Default::default(),
            eviction: Default::default(),
            pre_command_oom: false,
            handler_failed: false,
            prevent_propagation: false,
        };
        server.apply_all_config();
        Ok(server)
    }

    /// Copies every configuration value the server reads into the runtime
    /// structures: at startup and after every CONFIG SET (side effects such
    /// as rebinding are `config::apply`'s). Like Redis, a shorter
    /// `slowlog-max-len` trims the log at the next entry, and clearing
    /// `requirepass` lets every connected client in.
    pub fn apply_all_config(&mut self) {
        self.rt = runtime_from(&self.config);
        let c = &self.config;
        self.settings.proto_max_bulk_len = c.int("proto-max-bulk-len");
        self.settings.lazyfree_lazy_user_del = c.bool("lazyfree-lazy-user-del");
        self.settings.lazyfree_lazy_user_flush = c.bool("lazyfree-lazy-user-flush");
        self.settings.hll_sparse_max_bytes = c.int("hll-sparse-max-bytes").max(0) as usize;
        self.settings.stream_limits = lodestone_storage::stream::StreamLimits {
            node_max_bytes: c.int("stream-node-max-bytes").max(0) as usize,
            node_max_entries: c.int("stream-node-max-entries").max(0),
        };
        self.settings.rdb_compression = c.bool("rdbcompression");
        self.tracking.max_keys = c.num("tracking-table-max-keys").max(0) as usize;
        self.aof.apply_config(c);
        let policy = c.enum_name("maxmemory-policy");
        let lfu = policy.ends_with("-lfu");
        self.settings.shared_integers =
            c.int("maxmemory") == 0 || !(lfu || policy.ends_with("-lru"));
        let notify =
            lodestone_storage::notify::parse_flags(c.str("notify-keyspace-events").as_bytes())
                .unwrap_or(0);
        let eviction_policy =
            lodestone_storage::evict::Policy::from_name(&policy).unwrap_or_default();
        for ks in self.engine.shards_mut() {
            ks.config.notify_flags = notify;
            ks.config.lfu = lfu;
            ks.config.maxmemory_policy = eviction_policy;
            ks.config.maxmemory_samples = c.int("maxmemory-samples").max(1) as usize;
            ks.config.lazyfree_lazy_eviction = c.bool("lazyfree-lazy-eviction");
            ks.config.lfu_log_factor = c.int("lfu-log-factor") as u32;
            ks.config.lfu_decay_time = c.int("lfu-decay-time") as u32;
            ks.config.lazyfree_lazy_expire = c.bool("lazyfree-lazy-expire");
            ks.config.lazyfree_lazy_server_del = c.bool("lazyfree-lazy-server-del");
            ks.config.active_expire_effort = c.int("active-expire-effort") as u32;
            ks.config.list = lodestone_storage::list::ListConfig {
                max_listpack_size: c.int("list-max-listpack-size"),
                compress_depth: c.int("list-compress-depth"),
                packed_threshold: self.quicklist_packed_threshold as usize,
            };
            ks.config.hash_limits = lodestone_storage::hash::HashLimits {
                max_listpack_entries: c.int("hash-max-listpack-entries") as usize,
                max_listpack_value: c.int("hash-max-listpack-value") as usize,
            };
            ks.config.set_limits = lodestone_storage::set::SetLimits {
                max_intset_entries: c.int("set-max-intset-entries") as usize,
                max_listpack_entries: c.int("set-max-listpack-entries") as usize,
                max_listpack_value: c.int("set-max-listpack-value") as usize,
            };
            ks.config.zset_limits = lodestone_storage::zset::ZSetLimits {
                max_listpack_entries: c.int("zset-max-listpack-entries") as usize,
                max_listpack_value: c.int("zset-max-listpack-value") as usize,
            };
        }
        if self.rt.requirepass.is_none() {
            for (_, client) in self.clients.iter_mut() {
                client.authenticated = true;
            }
        }
    }

    /// The slab key of the client with this id.
    pub fn client_key(&self, id: ClientId) -> Option<usize> {
        self.client_keys.get(&id).copied()
    }

    /// Marks a client's output for writing before the loop sleeps.
    pub fn schedule_write(&mut self, key: usize) {
        if let Some(c) = self.clients.get_mut(key) {
            if !c.pending_write {
                c.pending_write = true;
                self.pending_writes.push(key);
            }
        }
    }

    /// Closes a client at the end of this iteration.
    pub fn close_soon(&mut self, key: usize) {
        if let Some(c) = self.clients.get_mut(key) {
            if !c.has(crate::client::flags::CLOSE_ASAP) {
                c.flags |= crate::client::flags::CLOSE_ASAP;
                self.to_close.push(key);
            }
        }
    }
}

fn runtime_from(c: &Config) -> Runtime {
    Runtime {
        hz: c.int("hz").clamp(1, 500) as u32,
        busy_reply_threshold_ms: c.int("busy-reply-threshold"),
        maxclients: c.int("maxclients").max(1) as usize,
        timeout_secs: c.int("timeout"),
        query_buffer_limit: c.int("client-query-buffer-limit") as usize,
        requirepass: Some(c.str("requirepass"))
            .filter(|p| !p.is_empty())
            .map(String::into_bytes),
        slowlog_slower_than_us: c.int("slowlog-log-slower-than"),
        slowlog_max_len: c.int("slowlog-max-len").max(0) as usize,
        latency_threshold_ms: c.int("latency-monitor-threshold"),
        output_limits: crate::config::special::output_limits(&c.str("client-output-buffer-limit")),
        enable_debug: c.enum_name("enable-debug-command"),
        enable_protected_configs: c.enum_name("enable-protected-configs"),
        tcp_keepalive: c.int("tcp-keepalive").max(0) as u32,
        active_rehashing: c.bool("activerehashing"),
        latency_tracking: c.bool("latency-tracking"),
        maxmemory: c.num("maxmemory").max(0) as u64,
        eviction_time_limit_us: crate::evict::time_limit_us(c.int("maxmemory-eviction-tenacity")),
    }
}
