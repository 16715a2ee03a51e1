//! [`Listpack`]: Redis 7.2's compact list-of-strings encoding, byte for byte.
//!
//! Small lists, hashes, sets and sorted sets live in one contiguous buffer
//! instead of one allocation per element; that is most of why Redis is small
//! on small collections. The RDB format embeds these buffers verbatim
//! (`RDB_TYPE_*_LISTPACK`, quicklist nodes), so the layout must be exactly
//! Redis's:
//!
//! ```text
//! <total-bytes u32 LE> <num-elements u16 LE> <entry> ... <entry> <0xFF>
//! ```
//!
//! where `num-elements` is 65535 when the count does not fit, and each entry
//! is `<encoding+data><backlen>` as described in [`encoding`]. Strings that
//! are canonical integers are stored as integers, as Redis does.
//!
//! Positions (`usize`) are byte offsets of entries inside the buffer, so
//! callers can walk ([`Listpack::first`], [`Listpack::next`], ...) and edit
//! in place like Redis's `unsigned char *p` cursors. A position is valid
//! until the next edit; edits that keep a cursor meaningful return the new
//! one. Passing a position that no navigation call returned is a bug in the
//! caller and may panic.

mod encoding;
mod entry;
#[cfg(test)]
pub(crate) mod oracle;
#[cfg(test)]
mod oracle_tests;
mod sample;
#[cfg(test)]
mod tests;
mod validate;
mod view;

use std::fmt;

use encoding::{backlen_size, decode_backlen, read, Prepared, EOF, HDR_SIZE, NUMELE_UNKNOWN};

pub use entry::LpEntry;
pub use validate::validate;
pub use view::ListpackRef;

/// A listpack: a serialized sequence of strings and integers.
///
/// Keeps the exact element count beside the buffer so length queries never
/// walk, even past the 65535 the header can hold.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl Listpack {
    /// Largest size a listpack may grow to (Redis's
    /// `LISTPACK_MAX_SAFETY_SIZE`, 1 GiB): past it Redis converts to the
    /// big encoding, and the u32 size field stays far from overflow.
    pub const MAX_SAFETY_SIZE: usize = 1 << 30;

    /// An empty listpack: the 6-byte header and the terminator.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(HDR_SIZE + 1);
        buf.extend_from_slice(&[(HDR_SIZE + 1) as u8, 0, 0, 0, 0, 0, EOF]);
        Listpack { buf, count: 0 }
    }

    /// An empty listpack whose buffer has room for `bytes` bytes, so
    /// appends up to that size never reallocate (Redis's `lpNew(capacity)`,
    /// which stream blocks use to pre-allocate 4 KB).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut lp = Listpack::new();
        lp.buf.reserve_exact(bytes.saturating_sub(HDR_SIZE + 1));
        lp
    }

    /// Adopts listpack bytes from an untrusted source (RDB, RESTORE) after
    /// full validation (see [`validate`]); `None` when they are malformed.
    /// Never panics or reads outside `bytes`.
    ///
    /// A header count of 65535 ("unknown") over fewer elements is rewritten
    /// to the real count, as Redis's `lpLength` does on first use.
    pub fn from_bytes(mut bytes: Vec<u8>) -> Option<Listpack> {
        let count = validate(&bytes)?;
        let header = count.min(NUMELE_UNKNOWN as usize) as u16;
        bytes[4..6].copy_from_slice(&header.to_le_bytes());
        Some(Listpack { buf: bytes, count })
    }

    /// Adopts bytes taken from [`Self::into_bytes`] of a listpack this
    /// process built, without validating them again (a collection that
    /// stores its listpack as bare bytes rebuilds the `Listpack` to edit
    /// it). Untrusted bytes go through [`Self::from_bytes`].
    pub(crate) fn from_trusted(buf: Vec<u8>) -> Listpack {
        let count = ListpackRef::new(&buf).len();
        Listpack { buf, count }
    }

    /// Read-only view of this listpack (see [`ListpackRef`]).
    pub fn view(&self) -> ListpackRef<'_> {
        ListpackRef::with_count(&self.buf, self.count)
    }

    /// Adopts bytes that [`Listpack::into_bytes`] produced, without
    /// validating them again: for owners that keep a listpack in a smaller
    /// form between edits (a list value holds a bare boxed slice, as small
    /// as Redis's pointer) and cannot pay a full walk per edit. The count
    /// comes from the header, or from a walk when the header says
    /// "unknown". Bytes of any other origin must go through
    /// [`Listpack::from_bytes`]: malformed bytes here make later calls panic.
    pub fn from_trusted_bytes(bytes: Vec<u8>) -> Listpack {
        debug_assert!(
            bytes.len() > HDR_SIZE && bytes.last() == Some(&EOF),
            "listpack bytes without header or terminator"
        );
        let header = u16::from_le_bytes([bytes[4], bytes[5]]);
        let mut lp = Listpack {
            buf: bytes,
            count: header as usize,
        };
        if header == NUMELE_UNKNOWN {
            let mut count = 0;
            let mut pos = lp.first();
            while let Some(p) = pos {
                count += 1;
                pos = lp.next(p);
            }
            lp.count = count;
        }
        lp
    }

    /// The serialized form, exactly as Redis stores it in RDB files.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The serialized form, without copying.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Serialized size in bytes (Redis's `lpBytes`): what encoding
    /// conversion thresholds (e.g. `list-max-listpack-size` in bytes) and
    /// [`Self::safe_to_add`] measure.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated for the buffer, for memory accounting.
    pub fn allocated_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Whether `add` more bytes keep the listpack within
    /// [`Self::MAX_SAFETY_SIZE`] (Redis's `lpSafeToAdd`). Callers check this
    /// before inserting client data; edits panic past 4 GiB.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len().saturating_add(add) <= Self::MAX_SAFETY_SIZE
    }

    /// Bytes an element would occupy once inserted (encoding, data and
    /// backlen), for size checks before an insertion.
    pub fn entry_len_for(ele: &[u8]) -> usize {
        Prepared::from_bytes(ele).total()
    }

    /// Releases spare capacity (Redis's `lpShrinkToFit`).
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    // ----- navigation -------------------------------------------------

    /// Position of the first element, `None` when empty.
    pub fn first(&self) -> Option<usize> {
        self.view().first()
    }

    /// Position of the last element, `None` when empty. Constant time: it
    /// reads the last entry's backlen.
    pub fn last(&self) -> Option<usize> {
        self.view().last()
    }

    /// Position of the element after `pos`, `None` at the end.
    pub fn next(&self, pos: usize) -> Option<usize> {
        self.view().next(pos)
    }

    /// Position of the element before `pos` (which may also be the
    /// terminator's position, `bytes_len() - 1`), `None` at the start.
    pub fn prev(&self, pos: usize) -> Option<usize> {
        prev_in(&self.buf, pos)
    }

    /// Position of the element at `index`, negative counting from the end
    /// (-1 is the last), like `lpSeek`; `None` out of range. Walks from
    /// whichever end is nearer.
    pub fn seek(&self, index: i64) -> Option<usize> {
        self.view().seek(index)
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> LpEntry<'_> {
        self.view().get(pos)
    }

    /// Size in bytes of the whole entry at `pos`, backlen included.
    pub fn entry_size(&self, pos: usize) -> usize {
        self.view().entry_size(pos)
    }

    /// Iterates over the elements, from either end.
    pub fn iter(&self) -> Iter<'_> {
        self.view().iter()
    }

    /// Searches from `start` for an element equal to `value`, comparing
    /// one element and then skipping `skip` (Redis's `lpFind`): a hash
    /// passes `skip = 1` from the first field so values are never matched.
    /// Integer elements match `value` by parsing it once, not by formatting
    /// each integer.
    pub fn find(&self, start: usize, value: &[u8], skip: usize) -> Option<usize> {
        self.view().find(start, value, skip)
    }

    // ----- edits ------------------------------------------------------

    /// Appends an element at the tail. Panics if the listpack would
    /// exceed 4 GiB (see [`Self::safe_to_add`]).
    pub fn append(&mut self, ele: &[u8]) {
        self.insert_at(self.buf.len() - 1, &Prepared::from_bytes(ele));
    }

    /// Appends an integer element at the tail.
    pub fn append_int(&mut self, v: i64) {
        self.insert_at(self.buf.len() - 1, &Prepared::from_int(v));
    }

    /// Appends several elements with one buffer resize (e.g. a hash's
    /// field and value).
    pub fn append_batch(&mut self, eles: &[&[u8]]) {
        // Preparing twice is cheaper than collecting the prepared entries.
        let total: usize = eles.iter().map(|e| Prepared::from_bytes(e).total()).sum();
        let mut at = self.buf.len() - 1;
        self.open_gap(at, 0, total);
        for e in eles {
            let p = Prepared::from_bytes(e);
            p.write(&mut self.buf[at..at + p.total()]);
            at += p.total();
        }
        self.set_count(self.count + eles.len());
    }

    /// Appends elements in order, integers and strings mixed, moving the
    /// terminator and rewriting the header once for all of them (a stream
    /// entry is five or more elements). Small elements are gathered on the
    /// stack and copied in one go. Capacity grows exactly as with one
    /// [`Self::append`] per element.
    pub fn append_entries<'e>(&mut self, eles: impl IntoIterator<Item = LpEntry<'e>>) {
        const STAGE: usize = 256;
        let mut stage = [0u8; STAGE + Prepared::STAGE_SLACK];
        let mut staged = 0;
        let eof = self.buf.pop();
        debug_assert_eq!(eof, Some(EOF), "listpack without terminator");
        let mut added = 0;
        for e in eles {
            let p = match e {
                LpEntry::Int(v) => Prepared::from_int(v),
                LpEntry::Str(s) => Prepared::from_bytes(s),
            };
            // The size with the terminator, as one append would see it.
            let (old, size) = (self.buf.len() + staged + 1, p.total());
            if old + size > self.buf.capacity() {
                self.buf.reserve_exact(staged + size.max(old / 8) + 1);
            }
            if size > Prepared::STAGE_MAX || staged + size > STAGE {
                self.buf.extend_from_slice(&stage[..staged]);
                staged = 0;
            }
            if size > Prepared::STAGE_MAX {
                p.append_to(&mut self.buf);
            } else {
                staged += p.stage(&mut stage, staged);
            }
            added += 1;
        }
        self.buf.extend_from_slice(&stage[..staged]);
        self.buf.push(EOF);
        let total =
            u32::try_from(self.buf.len()).expect("listpack over 4 GiB; callers check safe_to_add");
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.set_count(self.count + added);
    }

    /// Inserts an element at the head (moves the whole buffer, like Redis).
    pub fn prepend(&mut self, ele: &[u8]) {
        self.insert_at(HDR_SIZE, &Prepared::from_bytes(ele));
    }

    /// Inserts an integer element at the head.
    pub fn prepend_int(&mut self, v: i64) {
        self.insert_at(HDR_SIZE, &Prepared::from_int(v));
    }

    /// Inserts an element before the one at `pos`; returns the new
    /// element's position (which is `pos`).
    pub fn insert_before(&mut self, pos: usize, ele: &[u8]) -> usize {
        self.debug_check(pos);
        self.insert_at(pos, &Prepared::from_bytes(ele));
        pos
    }

    /// Inserts an element after the one at `pos`; returns the new
    /// element's position.
    pub fn insert_after(&mut self, pos: usize, ele: &[u8]) -> usize {
        let at = pos + self.entry_size(pos);
        self.insert_at(at, &Prepared::from_bytes(ele));
        at
    }

    /// Replaces the element at `pos`, which stays the element's position.
    pub fn replace(&mut self, pos: usize, ele: &[u8]) {
        self.replace_with(pos, &Prepared::from_bytes(ele));
    }

    /// Replaces the element at `pos` with an integer (HINCRBY's update).
    pub fn replace_int(&mut self, pos: usize, v: i64) {
        self.replace_with(pos, &Prepared::from_int(v));
    }

    /// Removes the element at `pos`; returns the position of the element
    /// that followed it, `None` if it was the last.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let size = self.entry_size(pos);
        self.open_gap(pos, size, 0);
        self.set_count(self.count - 1);
        self.maybe_shrink();
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// Removes up to `count` elements starting at `pos` (fewer if the end
    /// comes first, `lpDeleteRangeWithEntry`); returns the position of the
    /// element after the removed run, `None` if none is left after it.
    pub fn delete_range_at(&mut self, pos: usize, count: usize) -> Option<usize> {
        self.debug_check(pos);
        let mut end = pos;
        let mut removed = 0;
        while removed < count && self.buf[end] != EOF {
            end += self.entry_size(end);
            removed += 1;
        }
        self.open_gap(pos, end - pos, 0);
        self.set_count(self.count - removed);
        self.maybe_shrink();
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// Removes up to `count` elements starting at `index` (negative from
    /// the end, like `lpDeleteRange`); returns how many were removed.
    /// Removing through the end only moves the terminator.
    pub fn delete_range(&mut self, index: i64, count: usize) -> usize {
        if count == 0 {
            return 0;
        }
        let Some(pos) = self.seek(index) else {
            return 0;
        };
        let idx = self.normalize_index(index).unwrap_or(0);
        let before = self.count;
        if before - idx <= count {
            self.buf.truncate(pos);
            self.buf.push(EOF);
            let total = self.buf.len() as u32;
            self.buf[0..4].copy_from_slice(&total.to_le_bytes());
            self.set_count(idx);
            self.maybe_shrink();
        } else {
            self.delete_range_at(pos, count);
        }
        before - self.count
    }

    /// Removes the elements at `positions`, which must be distinct and in
    /// ascending order, compacting the buffer in one pass
    /// (`lpBatchDelete`, used by SREM/SPOP on listpack sets).
    pub fn batch_delete(&mut self, positions: &[usize]) {
        let Some(&first) = positions.first() else {
            return;
        };
        let mut dst = first;
        for (i, &skip) in positions.iter().enumerate() {
            let keep_start = skip + self.entry_size(skip);
            let keep_end = positions.get(i + 1).copied().unwrap_or(self.buf.len());
            assert!(
                keep_end >= keep_start,
                "batch_delete positions out of order"
            );
            self.buf.copy_within(keep_start..keep_end, dst);
            dst += keep_end - keep_start;
        }
        self.buf.truncate(dst);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.set_count(self.count - positions.len());
        self.maybe_shrink();
    }

    /// Concatenates two listpacks (`lpMerge`, for joining quicklist nodes),
    /// growing whichever buffer is larger so the smaller one is the copy.
    pub fn merge(first: Listpack, second: Listpack) -> Listpack {
        let (mut target, source, append) = if first.buf.len() >= second.buf.len() {
            (first, second, true)
        } else {
            (second, first, false)
        };
        let entries = &source.buf[HDR_SIZE..source.buf.len() - 1];
        let at = if append {
            target.buf.len() - 1
        } else {
            HDR_SIZE
        };
        target.open_gap(at, 0, entries.len());
        target.buf[at..at + entries.len()].copy_from_slice(entries);
        target.set_count(target.count + source.count);
        target
    }

    // ----- internals --------------------------------------------------

    /// Maps a possibly negative index to a forward one, if in range.
    fn normalize_index(&self, index: i64) -> Option<usize> {
        let idx = if index < 0 {
            (self.count as i64).checked_add(index)?
        } else {
            index
        };
        usize::try_from(idx).ok().filter(|&i| i < self.count)
    }

    fn insert_at(&mut self, at: usize, entry: &Prepared<'_>) {
        let size = entry.total();
        self.open_gap(at, 0, size);
        entry.write(&mut self.buf[at..at + size]);
        self.set_count(self.count + 1);
    }

    fn replace_with(&mut self, pos: usize, entry: &Prepared<'_>) {
        let old = self.entry_size(pos);
        let size = entry.total();
        if size == old {
            // Same size (a counter that keeps its width): nothing moves.
            entry.write(&mut self.buf[pos..pos + size]);
            return;
        }
        self.open_gap(pos, old, size);
        entry.write(&mut self.buf[pos..pos + size]);
        if size < old {
            self.maybe_shrink();
        }
    }

    /// Replaces `remove` bytes at `at` with `insert` bytes of room (content
    /// unspecified), moving the tail once, and updates the size header.
    ///
    /// Growth reserves an eighth more rather than doubling: Redis reallocs
    /// to the exact size on every insert and lets jemalloc's size classes
    /// (about 12-25% apart) absorb it, so doubling would make small
    /// collections use up to twice Redis's memory. An eighth keeps us within
    /// about one size class of Redis while appends stay amortized O(1).
    fn open_gap(&mut self, at: usize, remove: usize, insert: usize) {
        let old = self.buf.len();
        let new = old - remove + insert;
        let total = u32::try_from(new).expect("listpack over 4 GiB; callers check safe_to_add");
        if insert > remove {
            if new > self.buf.capacity() {
                self.buf.reserve_exact((insert - remove).max(old / 8));
            }
            self.buf.resize(new, 0);
        }
        if insert != remove {
            self.buf.copy_within(at + remove..old, at + insert);
        }
        self.buf.truncate(new);
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
    }

    /// Records the element count, in the header too when it fits.
    fn set_count(&mut self, count: usize) {
        self.count = count;
        let header = count.min(NUMELE_UNKNOWN as usize) as u16;
        self.buf[4..6].copy_from_slice(&header.to_le_bytes());
    }

    /// Gives memory back after deletions once a fifth of the allocation is
    /// unused, like Redis's realloc-on-shrink but amortized (a shrink needs
    /// more deletions than the eighth a growth adds, so they cannot thrash).
    fn maybe_shrink(&mut self) {
        let len = self.buf.len();
        if self.buf.capacity() > len + len / 4 + 64 {
            self.buf.shrink_to_fit();
        }
    }

    fn debug_check(&self, pos: usize) {
        debug_assert!(
            pos >= HDR_SIZE && pos < self.buf.len() - 1,
            "listpack position {pos} outside the entries"
        );
    }
}

/// The entry before `pos` in a valid listpack buffer, read through the
/// backlen that ends just before `pos`.
fn prev_in(buf: &[u8], pos: usize) -> Option<usize> {
    if pos <= HDR_SIZE {
        return None;
    }
    let (len, back) = decode_backlen(buf, pos - 1, HDR_SIZE)?;
    Some(pos - back - len)
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Listpack {
    type Item = LpEntry<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a listpack's elements, double-ended: backward steps read
/// backlens instead of rescanning.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let (entry, encoded) = read(&self.buf[self.front..]);
        self.front += encoded + backlen_size(encoded);
        self.remaining -= 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (entry, _) = read(&self.buf[self.back..]);
        self.remaining -= 1;
        if self.remaining > 0 {
            self.back = prev_in(self.buf, self.back).unwrap_or(HDR_SIZE);
        }
        Some(entry)
    }
}

impl ExactSizeIterator for Iter<'_> {}
