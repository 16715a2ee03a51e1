//! What a fork child tells its parent while it saves (Redis's
//! `childinfo.c`): keys written so far and its copy-on-write size, over a
//! non-blocking pipe created before the fork. The parent reads it from the
//! cron (at most once a second) and once more when it reaps the child;
//! INFO persistence shows the figures (`current_cow_size`,
//! `current_save_keys_processed`, `current_fork_perc`, `rdb_last_cow_size`,
//! ...). Any fork child (BGSAVE, an AOF rewrite) can use it.
//!
//! The copy-on-write size is the child's `Private_Dirty` memory: pages it
//! shared with the parent until one of them wrote to it (plus the child's
//! own small output buffer, as in Redis). Reading the figure walks the
//! child's page tables, so, as in Redis, it is measured at most once per
//! hundred times its own cost.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

/// A report about the work in progress.
pub const KIND_CURRENT: u8 = 0;
/// The final report of an RDB save: its copy-on-write peak is kept as
/// `rdb_last_cow_size`.
pub const KIND_RDB_DONE: u8 = 1;
/// The final report of an AOF rewrite: its copy-on-write peak is kept as
/// `aof_last_cow_size`.
pub const KIND_AOF_DONE: u8 = 2;

/// Bytes of one report: kind, keys, copy-on-write bytes, and when that
/// was measured (monotonic µs).
const REPORT_LEN: usize = 25;

/// Least time between two progress reports.
const REPORT_EVERY_MS: u128 = 1000;

/// How many times its own cost a copy-on-write measurement waits
/// (Redis's CHILD_COW_DUTY_CYCLE).
const COW_DUTY_CYCLE: i64 = 100;

/// One report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// [`KIND_CURRENT`] or a final kind.
    pub kind: u8,
    /// Keys written so far.
    pub keys: u64,
    /// Copy-on-write bytes.
    pub cow: u64,
    /// When `cow` was measured (monotonic µs).
    pub cow_updated_us: i64,
}

impl Report {
    fn encode(&self) -> [u8; REPORT_LEN] {
        let mut b = [0u8; REPORT_LEN];
        b[0] = self.kind;
        b[1..9].copy_from_slice(&self.keys.to_le_bytes());
        b[9..17].copy_from_slice(&self.cow.to_le_bytes());
        b[17..25].copy_from_slice(&self.cow_updated_us.to_le_bytes());
        b
    }

    fn decode(b: &[u8; REPORT_LEN]) -> Report {
        let u = |r: std::ops::Range<usize>| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[r]);
            x
        };
        Report {
            kind: b[0],
            keys: u64::from_le_bytes(u(1..9)),
            cow: u64::from_le_bytes(u(9..17)),
            cow_updated_us: i64::from_le_bytes(u(17..25)),
        }
    }
}

/// The monotonic clock in µs, the same in parent and child.
pub fn monotonic_us() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}

/// The pipe, created before the fork: the child keeps the write end, the
/// parent the read end.
pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    /// A non-blocking, close-on-exec pipe.
    pub fn new() -> std::io::Result<Pipe> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two descriptors on success.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened and are owned here.
        Ok(unsafe {
            Pipe {
                read: OwnedFd::from_raw_fd(fds[0]),
                write: OwnedFd::from_raw_fd(fds[1]),
            }
        })
    }

    /// The child's side: a duplicate of the write end (the child gets the
    /// pipe by reference through the fork and simply never closes it).
    pub fn sender(&self, pname: &'static str) -> std::io::Result<Sender> {
        Ok(Sender {
            fd: self.write.try_clone()?,
            pname,
            last_report: None,
            cow: 0,
            cow_peak: 0,
            cow_sum: 0,
            cow_count: 0,
            cow_updated_us: 0,
            cow_cost_us: 0,
        })
    }

    /// The parent's side (the write end is closed).
    pub fn into_receiver(self) -> Receiver {
        Receiver {
            fd: self.read,
            buf: [0; REPORT_LEN],
            filled: 0,
        }
    }
}

/// The child's side: reports progress and copy-on-write.
pub struct Sender {
    fd: OwnedFd,
    pname: &'static str,
    last_report: Option<Instant>,
    cow: u64,
    cow_peak: u64,
    cow_sum: u64,
    cow_count: u64,
    cow_updated_us: i64,
    cow_cost_us: i64,
}

impl Sender {
    /// `keys` keys are written: reports about once a second, checking the
    /// clock every 1024 keys (and at the first). Returns a log line when
    /// the copy-on-write size was measured and is not zero.
    pub fn keys_written(&mut self, keys: u64) -> Option<String> {
        if keys & 1023 != 1 {
            return None;
        }
        if self
            .last_report
            .is_some_and(|t| t.elapsed().as_millis() < REPORT_EVERY_MS)
        {
            return None;
        }
        self.last_report = Some(Instant::now());
        let measured = self.measure(false);
        self.send(KIND_CURRENT, keys);
        measured.filter(|_| self.cow > 0)
    }

    /// The final report of kind `kind` after `keys` keys, always with a
    /// fresh measurement; returns the log line.
    pub fn finish(&mut self, kind: u8, keys: u64) -> String {
        let line = self.measure(true).unwrap_or_default();
        self.send(kind, keys);
        line
    }

    /// Measures the copy-on-write size unless it was measured too
    /// recently (always when `force`); the log line when it did.
    fn measure(&mut self, force: bool) -> Option<String> {
        let now = monotonic_us();
        let due = force
            || self.cow_count == 0
            || now - self.cow_updated_us > self.cow_cost_us * COW_DUTY_CYCLE;
        if !due {
            return None;
        }
        self.cow = private_dirty_bytes();
        self.cow_updated_us = monotonic_us();
        self.cow_cost_us = self.cow_updated_us - now;
        self.cow_peak = self.cow_peak.max(self.cow);
        self.cow_sum += self.cow;
        self.cow_count += 1;
        Some(format!(
            "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
            self.pname,
            self.cow >> 20,
            self.cow_peak >> 20,
            (self.cow_sum / self.cow_count) >> 20
        ))
    }

    fn send(&self, kind: u8, keys: u64) {
        let report = Report {
            kind,
            keys,
            cow: self.cow,
            cow_updated_us: self.cow_updated_us,
        }
        .encode();
        // SAFETY: writing our buffer to our own descriptor. A report fits
        // in PIPE_BUF, so it is written whole or not at all; a full pipe
        // (a parent that stopped reading) only loses this report.
        let _ = unsafe { libc::write(self.fd.as_raw_fd(), report.as_ptr().cast(), REPORT_LEN) };
    }
}

/// The parent's side: reads whole reports, keeping a partial one.
pub struct Receiver {
    fd: OwnedFd,
    buf: [u8; REPORT_LEN],
    filled: usize,
}

impl Receiver {
    /// Every complete report the pipe holds now, oldest first.
    pub fn receive(&mut self) -> Vec<Report> {
        let mut out = Vec::new();
        loop {
            let want = REPORT_LEN - self.filled;
            // SAFETY: reading into the unfilled tail of our own buffer.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    self.buf[self.filled..].as_mut_ptr().cast(),
                    want,
                )
            };
            if n <= 0 {
                return out;
            }
            self.filled += n as usize;
            if self.filled == REPORT_LEN {
                out.push(Report::decode(&self.buf));
                self.filled = 0;
            }
        }
    }
}

/// The `Private_Dirty` memory of this process, in bytes (from
/// `/proc/self/smaps_rollup`; 0 where it cannot be read).
fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_cross_the_pipe_whole() {
        let pipe = Pipe::new().unwrap();
        let mut sender = pipe.sender("RDB").unwrap();
        let mut receiver = pipe.into_receiver();
        assert!(receiver.receive().is_empty());
        // The first key reports, the next ones within a second do not.
        sender.keys_written(1);
        sender.keys_written(1025);
        sender.keys_written(2);
        let line = sender.finish(KIND_RDB_DONE, 3000);
        assert!(line.starts_with("Fork CoW for RDB: current "));
        let got = receiver.receive();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].kind, got[0].keys), (KIND_CURRENT, 1));
        assert_eq!((got[1].kind, got[1].keys), (KIND_RDB_DONE, 3000));
        // This process has memory of its own: the figure is not zero.
        assert!(got[1].cow > 0);
        assert!(got[1].cow_updated_us > 0);
    }
}
