//! A synchronous FLUSHALL or FLUSHDB gives the freed memory back to the
//! system at once, as Redis 7 does (its `jemalloc_purge` after a flush):
//! the allocator would otherwise keep the pages while there is no traffic,
//! and RSS would stay at the data set's peak.

mod common;

use common::{proc_status_kib, start_lodestone, Conn};

/// Fills the server with ~100 MB of 1000-byte values.
fn fill(c: &mut Conn) {
    assert_eq!(
        c.cmd_raw(&["DEBUG", "POPULATE", "100000", "key", "1000"]),
        b"+OK\r\n"
    );
}

#[test]
fn a_synchronous_flush_returns_memory_to_the_system() {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let pid = server.child.id();
    let rss = || proc_status_kib(pid, "VmRSS").expect("/proc status");
    let mut c = Conn::connect(server.port);
    let empty = rss();
    for flush in [
        &["FLUSHALL"][..],
        &["FLUSHDB", "SYNC"],
        &["FLUSHALL", "SYNC"],
    ] {
        fill(&mut c);
        let full = rss();
        assert!(full > empty + 80 * 1024, "RSS {full} KiB after filling");
        assert_eq!(c.cmd_raw(flush), b"+OK\r\n");
        let after = rss();
        assert!(
            after < empty + (full - empty) / 4,
            "{flush:?}: RSS {after} KiB, {full} KiB full, {empty} KiB empty"
        );
    }
}
