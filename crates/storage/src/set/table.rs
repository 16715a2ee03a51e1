//! The `hashtable` encoding of a set: a [`Dict`] of members.
//!
//! A member is kept inline in its entry when it fits in 22 bytes
//! ([`SmallBytes`]), so a typical member (`element:000000012345`) costs one
//! 32-byte node where Redis spends a dict entry and an `sds` allocation.

use crate::bytes::SmallBytes;
use crate::dict::{Dict, DictEntry};

/// One member of a `hashtable`-encoded set.
pub struct SetEntry(SmallBytes);

impl SetEntry {
    /// An entry holding a copy of `member`.
    pub fn new(member: &[u8]) -> Self {
        SetEntry(SmallBytes::new(member))
    }

    /// The member.
    pub fn member(&self) -> &[u8] {
        &self.0
    }

    /// Heap bytes the member owns beyond the entry itself.
    pub fn heap_size(&self) -> usize {
        self.0.heap_size()
    }
}

impl DictEntry for SetEntry {
    fn key(&self) -> &[u8] {
        &self.0
    }
}

/// The table of a `hashtable`-encoded set.
pub type SetTable = Dict<SetEntry>;
