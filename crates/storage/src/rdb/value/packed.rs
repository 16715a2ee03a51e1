//! Helpers the collection loaders share: reading a listpack (or a ziplist
//! converted to one) from a payload, and the duplicate checks Redis's
//! deep sanitization applies to listpack-encoded sets, hashes and sorted
//! sets.

use super::ziplist;
use crate::listpack::Listpack;
use crate::rdb::{RdbError, Reader};
use std::collections::HashSet;

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
pub(super) fn check_distinct(lp: &Listpack, pairs: bool) -> Result<(), RdbError> {
    let step = if pairs { 2 } else { 1 };
    if !lp.len().is_multiple_of(step) {
        return Err(RdbError::Corrupt);
    }
    let mut seen = HashSet::with_capacity(lp.len() / step);
    for e in lp.iter().step_by(step) {
        if !seen.insert(e.to_vec()) {
            return Err(RdbError::Corrupt);
        }
    }
    Ok(())
}
