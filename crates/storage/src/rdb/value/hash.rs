//! Hashes: written as `RDB_TYPE_HASH_LISTPACK` (the listpack verbatim) or
//! `RDB_TYPE_HASH` (a count, then field and value strings); read from
//! those, `RDB_TYPE_HASH_ZIPLIST` and `RDB_TYPE_HASH_ZIPMAP`.

use super::packed::{check_distinct, read_listpack, read_ziplist};
use super::{types, zipmap};
use crate::hash::{Hash, HashEntry, HashLimits, HashTable};
use crate::listpack::Listpack;
use crate::rdb::{write_len, write_string, RdbError, RdbOut, Reader};
use std::collections::HashSet;

/// The RDB type `hash` is written as.
pub(super) fn rdb_type(hash: &Hash) -> u8 {
    if hash.listpack_bytes().is_some() {
        types::HASH_LISTPACK
    } else {
        types::HASH
    }
}

/// Appends the body of `hash`.
pub(super) fn encode<O: RdbOut + ?Sized>(hash: &Hash, out: &mut O, compress: bool) {
    if let Some(lp) = hash.listpack_bytes() {
        write_string(out, lp, compress);
        return;
    }
    write_len(out, hash.len() as u64);
    for (f, v) in hash.iter() {
        f.with_bytes(|f| write_string(out, f, compress));
        v.with_bytes(|v| write_string(out, v, compress));
    }
}

/// Reads a hash body of type `type_byte`.
pub(super) fn decode(
    r: &mut Reader<'_>,
    type_byte: u8,
    limits: HashLimits,
) -> Result<Hash, RdbError> {
    match type_byte {
        types::HASH => decode_pairs(r, limits),
        types::HASH_ZIPMAP => {
            let zm = r.string()?;
            let pairs = zipmap::pairs(&zm).ok_or(RdbError::Corrupt)?;
            let mut lp = Listpack::new();
            let mut longest = 0;
            for (f, v) in &pairs {
                longest = longest.max(f.len()).max(v.len());
                lp.append(f);
                lp.append(v);
            }
            let mut hash = from_listpack(lp)?;
            if hash.len() > limits.max_listpack_entries || longest > limits.max_listpack_value {
                hash.convert_to_table();
            }
            Ok(hash)
        }
        types::HASH_ZIPLIST => finish_listpack(read_ziplist(r)?, limits),
        _ => finish_listpack(read_listpack(r)?, limits),
    }
}

/// A listpack of field/value pairs, checked, as a hash; a table when it
/// has more fields than the limit (values are not measured, as in Redis).
fn finish_listpack(lp: Listpack, limits: HashLimits) -> Result<Hash, RdbError> {
    let mut hash = from_listpack(lp)?;
    if hash.len() > limits.max_listpack_entries {
        hash.convert_to_table();
    }
    Ok(hash)
}

/// Wraps a listpack after checking it holds pairs with distinct fields;
/// an empty one is an error.
fn from_listpack(lp: Listpack) -> Result<Hash, RdbError> {
    check_distinct(&lp, true)?;
    if lp.is_empty() {
        return Err(RdbError::Corrupt);
    }
    Ok(Hash::from_listpack_bytes(
        lp.into_bytes().into_boxed_slice(),
    ))
}

/// `RDB_TYPE_HASH`: pairs go into a listpack while they fit the limits
/// (a table from the start when the count is over the entry limit), the
/// rest into a table, as Redis's loader does.
fn decode_pairs(r: &mut Reader<'_>, limits: HashLimits) -> Result<Hash, RdbError> {
    let mut left = r.count(2)?;
    if left == 0 {
        return Err(RdbError::Corrupt);
    }
    let mut table = HashTable::new();
    if left <= limits.max_listpack_entries {
        let mut lp = Listpack::new();
        let mut seen = HashSet::new();
        while left > 0 {
            left -= 1;
            let (f, v) = (r.string()?, r.string()?);
            if !seen.insert(f.clone()) {
                return Err(RdbError::Corrupt);
            }
            if f.len() > limits.max_listpack_value
                || v.len() > limits.max_listpack_value
                || !lp.safe_to_add(f.len() + v.len())
            {
                table = table_of(&lp);
                table.insert_new(HashEntry::new(&f, &v));
                break;
            }
            lp.append(&f);
            lp.append(&v);
        }
        if left == 0 && table.is_empty() {
            return Ok(Hash::from_listpack_bytes(
                lp.into_bytes().into_boxed_slice(),
            ));
        }
    }
    // `count` bounded `left` by the bytes left.
    table.reserve(table.len() + left);
    for _ in 0..left {
        let (f, v) = (r.string()?, r.string()?);
        if table.try_insert_new(HashEntry::new(&f, &v)).is_err() {
            return Err(RdbError::Corrupt);
        }
    }
    Ok(Hash::from_table(table))
}

/// The pairs of a listpack (distinct fields) in a table.
fn table_of(lp: &Listpack) -> HashTable {
    let mut table = HashTable::new();
    let mut items = lp.iter();
    while let (Some(f), Some(v)) = (items.next(), items.next()) {
        f.with_bytes(|f| v.with_bytes(|v| table.insert_new(HashEntry::new(f, v))));
    }
    table
}
