//! RDB persistence: snapshots of the data set in Redis's RDB format,
//! written by SAVE, BGSAVE, save points, DEBUG RELOAD and shutdown, and
//! loaded at startup and by DEBUG RELOAD.
//!
//! The bytes come from the storage layer's RDB codec (`rdb::snapshot` for
//! the framing, `rdb::value` for values); this module walks the server's
//! state, does the file I/O (atomic replacement), and keeps the figures
//! INFO persistence reports. BGSAVE forks: the child serializes the
//! copy-on-write image of the data set while the parent keeps serving.

pub mod bgsave;
pub mod child_info;
pub mod disk_error;
pub mod file;
pub mod load;
pub mod save;

/// What INFO persistence reports about RDB saving and loading.
pub struct RdbState {
    /// Unix time (s) of the last successful save (the start time before).
    pub last_save_unix: i64,
    /// Saves started since startup (SAVE and BGSAVE, as Redis counts
    /// `rdb_saves`).
    pub saves: u64,
    /// The data set's change counter at the last successful save.
    pub dirty_at_save: u64,
    /// The counter when the running BGSAVE started.
    pub dirty_at_bgsave_start: u64,
    /// Whether the last BGSAVE succeeded.
    pub last_bgsave_ok: bool,
    /// Seconds the last BGSAVE took (-1 before the first).
    pub last_bgsave_secs: i64,
    /// Unix time (s) of the last save attempt (save points wait after a
    /// failure).
    pub last_attempt_unix: i64,
    /// The BGSAVE child, while one runs.
    pub child: Option<bgsave::Child>,
    /// A BGSAVE SCHEDULE waiting for the running one to end.
    pub scheduled: bool,
    /// What the running child reported (reset when it ends).
    pub child_figures: ChildFigures,
    /// Copy-on-write peak of the last successful BGSAVE, in bytes.
    pub last_cow_size: u64,
    /// Keys loaded by the last load.
    pub last_load_keys_loaded: u64,
    /// Keys skipped as expired by the last load.
    pub last_load_keys_expired: u64,
}

impl RdbState {
    /// State at startup (`now` Unix seconds).
    pub fn new(now: i64) -> RdbState {
        RdbState {
            last_save_unix: now,
            saves: 0,
            dirty_at_save: 0,
            dirty_at_bgsave_start: 0,
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            last_attempt_unix: 0,
            child: None,
            scheduled: false,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            child_figures: ChildFigures::default(),
            last_cow_size: 0,
        }
    }
}

/// The running fork child's progress (BGSAVE or AOF rewrite: one runs at
/// a time), as INFO persistence shows it (`current_*` fields; see
/// `child_info.rs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChildFigures {
    /// Highest copy-on-write size reported, in bytes.
    pub cow_peak: u64,
    /// Last copy-on-write size reported, in bytes.
    pub cow_bytes: u64,
    /// When it was measured (monotonic µs; 0: never).
    pub cow_updated_us: i64,
    /// Keys the child has written.
    pub keys_processed: u64,
    /// Keys there were when it was forked.
    pub keys_total: u64,
}

/// Sleeps `usec` microseconds; a negative value sleeps one microsecond
/// with probability 1/|usec| (Redis's `debugDelay`, behind the test knobs
/// `rdb-key-save-delay` and `key-load-delay`, which take effect per key).
pub fn debug_delay(usec: i64) {
    let usec = if usec < 0 {
        u64::from(fastrand::u64(..usec.unsigned_abs()) == 0)
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}
