//! [`LpEntry`]: one listpack element as read, without copying.

use std::fmt;

use lodestone_protocol::num::parse_i64;

/// The value of one listpack element.
///
/// Listpacks store canonical integers as integers, so a value written as
/// the string `"42"` reads back as `Int(42)`. Commands still see every
/// element as a byte string ([`LpEntry::write_to`] formats integers in
/// decimal, like Redis's `lpGet` with a buffer); code that wants a number
/// (HINCRBY, ZSCORE parsing) can skip the formatting with
/// [`LpEntry::as_int`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LpEntry<'a> {
    /// An integer-encoded element.
    Int(i64),
    /// A string element, borrowed from the listpack.
    Str(&'a [u8]),
}

impl LpEntry<'_> {
    /// Whether this element equals the byte string `s` (Redis's
    /// `lpCompare`): integers are compared by parsing `s` with the integer
    /// rules rather than formatting the integer.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            LpEntry::Str(v) => v == s,
            LpEntry::Int(v) => parse_i64(s) == Some(v),
        }
    }

    /// Appends the element's bytes to `out`, integers in decimal.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpEntry::Str(v) => out.extend_from_slice(v),
            LpEntry::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    /// The element as an owned byte string.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Runs `f` on the element's bytes without allocating: integers are
    /// formatted into a stack buffer. Useful for comparisons and hashing.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            LpEntry::Str(v) => f(v),
            LpEntry::Int(v) => f(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    /// The element as an integer: the stored integer, or a string element
    /// that parses with Redis's integer rules (possible only in listpacks
    /// not written by us, which may store `"12"` as a string).
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            LpEntry::Int(v) => Some(v),
            LpEntry::Str(v) => parse_i64(v),
        }
    }

    /// Length of the element as a byte string (decimal digits for integers).
    pub fn str_len(&self) -> usize {
        match *self {
            LpEntry::Str(v) => v.len(),
            LpEntry::Int(v) => itoa::Buffer::new().format(v).len(),
        }
    }
}

impl fmt::Debug for LpEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LpEntry::Int(v) => write!(f, "Int({v})"),
            LpEntry::Str(v) => write!(f, "Str({:?})", String::from_utf8_lossy(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_like_lp_compare() {
        assert!(LpEntry::Int(42).eq_bytes(b"42"));
        assert!(!LpEntry::Int(42).eq_bytes(b"042"));
        assert!(!LpEntry::Int(0).eq_bytes(b"-0"));
        assert!(LpEntry::Str(b"abc").eq_bytes(b"abc"));
        assert!(!LpEntry::Str(b"abc").eq_bytes(b"abd"));
        assert!(LpEntry::Str(b"12").eq_bytes(b"12"));
    }

    #[test]
    fn formats_integers_in_decimal() {
        assert_eq!(LpEntry::Int(-1234).to_vec(), b"-1234");
        assert_eq!(LpEntry::Int(i64::MIN).str_len(), 20);
        assert_eq!(LpEntry::Str(b"xy").to_vec(), b"xy");
        assert_eq!(LpEntry::Int(7).with_bytes(|b| b.to_vec()), b"7");
        assert_eq!(LpEntry::Str(b"15").as_int(), Some(15));
        assert_eq!(LpEntry::Str(b"1x").as_int(), None);
    }
}
