//! Which clients WATCH which keys, so that any write to a watched key, from
//! any client, by expiry or by FLUSH/SWAPDB, makes their next EXEC fail.
//!
//! Clients are named by an opaque id; the server keeps the reverse list
//! (what each client watches) to unwatch on EXEC, DISCARD, UNWATCH or
//! disconnect.

use std::collections::{HashMap, HashSet};

/// For SWAPDB: whether a key exists in, and whether it is expired in, the
/// database that replaces the one being swapped out.
pub type Replacement<'a> = (&'a dyn Fn(&[u8]) -> bool, &'a dyn Fn(&[u8]) -> bool);

/// A client as the watch registry knows it.
pub type WatcherId = u64;

#[derive(Debug)]
struct Watcher {
    client: WatcherId,
    /// The key was already logically expired when WATCH ran: its deletion
    /// by expiry is then no change.
    expired_at_watch: bool,
}

/// Registry of watched keys for all databases of a shard.
#[derive(Default, Debug)]
pub struct WatchRegistry {
    keys: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
    dirty: HashSet<WatcherId>,
}

impl WatchRegistry {
    /// True when nobody watches anything (the common fast path).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Records that `client` watches `key` in `db`.
    pub fn watch(&mut self, db: usize, key: &[u8], client: WatcherId, expired_at_watch: bool) {
        let list = self.keys.entry((db, key.to_vec())).or_default();
        if !list.iter().any(|w| w.client == client) {
            list.push(Watcher {
                client,
                expired_at_watch,
            });
        }
    }

    /// Forgets one watch of `client`.
    pub fn unwatch(&mut self, db: usize, key: &[u8], client: WatcherId) {
        let k = (db, key.to_vec());
        if let Some(list) = self.keys.get_mut(&k) {
            list.retain(|w| w.client != client);
            if list.is_empty() {
                self.keys.remove(&k);
            }
        }
    }

    /// True when a watched key of `client` was touched since it watched.
    pub fn is_dirty(&self, client: WatcherId) -> bool {
        self.dirty.contains(&client)
    }

    /// Clears the dirty mark (after EXEC, DISCARD, UNWATCH or disconnect).
    pub fn clear_dirty(&mut self, client: WatcherId) {
        self.dirty.remove(&client);
    }

    /// Marks the client dirty directly.
    pub fn mark_dirty(&mut self, client: WatcherId) {
        self.dirty.insert(client);
    }

    /// A key was modified. `still_exists` tells whether the key is present
    /// after the change (a deletion of an already-expired watched key is not
    /// a logical change).
    pub fn touch(&mut self, db: usize, key: &[u8], still_exists: bool) {
        if self.keys.is_empty() {
            return;
        }
        let Some(list) = self.keys.get_mut(&(db, key.to_vec())) else {
            return;
        };
        for w in list.iter_mut() {
            if w.expired_at_watch && !still_exists {
                w.expired_at_watch = false;
                continue;
            }
            self.dirty.insert(w.client);
        }
    }

    /// True when `client` watched `key` while it was already expired.
    pub fn expired_flag(&self, db: usize, key: &[u8], client: WatcherId) -> bool {
        self.keys
            .get(&(db, key.to_vec()))
            .and_then(|l| l.iter().find(|w| w.client == client))
            .is_some_and(|w| w.expired_at_watch)
    }

    /// A whole database is being emptied (FLUSHDB, FLUSHALL) or, with
    /// `replaced`, swapped with another (SWAPDB). Watchers of keys that
    /// existed in `db` or exist in the replacement are marked dirty, except
    /// where the key stays logically absent (it was expired at WATCH time and
    /// is still absent or expired afterwards).
    pub fn touch_db(
        &mut self,
        db: usize,
        exists_in_emptied: impl Fn(&[u8]) -> bool,
        replaced: Option<Replacement<'_>>,
    ) {
        for ((d, key), list) in self.keys.iter_mut() {
            if *d != db {
                continue;
            }
            let in_emptied = exists_in_emptied(key);
            let in_replacement = replaced.is_some_and(|(exists, _)| exists(key));
            if !in_emptied && !in_replacement {
                continue;
            }
            let expired_in_replacement = replaced.is_some_and(|(_, expired)| expired(key));
            for w in list.iter_mut() {
                if w.expired_at_watch {
                    if !in_replacement {
                        w.expired_at_watch = false;
                        continue;
                    } else if expired_in_replacement {
                        continue;
                    }
                } else if !in_emptied && expired_in_replacement {
                    w.expired_at_watch = true;
                    continue;
                }
                self.dirty.insert(w.client);
            }
        }
    }
}
