//! Writing the AOF buffer to the incremental file (Redis's
//! `flushAppendOnlyFile`), called before the event loop writes replies,
//! so a write is on its way to disk before it is acknowledged.
//!
//! `appendfsync always` fsyncs here, on the event loop, before any reply
//! leaves; a failed write or fsync then stops the server, since the
//! acknowledgement promise cannot be kept. `everysec` hands an fsync to
//! the worker thread at most once a second; while one is still running
//! the write waits (the kernel would block it anyway), but for no more
//! than 2 seconds, after which it goes ahead and `aof_delayed_fsync`
//! counts it. `no` never fsyncs. With the other policies a failed write
//! keeps its data in the buffer, marks the AOF in error (writes are then
//! refused with MISCONF) and is retried every second from the cron.

use super::{FsyncPolicy, Status};
use crate::server::Server;
use std::fs::File;
use std::io::Write;

/// Seconds between two logs of the same write error.
const WRITE_ERROR_LOG_RATE: i64 = 30;

/// Writes all of `buf` (retrying short writes and interruptions, as
/// Redis's `aofWrite`): the bytes written, and the error that stopped it.
fn write_all(mut file: &File, buf: &[u8]) -> (usize, Option<std::io::Error>) {
    let mut done = 0;
    while done < buf.len() {
        match file.write(&buf[done..]) {
            Ok(0) => return (done, Some(std::io::Error::from_raw_os_error(libc::ENOSPC))),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

impl Server {
    /// Whether the AOF is written now (on, or during its first rewrite).
    pub fn aof_active(&self) -> bool {
        self.aof.status != Status::Off
    }

    /// Writes the AOF buffer and fsyncs per `appendfsync`; `force` writes
    /// even while a background fsync is slow (rewrites, shutdown).
    pub fn flush_aof(&mut self, force: bool) {
        let Some(file) = self.aof.file.clone() else {
            return;
        };
        let started = std::time::Instant::now();
        self.flush_aof_to(&file, force);
        self.aof.flush_us += started.elapsed().as_micros() as u64;
    }

    fn flush_aof_to(&mut self, file: &std::sync::Arc<File>, force: bool) {
        let now = self.now_ms / 1000;
        let policy = self.aof.cfg.fsync;
        let mut sync_in_progress = false;
        if self.aof.feed.borrow().buf.is_empty() {
            // Nothing new, but an everysec fsync may still be owed for
            // data written in the last second (or an `always` one after
            // the policy changed).
            let unsynced = self.aof.last_incr_fsync_offset != self.aof.last_incr_size;
            let owed = match policy {
                FsyncPolicy::EverySec => {
                    unsynced && now > self.aof.last_fsync_unix && {
                        sync_in_progress = self.aof.bio.pending() > 0;
                        !sync_in_progress
                    }
                }
                FsyncPolicy::Always => unsynced,
                FsyncPolicy::No => false,
            };
            if owed {
                self.aof_fsync_if_due(file, sync_in_progress);
            }
            return;
        }
        if policy == FsyncPolicy::EverySec {
            sync_in_progress = self.aof.bio.pending() > 0;
        }
        if policy == FsyncPolicy::EverySec && !force && sync_in_progress {
            if self.aof.flush_postponed_start == 0 {
                self.aof.flush_postponed_start = now;
                return;
            } else if now - self.aof.flush_postponed_start < 2 {
                return;
            }
            self.aof.delayed_fsync += 1;
            self.log_notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        if self.aof.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.aof.flush_sleep_us));
        }
        let write_started = std::time::Instant::now();
        let (written, error) = {
            let feed = self.aof.feed.borrow();
            write_all(file, &feed.buf)
        };
        let ms = write_started.elapsed().as_millis() as u64;
        let event = if sync_in_progress {
            "aof-write-pending-fsync"
        } else if self.has_active_child() {
            "aof-write-active-child"
        } else {
            "aof-write-alone"
        };
        self.aof_latency(event, ms);
        self.aof_latency("aof-write", ms);
        self.aof.flush_postponed_start = 0;
        if let Some(e) = error {
            self.aof_write_failed(file, written, e, now);
            return;
        }
        if !self.aof.last_write_ok {
            self.log_notice("AOF write error looks solved, Redis can write again.");
            self.aof.last_write_ok = true;
        }
        self.aof.current_size += written as u64;
        self.aof.last_incr_size += written as u64;
        {
            let mut feed = self.aof.feed.borrow_mut();
            feed.buf.clear();
            // Give back a large buffer once it is written.
            if feed.buf.capacity() > 64 * 1024 {
                feed.buf = Vec::new();
            }
        }
        self.aof_fsync_if_due(file, sync_in_progress);
    }

    /// A write failed after `written` bytes: undo the partial write if
    /// possible, then stop (policy `always`) or keep the data for a retry
    /// and refuse writes meanwhile.
    fn aof_write_failed(&mut self, file: &File, mut written: usize, e: std::io::Error, now: i64) {
        let can_log = now - self.aof.last_write_error_log > WRITE_ERROR_LOG_RATE;
        if can_log {
            self.aof.last_write_error_log = now;
        }
        if written == 0 {
            if can_log {
                self.log_warning(&format!(
                    "Error writing to the AOF file: {}",
                    crate::config::special::os_error_text(&e)
                ));
            }
            self.aof.last_write_errno = e.raw_os_error().unwrap_or(libc::EIO);
        } else {
            if can_log {
                let expected = self.aof.feed.borrow().buf.len();
                self.log_warning(&format!("Short write while writing to the AOF file: (nwritten={written}, expected={expected})"));
            }
            match file.set_len(self.aof.last_incr_size) {
                Ok(()) => written = 0,
                Err(te) => {
                    if can_log {
                        self.log_warning(&format!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", crate::config::special::os_error_text(&te)));
                    }
                }
            }
            self.aof.last_write_errno = libc::ENOSPC;
        }
        if self.aof.cfg.fsync == FsyncPolicy::Always {
            self.log_warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
            std::process::exit(1);
        }
        self.aof.last_write_ok = false;
        if written > 0 {
            self.aof.current_size += written as u64;
            self.aof.last_incr_size += written as u64;
            self.aof.feed.borrow_mut().buf.drain(..written);
        }
    }

    /// The fsync part of a flush: `always` flushes now (and stops the
    /// server if it cannot), `everysec` starts a background fsync once
    /// per second.
    fn aof_fsync_if_due(&mut self, file: &std::sync::Arc<File>, sync_in_progress: bool) {
        if self.aof.cfg.no_fsync_on_rewrite && self.has_active_child() {
            return;
        }
        let now = self.now_ms / 1000;
        match self.aof.cfg.fsync {
            FsyncPolicy::Always => {
                let started = std::time::Instant::now();
                if let Err(e) = file.sync_data() {
                    self.log_warning(&format!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", crate::config::special::os_error_text(&e)));
                    std::process::exit(1);
                }
                let ms = started.elapsed().as_millis() as u64;
                self.aof_latency("aof-fsync-always", ms);
                self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                self.aof.last_fsync_unix = now;
                self.aof.bio.set_fsynced_offset(self.effects.repl_offset());
            }
            FsyncPolicy::EverySec if now > self.aof.last_fsync_unix => {
                if !sync_in_progress {
                    self.aof.bio.fsync(file, self.effects.repl_offset());
                    self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                }
                self.aof.last_fsync_unix = now;
            }
            _ => {}
        }
    }

    /// Records a LATENCY sample for an AOF event when it reaches
    /// `latency-monitor-threshold`.
    fn aof_latency(&mut self, event: &str, ms: u64) {
        let threshold = self.rt.latency_threshold_ms;
        if threshold > 0 && ms as i64 >= threshold {
            self.latency.add_sample(event, self.now_ms / 1000, ms);
        }
    }

    /// The AOF's share of the cron: retry a postponed write at every tick
    /// and, once a second, a write that failed.
    pub fn aof_cron(&mut self) {
        if !self.aof_active() {
            return;
        }
        if self.aof.flush_postponed_start != 0 {
            self.flush_aof(false);
        }
        let hz = self.rt.hz.max(1) as u64;
        if !self.aof.last_write_ok && self.cron_loops.is_multiple_of(hz) {
            self.flush_aof(false);
        }
    }
}
