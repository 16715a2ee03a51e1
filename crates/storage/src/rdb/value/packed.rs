//! Helpers the collection loaders share: reading a listpack (or a ziplist
//! converted to one) from a payload, and the duplicate checks Redis's
//! deep sanitization applies to listpack-encoded sets, hashes and sorted
//! sets.

use super::ziplist;
use crate::listpack::Listpack;
use crate::listpack::LpEntry;
use crate::rdb::{RdbError, Reader};
use lodestone_protocol::num::parse_i64;

/// A string holding a listpack, validated in full.
pub(super) fn read_listpack(r: &mut Reader<'_>) -> Result<Listpack, RdbError> {
    Listpack::from_bytes(r.string()?).ok_or(RdbError::Corrupt)
}

/// A string holding a ziplist, validated and converted to a listpack.
pub(super) fn read_ziplist(r: &mut Reader<'_>) -> Result<Listpack, RdbError> {
    ziplist::to_listpack(&r.string()?).ok_or(RdbError::Corrupt)
}

/// Checks that the keys of `lp` are distinct: every entry, or with `pairs`
/// every first entry of a pair (whose count must then be even). Integer
/// entries count as their decimal text, so `12` and `"12"` collide.
///
/// Every collection a snapshot holds goes through this, so it allocates
/// once (the keys, borrowed) and sorts instead of hashing copies.
pub(super) fn check_distinct(lp: &Listpack, pairs: bool) -> Result<(), RdbError> {
    let step = if pairs { 2 } else { 1 };
    if !lp.len().is_multiple_of(step) {
        return Err(RdbError::Corrupt);
    }
    let n = lp.len() / step;
    let keys = lp.iter().step_by(step).map(Key::of);
    let distinct = if n <= SMALL {
        // Most collections: the keys fit on the stack.
        let mut buf = [Key::Int(0); SMALL];
        for (slot, k) in buf.iter_mut().zip(keys) {
            *slot = k;
        }
        sorted_distinct(&mut buf[..n])
    } else {
        sorted_distinct(&mut keys.collect::<Vec<_>>())
    };
    if distinct {
        Ok(())
    } else {
        Err(RdbError::Corrupt)
    }
}

/// Collections up to this many keys are checked without allocating.
const SMALL: usize = 32;

/// Sorts `keys` and tells whether no two are equal.
fn sorted_distinct(keys: &mut [Key<'_>]) -> bool {
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

/// A listpack entry by its value: a string that is an integer's
/// canonical text (`string2ll` accepts nothing else) is that integer,
/// as its integer encoding would be.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Key<'a> {
    fn of(e: LpEntry<'a>) -> Key<'a> {
        match e {
            LpEntry::Int(v) => Key::Int(v),
            LpEntry::Str(s) => parse_i64(s).map_or(Key::Str(s), Key::Int),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(items: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for i in items {
            lp.append(i);
        }
        lp
    }

    /// A listpack holding `s` in a string encoding (as a hostile writer
    /// may store an integer's text), then the integer 12.
    fn with_string_then_12(s: &[u8]) -> Listpack {
        let mut bytes = vec![0u8; 6];
        // A 6-bit string entry and its back-length, then 7-bit uint 12.
        bytes.push(0x80 | s.len() as u8);
        bytes.extend_from_slice(s);
        bytes.push(1 + s.len() as u8);
        bytes.extend_from_slice(&[12, 1, 0xFF]);
        let total = bytes.len() as u32;
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes[4..6].copy_from_slice(&2u16.to_le_bytes());
        Listpack::from_bytes(bytes).expect("valid listpack")
    }

    #[test]
    fn duplicates_are_found_whatever_their_encoding() {
        assert!(check_distinct(&lp(&[b"a", b"b", b"12", b"c"]), false).is_ok());
        assert!(check_distinct(&lp(&[b"a", b"b", b"a"]), false).is_err());
        // The integer 12 and a string "12" are the same member.
        let mut mixed = lp(&[b"x"]);
        mixed.append_int(12);
        assert!(check_distinct(&mixed, false).is_ok());
        assert!(check_distinct(&with_string_then_12(b"12"), false).is_err());
        // "012" is not 12.
        assert!(check_distinct(&with_string_then_12(b"012"), false).is_ok());
        // Pairs: only the first of each counts; an odd count is corrupt.
        assert!(check_distinct(&lp(&[b"f", b"v", b"g", b"v"]), true).is_ok());
        assert!(check_distinct(&lp(&[b"f", b"v", b"f", b"w"]), true).is_err());
        assert!(check_distinct(&lp(&[b"f", b"v", b"g"]), true).is_err());
        // Past the stack buffer, and right at its size.
        for n in [SMALL, SMALL + 1, 100] {
            let items: Vec<Vec<u8>> = (0..n).map(|i| format!("m{i}").into_bytes()).collect();
            let mut refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
            assert!(check_distinct(&lp(&refs), false).is_ok(), "{n}");
            refs[n - 1] = b"m0";
            assert!(check_distinct(&lp(&refs), false).is_err(), "{n}");
        }
    }
}
