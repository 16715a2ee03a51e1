//! Parsing stream IDs from arguments, with Redis's rules
//! (`streamGenericParseIDOrReply` and its wrappers).

use crate::error::CmdError;
use lodestone_protocol::num::parse_i64;
use lodestone_storage::stream::StreamId;

/// C's `isspace`.
fn c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis's `string2ull`: the integer rules first (refusing negatives), then
/// `strtoull`'s (leading spaces, a sign, leading zeros; a minus sign
/// negates modulo 2^64), the whole text consumed.
pub(super) fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && c_space(s[i]) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// How an ID argument may be written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `-` and `+` are the smallest and largest IDs.
    Lenient,
    /// `-` and `+` are invalid.
    Strict,
}

/// Parses `<ms>[-<seq>]`, `-` or `+`; a missing sequence is
/// `missing_seq`. With `allow_star`, `<ms>-*` is accepted and the flag
/// says whether the sequence was given.
fn parse_generic(
    arg: &[u8],
    missing_seq: u64,
    form: Form,
    allow_star: bool,
) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 127 {
        return Err(CmdError::StreamInvalidId);
    }
    // The argument is a C string for Redis: it ends at the first NUL.
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    match text {
        b"-" | b"+" if form == Form::Strict => Err(CmdError::StreamInvalidId),
        b"-" => Ok((StreamId::MIN, true)),
        b"+" => Ok((StreamId::MAX, true)),
        _ => {
            let (ms_part, seq_part) = match text.iter().position(|&b| b == b'-') {
                Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
                None => (text, None),
            };
            let ms = string2ull(ms_part).ok_or(CmdError::StreamInvalidId)?;
            match seq_part {
                None => Ok((StreamId::new(ms, missing_seq), true)),
                Some(b"*") if allow_star => Ok((StreamId::new(ms, 0), false)),
                Some(seq) => {
                    let seq = string2ull(seq).ok_or(CmdError::StreamInvalidId)?;
                    Ok((StreamId::new(ms, seq), true))
                }
            }
        }
    }
}

/// An ID where `-` and `+` are allowed.
pub(super) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    parse_generic(arg, missing_seq, Form::Lenient, false).map(|(id, _)| id)
}

/// An ID where `-` and `+` are refused.
pub(super) fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    parse_generic(arg, missing_seq, Form::Strict, false).map(|(id, _)| id)
}

/// XADD's explicit ID: strict, `<ms>-*` allowed; the flag says whether
/// the sequence was given.
pub(super) fn parse_xadd_id(arg: &[u8]) -> Result<(StreamId, bool), CmdError> {
    parse_generic(arg, 0, Form::Strict, true)
}

/// A range bound: `(` makes it exclusive (then `-`/`+` are refused); the
/// flag says whether it was.
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_strict_id(&arg[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(arg, missing_seq)?, false))
    }
}

/// The start of a range (missing sequence 0; exclusive moves one up).
pub(super) fn parse_range_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, exclusive) = parse_interval(arg, 0)?;
    if exclusive {
        id.next().ok_or(CmdError::InvalidStartId)
    } else {
        Ok(id)
    }
}

/// The end of a range (missing sequence the largest; exclusive moves one
/// down).
pub(super) fn parse_range_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, exclusive) = parse_interval(arg, u64::MAX)?;
    if exclusive {
        id.prev().ok_or(CmdError::InvalidEndId)
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_like_redis() {
        assert_eq!(parse_id(b"5", 0), Ok(StreamId::new(5, 0)));
        assert_eq!(parse_id(b"5", u64::MAX), Ok(StreamId::new(5, u64::MAX)));
        assert_eq!(parse_id(b"5-3", 0), Ok(StreamId::new(5, 3)));
        assert_eq!(parse_id(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0), Ok(StreamId::MAX));
        assert!(parse_strict_id(b"+", 0).is_err());
        assert!(parse_id(b"5-3-1", 0).is_err());
        assert!(parse_id(b"-5", 0).is_err());
        assert!(parse_id(b"", 0).is_err());
        assert_eq!(parse_id(b"007-+1", 0), Ok(StreamId::new(7, 1)));
        assert_eq!(parse_xadd_id(b"9-*"), Ok((StreamId::new(9, 0), false)));
        assert!(parse_id(b"9-*", 0).is_err());
        assert_eq!(parse_range_start(b"(1-5"), Ok(StreamId::new(1, 6)));
        assert_eq!(parse_range_end(b"(2"), Ok(StreamId::new(2, u64::MAX - 1)));
        assert_eq!(parse_range_end(b"(2-0"), Ok(StreamId::new(1, u64::MAX)));
        assert_eq!(parse_range_start(b"(+"), Err(CmdError::StreamInvalidId));
        assert_eq!(parse_range_end(b"(0-0"), Err(CmdError::InvalidEndId));
        assert_eq!(string2ull(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(string2ull(b"18446744073709551616"), None);
    }
}
