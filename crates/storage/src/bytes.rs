//! [`SmallBytes`]: a byte string that stores up to 22 bytes inline.
//!
//! Most keys (`user:1000`, `key:000000012345`, idempotency tokens) are short.
//! Keeping them inside the table entry avoids one allocation and one pointer
//! chase per key, which is most of what makes the main table smaller than
//! Redis's `dictEntry` + `sds` pair.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest byte string stored inline.
pub const INLINE_CAP: usize = 22;

/// An immutable byte string, inline when short, boxed otherwise. 24 bytes.
#[derive(Clone)]
pub enum SmallBytes {
    /// Up to [`INLINE_CAP`] bytes kept in place.
    Inline {
        /// Number of bytes used in `data`.
        len: u8,
        /// The bytes; only `..len` is meaningful.
        data: [u8; INLINE_CAP],
    },
    /// Longer strings, exactly sized on the heap.
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// Copies `bytes` into a new value.
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut data = [0u8; INLINE_CAP];
            data[..bytes.len()].copy_from_slice(bytes);
            SmallBytes::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }

    /// Takes ownership of a vector without copying when it is too long to inline.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE_CAP {
            Self::new(&bytes)
        } else {
            SmallBytes::Heap(bytes.into_boxed_slice())
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, data } => &data[..*len as usize],
            SmallBytes::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the 24-byte handle (0 when inline).
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(b) => b.len(),
        }
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> Self {
        SmallBytes::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_roundtrip() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        for n in [0, 1, INLINE_CAP, INLINE_CAP + 1, 100] {
            let v = vec![7u8; n];
            let s = SmallBytes::new(&v);
            assert_eq!(s.as_slice(), &v[..]);
            assert_eq!(s.heap_size(), if n > INLINE_CAP { n } else { 0 });
            assert_eq!(SmallBytes::from_vec(v.clone()), s);
        }
    }
}
