//! Micro benchmark (not a test): what reading the allocator's figure of
//! used memory costs, to choose how `maxmemory` is checked before every
//! command. Run with
//! `cargo run --release -p lodestone-server --example memory_check_cost`.
//!
//! It compares jemalloc's exact-but-merged `stats.allocated` (which needs
//! an `epoch` advance that merges every arena's statistics) with the
//! calling thread's own cumulative allocated/deallocated counters
//! (`thread.allocatedp` / `thread.deallocatedp`: plain loads through
//! pointers read once), which is what `memory::UsedMemory` uses between
//! refreshes.

use std::hint::black_box;
use std::time::Instant;
use tikv_jemalloc_ctl::{epoch, stats, thread};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Nanoseconds per call of `f`, over `n` calls.
fn per_call(n: u32, mut f: impl FnMut() -> u64) -> f64 {
    let mut sink = 0u64;
    let start = Instant::now();
    for _ in 0..n {
        sink = sink.wrapping_add(f());
    }
    black_box(sink);
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    // Some live data spread over a few threads' arenas, like a server
    // with a lazyfree thread.
    let mut keep: Vec<Vec<u8>> = (0..200_000).map(|i| vec![0u8; 16 + i % 200]).collect();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                (0..50_000)
                    .map(|i| vec![1u8; 8 + i % 100])
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for w in workers {
        keep.extend(w.join().unwrap_or_default());
    }
    let n = 200_000;
    let epoch_mib = epoch::mib().expect("epoch mib");
    let allocated_mib = stats::allocated::mib().expect("allocated mib");
    let by_name = per_call(n, || {
        let _ = epoch::advance();
        stats::allocated::read().unwrap_or(0) as u64
    });
    let by_mib = per_call(n, || {
        let _ = epoch_mib.advance();
        allocated_mib.read().unwrap_or(0) as u64
    });
    let allocatedp = thread::allocatedp::read().expect("thread.allocatedp");
    let deallocatedp = thread::deallocatedp::read().expect("thread.deallocatedp");
    let thread_counters = per_call(n * 50, || {
        let (a, d) = black_box((&allocatedp, &deallocatedp));
        a.get().wrapping_sub(d.get())
    });
    println!("epoch advance + stats.allocated by name: {by_name:8.1} ns/call");
    println!("epoch advance + stats.allocated by MIB:  {by_mib:8.1} ns/call");
    println!("thread allocated - deallocated counters: {thread_counters:8.1} ns/call");
    black_box(keep);
}
