//! The big encoding of a sorted set, which Redis calls `skiplist`: an
//! ordered index ([`ZsetTree`], a rank-aware B+tree standing in for
//! Redis's skiplist) plus a member → score table ([`Dict`]), so that both
//! "the element of rank r" and "the score of member m" are cheap.
//!
//! Both structures hold the member: the tree needs it for ordering ties
//! and lex ranges, the table to find members by name. Members of up to 22
//! bytes are stored inline in both ([`SmallBytes`]), so the usual member
//! costs no allocation at all; see the tree's documentation for the
//! per-element sizes against Redis's skiplist node, `dictEntry` and `sds`.
//!
//! The table is the same [`Dict`] the keyspace uses, so ZSCAN walks it with
//! Redis's reverse-binary cursor and keeps the same guarantees.

use super::btree::{self, ZsetTree};
use super::range::{LexRange, ScoreRange};
use crate::bytes::SmallBytes;
use crate::dict::{Dict, DictEntry};

/// Ascending iterator over the production tree.
pub type TreeIter<'a> = btree::Iter<'a, { btree::DEFAULT_LEAF_CAP }, { btree::DEFAULT_FANOUT }>;
/// Descending iterator over the production tree.
pub type TreeRevIter<'a> =
    btree::RevIter<'a, { btree::DEFAULT_LEAF_CAP }, { btree::DEFAULT_FANOUT }>;

/// A member and its score, as the member table stores them.
pub struct ScoreEntry {
    member: SmallBytes,
    score: f64,
}

impl ScoreEntry {
    /// The member.
    pub fn member(&self) -> &[u8] {
        &self.member
    }

    /// The score.
    pub fn score(&self) -> f64 {
        self.score
    }
}

impl DictEntry for ScoreEntry {
    fn key(&self) -> &[u8] {
        &self.member
    }
}

/// A sorted set in the `skiplist` encoding.
#[derive(Default)]
pub struct SkipList {
    tree: ZsetTree,
    dict: Dict<ScoreEntry>,
}

impl Clone for SkipList {
    /// A deep copy with the same elements (COPY of a big sorted set).
    fn clone(&self) -> Self {
        let mut dict = Dict::new();
        for (score, member) in self.tree.iter() {
            dict.insert_new(ScoreEntry {
                member: SmallBytes::new(member),
                score,
            });
        }
        SkipList {
            tree: self.tree.clone(),
            dict,
        }
    }
}

impl SkipList {
    /// An empty sorted set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The ordered index, for range walks.
    pub fn tree(&self) -> &ZsetTree {
        &self.tree
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).map(|e| e.score)
    }

    /// Adds `member`, which must not be present yet.
    pub fn insert_new(&mut self, member: &[u8], score: f64) {
        let member = SmallBytes::new(member);
        self.tree.insert(score, member.clone());
        self.dict.insert_new(ScoreEntry { member, score });
    }

    /// Adds `member` unless it is present (false then, nothing changed):
    /// one table probe, for loaders that must refuse duplicates.
    pub fn insert_unique(&mut self, member: &[u8], score: f64) -> bool {
        let member = SmallBytes::new(member);
        let entry = ScoreEntry {
            member: member.clone(),
            score,
        };
        if self.dict.try_insert_new(entry).is_err() {
            return false;
        }
        self.tree.insert(score, member);
        true
    }

    /// Makes the member table room for `n` members, so that a loader
    /// adding that many does not grow it step by step.
    pub fn reserve(&mut self, n: usize) {
        self.dict.reserve(n);
    }

    /// Changes the score of a present `member` (Redis's `zslUpdateScore`
    /// plus the table update).
    pub fn update_score(&mut self, member: &[u8], new: f64) {
        if let Some(entry) = self.dict.get_mut(member) {
            let old = std::mem::replace(&mut entry.score, new);
            self.tree.update_score(old, new, member);
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let entry = self.dict.remove(member)?;
        self.tree.remove(entry.score, member);
        Some(entry.score)
    }

    /// The 0-based rank and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        self.tree.rank(score, member).map(|r| (r, score))
    }

    /// Removes the members the tree gave back from the table.
    fn forget(&mut self, members: Vec<SmallBytes>) -> usize {
        for m in &members {
            self.dict.remove(m);
        }
        members.len()
    }

    /// Removes ranks `start..=end` (0-based, valid); returns how many.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let removed = self.tree.delete_range_by_rank(start, end);
        self.forget(removed)
    }

    /// Removes the elements in the score range; returns how many.
    pub fn delete_range_by_score(&mut self, range: &ScoreRange) -> usize {
        let removed = self.tree.delete_range_by_score(range);
        self.forget(removed)
    }

    /// Removes the elements in the lex range; returns how many.
    pub fn delete_range_by_lex(&mut self, range: &LexRange<'_>) -> usize {
        let removed = self.tree.delete_range_by_lex(range.min, range.max);
        self.forget(removed)
    }

    /// Removes and returns the lowest (`max` false) or highest element.
    pub fn pop(&mut self, max: bool) -> Option<(SmallBytes, f64)> {
        let (score, member) = if max {
            self.tree.pop_max()?
        } else {
            self.tree.pop_min()?
        };
        self.dict.remove(&member);
        Some((member, score))
    }

    /// A uniformly random element: the element of a random rank, found in
    /// O(log n) (a random table bucket would favour members alone in
    /// their chain).
    pub fn random(&self) -> Option<(&[u8], f64)> {
        if self.is_empty() {
            return None;
        }
        let (score, member) = self.tree.get_by_rank(fastrand::usize(..self.len()))?;
        Some((member, score))
    }

    /// One ZSCAN step over the table: visits the bucket(s) at `cursor` and
    /// returns the next cursor (0 when done).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        self.dict.scan(cursor, |e| visit(e.member(), e.score))
    }

    /// Elements from rank `rank`, lowest first.
    pub fn iter_from_rank(&self, rank: usize) -> TreeIter<'_> {
        self.tree.iter_from_rank(rank)
    }

    /// Elements from rank `rank` down to the lowest.
    pub fn rev_iter_from_rank(&self, rank: usize) -> TreeRevIter<'_> {
        self.tree.rev_iter_from_rank(rank)
    }

    /// Heap bytes owned: tree nodes, table buckets and nodes, and members
    /// too long to be inline (stored twice).
    pub fn heap_size(&self) -> usize {
        self.tree.heap_size()
            + self.dict.overhead_bytes()
            + self
                .dict
                .iter()
                .map(|e| e.member.heap_size())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_tree_agree() {
        let mut z = SkipList::new();
        for i in 0..500u32 {
            z.insert_new(format!("member:{i}").as_bytes(), (i % 50) as f64);
        }
        assert_eq!(z.len(), 500);
        assert_eq!(z.score(b"member:7"), Some(7.0));
        z.update_score(b"member:7", 100.0);
        assert_eq!(z.rank(b"member:7"), Some((499, 100.0)));
        assert_eq!(z.remove(b"member:7"), Some(100.0));
        assert_eq!(z.remove(b"member:7"), None);
        let range = ScoreRange {
            min: 0.0,
            max: 1.0,
            min_exclusive: false,
            max_exclusive: false,
        };
        assert_eq!(z.delete_range_by_score(&range), 20);
        assert_eq!(z.score(b"member:50"), None);
        assert_eq!(z.delete_range_by_rank(0, 9), 10);
        let (m, s) = z.pop(true).unwrap();
        assert_eq!((m.as_slice(), s), (&b"member:99"[..], 49.0));
        assert_eq!(z.len(), 468);
        let copy = z.clone();
        assert_eq!(copy.len(), 468);
        assert_eq!(copy.score(b"member:498"), Some(48.0));
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, |_, _| seen += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, 468);
    }
}
