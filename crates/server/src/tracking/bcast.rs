//! [`PrefixTable`]: BCAST-mode tracking, by key prefix.
//!
//! A client in BCAST mode caches whatever it likes under its prefixes and
//! hears about every change of a key that starts with one of them. Changes
//! are collected per prefix during an event-loop iteration and sent as one
//! message per prefix and client before the loop sleeps (Redis's
//! `trackingBroadcastInvalidationMessages` in `beforeSleep`). For each key
//! the table remembers who changed it last, so a NOLOOP client is not told
//! about its own writes.

use crate::client::ClientId;
use std::collections::{BTreeMap, BTreeSet};

/// One prefix: its subscribers and the keys changed under it since the
/// last broadcast.
#[derive(Default)]
struct Prefix {
    /// Changed keys (in byte order, as Redis lists them) and the client
    /// whose command changed each last (`None`: the server or a script).
    keys: BTreeMap<Vec<u8>, Option<ClientId>>,
    /// Clients tracking this prefix.
    clients: BTreeSet<ClientId>,
}

/// What one prefix has to broadcast.
pub struct Batch {
    /// Changed keys with their last writer.
    pub keys: Vec<(Vec<u8>, Option<ClientId>)>,
    /// Clients to tell.
    pub clients: Vec<ClientId>,
}

/// Every prefix some BCAST client tracks (Redis's `PrefixTable`).
#[derive(Default)]
pub struct PrefixTable {
    prefixes: BTreeMap<Vec<u8>, Prefix>,
}

impl PrefixTable {
    /// Number of prefixes tracked (INFO `tracking_total_prefixes`).
    pub fn len(&self) -> usize {
        self.prefixes.len()
    }

    /// True when no client is in BCAST mode.
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }

    /// Adds client `id` to `prefix`; false when it was already there.
    pub fn subscribe(&mut self, prefix: &[u8], id: ClientId) -> bool {
        self.prefixes
            .entry(prefix.to_vec())
            .or_default()
            .clients
            .insert(id)
    }

    /// Removes client `id` from `prefix`, dropping the prefix (and the
    /// changes waiting under it) when nobody tracks it any more.
    pub fn unsubscribe(&mut self, prefix: &[u8], id: ClientId) {
        if let Some(p) = self.prefixes.get_mut(prefix) {
            p.clients.remove(&id);
            if p.clients.is_empty() {
                self.prefixes.remove(prefix);
            }
        }
    }

    /// Notes that `key` changed (by `writer`) under every prefix it starts
    /// with. With few prefixes each is compared; with many, each prefix of
    /// the key is looked up instead.
    pub fn record(&mut self, key: &[u8], writer: Option<ClientId>) {
        let note = |p: &mut Prefix| {
            p.keys.insert(key.to_vec(), writer);
        };
        if self.prefixes.len() <= key.len() + 1 {
            for (prefix, p) in self.prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    note(p);
                }
            }
        } else {
            for end in 0..=key.len() {
                if let Some(p) = self.prefixes.get_mut(&key[..end]) {
                    note(p);
                }
            }
        }
    }

    /// Takes what each prefix has to broadcast, in prefix order, and starts
    /// collecting afresh.
    pub fn take_batches(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        for p in self.prefixes.values_mut() {
            if p.keys.is_empty() {
                continue;
            }
            out.push(Batch {
                keys: std::mem::take(&mut p.keys).into_iter().collect(),
                clients: p.clients.iter().copied().collect(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: &Batch) -> Vec<(&[u8], Option<ClientId>)> {
        b.keys.iter().map(|(k, w)| (k.as_slice(), *w)).collect()
    }

    #[test]
    fn changes_are_batched_per_prefix_with_their_last_writer() {
        let mut t = PrefixTable::default();
        assert!(t.subscribe(b"a:", 1));
        assert!(!t.subscribe(b"a:", 1));
        t.subscribe(b"", 2);
        t.record(b"a:1", Some(1));
        t.record(b"b", Some(1));
        t.record(b"a:1", None);
        let batches = t.take_batches();
        assert_eq!(batches.len(), 2);
        assert_eq!(
            keys(&batches[0]),
            vec![(&b"a:1"[..], None), (&b"b"[..], Some(1))]
        );
        assert_eq!(batches[0].clients, vec![2]);
        assert_eq!(keys(&batches[1]), vec![(&b"a:1"[..], None)]);
        assert_eq!(batches[1].clients, vec![1]);
        assert!(t.take_batches().is_empty(), "a broadcast starts afresh");
        t.unsubscribe(b"a:", 1);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn many_prefixes_are_looked_up_by_the_key_prefixes() {
        let mut t = PrefixTable::default();
        for p in [&b"x"[..], b"xy", b"xyz", b"q", b"r", b"s"] {
            t.subscribe(p, 1);
        }
        t.record(b"xy", None);
        let matched: usize = t.take_batches().iter().map(|b| b.keys.len()).sum();
        assert_eq!(matched, 2, "x and xy match, xyz does not");
    }
}
