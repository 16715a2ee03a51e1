//! Random fields for HRANDFIELD, with Redis's sampling strategies
//! (`hrandfieldWithCountCommand` and the listpack helpers it uses).
//!
//! * With repeats (negative count): independent uniform picks. A listpack
//!   is sampled in batches of at most 1000 picks ([`ListpackRef::sample_with_repeats`]), each batch
//!   served by one walk over the buffer (`lpRandomPairs`).
//! * Distinct fields: the whole hash when it is not bigger than the
//!   request; for a listpack, one ordered pass of selection sampling
//!   (`lpRandomPairsUnique`); for a table, removing random fields from a
//!   copy when the request is close to the size, or drawing random fields
//!   until enough distinct ones are found when it is small.

use super::{FieldValue, Hash, Repr};
use crate::listpack::{ListpackRef, LpEntry};
use std::collections::HashSet;

/// Above this ratio of size to request, distinct fields of a table are
/// drawn at random instead of trimmed from a copy (Redis's
/// `HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

impl Hash {
    /// A uniformly random (field, value) pair; `None` when empty.
    pub fn random_pair(&self) -> Option<(FieldValue<'_>, FieldValue<'_>)> {
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                let pairs = lp.len() / 2;
                if pairs == 0 {
                    return None;
                }
                let pos = lp.seek(2 * fastrand::usize(..pairs) as i64)?;
                Some((lp.get(pos), lp.get(lp.next(pos)?)))
            }
            Repr::Table(t) => t
                .fair_random()
                .map(|e| (LpEntry::Str(e.field()), LpEntry::Str(e.value()))),
        }
    }

    /// Visits `count` pairs drawn independently (repeats possible), in
    /// random order. `visit` returns false to stop early.
    pub fn random_pairs(
        &self,
        count: u64,
        mut visit: impl FnMut(FieldValue<'_>, FieldValue<'_>) -> bool,
    ) {
        match &self.repr {
            Repr::Listpack(b) => {
                let lp = ListpackRef::new(b);
                lp.sample_with_repeats(2, count, |p| match lp.next(p) {
                    Some(v) => visit(lp.get(p), lp.get(v)),
                    None => false,
                });
            }
            Repr::Table(t) => {
                for _ in 0..count {
                    let Some(e) = t.fair_random() else { return };
                    if !visit(LpEntry::Str(e.field()), LpEntry::Str(e.value())) {
                        return;
                    }
                }
            }
        }
    }

    /// Visits `min(count, len)` distinct pairs. The order is the hash's own
    /// when the whole hash or a listpack sample is returned, random otherwise.
    pub fn random_distinct(
        &self,
        count: usize,
        mut visit: impl FnMut(FieldValue<'_>, FieldValue<'_>),
    ) {
        let size = self.len();
        if count >= size {
            for (f, v) in self.iter() {
                visit(f, v);
            }
            return;
        }
        match &self.repr {
            Repr::Listpack(b) => {
                // Selection sampling: each pair is taken with probability
                // (still needed) / (still available), in one pass.
                let lp = ListpackRef::new(b);
                let mut needed = count;
                let mut pos = lp.first();
                let mut available = size;
                while needed > 0 {
                    let Some(p) = pos else { return };
                    let Some(v) = lp.next(p) else { return };
                    if needed >= available || fastrand::usize(..available) < needed {
                        visit(lp.get(p), lp.get(v));
                        needed -= 1;
                    }
                    available -= 1;
                    pos = lp.next(v);
                }
            }
            Repr::Table(t) => {
                if count * SUB_STRATEGY_MUL > size {
                    // Close to the size: drop random entries from a copy of
                    // the table's entry list until `count` remain.
                    let mut all: Vec<_> = t.iter().collect();
                    while all.len() > count {
                        all.swap_remove(fastrand::usize(..all.len()));
                    }
                    for e in all {
                        visit(LpEntry::Str(e.field()), LpEntry::Str(e.value()));
                    }
                } else {
                    // Far below the size: draw until enough distinct entries
                    // are seen (entries are identified by address; the table
                    // is not modified meanwhile).
                    let mut seen: HashSet<*const super::HashEntry> = HashSet::with_capacity(count);
                    while seen.len() < count {
                        let Some(e) = t.fair_random() else { return };
                        if seen.insert(e as *const _) {
                            visit(LpEntry::Str(e.field()), LpEntry::Str(e.value()));
                        }
                    }
                }
            }
        }
    }
}
