//! Values in the RDB format: the type byte and object body Redis 7.2's
//! `rdbSaveObjectType`/`rdbSaveObject` write, and the reverse, for every
//! type Lodestone has (streams in `stream.rs`, with their consumer
//! groups). DUMP/RESTORE payloads and RDB files share it.
//!
//! Writing picks the RDB type from the in-memory encoding, so that a value
//! whose encoding matches Redis's (listpacks, intsets, quicklist nodes,
//! compressed or not) serializes to Redis's exact bytes.
//!
//! Reading accepts everything Redis 7.2 loads, including the older forms
//! (plain lists, ziplists, zipmaps, text scores), converts ziplists and
//! zipmaps to listpacks, and then picks the in-memory encoding from the
//! configured thresholds as Redis does on load. Input is untrusted: every
//! listpack, intset, ziplist and zipmap is validated in full (structure,
//! counts, no duplicate members or fields, sorted intsets, sorted
//! sorted-set listpacks with valid scores, stream blocks, IDs and
//! consumer-group PELs that agree) and every claimed count is
//! checked against the bytes left before anything is sized from it, so
//! bad input is an error, never a panic, a huge allocation or a value
//! that misbehaves later. Lodestone does this whatever
//! `sanitize-dump-payload` says: its encodings index their bytes assuming
//! the layout these checks establish.

mod hash;
mod list;
mod packed;
mod set;
mod stream;
mod ziplist;
mod zipmap;
mod zset;

use super::{write_int_string, write_string, RdbError, RdbOut, Reader};
use crate::keyspace::KeyspaceConfig;
use crate::value::Value;

/// RDB type bytes (`RDB_TYPE_*`).
pub mod types {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a sequence of strings (before Redis 3.2).
    pub const LIST: u8 = 1;
    /// A set as a sequence of strings.
    pub const SET: u8 = 2;
    /// A sorted set with scores as text.
    pub const ZSET: u8 = 3;
    /// A hash as a sequence of field/value strings.
    pub const HASH: u8 = 4;
    /// A sorted set with binary scores.
    pub const ZSET_2: u8 = 5;
    /// A module value (4.0 release candidates).
    pub const MODULE_PRE_GA: u8 = 6;
    /// A module value.
    pub const MODULE_2: u8 = 7;
    /// A hash as a zipmap (Redis 2.4 and earlier).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist.
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist.
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist.
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists.
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream (Redis 5 and 6).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A hash as a listpack.
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpack or plain nodes.
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream (Redis 7.0).
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// A set as a listpack.
    pub const SET_LISTPACK: u8 = 20;
    /// A stream (Redis 7.2).
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Appends `value` as its RDB type byte and object body (a DUMP payload's
/// start). `compress` is `rdbcompression`: strings (and uncompressed
/// quicklist nodes, listpacks and intsets, which are written as strings)
/// longer than 20 bytes are LZF-compressed when that saves space. Every
/// value Lodestone holds has an encoding, so this cannot fail.
pub fn encode_value<O: RdbOut + ?Sized>(value: &Value, out: &mut O, compress: bool) {
    out.put_byte(value_type(value));
    encode_body(value, out, compress);
}

/// The RDB type byte `value` is written with (in an RDB file it comes
/// before the key's name, the body after it).
pub fn value_type(value: &Value) -> u8 {
    match value {
        Value::Int(_) | Value::Emb(_) | Value::Raw(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Hash(h) => hash::rdb_type(h),
        Value::Set(s) => set::rdb_type(s),
        Value::ZSet(z) => zset::rdb_type(z),
        Value::Stream(_) => types::STREAM_LISTPACKS_3,
    }
}

/// Appends the object body of `value`, as [`encode_value`] writes it
/// after the type byte. Stored forms Redis also stores (listpacks,
/// intsets, quicklist nodes, compressed or not, stream blocks) are
/// written as they are, without re-encoding.
pub fn encode_body<O: RdbOut + ?Sized>(value: &Value, out: &mut O, compress: bool) {
    match value {
        Value::Int(n) => write_int_string(out, *n),
        Value::Emb(b) => write_string(out, b, compress),
        Value::Raw(b) => write_string(out, b, compress),
        Value::List(l) => list::encode(l, out, compress),
        Value::Hash(h) => hash::encode(h, out, compress),
        Value::Set(s) => set::encode(s, out, compress),
        Value::ZSet(z) => zset::encode(z, out, compress),
        Value::Stream(s) => stream::encode(s, out, compress),
    }
}

/// Reads the object body of RDB type `type_byte` from `r`, building the
/// value in the encoding `cfg`'s thresholds call for. Empty collections
/// are errors (Redis refuses them as "empty keys"); empty streams are
/// not (Redis keeps them). Module values are `RdbError::Unsupported`.
pub fn decode_value(
    r: &mut Reader<'_>,
    type_byte: u8,
    cfg: &KeyspaceConfig,
) -> Result<Value, RdbError> {
    use types::*;
    match type_byte {
        STRING => Ok(Value::string_from_vec(r.string()?)),
        LIST | LIST_ZIPLIST | LIST_QUICKLIST | LIST_QUICKLIST_2 => {
            list::decode(r, type_byte, &cfg.list).map(Value::List)
        }
        HASH | HASH_ZIPMAP | HASH_ZIPLIST | HASH_LISTPACK => {
            hash::decode(r, type_byte, cfg.hash_limits).map(Value::Hash)
        }
        SET | SET_INTSET | SET_LISTPACK => {
            set::decode(r, type_byte, cfg.set_limits).map(Value::Set)
        }
        ZSET | ZSET_2 | ZSET_ZIPLIST | ZSET_LISTPACK => {
            zset::decode(r, type_byte, cfg.zset_limits).map(Value::ZSet)
        }
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 | STREAM_LISTPACKS_3 => {
            stream::decode(r, type_byte).map(|s| Value::Stream(Box::new(s)))
        }
        MODULE_PRE_GA | MODULE_2 => Err(RdbError::Unsupported),
        _ => Err(RdbError::Corrupt),
    }
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
