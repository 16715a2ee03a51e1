//! The background fsync worker (Redis's `BIO_AOF_FSYNC` thread): with
//! `appendfsync everysec` the event loop hands the incremental file to
//! this thread once a second and never waits for the disk itself. The
//! same thread deletes files the AOF no longer needs (history files,
//! temporary files of a failed rewrite), which can take a while for big
//! ones (Redis's `bg_unlink`).
//!
//! Jobs hold the file by `Arc`, so a file the server stops writing to (a
//! rewrite opened a new incremental file) is closed by whoever drops it
//! last: the worker, after its final fsync, when a job is still queued.
//! The worker only flushes files; it never touches server state, and
//! reports through atomics: how many fsyncs are pending, the `errno`
//! of the last failed one (0 once one succeeds again) and the
//! replication offset the last successful fsync covered (Redis's
//! `fsynced_reploff_pending`, which WAITAOF waits on).

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// One job.
enum Job {
    /// Flush a file; `counted` in `pending` (a plain fsync, not the final
    /// one before the file is closed); `offset` is the replication offset
    /// of the last write the file holds.
    Fsync {
        file: Arc<File>,
        counted: bool,
        offset: i64,
    },
    /// Delete a file (history files can be large: unlinking them may take
    /// a while).
    Unlink(PathBuf),
    /// Signal once every job queued before it is done.
    Barrier(Sender<()>),
}

/// The worker's handle, owned by the AOF state.
#[derive(Default)]
pub struct BackgroundFsync {
    jobs: Option<Sender<Job>>,
    pending: Arc<AtomicUsize>,
    failed_errno: Arc<AtomicI32>,
    fsynced: Arc<AtomicI64>,
}

impl BackgroundFsync {
    /// Queues an fsync of `file`, whose last write ends at replication
    /// offset `offset` (Redis's `aof_background_fsync`).
    pub fn fsync(&mut self, file: &Arc<File>, offset: i64) {
        self.submit(file.clone(), true, offset);
    }

    /// Queues a final fsync of a file no longer written to; the worker
    /// drops it afterwards (Redis's `aof_background_fsync_and_close`).
    pub fn fsync_and_close(&mut self, file: Arc<File>, offset: i64) {
        self.submit(file, false, offset);
    }

    /// The replication offset covered by the last fsync that succeeded
    /// (Redis's `fsynced_reploff_pending`).
    pub fn fsynced_offset(&self) -> i64 {
        self.fsynced.load(Ordering::SeqCst)
    }

    /// Sets that offset: after an fsync on the event loop, or to restart
    /// from the current offset when the AOF is turned on or off.
    pub fn set_fsynced_offset(&self, offset: i64) {
        self.fsynced.store(offset, Ordering::SeqCst);
    }

    /// Deletes a file in the background (Redis's `bg_unlink`).
    pub fn unlink(&mut self, path: PathBuf) {
        self.send(Job::Unlink(path));
    }

    fn submit(&mut self, file: Arc<File>, counted: bool, offset: i64) {
        if counted {
            self.pending.fetch_add(1, Ordering::SeqCst);
        }
        self.send(Job::Fsync {
            file,
            counted,
            offset,
        });
    }

    fn send(&mut self, job: Job) {
        let job = match self.jobs.as_ref() {
            None => job,
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                // The worker is gone: start another.
                Err(e) => e.0,
            },
        };
        match self.start() {
            Some(tx) => {
                let _ = tx.send(job);
            }
            // No thread: do it here rather than not at all.
            None => run(job, &self.failed_errno, &self.pending, &self.fsynced),
        }
    }

    /// Starts the worker thread; `None` when the thread cannot be created.
    fn start(&mut self) -> Option<&Sender<Job>> {
        let (tx, rx) = channel::<Job>();
        let pending = self.pending.clone();
        let failed = self.failed_errno.clone();
        let fsynced = self.fsynced.clone();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for job in rx {
                    run(job, &failed, &pending, &fsynced);
                }
            })
            .ok()?;
        self.jobs = Some(tx);
        self.jobs.as_ref()
    }

    /// Waits until every job queued so far is done (Redis's
    /// `bioDrainWorker`): before the first rewrite of an AOF turned on
    /// at runtime, so no fsync of an older file reports its offset late.
    pub fn drain(&mut self) {
        let Some(jobs) = self.jobs.as_ref() else {
            return;
        };
        let (tx, rx) = channel();
        if jobs.send(Job::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// Fsyncs queued or running (INFO `aof_pending_bio_fsync`).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// The `errno` of the last background fsync when it failed.
    pub fn failed_errno(&self) -> Option<i32> {
        match self.failed_errno.load(Ordering::SeqCst) {
            0 => None,
            e => Some(e),
        }
    }

    /// Forgets a failure (the AOF was turned on again).
    pub fn clear_failure(&self) {
        self.failed_errno.store(0, Ordering::SeqCst);
    }
}

/// Runs one job. An fsync's outcome is recorded as Redis's bio thread
/// does (a descriptor that went away is not an error, and a success
/// publishes the offset it covered); the file is dropped (closed, when
/// it was the last holder) before the job counts as done.
fn run(job: Job, failed: &AtomicI32, pending: &AtomicUsize, fsynced: &AtomicI64) {
    match job {
        Job::Fsync {
            file,
            counted,
            offset,
        } => {
            match file.sync_data() {
                Ok(()) => {
                    failed.store(0, Ordering::SeqCst);
                    fsynced.store(offset, Ordering::SeqCst);
                }
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(libc::EIO);
                    if errno != libc::EBADF && errno != libc::EINVAL {
                        failed.store(errno, Ordering::SeqCst);
                    }
                }
            }
            drop(file);
            if counted {
                pending.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Job::Unlink(path) => {
            let _ = std::fs::remove_file(path);
        }
        Job::Barrier(done) => {
            let _ = done.send(());
        }
    }
}
