//! Redis's RDB serialization format: the pieces every user of it shares.
//!
//! RDB files, `DUMP`/`RESTORE` payloads and `FUNCTION DUMP`/`RESTORE`
//! payloads all write values as RDB length-prefixed strings and guard them
//! with Redis's CRC-64. This module holds those primitives, free of I/O:
//! writers append to an [`RdbOut`] (a `Vec<u8>`, or the bounded buffer of
//! `chunked`, which hands full chunks to a sink), the [`Reader`] walks a
//! byte slice and refuses anything malformed instead of panicking or
//! allocating what a hostile length claims.

pub mod chunked;
mod crc64;
mod payload;
mod reader;
pub mod snapshot;
pub mod value;
mod writer;

pub use crc64::{crc64, crc64_update};
pub use payload::{seal_payload, verify_payload};
pub use reader::{RdbError, Reader};
pub use value::{decode_value, encode_value};
pub use writer::{write_int_string, write_len, write_lzf_blob, write_string, RdbOut};

/// The RDB version Redis 7.2 writes (and the newest this code reads).
pub const RDB_VERSION: u16 = 11;

/// Opcode before a function library (Redis 7.0 GA and later).
pub const OPCODE_FUNCTION2: u8 = 245;
/// Opcode of the pre-GA function format, which Redis no longer loads.
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
