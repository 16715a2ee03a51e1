//! Building a snapshot of the server's state: aux fields, function
//! libraries, then every database's keys with their expiry and, under
//! LRU/LFU eviction policies, their idle time or frequency.
//!
//! [`write_snapshot`] streams the file to any `Write` (SAVE, BGSAVE and
//! shutdown write it to the file this way, through a 64 KiB buffer);
//! [`snapshot`] returns the bytes, for the callers that need them in
//! memory. Walking the data set only reads it: in a fork child, writing
//! to memory shared with the parent (reference counts, LRU stamps, frees)
//! would copy its pages, so nothing here does.

use crate::handlers::connection::REDIS_VERSION;
use crate::server::Server;
use lodestone_storage::clock;
use lodestone_storage::rdb::chunked::ChunkSink;
use lodestone_storage::rdb::snapshot::SnapshotWriter;
use lodestone_storage::KeyMeta;
use std::io::{self, Write};

/// Which parts of the data set a snapshot holds: all of them, except for
/// a client that asked for less (REPLCONF rdb-filter-only, used by
/// `redis-cli --functions-rdb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotParts {
    /// The keys of every database.
    pub data: bool,
    /// The function libraries.
    pub functions: bool,
}

impl SnapshotParts {
    /// Everything.
    pub const ALL: SnapshotParts = SnapshotParts {
        data: true,
        functions: true,
    };
}

/// The RDB bytes of `parts` of what the server holds now (a full
/// resynchronization sends them after their length).
pub fn snapshot(server: &Server, parts: SnapshotParts) -> Vec<u8> {
    let mut w = SnapshotWriter::in_memory(
        server.config.bool("rdbcompression"),
        server.config.bool("rdbchecksum"),
    );
    write_contents(server, &mut w, false, parts, &mut |_| {});
    w.into_bytes()
}

/// What a streamed snapshot wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Keys written.
    pub keys: u64,
    /// Bytes of the file.
    pub bytes: u64,
}

/// Streams the RDB file of everything the server holds now to `out`,
/// marked (aux field `aof-base`) as an append-only file's base when
/// `aof_base`, calling `on_key` after each key with the number of keys
/// written so far (a BGSAVE child reports its progress with it). Stops at
/// the first write error and returns it.
pub fn write_snapshot(
    server: &Server,
    out: &mut impl Write,
    aof_base: bool,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<Written> {
    let mut w = SnapshotWriter::new(
        WriteSink(out),
        server.config.bool("rdbcompression"),
        server.config.bool("rdbchecksum"),
    );
    let keys = write_contents(server, &mut w, aof_base, SnapshotParts::ALL, on_key);
    let bytes = w.len();
    w.finish()?;
    Ok(Written { keys, bytes })
}

/// A `Write` as the snapshot writer's sink.
struct WriteSink<'a, W: Write>(&'a mut W);

impl<W: Write> ChunkSink for WriteSink<'_, W> {
    type Error = io::Error;

    fn write_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.0.write_all(chunk)
    }
}

/// Writes everything but the end of the file; returns the number of keys
/// written (fewer when the sink failed, which ends the walk).
fn write_contents<S: ChunkSink>(
    server: &Server,
    w: &mut SnapshotWriter<S>,
    aof_base: bool,
    parts: SnapshotParts,
    on_key: &mut dyn FnMut(u64),
) -> u64 {
    let policy = server.config.enum_name("maxmemory-policy");
    let save_lru = policy.ends_with("-lru");
    let save_lfu = policy.ends_with("-lfu");
    let key_delay = server.config.int("rdb-key-save-delay");
    w.aux("redis-ver", REDIS_VERSION.as_bytes());
    w.aux("redis-bits", b"64");
    w.aux("ctime", (server.now_ms / 1000).to_string().as_bytes());
    w.aux(
        "used-mem",
        crate::memory::allocator_stats()
            .allocated
            .to_string()
            .as_bytes(),
    );
    w.aux("aof-base", if aof_base { b"1" } else { b"0" });
    if parts.functions {
        for lib in server.functions.libs.iter() {
            w.function(&lib.code);
        }
    }
    let shards = server.engine.shards();
    let mut written = 0u64;
    if !parts.data {
        return written;
    }
    for db in 0..server.engine.db_count() {
        let keys: usize = shards.iter().map(|ks| ks.db(db).len()).sum();
        if keys == 0 {
            continue;
        }
        let expires: usize = shards.iter().map(|ks| ks.db(db).expires_len()).sum();
        w.select_db(db, keys, expires);
        for ks in shards {
            let d = ks.db(db);
            let now = ks.now_ms();
            for entry in d.iter() {
                let meta = KeyMeta {
                    expire_ms: d.expire_of(entry),
                    idle_secs: save_lru
                        .then(|| (clock::idle_ms(entry.lru, ks.lru_clock()) / 1000) as u64),
                    freq: save_lfu.then(|| {
                        clock::lfu_decayed_counter(entry.lru, now, ks.config.lfu_decay_time)
                    }),
                };
                w.key(entry.key(), meta, &entry.value);
                if w.failed() {
                    return written;
                }
                written += 1;
                on_key(written);
                if key_delay != 0 {
                    super::debug_delay(key_delay);
                }
            }
        }
    }
    written
}
