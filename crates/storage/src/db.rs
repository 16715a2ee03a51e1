//! [`Db`]: one numbered database: the main key table and the table of
//! expiry times, with raw operations that apply no policy (expiry checks,
//! statistics and notifications are the [`crate::Keyspace`]'s job).

use crate::bytes::SmallBytes;
use crate::dict::{Dict, DictEntry};
use crate::value::Value;

/// A key and its value, as stored in the main table. 56 bytes.
#[derive(Debug)]
pub struct KeyEntry {
    key: SmallBytes,
    /// The value.
    pub value: Value,
    /// LRU clock or LFU field (see [`crate::clock`]).
    pub lru: u32,
    /// True when the expires table holds a time for this key, so keys
    /// without a TTL never pay for an expires lookup.
    has_expire: bool,
}

impl KeyEntry {
    /// The key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// True when the key has a time to live.
    pub fn has_expire(&self) -> bool {
        self.has_expire
    }
}

impl DictEntry for KeyEntry {
    fn key(&self) -> &[u8] {
        &self.key
    }

    fn prefetch_payload(&self) {
        self.value.prefetch();
    }
}

/// A key's absolute expiry time in Unix milliseconds.
#[derive(Debug)]
pub struct ExpireEntry {
    key: SmallBytes,
    /// When the key expires (Unix time, ms).
    pub at_ms: i64,
}

impl ExpireEntry {
    /// The key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }
}

impl DictEntry for ExpireEntry {
    fn key(&self) -> &[u8] {
        &self.key
    }
}

/// One database: keys and their expiry times.
#[derive(Default)]
pub struct Db {
    pub(crate) main: Dict<KeyEntry>,
    pub(crate) expires: Dict<ExpireEntry>,
    /// Where the active expiry cycle resumes scanning `expires`.
    pub(crate) expire_cursor: u64,
    /// Running average TTL of sampled volatile keys, for `INFO keyspace`.
    pub(crate) avg_ttl_ms: i64,
}

impl Db {
    /// Number of keys (including logically expired ones not yet removed).
    pub fn len(&self) -> usize {
        self.main.len()
    }

    /// True when the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.main.is_empty()
    }

    /// Number of keys with a time to live.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Average TTL of volatile keys seen by the expiry cycle (ms).
    pub fn avg_ttl_ms(&self) -> i64 {
        self.avg_ttl_ms
    }

    /// The entry for `key`, expired or not.
    pub fn entry(&self, key: &[u8]) -> Option<&KeyEntry> {
        self.main.get(key)
    }

    /// The entry for `key`, mutably.
    pub fn entry_mut(&mut self, key: &[u8]) -> Option<&mut KeyEntry> {
        self.main.get_mut(key)
    }

    /// The expiry time of `key`, if it has one.
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).map(|e| e.at_ms)
    }

    /// The expiry time of an entry already looked up (skips the expires
    /// table when the entry has no TTL).
    pub fn expire_of(&self, entry: &KeyEntry) -> Option<i64> {
        if entry.has_expire {
            self.expire_at(&entry.key)
        } else {
            None
        }
    }

    /// Adds a key known to be absent.
    pub(crate) fn insert_new(&mut self, key: &[u8], value: Value, lru: u32) {
        self.main.insert_new(KeyEntry {
            key: SmallBytes::new(key),
            value,
            lru,
            has_expire: false,
        });
    }

    /// Adds a key loaded from a snapshot, with its expiry time, unless the
    /// key exists, in which case the value is given back: one probe of
    /// the main table (and one insert into the expires table), where a
    /// lookup, an insert and an expiry update take four.
    pub(crate) fn load_new(
        &mut self,
        key: &[u8],
        value: Value,
        lru: u32,
        expire_ms: Option<i64>,
    ) -> Result<(), Value> {
        let key = SmallBytes::new(key);
        let entry = KeyEntry {
            key: key.clone(),
            value,
            lru,
            has_expire: expire_ms.is_some(),
        };
        self.main.try_insert_new(entry).map_err(|e| e.value)?;
        if let Some(at_ms) = expire_ms {
            self.expires.insert_new(ExpireEntry { key, at_ms });
        }
        Ok(())
    }

    /// Starts fetching the main-table bucket of `key` (see
    /// [`Dict::prefetch`]).
    pub(crate) fn prefetch(&self, key: &[u8]) {
        self.main.prefetch(key);
    }

    /// Sizes the tables for `keys` keys, `expires` of them with a TTL
    /// (a snapshot's RESIZEDB hint, which the loader bounds).
    pub(crate) fn reserve(&mut self, keys: usize, expires: usize) {
        self.main.reserve(keys);
        self.expires.reserve(expires);
    }

    /// Removes a key and its expiry, returning its value.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let entry = self.main.remove(key)?;
        if entry.has_expire {
            self.expires.remove(key);
        }
        Some(entry.value)
    }

    /// Sets the expiry of an existing key. Returns false if the key is absent.
    pub(crate) fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let Some(entry) = self.main.get_mut(key) else {
            return false;
        };
        if entry.has_expire {
            if let Some(e) = self.expires.get_mut(key) {
                e.at_ms = at_ms;
                return true;
            }
        }
        entry.has_expire = true;
        self.expires.insert_new(ExpireEntry {
            key: SmallBytes::new(key),
            at_ms,
        });
        true
    }

    /// Removes the expiry of a key. Returns true if it had one.
    pub(crate) fn remove_expire(&mut self, key: &[u8]) -> bool {
        match self.main.get_mut(key) {
            Some(entry) if entry.has_expire => {
                entry.has_expire = false;
                self.expires.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Iterates over all entries (expired ones included).
    pub fn iter(&self) -> impl Iterator<Item = &KeyEntry> {
        self.main.iter()
    }

    /// One SCAN step over the main table.
    pub fn scan(&self, cursor: u64, visit: impl FnMut(&KeyEntry)) -> u64 {
        self.main.scan(cursor, visit)
    }

    /// A random entry.
    pub fn random(&self) -> Option<&KeyEntry> {
        self.main.random()
    }

    /// Moves up to `n` buckets of any ongoing resize of either table.
    pub(crate) fn rehash(&mut self, n: usize) -> bool {
        let a = self.main.rehash(n);
        let b = self.expires.rehash(n);
        a || b
    }

    /// Bucket counts of the main and expires tables (for `DEBUG HTSTATS`).
    pub fn table_sizes(&self) -> (usize, usize) {
        (self.main.bucket_count(), self.expires.bucket_count())
    }

    /// Memory used by the tables themselves, excluding keys and values.
    pub fn overhead_bytes(&self) -> usize {
        self.main.overhead_bytes() + self.expires.overhead_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_56_bytes() {
        assert_eq!(std::mem::size_of::<KeyEntry>(), 56);
    }

    #[test]
    fn expiry_bookkeeping() {
        let mut db = Db::default();
        db.insert_new(b"k", Value::string(b"v"), 0);
        assert!(db.set_expire(b"k", 100));
        assert!(db.set_expire(b"k", 200));
        assert_eq!(db.expires_len(), 1);
        assert_eq!(db.expire_at(b"k"), Some(200));
        assert!(db.remove_expire(b"k"));
        assert!(!db.remove_expire(b"k"));
        assert!(!db.set_expire(b"missing", 1));
        db.set_expire(b"k", 5);
        assert!(db.remove(b"k").is_some());
        assert_eq!(db.expires_len(), 0);
    }
}
