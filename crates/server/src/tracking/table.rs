//! [`KeyTable`]: which clients may cache which key (default-mode tracking).
//!
//! Keys are names, not (database, name) pairs: a write to `a` in any
//! database invalidates `a` for everyone who read it anywhere, as in Redis.
//! A key's entry goes away when the key is invalidated, so the table holds
//! only keys read since their last change; `tracking-table-max-keys` bounds
//! it (see [`KeyTable::random_key`]). Client ids are not removed when a
//! client stops tracking or disconnects: they fall out with the key, which
//! keeps disconnecting cheap (Redis does the same).
//!
//! Built on the storage layer's [`Dict`], which grows and shrinks without
//! stalls and can pick a random entry for eviction.

use crate::client::ClientId;
use lodestone_storage::dict::{Dict, DictEntry};
use lodestone_storage::SmallBytes;
use smallvec::SmallVec;

/// Ids of the clients that read one key, ascending.
pub type Readers = SmallVec<[ClientId; 2]>;

/// One tracked key and its readers.
struct Tracked {
    key: SmallBytes,
    readers: Readers,
}

impl DictEntry for Tracked {
    fn key(&self) -> &[u8] {
        &self.key
    }
}

/// All tracked keys (Redis's `TrackingTable`).
#[derive(Default)]
pub struct KeyTable {
    keys: Dict<Tracked>,
    /// (key, client) pairs: INFO `tracking_total_items`.
    items: u64,
}

impl KeyTable {
    /// Number of tracked keys (INFO `tracking_total_keys`).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of (key, client) pairs (INFO `tracking_total_items`).
    pub fn items(&self) -> u64 {
        self.items
    }

    /// Records that client `id` may cache `key`.
    pub fn remember(&mut self, key: &[u8], id: ClientId) {
        match self.keys.get_mut(key) {
            Some(entry) => {
                if let Err(at) = entry.readers.binary_search(&id) {
                    entry.readers.insert(at, id);
                    self.items += 1;
                }
            }
            None => {
                let mut readers = Readers::new();
                readers.push(id);
                self.keys.insert_new(Tracked {
                    key: SmallBytes::new(key),
                    readers,
                });
                self.items += 1;
            }
        }
    }

    /// Forgets `key` and returns who had read it: they must be told it
    /// changed.
    pub fn take(&mut self, key: &[u8]) -> Option<Readers> {
        let entry = self.keys.remove(key)?;
        self.items -= entry.readers.len() as u64;
        Some(entry.readers)
    }

    /// A tracked key picked at random: what the table limit evicts.
    pub fn random_key(&self) -> Option<Vec<u8>> {
        self.keys.random().map(|e| e.key.to_vec())
    }

    /// Empties the table (a flush invalidated everything) and returns the
    /// old contents, so a big table can be freed off the event loop.
    pub fn take_all(&mut self) -> impl Send + 'static {
        self.items = 0;
        std::mem::take(&mut self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_readers_once_and_counts_items() {
        let mut t = KeyTable::default();
        t.remember(b"a", 7);
        t.remember(b"a", 3);
        t.remember(b"a", 7);
        t.remember(b"b", 7);
        assert_eq!((t.len(), t.items()), (2, 3));
        assert_eq!(t.take(b"a").as_deref(), Some(&[3, 7][..]));
        assert_eq!((t.len(), t.items()), (1, 1));
        assert!(t.take(b"a").is_none());
        assert_eq!(t.random_key().as_deref(), Some(&b"b"[..]));
        drop(t.take_all());
        assert_eq!((t.len(), t.items()), (0, 0));
        assert!(t.random_key().is_none());
    }
}
