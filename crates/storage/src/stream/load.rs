//! Rebuilding a stream's entries from untrusted blocks (RDB files,
//! RESTORE payloads), checked in full before the stream is used.
//!
//! The rest of this module reads blocks assuming their layout (see
//! [`super::block`]) and edits them in place, so a block is accepted only
//! when it is exactly what Redis or Lodestone could have written:
//!
//! - a valid listpack whose master entry is `count deleted num-fields
//!   field... 0` with non-negative counters, at least one entry (XDEL
//!   drops a block when its last live entry goes, but exact trimming can
//!   leave one whose entries are all deleted, in Redis as here);
//! - exactly `count + deleted` entries after it, each with flags 0 to 3
//!   stored as a one-byte listpack integer (a tombstone rewrites them in
//!   place and must not change their size), integer ID deltas, a
//!   non-negative field count, its fields and values, and the `lp-count`
//!   its shape implies (Redis's `streamValidateListpackIntegrity`);
//! - `count` live entries among them;
//! - every entry at or above the block's master ID.
//!
//! Across blocks, live entries must be in strictly increasing ID order,
//! below the next block's master ID and not above the stream's last ID,
//! and their number must be the stream's length. Tombstones are only
//! bound to their own block: after XSETID lowered the last ID (which
//! MAXDELETEDID allows), Redis and Lodestone append entries behind a
//! larger deleted one, so their order is not an invariant.

use std::collections::BTreeMap;

use super::block::{FLAG_DELETED, FLAG_SAME_FIELDS};
use super::{Stream, StreamId};
use crate::listpack::{Listpack, LpEntry};

/// What a checked block holds: how many live entries, the first and the
/// last of their IDs.
struct BlockSummary {
    live: u64,
    first_live: Option<StreamId>,
    last_live: Option<StreamId>,
}

/// A cursor over a block's elements by position (positions are what
/// the flags check needs: their encoded size).
struct Walk<'a> {
    lp: &'a Listpack,
    pos: Option<usize>,
}

impl<'a> Walk<'a> {
    /// The next element and its position; `None` past the end.
    fn next(&mut self) -> Option<(usize, LpEntry<'a>)> {
        let p = self.pos?;
        self.pos = self.lp.next(p);
        Some((p, self.lp.get(p)))
    }

    /// The next element as a structural integer (any element that reads
    /// as an i64, as Redis's `lpGetIntegerIfValid` accepts).
    fn int(&mut self) -> Option<i64> {
        self.next()?.1.as_int()
    }

    /// Skips `n` elements; `None` when the block ends first.
    fn skip(&mut self, n: i64) -> Option<()> {
        for _ in 0..n {
            self.next()?;
        }
        Some(())
    }
}

/// Size of a one-byte integer element with its backlen: how flags must be
/// stored so a tombstone can rewrite them in place.
const FLAGS_ENTRY_SIZE: usize = 2;

/// Checks one block with master ID `master_id` (see the module comment).
fn check_block(lp: &Listpack, master_id: StreamId) -> Option<BlockSummary> {
    let mut w = Walk {
        lp,
        pos: lp.first(),
    };
    let count = w.int()?;
    let deleted = w.int()?;
    let master_fields = w.int()?;
    if count < 0 || deleted < 0 || count.checked_add(deleted)? == 0 || master_fields < 0 {
        return None;
    }
    w.skip(master_fields)?;
    if w.int()? != 0 {
        return None;
    }
    let mut summary = BlockSummary {
        live: 0,
        first_live: None,
        last_live: None,
    };
    let known_flags = FLAG_DELETED | FLAG_SAME_FIELDS;
    for _ in 0..count.checked_add(deleted)? {
        let flags = match w.next()? {
            (p, LpEntry::Int(f))
                if f >= 0 && f & !known_flags == 0 && lp.entry_size(p) == FLAGS_ENTRY_SIZE =>
            {
                f
            }
            _ => return None,
        };
        let ms = w.int()?;
        let seq = w.int()?;
        let id = StreamId::new(
            master_id.ms.wrapping_add(ms as u64),
            master_id.seq.wrapping_add(seq as u64),
        );
        if id < master_id {
            return None;
        }
        let (fields, lp_count) = if flags & FLAG_SAME_FIELDS != 0 {
            (master_fields, master_fields.checked_add(3)?)
        } else {
            let n = w.int()?;
            if n < 0 {
                return None;
            }
            w.skip(n)?;
            (n, n.checked_mul(2)?.checked_add(4)?)
        };
        w.skip(fields)?;
        if w.int()? != lp_count {
            return None;
        }
        if flags & FLAG_DELETED == 0 {
            if summary.last_live.is_some_and(|last| id <= last) {
                return None;
            }
            summary.first_live.get_or_insert(id);
            summary.last_live = Some(id);
            summary.live += 1;
        }
    }
    if w.next().is_some() || summary.live != count as u64 {
        return None;
    }
    Some(summary)
}

impl Stream {
    /// A stream of the untrusted `blocks` (master ID → listpack bytes),
    /// with `length` live entries and last ID `last_id`, or `None` when
    /// they break any rule of the module comment. The other fields take
    /// what a stream saved without them gets (Redis's loader for the
    /// Redis 5/6 format): no deleted ID, `entries_added` equal to the
    /// length, the first live ID (`StreamId::MAX` when there is none);
    /// callers with the real values overwrite them.
    pub(crate) fn from_untrusted_blocks(
        blocks: BTreeMap<StreamId, Vec<u8>>,
        length: u64,
        last_id: StreamId,
    ) -> Option<Stream> {
        let mut checked = BTreeMap::new();
        let mut live = 0u64;
        let mut last_live: Option<StreamId> = None;
        let mut iter = blocks.into_iter().peekable();
        while let Some((master_id, bytes)) = iter.next() {
            let lp = Listpack::from_bytes(bytes)?;
            let summary = check_block(&lp, master_id)?;
            if let (Some(prev), Some(first)) = (last_live, summary.first_live) {
                if first <= prev {
                    return None;
                }
            }
            if let (Some((next_master, _)), Some(last)) = (iter.peek(), summary.last_live) {
                if last >= *next_master {
                    return None;
                }
            }
            last_live = summary.last_live.or(last_live);
            live = live.checked_add(summary.live)?;
            checked.insert(master_id, lp);
        }
        if live != length || last_live.is_some_and(|l| l > last_id) {
            return None;
        }
        let mut s = Stream {
            blocks: checked,
            length,
            last_id,
            entries_added: length,
            ..Stream::default()
        };
        s.first_id = s.first_live_id();
        Some(s)
    }
}
