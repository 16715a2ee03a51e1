//! DEBUG DIGEST and DIGEST-VALUE: a fingerprint of the dataset (or of
//! values) that tests compare across servers, computed with Redis's
//! algorithm so equal datasets give equal digests, here and in Redis.
//!
//! Unordered things (keys of a database) are combined by XOR of their
//! SHA-1s, so iteration order does not matter; ordered things are "mixed":
//! the running digest is XORed with the SHA-1 of the data and hashed again.

use super::sha1::{self, LEN};
use crate::server::Server;
use lodestone_storage::stream::StreamId;
use lodestone_storage::{Db, KeyEntry, Value};

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
/// has a time to live. Strings contribute their bytes and collection
/// types (streams included) their elements, each as Redis's
/// `xorObjectDigest` does.
fn mix_value(digest: &mut Digest, db: &Db, entry: &KeyEntry) {
    let kind = entry.value.kind().name();
    let type_no = TYPE_NAMES.iter().position(|n| *n == kind).unwrap_or(0) as u32;
    mix(digest, &type_no.to_be_bytes());
    let mut scratch = itoa::Buffer::new();
    if let Some(bytes) = entry.value.string_bytes(&mut scratch) {
        mix(digest, bytes);
    }
    if let Value::Hash(h) = &entry.value {
        // Each field/value pair is mixed on its own and XORed in: pair
        // order (which differs between encodings) does not matter.
        for (field, value) in h.iter() {
            let mut pair = [0u8; LEN];
            field.with_bytes(|f| mix(&mut pair, f));
            value.with_bytes(|v| mix(&mut pair, v));
            xor(digest, &pair);
        }
    }
    if let Value::List(list) = &entry.value {
        // Elements are mixed in order: order is part of a list.
        list.for_each(|e| e.with_bytes(|b| mix(digest, b)));
    }
    if let Value::Set(set) = &entry.value {
        // Members are XORed in one by one: their order does not matter.
        for m in set.iter() {
            m.with_bytes(|m| xor(digest, m));
        }
    }
    if let Value::ZSet(z) = &entry.value {
        // Each member and its score (as `fpconv_dtoa` prints it) are mixed
        // on their own and XORed in, as for hash fields.
        let mut text = Vec::with_capacity(24);
        for (member, score) in z.iter() {
            let mut pair = [0u8; LEN];
            member.with_bytes(|m| mix(&mut pair, m));
            text.clear();
            let score = score.value();
            if score == 0.0 || !score.is_finite() {
                lodestone_protocol::num::push_double(&mut text, score);
            } else {
                lodestone_protocol::num::push_shortest(&mut text, score);
            }
            mix(&mut pair, &text);
            xor(digest, &pair);
        }
    }
    if let Value::Stream(s) = &entry.value {
        // Live entries in order: the ID as `ms.seq`, then each field and
        // value. Consumer groups are not part of the digest, as in Redis.
        let mut line = Vec::with_capacity(48);
        for e in s.range(StreamId::MIN, StreamId::MAX, false) {
            line.clear();
            line.extend_from_slice(scratch.format(e.id.ms).as_bytes());
            line.push(b'.');
            line.extend_from_slice(scratch.format(e.id.seq).as_bytes());
            mix(digest, &line);
            e.for_each_field(|f, v| {
                f.with_bytes(|f| mix(digest, f));
                v.with_bytes(|v| mix(digest, v));
            });
        }
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
