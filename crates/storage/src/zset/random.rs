//! Random elements for ZRANDMEMBER, with Redis's sampling strategies
//! (`zrandmemberWithCountCommand` and the listpack helpers it uses).
//!
//! * With repeats (negative count): independent uniform picks. A listpack
//!   is sampled in batches of at most 1000 picks ([`ListpackRef::sample_with_repeats`]), each batch
//!   served by one walk over the buffer (`lpRandomPairs`).
//! * Distinct elements: the whole set, highest first, when it is not bigger
//!   than the request; for a listpack, one ordered pass of selection
//!   sampling (`lpRandomPairsUnique`); for the big encoding, removing
//!   random elements from a copy when the request is close to the size,
//!   or drawing random elements until enough distinct ones are found.

use super::packed::{self, pair_at, PackedIter};
use super::{score_of, Member, Repr, ZSet};
use crate::listpack::{ListpackRef, LpEntry};
use std::collections::HashSet;

/// Above this ratio of size to request, distinct elements of the big
/// encoding are drawn at random instead of trimmed from a copy (Redis's
/// `ZRANDMEMBER_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

impl ZSet {
    /// A uniformly random element and its score; `None` when empty.
    pub fn random_element(&self) -> Option<(Member<'_>, f64)> {
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                let n = packed::pairs(lp);
                if n == 0 {
                    return None;
                }
                let pos = packed::seek(lp, fastrand::usize(..n))?;
                pair_at(lp, pos).map(|(m, s)| (m, score_of(s)))
            }
            Repr::SkipList(s) => s.random().map(|(m, v)| (LpEntry::Str(m), v)),
        }
    }

    /// Visits `count` elements drawn independently (repeats possible), in
    /// random order. `visit` returns false to stop early.
    pub fn random_with_repeats(&self, count: u64, mut visit: impl FnMut(Member<'_>, f64) -> bool) {
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                lp.sample_with_repeats(2, count, |p| match pair_at(lp, p) {
                    Some((m, s)) => visit(m, score_of(s)),
                    None => false,
                });
            }
            Repr::SkipList(s) => {
                for _ in 0..count {
                    let Some((m, v)) = s.random() else {
                        return;
                    };
                    if !visit(LpEntry::Str(m), v) {
                        return;
                    }
                }
            }
        }
    }

    /// Visits `min(count, len())` distinct elements, chosen uniformly.
    pub fn random_distinct(&self, count: usize, mut visit: impl FnMut(Member<'_>, f64)) {
        let size = self.len();
        if count >= size {
            // The whole set, walked from the highest as Redis's iterator does.
            for (m, s) in self.iter_from(size.saturating_sub(1), true) {
                visit(m, s.value());
            }
            return;
        }
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                // Selection sampling: pick each pair with probability
                // (still needed) / (still available), in listpack order.
                let mut needed = count;
                for (i, (m, s)) in PackedIter::from_rank(lp, 0, false).enumerate() {
                    if needed == 0 {
                        break;
                    }
                    if fastrand::usize(..size - i) < needed {
                        visit(m, score_of(s));
                        needed -= 1;
                    }
                }
            }
            Repr::SkipList(sl) if count * SUB_STRATEGY_MUL > size => {
                let mut all: Vec<(&[u8], f64)> = sl.tree().iter().map(|(s, m)| (m, s)).collect();
                while all.len() > count {
                    all.swap_remove(fastrand::usize(..all.len()));
                }
                for (m, s) in all {
                    visit(LpEntry::Str(m), s);
                }
            }
            Repr::SkipList(sl) => {
                let mut seen: HashSet<&[u8]> = HashSet::with_capacity(count);
                while seen.len() < count {
                    let Some((m, s)) = sl.random() else {
                        return;
                    };
                    if seen.insert(m) {
                        visit(LpEntry::Str(m), s);
                    }
                }
            }
        }
    }
}
