//! The `hashtable` encoding of a hash: a [`Dict`] of field → value entries.
//!
//! Each entry keeps both strings inline when they fit in 22 bytes
//! ([`SmallBytes`]), so a typical field (`element:000000012345`) and value
//! cost one 64-byte node where Redis spends a `dictEntry` and two `sds`
//! allocations.

use crate::bytes::SmallBytes;
use crate::dict::{Dict, DictEntry};

/// One field of a `hashtable`-encoded hash and its value.
pub struct HashEntry {
    field: SmallBytes,
    value: SmallBytes,
}

impl HashEntry {
    /// A new entry holding copies of `field` and `value`.
    pub fn new(field: &[u8], value: &[u8]) -> Self {
        HashEntry {
            field: SmallBytes::new(field),
            value: SmallBytes::new(value),
        }
    }

    /// The field name.
    pub fn field(&self) -> &[u8] {
        &self.field
    }

    /// The value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Replaces the value.
    pub fn set_value(&mut self, value: &[u8]) {
        self.value = SmallBytes::new(value);
    }

    /// Heap bytes the two strings own beyond the entry itself.
    pub fn heap_size(&self) -> usize {
        self.field.heap_size() + self.value.heap_size()
    }
}

impl DictEntry for HashEntry {
    fn key(&self) -> &[u8] {
        &self.field
    }
}

/// The table of a `hashtable`-encoded hash.
pub type HashTable = Dict<HashEntry>;
