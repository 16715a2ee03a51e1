//! [`Set`]: the set data type, in Redis 7.2's three encodings.
//!
//! * `intset`: every member is an integer; one sorted array of the
//!   narrowest width that holds them all ([`crate::intset`]), searched by
//!   bisection.
//! * `listpack`: a small set with a non-integer member; the members in
//!   insertion order in one [`Listpack`], searched by walking it.
//! * `hashtable`: a [`SetTable`] of members.
//!
//! Encodings change exactly where Redis 7.2's `t_set.c` changes them, so
//! `OBJECT ENCODING` agrees at every step:
//!
//! * A new set ([`Set::create`], `setTypeCreate`) is an intset when its
//!   first member is an integer and the number of members about to be
//!   added is at most `set-max-intset-entries`; otherwise a listpack when
//!   that number is at most `set-max-listpack-entries`; otherwise a table.
//! * Before a write of several members ([`Set::maybe_convert`],
//!   `setTypeMaybeConvert`), a set whose limit that number exceeds becomes
//!   a table, even if the members turn out to be present already.
//! * Adding ([`Set::add_member`], `setTypeAddAux`): an intset grown past
//!   `set-max-intset-entries` (capped at 2^30) becomes a table; a
//!   non-integer member turns an intset into a listpack when the result
//!   stays within the listpack limits (counting the widest integer's
//!   digits against `set-max-listpack-value`), else into a table; a
//!   listpack that would exceed either listpack limit, or its 1 GiB safety
//!   size, becomes a table.
//! * Nothing converts back, except what Redis also does: a result of
//!   SINTERSTORE made only of integers ([`Set::maybe_convert_to_intset`]),
//!   and the remainder SPOP rebuilds when popping most of a set
//!   ([`Set::pop_many`]).
//!
//! Memory: the intset or listpack is an exactly sized `Box<[u8]>` (which
//! one is told by its header, see the `packed` module) and the table is
//! boxed, so a `Set` is 16 bytes and lives inside the key's
//! [`crate::Value`] with no allocation besides the encoding itself, as
//! Redis's object points straight at its intset.
//!
//! # Reading members (API for other commands)
//!
//! [`Set::iter`] yields every member as a [`Member`]: `Int(n)` when the
//! encoding stores an integer (intset members, integer listpack entries),
//! `Str(bytes)` otherwise. Either way a member *is* a byte string (`Int(n)`
//! stands for the decimal text of `n`); use [`Member::with_bytes`] or
//! [`Member::to_vec`] for the bytes and [`Member::as_int`] for a number.
//! Order: ascending for an intset, insertion order for a listpack, table
//! order for a table. [`Set::len`] and [`Set::contains`] complete the read
//! API; ZUNIONSTORE/ZINTERSTORE read a set input this way (score 1 per
//! member).

mod packed;
mod random;
mod table;
#[cfg(test)]
mod tests;

pub use table::{SetEntry, SetTable};

use crate::intset::Intset;
use crate::listpack::{Listpack, ListpackRef, LpEntry};
use lodestone_protocol::num::parse_i64;
use packed::Packed;

/// One member as read from a set: an integer or a borrowed byte string
/// (see the module documentation).
pub type Member<'a> = LpEntry<'a>;

/// Most members an intset may hold whatever `set-max-intset-entries` says
/// (Redis's `intsetMaxEntries` cap).
const INTSET_HARD_LIMIT: usize = 1 << 30;

/// The conversion thresholds, copied from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLimits {
    /// `set-max-intset-entries`.
    pub max_intset_entries: usize,
    /// `set-max-listpack-entries`.
    pub max_listpack_entries: usize,
    /// `set-max-listpack-value`: longest member (in bytes) a listpack holds.
    pub max_listpack_value: usize,
}

impl Default for SetLimits {
    /// Redis 7.2's defaults: 512, 128 and 64.
    fn default() -> Self {
        SetLimits {
            max_intset_entries: 512,
            max_listpack_entries: 128,
            max_listpack_value: 64,
        }
    }
}

impl SetLimits {
    /// Most members an intset holds before becoming a table.
    fn intset_max(&self) -> usize {
        self.max_intset_entries.min(INTSET_HARD_LIMIT)
    }
}

/// A set's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Sorted integers.
    Intset,
    /// Members in one listpack.
    Listpack,
    /// A hash table of members.
    Hashtable,
}

impl Encoding {
    /// The name `OBJECT ENCODING` replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Intset => "intset",
            Encoding::Listpack => "listpack",
            Encoding::Hashtable => "hashtable",
        }
    }
}

/// A set value. 16 bytes.
pub struct Set {
    repr: Repr,
}

enum Repr {
    /// Intset or listpack bytes, exactly sized (see [`packed`]).
    Packed(Box<[u8]>),
    /// The big encoding.
    Table(Box<SetTable>),
}

/// A borrowed view of a set's encoding, for dispatching reads.
enum View<'a> {
    Intset(crate::intset::IntsetRef<'a>),
    Listpack(ListpackRef<'a>),
    Table(&'a SetTable),
}

impl Clone for Set {
    /// A deep copy in the same encoding (Redis's `setTypeDup`, for COPY).
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Packed(b) => Set {
                repr: Repr::Packed(b.clone()),
            },
            Repr::Table(t) => {
                let mut table = SetTable::new();
                for e in t.iter() {
                    table.insert_new(SetEntry::new(e.member()));
                }
                Set {
                    repr: Repr::Table(Box::new(table)),
                }
            }
        }
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Set {
    /// An empty intset-encoded set (`createIntsetObject`).
    pub fn new_intset() -> Set {
        Set {
            repr: Repr::Packed(packed::empty_intset()),
        }
    }

    /// An empty listpack-encoded set (`createSetListpackObject`).
    pub fn new_listpack() -> Set {
        Set {
            repr: Repr::Packed(packed::empty_listpack()),
        }
    }

    /// Adopts intset or listpack bytes that were validated (sorted
    /// distinct integers, or a listpack of distinct members), when loading
    /// a serialized set.
    pub(crate) fn from_packed_bytes(bytes: Box<[u8]>) -> Set {
        Set {
            repr: Repr::Packed(bytes),
        }
    }

    /// The intset or listpack bytes of a compact set (serialization
    /// writes them verbatim); `None` for a table.
    pub(crate) fn packed_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Packed(b) => Some(b),
            Repr::Table(_) => None,
        }
    }

    /// Wraps a table built elsewhere (loading a serialized set).
    pub(crate) fn from_table(table: SetTable) -> Set {
        Set {
            repr: Repr::Table(Box::new(table)),
        }
    }

    /// An empty table-encoded set.
    fn new_table() -> Set {
        Set {
            repr: Repr::Table(Box::default()),
        }
    }

    /// An empty set in the encoding that can take `first` and about
    /// `size_hint` members (Redis's `setTypeCreate`): intset, listpack or
    /// table, as the module documentation describes.
    pub fn create(first: &[u8], size_hint: usize, limits: SetLimits) -> Set {
        if parse_i64(first).is_some() && size_hint <= limits.max_intset_entries {
            Set::new_intset()
        } else if size_hint <= limits.max_listpack_entries {
            Set::new_listpack()
        } else {
            Set::new_table()
        }
    }

    /// Converts to a table before a write of `size_hint` members that the
    /// current encoding could not hold (Redis's `setTypeMaybeConvert`).
    pub fn maybe_convert(&mut self, size_hint: usize, limits: SetLimits) {
        let too_many = match self.encoding() {
            Encoding::Intset => size_hint > limits.max_intset_entries,
            Encoding::Listpack => size_hint > limits.max_listpack_entries,
            Encoding::Hashtable => false,
        };
        if too_many {
            self.convert_to_table();
        }
    }

    fn view(&self) -> View<'_> {
        match &self.repr {
            Repr::Packed(b) => match packed::kind_of(b) {
                Packed::Intset => View::Intset(packed::intset(b)),
                Packed::Listpack => View::Listpack(packed::listpack(b)),
            },
            Repr::Table(t) => View::Table(t),
        }
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        match &self.repr {
            Repr::Packed(b) => match packed::kind_of(b) {
                Packed::Intset => Encoding::Intset,
                Packed::Listpack => Encoding::Listpack,
            },
            Repr::Table(_) => Encoding::Hashtable,
        }
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        self.encoding().name()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self.view() {
            View::Intset(is) => is.len(),
            View::Listpack(lp) => lp.len(),
            View::Table(t) => t.len(),
        }
    }

    /// True when the set has no members (it is then deleted by the caller).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `member` belongs to the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_member(LpEntry::Str(member))
    }

    /// True when `member` belongs to the set (Redis's
    /// `setTypeIsMemberAux`): an integer member is checked against an
    /// intset without formatting it.
    pub fn contains_member(&self, member: Member<'_>) -> bool {
        match self.view() {
            View::Intset(is) => member.as_int().is_some_and(|v| is.contains(v)),
            View::Listpack(lp) => {
                member.with_bytes(|m| lp.first().and_then(|f| lp.find(f, m, 0)).is_some())
            }
            View::Table(t) => member.with_bytes(|m| t.contains_key(m)),
        }
    }

    /// Adds `member`; true when it was new.
    pub fn add(&mut self, member: &[u8], limits: SetLimits) -> bool {
        self.add_member(LpEntry::Str(member), limits)
    }

    /// Adds `member`, converting the encoding where Redis's
    /// `setTypeAddAux` does (see the module documentation); true when it
    /// was new.
    pub fn add_member(&mut self, member: Member<'_>, limits: SetLimits) -> bool {
        match self.view() {
            View::Intset(is) => {
                let Some(v) = member.as_int() else {
                    self.add_string_to_intset(member, limits);
                    return true;
                };
                if is.contains(v) {
                    return false;
                }
                self.edit_intset(true, |is| is.add(v));
                if self.len() > limits.intset_max() {
                    self.convert_to_table();
                }
                true
            }
            View::Listpack(lp) => {
                let found = member.with_bytes(|m| lp.first().and_then(|f| lp.find(f, m, 0)));
                if found.is_some() {
                    return false;
                }
                let len = member.str_len();
                if lp.len() < limits.max_listpack_entries
                    && len <= limits.max_listpack_value
                    && lp.as_bytes().len().saturating_add(len) <= Listpack::MAX_SAFETY_SIZE
                {
                    self.edit_listpack(|lp| match member {
                        LpEntry::Int(v) => lp.append_int(v),
                        LpEntry::Str(s) => lp.append(s),
                    });
                } else {
                    self.convert_to_table();
                    self.table_insert(member);
                }
                true
            }
            View::Table(t) => {
                if member.with_bytes(|m| t.contains_key(m)) {
                    return false;
                }
                self.table_insert(member);
                true
            }
        }
    }

    /// Adds a non-integer member to an intset-encoded set, which becomes a
    /// listpack when small enough, else a table.
    fn add_string_to_intset(&mut self, member: Member<'_>, limits: SetLimits) {
        let fits = match self.view() {
            View::Intset(is) => intset_fits_listpack(is, member.str_len(), limits),
            _ => false,
        };
        if fits {
            self.convert_intset_to_listpack();
            self.edit_listpack(|lp| member.with_bytes(|m| lp.append(m)));
        } else {
            self.convert_to_table();
            self.table_insert(member);
        }
    }

    /// Inserts a member known to be absent into a table-encoded set.
    fn table_insert(&mut self, member: Member<'_>) {
        if let Repr::Table(t) = &mut self.repr {
            member.with_bytes(|m| t.insert_new(SetEntry::new(m)));
        }
    }

    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_member(LpEntry::Str(member))
    }

    /// Removes `member` (Redis's `setTypeRemoveAux`); true when it was
    /// present. The encoding never changes.
    pub fn remove_member(&mut self, member: Member<'_>) -> bool {
        match self.view() {
            View::Intset(is) => match member.as_int() {
                Some(v) if is.contains(v) => self.edit_intset(false, |is| is.remove(v)),
                _ => false,
            },
            View::Listpack(lp) => {
                let Some(pos) = member.with_bytes(|m| lp.first().and_then(|f| lp.find(f, m, 0)))
                else {
                    return false;
                };
                self.edit_listpack(|lp| lp.delete(pos));
                true
            }
            View::Table(_) => match &mut self.repr {
                Repr::Table(t) => member.with_bytes(|m| t.remove(m).is_some()),
                Repr::Packed(_) => false,
            },
        }
    }

    /// Iterates over the members (see the module documentation for the
    /// order).
    pub fn iter(&self) -> Iter<'_> {
        match self.view() {
            View::Intset(is) => Iter::Intset(is.iter()),
            View::Listpack(lp) => Iter::Listpack(lp.iter()),
            View::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One SSCAN step. A table visits the bucket(s) at `cursor` and returns
    /// the next cursor (Redis's reverse-binary `dictScan`); an intset or a
    /// listpack visits everything and returns 0, whatever the cursor,
    /// since it is small by construction.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Member<'_>)) -> u64 {
        match self.view() {
            View::Table(t) => t.scan(cursor, |e| visit(LpEntry::Str(e.member()))),
            _ => {
                self.iter().for_each(visit);
                0
            }
        }
    }

    /// Converts to an intset when every member is an integer and there are
    /// few enough (Redis's `maybeConvertToIntset`, which SINTERSTORE applies
    /// to an all-integer result). Does nothing otherwise.
    pub fn maybe_convert_to_intset(&mut self, limits: SetLimits) {
        if self.encoding() == Encoding::Intset || self.len() > limits.intset_max() {
            return;
        }
        let mut is = Intset::new();
        for m in self.iter() {
            match m.as_int() {
                Some(v) => is.add(v),
                None => return,
            };
        }
        self.repr = Repr::Packed(is.into_bytes().into_boxed_slice());
    }

    /// Moves the members into a table (Redis's `setTypeConvert` to
    /// `OBJ_ENCODING_HT`); nothing happens when already converted.
    pub fn convert_to_table(&mut self) {
        if matches!(self.repr, Repr::Table(_)) {
            return;
        }
        let mut table = SetTable::new();
        for m in self.iter() {
            m.with_bytes(|m| table.insert_new(SetEntry::new(m)));
        }
        self.repr = Repr::Table(Box::new(table));
    }

    /// Rewrites an intset as a listpack of the same integers, in ascending
    /// order (`setTypeConvert` to `OBJ_ENCODING_LISTPACK`).
    fn convert_intset_to_listpack(&mut self) {
        let mut lp = Listpack::new();
        for m in self.iter() {
            if let LpEntry::Int(v) = m {
                lp.append_int(v);
            }
        }
        self.repr = Repr::Packed(lp.into_bytes().into_boxed_slice());
    }

    fn edit_intset<R>(&mut self, growing: bool, edit: impl FnOnce(&mut Intset) -> R) -> R {
        match &mut self.repr {
            Repr::Packed(b) => packed::edit_intset(b, growing, edit),
            Repr::Table(_) => unreachable!("edit_intset on a table"),
        }
    }

    fn edit_listpack<R>(&mut self, edit: impl FnOnce(&mut Listpack) -> R) -> R {
        match &mut self.repr {
            Repr::Packed(b) => packed::edit_listpack(b, edit),
            Repr::Table(_) => unreachable!("edit_listpack on a table"),
        }
    }

    /// How many allocations freeing this set takes: above
    /// [`crate::value::LAZYFREE_THRESHOLD`] UNLINK frees it in the background.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Packed(_) => 1,
            Repr::Table(t) => t.len(),
        }
    }

    /// Heap bytes owned by the set (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Packed(b) => b.len(),
            Repr::Table(t) => {
                std::mem::size_of::<SetTable>()
                    + t.overhead_bytes()
                    + t.iter().map(SetEntry::heap_size).sum::<usize>()
            }
        }
    }
}

/// Whether an intset plus one non-integer member of `len` bytes may become
/// a listpack (the check in Redis's `setTypeAddAux`): fewer members than
/// the listpack entry limit, the new member and the widest integer (by
/// its decimal length) within the value limit, and the listpack size,
/// estimated as if every integer were as wide as the widest, within the
/// safety size.
fn intset_fits_listpack(is: crate::intset::IntsetRef<'_>, len: usize, limits: SetLimits) -> bool {
    let n = is.len();
    let (mut widest, mut estimate) = (0, 0);
    if let (Some(min), Some(max)) = (is.min(), is.max()) {
        for v in [min, max] {
            let mut digits = itoa::Buffer::new();
            let text = digits.format(v).as_bytes();
            widest = widest.max(text.len());
            let per_entry = Listpack::entry_len_for(text);
            estimate = estimate.max(7usize.saturating_add(per_entry.saturating_mul(n)));
        }
    }
    n < limits.max_listpack_entries
        && len <= limits.max_listpack_value
        && widest <= limits.max_listpack_value
        && estimate.saturating_add(len) <= Listpack::MAX_SAFETY_SIZE
}

/// Iterator over a set's members.
pub enum Iter<'a> {
    /// Over intset members, ascending.
    Intset(crate::intset::Iter<'a>),
    /// Over listpack entries, in order.
    Listpack(crate::listpack::Iter<'a>),
    /// Over table entries.
    Table(crate::dict::Iter<'a, SetEntry>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Intset(it) => it.next().map(LpEntry::Int),
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it.next().map(|e| LpEntry::Str(e.member())),
        }
    }
}
