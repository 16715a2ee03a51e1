//! [`ListpackRef`]: read-only navigation over listpack bytes held elsewhere.
//!
//! A [`super::Listpack`] is a `Vec` plus an element count: 32 bytes. A
//! collection that wants its small encoding to fit inside the 24-byte
//! `Value` (and so cost no allocation beyond the listpack itself, like
//! Redis's `robj->ptr`) keeps the bytes as an exactly-sized `Box<[u8]>`
//! instead, and reads them through this view. `Listpack`'s own read
//! methods delegate here, so there is one implementation of navigation.
//!
//! Positions are byte offsets, as for `Listpack`; the returned entries
//! borrow the underlying bytes, not the view.

use super::encoding::{backlen_size, encoded_size, read, EOF, HDR_SIZE, NUMELE_UNKNOWN};
use super::{prev_in, Iter, LpEntry};
use lodestone_protocol::num::parse_i64;

/// Borrowed listpack bytes with their element count.
#[derive(Clone, Copy)]
pub struct ListpackRef<'a> {
    buf: &'a [u8],
    count: usize,
}

impl<'a> ListpackRef<'a> {
    /// Views the bytes of a valid listpack that this process wrote (taken
    /// from [`super::Listpack::into_bytes`]). The count comes from the
    /// header, or from a walk when the header says "unknown" (65535 or
    /// more elements), as Redis's `lpLength` does. Not for untrusted bytes:
    /// those go through [`super::Listpack::from_bytes`].
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        let header = u16::from_le_bytes([buf[4], buf[5]]);
        let mut view = ListpackRef {
            buf,
            count: header as usize,
        };
        if header == NUMELE_UNKNOWN {
            let mut n = 0;
            let mut pos = view.first();
            while let Some(p) = pos {
                n += 1;
                pos = view.next(p);
            }
            view.count = n;
        }
        view
    }

    /// A view whose element count is already known.
    pub(crate) fn with_count(buf: &'a [u8], count: usize) -> Self {
        ListpackRef { buf, count }
    }

    /// The serialized bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
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

    /// Position of the first element, `None` when empty.
    pub fn first(&self) -> Option<usize> {
        (self.buf[HDR_SIZE] != EOF).then_some(HDR_SIZE)
    }

    /// Position of the last element, `None` when empty.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Position of the element after `pos`, `None` at the end.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let next = pos + self.entry_size(pos);
        (self.buf[next] != EOF).then_some(next)
    }

    /// Position of the element before `pos` (which may be the terminator's
    /// position), `None` at the start.
    pub fn prev(&self, pos: usize) -> Option<usize> {
        prev_in(self.buf, pos)
    }

    /// Position of the element at `index`, negative counting from the end;
    /// walks from whichever end is nearer.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let idx = if index < 0 {
            (self.count as i64).checked_add(index)?
        } else {
            index
        };
        let idx = usize::try_from(idx).ok().filter(|&i| i < self.count)?;
        if idx > self.count / 2 {
            let mut pos = self.last()?;
            for _ in idx + 1..self.count {
                pos = self.prev(pos)?;
            }
            Some(pos)
        } else {
            let mut pos = self.first()?;
            for _ in 0..idx {
                pos = self.next(pos)?;
            }
            Some(pos)
        }
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> LpEntry<'a> {
        self.debug_check(pos);
        read(&self.buf[pos..]).0
    }

    /// Size in bytes of the whole entry at `pos`, backlen included.
    pub fn entry_size(&self, pos: usize) -> usize {
        self.debug_check(pos);
        match encoded_size(&self.buf[pos..]) {
            Some(encoded) => encoded + backlen_size(encoded),
            None => unreachable!("listpack buffer holds only valid entries"),
        }
    }

    /// Iterates over the elements, from either end.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            buf: self.buf,
            front: HDR_SIZE,
            back: self.last().unwrap_or(HDR_SIZE),
            remaining: self.count,
        }
    }

    /// Searches from `start` for an element equal to `value`, comparing one
    /// element and then skipping `skip` (Redis's `lpFind`).
    pub fn find(&self, start: usize, value: &[u8], skip: usize) -> Option<usize> {
        let as_int = parse_i64(value);
        let mut pos = start;
        let mut to_skip = 0;
        while self.buf[pos] != EOF {
            if to_skip > 0 {
                to_skip -= 1;
                pos += self.entry_size(pos);
                continue;
            }
            let (entry, encoded) = read(&self.buf[pos..]);
            let hit = match entry {
                LpEntry::Str(s) => s == value,
                LpEntry::Int(v) => as_int == Some(v),
            };
            if hit {
                return Some(pos);
            }
            to_skip = skip;
            pos += encoded + backlen_size(encoded);
        }
        None
    }

    fn debug_check(&self, pos: usize) {
        debug_assert!(
            pos >= HDR_SIZE && pos < self.buf.len() - 1,
            "listpack position {pos} outside the entries"
        );
    }
}
