//! [`ZSet`]: the sorted set data type, in Redis's two encodings.
//!
//! * `listpack`: member, score, member, score, ... in one listpack, kept in
//!   order (see `packed.rs`). Small and cache-friendly; operations walk it.
//! * `skiplist`: a rank-aware B+tree ([`btree`]) plus a member → score
//!   table ([`SkipList`]). `OBJECT ENCODING` still says `skiplist`, the
//!   name clients and the TCL suite know.
//!
//! Conversions happen exactly where Redis 7.2 makes them: a new sorted set
//! is created big when the write that creates it brings more elements than
//! `zset-max-listpack-entries` or a first member longer than
//! `zset-max-listpack-value` (`zsetTypeCreate`), an existing small one is
//! converted before a write bringing more elements than the entry limit
//! (`zsetTypeMaybeConvert`) and before adding a member that would pass
//! either limit (`zsetAdd`). A big sorted set only becomes small again when
//! a store command builds a result that fits ([`ZSet::from_skiplist`]).
//!
//! Memory: like a hash, the listpack is an exactly-sized `Box<[u8]>`, so a
//! `ZSet` is 16 bytes and lives inside the key's `Value` with no allocation
//! besides the listpack itself.

pub mod btree;
mod packed;
mod random;
pub mod range;
mod skiplist;

pub use packed::score_of;
pub use range::{LexBound, LexRange, ScoreRange};
pub use skiplist::{ScoreEntry, SkipList, TreeIter, TreeRevIter};

use crate::listpack::{Listpack, ListpackRef, LpEntry};
use packed::PackedIter;

/// The conversion thresholds (`zset-max-listpack-entries`,
/// `zset-max-listpack-value`), copied from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZSetLimits {
    /// Most elements a listpack-encoded sorted set may hold.
    pub max_listpack_entries: usize,
    /// Longest member (in bytes) a listpack-encoded sorted set may hold.
    pub max_listpack_value: usize,
}

impl Default for ZSetLimits {
    /// Redis 7.2's defaults: 128 entries, 64 bytes.
    fn default() -> Self {
        ZSetLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        }
    }
}

/// A member as read: listpacks keep canonical integers as integers, so a
/// member may come back as `Int` (write it in decimal).
pub type Member<'a> = LpEntry<'a>;

/// A score as stored: a listpack entry (integer or text) or a number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Score<'a> {
    /// The score entry of a listpack pair, exactly as written.
    Packed(LpEntry<'a>),
    /// A score held as a number.
    Value(f64),
}

impl Score<'_> {
    /// The score as a number.
    pub fn value(self) -> f64 {
        match self {
            Score::Packed(e) => score_of(e),
            Score::Value(v) => v,
        }
    }
}

/// Options of one ZADD/ZINCRBY element update (Redis's `ZADD_IN_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddFlags {
    /// Add the score to the current one (0 for a new member).
    pub incr: bool,
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
}

/// What adding one element did (Redis's `ZADD_OUT_*` flags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// A new member with this score.
    Added(f64),
    /// An existing member whose score changed to this.
    Updated(f64),
    /// An existing member that already had this score.
    Unchanged(f64),
    /// Nothing done because of NX, XX, GT or LT.
    Skipped,
    /// The score (or the incremented score) is NaN; nothing done.
    NotANumber,
}

/// A sorted set value. 16 bytes.
pub struct ZSet {
    repr: Repr,
}

enum Repr {
    /// Listpack bytes, exactly sized: member, score, member, score, ...
    Listpack(Box<[u8]>),
    /// The big encoding.
    SkipList(Box<SkipList>),
}

impl Clone for ZSet {
    /// A deep copy in the same encoding (COPY).
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Listpack(b) => Repr::Listpack(b.clone()),
            Repr::SkipList(s) => Repr::SkipList(s.clone()),
        };
        ZSet { repr }
    }
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(m, s)| (String::from_utf8_lossy(&m.to_vec()).into_owned(), s.value())),
            )
            .finish()
    }
}

/// What stops a listpack add: the element must go to the big encoding.
struct NeedsConversion;

impl ZSet {
    /// An empty listpack-encoded sorted set.
    pub fn new() -> ZSet {
        ZSet {
            repr: Repr::Listpack(Listpack::new().into_bytes().into_boxed_slice()),
        }
    }

    /// An empty sorted set in the encoding a write of about `size_hint`
    /// elements, the first `val_len_hint` bytes long, starts with (Redis's
    /// `zsetTypeCreate`).
    pub fn create(size_hint: usize, val_len_hint: usize, limits: ZSetLimits) -> ZSet {
        if size_hint <= limits.max_listpack_entries && val_len_hint <= limits.max_listpack_value {
            ZSet::new()
        } else {
            ZSet {
                repr: Repr::SkipList(Box::default()),
            }
        }
    }

    /// Builds a sorted set from elements in ascending order with distinct
    /// members, in the encoding adding them one by one would end in: a
    /// listpack when they fit the limits, else the big encoding (what
    /// ZRANGESTORE produces).
    pub fn from_sorted(items: &[(Vec<u8>, f64)], limits: ZSetLimits) -> ZSet {
        let fits = items.len() <= limits.max_listpack_entries
            && items
                .iter()
                .all(|(m, _)| m.len() <= limits.max_listpack_value)
            && items.iter().map(|(m, _)| m.len()).sum::<usize>() <= Listpack::MAX_SAFETY_SIZE;
        if fits {
            let mut lp = Listpack::new();
            for (m, s) in items {
                packed::push(&mut lp, m, *s);
            }
            ZSet {
                repr: Repr::Listpack(lp.into_bytes().into_boxed_slice()),
            }
        } else {
            let mut sl = SkipList::new();
            for (m, s) in items {
                sl.insert_new(m, *s);
            }
            ZSet {
                repr: Repr::SkipList(Box::new(sl)),
            }
        }
    }

    /// Adopts listpack bytes that were validated as (member, score) pairs
    /// in order with distinct members (loading a serialized sorted set).
    pub(crate) fn from_listpack_bytes(bytes: Box<[u8]>) -> ZSet {
        ZSet {
            repr: Repr::Listpack(bytes),
        }
    }

    /// Wraps a result built in the big encoding, converted to a listpack
    /// when it fits the limits (Redis's `zsetConvertToListpackIfNeeded`,
    /// as ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE do): `max_len` is the
    /// longest member, `total_len` the sum of the member lengths.
    pub fn from_skiplist(
        sl: SkipList,
        max_len: usize,
        total_len: usize,
        limits: ZSetLimits,
    ) -> ZSet {
        let mut z = ZSet {
            repr: Repr::SkipList(Box::new(sl)),
        };
        if z.len() <= limits.max_listpack_entries
            && max_len <= limits.max_listpack_value
            && total_len <= Listpack::MAX_SAFETY_SIZE
        {
            z.convert_to_listpack();
        }
        z
    }

    /// Converts a listpack before a write of `size_hint` elements that
    /// could not all fit (Redis's `zsetTypeMaybeConvert`).
    pub fn maybe_convert(&mut self, size_hint: usize, limits: ZSetLimits) {
        if matches!(self.repr, Repr::Listpack(_)) && size_hint > limits.max_listpack_entries {
            self.convert_to_skiplist();
        }
    }

    /// Moves the elements into the big encoding; nothing happens when
    /// already converted.
    pub fn convert_to_skiplist(&mut self) {
        if let Repr::Listpack(b) = &self.repr {
            let sl = skiplist_from(ListpackRef::new(b));
            self.repr = Repr::SkipList(Box::new(sl));
        }
    }

    /// Moves the elements into a listpack, in order.
    fn convert_to_listpack(&mut self) {
        if let Repr::SkipList(sl) = &self.repr {
            let mut lp = Listpack::new();
            for (s, m) in sl.tree().iter() {
                packed::push(&mut lp, m, s);
            }
            self.repr = Repr::Listpack(lp.into_bytes().into_boxed_slice());
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) => packed::pairs(ListpackRef::new(b)),
            Repr::SkipList(s) => s.len(),
        }
    }

    /// True when there are no elements (the key is then deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::SkipList(_) => "skiplist",
        }
    }

    /// The listpack bytes while listpack-encoded (DEBUG LISTPACK, DUMP).
    pub fn listpack_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(b) => Some(b),
            Repr::SkipList(_) => None,
        }
    }

    /// The big encoding, when in use.
    pub fn skiplist(&self) -> Option<&SkipList> {
        match &self.repr {
            Repr::Listpack(_) => None,
            Repr::SkipList(s) => Some(s),
        }
    }

    /// The score of `member` (Redis's `zsetScore`).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack(b) => packed::find(ListpackRef::new(b), member).map(|(_, s)| s),
            Repr::SkipList(s) => s.score(member),
        }
    }

    /// Adds or updates one element (Redis's `zsetAdd`), converting to the
    /// big encoding when the element would not fit the listpack.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: AddFlags,
        limits: ZSetLimits,
    ) -> AddOutcome {
        let mut outcome = AddOutcome::Skipped;
        self.add_all(&[(score, member)], flags, limits, |o| {
            outcome = o;
            true
        });
        outcome
    }

    /// Adds or updates elements in order, as ZADD does, reporting each
    /// outcome to `each`; stops after an element whose outcome is
    /// [`AddOutcome::NotANumber`] or for which `each` returns false. A
    /// listpack is edited in place across the whole batch.
    pub fn add_all(
        &mut self,
        items: &[(f64, &[u8])],
        flags: AddFlags,
        limits: ZSetLimits,
        mut each: impl FnMut(AddOutcome) -> bool,
    ) {
        let mut done = 0;
        if let Repr::Listpack(b) = &mut self.repr {
            let mut lp = Listpack::from_trusted_bytes(std::mem::take(b).into_vec());
            let mut convert = false;
            while done < items.len() {
                let (score, member) = items[done];
                match packed_add(&mut lp, score, member, flags, limits) {
                    Ok(outcome) => {
                        done += 1;
                        if !each(outcome) || outcome == AddOutcome::NotANumber {
                            done = items.len();
                        }
                    }
                    Err(NeedsConversion) => {
                        convert = true;
                        break;
                    }
                }
            }
            if convert {
                self.repr = Repr::SkipList(Box::new(skiplist_from(lp.view())));
            } else {
                *b = lp.into_bytes().into_boxed_slice();
                return;
            }
        }
        if let Repr::SkipList(sl) = &mut self.repr {
            for &(score, member) in &items[done..] {
                let outcome = skiplist_add(sl, score, member, flags);
                if !each(outcome) || outcome == AddOutcome::NotANumber {
                    break;
                }
            }
        }
    }

    /// Removes `member`; true when it was present. The big encoding is
    /// never converted back.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(b) => {
                let Some((pos, _)) = packed::find(ListpackRef::new(b), member) else {
                    return false;
                };
                edit_listpack(b, |lp| packed::delete(lp, pos));
                true
            }
            Repr::SkipList(s) => s.remove(member).is_some(),
        }
    }

    /// The 0-based rank of `member` (from the highest when `reverse`) and
    /// its score (Redis's `zsetRank`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<(usize, f64)> {
        let len = self.len();
        let (rank, score) = match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                PackedIter::from_rank(lp, 0, false)
                    .enumerate()
                    .find(|(_, (m, _))| m.eq_bytes(member))
                    .map(|(i, (_, s))| (i, score_of(s)))?
            }
            Repr::SkipList(s) => s.rank(member)?,
        };
        Some((if reverse { len - 1 - rank } else { rank }, score))
    }

    /// All elements, lowest first.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Elements from rank `rank` towards the highest, or towards the lowest
    /// when `reverse` (empty if `rank >= len()`).
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Iter<'_> {
        match &self.repr {
            Repr::Listpack(b) => {
                Iter::Packed(PackedIter::from_rank(ListpackRef::new(b), rank, reverse))
            }
            Repr::SkipList(s) if reverse => Iter::Backward(s.rev_iter_from_rank(rank)),
            Repr::SkipList(s) => Iter::Forward(s.iter_from_rank(rank)),
        }
    }

    /// Rank of the lowest element in the score range (`zzlFirstInRange`,
    /// `zslFirstInRange`).
    pub fn first_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(b) => {
                packed::first_in_score_range(ListpackRef::new(b), range).map(|r| r.0)
            }
            Repr::SkipList(s) => s.tree().first_in_score_range(range),
        }
    }

    /// Rank of the highest element in the score range.
    pub fn last_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(b) => {
                packed::last_in_score_range(ListpackRef::new(b), range).map(|r| r.0)
            }
            Repr::SkipList(s) => s.tree().last_in_score_range(range),
        }
    }

    /// Rank of the lowest element in the lex range.
    pub fn first_in_lex_range(&self, range: &LexRange<'_>) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(b) => {
                packed::first_in_lex_range(ListpackRef::new(b), range).map(|r| r.0)
            }
            Repr::SkipList(s) => s.tree().first_in_lex_range(range.min, range.max),
        }
    }

    /// Rank of the highest element in the lex range.
    pub fn last_in_lex_range(&self, range: &LexRange<'_>) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(b) => packed::last_in_lex_range(ListpackRef::new(b), range).map(|r| r.0),
            Repr::SkipList(s) => s.tree().last_in_lex_range(range.min, range.max),
        }
    }

    /// Number of elements in the score range (ZCOUNT): a walk from the
    /// first in range for a listpack, two rank lookups otherwise.
    pub fn count_in_score_range(&self, range: &ScoreRange) -> usize {
        match &self.repr {
            Repr::Listpack(_) => match self.first_in_score_range(range) {
                Some(first) => self
                    .iter_from(first, false)
                    .take_while(|(_, s)| range.below_max(s.value()))
                    .count(),
                None => 0,
            },
            Repr::SkipList(s) => s.tree().count_in_score_range(range),
        }
    }

    /// Number of elements in the lex range (ZLEXCOUNT).
    pub fn count_in_lex_range(&self, range: &LexRange<'_>) -> usize {
        match &self.repr {
            Repr::Listpack(_) => match self.first_in_lex_range(range) {
                Some(first) => self
                    .iter_from(first, false)
                    .take_while(|(m, _)| m.with_bytes(|m| range.below_max(m)))
                    .count(),
                None => 0,
            },
            Repr::SkipList(s) => s.tree().count_in_lex_range(range.min, range.max),
        }
    }

    /// Removes the elements of ranks `start..=end` (valid ranks, `start <=
    /// end`); returns how many.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        match &mut self.repr {
            Repr::Listpack(b) => {
                edit_listpack(b, |lp| packed::delete_range_by_rank(lp, start, end))
            }
            Repr::SkipList(s) => s.delete_range_by_rank(start, end),
        }
    }

    /// Removes the elements in the score range; returns how many.
    pub fn delete_range_by_score(&mut self, range: &ScoreRange) -> usize {
        match &mut self.repr {
            Repr::Listpack(b) => edit_listpack(b, |lp| packed::delete_range_by_score(lp, range)),
            Repr::SkipList(s) => s.delete_range_by_score(range),
        }
    }

    /// Removes the elements in the lex range; returns how many.
    pub fn delete_range_by_lex(&mut self, range: &LexRange<'_>) -> usize {
        match &mut self.repr {
            Repr::Listpack(b) => edit_listpack(b, |lp| packed::delete_range_by_lex(lp, range)),
            Repr::SkipList(s) => s.delete_range_by_lex(range),
        }
    }

    /// Removes and returns the lowest element, or the highest when `max`.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        match &mut self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                let pos = if max { lp.seek(-2)? } else { lp.first()? };
                let (m, s) = packed::pair_at(lp, pos)?;
                let popped = (m.to_vec(), score_of(s));
                edit_listpack(b, |lp| packed::delete(lp, pos));
                Some(popped)
            }
            Repr::SkipList(s) => s.pop(max).map(|(m, s)| (m.to_vec(), s)),
        }
    }

    /// One ZSCAN step. The big encoding visits the table bucket(s) at
    /// `cursor` and returns the next cursor (Redis's `dictScan`); a
    /// listpack visits every pair and returns 0, since it is small.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Member<'_>, Score<'_>)) -> u64 {
        match &self.repr {
            Repr::Listpack(_) => {
                for (m, s) in self.iter() {
                    visit(m, s);
                }
                0
            }
            Repr::SkipList(s) => s.scan(cursor, |m, v| visit(LpEntry::Str(m), Score::Value(v))),
        }
    }

    /// How many allocations freeing this sorted set takes: above
    /// [`crate::value::LAZYFREE_THRESHOLD`] UNLINK frees it in the background.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Listpack(_) => 1,
            Repr::SkipList(s) => s.len(),
        }
    }

    /// Heap bytes owned by the sorted set (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) => b.len(),
            Repr::SkipList(s) => std::mem::size_of::<SkipList>() + s.heap_size(),
        }
    }
}

/// Copies a listpack's pairs into the big encoding (in order, which fills
/// the tree's leaves).
fn skiplist_from(lp: ListpackRef<'_>) -> SkipList {
    let mut sl = SkipList::new();
    for (m, s) in PackedIter::from_rank(lp, 0, false) {
        m.with_bytes(|m| sl.insert_new(m, score_of(s)));
    }
    sl
}

/// `zsetAdd` on a listpack; `Err` when the element needs the big encoding
/// (the caller converts and retries it there).
fn packed_add(
    lp: &mut Listpack,
    score: f64,
    member: &[u8],
    flags: AddFlags,
    limits: ZSetLimits,
) -> Result<AddOutcome, NeedsConversion> {
    if score.is_nan() {
        return Ok(AddOutcome::NotANumber);
    }
    match packed::find(lp.view(), member) {
        Some((pos, current)) => {
            let Some(new) = updated_score(score, current, flags) else {
                return Ok(AddOutcome::Skipped);
            };
            if new.is_nan() {
                return Ok(AddOutcome::NotANumber);
            }
            if !allows_update(new, current, flags) {
                return Ok(AddOutcome::Skipped);
            }
            if new == current {
                return Ok(AddOutcome::Unchanged(new));
            }
            packed::delete(lp, pos);
            packed::insert(lp, member, new);
            Ok(AddOutcome::Updated(new))
        }
        None if flags.xx => Ok(AddOutcome::Skipped),
        None => {
            if packed::pairs(lp.view()) + 1 > limits.max_listpack_entries
                || member.len() > limits.max_listpack_value
                || !lp.safe_to_add(member.len())
            {
                return Err(NeedsConversion);
            }
            packed::insert(lp, member, score);
            Ok(AddOutcome::Added(score))
        }
    }
}

/// `zsetAdd` on the big encoding.
fn skiplist_add(sl: &mut SkipList, score: f64, member: &[u8], flags: AddFlags) -> AddOutcome {
    if score.is_nan() {
        return AddOutcome::NotANumber;
    }
    match sl.score(member) {
        Some(current) => {
            let Some(new) = updated_score(score, current, flags) else {
                return AddOutcome::Skipped;
            };
            if new.is_nan() {
                return AddOutcome::NotANumber;
            }
            if !allows_update(new, current, flags) {
                return AddOutcome::Skipped;
            }
            if new == current {
                return AddOutcome::Unchanged(new);
            }
            sl.update_score(member, new);
            AddOutcome::Updated(new)
        }
        None if flags.xx => AddOutcome::Skipped,
        None => {
            sl.insert_new(member, score);
            AddOutcome::Added(score)
        }
    }
}

/// The score an existing member would get, `None` under NX.
fn updated_score(score: f64, current: f64, flags: AddFlags) -> Option<f64> {
    if flags.nx {
        None
    } else if flags.incr {
        Some(score + current)
    } else {
        Some(score)
    }
}

/// GT/LT: whether an existing member's score may change to `new`.
fn allows_update(new: f64, current: f64, flags: AddFlags) -> bool {
    !((flags.lt && new >= current) || (flags.gt && new <= current))
}

/// Rebuilds the `Listpack` around the bytes in `slot`, runs `edit` on it
/// and stores the result back, exactly sized.
fn edit_listpack<R>(slot: &mut Box<[u8]>, edit: impl FnOnce(&mut Listpack) -> R) -> R {
    let mut lp = Listpack::from_trusted_bytes(std::mem::take(slot).into_vec());
    let result = edit(&mut lp);
    *slot = lp.into_bytes().into_boxed_slice();
    result
}

/// Iterator over a sorted set's (member, score) pairs in rank order.
pub enum Iter<'a> {
    /// Over listpack pairs.
    Packed(PackedIter<'a>),
    /// Over the tree, ascending.
    Forward(TreeIter<'a>),
    /// Over the tree, descending.
    Backward(TreeRevIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Member<'a>, Score<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => it.next().map(|(m, s)| (m, Score::Packed(s))),
            Iter::Forward(it) => it.next().map(|(s, m)| (LpEntry::Str(m), Score::Value(s))),
            Iter::Backward(it) => it.next().map(|(s, m)| (LpEntry::Str(m), Score::Value(s))),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Packed(it) => it.size_hint(),
            Iter::Forward(it) => it.size_hint(),
            Iter::Backward(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests;
