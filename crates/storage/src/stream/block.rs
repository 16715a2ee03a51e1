//! One block of a stream: a listpack laid out exactly as Redis lays out the
//! listpacks of its stream radix tree (so RDB can embed them verbatim).
//!
//! ```text
//! master entry: count deleted num-fields field_1 ... field_N 0
//! each entry:   flags ms-delta seq-delta [num-fields] [field] value ... lp-count
//! ```
//!
//! `count` and `deleted` are the live and tombstoned entries of the block.
//! IDs are deltas against the block's master ID (its key in the index).
//! An entry whose field names equal the master's has the SAMEFIELDS flag
//! and stores only its values. `lp-count` is how many listpack elements
//! precede it in the entry, so the block can be walked backwards; the
//! master entry's terminating 0 plays that role for the master entry.

use super::StreamId;
use crate::listpack::{Listpack, LpEntry};

/// Entry flag: the entry was deleted (a tombstone).
pub(crate) const FLAG_DELETED: i64 = 1;
/// Entry flag: the entry's field names are the master entry's.
pub(crate) const FLAG_SAME_FIELDS: i64 = 2;

/// The integer at `pos`; blocks hold integers where this is called.
pub(crate) fn int_at(lp: &Listpack, pos: usize) -> i64 {
    lp.get(pos).as_int().unwrap_or(0)
}

/// The parsed master entry of a block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Master {
    /// Live entries in the block.
    pub count: i64,
    /// Tombstones in the block.
    pub deleted: i64,
    /// Number of master field names.
    pub num_fields: usize,
    /// Position of the first master field name (meaningless when none).
    pub fields_pos: usize,
    /// Position of the first entry's flags, `None` for a block with no
    /// entries (never kept in a stream).
    pub first_entry: Option<usize>,
}

/// Reads the master entry of `lp`.
pub(crate) fn master(lp: &Listpack) -> Master {
    let p_count = lp.first().unwrap_or(0);
    let count = int_at(lp, p_count);
    let p_deleted = lp.next(p_count).unwrap_or(0);
    let deleted = int_at(lp, p_deleted);
    let p_num = lp.next(p_deleted).unwrap_or(0);
    let num_fields = int_at(lp, p_num).max(0) as usize;
    let mut p = lp.next(p_num).unwrap_or(0);
    let fields_pos = p;
    for _ in 0..num_fields {
        p = lp.next(p).unwrap_or(0);
    }
    // `p` is the master terminator.
    Master {
        count,
        deleted,
        num_fields,
        fields_pos,
        first_entry: lp.next(p),
    }
}

/// One entry of a block, as parsed from its flags position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawEntry {
    /// The flags.
    pub flags: i64,
    /// The full ID.
    pub id: StreamId,
    /// Number of field-value pairs.
    pub num_fields: usize,
    /// Position of the first field name (or first value with SAMEFIELDS).
    pub data_pos: Option<usize>,
    /// Position of the next entry's flags, `None` after the last.
    pub next: Option<usize>,
}

impl RawEntry {
    /// True for a tombstone.
    pub fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    /// True when only values are stored (names are the master's).
    pub fn same_fields(&self) -> bool {
        self.flags & FLAG_SAME_FIELDS != 0
    }
}

/// Parses the entry whose flags are at `pos`.
pub(crate) fn read_entry(lp: &Listpack, master_id: StreamId, m: &Master, pos: usize) -> RawEntry {
    let flags = int_at(lp, pos);
    let p_ms = lp.next(pos).unwrap_or(pos);
    let p_seq = lp.next(p_ms).unwrap_or(p_ms);
    let id = StreamId::new(
        master_id.ms.wrapping_add(int_at(lp, p_ms) as u64),
        master_id.seq.wrapping_add(int_at(lp, p_seq) as u64),
    );
    let (num_fields, data_pos, elements) = if flags & FLAG_SAME_FIELDS != 0 {
        (m.num_fields, lp.next(p_seq), m.num_fields)
    } else {
        let p_num = lp.next(p_seq).unwrap_or(p_seq);
        let n = int_at(lp, p_num).max(0) as usize;
        (n, lp.next(p_num), 2 * n)
    };
    // Walk over the data to the lp-count, then past it.
    let mut p = lp.next(p_seq).unwrap_or(p_seq);
    if flags & FLAG_SAME_FIELDS == 0 {
        p = lp.next(p).unwrap_or(p);
    }
    for _ in 0..elements {
        p = lp.next(p).unwrap_or(p);
    }
    RawEntry {
        flags,
        id,
        num_fields,
        data_pos: if num_fields > 0 { data_pos } else { None },
        next: lp.next(p),
    }
}

/// Position of the flags of the entry before the one whose flags are at
/// `pos` (or of the last entry when `pos` is the terminator position,
/// `lp.bytes_len() - 1`); `None` when the master entry comes first.
pub(crate) fn prev_entry(lp: &Listpack, pos: usize) -> Option<usize> {
    let lp_count_pos = lp.prev(pos)?;
    let back = int_at(lp, lp_count_pos);
    if back <= 0 {
        return None;
    }
    let mut p = lp_count_pos;
    for _ in 0..back {
        p = lp.prev(p)?;
    }
    Some(p)
}

/// The ID of the last entry of the block, tombstones included (Redis's
/// `lpGetEdgeStreamID` for the last edge).
pub(crate) fn last_id(lp: &Listpack, master_id: StreamId) -> Option<StreamId> {
    let pos = prev_entry(lp, lp.bytes_len() - 1)?;
    let m = master(lp);
    Some(read_entry(lp, master_id, &m, pos).id)
}

/// Calls `f` with each field-value pair of `e`.
pub(crate) fn for_each_field<'a>(
    lp: &'a Listpack,
    m: &Master,
    e: &RawEntry,
    mut f: impl FnMut(LpEntry<'a>, LpEntry<'a>),
) {
    let Some(mut p) = e.data_pos else {
        return;
    };
    if e.same_fields() {
        let mut fp = m.fields_pos;
        for i in 0..e.num_fields {
            f(lp.get(fp), lp.get(p));
            if i + 1 < e.num_fields {
                fp = lp.next(fp).unwrap_or(fp);
                p = lp.next(p).unwrap_or(p);
            }
        }
    } else {
        for i in 0..e.num_fields {
            let vp = lp.next(p).unwrap_or(p);
            f(lp.get(p), lp.get(vp));
            if i + 1 < e.num_fields {
                p = lp.next(vp).unwrap_or(vp);
            }
        }
    }
}

/// A new block whose master entry takes the field names of `fields`
/// (field, value, field, value, ...), pre-allocating `prealloc` bytes as
/// Redis does so appends do not reallocate until the block is closed.
pub(crate) fn new_block(fields: &[&[u8]], prealloc: usize) -> Listpack {
    let mut lp = Listpack::with_capacity(prealloc);
    let n = fields.len() / 2;
    lp.append_int(0);
    lp.append_int(0);
    lp.append_int(n as i64);
    for pair in fields.chunks_exact(2) {
        lp.append(pair[0]);
    }
    lp.append_int(0);
    lp
}

/// Whether the field names of `fields` are exactly the master's.
pub(crate) fn same_fields_as_master(lp: &Listpack, m: &Master, fields: &[&[u8]]) -> bool {
    if fields.len() / 2 != m.num_fields {
        return false;
    }
    let mut p = m.fields_pos;
    for (i, pair) in fields.chunks_exact(2).enumerate() {
        if !lp.get(p).eq_bytes(pair[0]) {
            return false;
        }
        if i + 1 < m.num_fields {
            p = lp.next(p).unwrap_or(p);
        }
    }
    true
}

/// Appends an entry with `id` to a block whose master ID is `master_id`
/// and whose master entry `m` was just read, and bumps the live count.
pub(crate) fn append_entry(
    lp: &mut Listpack,
    m: &Master,
    master_id: StreamId,
    id: StreamId,
    fields: &[&[u8]],
) {
    let same = same_fields_as_master(lp, m, fields);
    if let Some(p) = lp.first() {
        lp.replace_int(p, m.count + 1);
    }
    let n = fields.len() / 2;
    let flags = if same { FLAG_SAME_FIELDS } else { 0 };
    let head = [
        flags,
        id.ms.wrapping_sub(master_id.ms) as i64,
        id.seq.wrapping_sub(master_id.seq) as i64,
    ];
    let num_fields = (!same).then_some(LpEntry::Int(n as i64));
    let data = fields.chunks_exact(2).flat_map(move |pair| {
        let name = (!same).then_some(LpEntry::Str(pair[0]));
        name.into_iter()
            .chain(std::iter::once(LpEntry::Str(pair[1])))
    });
    let lp_count = if same { n + 3 } else { 2 * n + 4 };
    lp.append_entries(
        head.into_iter()
            .map(LpEntry::Int)
            .chain(num_fields)
            .chain(data)
            .chain(std::iter::once(LpEntry::Int(lp_count as i64))),
    );
}

/// Marks the entry whose flags are at `flags_pos` deleted. Flags stay one
/// byte, so no position in the block moves; the caller then moves the
/// master's counters with [`count_deleted`].
pub(crate) fn tombstone(lp: &mut Listpack, flags_pos: usize) {
    let flags = int_at(lp, flags_pos);
    lp.replace_int(flags_pos, flags | FLAG_DELETED);
}

/// Moves `n` entries of the block from live to deleted in the master.
pub(crate) fn count_deleted(lp: &mut Listpack, n: i64) {
    let m = master(lp);
    if let Some(p) = lp.first() {
        lp.replace_int(p, m.count - n);
        if let Some(p) = lp.next(p) {
            lp.replace_int(p, m.deleted + n);
        }
    }
}
