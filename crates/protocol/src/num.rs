//! Integer text formats exactly as Redis reads and writes them.
//!
//! Redis is strict about integers: no sign `+`, no leading zeros, no spaces,
//! and `-0` is not a number. Using the same rules everywhere keeps error
//! replies (`value is not an integer or out of range`) and the `int` string
//! encoding identical to Redis.

/// Parses `s` as a signed 64-bit integer with Redis's `string2ll` rules.
///
/// Accepts `0`, or an optional `-` followed by a digit 1-9 and more digits,
/// at most 20 bytes in total, without overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses `s` as an unsigned 64-bit integer (`string2ull`): Redis's integer
/// rules, falling back to the full unsigned range.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    if s.is_empty() || s.len() > 20 || !s.iter().all(|d| d.is_ascii_digit()) || s[0] == b'0' {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Writes the decimal form of `v` into `out`.
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Number of decimal digits of a length, for sizing headers.
pub fn digits10(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_integer_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
            b"00",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn unsigned_range() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"18446744073709551616"), None);
    }
}

/// Writes `v` the way Redis 7.2 prints doubles in replies (`d2string`):
/// `nan`, `inf`, `-inf`, `0`, `-0`; integral values within ±2^62 as integers;
/// otherwise the shortest round-trip digits, in plain decimal when the
/// exponent is small and in `1.5e-7` / `1e+21` form when it is not.
pub fn push_double(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if v.fract() == 0.0 && v.abs() <= (i64::MAX / 2) as f64 {
        push_i64(out, v as i64);
    } else {
        push_shortest(out, v);
    }
}

/// The shortest-digits part of [`push_double`], for finite non-integral or
/// large values. On its own (any finite nonzero value, integral ones
/// included) it is Redis's `fpconv_dtoa`, which DEBUG DIGEST uses for
/// sorted-set scores.
pub fn push_shortest(out: &mut Vec<u8>, v: f64) {
    // `{:e}` yields the shortest round-trip digits as `d.ddddde<exp>`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp10: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|b| b.is_ascii_digit()).collect();
    let ndigits = digits.len() as i32;
    // K: the power of ten of the last digit, as in `digits * 10^K`.
    let k = exp10 - (ndigits - 1);
    let neg = v < 0.0;
    if neg {
        out.push(b'-');
    }
    let exp_abs = (k + ndigits - 1).abs();
    if k >= 0 && exp_abs < ndigits + 7 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
        return;
    }
    if k < 0 && (k > -7 || exp_abs < 4) {
        let offset = ndigits + k;
        if offset <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-offset) as usize));
            out.extend_from_slice(&digits);
        } else {
            out.extend_from_slice(&digits[..offset as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[offset as usize..]);
        }
        return;
    }
    let shown = digits.len().min(18 - neg as usize);
    out.push(digits[0]);
    if shown > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..shown]);
    }
    out.push(b'e');
    out.push(if k + ndigits - 1 < 0 { b'-' } else { b'+' });
    push_i64(out, exp_abs as i64);
}

#[cfg(test)]
mod double_tests {
    use super::push_double;

    fn fmt(v: f64) -> String {
        let mut out = Vec::new();
        push_double(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn redis_7_2_double_text() {
        assert_eq!(fmt(2.5e-3), "0.0025");
        assert_eq!(fmt(1.0), "1");
        assert_eq!(fmt(-0.0), "-0");
        assert_eq!(fmt(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt(1.5e-7), "1.5e-7");
        assert_eq!(fmt(1e21), "1e+21");
        assert_eq!(fmt(f64::INFINITY), "inf");
        assert_eq!(fmt(-2.5), "-2.5");
        assert_eq!(fmt(123456.789), "123456.789");
        assert_eq!(fmt(0.0001), "0.0001");
    }
}
