//! The storage layer of Lodestone: databases, value encodings, expiry,
//! eviction and memory reclamation.
//!
//! Architecture invariant: no I/O and no locks. A [`Keyspace`] is owned by
//! exactly one thread; commands mutate it directly. Events that must reach
//! other clients (keyspace notifications, WATCH invalidation, key changes
//! for client-side caching) are recorded here and delivered by the server
//! layer.

pub mod bytes;
pub mod changes;
pub mod clock;
pub mod db;
pub mod dict;
pub mod engine;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod hll;
pub mod intset;
pub mod keyspace;
pub mod lazyfree;
pub mod list;
pub mod listpack;
pub mod lzf;
pub mod notify;
pub mod rdb;
pub mod set;
pub mod stream;
pub mod value;
pub mod watch;
pub mod zset;

pub use bytes::SmallBytes;
pub use db::{Db, KeyEntry};
pub use engine::Engine;
pub use keyspace::{KeyMeta, Keyspace, KeyspaceConfig, KeyspaceStats, Lookup};
pub use lazyfree::LazyFree;
pub use value::{Kind, Value};
