//! Consumer groups: [`Group`], its consumers and its pending entries list
//! (PEL), kept as Redis keeps them.
//!
//! A pending entry ([`Nack`]) lives in the group's PEL and is referenced
//! by ID from its owner's PEL; the owner is named in the NACK. Both PELs
//! are ordered by ID, as Redis's radix trees are.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

/// `entries_read` value meaning "unknown" (Redis's
/// `SCG_INVALID_ENTRIES_READ`).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A delivered, not yet acknowledged entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    /// How many times the entry was delivered.
    pub delivery_count: u64,
    /// The consumer that owns it.
    pub consumer: Vec<u8>,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Unix ms of the last interaction (read, claim, ...).
    pub seen_time: i64,
    /// Unix ms of the last successful delivery or claim, -1 for never.
    pub active_time: i64,
    /// IDs of the entries it owns.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to the group.
    pub last_id: StreamId,
    /// The logical read counter of `last_id`, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    /// Pending entries of the whole group.
    pub pel: BTreeMap<StreamId, Nack>,
    /// Consumers by name (byte order, as Redis lists them).
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// A group starting after `last_id`.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Creates consumer `name` at time `now`; false if it exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time: now,
                active_time: -1,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// The consumer `name`, created at `now` if missing; the flag says
    /// whether it was created.
    pub fn consumer_or_create(&mut self, name: &[u8], now: i64) -> (&mut Consumer, bool) {
        let created = self.create_consumer(name, now);
        let c = self.consumers.entry(name.to_vec()).or_default();
        (c, created)
    }

    /// Deletes consumer `name` and its pending entries; returns how many
    /// it had, `None` when there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Acknowledges `id`: removes it from both PELs. False if not pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Records the delivery of `id` to `consumer` by XREADGROUP: a new
    /// NACK, or an existing one moved to `consumer` with its count reset
    /// to 1 (after XGROUP SETID, an entry may be delivered again).
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: i64) {
        let nack = Nack {
            delivery_time: now,
            delivery_count: 1,
            consumer: consumer.to_vec(),
        };
        if let Some(old) = self.pel.insert(id, nack) {
            if let Some(c) = self.consumers.get_mut(&old.consumer) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
            c.active_time = now;
        }
    }

    /// Moves the pending entry `id` to `consumer` (XCLAIM, XAUTOCLAIM),
    /// creating it when `create` (FORCE); sets its delivery time and
    /// count with `update`. False when `id` is not pending.
    pub fn transfer(
        &mut self,
        id: StreamId,
        consumer: &[u8],
        create: bool,
        update: impl FnOnce(&mut Nack),
    ) -> bool {
        let previous = match self.pel.get_mut(&id) {
            Some(nack) => {
                let prev = std::mem::replace(&mut nack.consumer, consumer.to_vec());
                update(nack);
                Some(prev)
            }
            None if create => {
                let mut nack = Nack {
                    delivery_time: 0,
                    delivery_count: 1,
                    consumer: consumer.to_vec(),
                };
                update(&mut nack);
                self.pel.insert(id, nack);
                None
            }
            None => return false,
        };
        if let Some(prev) = previous {
            if prev.as_slice() != consumer {
                if let Some(c) = self.consumers.get_mut(&prev) {
                    c.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
        true
    }

    /// Approximate heap bytes, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        let pel = self
            .pel
            .values()
            .map(|n| 48 + n.consumer.len())
            .sum::<usize>();
        let consumers = self
            .consumers
            .iter()
            .map(|(k, c)| 64 + k.len() + c.pel.len() * 24)
            .sum::<usize>();
        64 + pel + consumers
    }
}
