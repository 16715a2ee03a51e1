//! BGSAVE: a forked child writes the snapshot from its copy-on-write image
//! of the data set while the parent keeps serving; the parent collects the
//! child's exit status from its cron. The fork itself is shared with AOF
//! rewrites (`aof/rewrite.rs`): one child runs at a time, and a BGSAVE
//! asked for meanwhile is scheduled.

use super::{file, save};
use crate::server::Server;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// A running BGSAVE child.
pub struct Child {
    /// Its process id.
    pub pid: libc::pid_t,
    /// When it was forked.
    pub started: std::time::Instant,
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
        let forked = self.fork_child(|s| match save::snapshot(s) {
            Ok(bytes) => match file::write_atomically(&name, &bytes, std::process::id()) {
                Ok(()) => 0,
                Err(_) => 1,
            },
            Err(e) => {
                s.log_warning(&e);
                1
            }
        });
        let pid = forked.map_err(|e| {
            format!(
                "Can't save in background: fork: {}",
                crate::config::special::os_error_text(&e)
            )
        })?;
        self.log_notice(&format!("Background saving started by pid {pid}"));
        self.rdb.dirty_at_bgsave_start = dirty;
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        self.rdb.child = Some(Child {
            pid,
            started: std::time::Instant::now(),
        });
        Ok(())
    }

    /// Collects a finished BGSAVE child (called from the cron) and records
    /// the outcome.
    pub fn reap_bgsave(&mut self) {
        let Some(child) = self.rdb.child.as_ref() else {
            return;
        };
        let mut status = 0;
        // SAFETY: waitpid on our own child with WNOHANG never blocks.
        let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            return;
        }
        let secs = child.started.elapsed().as_secs() as i64;
        let ok = r == child.pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        self.rdb.child = None;
        self.rdb.last_bgsave_secs = secs;
        self.rdb.last_bgsave_ok = ok;
        if ok {
            self.log_notice("Background saving terminated with success");
            self.rdb.saves += 1;
            self.rdb.last_save_unix = self.now_ms / 1000;
            self.rdb.dirty_at_save = self.rdb.dirty_at_bgsave_start;
        } else {
            self.log_warning("Background saving error");
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

    /// Saves in the foreground (SAVE, DEBUG RELOAD, shutdown). Errors are
    /// the I/O error, for the log.
    pub fn save_now(&mut self) -> Result<(), String> {
        let bytes = save::snapshot(self).inspect_err(|e| self.log_warning(e))?;
        let name = self.config.str("dbfilename");
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        match file::write_atomically(&name, &bytes, std::process::id()) {
            Ok(()) => {
                self.log_notice("DB saved on disk");
                self.rdb.saves += 1;
                self.rdb.last_save_unix = self.now_ms / 1000;
                self.rdb.dirty_at_save = self.dirty_total();
                Ok(())
            }
            Err(e) => {
                let msg = format!("Failed opening the temp RDB file temp-{}.rdb (in server root dir {}) for saving: {e}",
                    std::process::id(),
                    std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default());
                self.log_warning(&msg);
                Err(msg)
            }
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
