//! [`Packed`]: a listpack kept as an exactly sized boxed slice.
//!
//! A list value and each quicklist node hold their listpack this way
//! rather than as a [`Listpack`] (a `Vec` plus a count, 32 bytes): the
//! handle is one fat pointer, so a list fits inside [`crate::Value`]
//! without a box of its own, and the buffer is reallocated to its exact
//! length after every edit, as Redis does, so the allocator's size class
//! is the only slack. That is what keeps a small list no bigger than in
//! Redis.
//!
//! Edits borrow the bytes as a [`Listpack`] for the duration of a closure
//! (no copy: the boxed slice becomes the listpack's vector and back).

use crate::listpack::{Listpack, LpEntry};
use std::fmt;

/// A listpack stored in exactly as many bytes as it serializes to.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Packed(Box<[u8]>);

impl Packed {
    /// An empty listpack.
    pub(crate) fn new() -> Packed {
        Packed::from_listpack(Listpack::new())
    }

    /// Takes over a listpack's bytes (shrinking the buffer to fit).
    pub(crate) fn from_listpack(lp: Listpack) -> Packed {
        Packed(lp.into_bytes().into_boxed_slice())
    }

    /// Gives the bytes back as a listpack, without copying.
    pub(crate) fn into_listpack(self) -> Listpack {
        Listpack::from_trusted_bytes(self.0.into_vec())
    }

    /// A copy as a listpack, for readers that only have a shared borrow.
    pub(crate) fn to_listpack(&self) -> Listpack {
        Listpack::from_trusted_bytes(self.0.to_vec())
    }

    /// Number of elements: the header's count (a list's listpacks stay far
    /// below the 65535 where the header stops counting; past it, a copy is
    /// walked).
    pub(crate) fn len(&self) -> usize {
        match u16::from_le_bytes([self.0[4], self.0[5]]) {
            u16::MAX => self.to_listpack().len(),
            n => n as usize,
        }
    }

    /// Serialized size (Redis's `lpBytes`), which the size limits measure.
    pub(crate) fn bytes_len(&self) -> usize {
        self.0.len()
    }

    /// The serialized bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Runs `f` on the listpack, with room reserved for `extra` more bytes
    /// first so that an edit growing it by at most that much reallocates
    /// once, to the exact new size; the buffer is shrunk to fit afterwards.
    pub(crate) fn edit<R>(&mut self, extra: usize, f: impl FnOnce(&mut Listpack) -> R) -> R {
        let mut buf = std::mem::take(&mut self.0).into_vec();
        buf.reserve_exact(extra);
        let mut lp = Listpack::from_trusted_bytes(buf);
        let result = f(&mut lp);
        *self = Packed::from_listpack(lp);
        result
    }

    /// Runs `f` on the listpack without changing it (no allocation).
    pub(crate) fn read<R>(&mut self, f: impl FnOnce(&Listpack) -> R) -> R {
        self.edit(0, |lp| f(lp))
    }
}

/// Calls `f` on the elements of `lp` from position `from` (the first
/// element in the direction of travel when `None`) towards the tail, or
/// the head when `reverse`, until `f` returns false (then returns false)
/// or the listpack ends (then returns true).
pub(crate) fn visit_listpack(
    lp: &Listpack,
    from: Option<usize>,
    reverse: bool,
    mut f: impl FnMut(LpEntry<'_>) -> bool,
) -> bool {
    let mut pos = match (from, reverse) {
        (Some(i), _) => lp.seek(i as i64),
        (None, false) => lp.first(),
        (None, true) => lp.last(),
    };
    while let Some(p) = pos {
        if !f(lp.get(p)) {
            return false;
        }
        pos = if reverse { lp.prev(p) } else { lp.next(p) };
    }
    true
}

/// Deletes up to `quota` elements equal to `value` from `lp`, scanning
/// from the head (or the tail when `from_tail`); returns how many.
pub(crate) fn remove_matches(
    lp: &mut Listpack,
    value: &[u8],
    quota: usize,
    from_tail: bool,
) -> usize {
    let mut removed = 0;
    let mut pos = if from_tail { lp.last() } else { lp.first() };
    while let Some(p) = pos {
        if removed == quota {
            break;
        }
        let hit = lp.get(p).eq_bytes(value);
        if from_tail {
            // Entries before `p` keep their positions when `p` goes.
            pos = lp.prev(p);
            if hit {
                lp.delete(p);
            }
        } else if hit {
            pos = lp.delete(p);
        } else {
            pos = lp.next(p);
        }
        removed += hit as usize;
    }
    removed
}

impl fmt::Debug for Packed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_listpack(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_the_buffer_exact() {
        let mut p = Packed::new();
        assert_eq!(p.len(), 0);
        assert_eq!(p.bytes_len(), 7);
        let add = Listpack::entry_len_for(b"hello");
        p.edit(add, |lp| lp.append(b"hello"));
        p.edit(Listpack::entry_len_for(b"12"), |lp| lp.prepend(b"12"));
        assert_eq!(p.len(), 2);
        assert_eq!(p.bytes_len(), p.as_bytes().len());
        let lp = p.clone().into_listpack();
        assert_eq!(lp.len(), 2);
        assert_eq!(
            lp.iter().map(|e| e.to_vec()).collect::<Vec<_>>(),
            vec![b"12".to_vec(), b"hello".to_vec()]
        );
        let first = p.read(|lp| lp.get(lp.first().unwrap()).to_vec());
        assert_eq!(first, b"12");
    }
}
