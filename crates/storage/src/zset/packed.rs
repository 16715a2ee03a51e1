//! The `listpack` encoding of a sorted set: member, score, member, score,
//! ... in one listpack, in score order (ties by member), as Redis's `zzl*`
//! functions keep it.
//!
//! Scores are written the way Redis 7.2's `zzlInsertAt` writes them: an
//! integral score within ±2^62 as a listpack integer (so `-0` is stored as
//! `0`, as in Redis 7.2), any other as its shortest round-trip text
//! (`d2string`). Reading a text score parses it like `strtod` reads the
//! forms written here; unparsable text reads as 0, as `strtod` would.

use super::range::{LexRange, ScoreRange};
use crate::listpack::{Listpack, ListpackRef, LpEntry};
use lodestone_protocol::num::push_double;

/// Longest prefix of a text score that is parsed (Redis's `zzlStrtod`
/// copies at most 127 bytes into its buffer).
const MAX_SCORE_TEXT: usize = 127;

/// The value of a score entry (`zzlGetScore`).
pub fn score_of(entry: LpEntry<'_>) -> f64 {
    match entry {
        LpEntry::Int(v) => v as f64,
        LpEntry::Str(s) => {
            let s = &s[..s.len().min(MAX_SCORE_TEXT)];
            std::str::from_utf8(s)
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0.0)
        }
    }
}

/// Appends the listpack form of `score` to `out`: integer text (which the
/// listpack stores as an integer) when the score is integral within ±2^62,
/// else the shortest round-trip text.
pub fn score_text(score: f64, out: &mut Vec<u8>) {
    if score == 0.0 {
        out.push(b'0');
    } else {
        push_double(out, score);
    }
}

/// Number of (member, score) pairs.
pub fn pairs(lp: ListpackRef<'_>) -> usize {
    lp.len() / 2
}

/// Position of `member` and its score (`zzlFind`).
pub fn find(lp: ListpackRef<'_>, member: &[u8]) -> Option<(usize, f64)> {
    let pos = lp.find(lp.first()?, member, 1)?;
    let score = score_of(lp.get(lp.next(pos)?));
    Some((pos, score))
}

/// Position of the pair of 0-based rank `rank`.
pub fn seek(lp: ListpackRef<'_>, rank: usize) -> Option<usize> {
    lp.seek(i64::try_from(rank.checked_mul(2)?).ok()?)
}

/// The member and score entries of the pair at `pos`.
pub fn pair_at(lp: ListpackRef<'_>, pos: usize) -> Option<(LpEntry<'_>, LpEntry<'_>)> {
    Some((lp.get(pos), lp.get(lp.next(pos)?)))
}

/// Position of the pair after the one at `pos`.
fn next_pair(lp: ListpackRef<'_>, pos: usize) -> Option<usize> {
    lp.next(lp.next(pos)?)
}

/// Position of the pair before the one at `pos`.
fn prev_pair(lp: ListpackRef<'_>, pos: usize) -> Option<usize> {
    lp.prev(lp.prev(pos)?)
}

/// Inserts a pair whose member is not present, keeping the order
/// (`zzlInsert`): before the first pair with a higher score, or an equal
/// score and a greater member; at the tail otherwise.
pub fn insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let view = lp.view();
    let mut at = view.first();
    while let Some(pos) = at {
        let Some((m, s)) = pair_at(view, pos) else {
            break;
        };
        let cur = score_of(s);
        if cur > score || (cur == score && m.with_bytes(|m| m > member)) {
            break;
        }
        at = next_pair(view, pos);
    }
    let mut text = Vec::with_capacity(24);
    score_text(score, &mut text);
    match at {
        Some(pos) => {
            let m = lp.insert_before(pos, member);
            lp.insert_after(m, &text);
        }
        None => lp.append_batch(&[member, &text]),
    }
}

/// Appends a pair at the tail: for building a listpack from elements
/// already in order.
pub fn push(lp: &mut Listpack, member: &[u8], score: f64) {
    let mut text = Vec::with_capacity(24);
    score_text(score, &mut text);
    lp.append_batch(&[member, &text]);
}

/// Removes the pair at `pos`.
pub fn delete(lp: &mut Listpack, pos: usize) {
    lp.delete_range_at(pos, 2);
}

/// Whether some element can be in the score range (`zzlIsInRange`).
fn in_score_range(lp: ListpackRef<'_>, range: &ScoreRange) -> bool {
    if range.is_empty() {
        return false;
    }
    let (Some(last), Some(first)) = (lp.seek(-1), lp.seek(1)) else {
        return false;
    };
    range.above_min(score_of(lp.get(last))) && range.below_max(score_of(lp.get(first)))
}

/// Rank and position of the first pair in the score range
/// (`zzlFirstInRange`).
pub fn first_in_score_range(lp: ListpackRef<'_>, range: &ScoreRange) -> Option<(usize, usize)> {
    if !in_score_range(lp, range) {
        return None;
    }
    let mut at = lp.first();
    let mut rank = 0;
    while let Some(pos) = at {
        let score = score_of(pair_at(lp, pos)?.1);
        if range.above_min(score) {
            return range.below_max(score).then_some((rank, pos));
        }
        rank += 1;
        at = next_pair(lp, pos);
    }
    None
}

/// Rank and position of the last pair in the score range
/// (`zzlLastInRange`).
pub fn last_in_score_range(lp: ListpackRef<'_>, range: &ScoreRange) -> Option<(usize, usize)> {
    if !in_score_range(lp, range) {
        return None;
    }
    let mut at = lp.seek(-2);
    let mut rank = pairs(lp);
    while let Some(pos) = at {
        rank -= 1;
        let score = score_of(pair_at(lp, pos)?.1);
        if range.below_max(score) {
            return range.above_min(score).then_some((rank, pos));
        }
        at = prev_pair(lp, pos);
    }
    None
}

/// Whether the member entry at `pos` is at or after the range's minimum.
fn lex_above_min(lp: ListpackRef<'_>, pos: usize, range: &LexRange<'_>) -> bool {
    lp.get(pos).with_bytes(|m| range.above_min(m))
}

/// Whether the member entry at `pos` is at or before the range's maximum.
fn lex_below_max(lp: ListpackRef<'_>, pos: usize, range: &LexRange<'_>) -> bool {
    lp.get(pos).with_bytes(|m| range.below_max(m))
}

/// Whether some element can be in the lex range (`zzlIsInLexRange`).
fn in_lex_range(lp: ListpackRef<'_>, range: &LexRange<'_>) -> bool {
    if range.is_empty() {
        return false;
    }
    let (Some(last), Some(first)) = (lp.seek(-2), lp.first()) else {
        return false;
    };
    lex_above_min(lp, last, range) && lex_below_max(lp, first, range)
}

/// Rank and position of the first pair in the lex range
/// (`zzlFirstInLexRange`).
pub fn first_in_lex_range(lp: ListpackRef<'_>, range: &LexRange<'_>) -> Option<(usize, usize)> {
    if !in_lex_range(lp, range) {
        return None;
    }
    let mut at = lp.first();
    let mut rank = 0;
    while let Some(pos) = at {
        if lex_above_min(lp, pos, range) {
            return lex_below_max(lp, pos, range).then_some((rank, pos));
        }
        rank += 1;
        at = next_pair(lp, pos);
    }
    None
}

/// Rank and position of the last pair in the lex range
/// (`zzlLastInLexRange`).
pub fn last_in_lex_range(lp: ListpackRef<'_>, range: &LexRange<'_>) -> Option<(usize, usize)> {
    if !in_lex_range(lp, range) {
        return None;
    }
    let mut at = lp.seek(-2);
    let mut rank = pairs(lp);
    while let Some(pos) = at {
        rank -= 1;
        if lex_below_max(lp, pos, range) {
            return lex_above_min(lp, pos, range).then_some((rank, pos));
        }
        at = prev_pair(lp, pos);
    }
    None
}

/// Removes the pairs of ranks `start..=end` (both valid ranks).
pub fn delete_range_by_rank(lp: &mut Listpack, start: usize, end: usize) -> usize {
    let count = end - start + 1;
    lp.delete_range((2 * start) as i64, 2 * count);
    count
}

/// Removes the pairs from the first in the score range on, while their
/// score is within the maximum (`zzlDeleteRangeByScore`).
pub fn delete_range_by_score(lp: &mut Listpack, range: &ScoreRange) -> usize {
    let Some((_, start)) = first_in_score_range(lp.view(), range) else {
        return 0;
    };
    let view = lp.view();
    let mut count = 0;
    let mut at = Some(start);
    while let Some(pos) = at {
        match pair_at(view, pos) {
            Some((_, s)) if range.below_max(score_of(s)) => count += 1,
            _ => break,
        }
        at = next_pair(view, pos);
    }
    lp.delete_range_at(start, 2 * count);
    count
}

/// Removes the pairs from the first in the lex range on, while their
/// member is within the maximum (`zzlDeleteRangeByLex`).
pub fn delete_range_by_lex(lp: &mut Listpack, range: &LexRange<'_>) -> usize {
    let Some((_, start)) = first_in_lex_range(lp.view(), range) else {
        return 0;
    };
    let view = lp.view();
    let mut count = 0;
    let mut at = Some(start);
    while let Some(pos) = at {
        if !lex_below_max(view, pos, range) {
            break;
        }
        count += 1;
        at = next_pair(view, pos);
    }
    lp.delete_range_at(start, 2 * count);
    count
}

/// Iterator over the pairs of a listpack-encoded sorted set, from a
/// starting pair in either direction.
#[derive(Clone)]
pub struct PackedIter<'a> {
    lp: ListpackRef<'a>,
    pos: Option<usize>,
    remaining: usize,
    reverse: bool,
}

impl<'a> PackedIter<'a> {
    /// Pairs from rank `rank` upwards (`reverse` false) or downwards.
    pub fn from_rank(lp: ListpackRef<'a>, rank: usize, reverse: bool) -> Self {
        let n = pairs(lp);
        let (pos, remaining) = if rank < n {
            (seek(lp, rank), if reverse { rank + 1 } else { n - rank })
        } else {
            (None, 0)
        };
        PackedIter {
            lp,
            pos,
            remaining,
            reverse,
        }
    }
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (LpEntry<'a>, LpEntry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let pos = self.pos?;
        let item = pair_at(self.lp, pos)?;
        self.remaining -= 1;
        self.pos = if self.remaining == 0 {
            None
        } else if self.reverse {
            prev_pair(self.lp, pos)
        } else {
            next_pair(self.lp, pos)
        };
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for PackedIter<'_> {}

#[cfg(test)]
mod tests {
    use super::super::range::LexBound;
    use super::*;

    fn contents(lp: &Listpack) -> Vec<(Vec<u8>, f64)> {
        PackedIter::from_rank(lp.view(), 0, false)
            .map(|(m, s)| (m.to_vec(), score_of(s)))
            .collect()
    }

    #[test]
    fn scores_are_written_like_redis_7_2() {
        let text = |v: f64| {
            let mut out = Vec::new();
            score_text(v, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(3.0), "3");
        assert_eq!(text(1.5), "1.5");
        assert_eq!(text(f64::NEG_INFINITY), "-inf");
        assert_eq!(text(1e300), "1e+300");
        let mut lp = Listpack::new();
        push(&mut lp, b"a", 3.0);
        push(&mut lp, b"b", 0.1);
        let items: Vec<_> = lp.iter().collect();
        assert_eq!(items[1], LpEntry::Int(3), "integral scores are integers");
        assert_eq!(items[3], LpEntry::Str(b"0.1"));
        assert_eq!(score_of(items[3]), 0.1);
    }

    #[test]
    fn insert_keeps_score_then_member_order() {
        let mut lp = Listpack::new();
        for (m, s) in [
            (&b"c"[..], 2.0),
            (b"a", 2.0),
            (b"z", 1.0),
            (b"b", 2.0),
            (b"10", 3.0),
        ] {
            insert(&mut lp, m, s);
        }
        let got: Vec<_> = contents(&lp).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            got,
            vec![
                b"z".to_vec(),
                b"a".to_vec(),
                b"b".to_vec(),
                b"c".to_vec(),
                b"10".to_vec()
            ]
        );
        assert_eq!(find(lp.view(), b"10").map(|(_, s)| s), Some(3.0));
        assert!(find(lp.view(), b"1").is_none());
    }

    #[test]
    fn ranges_and_deletions() {
        let mut lp = Listpack::new();
        for (i, m) in [b"a", b"b", b"c", b"d", b"e"].iter().enumerate() {
            insert(&mut lp, *m, i as f64);
        }
        let r = ScoreRange {
            min: 1.0,
            max: 3.0,
            min_exclusive: true,
            max_exclusive: false,
        };
        assert_eq!(first_in_score_range(lp.view(), &r).map(|x| x.0), Some(2));
        assert_eq!(last_in_score_range(lp.view(), &r).map(|x| x.0), Some(3));
        let lex = LexRange {
            min: LexBound::Inclusive(b"b"),
            max: LexBound::Exclusive(b"d"),
        };
        assert_eq!(first_in_lex_range(lp.view(), &lex).map(|x| x.0), Some(1));
        assert_eq!(last_in_lex_range(lp.view(), &lex).map(|x| x.0), Some(2));
        assert_eq!(delete_range_by_score(&mut lp, &r), 2);
        assert_eq!(delete_range_by_lex(&mut lp, &lex), 1);
        let left: Vec<_> = contents(&lp).into_iter().map(|(m, _)| m).collect();
        assert_eq!(left, vec![b"a".to_vec(), b"e".to_vec()]);
        assert_eq!(delete_range_by_rank(&mut lp, 0, 1), 2);
        assert!(lp.is_empty());
    }

    #[test]
    fn iterates_both_ways_from_a_rank() {
        let mut lp = Listpack::new();
        for i in 0..4 {
            push(&mut lp, format!("m{i}").as_bytes(), i as f64);
        }
        let fwd: Vec<_> = PackedIter::from_rank(lp.view(), 1, false)
            .map(|(_, s)| score_of(s))
            .collect();
        assert_eq!(fwd, vec![1.0, 2.0, 3.0]);
        let rev: Vec<_> = PackedIter::from_rank(lp.view(), 2, true)
            .map(|(_, s)| score_of(s))
            .collect();
        assert_eq!(rev, vec![2.0, 1.0, 0.0]);
        assert_eq!(PackedIter::from_rank(lp.view(), 4, false).count(), 0);
    }
}
