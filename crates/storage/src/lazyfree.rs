//! Freeing large values off the event loop (`UNLINK`, `FLUSHALL ASYNC`,
//! `lazyfree-lazy-*`).
//!
//! Dropping a collection with millions of elements takes time proportional
//! to its size; a background thread does it instead, as Redis's lazyfree
//! does. Counters feed `INFO memory` (`lazyfree_pending_objects`) and
//! `INFO stats` (`lazyfreed_objects`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread;

type Job = Box<dyn FnOnce() + Send>;

/// Handle to the background free thread.
pub struct LazyFree {
    tx: Option<Sender<Job>>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    pending: AtomicU64,
    freed: AtomicU64,
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
                for job in rx {
                    job();
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
        let Some(tx) = &self.tx else {
            return drop(object);
        };
        self.counters.pending.fetch_add(1, Ordering::Relaxed);
        if let Err(returned) = tx.send(Box::new(move || drop(object))) {
            self.counters.pending.fetch_sub(1, Ordering::Relaxed);
            drop(returned);
        }
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
    }
}
