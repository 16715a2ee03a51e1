//! Sorted sets: the building blocks of Redis's zset type.
//!
//! [`btree`] is the ordered index used by large sorted sets (the encoding
//! Redis calls `skiplist`).

pub mod btree;
