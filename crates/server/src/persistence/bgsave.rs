//! BGSAVE: a forked child writes the snapshot from its copy-on-write image
//! of the data set while the parent keeps serving; the parent collects the
//! child's exit status from its cron. The fork itself is shared with AOF
//! rewrites (`aof/rewrite.rs`): one child runs at a time, and a BGSAVE
//! asked for meanwhile is scheduled.

use super::child_info::{self, Receiver, Report};
use super::{file, save, ChildFigures};
use crate::server::Server;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set in a forked child (BGSAVE, AOF rewrite): a property of the
/// process, not of the server it copied.
static IN_FORK_CHILD: AtomicBool = AtomicBool::new(false);

/// True in a forked child (its log lines are marked `C`, as Redis marks
/// them).
pub fn in_fork_child() -> bool {
    IN_FORK_CHILD.load(Ordering::Relaxed)
}

/// The pause after each key a forked child writes
/// (`rdb-key-save-delay`: microseconds, or nanoseconds when negative),
/// which tests use to keep a child running; `None` outside a child or
/// when zero.
pub fn child_key_delay(server: &Server) -> Option<std::time::Duration> {
    if !in_fork_child() {
        return None;
    }
    match server.config.int("rdb-key-save-delay") {
        0 => None,
        d if d < 0 => Some(std::time::Duration::from_nanos(d.unsigned_abs())),
        d => Some(std::time::Duration::from_micros(d as u64)),
    }
}

/// A running fork child (BGSAVE or AOF rewrite).
pub struct Child {
    /// Its process id.
    pub pid: libc::pid_t,
    /// When it was forked.
    pub started: Instant,
    /// Its progress reports (none if the pipe could not be made).
    pub info: Option<Receiver>,
    /// When they were last read.
    pub info_read: Instant,
}

impl Child {
    /// Its progress reports, read at most once a second (as Redis reads
    /// them from the cron).
    pub fn progress_reports(&mut self) -> Vec<Report> {
        if self.info_read.elapsed() < Duration::from_secs(1) {
            return Vec::new();
        }
        self.info_read = Instant::now();
        self.final_reports()
    }

    /// Everything left in the pipe (after the child exited: its final
    /// report).
    pub fn final_reports(&mut self) -> Vec<Report> {
        self.info
            .as_mut()
            .map(Receiver::receive)
            .unwrap_or_default()
    }
}

impl Server {
    /// Forks a child process that runs `work` on its copy-on-write image of
    /// the server and exits with the code `work` returns; gives the
    /// child's pid. Used by BGSAVE and AOF rewrites, one child at a time.
    pub fn fork_child(
        &mut self,
        work: impl FnOnce(&mut Server) -> i32,
    ) -> std::io::Result<libc::pid_t> {
        // SAFETY: the child only serializes memory it owns (its
        // copy-on-write image), writes files and leaves with _exit,
        // running no destructor and touching no shared state; the
        // allocator's fork handlers keep malloc usable in the child.
        let started = std::time::Instant::now();
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if pid == 0 {
            IN_FORK_CHILD.store(true, Ordering::Relaxed);
            // Nothing in the child may resize a table: that would copy
            // the pages it shares with the parent.
            lodestone_storage::dict::set_resize_policy(
                lodestone_storage::dict::ResizePolicy::Forbid,
            );
            // SAFETY: restoring default dispositions is async-signal-safe;
            // the parent's handlers only feed its event loop, which the
            // child never runs, so SIGTERM/SIGINT must simply end it.
            unsafe {
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                libc::signal(libc::SIGINT, libc::SIG_DFL);
            }
            self.close_listeners_in_child();
            let code = work(self);
            // SAFETY: ends the child without unwinding or running the
            // parent's destructors.
            unsafe { libc::_exit(code) };
        }
        self.engine.set_fork_child_active(true);
        self.stats.total_forks += 1;
        self.stats.latest_fork_usec = started.elapsed().as_micros() as u64;
        Ok(pid)
    }

    /// Whether a BGSAVE or AOF rewrite child runs (Redis's
    /// `hasActiveChildProcess`): only one may at a time.
    pub fn has_active_child(&self) -> bool {
        self.rdb.child.is_some() || self.aof.child.is_some()
    }

    /// Forks a child that writes the snapshot to `dbfilename`. Errors are
    /// fork failures, as the log shows them.
    pub fn start_bgsave(&mut self) -> Result<(), String> {
        let name = self.config.str("dbfilename");
        let dirty = self.dirty_total();
        // Without a pipe the save runs all the same, unreported.
        let pipe = child_info::Pipe::new().ok();
        let forked = self.fork_child(|s| {
            let sender = pipe.as_ref().and_then(|p| p.sender("RDB").ok());
            s.save_in_child(&name, sender)
        });
        let pid = forked.map_err(|e| {
            self.rdb.last_bgsave_ok = false;
            format!(
                "Can't save in background: fork: {}",
                crate::config::special::os_error_text(&e)
            )
        })?;
        self.log_notice(&format!("Background saving started by pid {pid}"));
        self.rdb.saves += 1;
        self.rdb.dirty_at_bgsave_start = dirty;
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        self.start_child_figures();
        self.rdb.child = Some(Child {
            pid,
            started: Instant::now(),
            info: pipe.map(child_info::Pipe::into_receiver),
            info_read: Instant::now(),
        });
        Ok(())
    }

    /// The BGSAVE child's work: the snapshot streamed to the file,
    /// reporting progress to the parent. Returns the exit status.
    fn save_in_child(&self, name: &str, mut sender: Option<child_info::Sender>) -> i32 {
        let pid = std::process::id();
        let written = self.write_rdb_file(name, pid, false, &mut |n| {
            if let Some(line) = sender.as_mut().and_then(|s| s.keys_written(n)) {
                self.log_verbose(&line);
            }
        });
        let keys = match written {
            Ok(w) => w.keys,
            Err(e) => {
                self.log_warning(&e.log_line(name, pid));
                return 1;
            }
        };
        self.log_notice("DB saved on disk");
        if let Some(s) = sender.as_mut() {
            let line = s.finish(child_info::KIND_RDB_DONE, keys);
            self.log_notice(&line);
        }
        0
    }

    /// Streams the snapshot to `name` (through the temporary file of
    /// process `pid`), as the configuration asks; `keep_cache` leaves the
    /// file in the page cache (a shutdown save).
    fn write_rdb_file(
        &self,
        name: &str,
        pid: u32,
        keep_cache: bool,
        on_key: &mut dyn FnMut(u64),
    ) -> Result<save::Written, file::SaveError> {
        let opts = file::FileOptions {
            incremental_fsync: self.config.bool("rdb-save-incremental-fsync"),
            keep_cache,
        };
        file::write_atomically(name, pid, opts, |f| {
            save::write_snapshot(self, f, false, on_key)
        })
    }

    /// Resets INFO's `current_*` figures for a child just forked: nothing
    /// processed or copied yet, out of every key there is now (Redis does
    /// this in `redisFork` for BGSAVE and AOF rewrites alike).
    pub fn start_child_figures(&mut self) {
        let dbs = self.engine.db_count();
        let keys_total = self
            .engine
            .shards()
            .iter()
            .flat_map(|ks| (0..dbs).map(move |db| ks.db(db).len() as u64))
            .sum();
        self.rdb.child_figures = ChildFigures {
            keys_total,
            ..ChildFigures::default()
        };
    }

    /// Applies a child's reports (Redis's `updateChildInfo`): the
    /// progress figures, and the copy-on-write peak of a finished BGSAVE
    /// or AOF rewrite.
    pub fn apply_child_reports(&mut self, reports: Vec<Report>) {
        let f = &mut self.rdb.child_figures;
        for r in reports {
            f.cow_peak = f.cow_peak.max(r.cow);
            if r.kind == child_info::KIND_CURRENT {
                f.cow_bytes = r.cow;
                f.cow_updated_us = r.cow_updated_us;
                f.keys_processed = r.keys;
            } else if r.kind == child_info::KIND_RDB_DONE {
                self.rdb.last_cow_size = f.cow_peak;
            } else if r.kind == child_info::KIND_AOF_DONE {
                self.aof.last_cow_size = f.cow_peak;
            }
        }
    }

    /// Collects a finished BGSAVE child (called from the cron), records
    /// the outcome, and starts a scheduled one.
    pub fn reap_bgsave(&mut self) {
        let Some(child) = self.rdb.child.as_mut() else {
            return;
        };
        let mut reports = child.progress_reports();
        let mut status = 0;
        // SAFETY: waitpid on our own child with WNOHANG never blocks.
        let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            self.apply_child_reports(reports);
            return;
        }
        let exited_ok = r == child.pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        if exited_ok {
            // The final report, written before the child exited.
            reports.extend(child.final_reports());
        }
        let secs = child.started.elapsed().as_secs() as i64;
        let pid = child.pid;
        self.rdb.child = None;
        self.engine.set_fork_child_active(self.has_active_child());
        self.apply_child_reports(reports);
        self.rdb.child_figures = ChildFigures::default();
        self.rdb.last_bgsave_secs = secs;
        if r == pid && libc::WIFSIGNALED(status) {
            // Killed: its temporary file stays behind. SIGUSR1 is how a
            // child is stopped on purpose, which is not a failure.
            let sig = libc::WTERMSIG(status);
            self.log_warning(&format!("Background saving terminated by signal {sig}"));
            let _ = std::fs::remove_file(file::temp_name(&self.config.str("dbfilename"), pid));
            if sig != libc::SIGUSR1 {
                self.rdb.last_bgsave_ok = false;
            }
        } else if exited_ok {
            self.log_notice("Background saving terminated with success");
            self.rdb.last_bgsave_ok = true;
            self.rdb.last_save_unix = self.now_ms / 1000;
            self.rdb.dirty_at_save = self.rdb.dirty_at_bgsave_start;
        } else {
            self.log_warning("Background saving error");
            self.rdb.last_bgsave_ok = false;
        }
    }

    /// Starts a BGSAVE that was scheduled while another child ran, once
    /// none does (after a failure, not sooner than 5 s after it).
    pub fn start_scheduled_bgsave(&mut self) {
        let now = self.now_ms / 1000;
        if self.has_active_child()
            || !self.rdb.scheduled
            || !(self.rdb.last_bgsave_ok || now - self.rdb.last_attempt_unix > 5)
        {
            return;
        }
        self.rdb.scheduled = false;
        if let Err(e) = self.start_bgsave() {
            self.log_warning(&e);
        }
    }

    /// Saves in the foreground (SAVE, DEBUG RELOAD, FLUSHALL), dropping
    /// the file from the page cache as Redis does. Errors are the log
    /// line.
    pub fn save_now(&mut self) -> Result<(), String> {
        self.save_in_foreground(false)
    }

    /// The save before a shutdown: the file stays in the page cache,
    /// since the server is likely to be restarted on it.
    pub fn save_for_shutdown(&mut self) -> Result<(), String> {
        self.save_in_foreground(true)
    }

    fn save_in_foreground(&mut self, keep_cache: bool) -> Result<(), String> {
        self.rdb.saves += 1;
        let name = self.config.str("dbfilename");
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        let pid = std::process::id();
        match self.write_rdb_file(&name, pid, keep_cache, &mut |_| {}) {
            Ok(_) => {
                self.log_notice("DB saved on disk");
                // A good save ends a MISCONF state, as in Redis.
                self.rdb.last_bgsave_ok = true;
                self.rdb.last_save_unix = self.now_ms / 1000;
                self.rdb.dirty_at_save = self.dirty_total();
                Ok(())
            }
            Err(e) => {
                let msg = e.log_line(&name, pid);
                self.log_warning(&msg);
                Err(msg)
            }
        }
    }

    /// After FLUSHALL (Redis's `flushAllDataAndResetRDB`): a running
    /// BGSAVE is stopped (SIGUSR1, so its end is not a failure; its
    /// snapshot is obsolete) and, with save points configured, the empty
    /// data set is saved at once.
    pub fn reset_rdb_after_flushall(&mut self) {
        if let Some(child) = &self.rdb.child {
            // SAFETY: signalling our own child process; the cron reaps it.
            unsafe { libc::kill(child.pid, libc::SIGUSR1) };
        }
        if !self.config.str("save").trim().is_empty() {
            // A failure is logged; FLUSHALL still succeeded.
            let _ = self.save_now();
        }
    }

    /// Runs a BGSAVE when a `save` point is due (`seconds changes` pairs:
    /// at least `changes` writes and `seconds` since the last save; after
    /// a failed attempt, wait 5 s).
    pub fn check_save_points(&mut self) {
        if self.has_active_child() {
            return;
        }
        let now = self.now_ms / 1000;
        let changes = self.dirty_total().saturating_sub(self.rdb.dirty_at_save);
        if changes == 0 {
            return;
        }
        let points = self.config.str("save");
        let words: Vec<i64> = points
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        let due = words.chunks_exact(2).any(|p| {
            let (secs, min_changes) = (p[0], p[1]);
            changes >= min_changes as u64
                && now - self.rdb.last_save_unix >= secs
                && (self.rdb.last_bgsave_ok || now - self.rdb.last_attempt_unix >= 5)
        });
        if due {
            self.log_notice(&format!("{changes} changes in time. Saving..."));
            if let Err(e) = self.start_bgsave() {
                self.log_warning(&e);
            }
        }
    }

    /// Closes the listening sockets in a forked child, so that it never
    /// holds the server's ports.
    fn close_listeners_in_child(&self) {
        use std::os::fd::AsRawFd;
        for l in &self.listeners {
            // SAFETY: closing our own descriptor in the child process.
            unsafe { libc::close(l.as_raw_fd()) };
        }
    }
}
