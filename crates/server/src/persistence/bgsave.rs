//! BGSAVE: a forked child writes the snapshot from its copy-on-write image
//! of the data set while the parent keeps serving; the parent collects the
//! child's exit status from its cron.

use super::{file, save};
use crate::server::Server;

/// A running BGSAVE child.
pub struct Child {
    /// Its process id.
    pub pid: libc::pid_t,
    /// When it was forked.
    pub started: std::time::Instant,
}

impl Server {
    /// Forks a child that writes the snapshot to `dbfilename`. Errors are
    /// fork failures, as the log shows them.
    pub fn start_bgsave(&mut self) -> Result<(), String> {
        let name = self.config.str("dbfilename");
        let dirty = self.dirty_total();
        // SAFETY: the child only serializes memory it owns (its
        // copy-on-write image), writes one file and leaves with _exit,
        // running no destructor and touching no shared state; the
        // allocator's fork handlers keep malloc usable in the child.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            self.rdb.last_bgsave_ok = false;
            return Err(format!(
                "Can't save in background: fork: {}",
                std::io::Error::last_os_error()
            ));
        }
        if pid == 0 {
            self.close_listeners_in_child();
            let code = match save::snapshot(self) {
                Ok(bytes) => match file::write_atomically(&name, &bytes, std::process::id()) {
                    Ok(()) => 0,
                    Err(_) => 1,
                },
                Err(e) => {
                    self.log_warning(&e);
                    1
                }
            };
            // SAFETY: ends the child without unwinding or running the
            // parent's destructors.
            unsafe { libc::_exit(code) };
        }
        self.log_notice(&format!("Background saving started by pid {pid}"));
        self.rdb.saves += 1;
        self.rdb.dirty_at_bgsave_start = dirty;
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        self.rdb.child = Some(Child {
            pid,
            started: std::time::Instant::now(),
        });
        Ok(())
    }

    /// Collects a finished BGSAVE child (called from the cron), records
    /// the outcome, and starts a scheduled one.
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
        let pid = child.pid;
        self.rdb.child = None;
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
        } else if r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            self.log_notice("Background saving terminated with success");
            self.rdb.last_bgsave_ok = true;
            self.rdb.last_save_unix = self.now_ms / 1000;
            self.rdb.dirty_at_save = self.rdb.dirty_at_bgsave_start;
        } else {
            self.log_warning("Background saving error");
            self.rdb.last_bgsave_ok = false;
        }
        if std::mem::take(&mut self.rdb.scheduled) {
            if let Err(e) = self.start_bgsave() {
                self.log_warning(&e);
            }
        }
    }

    /// Saves in the foreground (SAVE, DEBUG RELOAD, shutdown). Errors are
    /// the I/O error, for the log.
    pub fn save_now(&mut self) -> Result<(), String> {
        self.rdb.saves += 1;
        let bytes = save::snapshot(self).inspect_err(|e| self.log_warning(e))?;
        let name = self.config.str("dbfilename");
        self.rdb.last_attempt_unix = self.now_ms / 1000;
        match file::write_atomically(&name, &bytes, std::process::id()) {
            Ok(()) => {
                self.log_notice("DB saved on disk");
                // A good save ends a MISCONF state, as in Redis.
                self.rdb.last_bgsave_ok = true;
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
        if self.rdb.child.is_some() {
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
