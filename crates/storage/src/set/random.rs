//! Random members for SRANDMEMBER and SPOP, with Redis's strategies
//! (`srandmemberWithCountCommand`, `spopWithCountCommand` and the
//! listpack helpers they use).
//!
//! * Picks with repeats ([`Set::random_members`]): independent uniform
//!   picks; a listpack is sampled in batches of at most 1000 picks
//!   ([`ListpackRef::sample_with_repeats`]), each served by one walk over the buffer (`lpRandomEntries`).
//! * Distinct picks ([`Set::random_distinct`]): the whole set when the
//!   request covers it; for a listpack, one ordered pass of selection
//!   sampling (`lpNextRandom`); otherwise trimming random members from a
//!   copy when the request is close to the size, or drawing random members
//!   until enough distinct ones are found when it is small.
//! * Popping several ([`Set::pop_many`]): removing random members when few
//!   are popped; when most are, picking the ones that stay and rebuilding
//!   the set from them, which is where SPOP can change the encoding.

use super::{Encoding, Member, Set, SetLimits, View};
use crate::bytes::SmallBytes;
use crate::listpack::{ListpackRef, LpEntry};
use std::collections::HashSet;

/// Distinct picks from a table or intset are trimmed from a copy when the
/// set is at most this many times bigger than the request (Redis's
/// `SRANDMEMBER_SUB_STRATEGY_MUL`), drawn at random otherwise.
const SUB_STRATEGY_MUL: usize = 3;

/// SPOP rebuilds the set from the members that stay when it pops more than
/// this many times as many members as it leaves (Redis's
/// `SPOP_MOVE_STRATEGY_MUL`).
const MOVE_STRATEGY_MUL: usize = 5;

/// A member taken out of a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedMember {
    /// An integer member.
    Int(i64),
    /// A string member.
    Bytes(SmallBytes),
}

impl OwnedMember {
    /// A copy of a member.
    pub fn of(m: Member<'_>) -> OwnedMember {
        match m {
            LpEntry::Int(v) => OwnedMember::Int(v),
            LpEntry::Str(s) => OwnedMember::Bytes(SmallBytes::new(s)),
        }
    }

    /// The member, borrowed.
    pub fn as_member(&self) -> Member<'_> {
        match self {
            OwnedMember::Int(v) => LpEntry::Int(*v),
            OwnedMember::Bytes(b) => LpEntry::Str(b),
        }
    }
}

/// A member as a hashable key, for de-duplicating picks. Members of one
/// set are all integers (intset) or all strings (table), so the two forms
/// never have to compare equal to each other.
#[derive(Hash, PartialEq, Eq)]
enum PickKey<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> PickKey<'a> {
    fn of(m: Member<'a>) -> Self {
        match m {
            LpEntry::Int(v) => PickKey::Int(v),
            LpEntry::Str(s) => PickKey::Str(s),
        }
    }
}

/// Positions of `k` distinct elements of `lp` chosen uniformly, in
/// listpack order, in one pass (selection sampling, as Redis's
/// `lpNextRandom`): each element is taken with probability
/// (picks still needed) / (elements not yet visited).
fn sample_positions(lp: ListpackRef<'_>, k: usize) -> Vec<usize> {
    let n = lp.len();
    let mut out = Vec::with_capacity(k.min(n));
    let mut pos = lp.first();
    let mut visited = 0;
    while out.len() < k {
        let Some(p) = pos else { break };
        if fastrand::usize(..n - visited) < k - out.len() {
            out.push(p);
        }
        visited += 1;
        pos = lp.next(p);
    }
    out
}

impl Set {
    /// A uniformly random member (Redis's `setTypeRandomElement`); `None`
    /// when empty. A table samples fairly even when members share a
    /// bucket ([`crate::dict::Dict::fair_random`]).
    pub fn random(&self) -> Option<Member<'_>> {
        match self.view() {
            View::Intset(is) => is.random().map(LpEntry::Int),
            View::Listpack(lp) => {
                if lp.is_empty() {
                    return None;
                }
                let pos = lp.seek(fastrand::usize(..lp.len()) as i64)?;
                Some(lp.get(pos))
            }
            View::Table(t) => t.fair_random().map(|e| LpEntry::Str(e.member())),
        }
    }

    /// Removes a uniformly random member and returns it (Redis's
    /// `setTypePopRandom`); `None` when empty.
    pub fn pop_random(&mut self) -> Option<OwnedMember> {
        if let View::Listpack(lp) = self.view() {
            // Delete by position rather than searching for the value again.
            let pos = lp.seek(fastrand::usize(..lp.len().max(1)) as i64)?;
            let m = OwnedMember::of(lp.get(pos));
            self.edit_listpack(|lp| lp.delete(pos));
            return Some(m);
        }
        let m = OwnedMember::of(self.random()?);
        self.remove_member(m.as_member());
        Some(m)
    }

    /// Visits `count` members drawn independently (repeats possible), in
    /// random order (SRANDMEMBER with a negative count, or a count of 1).
    /// `visit` returns false to stop early.
    pub fn random_members(&self, count: u64, mut visit: impl FnMut(Member<'_>) -> bool) {
        match self.view() {
            View::Listpack(lp) if count > 1 && !lp.is_empty() => {
                lp.sample_with_repeats(1, count, |p| visit(lp.get(p)));
            }
            _ => {
                for _ in 0..count {
                    match self.random() {
                        Some(m) if visit(m) => {}
                        _ => return,
                    }
                }
            }
        }
    }

    /// Visits `min(count, len)` distinct members (SRANDMEMBER with a
    /// positive count above 1): the whole set in its order when `count`
    /// covers it; otherwise a listpack's picks in listpack order, and
    /// other encodings' picks in no particular order.
    pub fn random_distinct(&self, count: usize, mut visit: impl FnMut(Member<'_>)) {
        let size = self.len();
        if count >= size {
            self.iter().for_each(visit);
            return;
        }
        match self.view() {
            View::Listpack(lp) => {
                for p in sample_positions(lp, count) {
                    visit(lp.get(p));
                }
            }
            _ if count * SUB_STRATEGY_MUL > size => {
                // Close to the whole set: copy it and drop random members.
                let mut all: Vec<Member<'_>> = self.iter().collect();
                while all.len() > count {
                    all.swap_remove(fastrand::usize(..all.len()));
                }
                all.into_iter().for_each(visit);
            }
            _ => {
                // Much smaller than the set: draw until enough are distinct.
                let mut seen = HashSet::with_capacity(count);
                let mut picked = Vec::with_capacity(count);
                while picked.len() < count {
                    let Some(m) = self.random() else { break };
                    if seen.insert(PickKey::of(m)) {
                        picked.push(m);
                    }
                }
                picked.into_iter().for_each(visit);
            }
        }
    }

    /// Pops `count` random members, visiting each (SPOP with a count, for
    /// `0 < count < len`; a bigger count takes the whole set, which the
    /// caller handles by deleting the key).
    ///
    /// When the members left would be more than a fifth of those popped,
    /// random members are removed one by one (a listpack picks them in one
    /// pass and deletes them together); the encoding stays. Otherwise the
    /// members that stay are picked and moved into a new set, which
    /// replaces this one: a listpack stays a listpack, an intset stays an
    /// intset, and a table's survivors start a listpack, which becomes a
    /// table again only if they exceed its limits — so the encoding can
    /// shrink here, as in Redis.
    pub fn pop_many(&mut self, count: usize, limits: SetLimits, mut visit: impl FnMut(Member<'_>)) {
        let size = self.len();
        if count == 0 || count >= size {
            return;
        }
        let remaining = size - count;
        let listpack = self.encoding() == Encoding::Listpack;
        if remaining.saturating_mul(MOVE_STRATEGY_MUL) > count {
            if listpack {
                let positions = match self.view() {
                    View::Listpack(lp) => {
                        let positions = sample_positions(lp, count);
                        positions.iter().for_each(|&p| visit(lp.get(p)));
                        positions
                    }
                    _ => return,
                };
                self.edit_listpack(|lp| lp.batch_delete(&positions));
            } else {
                for _ in 0..count {
                    match self.pop_random() {
                        Some(m) => visit(m.as_member()),
                        None => return,
                    }
                }
            }
            return;
        }
        let kept = if listpack {
            let mut kept = Set::new_listpack();
            let positions = match self.view() {
                View::Listpack(lp) => {
                    let positions = sample_positions(lp, remaining);
                    for &p in &positions {
                        kept.add_member(lp.get(p), limits);
                    }
                    positions
                }
                _ => return,
            };
            self.edit_listpack(|lp| lp.batch_delete(&positions));
            kept
        } else {
            let mut kept: Option<Set> = None;
            for _ in 0..remaining {
                let Some(m) = self.random().map(OwnedMember::of) else {
                    break;
                };
                let set = kept.get_or_insert_with(|| match m {
                    OwnedMember::Int(_) => Set::new_intset(),
                    OwnedMember::Bytes(_) => Set::new_listpack(),
                });
                set.add_member(m.as_member(), limits);
                self.remove_member(m.as_member());
            }
            kept.unwrap_or_else(Set::new_intset)
        };
        self.iter().for_each(&mut visit);
        *self = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{packed, Repr};
    use super::*;

    #[test]
    fn sample_positions_is_uniform_and_ordered() {
        let mut set = Set::new_listpack();
        let limits = SetLimits::default();
        for i in 0..10 {
            set.add(format!("m{i}").as_bytes(), limits);
        }
        let Repr::Packed(bytes) = &set.repr else {
            panic!("a small set is packed")
        };
        let lp = packed::listpack(bytes);
        let mut hits = [0u32; 10];
        for _ in 0..20_000 {
            let picks = sample_positions(lp, 3);
            assert_eq!(picks.len(), 3);
            assert!(picks.windows(2).all(|w| w[0] < w[1]));
            for p in picks {
                let index = lp.iter().position(|e| e == lp.get(p)).unwrap();
                hits[index] += 1;
            }
        }
        // Each element is picked 6000 times on average.
        assert!(hits.iter().all(|&h| (5400..6600).contains(&h)), "{hits:?}");
    }
}
