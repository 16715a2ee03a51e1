//! Score and member ranges as ZRANGEBYSCORE, ZRANGEBYLEX and friends take
//! them (Redis's `zrangespec` and `zlexrangespec`).
//!
//! Parsing the client's text is the command layer's job (it follows C's
//! `strtod`); these types only answer "is this element inside?", with the
//! same comparisons Redis makes, so both encodings agree on every edge
//! (`-0`/`0`, infinities, exclusive ends, `-`/`+`).

use super::btree::lex_range_is_empty;
pub use super::btree::LexBound;

/// A score interval: `min <= s <= max`, each end optionally exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// `(min`: the lower end itself is out of range.
    pub min_exclusive: bool,
    /// `(max`: the upper end itself is out of range.
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// Whether `score` is at or above the lower end (`zslValueGteMin`).
    pub fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    /// Whether `score` is at or below the upper end (`zslValueLteMax`).
    pub fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }

    /// Ranges that contain nothing whatever the scores are: `min > max`, or
    /// equal ends with either one exclusive.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }
}

/// A member interval for lexicographic range commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexRange<'a> {
    /// Lower end (`-` for unbounded).
    pub min: LexBound<'a>,
    /// Upper end (`+` for unbounded).
    pub max: LexBound<'a>,
}

impl LexRange<'_> {
    /// Whether `member` is at or after the lower end.
    pub fn above_min(&self, member: &[u8]) -> bool {
        self.min.admits_from_below(member)
    }

    /// Whether `member` is at or before the upper end.
    pub fn below_max(&self, member: &[u8]) -> bool {
        self.max.admits_from_above(member)
    }

    /// Ranges that contain nothing whatever the members are (Redis's
    /// `sdscmplex` test: min after max, or equal ends with either end
    /// exclusive; `-` and `+` count as exclusive).
    pub fn is_empty(&self) -> bool {
        lex_range_is_empty(self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ends() {
        let r = ScoreRange {
            min: 1.0,
            max: 2.0,
            min_exclusive: true,
            max_exclusive: false,
        };
        assert!(!r.above_min(1.0) && r.above_min(1.5));
        assert!(r.below_max(2.0) && !r.below_max(2.5));
        assert!(!r.is_empty());
        let point = ScoreRange {
            min: 0.0,
            max: -0.0,
            min_exclusive: false,
            max_exclusive: true,
        };
        assert!(point.is_empty(), "-0 equals 0, and one end is exclusive");
    }

    #[test]
    fn lex_ends() {
        let r = LexRange {
            min: LexBound::Exclusive(b"a"),
            max: LexBound::Max,
        };
        assert!(!r.above_min(b"a") && r.above_min(b"ab"));
        assert!(r.below_max(b"zzz"));
        let none = LexRange {
            min: LexBound::Max,
            max: LexBound::Max,
        };
        assert!(none.is_empty());
    }
}
