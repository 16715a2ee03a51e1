//! [`Stream`]: the stream data type, stored as Redis stores it.
//!
//! Entries live in blocks ([`block`]): listpacks of up to
//! `stream-node-max-entries` entries and `stream-node-max-bytes` bytes,
//! laid out byte for byte as Redis's, with IDs delta-encoded against the
//! block's master ID and field names shared with the master entry. The
//! blocks are indexed by master ID in an ordered map (Redis uses a radix
//! tree of the IDs in big-endian form, which orders them the same way).
//! Deletion leaves tombstones in the blocks; a block whose entries are all
//! deleted is dropped.
//!
//! Besides the entries a stream keeps its length, the last generated ID,
//! the first live ID, the largest deleted ID, how many entries were ever
//! added, and its consumer groups ([`group`]).

mod block;
pub mod group;
mod id;
mod load;
mod range;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Nack, INVALID_ENTRIES_READ};
pub use id::{IdText, StreamId};
pub use range::{Entry, Range};

use crate::listpack::Listpack;
use block::{append_entry, count_deleted, last_id, master, new_block, read_entry, tombstone};

/// Largest size of one block (Redis's `STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Bytes pre-allocated for a new block (`STREAM_LISTPACK_MAX_PRE_ALLOCATE`).
const MAX_PREALLOC: usize = 4096;

/// The block limits, copied from `stream-node-max-bytes` and
/// `stream-node-max-entries` (0 means no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// Most bytes in a block.
    pub node_max_bytes: usize,
    /// Most entries (live and deleted) in a block.
    pub node_max_entries: i64,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            node_max_bytes: 4096,
            node_max_entries: 100,
        }
    }
}

/// How to trim (XTRIM, XADD's MAXLEN/MINID).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimBy {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with smaller IDs.
    MinId(StreamId),
}

/// A stream value.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    blocks: BTreeMap<StreamId, Listpack>,
    length: u64,
    /// The ID of the last entry ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The ID of the first live entry, `0-0` when empty.
    pub first_id: StreamId,
    /// The largest ID ever deleted, `0-0` if none.
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Number of live entries.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether there are no live entries.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of blocks (XINFO's `radix-tree-keys`).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// How many nodes Redis's radix tree would have for this stream's
    /// block keys (XINFO's `radix-tree-nodes`): the keys are the 16-byte
    /// big-endian IDs, and the tree is counted in its compressed form (a
    /// chain without branches is one node; each branch target and each
    /// key is a node; the root always exists).
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.blocks.keys().map(|id| id.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_nodes(&keys, 0)
    }

    /// The blocks in ID order, as (master ID, listpack bytes): what RDB
    /// writes and DEBUG reads.
    pub fn blocks(&self) -> impl Iterator<Item = (StreamId, &[u8])> {
        self.blocks.iter().map(|(k, lp)| (*k, lp.as_bytes()))
    }

    /// The ID XADD would give a new entry: `requested` is an explicit ID
    /// and whether its sequence was given (`ms-*` leaves it to us); `None`
    /// generates one from `now_ms`. `None` back when the ID would not be
    /// above the last one (Redis's `EDOM`).
    pub fn next_id(&self, requested: Option<(StreamId, bool)>, now_ms: u64) -> Option<StreamId> {
        let last = self.last_id;
        let id = match requested {
            Some((id, true)) => id,
            Some((id, false)) => {
                if last.ms == id.ms {
                    if last.seq == u64::MAX {
                        return None;
                    }
                    StreamId::new(last.ms, last.seq + 1)
                } else {
                    id
                }
            }
            None if now_ms > last.ms => StreamId::new(now_ms, 0),
            None => last.next().unwrap_or(StreamId::MIN),
        };
        (id > last).then_some(id)
    }

    /// Appends an entry with `id` (above [`Self::last_id`]) and the
    /// field-value pairs `fields` (field, value, field, value, ...),
    /// opening a new block when the tail one is full.
    pub fn append(&mut self, id: StreamId, fields: &[&[u8]], limits: StreamLimits) {
        let max_bytes = match limits.node_max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        let data: usize = fields.iter().map(|f| f.len()).sum();
        // The tail block takes the entry unless it is full; its master
        // entry is read once, for the check and the append.
        if let Some(mut tail) = self.blocks.last_entry() {
            let master_id = *tail.key();
            let lp = tail.get_mut();
            let m = master(lp);
            let full = lp.bytes_len() + data >= max_bytes
                || (limits.node_max_entries > 0 && m.count + m.deleted >= limits.node_max_entries);
            if !full {
                append_entry(lp, &m, master_id, id, fields);
                self.appended(id);
                return;
            }
            lp.shrink_to_fit();
        }
        let prealloc = match limits.node_max_bytes {
            n if n > 0 && n < MAX_PREALLOC => n,
            _ => MAX_PREALLOC,
        };
        let mut lp = new_block(fields, prealloc);
        let m = master(&lp);
        append_entry(&mut lp, &m, id, id, fields);
        self.blocks.insert(id, lp);
        self.appended(id);
    }

    /// The bookkeeping after [`Self::append`] stored the entry `id`.
    fn appended(&mut self, id: StreamId) {
        self.length += 1;
        // Saturating: a count loaded from RDB may already be the largest.
        self.entries_added = self.entries_added.saturating_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// The live entries with IDs in `start..=end`, in order or reversed.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        Range::new(&self.blocks, start, end, rev)
    }

    /// The first live entry's ID (`StreamId::MAX` when empty, as Redis's
    /// `streamGetEdgeID` answers).
    pub fn first_live_id(&self) -> StreamId {
        self.range(StreamId::MIN, StreamId::MAX, false)
            .next()
            .map_or(StreamId::MAX, |e| e.id)
    }

    /// The last live entry's ID (`0-0` when empty).
    pub fn last_live_id(&self) -> StreamId {
        self.range(StreamId::MIN, StreamId::MAX, true)
            .next()
            .map_or(StreamId::MIN, |e| e.id)
    }

    /// The first ID in the stream, tombstones included (what a trimmed
    /// XADD/XTRIM is propagated with).
    pub fn first_id_with_tombstones(&self) -> StreamId {
        self.blocks
            .iter()
            .next()
            .and_then(|(k, lp)| {
                let m = master(lp);
                m.first_entry.map(|p| read_entry(lp, *k, &m, p).id)
            })
            .unwrap_or(StreamId::MAX)
    }

    /// Whether a live entry with `id` exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// Deletes the entry `id` (XDEL); false when there is no live entry
    /// with that ID. Updates the length; the caller updates first and
    /// max-deleted IDs as XDEL does.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, lp)) = self.blocks.range_mut(..=id).next_back() else {
            return false;
        };
        let m = master(lp);
        let mut pos = m.first_entry;
        let mut found = None;
        while let Some(p) = pos {
            let e = read_entry(lp, key, &m, p);
            // Only live entries are in ID order: a tombstone may be above
            // entries added after XSETID lowered the last ID.
            if !e.deleted() {
                if e.id > id {
                    break;
                }
                if e.id == id {
                    found = Some(p);
                    break;
                }
            }
            pos = e.next;
        }
        let Some(p) = found else {
            return false;
        };
        if m.count == 1 {
            self.blocks.remove(&key);
        } else {
            tombstone(lp, p);
            count_deleted(lp, 1);
        }
        self.length -= 1;
        true
    }

    /// Trims from the head (Redis's `streamTrim`): whole blocks while they
    /// can go, then, unless `approx`, entries inside the next block. At
    /// most `limit` entries go when `limit` is not 0. Returns how many
    /// entries were removed and updates the first ID.
    pub fn trim(&mut self, by: TrimBy, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some(mut first) = self.blocks.first_entry() {
            if let TrimBy::MaxLen(max) = by {
                if self.length <= max {
                    break;
                }
            }
            let key = *first.key();
            let lp = first.get_mut();
            let m = master(lp);
            let entries = m.count.max(0) as u64;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let remove = match by {
                TrimBy::MaxLen(max) => self.length - entries >= max,
                TrimBy::MinId(min) => last_id(lp, key).is_some_and(|last| last < min),
            };
            if remove {
                first.remove();
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut removed = 0;
            let mut pos = m.first_entry;
            while let Some(p) = pos {
                let e = read_entry(lp, key, &m, p);
                let stop = match by {
                    TrimBy::MaxLen(max) => self.length <= max,
                    TrimBy::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                pos = e.next;
                if !e.deleted() {
                    tombstone(lp, p);
                    removed += 1;
                    self.length -= 1;
                }
            }
            count_deleted(lp, removed);
            deleted += removed as u64;
            break;
        }
        self.first_id = if self.length == 0 {
            StreamId::MIN
        } else {
            self.first_live_id()
        };
        deleted
    }

    /// Whether a tombstone may lie between `start` and `end` (`None` for
    /// no upper bound): Redis's `streamRangeHasTombstones`, which looks
    /// only at the largest deleted ID.
    pub fn range_has_tombstones(&self, start: StreamId, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The logical read counter of `id` if it can be known (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`), else
    /// [`INVALID_ENTRIES_READ`].
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        let added = self.entries_added as i64;
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            // Counters loaded from RDB may be anything: wrap as Redis's C
            // does rather than overflow.
            if id < self.first_id {
                return added.wrapping_sub(self.length as i64);
            }
            if id == self.first_id {
                return added.wrapping_sub(self.length as i64).wrapping_add(1);
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag (entries not yet delivered), `None` when unknown
    /// (Redis's `streamReplyWithCGLag`).
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(g.last_id, None) {
            return Some((self.entries_added as i64).wrapping_sub(g.entries_read));
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| (self.entries_added as i64).wrapping_sub(read))
    }

    /// Advances a group's last-delivered ID to `id` (a read by XREADGROUP),
    /// keeping its read counter exact when it can.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) {
        if id <= g.last_id {
            return;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(id, None) {
            g.entries_read = g.entries_read.wrapping_add(1);
        } else if self.entries_added > 0 {
            g.entries_read = self.estimate_distance(id);
        }
        g.last_id = id;
    }

    /// How many allocations freeing this stream takes.
    pub fn free_effort(&self) -> usize {
        self.blocks.len()
            + self
                .groups
                .values()
                .map(|g| 1 + g.pel.len() + g.consumers.len())
                .sum::<usize>()
    }

    /// Approximate heap bytes owned by this stream.
    pub fn heap_size(&self) -> usize {
        let blocks: usize = self
            .blocks
            .values()
            .map(|lp| lp.allocated_bytes() + 56)
            .sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(k, g)| k.len() + g.heap_size())
            .sum();
        std::mem::size_of::<Stream>() + blocks + groups
    }
}

/// Nodes of the compressed radix tree below (and including) the node at
/// depth `depth` shared by the sorted, distinct `keys`.
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let first = keys[0][depth];
    if keys.iter().all(|k| k[depth] == first) {
        // One child: a compressed node down to where keys diverge.
        let mut d = depth + 1;
        while d < 16 && keys.iter().all(|k| k[d] == keys[0][d]) {
            d += 1;
        }
        return 1 + rax_nodes(keys, d);
    }
    let mut total = 1;
    let mut start = 0;
    while start < keys.len() {
        let b = keys[start][depth];
        let end = start + keys[start..].iter().take_while(|k| k[depth] == b).count();
        total += rax_nodes(&keys[start..end], depth + 1);
        start = end;
    }
    total
}

#[cfg(test)]
mod tests;
