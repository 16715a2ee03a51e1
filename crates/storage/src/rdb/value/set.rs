//! Sets: written as `RDB_TYPE_SET_INTSET` or `RDB_TYPE_SET_LISTPACK` (the
//! bytes verbatim) or `RDB_TYPE_SET` (a count, then member strings); read
//! from the same three.

use super::packed::{check_distinct, read_listpack};
use super::types;
use crate::intset::Intset;
use crate::listpack::Listpack;
use crate::rdb::{write_len, write_string, RdbError, RdbOut, Reader};
use crate::set::{Encoding, Set, SetEntry, SetLimits, SetTable};
use lodestone_protocol::num::parse_i64;

/// Most members an intset holds whatever the configuration says.
const INTSET_HARD_LIMIT: usize = 1 << 30;

/// The RDB type `set` is written as.
pub(super) fn rdb_type(set: &Set) -> u8 {
    match set.encoding() {
        Encoding::Intset => types::SET_INTSET,
        Encoding::Listpack => types::SET_LISTPACK,
        Encoding::Hashtable => types::SET,
    }
}

/// Appends the body of `set`.
pub(super) fn encode<O: RdbOut + ?Sized>(set: &Set, out: &mut O, compress: bool) {
    match set.encoding() {
        Encoding::Intset | Encoding::Listpack => {
            write_string(out, set.packed_bytes().unwrap_or_default(), compress);
        }
        Encoding::Hashtable => {
            write_len(out, set.len() as u64);
            for m in set.iter() {
                m.with_bytes(|m| write_string(out, m, compress));
            }
        }
    }
}

/// Reads a set body of type `type_byte`.
pub(super) fn decode(
    r: &mut Reader<'_>,
    type_byte: u8,
    limits: SetLimits,
) -> Result<Set, RdbError> {
    match type_byte {
        types::SET_INTSET => {
            let is = Intset::from_bytes(r.string()?).ok_or(RdbError::Corrupt)?;
            let mut set = Set::from_packed_bytes(is.into_bytes().into_boxed_slice());
            if set.len() > limits.max_intset_entries {
                set.convert_to_table();
            }
            Ok(set)
        }
        types::SET_LISTPACK => {
            let lp = read_listpack(r)?;
            check_distinct(&lp, false)?;
            if lp.is_empty() {
                return Err(RdbError::Corrupt);
            }
            let mut set = Set::from_packed_bytes(lp.into_bytes().into_boxed_slice());
            if set.len() > limits.max_listpack_entries {
                set.convert_to_table();
            }
            Ok(set)
        }
        _ => decode_members(r, limits),
    }
}

/// The set being built by [`decode_members`].
enum Building {
    Intset(Intset),
    Listpack(Listpack),
    Table(SetTable),
}

/// `RDB_TYPE_SET`: members go into an intset while they are integers (a
/// table from the start when the count is over the intset limit), then a
/// listpack while they fit its limits, then a table, as Redis's loader
/// does; a repeated member is an error.
fn decode_members(r: &mut Reader<'_>, limits: SetLimits) -> Result<Set, RdbError> {
    let n = r.count(1)?;
    if n == 0 {
        return Err(RdbError::Corrupt);
    }
    let mut b = if n > limits.max_intset_entries.min(INTSET_HARD_LIMIT) {
        // `count` bounded `n` by the bytes left.
        let mut t = SetTable::new();
        t.reserve(n);
        Building::Table(t)
    } else {
        Building::Intset(Intset::new())
    };
    let (mut longest, mut total) = (0usize, 0usize);
    for _ in 0..n {
        let m = r.string()?;
        longest = longest.max(m.len());
        total += m.len();
        if let Building::Intset(is) = &mut b {
            if let Some(v) = parse_i64(&m) {
                if !is.add(v) {
                    return Err(RdbError::Corrupt);
                }
                continue;
            }
            b = if is.len() < limits.max_listpack_entries
                && longest <= limits.max_listpack_value
                && total <= Listpack::MAX_SAFETY_SIZE
            {
                let mut lp = Listpack::new();
                is.iter().for_each(|v| lp.append_int(v));
                Building::Listpack(lp)
            } else {
                Building::Table(table_of(is.iter().map(|v| v.to_string().into_bytes())))
            };
        }
        if let Building::Listpack(lp) = &mut b {
            if lp.len() < limits.max_listpack_entries
                && m.len() <= limits.max_listpack_value
                && lp.safe_to_add(m.len())
            {
                if lp.first().and_then(|p| lp.find(p, &m, 0)).is_some() {
                    return Err(RdbError::Corrupt);
                }
                lp.append(&m);
                continue;
            }
            b = Building::Table(table_of(lp.iter().map(|e| e.to_vec())));
        }
        if let Building::Table(t) = &mut b {
            if t.try_insert_new(SetEntry::new(&m)).is_err() {
                return Err(RdbError::Corrupt);
            }
        }
    }
    Ok(match b {
        Building::Intset(is) => Set::from_packed_bytes(is.into_bytes().into_boxed_slice()),
        Building::Listpack(lp) => Set::from_packed_bytes(lp.into_bytes().into_boxed_slice()),
        Building::Table(t) => Set::from_table(t),
    })
}

/// A table of distinct members.
fn table_of(members: impl Iterator<Item = Vec<u8>>) -> SetTable {
    let mut t = SetTable::new();
    for m in members {
        t.insert_new(SetEntry::new(&m));
    }
    t
}
