//! [`Hash`]: the hash data type, in Redis's two encodings.
//!
//! * `listpack`: field and value alternate in one [`Listpack`] buffer, in
//!   insertion order. Lookups walk it, which is fast while it is small.
//! * `hashtable`: a [`HashTable`] of field → value entries.
//!
//! A hash starts as a listpack and becomes a table, never going back, at
//! exactly the points Redis converts (`hashTypeTryConversion` before a
//! write with the lengths of all its arguments, `hashTypeSet` for each
//! field): more than `hash-max-listpack-entries` fields, a field or value
//! longer than `hash-max-listpack-value` bytes, or a listpack that would
//! pass its 1 GiB safety size.
//!
//! Memory: the listpack is kept as an exactly-sized `Box<[u8]>` rather than
//! a [`Listpack`] (a `Vec` and a count), so a `Hash` is 16 bytes and sits
//! inside the key's `Value` with no allocation besides the listpack itself,
//! as Redis's object points straight at its listpack. Reads go through a
//! [`ListpackRef`]; writes rebuild the `Listpack` around the same buffer,
//! edit it and give the bytes back (a realloc to the exact size, as
//! Redis's `lpInsert` does).

mod random;
mod table;

pub use table::{HashEntry, HashTable};

use crate::listpack::{Listpack, ListpackRef, LpEntry};

/// The conversion thresholds (`hash-max-listpack-entries`,
/// `hash-max-listpack-value`), copied from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    /// Most fields a listpack-encoded hash may hold.
    pub max_listpack_entries: usize,
    /// Longest field or value (in bytes) a listpack-encoded hash may hold.
    pub max_listpack_value: usize,
}

impl Default for HashLimits {
    /// Redis 7.2's defaults: 512 entries, 64 bytes.
    fn default() -> Self {
        HashLimits {
            max_listpack_entries: 512,
            max_listpack_value: 64,
        }
    }
}

/// A field's value as read: listpacks keep canonical integers as integers,
/// so a value may come back as `Int` (write it in decimal).
pub type FieldValue<'a> = LpEntry<'a>;

/// A hash value. 16 bytes.
pub struct Hash {
    repr: Repr,
}

enum Repr {
    /// Listpack bytes, exactly sized: field, value, field, value, ...
    Listpack(Box<[u8]>),
    /// The big encoding.
    Table(Box<HashTable>),
}

impl Default for Hash {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Hash {
    /// A deep copy (COPY, RESTORE of a DUMP): the same encoding and, for a
    /// listpack, the same order.
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Listpack(b) => Hash {
                repr: Repr::Listpack(b.clone()),
            },
            Repr::Table(t) => {
                let mut table = HashTable::new();
                for e in t.iter() {
                    table.insert_new(HashEntry::new(e.field(), e.value()));
                }
                Hash {
                    repr: Repr::Table(Box::new(table)),
                }
            }
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Hash {
    /// An empty listpack-encoded hash (Redis's `createHashObject`).
    pub fn new() -> Hash {
        Hash {
            repr: Repr::Listpack(Listpack::new().into_bytes().into_boxed_slice()),
        }
    }

    /// Adopts listpack bytes that were validated as field/value pairs
    /// with distinct fields (loading a serialized hash).
    pub(crate) fn from_listpack_bytes(bytes: Box<[u8]>) -> Hash {
        Hash {
            repr: Repr::Listpack(bytes),
        }
    }

    /// Wraps a table built elsewhere (loading a serialized hash).
    pub(crate) fn from_table(table: HashTable) -> Hash {
        Hash {
            repr: Repr::Table(Box::new(table)),
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) => ListpackRef::new(b).len() / 2,
            Repr::Table(t) => t.len(),
        }
    }

    /// True when the hash has no fields (it is then deleted by the caller).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The listpack bytes while listpack-encoded (for `DEBUG LISTPACK` and
    /// serialization, which store them verbatim).
    pub fn listpack_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(b) => Some(b),
            Repr::Table(_) => None,
        }
    }

    /// The table while hashtable-encoded.
    pub fn table(&self) -> Option<&HashTable> {
        match &self.repr {
            Repr::Listpack(_) => None,
            Repr::Table(t) => Some(t),
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<FieldValue<'_>> {
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                let pos = lp.find(lp.first()?, field, 1)?;
                lp.next(pos).map(|v| lp.get(v))
            }
            Repr::Table(t) => t.get(field).map(|e| LpEntry::Str(e.value())),
        }
    }

    /// True when `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts before a write of `new_pairs` field/value pairs whose
    /// arguments have the lengths `arg_lens`, if they could not all stay in
    /// a listpack (Redis's `hashTypeTryConversion`): more pairs than the
    /// entry limit (even if some fields repeat or exist), any argument
    /// longer than the value limit, or a listpack that would pass its
    /// safety size.
    pub fn prepare_write(
        &mut self,
        new_pairs: usize,
        arg_lens: impl IntoIterator<Item = usize>,
        limits: HashLimits,
    ) {
        let Repr::Listpack(b) = &self.repr else {
            return;
        };
        if new_pairs > limits.max_listpack_entries {
            self.convert_to_table();
            return;
        }
        let mut sum = 0usize;
        for len in arg_lens {
            if len > limits.max_listpack_value {
                self.convert_to_table();
                return;
            }
            sum = sum.saturating_add(len);
        }
        if b.len().saturating_add(sum) > Listpack::MAX_SAFETY_SIZE {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`; true when the field is new (Redis's
    /// `hashTypeSet`). A listpack is converted first when either string is
    /// over the value limit, and after the write when it holds more fields
    /// than the entry limit (checked on updates too, so a lowered limit
    /// takes effect at the next write, as in Redis).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if let Repr::Listpack(b) = &self.repr {
            let too_long =
                field.len() > limits.max_listpack_value || value.len() > limits.max_listpack_value;
            let room = Listpack::MAX_SAFETY_SIZE.saturating_sub(b.len());
            if too_long || field.len().saturating_add(value.len()) > room {
                self.convert_to_table();
            }
        }
        match &mut self.repr {
            Repr::Listpack(b) => {
                let inserted = edit_listpack(b, |lp| {
                    let found = lp.first().and_then(|first| lp.find(first, field, 1));
                    match found.and_then(|f| lp.next(f)) {
                        Some(vpos) => {
                            lp.replace(vpos, value);
                            false
                        }
                        None => {
                            lp.append_batch(&[field, value]);
                            true
                        }
                    }
                });
                if self.len() > limits.max_listpack_entries {
                    self.convert_to_table();
                }
                inserted
            }
            Repr::Table(t) => match t.get_mut(field) {
                Some(e) => {
                    e.set_value(value);
                    false
                }
                None => {
                    t.insert_new(HashEntry::new(field, value));
                    true
                }
            },
        }
    }

    /// Removes `field`; true when it existed. A table is never converted
    /// back to a listpack (Redis does not either).
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                let Some(pos) = lp.first().and_then(|first| lp.find(first, field, 1)) else {
                    return false;
                };
                edit_listpack(b, |lp| {
                    lp.delete_range_at(pos, 2);
                });
                true
            }
            Repr::Table(t) => t.remove(field).is_some(),
        }
    }

    /// Iterates over (field, value) pairs: insertion order for a listpack,
    /// table order otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Listpack(b) => Iter::Listpack(ListpackRef::new(b).iter()),
            Repr::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One HSCAN step. A table visits the bucket(s) at `cursor` and returns
    /// the next cursor (Redis's reverse-binary `dictScan`); a listpack
    /// visits everything and returns 0, since it is small by construction.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(FieldValue<'_>, FieldValue<'_>)) -> u64 {
        match &self.repr {
            Repr::Listpack(_) => {
                for (f, v) in self.iter() {
                    visit(f, v);
                }
                0
            }
            Repr::Table(t) => t.scan(cursor, |e| {
                visit(LpEntry::Str(e.field()), LpEntry::Str(e.value()))
            }),
        }
    }

    /// Moves the fields into a table (Redis's `hashTypeConvert`); nothing
    /// happens when already converted.
    pub fn convert_to_table(&mut self) {
        let Repr::Listpack(b) = &self.repr else {
            return;
        };
        let mut table = HashTable::new();
        let mut items = ListpackRef::new(b).iter();
        while let (Some(f), Some(v)) = (items.next(), items.next()) {
            f.with_bytes(|f| v.with_bytes(|v| table.insert_new(HashEntry::new(f, v))));
        }
        self.repr = Repr::Table(Box::new(table));
    }

    /// How many allocations freeing this hash takes: above
    /// [`crate::value::LAZYFREE_THRESHOLD`] UNLINK frees it in the background.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Listpack(_) => 1,
            Repr::Table(t) => t.len(),
        }
    }

    /// Heap bytes owned by the hash (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) => b.len(),
            Repr::Table(t) => {
                std::mem::size_of::<HashTable>()
                    + t.overhead_bytes()
                    + t.iter().map(HashEntry::heap_size).sum::<usize>()
            }
        }
    }

    /// Moves up to `n` buckets of an ongoing table resize; true while one
    /// continues.
    pub fn rehash(&mut self, n: usize) -> bool {
        match &mut self.repr {
            Repr::Listpack(_) => false,
            Repr::Table(t) => t.rehash(n),
        }
    }
}

/// Rebuilds the `Listpack` around the bytes in `slot`, runs `edit` on it
/// and stores the result back, exactly sized.
fn edit_listpack<R>(slot: &mut Box<[u8]>, edit: impl FnOnce(&mut Listpack) -> R) -> R {
    let bytes = std::mem::take(slot).into_vec();
    let mut lp = Listpack::from_trusted(bytes);
    let result = edit(&mut lp);
    *slot = lp.into_bytes().into_boxed_slice();
    result
}

/// Iterator over a hash's (field, value) pairs.
pub enum Iter<'a> {
    /// Over listpack elements, two at a time.
    Listpack(crate::listpack::Iter<'a>),
    /// Over table entries.
    Table(crate::dict::Iter<'a, HashEntry>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (FieldValue<'a>, FieldValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it
                .next()
                .map(|e| (LpEntry::Str(e.field()), LpEntry::Str(e.value()))),
        }
    }
}

#[cfg(test)]
mod tests;
