//! The replication stream sent to replicas after SYNC/PSYNC: the effects
//! stream (see `propagate.rs`) encoded as RESP commands, with a SELECT
//! whenever the database changes, as Redis's `replicationFeedSlaves`
//! writes it. The sink only encodes into a shared buffer; the server
//! copies the buffer to every replica connection after each execution
//! unit.

use crate::propagate::{Effect, EffectSink, TARGET_REPLICAS};
use std::cell::RefCell;
use std::rc::Rc;

/// Bytes of the stream not yet copied to the replicas.
pub type FeedBuffer = Rc<RefCell<Vec<u8>>>;

/// The replicas' effects consumer.
pub struct ReplicaFeed {
    buffer: FeedBuffer,
    /// The database the replicas have selected (None: unknown, so the
    /// next command is preceded by a SELECT).
    selected: Rc<RefCell<Option<usize>>>,
}

impl ReplicaFeed {
    /// A feed writing into `buffer`, whose selected database is shared
    /// with the server through `selected` (reset when a replica joins).
    pub fn new(buffer: FeedBuffer, selected: Rc<RefCell<Option<usize>>>) -> ReplicaFeed {
        ReplicaFeed { buffer, selected }
    }
}

/// Appends `args` as a RESP array of bulk strings.
fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl EffectSink for ReplicaFeed {
    fn target(&self) -> u8 {
        TARGET_REPLICAS
    }

    fn feed(&mut self, unit: &[Effect]) {
        let mut out = self.buffer.borrow_mut();
        let mut selected = self.selected.borrow_mut();
        for e in unit {
            if let Some(db) = e.db {
                if *selected != Some(db) {
                    encode(&mut out, &[b"SELECT", db.to_string().as_bytes()]);
                    *selected = Some(db);
                }
            }
            let args: Vec<&[u8]> = e.args.iter().map(Vec::as_slice).collect();
            encode(&mut out, &args);
        }
    }
}
