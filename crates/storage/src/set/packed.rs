//! The two compact encodings of a set, kept as one exactly sized
//! `Box<[u8]>`: an intset ([`crate::intset`]) or a listpack
//! ([`crate::listpack`]), each in Redis's byte layout.
//!
//! Which of the two a buffer holds is read from its first four bytes, so
//! no tag is stored beside it (that keeps a [`super::Set`] at 16 bytes):
//! an intset starts with its member width as a little-endian u32, always
//! 2, 4 or 8; a listpack starts with its total size, which is 7 when empty
//! and at least 9 otherwise (the header is 6 bytes, the terminator 1 and
//! the smallest entry 2), so never 2, 4 or 8.

use crate::intset::{Intset, IntsetRef};
use crate::listpack::{Listpack, ListpackRef};

/// The compact encoding a packed buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Packed {
    /// Intset bytes.
    Intset,
    /// Listpack bytes.
    Listpack,
}

/// Which encoding `bytes` hold (see the module documentation).
pub(super) fn kind_of(bytes: &[u8]) -> Packed {
    match bytes[..4] {
        [2 | 4 | 8, 0, 0, 0] => Packed::Intset,
        _ => Packed::Listpack,
    }
}

/// An empty intset as an exactly sized buffer.
pub(super) fn empty_intset() -> Box<[u8]> {
    Intset::new().into_bytes().into_boxed_slice()
}

/// An empty listpack as an exactly sized buffer.
pub(super) fn empty_listpack() -> Box<[u8]> {
    Listpack::new().into_bytes().into_boxed_slice()
}

/// Reads intset bytes.
pub(super) fn intset(bytes: &[u8]) -> IntsetRef<'_> {
    IntsetRef::new(bytes)
}

/// Reads listpack bytes.
pub(super) fn listpack(bytes: &[u8]) -> ListpackRef<'_> {
    ListpackRef::new(bytes)
}

/// Rebuilds the `Intset` around the bytes in `slot`, runs `edit` on it and
/// stores the result back, exactly sized. With `growing`, room for one
/// more member is reserved first so an insertion reallocates once, as
/// Redis's `intsetAdd` does.
pub(super) fn edit_intset<R>(
    slot: &mut Box<[u8]>,
    growing: bool,
    edit: impl FnOnce(&mut Intset) -> R,
) -> R {
    let mut bytes = std::mem::take(slot).into_vec();
    if growing {
        bytes.reserve_exact(bytes[0] as usize);
    }
    let mut set = Intset::from_trusted(bytes);
    let result = edit(&mut set);
    *slot = set.into_bytes().into_boxed_slice();
    result
}

/// Rebuilds the `Listpack` around the bytes in `slot`, runs `edit` on it
/// and stores the result back, exactly sized.
pub(super) fn edit_listpack<R>(slot: &mut Box<[u8]>, edit: impl FnOnce(&mut Listpack) -> R) -> R {
    let bytes = std::mem::take(slot).into_vec();
    let mut lp = Listpack::from_trusted(bytes);
    let result = edit(&mut lp);
    *slot = lp.into_bytes().into_boxed_slice();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart_by_the_header() {
        assert_eq!(kind_of(&empty_intset()), Packed::Intset);
        assert_eq!(kind_of(&empty_listpack()), Packed::Listpack);
        let mut lp = Listpack::new();
        lp.append(b"");
        assert_eq!(lp.bytes_len(), 9, "smallest non-empty listpack");
        assert_eq!(kind_of(lp.as_bytes()), Packed::Listpack);
        let mut is = Intset::new();
        for v in [1, 1 << 20, 1 << 40] {
            is.add(v);
            assert_eq!(kind_of(is.as_bytes()), Packed::Intset);
        }
        // Every listpack size from 7 to a few KB reads as a listpack.
        let mut lp = Listpack::new();
        for i in 0..600u32 {
            assert_eq!(
                kind_of(lp.as_bytes()),
                Packed::Listpack,
                "size {}",
                lp.bytes_len()
            );
            lp.append(&vec![b'x'; (i % 70) as usize]);
        }
    }
}
