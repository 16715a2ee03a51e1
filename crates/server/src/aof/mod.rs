//! The append-only file, as Redis 7 keeps it: a directory (`appenddirname`
//! under `dir`) holding a base snapshot, incremental files of the writes
//! since, and a manifest naming them (`manifest.rs`, `files.rs`).
//!
//! Writes reach the AOF as the effects stream (`propagate.rs`): the sink
//! in `feed.rs` encodes each execution unit into a buffer, which
//! `flush.rs` writes to the current incremental file before the event
//! loop sends any reply, fsyncing as `appendfsync` says (`always`: before
//! replying; `everysec`: on the worker thread of `fsync.rs`; `no`:
//! never). A rewrite (`rewrite.rs`) forks a child that writes a new base
//! (`base.rs`: an RDB snapshot or, without `aof-use-rdb-preamble`, the
//! commands of `commands.rs`) while the parent appends to a fresh
//! incremental file, so no rewrite buffer is needed; when the child
//! succeeds the manifest switches to the new base and the older files
//! become history, deleted unless `aof-disable-auto-gc`. Startup and
//! DEBUG LOADAOF replay the files (`load.rs`, `startup.rs`) through the
//! normal command path with a fake client. `check.rs` is the
//! `lodestone-check-aof` tool (Redis's `redis-check-aof`).

pub mod base;
pub mod check;
pub mod commands;
pub mod cursor;
pub mod feed;
pub mod files;
pub mod flush;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod rewrite;
pub mod startup;

use crate::config::Config;
use crate::persistence::bgsave::Child;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

/// A failure whose reason has been logged (where Redis logs and returns
/// `C_ERR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged;

/// Whether the AOF is being written (Redis's `aof_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not written.
    Off,
    /// Written: every write reaches the incremental file.
    On,
    /// Turned on at runtime: the first rewrite (which makes the base the
    /// new incremental file follows) must succeed before the AOF is on.
    WaitRewrite,
}

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// fsync after every write, before replying.
    Always,
    /// fsync in the background at most once a second.
    EverySec,
    /// Leave it to the operating system.
    No,
}

/// The AOF parameters, copied from the configuration whenever it changes
/// so the event loop never looks them up by name.
#[derive(Clone, Debug)]
pub struct AofConfig {
    /// `appendfsync`.
    pub fsync: FsyncPolicy,
    /// `no-appendfsync-on-rewrite`: skip fsyncs while a child runs.
    pub no_fsync_on_rewrite: bool,
    /// `aof-use-rdb-preamble`: bases are RDB snapshots.
    pub rdb_preamble: bool,
    /// `aof-load-truncated`: load a file cut short, truncating it.
    pub load_truncated: bool,
    /// `aof-rewrite-incremental-fsync`: fsync a base every 4 MB written.
    pub incremental_fsync: bool,
    /// `auto-aof-rewrite-percentage` (0: no automatic rewrite).
    pub rewrite_percentage: i64,
    /// `auto-aof-rewrite-min-size` in bytes.
    pub rewrite_min_size: u64,
    /// `aof-disable-auto-gc`: keep history files.
    pub disable_auto_gc: bool,
    /// `appendfilename`: the prefix of every file's name.
    pub filename: Vec<u8>,
    /// `appenddirname`: the directory under `dir`.
    pub dirname: PathBuf,
}

impl AofConfig {
    /// The values of `c`.
    pub fn from_config(c: &Config) -> AofConfig {
        AofConfig {
            fsync: match c.enum_name("appendfsync").as_str() {
                "always" => FsyncPolicy::Always,
                "no" => FsyncPolicy::No,
                _ => FsyncPolicy::EverySec,
            },
            no_fsync_on_rewrite: c.bool("no-appendfsync-on-rewrite"),
            rdb_preamble: c.bool("aof-use-rdb-preamble"),
            load_truncated: c.bool("aof-load-truncated"),
            incremental_fsync: c.bool("aof-rewrite-incremental-fsync"),
            rewrite_percentage: c.int("auto-aof-rewrite-percentage"),
            rewrite_min_size: c.num("auto-aof-rewrite-min-size").max(0) as u64,
            disable_auto_gc: c.bool("aof-disable-auto-gc"),
            filename: c.str("appendfilename").into_bytes(),
            dirname: PathBuf::from(c.str("appenddirname")),
        }
    }

    /// The path of an AOF file (relative to `dir`, the working directory).
    pub fn path(&self, name: &[u8]) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        self.dirname.join(std::ffi::OsStr::from_bytes(name))
    }
}

/// The pacing of automatic rewrites after repeated failures (Redis's
/// `aofRewriteLimited`): from the third consecutive failure, wait 1, 2,
/// 4, ... up to 60 minutes between attempts.
#[derive(Clone, Copy, Debug, Default)]
pub struct RewriteLimit {
    /// The current delay (minutes; 0: not limited).
    pub delay_minutes: i64,
    /// Unix time before which no automatic rewrite starts (0: none).
    pub next_time: i64,
}

/// Everything about the AOF the server keeps (Redis's `server.aof_*`).
pub struct AofState {
    /// On, off, or waiting for its first rewrite.
    pub status: Status,
    /// Cached parameters.
    pub cfg: AofConfig,
    /// The files.
    pub manifest: manifest::Manifest,
    /// The incremental file being appended to (during the first rewrite,
    /// the temporary one).
    pub file: Option<Arc<File>>,
    /// The buffer the effects sink fills.
    pub feed: feed::FeedHandle,
    /// Bytes of the live files (INFO `aof_current_size`).
    pub current_size: u64,
    /// `current_size` after the last rewrite (INFO `aof_base_size`), the
    /// reference of automatic rewrites.
    pub rewrite_base_size: u64,
    /// Bytes of the current incremental file.
    pub last_incr_size: u64,
    /// How much of it is known to be fsynced.
    pub last_incr_fsync_offset: u64,
    /// Unix time (s) of the last fsync started.
    pub last_fsync_unix: i64,
    /// The replication offset known to be fsynced (Redis's
    /// `fsynced_reploff`): -1 while the AOF is off, taken from the
    /// worker's report before every sleep once the AOF is on.
    pub fsynced_reploff: i64,
    /// Unix time (s) since which a write waits for a slow background
    /// fsync (0: none waits).
    pub flush_postponed_start: i64,
    /// Writes that went ahead after waiting 2 s for a background fsync
    /// (INFO `aof_delayed_fsync`).
    pub delayed_fsync: u64,
    /// Whether the last write succeeded; writes are refused (MISCONF)
    /// while it did not.
    pub last_write_ok: bool,
    /// The `errno` of the last failed write.
    pub last_write_errno: i32,
    /// Unix time (s) a write error was last logged (one per 30 s).
    pub last_write_error_log: i64,
    /// The background fsync worker.
    pub bio: fsync::BackgroundFsync,
    /// The rewrite child, while one runs.
    pub child: Option<Child>,
    /// A rewrite waits for the running child (or transaction) to end.
    pub rewrite_scheduled: bool,
    /// Seconds the last rewrite took (-1 before the first).
    pub rewrite_time_last: i64,
    /// Copy-on-write peak of the last successful rewrite child, in bytes
    /// (INFO `aof_last_cow_size`).
    pub last_cow_size: u64,
    /// Rewrites started (INFO `aof_rewrites`).
    pub rewrites: u64,
    /// Rewrites failed in a row.
    pub consecutive_failures: u64,
    /// Whether the last rewrite succeeded.
    pub last_rewrite_ok: bool,
    /// Pacing of automatic rewrites after failures.
    pub limit: RewriteLimit,
    /// Microseconds spent writing the AOF (INFO
    /// `eventloop_duration_aof_sum`).
    pub flush_us: u64,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds to sleep before each write of
    /// the buffer, so tests can catch a reply sent before its write.
    pub flush_sleep_us: u64,
}

impl AofState {
    /// The state at startup, before the manifest is read.
    pub fn new(c: &Config, now_unix: i64) -> AofState {
        AofState {
            status: Status::Off,
            cfg: AofConfig::from_config(c),
            manifest: manifest::Manifest::default(),
            file: None,
            feed: Default::default(),
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync_unix: now_unix,
            fsynced_reploff: -1,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            last_write_ok: true,
            last_write_errno: 0,
            last_write_error_log: 0,
            bio: Default::default(),
            child: None,
            rewrite_scheduled: false,
            rewrite_time_last: -1,
            last_cow_size: 0,
            rewrites: 0,
            consecutive_failures: 0,
            last_rewrite_ok: true,
            limit: RewriteLimit::default(),
            flush_us: 0,
            flush_sleep_us: 0,
        }
    }

    /// Copies the parameters again after a configuration change.
    pub fn apply_config(&mut self, c: &Config) {
        self.cfg = AofConfig::from_config(c);
        self.feed.borrow_mut().timestamps = c.bool("aof-timestamp-enabled");
    }

    /// Bytes waiting in the AOF buffer (INFO `aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.feed.borrow().buf.len()
    }

    /// Whether the AOF refuses writes (Redis's
    /// `writeCommandsDeniedByDiskError` for the AOF): the last write, or
    /// the last background fsync, failed. Gives the `errno` to report.
    pub fn write_error(&self) -> Option<i32> {
        if self.status == Status::Off {
            return None;
        }
        if !self.last_write_ok {
            return Some(self.last_write_errno);
        }
        self.bio.failed_errno()
    }
}

impl crate::server::Server {
    /// Registers or removes the AOF's effects consumer to match the
    /// status, and says whether its buffer keeps what it gets.
    pub(crate) fn sync_aof_feed(&mut self) {
        let wanted = self.aof.status != Status::Off;
        let target = crate::propagate::TARGET_AOF;
        if wanted && !self.effects.has_sink(target) {
            self.effects
                .add_sink(Box::new(feed::AofSink::new(self.aof.feed.clone())));
        } else if !wanted && self.effects.has_sink(target) {
            self.effects.remove_sinks(target);
        }
        let record = self.effects.has_sink(target) || self.replica_feed.is_some();
        for ks in self.engine.shards_mut() {
            ks.set_record_expired(record);
        }
        let accepting = self.aof.status == Status::On
            || (self.aof.status == Status::WaitRewrite && self.aof.child.is_some());
        self.aof.feed.borrow_mut().accepting = accepting;
    }
}
