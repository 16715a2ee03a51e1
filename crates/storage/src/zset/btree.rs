//! [`ZsetTree`]: the ordered index of large sorted sets, a B+tree that knows
//! ranks.
//!
//! Redis keeps large sorted sets in a skiplist: one node per element holding
//! a pointer to the member, the score, a back pointer and 1.33 levels of
//! (forward pointer, span) on average, plus a separate `sds` allocation for
//! the member. That is about 70 bytes and two allocations per element, and
//! every step of a search is a cache miss. This tree answers the same
//! questions (by key, by rank, by score range, by lex range) with the same
//! complexities, but stores elements in leaves of [`DEFAULT_LEAF_CAP`]
//! entries: scores in one array (so a binary search walks a few cache lines)
//! and members, inline when up to 22 bytes ([`SmallBytes`]), in another.
//! Interior nodes keep, per child, the number of elements below it, which is
//! what makes rank queries O(log n). The server still reports this encoding
//! as `skiplist` (OBJECT ENCODING) for compatibility.
//!
//! # Order
//!
//! Elements are ordered exactly like Redis orders a zset: by score, then by
//! member bytes (`memcmp`, a proper prefix sorts first). Scores are compared
//! with the IEEE `<`/`==` operators, as Redis's C code does, so `-0.0` and
//! `0.0` are *equal* scores and elements carrying either are ordered among
//! themselves by member; `-inf` and `+inf` are ordinary values at both ends.
//! NaN is never stored (callers reject it, as Redis does); [`compare`]
//! documents what would happen to one.
//!
//! # Structure and invariants
//!
//! * All elements live in leaves, sorted, at the same depth.
//! * An interior node with children `c0..ck` keeps separators `s0..s(k-1)`
//!   such that every key in `cj` is `< sj` and every key in `c(j+1)` is
//!   `>= sj`. Separators are copies of keys that were first in a leaf when
//!   it was split or rebalanced; deleting that element later does not
//!   invalidate them.
//! * `counts[j]` is the number of elements below `cj`.
//! * Leaves other than the root hold between `LEAF / 2` and `LEAF` entries,
//!   interior nodes other than the root between `ceil(FANOUT / 2)` and
//!   `FANOUT` children; an interior root has at least two children.
//! * Unused member slots of a leaf hold the empty inline string, so moving
//!   entries around is plain swapping and rotating: no `unsafe` anywhere.
//!
//! There are no sibling or parent links: an iterator re-descends from the
//! root (by rank) once per leaf, which costs O(log n) per `LEAF` elements.
//! Mutations recurse along one root-to-leaf path (depth is logarithmic:
//! about 4 levels for a million elements) and repair underfull nodes on the
//! way back up, borrowing from or merging with a sibling.
//!
//! To keep leaves full, an insert into a full leaf first moves entries to a
//! neighbour that has room and only splits when both are full. Appending in
//! order (timestamps as scores, a listpack being converted) fills leaves to
//! about 98%, random inserts to about 85% (34 and 39 heap bytes per element
//! with inline members, against about 70 for a skiplist node and its sds).

use std::cmp::Ordering;
use std::fmt;
use std::iter::FusedIterator;
use std::mem;

use super::range::ScoreRange;
use crate::bytes::INLINE_CAP;
use crate::SmallBytes;

/// Entries per leaf in the production configuration: a leaf is then
/// 8 + 63 * 32 = 2024 bytes, just under jemalloc's 2048-byte size class.
pub const DEFAULT_LEAF_CAP: usize = 63;

/// Children per interior node in the production configuration.
pub const DEFAULT_FANOUT: usize = 64;

/// The filler of unused member slots: inline and empty, so it never owns heap
/// memory and can be swapped in and out freely.
const EMPTY: SmallBytes = SmallBytes::Inline {
    len: 0,
    data: [0; INLINE_CAP],
};

/// The total order of sorted-set elements, as Redis defines it: by score
/// (IEEE comparison, so `-0.0 == 0.0`), ties broken by `memcmp` of the
/// members with the shorter of two equal prefixes first.
///
/// A NaN score (never stored: callers reject it) would compare equal to every
/// score and be ordered by member only.
#[inline]
pub fn compare(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    if score_a < score_b {
        Ordering::Less
    } else if score_a > score_b {
        Ordering::Greater
    } else {
        member_a.cmp(member_b)
    }
}

/// One end of a ZRANGEBYLEX-style member range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexBound<'a> {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[value`: the value itself is in range.
    Inclusive(&'a [u8]),
    /// `(value`: the value itself is out of range.
    Exclusive(&'a [u8]),
}

impl<'a> LexBound<'a> {
    /// Parses a ZRANGEBYLEX argument: `-`, `+`, `[member` or `(member`.
    /// `None` means the argument is malformed (Redis then replies "min or
    /// max not valid string range item").
    ///
    /// Like Redis, which checks the byte after `+`/`-` against the C string
    /// terminator, `+` or `-` followed by a NUL byte and anything else is
    /// accepted as the bare `+`/`-`.
    pub fn parse(arg: &'a [u8]) -> Option<Self> {
        let (&first, rest) = arg.split_first()?;
        let bare = !matches!(rest.first(), Some(&b) if b != 0);
        match first {
            b'+' if bare => Some(LexBound::Max),
            b'-' if bare => Some(LexBound::Min),
            b'[' => Some(LexBound::Inclusive(rest)),
            b'(' => Some(LexBound::Exclusive(rest)),
            _ => None,
        }
    }

    /// Whether `member` is at or after this bound used as a range minimum
    /// (Redis's `zslLexValueGteMin`).
    pub fn admits_from_below(self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(v) => member >= v,
            LexBound::Exclusive(v) => member > v,
        }
    }

    /// Whether `member` is at or before this bound used as a range maximum
    /// (Redis's `zslLexValueLteMax`).
    pub fn admits_from_above(self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(v) => member <= v,
            LexBound::Exclusive(v) => member < v,
        }
    }

    /// Whether the bound excludes its own value (`-` and `+` count as
    /// exclusive, as in Redis).
    fn is_exclusive(self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }
}

/// Whether a lex range can contain nothing whatever the members are: min
/// after max, or equal bounds with either end exclusive (so `- -`, `+ +` and
/// `(a [a` are empty while `[a [a` is not).
pub fn lex_range_is_empty(min: LexBound, max: LexBound) -> bool {
    use LexBound::*;
    let order = match (min, max) {
        (Min, Min) | (Max, Max) => Ordering::Equal,
        (Min, _) | (_, Max) => Ordering::Less,
        (Max, _) | (_, Min) => Ordering::Greater,
        (Inclusive(a) | Exclusive(a), Inclusive(b) | Exclusive(b)) => a.cmp(b),
    };
    order == Ordering::Greater
        || (order == Ordering::Equal && (min.is_exclusive() || max.is_exclusive()))
}

/// A separator in an interior node: a copy of some element's key.
#[derive(Clone)]
struct Key {
    score: f64,
    member: SmallBytes,
}

impl Key {
    #[inline]
    fn cmp_to(&self, score: f64, member: &[u8]) -> Ordering {
        compare(self.score, &self.member, score, member)
    }
}

/// A leaf: up to `L` sorted entries, scores and members in parallel arrays.
#[derive(Clone)]
struct Leaf<const L: usize> {
    len: usize,
    scores: [f64; L],
    /// `members[len..]` are all [`EMPTY`].
    members: [SmallBytes; L],
}

impl<const L: usize> Leaf<L> {
    fn boxed() -> Box<Self> {
        Box::new(Leaf {
            len: 0,
            scores: [0.0; L],
            members: [EMPTY; L],
        })
    }

    #[inline]
    fn entry(&self, i: usize) -> (f64, &[u8]) {
        (self.scores[i], &self.members[i])
    }

    fn key(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            member: self.members[i].clone(),
        }
    }

    /// Index of the first entry not less than (`score`, `member`).
    fn lower_bound(&self, score: f64, member: &[u8]) -> usize {
        self.partition_point(|s, m| compare(s, m, score, member) == Ordering::Less)
    }

    fn find(&self, score: f64, member: &[u8]) -> Option<usize> {
        let i = self.lower_bound(score, member);
        (i < self.len && compare(self.scores[i], &self.members[i], score, member).is_eq())
            .then_some(i)
    }

    /// Index of the first entry for which `pred` is false, assuming it is
    /// true for a prefix of the entries and false afterwards.
    fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.scores[mid], &self.members[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn insert_at(&mut self, i: usize, score: f64, member: SmallBytes) {
        debug_assert!(self.len < L && i <= self.len);
        let len = self.len;
        self.members[i..=len].rotate_right(1);
        self.members[i] = member;
        self.scores.copy_within(i..len, i + 1);
        self.scores[i] = score;
        self.len += 1;
    }

    /// Removes entries `i..i + k`, handing each to `sink` in order.
    fn remove_run(&mut self, i: usize, k: usize, sink: &mut dyn FnMut(f64, SmallBytes)) {
        debug_assert!(i + k <= self.len);
        let len = self.len;
        for j in i..i + k {
            sink(self.scores[j], mem::replace(&mut self.members[j], EMPTY));
        }
        self.members[i..len].rotate_left(k);
        self.scores.copy_within(i + k..len, i);
        self.len -= k;
    }

    /// Removes what `target` designates, at most `max` consecutive entries
    /// for a rank (exactly one for a key). Returns how many were removed.
    fn remove_target(
        &mut self,
        target: Target,
        max: usize,
        sink: &mut dyn FnMut(f64, SmallBytes),
    ) -> usize {
        let (pos, k) = match target {
            Target::Rank(r) if r < self.len => (r, max.min(self.len - r)),
            Target::Rank(_) => return 0,
            Target::Key(score, member) => match self.find(score, member) {
                Some(pos) => (pos, 1),
                None => return 0,
            },
        };
        self.remove_run(pos, k, sink);
        k
    }

    /// Moves the first `m` entries of `right` to the end of `left`.
    fn move_to_left(left: &mut Self, right: &mut Self, m: usize) {
        let (ll, rl) = (left.len, right.len);
        debug_assert!(m <= rl && ll + m <= L);
        left.scores[ll..ll + m].copy_from_slice(&right.scores[..m]);
        left.members[ll..ll + m].swap_with_slice(&mut right.members[..m]);
        right.members[..rl].rotate_left(m);
        right.scores.copy_within(m..rl, 0);
        left.len += m;
        right.len -= m;
    }

    /// Moves the last `m` entries of `left` to the front of `right`.
    fn move_to_right(left: &mut Self, right: &mut Self, m: usize) {
        let (ll, rl) = (left.len, right.len);
        debug_assert!(m <= ll && rl + m <= L);
        right.members[..rl + m].rotate_right(m);
        right.scores.copy_within(0..rl, m);
        right.members[..m].swap_with_slice(&mut left.members[ll - m..ll]);
        right.scores[..m].copy_from_slice(&left.scores[ll - m..ll]);
        left.len -= m;
        right.len += m;
    }

    /// Moves the upper half of the entries to a new leaf.
    fn split(&mut self) -> Box<Self> {
        let mut right = Self::boxed();
        let keep = self.len.div_ceil(2);
        Self::move_to_right(self, &mut right, self.len - keep);
        right
    }
}

/// The children of an interior node: all leaves or all interior nodes, since
/// every leaf is at the same depth.
enum Children<const L: usize, const I: usize> {
    Leaves(Vec<Box<Leaf<L>>>),
    Internals(Vec<Internal<L, I>>),
}

/// An interior node: up to `I` children (`I + 1` transiently, between an
/// insert below and the split that follows), their element counts, and the
/// separators between them.
struct Internal<const L: usize, const I: usize> {
    seps: Vec<Key>,
    counts: Vec<usize>,
    children: Children<L, I>,
}

/// Moves the first `k` items of `src` to the end of `dst`.
fn append_front<T>(dst: &mut Vec<T>, src: &mut Vec<T>, k: usize) {
    dst.extend(src.drain(..k));
}

/// Moves the items of `src` from `from` on to the front of `dst`.
fn prepend_tail<T>(dst: &mut Vec<T>, src: &mut Vec<T>, from: usize) {
    dst.splice(0..0, src.drain(from..));
}

/// Moves `v[at..]` to a new vector of capacity `cap` (`split_off` would size
/// it to fit, and the next push would double it).
fn split_off_with_capacity<T>(v: &mut Vec<T>, at: usize, cap: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(cap);
    out.extend(v.drain(at..));
    out
}

/// Copies `src` into a vector of capacity `cap`.
fn clone_with_capacity<T: Clone>(src: &[T], cap: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(cap.max(src.len()));
    out.extend_from_slice(src);
    out
}

/// Mutable references to `v[i]` and `v[i + 1]`.
fn pair_mut<T>(v: &mut [T], i: usize) -> (&mut T, &mut T) {
    let (a, b) = v.split_at_mut(i + 1);
    (&mut a[i], &mut b[0])
}

const SAME_HEIGHT: &str = "siblings always sit at the same height";

impl<const L: usize, const I: usize> Children<L, I> {
    fn len(&self) -> usize {
        match self {
            Children::Leaves(v) => v.len(),
            Children::Internals(v) => v.len(),
        }
    }

    fn split_off(&mut self, at: usize) -> Self {
        match self {
            Children::Leaves(v) => Children::Leaves(split_off_with_capacity(v, at, I + 1)),
            Children::Internals(v) => Children::Internals(split_off_with_capacity(v, at, I + 1)),
        }
    }

    /// Moves the first `k` children of `src` to the end of `self`.
    fn take_front_of(&mut self, src: &mut Self, k: usize) {
        match (self, src) {
            (Children::Leaves(d), Children::Leaves(s)) => append_front(d, s, k),
            (Children::Internals(d), Children::Internals(s)) => append_front(d, s, k),
            _ => unreachable!("{SAME_HEIGHT}"),
        }
    }

    /// Moves the children of `src` from `from` on to the front of `self`.
    fn take_tail_of(&mut self, src: &mut Self, from: usize) {
        match (self, src) {
            (Children::Leaves(d), Children::Leaves(s)) => prepend_tail(d, s, from),
            (Children::Internals(d), Children::Internals(s)) => prepend_tail(d, s, from),
            _ => unreachable!("{SAME_HEIGHT}"),
        }
    }
}

impl<const L: usize, const I: usize> Clone for Children<L, I> {
    fn clone(&self) -> Self {
        match self {
            Children::Leaves(v) => Children::Leaves(clone_with_capacity(v, I + 1)),
            Children::Internals(v) => Children::Internals(clone_with_capacity(v, I + 1)),
        }
    }
}

impl<const L: usize, const I: usize> Clone for Internal<L, I> {
    fn clone(&self) -> Self {
        Internal {
            seps: clone_with_capacity(&self.seps, I),
            counts: clone_with_capacity(&self.counts, I + 1),
            children: self.children.clone(),
        }
    }
}

impl<const L: usize, const I: usize> Internal<L, I> {
    /// A node over `children`, whose counts and separators the caller adds.
    fn with_children(children: Children<L, I>) -> Self {
        Internal {
            seps: Vec::with_capacity(I),
            counts: Vec::with_capacity(I + 1),
            children,
        }
    }

    fn width(&self) -> usize {
        self.counts.len()
    }

    fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The child whose key interval contains (`score`, `member`).
    #[inline]
    fn child_for_key(&self, score: f64, member: &[u8]) -> usize {
        self.seps
            .partition_point(|k| k.cmp_to(score, member) != Ordering::Greater)
    }

    /// The child holding the element of rank `rank` below this node, and
    /// that element's rank within the child.
    #[inline]
    fn child_for_rank(&self, mut rank: usize) -> Option<(usize, usize)> {
        for (i, &c) in self.counts.iter().enumerate() {
            if rank < c {
                return Some((i, rank));
            }
            rank -= c;
        }
        None
    }

    /// Splits an overfull node: the upper half of the children moves to a
    /// new node, and the separator between the halves is returned for the
    /// parent.
    fn split(&mut self) -> (Key, Self) {
        let keep = self.width().div_ceil(2);
        let seps = split_off_with_capacity(&mut self.seps, keep, I);
        let up = self.seps.remove(keep - 1);
        let right = Internal {
            seps,
            counts: split_off_with_capacity(&mut self.counts, keep, I + 1),
            children: self.children.split_off(keep),
        };
        (up, right)
    }

    /// Inserts below this node; the caller splits it if it overflows.
    fn insert(&mut self, score: f64, member: SmallBytes) {
        let mut i = self.child_for_key(score, &member);
        match &mut self.children {
            Children::Leaves(leaves) => {
                if leaves[i].len == L {
                    i = make_room(&mut self.seps, &mut self.counts, leaves, i, score, &member);
                }
                let leaf = &mut leaves[i];
                let pos = leaf.lower_bound(score, &member);
                debug_assert!(
                    leaf.find(score, &member).is_none(),
                    "inserted element already present"
                );
                leaf.insert_at(pos, score, member);
                self.counts[i] += 1;
            }
            Children::Internals(kids) => {
                let child = &mut kids[i];
                child.insert(score, member);
                self.counts[i] += 1;
                if child.width() > I {
                    let (sep, right) = child.split();
                    let moved = right.total();
                    self.counts[i] -= moved;
                    self.counts.insert(i + 1, moved);
                    self.seps.insert(i, sep);
                    kids.insert(i + 1, right);
                }
            }
        }
    }

    /// Removes what `target` designates below this node (up to `max`
    /// consecutive elements for a rank, all from one leaf), repairing the
    /// child it came from. Returns how many elements were removed.
    fn remove(
        &mut self,
        target: Target,
        max: usize,
        sink: &mut dyn FnMut(f64, SmallBytes),
    ) -> usize {
        let (i, sub) = match target {
            Target::Rank(r) => match self.child_for_rank(r) {
                Some((i, r)) => (i, Target::Rank(r)),
                None => return 0,
            },
            Target::Key(score, member) => (self.child_for_key(score, member), target),
        };
        let removed = match &mut self.children {
            Children::Leaves(leaves) => leaves[i].remove_target(sub, max, sink),
            Children::Internals(kids) => kids[i].remove(sub, max, sink),
        };
        if removed > 0 {
            self.counts[i] -= removed;
            self.repair(i);
        }
        removed
    }

    /// Restores the fill bound of child `i` after removals, by merging it
    /// with a sibling or evening out their contents.
    fn repair(&mut self, i: usize) {
        if self.width() < 2 {
            return; // only the root can have a single child; the tree collapses it
        }
        let j = i.saturating_sub(1); // repair the pair (j, j + 1)
        match &mut self.children {
            Children::Leaves(leaves) => {
                if leaves[i].len >= L / 2 {
                    return;
                }
                let (a, b) = pair_mut(leaves, j);
                let total = a.len + b.len;
                if total <= L {
                    Leaf::move_to_left(a, b, b.len);
                    leaves.remove(j + 1);
                    self.seps.remove(j);
                    self.counts.remove(j + 1);
                    self.counts[j] = total;
                } else {
                    let target = total / 2;
                    if a.len > target {
                        Leaf::move_to_right(a, b, a.len - target);
                    } else {
                        Leaf::move_to_left(a, b, target - a.len);
                    }
                    self.seps[j] = b.key(0);
                    self.counts[j] = a.len;
                    self.counts[j + 1] = b.len;
                }
            }
            Children::Internals(kids) => {
                if kids[i].width() >= I.div_ceil(2) {
                    return;
                }
                let (a, b) = pair_mut(kids, j);
                let total = a.width() + b.width();
                if total <= I {
                    a.seps.push(self.seps.remove(j));
                    a.seps.append(&mut b.seps);
                    a.counts.append(&mut b.counts);
                    let k = b.children.len();
                    a.children.take_front_of(&mut b.children, k);
                    kids.remove(j + 1);
                    let merged = self.counts.remove(j + 1);
                    self.counts[j] += merged;
                } else {
                    let target = total / 2;
                    if a.width() > target {
                        Self::rotate_right(a, b, a.width() - target, &mut self.seps[j]);
                    } else {
                        Self::rotate_left(a, b, target - a.width(), &mut self.seps[j]);
                    }
                    self.counts[j] = a.total();
                    self.counts[j + 1] = b.total();
                }
            }
        }
    }

    /// Moves the first `k` children of `b` to the end of `a` through their
    /// parent's separator `sep`.
    fn rotate_left(a: &mut Self, b: &mut Self, k: usize, sep: &mut Key) {
        let mut moved = b.seps.drain(..k);
        if let Some(new_sep) = moved.next_back() {
            a.seps.push(mem::replace(sep, new_sep));
            a.seps.extend(moved);
        }
        append_front(&mut a.counts, &mut b.counts, k);
        a.children.take_front_of(&mut b.children, k);
    }

    /// Moves the last `k` children of `a` to the front of `b` through their
    /// parent's separator `sep`.
    fn rotate_right(a: &mut Self, b: &mut Self, k: usize, sep: &mut Key) {
        let from = a.width() - k;
        let new_sep = a.seps.remove(from - 1);
        let old_sep = mem::replace(sep, new_sep);
        b.seps.insert(0, old_sep);
        prepend_tail(&mut b.seps, &mut a.seps, from - 1);
        prepend_tail(&mut b.counts, &mut a.counts, from);
        b.children.take_tail_of(&mut a.children, from);
    }
}

/// Makes room in the full leaf `i` for (`score`, `member`): moves entries to
/// a neighbour with room, or splits the leaf when both neighbours are full.
/// Returns the index of the leaf the element now belongs in.
fn make_room<const L: usize>(
    seps: &mut Vec<Key>,
    counts: &mut Vec<usize>,
    leaves: &mut Vec<Box<Leaf<L>>>,
    i: usize,
    score: f64,
    member: &[u8],
) -> usize {
    let goes_left = |sep: &Key| sep.cmp_to(score, member) == Ordering::Greater;
    if i > 0 && leaves[i - 1].len + 1 < L {
        let (a, b) = pair_mut(leaves, i - 1);
        let m = (L - a.len) / 2;
        Leaf::move_to_left(a, b, m);
        counts[i - 1] += m;
        counts[i] -= m;
        seps[i - 1] = b.key(0);
        return if goes_left(&seps[i - 1]) { i - 1 } else { i };
    }
    if i + 1 < leaves.len() && leaves[i + 1].len + 1 < L {
        let (a, b) = pair_mut(leaves, i);
        let m = (L - b.len) / 2;
        Leaf::move_to_right(a, b, m);
        counts[i] -= m;
        counts[i + 1] += m;
        seps[i] = b.key(0);
        return if goes_left(&seps[i]) { i } else { i + 1 };
    }
    let right = leaves[i].split();
    counts[i] -= right.len;
    counts.insert(i + 1, right.len);
    seps.insert(i, right.key(0));
    leaves.insert(i + 1, right);
    if goes_left(&seps[i]) {
        i
    } else {
        i + 1
    }
}

/// What a removal is aimed at.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// The element of this rank (and those after it, up to a count).
    Rank(usize),
    /// The element with this key.
    Key(f64, &'a [u8]),
}

/// The root: a single leaf for small trees, an interior node otherwise.
enum Node<const L: usize, const I: usize> {
    Leaf(Box<Leaf<L>>),
    Internal(Box<Internal<L, I>>),
}

/// Result of trying to change a score without leaving the element's leaf.
enum InLeafUpdate {
    NotFound,
    Done,
    MustMove,
}

/// The ordered index of a large sorted set: (score, member) elements in the
/// order of [`compare`], with O(log n) insertion, removal, rank and range
/// queries.
///
/// Members are unique by contract (the sorted set's member → score table
/// enforces it); the tree itself does not look up members by name.
/// `LEAF` and `FANOUT` are the node capacities; the defaults are the tuned
/// production values, tests use tiny ones to exercise deep trees.
pub struct ZsetTree<const LEAF: usize = DEFAULT_LEAF_CAP, const FANOUT: usize = DEFAULT_FANOUT> {
    root: Node<LEAF, FANOUT>,
    len: usize,
}

impl<const L: usize, const I: usize> Default for ZsetTree<L, I> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const L: usize, const I: usize> Clone for ZsetTree<L, I> {
    fn clone(&self) -> Self {
        let root = match &self.root {
            Node::Leaf(l) => Node::Leaf(l.clone()),
            Node::Internal(n) => Node::Internal(n.clone()),
        };
        ZsetTree {
            root,
            len: self.len,
        }
    }
}

impl<const L: usize, const I: usize> fmt::Debug for ZsetTree<L, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(s, m)| (s, String::from_utf8_lossy(m))))
            .finish()
    }
}

impl<const L: usize, const I: usize> ZsetTree<L, I> {
    /// Compile-time check of the capacities: below these, splits and merges
    /// could not keep every node within its fill bounds.
    const CAPACITIES_OK: () = assert!(L >= 3 && I >= 3, "leaf and fanout capacities must be >= 3");

    /// An empty tree (one empty leaf).
    pub fn new() -> Self {
        let () = Self::CAPACITIES_OK;
        ZsetTree {
            root: Node::Leaf(Leaf::boxed()),
            len: 0,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every element (keeping one empty leaf).
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Adds an element. The member must not already be in the tree (the
    /// caller's member table knows; debug builds check the exact key) and the
    /// score must not be NaN.
    pub fn insert(&mut self, score: f64, member: SmallBytes) {
        debug_assert!(!score.is_nan(), "NaN score inserted");
        if matches!(&self.root, Node::Leaf(l) if l.len == L) {
            self.grow_root();
        }
        match &mut self.root {
            Node::Leaf(leaf) => {
                debug_assert!(
                    leaf.find(score, &member).is_none(),
                    "inserted element already present"
                );
                let pos = leaf.lower_bound(score, &member);
                leaf.insert_at(pos, score, member);
            }
            Node::Internal(root) => root.insert(score, member),
        }
        if matches!(&self.root, Node::Internal(r) if r.width() > I) {
            self.grow_root();
        }
        self.len += 1;
    }

    /// Splits the root (a full leaf or an overfull interior node) under a
    /// new interior root, making the tree one level taller.
    fn grow_root(&mut self) {
        let placeholder = Node::Internal(Box::new(Internal::with_children(Children::Leaves(
            Vec::new(),
        ))));
        let new_root = match mem::replace(&mut self.root, placeholder) {
            Node::Leaf(mut left) => {
                let right = left.split();
                let sep = right.key(0);
                let counts = [left.len, right.len];
                let mut leaves = Vec::with_capacity(I + 1);
                leaves.extend([left, right]);
                let mut root = Internal::with_children(Children::Leaves(leaves));
                root.seps.push(sep);
                root.counts.extend(counts);
                root
            }
            Node::Internal(mut left) => {
                let (sep, right) = left.split();
                let counts = [left.total(), right.total()];
                let mut kids = Vec::with_capacity(I + 1);
                kids.extend([*left, right]);
                let mut root = Internal::with_children(Children::Internals(kids));
                root.seps.push(sep);
                root.counts.extend(counts);
                root
            }
        };
        self.root = Node::Internal(Box::new(new_root));
    }

    /// Replaces an interior root that has a single child by that child.
    fn shrink_root(&mut self) {
        loop {
            let child = match &mut self.root {
                Node::Internal(root) if root.width() == 1 => match &mut root.children {
                    Children::Leaves(v) => v.pop().map(Node::Leaf),
                    Children::Internals(v) => v.pop().map(|n| Node::Internal(Box::new(n))),
                },
                _ => None,
            };
            match child {
                Some(child) => self.root = child,
                None => return,
            }
        }
    }

    /// Removes what `target` designates (up to `max` consecutive elements
    /// from one leaf for a rank), then restores the root.
    fn remove_target(
        &mut self,
        target: Target,
        max: usize,
        sink: &mut dyn FnMut(f64, SmallBytes),
    ) -> usize {
        let removed = match &mut self.root {
            Node::Leaf(leaf) => leaf.remove_target(target, max, sink),
            Node::Internal(root) => root.remove(target, max, sink),
        };
        self.len -= removed;
        self.shrink_root();
        removed
    }

    /// Removes the element (`score`, `member`) and returns its member.
    fn take(&mut self, score: f64, member: &[u8]) -> Option<SmallBytes> {
        let mut taken = None;
        self.remove_target(Target::Key(score, member), 1, &mut |_, m| taken = Some(m));
        taken
    }

    /// Removes the element (`score`, `member`). Returns whether it was
    /// present. With `-0.0`/`0.0` being equal scores, either finds an
    /// element stored with the other.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        self.take(score, member).is_some()
    }

    /// Changes the score of `member` from `old` to `new`. Returns false (and
    /// changes nothing) if (`old`, `member`) is not in the tree.
    ///
    /// Like Redis's `zslUpdateScore`, this avoids the remove-and-insert when
    /// the element's position is unchanged; it goes further and also moves
    /// the element within its leaf when the new key still belongs there, so
    /// only moves across leaves pay for a full removal and insertion.
    pub fn update_score(&mut self, old: f64, new: f64, member: &[u8]) -> bool {
        debug_assert!(!new.is_nan(), "NaN score set");
        match self.update_in_leaf(old, new, member) {
            InLeafUpdate::NotFound => false,
            InLeafUpdate::Done => true,
            InLeafUpdate::MustMove => match self.take(old, member) {
                Some(owned) => {
                    self.insert(new, owned);
                    true
                }
                None => false,
            },
        }
    }

    /// Finds the element's leaf, tracking the key interval the leaf covers,
    /// and updates in place when the new key stays in that interval.
    fn update_in_leaf(&mut self, old: f64, new: f64, member: &[u8]) -> InLeafUpdate {
        // Keys in the leaf are >= `lower` and < `upper` (None: unbounded).
        let mut lower: Option<&Key> = None;
        let mut upper: Option<&Key> = None;
        let leaf: &mut Leaf<L> = match &mut self.root {
            Node::Leaf(leaf) => leaf,
            Node::Internal(root) => {
                let mut node: &mut Internal<L, I> = root;
                loop {
                    let i = node.child_for_key(old, member);
                    let Internal { seps, children, .. } = node;
                    let seps: &Vec<Key> = seps;
                    if i > 0 {
                        lower = Some(&seps[i - 1]);
                    }
                    if i < seps.len() {
                        upper = Some(&seps[i]);
                    }
                    match children {
                        Children::Leaves(leaves) => break &mut leaves[i],
                        Children::Internals(kids) => node = &mut kids[i],
                    }
                }
            }
        };
        let Some(pos) = leaf.find(old, member) else {
            return InLeafUpdate::NotFound;
        };
        let fits_lower = !matches!(lower, Some(k) if k.cmp_to(new, member) == Ordering::Greater);
        let fits_upper = !matches!(upper, Some(k) if k.cmp_to(new, member) != Ordering::Greater);
        if !(fits_lower && fits_upper) {
            return InLeafUpdate::MustMove;
        }
        let after_prev = pos == 0 || {
            let (s, m) = leaf.entry(pos - 1);
            compare(s, m, new, member).is_lt()
        };
        let before_next = pos + 1 >= leaf.len || {
            let (s, m) = leaf.entry(pos + 1);
            compare(new, member, s, m).is_lt()
        };
        if after_prev && before_next {
            leaf.scores[pos] = new;
        } else {
            let mut owned = EMPTY;
            leaf.remove_run(pos, 1, &mut |_, m| owned = m);
            let to = leaf.lower_bound(new, &owned);
            leaf.insert_at(to, new, owned);
        }
        InLeafUpdate::Done
    }

    /// The leaf holding the element of rank `rank`, and its index there.
    fn leaf_at(&self, rank: usize) -> Option<(&Leaf<L>, usize)> {
        if rank >= self.len {
            return None;
        }
        let mut node: &Internal<L, I> = match &self.root {
            Node::Leaf(leaf) => return Some((leaf, rank)),
            Node::Internal(root) => root,
        };
        let mut rank = rank;
        loop {
            let (i, sub) = node.child_for_rank(rank)?;
            rank = sub;
            match &node.children {
                Children::Leaves(leaves) => return Some((&leaves[i], rank)),
                Children::Internals(kids) => node = &kids[i],
            }
        }
    }

    /// 0-based rank of the element (`score`, `member`), if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut base = 0;
        let mut node: &Internal<L, I> = match &self.root {
            Node::Leaf(leaf) => return leaf.find(score, member),
            Node::Internal(root) => root,
        };
        loop {
            let i = node.child_for_key(score, member);
            base += node.counts[..i].iter().sum::<usize>();
            match &node.children {
                Children::Leaves(leaves) => return leaves[i].find(score, member).map(|p| base + p),
                Children::Internals(kids) => node = &kids[i],
            }
        }
    }

    /// The rank of the first element for which `pred` is false (`len()` if
    /// none), assuming it is true for a prefix of the order and false after.
    /// When `pred` is not monotone the answer is still a rank, just not a
    /// meaningful one.
    fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut base = 0;
        let mut node: &Internal<L, I> = match &self.root {
            Node::Leaf(leaf) => return leaf.partition_point(pred),
            Node::Internal(root) => root,
        };
        loop {
            let i = node.seps.partition_point(|k| pred(k.score, &k.member));
            base += node.counts[..i].iter().sum::<usize>();
            match &node.children {
                Children::Leaves(leaves) => return base + leaves[i].partition_point(pred),
                Children::Internals(kids) => node = &kids[i],
            }
        }
    }

    /// The element of 0-based rank `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(f64, &[u8])> {
        self.leaf_at(rank).map(|(leaf, i)| leaf.entry(i))
    }

    /// The lowest element.
    pub fn first(&self) -> Option<(f64, &[u8])> {
        self.get_by_rank(0)
    }

    /// The highest element.
    pub fn last(&self) -> Option<(f64, &[u8])> {
        self.get_by_rank(self.len.checked_sub(1)?)
    }

    /// All elements, lowest first.
    pub fn iter(&self) -> Iter<'_, L, I> {
        self.iter_from_rank(0)
    }

    /// Elements from rank `rank` upwards (empty if `rank >= len()`).
    pub fn iter_from_rank(&self, rank: usize) -> Iter<'_, L, I> {
        Iter {
            tree: self,
            leaf: None,
            pos: 0,
            next_rank: rank,
            remaining: self.len.saturating_sub(rank),
        }
    }

    /// Elements from rank `rank` downwards to rank 0 (empty if
    /// `rank >= len()`).
    pub fn rev_iter_from_rank(&self, rank: usize) -> RevIter<'_, L, I> {
        RevIter {
            tree: self,
            leaf: None,
            pos: 0,
            next_rank: rank,
            remaining: if rank < self.len { rank + 1 } else { 0 },
        }
    }

    /// Redis's first-in-range search: nothing when the lowest element is
    /// above the range or the highest below it, else the first element that
    /// passes `above_min`, provided it also passes `below_max`.
    fn first_matching(
        &self,
        above_min: impl Fn(f64, &[u8]) -> bool,
        below_max: impl Fn(f64, &[u8]) -> bool,
    ) -> Option<usize> {
        if !self.overlaps(&above_min, &below_max) {
            return None;
        }
        let rank = self.partition_point(|s, m| !above_min(s, m));
        let (s, m) = self.get_by_rank(rank)?;
        below_max(s, m).then_some(rank)
    }

    /// The mirror image of [`Self::first_matching`].
    fn last_matching(
        &self,
        above_min: impl Fn(f64, &[u8]) -> bool,
        below_max: impl Fn(f64, &[u8]) -> bool,
    ) -> Option<usize> {
        if !self.overlaps(&above_min, &below_max) {
            return None;
        }
        let rank = self.partition_point(&below_max).checked_sub(1)?;
        let (s, m) = self.get_by_rank(rank)?;
        above_min(s, m).then_some(rank)
    }

    /// Whether the highest element is above the minimum and the lowest
    /// below the maximum (Redis's `zslIsInRange` without the empty-range
    /// test, which the callers do first).
    fn overlaps(
        &self,
        above_min: &impl Fn(f64, &[u8]) -> bool,
        below_max: &impl Fn(f64, &[u8]) -> bool,
    ) -> bool {
        match (self.first(), self.last()) {
            (Some((fs, fm)), Some((ls, lm))) => above_min(ls, lm) && below_max(fs, fm),
            _ => false,
        }
    }

    /// Rank of the lowest element whose score is within the range (`min`
    /// and `max` excluded when the matching flag is set), as Redis's
    /// `zslFirstInRange`. `None` when no element is in range, including
    /// when `min > max` or `min == max` with an exclusive end.
    pub fn first_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.first_matching(|s, _| range.above_min(s), |s, _| range.below_max(s))
    }

    /// Rank of the highest element whose score is within the range, as
    /// Redis's `zslLastInRange`; see [`Self::first_in_score_range`].
    pub fn last_in_score_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.last_matching(|s, _| range.above_min(s), |s, _| range.below_max(s))
    }

    /// Number of elements whose score is within the range (ZCOUNT), from
    /// the ranks of the first and last: O(log n).
    pub fn count_in_score_range(&self, range: &ScoreRange) -> usize {
        span(
            self.first_in_score_range(range),
            self.last_in_score_range(range),
        )
    }

    /// Rank of the lowest element whose member is within the lex range, as
    /// Redis's `zslFirstInLexRange`.
    ///
    /// Lex ranges are meaningful when all scores are equal (the order is
    /// then the member order). Otherwise, like Redis, the search still
    /// assumes that order: the same "nothing if the ends are out of range"
    /// tests apply, and the element found is the boundary of a binary
    /// search, which (as Redis's skiplist walk) depends on the tree's shape.
    pub fn first_in_lex_range(&self, min: LexBound, max: LexBound) -> Option<usize> {
        if lex_range_is_empty(min, max) {
            return None;
        }
        self.first_matching(
            |_, m| min.admits_from_below(m),
            |_, m| max.admits_from_above(m),
        )
    }

    /// Rank of the highest element whose member is within the lex range, as
    /// Redis's `zslLastInLexRange`; see [`Self::first_in_lex_range`].
    pub fn last_in_lex_range(&self, min: LexBound, max: LexBound) -> Option<usize> {
        if lex_range_is_empty(min, max) {
            return None;
        }
        self.last_matching(
            |_, m| min.admits_from_below(m),
            |_, m| max.admits_from_above(m),
        )
    }

    /// Number of elements whose member is within the lex range (ZLEXCOUNT).
    pub fn count_in_lex_range(&self, min: LexBound, max: LexBound) -> usize {
        span(
            self.first_in_lex_range(min, max),
            self.last_in_lex_range(min, max),
        )
    }

    /// Removes the elements of ranks `start..=end` (0-based, `end` clamped
    /// to the last rank), returning their members lowest first
    /// (ZREMRANGEBYRANK). Costs O(log n) per leaf touched plus O(1) per
    /// element.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> Vec<SmallBytes> {
        if start > end || start >= self.len {
            return Vec::new();
        }
        let end = end.min(self.len - 1);
        self.remove_ranks(start, end - start + 1)
    }

    /// Removes the `count` elements from rank `start` on.
    fn remove_ranks(&mut self, start: usize, count: usize) -> Vec<SmallBytes> {
        let mut out = Vec::with_capacity(count);
        let mut left = count;
        while left > 0 {
            let removed = self.remove_target(Target::Rank(start), left, &mut |_, m| out.push(m));
            if removed == 0 {
                break;
            }
            left -= removed;
        }
        out
    }

    /// Removes the elements whose score is within the range, returning
    /// their members lowest first (ZREMRANGEBYSCORE). As Redis's
    /// `zslDeleteRangeByScore`: starts at the first element above the
    /// minimum and removes while elements are below the maximum.
    pub fn delete_range_by_score(&mut self, range: &ScoreRange) -> Vec<SmallBytes> {
        let start = self.partition_point(|s, _| !range.above_min(s));
        let count = self
            .iter_from_rank(start)
            .take_while(|&(s, _)| range.below_max(s))
            .count();
        self.remove_ranks(start, count)
    }

    /// Removes the elements whose member is within the lex range, returning
    /// them lowest first (ZREMRANGEBYLEX); the same walk as
    /// [`Self::delete_range_by_score`], as Redis's `zslDeleteRangeByLex`.
    pub fn delete_range_by_lex(&mut self, min: LexBound, max: LexBound) -> Vec<SmallBytes> {
        let start = self.partition_point(|_, m| !min.admits_from_below(m));
        let count = self
            .iter_from_rank(start)
            .take_while(|&(_, m)| max.admits_from_above(m))
            .count();
        self.remove_ranks(start, count)
    }

    /// Removes and returns the element of rank `rank`.
    fn pop_rank(&mut self, rank: usize) -> Option<(f64, SmallBytes)> {
        let mut popped = None;
        self.remove_target(Target::Rank(rank), 1, &mut |s, m| popped = Some((s, m)));
        popped
    }

    /// Removes and returns the lowest element (ZPOPMIN).
    pub fn pop_min(&mut self) -> Option<(f64, SmallBytes)> {
        self.pop_rank(0)
    }

    /// Removes and returns the highest element (ZPOPMAX).
    pub fn pop_max(&mut self) -> Option<(f64, SmallBytes)> {
        self.pop_rank(self.len.checked_sub(1)?)
    }

    /// Bytes of heap memory the tree owns (nodes at their allocated size,
    /// plus members and separators too long to store inline), for MEMORY
    /// USAGE-style accounting. Allocator rounding is not included.
    pub fn heap_size(&self) -> usize {
        match &self.root {
            Node::Leaf(leaf) => leaf_heap_size(leaf),
            Node::Internal(root) => mem::size_of::<Internal<L, I>>() + internal_heap_size(root),
        }
    }

    /// Checks every structural invariant (see the module documentation) and
    /// panics with a description of the first one broken. O(n); for tests
    /// and debugging.
    pub fn check_invariants(&self) {
        let counted = match &self.root {
            Node::Leaf(leaf) => check_leaf(leaf, None, None, true),
            Node::Internal(root) => {
                assert!(
                    root.width() >= 2,
                    "interior root with {} child",
                    root.width()
                );
                let mut leaf_depth = None;
                check_internal(root, None, None, true, 1, &mut leaf_depth)
            }
        };
        assert_eq!(counted, self.len, "len() disagrees with the element count");
    }
}

/// Size of the inclusive rank interval `first..=last`, 0 when either is
/// missing or they are out of order.
fn span(first: Option<usize>, last: Option<usize>) -> usize {
    match (first, last) {
        (Some(a), Some(b)) if b >= a => b - a + 1,
        _ => 0,
    }
}

fn leaf_heap_size<const L: usize>(leaf: &Leaf<L>) -> usize {
    mem::size_of::<Leaf<L>>()
        + leaf.members[..leaf.len]
            .iter()
            .map(SmallBytes::heap_size)
            .sum::<usize>()
}

/// Heap bytes below an interior node (not counting the node itself, which
/// lives in its parent's child vector or, for the root, in a box).
fn internal_heap_size<const L: usize, const I: usize>(node: &Internal<L, I>) -> usize {
    let own = node.seps.capacity() * mem::size_of::<Key>()
        + node
            .seps
            .iter()
            .map(|k| k.member.heap_size())
            .sum::<usize>()
        + node.counts.capacity() * mem::size_of::<usize>();
    own + match &node.children {
        Children::Leaves(v) => {
            v.capacity() * mem::size_of::<Box<Leaf<L>>>()
                + v.iter().map(|l| leaf_heap_size(l)).sum::<usize>()
        }
        Children::Internals(v) => {
            v.capacity() * mem::size_of::<Internal<L, I>>()
                + v.iter().map(internal_heap_size).sum::<usize>()
        }
    }
}

/// Checks a leaf whose keys must lie in [`lower`, `upper`); returns its
/// element count.
fn check_leaf<const L: usize>(
    leaf: &Leaf<L>,
    lower: Option<&Key>,
    upper: Option<&Key>,
    is_root: bool,
) -> usize {
    assert!(leaf.len <= L, "leaf holds {} > {L} entries", leaf.len);
    assert!(
        is_root || leaf.len >= L / 2,
        "leaf holds {} < {} entries",
        leaf.len,
        L / 2
    );
    for i in 0..leaf.len {
        let (s, m) = leaf.entry(i);
        assert!(!s.is_nan(), "NaN score stored");
        if i > 0 {
            let (ps, pm) = leaf.entry(i - 1);
            assert!(
                compare(ps, pm, s, m).is_lt(),
                "leaf entries out of order at {i}"
            );
        }
        if let Some(k) = lower {
            assert!(k.cmp_to(s, m).is_le(), "leaf entry below its separator");
        }
        if let Some(k) = upper {
            assert!(
                k.cmp_to(s, m).is_gt(),
                "leaf entry not below the next separator"
            );
        }
    }
    assert!(
        leaf.members[leaf.len..]
            .iter()
            .all(|m| matches!(m, SmallBytes::Inline { len: 0, .. })),
        "unused leaf slot holds a member"
    );
    leaf.len
}

/// Checks an interior node and everything below it; returns the element
/// count. `leaf_depth` records the depth of the first leaf seen so all
/// others can be compared with it.
fn check_internal<const L: usize, const I: usize>(
    node: &Internal<L, I>,
    lower: Option<&Key>,
    upper: Option<&Key>,
    is_root: bool,
    depth: usize,
    leaf_depth: &mut Option<usize>,
) -> usize {
    let width = node.width();
    assert!(width <= I, "interior node with {width} > {I} children");
    assert!(
        is_root || width >= I.div_ceil(2),
        "interior node with {width} < {} children",
        I.div_ceil(2)
    );
    assert_eq!(node.children.len(), width, "children and counts disagree");
    assert_eq!(
        node.seps.len() + 1,
        width,
        "separator count is not children - 1"
    );
    for pair in node.seps.windows(2) {
        assert!(
            pair[0].cmp_to(pair[1].score, &pair[1].member).is_lt(),
            "separators out of order"
        );
    }
    let mut total = 0;
    for j in 0..width {
        let lo = if j == 0 {
            lower
        } else {
            Some(&node.seps[j - 1])
        };
        let hi = if j + 1 == width {
            upper
        } else {
            Some(&node.seps[j])
        };
        let counted = match &node.children {
            Children::Leaves(v) => {
                let expected = *leaf_depth.get_or_insert(depth + 1);
                assert_eq!(expected, depth + 1, "leaves at different depths");
                check_leaf(&v[j], lo, hi, false)
            }
            Children::Internals(v) => check_internal(&v[j], lo, hi, false, depth + 1, leaf_depth),
        };
        assert_eq!(counted, node.counts[j], "stale subtree count");
        total += counted;
    }
    total
}

/// Forward iterator over (score, member), from [`ZsetTree::iter_from_rank`].
pub struct Iter<'a, const L: usize, const I: usize> {
    tree: &'a ZsetTree<L, I>,
    leaf: Option<&'a Leaf<L>>,
    /// Index in `leaf` of the next element.
    pos: usize,
    next_rank: usize,
    remaining: usize,
}

impl<'a, const L: usize, const I: usize> Iterator for Iter<'a, L, I> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let leaf = match self.leaf {
            Some(leaf) if self.pos < leaf.len => leaf,
            _ => {
                let (leaf, pos) = self.tree.leaf_at(self.next_rank)?;
                self.leaf = Some(leaf);
                self.pos = pos;
                leaf
            }
        };
        let item = leaf.entry(self.pos);
        self.pos += 1;
        self.next_rank += 1;
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<const L: usize, const I: usize> ExactSizeIterator for Iter<'_, L, I> {}
impl<const L: usize, const I: usize> FusedIterator for Iter<'_, L, I> {}

/// Backward iterator over (score, member), from
/// [`ZsetTree::rev_iter_from_rank`].
pub struct RevIter<'a, const L: usize, const I: usize> {
    tree: &'a ZsetTree<L, I>,
    leaf: Option<&'a Leaf<L>>,
    /// One past the index in `leaf` of the next element (0: need a leaf).
    pos: usize,
    next_rank: usize,
    remaining: usize,
}

impl<'a, const L: usize, const I: usize> Iterator for RevIter<'a, L, I> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let leaf = match self.leaf {
            Some(leaf) if self.pos > 0 => leaf,
            _ => {
                let (leaf, pos) = self.tree.leaf_at(self.next_rank)?;
                self.leaf = Some(leaf);
                self.pos = pos + 1;
                leaf
            }
        };
        self.pos -= 1;
        let item = leaf.entry(self.pos);
        self.next_rank = self.next_rank.wrapping_sub(1);
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<const L: usize, const I: usize> ExactSizeIterator for RevIter<'_, L, I> {}
impl<const L: usize, const I: usize> FusedIterator for RevIter<'_, L, I> {}

#[cfg(test)]
#[path = "btree_tests.rs"]
mod tests;
