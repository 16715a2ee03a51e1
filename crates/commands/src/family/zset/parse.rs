//! Parsing of sorted-set range arguments, with Redis's rules and errors.

use crate::args::strtod_whole;
use crate::error::CmdError;
use lodestone_storage::zset::{LexBound, LexRange, ScoreRange};

/// One end of a score range (`zslParseRange`): `(` makes it exclusive,
/// the rest is read by `strtod` to the end of the C string.
fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.split_first() {
        Some((b'(', rest)) => strtod_whole(rest).map(|v| (v, true)),
        _ => strtod_whole(arg).map(|v| (v, false)),
    }
}

/// Parses `min max` of ZRANGEBYSCORE, ZCOUNT and friends (`min or max is
/// not a float`).
pub fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (min, min_exclusive) = score_bound(min).ok_or(CmdError::MinMaxNotFloat)?;
    let (max, max_exclusive) = score_bound(max).ok_or(CmdError::MinMaxNotFloat)?;
    Ok(ScoreRange {
        min,
        max,
        min_exclusive,
        max_exclusive,
    })
}

/// Parses `min max` of ZRANGEBYLEX, ZLEXCOUNT and friends: `-`, `+`,
/// `[member` or `(member` (`min or max not valid string range item`).
pub fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    let min = LexBound::parse(min).ok_or(CmdError::MinMaxNotLexRange)?;
    let max = LexBound::parse(max).ok_or(CmdError::MinMaxNotLexRange)?;
    Ok(LexRange { min, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ranges() {
        let r = score_range(b"(1.5", b"+inf").unwrap();
        assert_eq!((r.min, r.min_exclusive), (1.5, true));
        assert_eq!((r.max, r.max_exclusive), (f64::INFINITY, false));
        let r = score_range(b"", b"(").unwrap();
        assert_eq!((r.min, r.max, r.max_exclusive), (0.0, 0.0, true));
        assert_eq!(score_range(b"nan", b"1"), Err(CmdError::MinMaxNotFloat));
        assert_eq!(score_range(b"1", b"((2"), Err(CmdError::MinMaxNotFloat));
        assert_eq!(score_range(b"1x", b"2"), Err(CmdError::MinMaxNotFloat));
    }

    #[test]
    fn lex_ranges() {
        let r = lex_range(b"-", b"(b").unwrap();
        assert_eq!(r.min, LexBound::Min);
        assert_eq!(r.max, LexBound::Exclusive(b"b"));
        assert_eq!(lex_range(b"a", b"+"), Err(CmdError::MinMaxNotLexRange));
        assert_eq!(lex_range(b"-x", b"+"), Err(CmdError::MinMaxNotLexRange));
    }
}
