//! Building a snapshot of the server's state: aux fields, function
//! libraries, then every database's keys with their expiry and, under
//! LRU/LFU eviction policies, their idle time or frequency.

use crate::handlers::connection::REDIS_VERSION;
use crate::server::Server;
use lodestone_storage::clock;
use lodestone_storage::rdb::snapshot::SnapshotWriter;
use lodestone_storage::rdb::value::encode_value;
use lodestone_storage::KeyMeta;

/// The RDB bytes of everything the server holds now.
pub fn snapshot(server: &Server) -> Vec<u8> {
    snapshot_with(server, false, &mut |_, _| {})
}

/// [`snapshot`], calling `on_key` after each key with the number of keys
/// written so far and the bytes of the snapshot built so far (a BGSAVE
/// child reports its progress with them).
pub fn snapshot_reporting(server: &Server, on_key: &mut dyn FnMut(u64, usize)) -> Vec<u8> {
    snapshot_with(server, false, on_key)
}

/// [`snapshot_reporting`], marked (aux field `aof-base`) as the base of an
/// append-only file when `aof_base`.
pub fn snapshot_with(
    server: &Server,
    aof_base: bool,
    on_key: &mut dyn FnMut(u64, usize),
) -> Vec<u8> {
    let compress = server.config.bool("rdbcompression");
    let checksum = server.config.bool("rdbchecksum");
    let policy = server.config.enum_name("maxmemory-policy");
    let save_lru = policy.ends_with("-lru");
    let save_lfu = policy.ends_with("-lfu");
    let key_delay = server.config.int("rdb-key-save-delay");
    let mut w = SnapshotWriter::new(compress);
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
    for lib in server.functions.libs.iter() {
        w.function(&lib.code);
    }
    let shards = server.engine.shards();
    let mut value = Vec::new();
    let mut written = 0u64;
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
                value.clear();
                encode_value(&entry.value, &mut value, compress);
                w.key(entry.key(), meta, &value);
                written += 1;
                on_key(written, w.len());
                if key_delay != 0 {
                    super::debug_delay(key_delay);
                }
            }
        }
    }
    w.finish(checksum)
}
