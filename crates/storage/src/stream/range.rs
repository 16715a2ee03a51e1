//! [`Range`]: iteration over the live entries of a stream between two IDs,
//! forwards or backwards (Redis's `streamIterator`), skipping tombstones.

use std::collections::btree_map;

use super::block::{for_each_field, master, prev_entry, read_entry, Master, RawEntry};
use super::StreamId;
use crate::listpack::{Listpack, LpEntry};

/// One live entry, borrowed from its block.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    /// The entry's ID.
    pub id: StreamId,
    lp: &'a Listpack,
    master: Master,
    raw: RawEntry,
}

impl<'a> Entry<'a> {
    /// Number of field-value pairs.
    pub fn num_fields(&self) -> usize {
        self.raw.num_fields
    }

    /// Calls `f` with each field-value pair, in order.
    pub fn for_each_field(&self, f: impl FnMut(LpEntry<'a>, LpEntry<'a>)) {
        for_each_field(self.lp, &self.master, &self.raw, f);
    }
}

/// The block being walked: its master ID, listpack, master entry and the
/// flags position of the next entry to read.
struct Cursor<'a> {
    master_id: StreamId,
    lp: &'a Listpack,
    master: Master,
    pos: Option<usize>,
}

/// Iterator over the live entries with `start <= id <= end`.
pub struct Range<'a> {
    blocks: btree_map::Range<'a, StreamId, Listpack>,
    cur: Option<Cursor<'a>>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    done: bool,
}

impl<'a> Range<'a> {
    /// Iterates `blocks` (the stream's index) between `start` and `end`.
    pub(crate) fn new(
        blocks: &'a std::collections::BTreeMap<StreamId, Listpack>,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Range<'a> {
        let done = start > end;
        let iter = if rev {
            blocks.range(..=end)
        } else {
            // The block holding `start` is the last one whose master ID is
            // not above it.
            let from = blocks
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::MIN);
            blocks.range(from..)
        };
        Range {
            blocks: iter,
            cur: None,
            start,
            end,
            rev,
            done,
        }
    }

    fn next_block(&mut self) -> Option<Cursor<'a>> {
        let (k, lp) = if self.rev {
            self.blocks.next_back()?
        } else {
            self.blocks.next()?
        };
        let m = master(lp);
        let pos = if self.rev {
            prev_entry(lp, lp.bytes_len() - 1)
        } else {
            m.first_entry
        };
        Some(Cursor {
            master_id: *k,
            lp,
            master: m,
            pos,
        })
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        while !self.done {
            if self.cur.is_none() {
                self.cur = self.next_block();
                if self.cur.is_none() {
                    self.done = true;
                    return None;
                }
            }
            let cur = self.cur.as_mut()?;
            let Some(pos) = cur.pos else {
                self.cur = None;
                continue;
            };
            let e = read_entry(cur.lp, cur.master_id, &cur.master, pos);
            cur.pos = if self.rev {
                prev_entry(cur.lp, pos)
            } else {
                e.next
            };
            if e.deleted() {
                continue;
            }
            let (before, after) = (e.id < self.start, e.id > self.end);
            if (self.rev && before) || (!self.rev && after) {
                self.done = true;
                return None;
            }
            if before || after {
                continue;
            }
            return Some(Entry {
                id: e.id,
                lp: cur.lp,
                master: cur.master,
                raw: e,
            });
        }
        None
    }
}
