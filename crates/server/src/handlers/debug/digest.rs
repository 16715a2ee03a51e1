//! DEBUG DIGEST and DIGEST-VALUE: a fingerprint of the dataset (or of
//! values) that tests compare across servers, computed with Redis's
//! algorithm so equal datasets give equal digests, here and in Redis.
//!
//! Unordered things (keys of a database) are combined by XOR of their
//! SHA-1s, so iteration order does not matter; ordered things are "mixed":
//! the running digest is XORed with the SHA-1 of the data and hashed again.

use super::sha1::{self, LEN};
use crate::server::Server;
use lodestone_storage::{Db, KeyEntry};

/// A digest being built.
pub type Digest = [u8; LEN];

/// Redis's type numbers, by type name.
const TYPE_NAMES: &[&str] = &["string", "list", "set", "zset", "hash", "module", "stream"];

/// XORs the SHA-1 of `data` into `digest`.
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1::digest(data)) {
        *d ^= h;
    }
}

/// XORs `data` in, then replaces the digest by its own SHA-1.
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    *digest = sha1::digest(digest);
}

/// Adds a value to `digest`: its type, its content and whether the key
/// has a time to live. Strings are the only values today; a collection
/// type contributes its elements here when it is added.
fn mix_value(digest: &mut Digest, db: &Db, entry: &KeyEntry) {
    let kind = entry.value.kind().name();
    let type_no = TYPE_NAMES.iter().position(|n| *n == kind).unwrap_or(0) as u32;
    mix(digest, &type_no.to_be_bytes());
    let mut scratch = itoa::Buffer::new();
    if let Some(bytes) = entry.value.string_bytes(&mut scratch) {
        mix(digest, bytes);
    }
    if db.expire_of(entry).is_some() {
        xor(digest, b"!!expire!!");
    }
}

/// Hex form of a digest, as the commands reply it.
pub fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of every key and value of every database (all zeros for an
/// empty dataset). Logically expired keys not yet removed count, as in
/// Redis.
pub fn dataset(s: &Server) -> Digest {
    let mut total = [0u8; LEN];
    for n in 0..s.engine.db_count() {
        let shards = s.engine.shards();
        if shards.iter().all(|ks| ks.db(n).is_empty()) {
            continue;
        }
        mix(&mut total, &(n as u32).to_be_bytes());
        for ks in shards {
            let db = ks.db(n);
            for entry in db.iter() {
                let mut d = [0u8; LEN];
                mix(&mut d, entry.key());
                mix_value(&mut d, db, entry);
                xor(&mut total, &d);
            }
        }
    }
    total
}

/// The digest of the value at `key` in database `db` (all zeros when
/// there is none).
pub fn value(s: &mut Server, db: usize, key: &[u8]) -> Digest {
    let mut d = [0u8; LEN];
    let ks = s.engine.shard_for(key);
    let db = ks.db(db);
    if let Some(entry) = db.entry(key) {
        mix_value(&mut d, db, entry);
    }
    d
}
