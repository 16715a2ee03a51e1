//! Argument parsing helpers shared by command families, with Redis's rules
//! and error replies.

use crate::error::CmdError;
use lodestone_protocol::num;

/// Parses a 64-bit integer argument (`value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    num::parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// True when `arg` equals `word` ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// Parses a database index argument for SELECT, MOVE, COPY and SWAPDB.
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let n = num::parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if n < 0 || n >= databases as i64 || n > i32::MAX as i64 {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// Longest text Redis parses as a long double (`MAX_LONG_DOUBLE_CHARS`).
const MAX_FLOAT_CHARS: usize = 5 * 1024;

/// Parses a number as Redis's `string2ld` does for timeouts: `strtod`
/// syntax (decimal or hexadecimal, exponents, `inf`), refusing empty or
/// over-long text, leading space, trailing characters (an embedded NUL
/// included) and NaN. A value too small for a double comes back as the
/// smallest one of its sign rather than zero, as it stays nonzero in
/// Redis's long double.
fn parse_c_float(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || arg.len() >= MAX_FLOAT_CHARS || c_space(arg[0]) || arg.contains(&0) {
        return None;
    }
    let (value, consumed) = strtod_c(arg);
    if consumed != arg.len() || value.is_nan() {
        return None;
    }
    if value == 0.0 && out_of_double_range(arg, value) {
        return Some(if arg[0] == b'-' {
            -f64::MIN_POSITIVE
        } else {
            f64::MIN_POSITIVE
        });
    }
    Some(value)
}

/// Parses the timeout of a blocking command (seconds, fractions allowed;
/// Redis's `getTimeoutFromObjectOrReply` in seconds) into an absolute
/// deadline in Unix ms from the command time `now_ms`, rounding up to
/// the millisecond; `None` for 0, which waits forever.
pub fn timeout_deadline(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    let seconds = parse_c_float(arg).ok_or(CmdError::TimeoutNotFloat)?;
    let ms = seconds * 1000.0;
    if ms > i64::MAX as f64 {
        return Err(CmdError::TimeoutOutOfRange);
    }
    // Saturates at i64::MIN for -inf, which is negative as in Redis.
    let ms = ms.ceil() as i64;
    if ms < 0 {
        return Err(CmdError::NegativeTimeout);
    }
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now_ms {
        return Err(CmdError::TimeoutOutOfRange);
    }
    Ok(Some(now_ms + ms))
}

/// Parses a timeout in whole milliseconds (WAIT, WAITAOF; Redis's
/// `getTimeoutFromObjectOrReply` in milliseconds) into an absolute
/// deadline in Unix ms from the command time `now_ms`; `None` for 0,
/// which waits forever.
pub fn timeout_ms_deadline(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    let ms = num::parse_i64(arg).ok_or(CmdError::InvalidTimeout)?;
    if ms < 0 {
        return Err(CmdError::NegativeTimeout);
    }
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now_ms {
        return Err(CmdError::TimeoutOutOfRange);
    }
    Ok(Some(now_ms + ms))
}

/// C's `strtod` over `text` up to its first NUL byte (a C string ends
/// there): the value and how many bytes it read (0 when there is no
/// number at all).
fn strtod_c(text: &[u8]) -> (f64, usize) {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let mut buf = Vec::with_capacity(text.len() + 1);
    buf.extend_from_slice(text);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; strtod only
    // reads it and writes the end position into `end`.
    let value = unsafe { libc::strtod(buf.as_ptr().cast(), &mut end) };
    let consumed = (end as usize).wrapping_sub(buf.as_ptr() as usize);
    (value, consumed.min(text.len()))
}

/// C's `isspace` (which, unlike `u8::is_ascii_whitespace`, includes `\v`).
fn c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Whether `strtod` would flag `text` (a number it read whole) with
/// ERANGE and a result Redis's `string2d` refuses: an overflow to
/// infinity that is not the literal `inf`, or a nonzero number that
/// underflowed to zero.
fn out_of_double_range(text: &[u8], value: f64) -> bool {
    let body = text.trim_ascii_start();
    let body = body
        .strip_prefix(b"-")
        .or_else(|| body.strip_prefix(b"+"))
        .unwrap_or(body);
    if value.is_infinite() {
        return !body.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'i'));
    }
    if value != 0.0 {
        return false;
    }
    let (digits, exponent_mark) = match body {
        [b'0', b'x' | b'X', rest @ ..] => (rest, b'p'),
        _ => (body, b'e'),
    };
    digits
        .iter()
        .take_while(|c| !c.eq_ignore_ascii_case(&exponent_mark))
        .any(|c| c.is_ascii_hexdigit() && *c != b'0')
}

/// Parses a double the way Redis's `getDoubleFromObject` (`string2d`)
/// does for scores, weights and increments: the whole argument must be a
/// `strtod` number (decimal, hexadecimal, `inf`, `infinity`), with no
/// leading space, not NaN, neither overflowing nor underflowing to zero
/// (`value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    let bad = || CmdError::NotFloat;
    if arg.is_empty() || c_space(arg[0]) {
        return Err(bad());
    }
    let (value, consumed) = strtod_c(arg);
    if consumed != arg.len() || value.is_nan() || out_of_double_range(arg, value) {
        return Err(bad());
    }
    Ok(value)
}

/// Parses a range bound the way Redis's `zslParseRange` reads it with
/// `strtod`: the number may be preceded by spaces, overflows to infinity,
/// and must reach the end of the C string (so the empty string reads as
/// 0 and anything after a NUL byte is ignored); NaN is refused. `None`
/// when the text is not such a number.
pub fn strtod_whole(arg: &[u8]) -> Option<f64> {
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (value, consumed) = strtod_c(text);
    (consumed == text.len() && !value.is_nan()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_timeouts_parse_like_redis() {
        let now = 1_000_000;
        assert_eq!(timeout_ms_deadline(b"0", now), Ok(None));
        assert_eq!(timeout_ms_deadline(b"50", now), Ok(Some(now + 50)));
        assert_eq!(
            timeout_ms_deadline(b"0.5", now),
            Err(CmdError::InvalidTimeout)
        );
        assert_eq!(
            timeout_ms_deadline(b"-1", now),
            Err(CmdError::NegativeTimeout)
        );
        assert_eq!(
            timeout_ms_deadline(b"9223372036854775807", now),
            Err(CmdError::TimeoutOutOfRange)
        );
        assert_eq!(
            timeout_ms_deadline(b"9223372036854775808", now),
            Err(CmdError::InvalidTimeout)
        );
    }

    #[test]
    fn timeouts_parse_like_redis() {
        let now = 1_000_000;
        assert_eq!(timeout_deadline(b"0", now), Ok(None));
        assert_eq!(timeout_deadline(b"0.0", now), Ok(None));
        assert_eq!(timeout_deadline(b"1", now), Ok(Some(now + 1000)));
        assert_eq!(timeout_deadline(b"0.1", now), Ok(Some(now + 100)));
        assert_eq!(timeout_deadline(b"0.0001", now), Ok(Some(now + 1)));
        assert_eq!(timeout_deadline(b"1e-400", now), Ok(Some(now + 1)));
        assert_eq!(timeout_deadline(b"-1e-400", now), Ok(None));
        assert_eq!(timeout_deadline(b"1e3", now), Ok(Some(now + 1_000_000)));
        assert_eq!(timeout_deadline(b"0x10", now), Ok(Some(now + 16_000)));
        assert_eq!(timeout_deadline(b"-1", now), Err(CmdError::NegativeTimeout));
        assert_eq!(
            timeout_deadline(b"-inf", now),
            Err(CmdError::NegativeTimeout)
        );
        assert_eq!(
            timeout_deadline(b"inf", now),
            Err(CmdError::TimeoutOutOfRange)
        );
        assert_eq!(
            timeout_deadline(b"0x7FFFFFFFFFFFFF", now),
            Err(CmdError::TimeoutOutOfRange)
        );
        for bad in [&b""[..], b"abc", b" 1", b"1 ", b"nan", b"1x", b"1\x002"] {
            assert_eq!(
                timeout_deadline(bad, now),
                Err(CmdError::TimeoutNotFloat),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn floats_parse_like_string2d() {
        assert_eq!(float(b"1.5"), Ok(1.5));
        assert_eq!(float(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(float(b"+Infinity"), Ok(f64::INFINITY));
        assert_eq!(float(b"0x10"), Ok(16.0));
        assert_eq!(float(b"1e-310"), Ok(1e-310));
        assert_eq!(float(b"0e-999"), Ok(0.0));
        assert_eq!(float(b"-0"), Ok(-0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"\x0b1",
            b"1 ",
            b"nan",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"0x1p-9999",
            b"1\x002",
            b"abc",
            b"1e",
        ] {
            assert_eq!(float(bad), Err(CmdError::NotFloat), "{bad:?}");
        }
    }

    #[test]
    fn range_bounds_parse_like_strtod() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b" 2"), Some(2.0));
        assert_eq!(strtod_whole(b"1e400"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"3\x00junk"), Some(3.0));
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b"1 "), None);
        assert_eq!(strtod_whole(b"x"), None);
    }
}
