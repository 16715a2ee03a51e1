//! Number and word parsing with the exact leniency of the C library calls
//! Redis uses for configuration values (`strtoll`, `strtod`, its own
//! `memtoull`, `sdssplitlen`). Values Redis accepts must be accepted here
//! and parse to the same number, and values it refuses must be refused, so
//! each function documents the C behaviour it reproduces.

/// The result of C's `strtoll` on a whole string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrToLl {
    /// The value, clamped to the i64 range on overflow.
    pub value: i64,
    /// True when parsing stopped at the end of the string (`*endptr == '\0'`).
    /// A string without any digit leaves `endptr` at its start, so only the
    /// empty string counts as fully consumed then.
    pub consumed_all: bool,
    /// True when the value overflowed (`errno == ERANGE`).
    pub overflow: bool,
}

/// C's `isspace` in the "C" locale.
fn c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtoll(s, &end, base)` for bases 8 and 10: leading white space, an
/// optional sign, then digits.
pub fn strtoll(s: &str, base: u32) -> StrToLl {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && c_space(b[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        negative = b[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut magnitude: u128 = 0;
    let mut overflow = false;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(base) else {
            break;
        };
        magnitude = magnitude * base as u128 + d as u128;
        if magnitude > (1u128 << 64) {
            overflow = true;
            magnitude = 1u128 << 64;
        }
        i += 1;
    }
    if i == digits_start {
        return StrToLl {
            value: 0,
            consumed_all: b.is_empty(),
            overflow: false,
        };
    }
    let value = if negative {
        if magnitude > 1u128 << 63 {
            overflow = true;
            i64::MIN
        } else {
            (-(magnitude as i128)) as i64
        }
    } else if magnitude > i64::MAX as u128 {
        overflow = true;
        i64::MAX
    } else {
        magnitude as i64
    };
    StrToLl {
        value,
        consumed_all: i == b.len(),
        overflow,
    }
}

/// `strtoll(s, &end, 10)` where Redis only checks `*end == '\0'`: the value
/// when the whole string parsed (the empty string gives 0, overflow clamps).
pub fn strtoll_whole(s: &str) -> Option<i64> {
    let r = strtoll(s, 10);
    r.consumed_all.then_some(r.value)
}

/// Redis's `memtoull`: digits followed by an optional unit (`b`, `k`, `kb`,
/// `m`, `mb`, `g`, `gb`, any case). No digits means 0; a leading `-` or an
/// unknown unit is an error; overflow is not detected (the digits saturate
/// and the multiplication wraps, as in C).
pub fn memtoull(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.first() == Some(&b'-') {
        return None;
    }
    let digits_end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    let mul: u64 = match s[digits_end..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits_end >= 128 {
        return None;
    }
    let mut val: u64 = 0;
    for &d in &b[..digits_end] {
        val = val
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .unwrap_or(u64::MAX);
    }
    Some(val.wrapping_mul(mul))
}

/// Redis's `string2ll`: a canonical decimal integer (no spaces, no `+`, no
/// leading zeros) within the i64 range.
pub fn string2ll(s: &str) -> Option<i64> {
    lodestone_protocol::num::parse_i64(s.as_bytes())
}

/// Redis's `string2d`: a `strtod` number covering the whole string, with no
/// leading space, not NaN, and not overflowing or underflowing.
pub fn string2d(s: &str) -> Option<f64> {
    let first = *s.as_bytes().first()?;
    if c_space(first) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let literal_infinity = lower.trim_start_matches(['+', '-']).starts_with("inf");
    if v.is_infinite() && !literal_infinity {
        return None;
    }
    // strtod reports ERANGE for a non-zero number too small for a double.
    let mantissa = lower.split('e').next().unwrap_or("");
    if v == 0.0 && mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
        return None;
    }
    Some(v)
}

/// `sdssplitlen(s, " ")`: the words of a CONFIG SET value for a multi-word
/// parameter. Every single space separates, so two spaces make an empty
/// word, and the empty string has no words at all.
pub fn split_spaces(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(' ').map(str::to_string).collect()
}

/// `sdssplitargs`: the words of a configuration line, with quotes and
/// escapes; `None` for unbalanced quotes.
pub fn split_args(s: &str) -> Option<Vec<String>> {
    lodestone_protocol::request::split_args(s.as_bytes()).map(|words| {
        words
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect()
    })
}

/// Formats a double as Redis does for `latency-tracking-info-percentiles`:
/// `printf("%f")` with trailing zeros (and a trailing point) removed.
pub fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Quotes a string the way Redis's `sdscatrepr` does (for rewritten lines).
pub fn repr(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    crate::handlers::monitor::push_repr(&mut out, s.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoll_is_lenient_like_c() {
        assert_eq!(strtoll_whole(" +42"), Some(42));
        assert_eq!(strtoll_whole(""), Some(0));
        assert_eq!(strtoll_whole(" "), None);
        assert_eq!(strtoll_whole("12x"), None);
        assert_eq!(strtoll_whole("99999999999999999999"), Some(i64::MAX));
        assert_eq!(strtoll_whole("-99999999999999999999"), Some(i64::MIN));
        let octal = strtoll("0777", 8);
        assert_eq!((octal.value, octal.consumed_all), (0o777, true));
        assert!(!strtoll("8", 8).consumed_all);
    }

    #[test]
    fn memtoull_like_redis() {
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("5GB"), Some(5 << 30));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("mb"), Some(0));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1tb"), None);
        assert_eq!(memtoull("+1"), None);
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn doubles_and_words() {
        assert_eq!(string2d("99.9"), Some(99.9));
        assert_eq!(string2d(" 1"), None);
        assert_eq!(string2d("nan"), None);
        assert_eq!(string2d("1e-400"), None);
        assert_eq!(string2d("1e400"), None);
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(split_spaces("a  b"), vec!["a", "", "b"]);
        assert!(split_spaces("").is_empty());
        assert_eq!(repr("a\"b\n"), "\"a\\\"b\\n\"");
    }
}
