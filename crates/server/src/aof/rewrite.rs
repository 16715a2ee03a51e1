//! AOF rewrites (BGREWRITEAOF, automatic rewrites, and turning the AOF on
//! at runtime), as Redis 7 does them: the parent opens a new incremental
//! file and keeps appending there while a forked child writes the new
//! base from its copy-on-write image. When the child succeeds the parent
//! renames its file into the AOF directory as the next base, the
//! incremental files it covers become history, and the manifest is
//! replaced; history files are then deleted (unless
//! `aof-disable-auto-gc`). Turning the AOF on at runtime writes into a
//! temporary incremental file until that first rewrite succeeds.

use super::files;
use super::Logged;
use super::Status;
use crate::persistence::bgsave::Child;
use crate::persistence::child_info;
use crate::server::Server;
use std::fs::File;
use std::sync::Arc;

/// Consecutive failures from which automatic rewrites are paced.
const LIMIT_THRESHOLD: u64 = 3;
/// The longest pause between paced automatic rewrites (minutes).
const LIMIT_MAX_MINUTES: i64 = 60;

/// The temporary base a rewrite child writes, in `dir`.
fn child_temp_file(pid: libc::pid_t) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// Shows a file name in the log.
fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Opens an AOF file for appending (every write goes to its end, also
/// after a failed write was cut off), creating it with mode 0644, and
/// emptying it when `truncate`.
pub fn open_for_append(path: &std::path::Path, truncate: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(truncate)
        .custom_flags(libc::O_APPEND)
        .mode(0o644)
        .open(path)
}

impl Server {
    /// True while the current command runs inside EXEC (a fork then would
    /// snapshot half a transaction, so rewrites and saves are scheduled).
    pub fn in_exec(&self) -> bool {
        self.call_depth > 1
    }

    /// Starts a background rewrite (Redis's
    /// `rewriteAppendOnlyFileBackground`); the failure has been logged.
    pub fn start_aof_rewrite(&mut self) -> Result<(), Logged> {
        if self.has_active_child() {
            return Err(Logged);
        }
        if let Err(e) = files::create_dir(&self.aof.cfg) {
            self.log_warning(&format!(
                "Can't open or create append-only dir {}: {}",
                self.aof.cfg.dirname.display(),
                crate::config::special::os_error_text(&e)
            ));
            self.aof.last_rewrite_ok = false;
            return Err(Logged);
        }
        // The new incremental file starts with a SELECT.
        self.aof.feed.borrow_mut().selected_db = None;
        self.flush_aof(true);
        if self.open_new_incr().is_err() {
            self.aof.last_rewrite_ok = false;
            return Err(Logged);
        }
        if self.aof.status == Status::WaitRewrite {
            // What is fsynced from now on counts once this first rewrite
            // has made the AOF whole (Redis's `fsynced_reploff_pending`
            // set when the rewrite starts), after the fsyncs of older
            // files have reported.
            self.aof.bio.drain();
            self.aof.bio.set_fsynced_offset(self.effects.repl_offset());
            self.aof.fsynced_reploff = 0;
        }
        self.aof.rewrites += 1;
        // Without a pipe the rewrite runs all the same, unreported.
        let pipe = child_info::Pipe::new().ok();
        let forked = self.fork_child(|s| {
            let mut sender = pipe.as_ref().and_then(|p| p.sender("AOF rewrite").ok());
            let tmp = child_temp_file(std::process::id() as libc::pid_t);
            let mut on_key = |n| {
                if let Some(line) = sender.as_mut().and_then(|s| s.keys_written(n)) {
                    s.log_verbose(&line);
                }
            };
            match s.write_aof_base(std::path::Path::new(&tmp), &mut on_key) {
                Ok(()) => {
                    s.log_notice(&format!(
                        "Successfully created the temporary AOF base file {tmp}"
                    ));
                    if let Some(sender) = sender.as_mut() {
                        let line = sender.finish(child_info::KIND_AOF_DONE, 0);
                        s.log_notice(&line);
                    }
                    0
                }
                Err(Logged) => 1,
            }
        });
        let pid = match forked {
            Ok(pid) => pid,
            Err(e) => {
                self.aof.last_rewrite_ok = false;
                self.log_warning(&format!(
                    "Can't rewrite append only file in background: fork: {}",
                    crate::config::special::os_error_text(&e)
                ));
                return Err(Logged);
            }
        };
        self.log_notice(&format!(
            "Background append only file rewriting started by pid {pid}"
        ));
        self.aof.rewrite_scheduled = false;
        self.start_child_figures();
        self.aof.child = Some(Child {
            pid,
            started: std::time::Instant::now(),
            info: pipe.map(child_info::Pipe::into_receiver),
            info_read: std::time::Instant::now(),
        });
        self.sync_aof_feed();
        Ok(())
    }

    /// Switches writing to a new incremental file (Redis's
    /// `openNewIncrAofForAppend`), listed in the manifest, or to the
    /// temporary one while the AOF waits for its first rewrite. The old
    /// file is fsynced and closed in the background.
    fn open_new_incr(&mut self) -> Result<(), Logged> {
        let cfg = self.aof.cfg.clone();
        let (name, mut manifest) = match self.aof.status {
            Status::Off => return Ok(()),
            Status::WaitRewrite => (files::temp_incr_name(&cfg), None),
            Status::On => {
                let mut m = self.aof.manifest.clone();
                let name = m.new_incr(&cfg.filename);
                (name, Some(m))
            }
        };
        let file = match open_for_append(&cfg.path(&name), true) {
            Ok(f) => f,
            Err(e) => {
                self.log_warning(&format!(
                    "Can't open the append-only file {}: {}",
                    show(&name),
                    crate::config::special::os_error_text(&e)
                ));
                return Err(Logged);
            }
        };
        if let Some(m) = manifest.as_mut() {
            if let Err(msg) = files::persist_manifest(&cfg, m) {
                self.log_warning(&msg);
                return Err(Logged);
            }
        }
        self.log_notice(&format!(
            "Creating AOF incr file {} on background rewrite",
            show(&name)
        ));
        if let Some(old) = self.aof.file.replace(Arc::new(file)) {
            self.aof
                .bio
                .fsync_and_close(old, self.effects.repl_offset());
            self.aof.last_fsync_unix = self.now_ms / 1000;
        }
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        if let Some(m) = manifest {
            self.aof.manifest = m;
        }
        Ok(())
    }

    /// Collects a finished rewrite child (from the cron) and completes or
    /// abandons its rewrite.
    pub fn reap_aof_rewrite(&mut self) {
        let Some(child) = self.aof.child.as_mut() else {
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
        if r == child.pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            // The final report, written before the child exited.
            reports.extend(child.final_reports());
        }
        let (code, signal) = if r != child.pid {
            (1, 0)
        } else if libc::WIFSIGNALED(status) {
            (0, libc::WTERMSIG(status))
        } else {
            (libc::WEXITSTATUS(status), 0)
        };
        self.apply_child_reports(reports);
        self.rdb.child_figures = Default::default();
        if let Some(child) = self.aof.child.take() {
            self.aof_rewrite_done(&child, code, signal);
        }
    }

    /// The end of a rewrite (Redis's `backgroundRewriteDoneHandler`).
    fn aof_rewrite_done(&mut self, child: &Child, code: i32, signal: i32) {
        if signal == 0 && code == 0 {
            self.log_notice("Background AOF rewrite terminated with success");
            if self.install_rewritten_base(child.pid).is_err() {
                self.aof.last_rewrite_ok = false;
                self.aof.consecutive_failures += 1;
            }
        } else if signal == 0 {
            self.aof.last_rewrite_ok = false;
            self.aof.consecutive_failures += 1;
            self.log_warning("Background AOF rewrite terminated with error");
        } else {
            // SIGUSR1 is how the server stops a rewrite it no longer
            // wants: not a failure.
            if signal != libc::SIGUSR1 {
                self.aof.last_rewrite_ok = false;
                self.aof.consecutive_failures += 1;
            }
            self.log_warning(&format!(
                "Background AOF rewrite terminated by signal {signal}"
            ));
        }
        self.remove_rewrite_temp_files(child.pid);
        if self.aof.status == Status::WaitRewrite {
            // Retry: the AOF is not on until a rewrite succeeds.
            self.aof.feed.borrow_mut().buf.clear();
            let temp = files::temp_incr_name(&self.aof.cfg);
            self.log_notice(&format!(
                "Removing the temp incr aof file {} in the background",
                show(&temp)
            ));
            let path = self.aof.cfg.path(&temp);
            self.aof.bio.unlink(path);
            self.aof.rewrite_scheduled = true;
        }
        self.aof.rewrite_time_last = child.started.elapsed().as_secs() as i64;
        self.sync_aof_feed();
    }

    /// Makes the child's file the new base: renamed into the AOF
    /// directory, the covered incremental files retired, the manifest
    /// replaced; the AOF is on from here if it waited for this. The
    /// failure has been logged.
    fn install_rewritten_base(&mut self, pid: libc::pid_t) -> Result<(), Logged> {
        let started = std::time::Instant::now();
        let cfg = self.aof.cfg.clone();
        let tmp = child_temp_file(pid);
        let mut m = self.aof.manifest.clone();
        let base = m.new_base(&cfg.filename, cfg.rdb_preamble);
        let base_path = cfg.path(&base);
        let err = crate::config::special::os_error_text;
        if let Err(e) = std::fs::rename(&tmp, &base_path) {
            self.log_warning(&format!(
                "Error trying to rename the temporary AOF base file {tmp} into {}: {}",
                base_path.display(),
                err(&e)
            ));
            return Err(Logged);
        }
        self.log_notice(&format!(
            "Successfully renamed the temporary AOF base file {tmp} into {}",
            show(&base)
        ));
        let mut new_incr_path = None;
        if self.aof.status == Status::WaitRewrite {
            let temp = files::temp_incr_name(&cfg);
            let incr = m.new_incr(&cfg.filename);
            let (from, to) = (cfg.path(&temp), cfg.path(&incr));
            if let Err(e) = std::fs::rename(&from, &to) {
                self.log_warning(&format!(
                    "Error trying to rename the temporary AOF incr file {} into {}: {}",
                    from.display(),
                    to.display(),
                    err(&e)
                ));
                self.aof.bio.unlink(base_path);
                return Err(Logged);
            }
            self.log_notice(&format!(
                "Successfully renamed the temporary AOF incr file {} into {}",
                show(&temp),
                show(&incr)
            ));
            new_incr_path = Some(to);
        }
        m.retire_rewritten_incrs(self.aof.file.is_some());
        if let Err(msg) = files::persist_manifest(&cfg, &mut m) {
            self.log_warning(&msg);
            self.aof.bio.unlink(base_path);
            if let Some(p) = new_incr_path {
                self.aof.bio.unlink(p);
            }
            return Err(Logged);
        }
        self.aof.manifest = m;
        if self.aof.status != Status::Off {
            let base_size = files::size(&cfg, &base).unwrap_or(0);
            self.aof.current_size = base_size + self.aof.last_incr_size;
            self.aof.rewrite_base_size = self.aof.current_size;
        }
        self.delete_aof_history();
        self.aof.last_rewrite_ok = true;
        self.aof.consecutive_failures = 0;
        self.log_notice("Background AOF rewrite finished successfully");
        if self.aof.status == Status::WaitRewrite {
            self.aof.status = Status::On;
            self.aof.fsynced_reploff = self.aof.bio.fsynced_offset();
        }
        self.log_verbose(&format!(
            "Background AOF rewrite signal handler took {}us",
            started.elapsed().as_micros()
        ));
        Ok(())
    }

    /// Deletes the temporary files a rewrite child may have left.
    fn remove_rewrite_temp_files(&mut self, pid: libc::pid_t) {
        for name in [child_temp_file(pid), format!("temp-rewriteaof-{pid}.aof")] {
            self.aof.bio.unlink(name.into());
        }
    }

    /// Stops a running rewrite child and waits for it (Redis's
    /// `killAppendOnlyChild`).
    pub fn kill_aof_rewrite(&mut self) {
        let Some(child) = self.aof.child.take() else {
            return;
        };
        self.log_notice(&format!("Killing running AOF rewrite child: {}", child.pid));
        // SAFETY: signalling and reaping our own child process.
        unsafe {
            if libc::kill(child.pid, libc::SIGUSR1) != -1 {
                libc::waitpid(child.pid, std::ptr::null_mut(), 0);
            }
        }
        self.remove_rewrite_temp_files(child.pid);
        self.rdb.child_figures = Default::default();
        self.sync_aof_feed();
    }

    /// Deletes history files unless `aof-disable-auto-gc` (Redis's
    /// `aofDelHistoryFiles`), then writes the manifest without them.
    pub fn delete_aof_history(&mut self) {
        if self.aof.cfg.disable_auto_gc || self.aof.manifest.history.is_empty() {
            return;
        }
        for f in std::mem::take(&mut self.aof.manifest.history) {
            self.log_notice(&format!(
                "Removing the history file {} in the background",
                show(&f.name)
            ));
            let path = self.aof.cfg.path(&f.name);
            self.aof.bio.unlink(path);
        }
        self.aof.manifest.dirty = true;
        let cfg = self.aof.cfg.clone();
        if let Err(msg) = files::persist_manifest(&cfg, &mut self.aof.manifest) {
            self.log_warning(&msg);
        }
    }

    /// Whether automatic rewrites wait after repeated failures (Redis's
    /// `aofRewriteLimited`).
    fn aof_rewrite_limited(&mut self) -> bool {
        let now = self.now_ms / 1000;
        let limit = &mut self.aof.limit;
        if self.aof.consecutive_failures < LIMIT_THRESHOLD {
            *limit = Default::default();
            return false;
        }
        if limit.next_time != 0 {
            if now < limit.next_time {
                return true;
            }
            limit.next_time = 0;
            return false;
        }
        limit.delay_minutes = if limit.delay_minutes == 0 {
            1
        } else {
            (limit.delay_minutes * 2).min(LIMIT_MAX_MINUTES)
        };
        limit.next_time = now + limit.delay_minutes * 60;
        let minutes = limit.delay_minutes;
        self.log_warning(&format!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {minutes} minutes"));
        true
    }

    /// The persistence part of the cron, in Redis's order: a scheduled
    /// rewrite, finished children, save points and the automatic rewrite
    /// (when no child runs), the AOF's retries, a scheduled BGSAVE.
    pub fn persistence_cron(&mut self) {
        if !self.has_active_child() && self.aof.rewrite_scheduled && !self.aof_rewrite_limited() {
            let _ = self.start_aof_rewrite();
        }
        if self.has_active_child() {
            self.reap_bgsave();
            self.reap_aof_rewrite();
        } else {
            self.check_save_points();
            self.check_auto_aof_rewrite();
        }
        self.aof_cron();
        self.start_scheduled_bgsave();
    }

    /// Starts a rewrite when the AOF grew by `auto-aof-rewrite-percentage`
    /// since the last one and is over `auto-aof-rewrite-min-size`.
    fn check_auto_aof_rewrite(&mut self) {
        let (pct, min) = (
            self.aof.cfg.rewrite_percentage,
            self.aof.cfg.rewrite_min_size,
        );
        if self.aof.status != Status::On
            || self.has_active_child()
            || pct == 0
            || self.aof.current_size <= min
        {
            return;
        }
        let base = self.aof.rewrite_base_size.max(1);
        let growth = (self.aof.current_size * 100 / base) as i64 - 100;
        if growth >= pct && !self.aof_rewrite_limited() {
            self.log_notice(&format!(
                "Starting automatic rewriting of AOF on {growth}% growth"
            ));
            let _ = self.start_aof_rewrite();
        }
    }

    /// Turns the AOF on at runtime (Redis's `startAppendOnly`): a rewrite
    /// makes the first base, now or as soon as no other child runs. The
    /// failure has been logged.
    pub fn start_aof(&mut self) -> Result<(), Logged> {
        self.aof.status = Status::WaitRewrite;
        self.sync_aof_feed();
        let other_child = self.rdb.child.is_some();
        if other_child {
            self.aof.rewrite_scheduled = true;
            self.log_notice("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else if self.in_exec() {
            self.aof.rewrite_scheduled = true;
            self.log_notice("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        } else {
            if self.aof.child.is_some() {
                self.log_notice("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.kill_aof_rewrite();
            }
            if self.start_aof_rewrite().is_err() {
                self.aof.status = Status::Off;
                self.sync_aof_feed();
                self.log_warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                return Err(Logged);
            }
        }
        self.aof.last_fsync_unix = self.now_ms / 1000;
        if self.aof.bio.failed_errno().is_some() {
            self.log_warning("AOF reopen, just ignore the AOF fsync error in bio job");
            self.aof.bio.clear_failure();
        }
        if !self.aof.last_write_ok {
            self.log_warning("AOF reopen, just ignore the last error.");
            self.aof.last_write_ok = true;
        }
        Ok(())
    }

    /// Turns the AOF off at runtime (Redis's `stopAppendOnly`): what is
    /// buffered is written and fsynced, and a running rewrite is stopped.
    pub fn stop_aof(&mut self) {
        self.flush_aof(true);
        if let Some(file) = self.aof.file.take() {
            match file.sync_data() {
                Ok(()) => self.aof.last_fsync_unix = self.now_ms / 1000,
                Err(e) => self.log_warning(&format!(
                    "Fail to fsync the AOF file: {}",
                    crate::config::special::os_error_text(&e)
                )),
            }
        }
        self.aof.feed.borrow_mut().selected_db = None;
        self.aof.status = Status::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        self.aof.fsynced_reploff = -1;
        self.aof.bio.set_fsynced_offset(0);
        self.kill_aof_rewrite();
        self.aof.feed.borrow_mut().buf = Vec::new();
        self.sync_aof_feed();
    }

    /// CONFIG SET appendonly: turns the AOF on or off to match.
    pub fn apply_appendonly(&mut self) -> Result<(), String> {
        let enabled = self.config.bool("appendonly");
        if !enabled && self.aof.status != Status::Off {
            self.stop_aof();
        } else if enabled && self.aof.status == Status::Off && self.start_aof().is_err() {
            return Err("Unable to turn on AOF. Check server logs.".into());
        }
        Ok(())
    }
}
