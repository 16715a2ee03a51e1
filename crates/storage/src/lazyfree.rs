//! Freeing large values off the event loop (`UNLINK`, `FLUSHALL ASYNC`,
//! `lazyfree-lazy-*`).
//!
//! Dropping a collection with millions of elements takes time proportional
//! to its size; a background thread does it instead, as Redis's lazyfree
//! does. Counters feed `INFO memory` (`lazyfree_pending_objects`) and
//! `INFO stats` (`lazyfreed_objects`). Objects handed over with their size
//! also count bytes, so that `maxmemory` can treat them as freed as soon
//! as they leave the keyspace, as the thread may take a while.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread;

/// A drop to run, and the bytes it frees (0 when unknown).
type Job = (Box<dyn FnOnce() + Send>, u64);

/// Handle to the background free thread.
pub struct LazyFree {
    tx: Option<Sender<Job>>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    pending: AtomicU64,
    freed: AtomicU64,
    /// Bytes ever handed over (by the senders' estimate).
    queued_bytes: AtomicU64,
    /// Bytes of those already freed.
    freed_bytes: AtomicU64,
}

impl LazyFree {
    /// Starts the background thread.
    pub fn start() -> LazyFree {
        let (tx, rx) = channel::<Job>();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let spawned = thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for (job, bytes) in rx {
                    job();
                    c.freed_bytes.fetch_add(bytes, Ordering::Relaxed);
                    c.pending.fetch_sub(1, Ordering::Relaxed);
                    c.freed.fetch_add(1, Ordering::Relaxed);
                }
            });
        // Without a thread, values are simply freed inline.
        LazyFree {
            tx: spawned.ok().map(|_| tx),
            counters,
        }
    }

    /// Drops `object` on the background thread (or here if it is gone).
    pub fn free<T: Send + 'static>(&self, object: T) {
        self.free_sized(object, 0);
    }

    /// Drops `object`, which holds about `bytes` bytes, on the background
    /// thread (or here if it is gone), counting the bytes.
    pub fn free_sized<T: Send + 'static>(&self, object: T, bytes: u64) {
        let Some(tx) = &self.tx else {
            return drop(object);
        };
        self.counters.pending.fetch_add(1, Ordering::Relaxed);
        self.counters
            .queued_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        if let Err(returned) = tx.send((Box::new(move || drop(object)), bytes)) {
            self.counters.pending.fetch_sub(1, Ordering::Relaxed);
            self.counters
                .freed_bytes
                .fetch_add(bytes, Ordering::Relaxed);
            drop(returned);
        }
    }

    /// Bytes ever handed over with [`LazyFree::free_sized`] (monotonic).
    pub fn queued_bytes(&self) -> u64 {
        self.counters.queued_bytes.load(Ordering::Relaxed)
    }

    /// Bytes handed over and not yet freed.
    pub fn pending_bytes(&self) -> u64 {
        // Freed is read first: it never exceeds queued, so the difference
        // cannot be negative even while the thread works.
        let freed = self.counters.freed_bytes.load(Ordering::Relaxed);
        self.queued_bytes().saturating_sub(freed)
    }

    /// Objects queued but not yet freed.
    pub fn pending(&self) -> u64 {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Objects freed by the background thread since start (or reset).
    pub fn freed(&self) -> u64 {
        self.counters.freed.load(Ordering::Relaxed)
    }

    /// Resets `lazyfreed_objects` (CONFIG RESETSTAT).
    pub fn reset_stats(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_in_background() {
        let lf = LazyFree::start();
        lf.free(vec![0u8; 1024]);
        for _ in 0..1000 {
            if lf.freed() == 1 {
                break;
            }
            thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(lf.freed(), 1);
        assert_eq!(lf.pending(), 0);
        lf.free_sized(vec![0u8; 4096], 4096);
        assert_eq!(lf.queued_bytes(), 4096);
        for _ in 0..1000 {
            if lf.pending_bytes() == 0 {
                break;
            }
            thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(lf.pending_bytes(), 0);
    }
}
