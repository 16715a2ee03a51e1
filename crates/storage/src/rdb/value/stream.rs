//! Streams: written as `RDB_TYPE_STREAM_LISTPACKS_3` exactly as Redis
//! 7.2's `rdbSaveObject` writes them; read from that and from the Redis
//! 5/6 (`STREAM_LISTPACKS`) and 7.0 (`STREAM_LISTPACKS_2`) forms.
//!
//! ```text
//! blocks: count, then per block its 16-byte big-endian master ID and its
//!         listpack, each as an RDB string
//! length, last ID (ms, seq)                                  all lengths
//! [first ID, max deleted ID, entries added]                  from type 19
//! groups: count, then per group
//!   name (string), last-delivered ID (ms, seq), [entries read] (type 19+;
//!   -1 "unknown" is written as the length 2^64-1)
//!   PEL: count, then per entry its raw 16-byte ID, delivery time (8 bytes
//!        little-endian ms) and delivery count (length)
//!   consumers: count, then per consumer its name, seen time (8 bytes),
//!        [active time (8 bytes)] (type 21), its PEL count and raw IDs
//! ```
//!
//! Blocks, groups, consumers and PELs are written in key order, as
//! Redis's radix tree iterators give them. Reading checks everything
//! before the stream is used: the blocks as [`Stream::from_untrusted_blocks`]
//! describes, unique group and consumer names, unique PEL IDs, every
//! consumer PEL ID present in its group's PEL and owned by one consumer
//! only, every group PEL entry owned, entries added not below the
//! length. Fields the older
//! forms lack are derived as Redis derives them: entries added equal to
//! the length, no deleted ID, the first live ID, each group's entries-read
//! estimated from its last ID, active time equal to seen time.

use std::collections::BTreeMap;

use super::types;
use crate::rdb::{write_len, write_string, RdbError, RdbOut, Reader};
use crate::stream::{Consumer, Group, Nack, Stream, StreamId};

/// Least bytes of a block in the payload (a 16-byte key string, and a
/// listpack string, which LZF may shrink to 4 bytes): bounds the block
/// count before looping on it.
const MIN_BLOCK_BYTES: usize = 17 + 4;
/// Least bytes of a group (name, ID, PEL and consumer counts).
const MIN_GROUP_BYTES: usize = 5;
/// Least bytes of a group PEL entry (ID, time, count).
const MIN_NACK_BYTES: usize = 16 + 8 + 1;
/// Least bytes of a consumer (name, seen time, PEL count).
const MIN_CONSUMER_BYTES: usize = 1 + 8 + 1;
/// Bytes of a consumer PEL entry (its ID).
const ID_BYTES: usize = 16;

/// Appends the body of `s` (its type is always `STREAM_LISTPACKS_3`).
pub(super) fn encode<O: RdbOut + ?Sized>(s: &Stream, out: &mut O, compress: bool) {
    write_len(out, s.block_count() as u64);
    for (master_id, lp) in s.blocks() {
        write_string(out, &master_id.to_be_bytes(), compress);
        write_string(out, lp, compress);
    }
    write_len(out, s.len());
    for id in [s.last_id, s.first_id, s.max_deleted_id] {
        write_id(out, id);
    }
    write_len(out, s.entries_added);
    write_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        write_string(out, name, compress);
        write_id(out, g.last_id);
        // The signed counter as an unsigned length, as Redis writes it.
        write_len(out, g.entries_read as u64);
        write_len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            out.put(&id.to_be_bytes());
            out.put(&nack.delivery_time.to_le_bytes());
            write_len(out, nack.delivery_count);
        }
        write_len(out, g.consumers.len() as u64);
        for (name, c) in &g.consumers {
            write_string(out, name, compress);
            out.put(&c.seen_time.to_le_bytes());
            out.put(&c.active_time.to_le_bytes());
            write_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.put(&id.to_be_bytes());
            }
        }
    }
}

/// An ID as two lengths (ms, then seq).
fn write_id<O: RdbOut + ?Sized>(out: &mut O, id: StreamId) {
    write_len(out, id.ms);
    write_len(out, id.seq);
}

/// An ID as two lengths.
fn read_id(r: &mut Reader<'_>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(r.length()?, r.length()?))
}

/// An ID in its raw 16-byte big-endian form (PEL entries).
fn read_raw_id(r: &mut Reader<'_>) -> Result<StreamId, RdbError> {
    let mut b = [0u8; 16];
    b.copy_from_slice(r.take(ID_BYTES)?);
    Ok(StreamId::from_be_bytes(b))
}

/// A time in ms as 8 little-endian bytes (Redis's
/// `rdbLoadMillisecondTime`).
fn read_ms(r: &mut Reader<'_>) -> Result<i64, RdbError> {
    let mut b = [0u8; 8];
    b.copy_from_slice(r.take(8)?);
    Ok(i64::from_le_bytes(b))
}

/// Reads a stream body of type `type_byte` (15, 19 or 21).
pub(super) fn decode(r: &mut Reader<'_>, type_byte: u8) -> Result<Stream, RdbError> {
    let since_7_0 = type_byte >= types::STREAM_LISTPACKS_2;
    let since_7_2 = type_byte >= types::STREAM_LISTPACKS_3;
    let mut blocks = BTreeMap::new();
    for _ in 0..r.count(MIN_BLOCK_BYTES)? {
        let key: [u8; 16] = r.string()?.try_into().map_err(|_| RdbError::Corrupt)?;
        let lp = r.string()?;
        if blocks.insert(StreamId::from_be_bytes(key), lp).is_some() {
            return Err(RdbError::Corrupt);
        }
    }
    let length = r.length()?;
    let last_id = read_id(r)?;
    let mut s = Stream::from_untrusted_blocks(blocks, length, last_id).ok_or(RdbError::Corrupt)?;
    if since_7_0 {
        s.first_id = read_id(r)?;
        s.max_deleted_id = read_id(r)?;
        s.entries_added = r.length()?;
        // Every entry was added once; XSETID keeps it so too.
        if s.entries_added < length {
            return Err(RdbError::Corrupt);
        }
    }
    for _ in 0..r.count(MIN_GROUP_BYTES)? {
        let name = r.string()?;
        let last = read_id(r)?;
        let entries_read = if since_7_0 {
            // The signed counter, written as an unsigned length (so -1,
            // "unknown", is 2^64-1).
            r.length()? as i64
        } else {
            s.estimate_distance(last)
        };
        if s.groups.contains_key(&name) {
            return Err(RdbError::Corrupt);
        }
        let g = decode_group(r, Group::new(last, entries_read), since_7_2)?;
        s.groups.insert(name, g);
    }
    Ok(s)
}

/// Reads a group's PEL and consumers into `g`.
fn decode_group(r: &mut Reader<'_>, mut g: Group, since_7_2: bool) -> Result<Group, RdbError> {
    // Entries of the group PEL not claimed by a consumer yet.
    let mut unowned = BTreeMap::new();
    for _ in 0..r.count(MIN_NACK_BYTES)? {
        let id = read_raw_id(r)?;
        let time = read_ms(r)?;
        let count = r.length()?;
        if unowned.insert(id, (time, count)).is_some() {
            return Err(RdbError::Corrupt);
        }
    }
    for _ in 0..r.count(MIN_CONSUMER_BYTES)? {
        let name = r.string()?;
        let seen_time = read_ms(r)?;
        let active_time = if since_7_2 { read_ms(r)? } else { seen_time };
        let mut c = Consumer {
            seen_time,
            active_time,
            ..Consumer::default()
        };
        for _ in 0..r.count(ID_BYTES)? {
            let id = read_raw_id(r)?;
            // Absent: not in the group PEL, or already owned (by this
            // consumer or another).
            let (delivery_time, delivery_count) = unowned.remove(&id).ok_or(RdbError::Corrupt)?;
            c.pel.insert(id);
            let nack = Nack {
                delivery_time,
                delivery_count,
                consumer: name.clone(),
            };
            g.pel.insert(id, nack);
        }
        if g.consumers.insert(name, c).is_some() {
            return Err(RdbError::Corrupt);
        }
    }
    if !unowned.is_empty() {
        return Err(RdbError::Corrupt);
    }
    Ok(g)
}
