//! DEBUG OBJECT, LISTPACK and QUICKLIST: a value's internals, read without
//! touching the key.

use super::super::reply;
use crate::server::Server;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_storage::{clock, Lookup, Value};

/// Reference count Redis shows for its shared small integers.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis shares integer values from 0 up to this (exclusive).
const SHARED_INTEGERS: i64 = 10_000;

/// Bytes `rdbSaveLen` takes for a length.
fn rdb_len_size(len: usize) -> usize {
    match len {
        0..=63 => 1,
        64..=16383 => 2,
        _ if len as u64 <= u32::MAX as u64 => 5,
        _ => 9,
    }
}

/// Bytes of an integer in RDB's compact integer encoding, if it fits.
fn rdb_int_size(n: i64) -> Option<usize> {
    if i8::try_from(n).is_ok() {
        Some(2)
    } else if i16::try_from(n).is_ok() {
        Some(3)
    } else if i32::try_from(n).is_ok() {
        Some(5)
    } else {
        None
    }
}

/// The size of a string value in an RDB file (Redis's `rdbSavedObjectLen`
/// for strings): a small integer in compact form, a compressible string
/// LZF-compressed when `rdbcompression` is on, else length and bytes.
fn serialized_len(value: &Value, compression: bool) -> usize {
    let mut scratch = itoa::Buffer::new();
    let Some(bytes) = value.string_bytes(&mut scratch) else {
        return 0;
    };
    let as_int = match value {
        Value::Int(n) => Some(*n),
        _ if bytes.len() <= 11 => parse_i64(bytes),
        _ => None,
    };
    if let Some(size) = as_int.and_then(rdb_int_size) {
        return size;
    }
    let len = bytes.len();
    if compression && len > 20 {
        if let Some(packed) = lodestone_storage::lzf::compress_bounded(bytes, len - 4) {
            return 1 + rdb_len_size(packed.len()) + rdb_len_size(len) + packed.len();
        }
    }
    rdb_len_size(len) + len
}

/// `DEBUG OBJECT key`: the value's address, sharing, encoding, RDB size
/// and access clock, read without touching the key (expired or not).
pub(super) fn object(s: &mut Server, key: usize, name: &[u8]) -> CmdResult {
    let Some(db) = s.clients.get(key).map(|c| c.db) else {
        return Ok(());
    };
    let compression = s.config.bool("rdbcompression");
    let shared = s.settings.shared_integers;
    let ks = s.engine.shard_for(name);
    let clock_now = ks.lru_clock();
    let entry = ks.db(db).entry(name).ok_or(CmdError::NoSuchKey)?;
    let value = &entry.value;
    let refcount = match value {
        Value::Int(n) if shared && (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
        _ => 1,
    };
    let extra = match value {
        Value::List(l) => l.debug_summary().unwrap_or_default(),
        _ => String::new(),
    };
    let line = format!(
        "Value at:{:p} refcount:{refcount} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{extra}",
        value as *const Value,
        value.encoding_name(),
        serialized_len(value, compression),
        entry.lru,
        clock::idle_ms(entry.lru, clock_now) / 1000,
    );
    reply(s, key, |r| r.simple(&line));
    Ok(())
}

/// `DEBUG LISTPACK|QUICKLIST key`: prints the value's internal structure
/// on standard output when it has that encoding.
pub(super) fn encoding_dump(
    s: &mut Server,
    key: usize,
    name: &[u8],
    encoding: &str,
    title: &str,
) -> CmdResult {
    let Some(db) = s.clients.get(key).map(|c| c.db) else {
        return Ok(());
    };
    let flags = Lookup {
        no_touch: true,
        no_notify: true,
        no_stats: false,
    };
    let entry = s
        .engine
        .shard_for(name)
        .lookup(db, name, flags)
        .ok_or(CmdError::NoSuchKey)?;
    if entry.value.encoding_name() != encoding {
        return Err(CmdError::Debug(format!("Not a {encoding} encoded object.")));
    }
    println!("{:?}", entry.value);
    reply(s, key, |r| {
        r.simple(&format!("{title} structure printed on stdout"))
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdb_sizes() {
        assert_eq!(serialized_len(&Value::string(b"12"), true), 2);
        assert_eq!(serialized_len(&Value::string(b"1000"), true), 3);
        assert_eq!(serialized_len(&Value::string(b"100000"), true), 5);
        assert_eq!(serialized_len(&Value::string(b"10000000000"), true), 12);
        assert_eq!(serialized_len(&Value::string(b"bar"), true), 4);
        assert_eq!(serialized_len(&Value::plain_string(b"123"), true), 2);
        let long = vec![b'a'; 100];
        assert!(serialized_len(&Value::string(&long), true) < 20);
        assert_eq!(serialized_len(&Value::string(&long), false), 102);
    }
}
