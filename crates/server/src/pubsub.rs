//! Pub/Sub: who is subscribed to what, and delivery of messages.
//!
//! Delivery appends the message to each subscriber's output buffer (as a
//! RESP3 push or a RESP2 array) and schedules a write, within the same
//! event-loop iteration as the PUBLISH. A subscriber that reads too slowly
//! is disconnected by the `pubsub` output buffer limit instead of growing
//! the server's memory without bound.

use crate::glob_cache::PatternCache;
use crate::server::Server;
use lodestone_protocol::Reply;
use std::collections::HashMap;

/// Kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE
    Channel,
    /// PSUBSCRIBE
    Pattern,
    /// SSUBSCRIBE
    Shard,
}

/// Subscriptions of all clients, by channel or pattern. Subscribers are
/// kept in subscription order, which is the delivery order.
#[derive(Default)]
pub struct PubSub {
    /// SUBSCRIBE channels.
    pub channels: HashMap<Vec<u8>, Vec<usize>>,
    /// PSUBSCRIBE patterns.
    pub patterns: HashMap<Vec<u8>, Vec<usize>>,
    /// SSUBSCRIBE channels.
    pub shard_channels: HashMap<Vec<u8>, Vec<usize>>,
    /// Compiled patterns.
    pub compiled: PatternCache,
}

impl PubSub {
    /// The table for a kind of subscription.
    pub fn table(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, Vec<usize>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// Adds a subscriber; false if it was already subscribed.
    pub fn add(&mut self, kind: Kind, name: &[u8], key: usize) -> bool {
        let list = self.table(kind).entry(name.to_vec()).or_default();
        if list.contains(&key) {
            return false;
        }
        list.push(key);
        true
    }

    /// Removes a subscriber; false if it was not subscribed.
    pub fn remove(&mut self, kind: Kind, name: &[u8], key: usize) -> bool {
        let table = self.table(kind);
        let Some(list) = table.get_mut(name) else {
            return false;
        };
        let before = list.len();
        list.retain(|&k| k != key);
        let removed = list.len() != before;
        if list.is_empty() {
            table.remove(name);
            if kind == Kind::Pattern {
                self.compiled.forget(name);
            }
        }
        removed
    }
}

impl Server {
    /// Publishes `message` on `channel` to channel and pattern subscribers.
    /// Returns the number of clients that received it.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let mut receivers = 0;
        if let Some(list) = self.pubsub.channels.get(channel) {
            for &key in list.clone().iter() {
                self.deliver(key, &[b"message", channel, message]);
                receivers += 1;
            }
        }
        if !self.pubsub.patterns.is_empty() {
            let mut matched: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
            let PubSub {
                patterns, compiled, ..
            } = &mut self.pubsub;
            for (pattern, list) in patterns.iter() {
                if compiled.get(pattern).matches(channel) {
                    matched.push((pattern.clone(), list.clone()));
                }
            }
            for (pattern, list) in matched {
                for key in list {
                    self.deliver(key, &[b"pmessage", &pattern, channel, message]);
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// Publishes on a shard channel (SPUBLISH).
    pub fn publish_shard(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let Some(list) = self.pubsub.shard_channels.get(channel).cloned() else {
            return 0;
        };
        for &key in &list {
            self.deliver(key, &[b"smessage", channel, message]);
        }
        list.len()
    }

    /// Writes a push message (array of bulk strings) to a client.
    pub fn deliver(&mut self, key: usize, parts: &[&[u8]]) {
        self.write_push(key, |r| {
            r.push(parts.len());
            for p in parts {
                r.bulk(p);
            }
        });
    }

    /// Writes out-of-band data (Pub/Sub messages, (un)subscribe
    /// confirmations, invalidations) to a client. Such data reaches the
    /// client even under CLIENT REPLY OFF/SKIP. For the client whose
    /// command is running it comes after that command's reply, as in Redis
    /// 7.2 (a message it publishes to itself inside MULTI follows EXEC's
    /// reply), except for the (un)subscribe confirmations that are the
    /// reply of the running command: those are written in place (set aside
    /// when replies are off, and appended once the reply is dropped).
    pub fn write_push(&mut self, key: usize, f: impl FnOnce(&mut Reply)) {
        let running = self.current_client == Some(key);
        let defer = running && !self.running_cmd_replies_with_pushes();
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let resp = c.connection_resp();
        if defer {
            f(&mut Reply::new(&mut c.deferred_pushes, resp));
            return;
        }
        if running && !c.replies_enabled() {
            f(&mut Reply::new(&mut c.set_aside_pushes, resp));
        } else {
            f(&mut Reply::new(&mut c.out, resp));
        }
        self.schedule_write(key);
    }

    /// True when the innermost running command answers with push messages
    /// (Redis's `cmdHasPushAsReply`).
    fn running_cmd_replies_with_pushes(&self) -> bool {
        self.running_cmd.is_some_and(|id| {
            matches!(
                self.table.get(id).def.name,
                "subscribe"
                    | "psubscribe"
                    | "ssubscribe"
                    | "unsubscribe"
                    | "punsubscribe"
                    | "sunsubscribe"
            )
        })
    }

    /// Appends what waited for the end of client `key`'s command: pushes
    /// written to it meanwhile, then its own invalidations (Redis's
    /// `afterCommand`). Called when the client's outermost command ends.
    pub(crate) fn send_deferred_pushes(&mut self, key: usize) {
        if let Some(c) = self.clients.get_mut(key) {
            if !c.deferred_pushes.is_empty() {
                let pushes = std::mem::take(&mut c.deferred_pushes);
                if c.out.is_empty() {
                    c.out = pushes;
                } else {
                    c.out.extend_from_slice(&pushes);
                }
                self.schedule_write(key);
            }
        }
        self.send_pending_invalidations(key);
    }

    /// Publishes the keyspace notifications queued by the last command.
    pub fn publish_keyspace_notifications(&mut self) {
        for shard in 0..self.engine.shards().len() {
            let ks = &mut self.engine.shards_mut()[shard];
            if !ks.has_notifications() {
                continue;
            }
            let flags = ks.config.notify_flags;
            for n in ks.take_notifications() {
                self.stats.keyspace_notifications += 1;
                let db = itoa::Buffer::new().format(n.db).to_string();
                if flags & lodestone_storage::notify::KEYSPACE != 0 {
                    let mut chan = format!("__keyspace@{db}__:").into_bytes();
                    chan.extend_from_slice(&n.key);
                    self.publish(&chan, n.event.as_bytes());
                }
                if flags & lodestone_storage::notify::KEYEVENT != 0 {
                    let chan = format!("__keyevent@{db}__:{}", n.event).into_bytes();
                    self.publish(&chan, &n.key);
                }
            }
        }
    }

    /// Drops every subscription of a client (on disconnect or RESET).
    pub fn pubsub_forget_client(&mut self, key: usize) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let channels: Vec<Vec<u8>> = c.channels.drain().collect();
        let patterns: Vec<Vec<u8>> = c.patterns.drain().collect();
        let shard: Vec<Vec<u8>> = c.shard_channels.drain().collect();
        for ch in channels {
            self.pubsub.remove(Kind::Channel, &ch, key);
        }
        for p in patterns {
            self.pubsub.remove(Kind::Pattern, &p, key);
        }
        for ch in shard {
            self.pubsub.remove(Kind::Shard, &ch, key);
        }
    }
}
