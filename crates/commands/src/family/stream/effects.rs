//! The commands consumer-group reads and claims are propagated as, to
//! replicas and the AOF (Redis's `streamPropagateXCLAIM`,
//! `streamPropagateGroupID`, `streamPropagateConsumerCreation`).
//!
//! XREADGROUP, XCLAIM and XAUTOCLAIM depend on the time and on which
//! entries happen to be pending, so their requests are never sent;
//! these commands, which set the resulting state outright, are.

use lodestone_storage::stream::{Group, Nack, StreamId};

/// The list of arguments of one propagated command.
pub(super) type Effect = Vec<Vec<u8>>;

/// `XCLAIM key group consumer 0 id TIME <ms> RETRYCOUNT <n> FORCE JUSTID
/// LASTID <group last id>`: gives the pending entry `id` exactly the
/// owner, delivery time and count of `nack` (creating it if needed,
/// removing it if the entry is gone), and moves the group's last ID, as
/// an idempotent command. `id` is the ID as the caller wrote it.
pub(super) fn xclaim(
    key: &[u8],
    group: &[u8],
    id: &[u8],
    nack: &Nack,
    last_id: StreamId,
) -> Effect {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        nack.consumer.clone(),
        b"0".to_vec(),
        id.to_vec(),
        b"TIME".to_vec(),
        nack.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        nack.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        last_id.to_bytes(),
    ]
}

/// `XGROUP SETID key group <last id> ENTRIESREAD <n>`: the group's
/// position when no XCLAIM carries it (reads with NOACK, XCLAIM LASTID
/// that claimed nothing).
pub(super) fn setid(key: &[u8], group: &[u8], g: &Group) -> Effect {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        g.last_id.to_bytes(),
        b"ENTRIESREAD".to_vec(),
        g.entries_read.to_string().into_bytes(),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer`: a consumer created by a
/// NOACK read, which no XCLAIM would create.
pub(super) fn create_consumer(key: &[u8], group: &[u8], consumer: &[u8]) -> Effect {
    vec![
        b"XGROUP".to_vec(),
        b"CREATECONSUMER".to_vec(),
        key.to_vec(),
        group.to_vec(),
        consumer.to_vec(),
    ]
}
