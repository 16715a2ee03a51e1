//! [`Engine`]: the set of shards and the rule that maps a key to its shard.
//!
//! Today there is one shard, owned by the event-loop thread. Every command
//! still asks the engine which shard holds each key, so that running one
//! shard per core later changes this file, not the commands.

use crate::keyspace::Keyspace;
use crate::lazyfree::LazyFree;

/// All shards of the server.
pub struct Engine {
    shards: Vec<Keyspace>,
}

impl Engine {
    /// An engine of one shard with `databases` databases.
    pub fn new(databases: usize) -> Engine {
        Engine {
            shards: vec![Keyspace::new(databases, LazyFree::start())],
        }
    }

    /// The shard that owns `key`.
    pub fn shard_of(&self, _key: &[u8]) -> usize {
        0
    }

    /// The shard that owns `key`, mutably.
    pub fn shard_for(&mut self, key: &[u8]) -> &mut Keyspace {
        let i = self.shard_of(key);
        &mut self.shards[i]
    }

    /// All shards, for keyless commands (DBSIZE, FLUSHALL, INFO) that
    /// combine or apply to every shard.
    pub fn shards(&self) -> &[Keyspace] {
        &self.shards
    }

    /// Whether a fork child shares the process's memory copy-on-write
    /// (from the fork until it is reaped): tables stop resizing unless
    /// badly overfull and reads stop stamping access times, as in Redis,
    /// so that the parent copies as few pages as it can.
    pub fn set_fork_child_active(&mut self, active: bool) {
        crate::dict::set_resize_policy(if active {
            crate::dict::ResizePolicy::Avoid
        } else {
            crate::dict::ResizePolicy::Enable
        });
        for ks in &mut self.shards {
            ks.set_child_active(active);
        }
    }

    /// All shards, mutably.
    pub fn shards_mut(&mut self) -> &mut [Keyspace] {
        &mut self.shards
    }

    /// Number of databases per shard.
    pub fn db_count(&self) -> usize {
        self.shards[0].db_count()
    }
}
