//! The LOADING state: while a data set loads (the RDB file at startup or
//! by DEBUG RELOAD; the AOF loader uses the same hooks), the server keeps
//! accepting connections and serving clients, answering every command the
//! command table does not flag `loading` with `-LOADING` (the check is in
//! `dispatch.rs`), as Redis does.
//!
//! A loader runs inside [`Server::with_loading`] and reports its progress
//! through two hooks:
//! - [`Server::loading_progress`] with the bytes consumed so far (an
//!   absolute position across everything this load reads): each time it
//!   crosses a multiple of `loading-process-events-interval-bytes`
//!   (2 MB by default) the server serves clients for a moment
//!   (`process_events_while_blocked`, Redis's `processEventsWhileBlocked`
//!   called from `rdbLoadProgressCallback`), logs its progress (at most
//!   every two seconds) and honours a SHUTDOWN or termination signal
//!   received meanwhile (exiting without saving: the data set is partial);
//!   The AOF loader also serves clients every 1024 commands
//!   ([`Server::loading_progress_serving`]);
//! - [`Server::loading_key_loaded`] after each key (or AOF command), which applies the
//!   hidden `key-load-delay` (microseconds per key; negative: one
//!   microsecond with probability 1/|n|) that tests use to slow a load.
//!
//! INFO persistence shows `loading:1` and the `loading_*` figures
//! ([`Loading::info_fields`]) while a load runs.

use crate::handlers::shutdown::ShutdownFlags;
use crate::server::Server;
use std::time::{Duration, Instant};

/// Least time between two progress lines in the log.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// What a load reads, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadKind {
    /// An RDB file.
    Rdb,
    /// An append-only file.
    Aof,
}

/// Progress of the load in progress.
#[derive(Debug)]
pub struct Loading {
    /// What is loaded.
    pub kind: LoadKind,
    /// Unix time (s) the load started (`loading_start_time`).
    pub start_unix: i64,
    /// Bytes the load will read, when known (`loading_total_bytes`).
    pub total_bytes: u64,
    /// The `used-mem` the RDB file declares (`loading_rdb_used_mem`): the
    /// progress estimate when the total is unknown.
    pub rdb_used_mem: u64,
    /// Bytes consumed so far (`loading_loaded_bytes`).
    pub loaded_bytes: u64,
    /// The client whose command runs the load (DEBUG RELOAD): it is not
    /// served until the load ends.
    running: Option<usize>,
    /// When the load started.
    started: Instant,
    /// When progress was last logged.
    last_log: Instant,
    /// `loading-process-events-interval-bytes`.
    events_interval: u64,
    /// `key-load-delay`.
    key_load_delay: i64,
}

impl Loading {
    /// The `loading_*` lines of INFO persistence, computed as Redis does
    /// (percentage of the total, or of the declared used memory capped
    /// below 100% when the total is unknown; ETA from the average rate).
    pub fn info_fields(&self, now_unix: i64) -> Vec<(&'static str, String)> {
        let loaded = self.loaded_bytes;
        let (perc, remaining) = if self.total_bytes > 0 {
            (
                loaded as f64 / self.total_bytes as f64 * 100.0,
                self.total_bytes as i64 - loaded as i64,
            )
        } else if self.rdb_used_mem > 0 {
            (
                (loaded as f64 / self.rdb_used_mem as f64 * 100.0).min(99.99),
                (self.rdb_used_mem as i64 - loaded as i64).max(1),
            )
        } else {
            (0.0, 1)
        };
        let elapsed = now_unix - self.start_unix;
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed.saturating_mul(remaining) / (loaded as i64 + 1)
        };
        vec![
            ("loading_start_time", self.start_unix.to_string()),
            ("loading_total_bytes", self.total_bytes.to_string()),
            ("loading_rdb_used_mem", self.rdb_used_mem.to_string()),
            ("loading_loaded_bytes", loaded.to_string()),
            ("loading_loaded_perc", format!("{perc:.2}")),
            ("loading_eta_seconds", eta.to_string()),
        ]
    }

    /// The progress line for the log: percentage (when the total is
    /// known), bytes and average rate.
    fn progress_line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.loaded_bytes as f64 / secs / (1024.0 * 1024.0);
        let what = match self.kind {
            LoadKind::Rdb => "RDB",
            LoadKind::Aof => "AOF",
        };
        if self.total_bytes > 0 {
            format!(
                "Loading {what}: {:.2}% ({} of {} bytes, {rate:.2} MB/s)",
                self.loaded_bytes as f64 / self.total_bytes as f64 * 100.0,
                self.loaded_bytes,
                self.total_bytes
            )
        } else {
            format!(
                "Loading {what}: {} bytes ({rate:.2} MB/s)",
                self.loaded_bytes
            )
        }
    }
}

impl Server {
    /// Runs `load` in the LOADING state: `total_bytes` is what it will
    /// read (0 when unknown), `running` the client whose command asked
    /// for it (DEBUG RELOAD), if any. Resets the last-load key counters
    /// as Redis's `startLoading` does. A load started by a command run
    /// during another load nests: the outer state comes back after it.
    pub fn with_loading<R>(
        &mut self,
        kind: LoadKind,
        total_bytes: u64,
        running: Option<usize>,
        load: impl FnOnce(&mut Server) -> R,
    ) -> R {
        let now = Instant::now();
        let state = Loading {
            kind,
            start_unix: crate::server::unix_ms() / 1000,
            total_bytes,
            rdb_used_mem: 0,
            loaded_bytes: 0,
            running,
            started: now,
            last_log: now,
            events_interval: self.loading_events_interval(),
            key_load_delay: self.config.int("key-load-delay"),
        };
        let outer = self.loading.replace(state);
        self.rdb.last_load_keys_loaded = 0;
        self.rdb.last_load_keys_expired = 0;
        let result = load(self);
        self.loading = outer;
        result
    }

    /// The loader consumed `position` bytes of its input so far. Each
    /// time that crosses a multiple of the events interval, clients are
    /// served (see the module documentation).
    pub fn loading_progress(&mut self, position: u64) {
        let Some(l) = self.loading.as_mut() else {
            return;
        };
        let crossed = position / l.events_interval > l.loaded_bytes / l.events_interval;
        l.loaded_bytes = position;
        if crossed {
            self.loading_serve_clients();
        }
    }

    /// Like [`Server::loading_progress`], but serves clients whatever the
    /// bytes: the AOF loader calls it every 1024 commands, as Redis's
    /// `loadSingleAppendOnlyFile` does, since commands slowed by
    /// `key-load-delay` may take long to cross the bytes interval.
    pub fn loading_progress_serving(&mut self, position: u64) {
        let Some(l) = self.loading.as_mut() else {
            return;
        };
        l.loaded_bytes = position;
        self.loading_serve_clients();
    }

    /// Logs progress (at most every two seconds), serves clients and
    /// honours a shutdown asked for meanwhile.
    fn loading_serve_clients(&mut self) {
        let Some(l) = self.loading.as_mut() else {
            return;
        };
        let running = l.running;
        if l.last_log.elapsed() >= LOG_EVERY {
            l.last_log = Instant::now();
            let line = l.progress_line();
            self.log_notice(&line);
        }
        if running.is_none() {
            // No command is running: clients get fresh time, as after a
            // poll in the event loop.
            self.clock = crate::server::ClockBase::now();
            self.now_ms = self.clock.unix_ms;
        }
        // Under a command (DEBUG RELOAD), readiness the event loop took
        // with that command's must be looked for by hand.
        self.process_events_while_blocked(running, running.is_some());
        self.shutdown_if_asked_while_loading();
        // CONFIG SET may have changed the knobs meanwhile.
        let interval = self.loading_events_interval();
        let delay = self.config.int("key-load-delay");
        if let Some(l) = self.loading.as_mut() {
            l.events_interval = interval;
            l.key_load_delay = delay;
        }
    }

    /// The loader added (or skipped) a key: applies `key-load-delay`.
    pub fn loading_key_loaded(&self) {
        if let Some(l) = &self.loading {
            if l.key_load_delay != 0 {
                crate::persistence::debug_delay(l.key_load_delay);
            }
        }
    }

    /// The RDB file declares the memory its writer used (`used-mem`).
    pub fn loading_rdb_used_mem(&mut self, bytes: u64) {
        if let Some(l) = self.loading.as_mut() {
            l.rdb_used_mem = bytes;
        }
    }

    /// Whether a command must wait for the load to end: it lacks the
    /// `loading` flag, or it is an EXEC of a transaction that queued such
    /// a command.
    pub fn denied_while_loading(&self, key: usize, top_name: &str, cmd_flags: u64) -> bool {
        use lodestone_commands::table::spec::flags::LOADING;
        if cmd_flags & LOADING == 0 {
            return true;
        }
        top_name == "exec"
            && self
                .clients
                .get(key)
                .and_then(|c| c.multi.as_ref())
                .is_some_and(|m| {
                    m.queued
                        .iter()
                        .any(|q| self.table.get(q.cmd).flags & LOADING == 0)
                })
    }

    /// `loading-process-events-interval-bytes` (at least 1).
    fn loading_events_interval(&self) -> u64 {
        self.config
            .int("loading-process-events-interval-bytes")
            .max(1) as u64
    }

    /// A SHUTDOWN or a termination signal arrived while clients were
    /// served: exit now, without saving (the data set is partial), as
    /// Redis's `whileBlockedCron` does.
    fn shutdown_if_asked_while_loading(&mut self) {
        if std::mem::take(&mut self.signal_shutdown) {
            let flags = ShutdownFlags {
                nosave: true,
                ..ShutdownFlags::default()
            };
            if self.finish_for_shutdown(flags) {
                std::process::exit(0);
            }
            self.log_warning("SIGTERM received but errors trying to shut down the server, check the logs for more information");
        }
        if self.exit_now {
            std::process::exit(0);
        }
    }
}
