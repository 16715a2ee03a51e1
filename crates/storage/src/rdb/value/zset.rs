//! Sorted sets: written as `RDB_TYPE_ZSET_LISTPACK` (the listpack
//! verbatim) or `RDB_TYPE_ZSET_2` (a count, then member strings and
//! binary scores from the highest score down, as Redis walks its skiplist
//! backwards); read from those, `RDB_TYPE_ZSET` (text scores) and
//! `RDB_TYPE_ZSET_ZIPLIST`.

use super::packed::{check_distinct, read_listpack, read_ziplist};
use super::types;
use crate::listpack::{Listpack, LpEntry};
use crate::rdb::{write_len, write_string, RdbError, RdbOut, Reader};
use crate::zset::{SkipList, ZSet, ZSetLimits};
use std::cmp::Ordering;

/// The RDB type `zset` is written as.
pub(super) fn rdb_type(zset: &ZSet) -> u8 {
    if zset.listpack_bytes().is_some() {
        types::ZSET_LISTPACK
    } else {
        types::ZSET_2
    }
}

/// Appends the body of `zset`.
pub(super) fn encode<O: RdbOut + ?Sized>(zset: &ZSet, out: &mut O, compress: bool) {
    if let Some(lp) = zset.listpack_bytes() {
        write_string(out, lp, compress);
        return;
    }
    write_len(out, zset.len() as u64);
    for (m, s) in zset.iter_from(zset.len().saturating_sub(1), true) {
        m.with_bytes(|m| write_string(out, m, compress));
        out.put(&s.value().to_le_bytes());
    }
}

/// Reads a sorted set body of type `type_byte`.
pub(super) fn decode(
    r: &mut Reader<'_>,
    type_byte: u8,
    limits: ZSetLimits,
) -> Result<ZSet, RdbError> {
    let lp = match type_byte {
        types::ZSET | types::ZSET_2 => {
            return decode_elements(r, type_byte == types::ZSET_2, limits)
        }
        types::ZSET_ZIPLIST => read_ziplist(r)?,
        _ => read_listpack(r)?,
    };
    check_listpack(&lp)?;
    let mut zset = ZSet::from_listpack_bytes(lp.into_bytes().into_boxed_slice());
    if zset.len() > limits.max_listpack_entries {
        zset.convert_to_skiplist();
    }
    Ok(zset)
}

/// Checks a sorted set listpack beyond its structure: non-empty pairs,
/// distinct members, scores that are numbers (not NaN), and pairs in
/// (score, member) order, so every later read and conversion sees what
/// the sorted set code itself would have written.
fn check_listpack(lp: &Listpack) -> Result<(), RdbError> {
    check_distinct(lp, true)?;
    if lp.is_empty() {
        return Err(RdbError::Corrupt);
    }
    let mut prev: Option<(LpEntry<'_>, f64)> = None;
    let mut items = lp.iter();
    while let (Some(m), Some(s)) = (items.next(), items.next()) {
        let score = score_of(s).ok_or(RdbError::Corrupt)?;
        if let Some((pm, ps)) = prev {
            let order = ps
                .partial_cmp(&score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| compare_members(pm, m));
            if order != Ordering::Less {
                return Err(RdbError::Corrupt);
            }
        }
        prev = Some((m, score));
    }
    Ok(())
}

/// Two members in byte order of their text (an integer entry as its
/// decimal text), without allocating.
fn compare_members(a: LpEntry<'_>, b: LpEntry<'_>) -> Ordering {
    let (mut ba, mut bb) = (itoa::Buffer::new(), itoa::Buffer::new());
    let ta: &[u8] = match a {
        LpEntry::Int(v) => ba.format(v).as_bytes(),
        LpEntry::Str(s) => s,
    };
    let tb: &[u8] = match b {
        LpEntry::Int(v) => bb.format(v).as_bytes(),
        LpEntry::Str(s) => s,
    };
    ta.cmp(tb)
}

/// A listpack score entry's value; `None` unless it is an integer or the
/// text of a number.
fn score_of(e: LpEntry<'_>) -> Option<f64> {
    match e {
        LpEntry::Int(v) => Some(v as f64),
        LpEntry::Str(s) => std::str::from_utf8(s)
            .ok()?
            .parse::<f64>()
            .ok()
            .filter(|v| !v.is_nan()),
    }
}

/// `RDB_TYPE_ZSET(_2)`: elements go into the big encoding, which becomes
/// a listpack afterwards when it fits the limits, as Redis's loader does.
fn decode_elements(r: &mut Reader<'_>, binary: bool, limits: ZSetLimits) -> Result<ZSet, RdbError> {
    let n = r.count(2)?;
    if n == 0 {
        return Err(RdbError::Corrupt);
    }
    let mut sl = SkipList::new();
    // `count` bounded `n` by the bytes left.
    sl.reserve(n);
    let (mut longest, mut total) = (0usize, 0usize);
    for _ in 0..n {
        let m = r.string()?;
        let score = if binary {
            r.binary_double()?
        } else {
            r.text_double()?
        };
        if score.is_nan() || !sl.insert_unique(&m, score) {
            return Err(RdbError::Corrupt);
        }
        longest = longest.max(m.len());
        total += m.len();
    }
    Ok(ZSet::from_skiplist(sl, longest, total, limits))
}
