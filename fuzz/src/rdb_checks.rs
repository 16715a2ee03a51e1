//! Invariants of the RDB value decoder (`lodestone_storage::rdb`), checked
//! on arbitrary input.
//!
//! Shared by the cargo-fuzz target `fuzz_targets/rdb_value.rs` and by the
//! seeded property test `crates/storage/tests/rdb_fuzz_invariants.rs`
//! (which includes this file). Every check panics on a violation.

use lodestone_storage::list::End;
use lodestone_storage::rdb::{decode_value, encode_value, Reader};
use lodestone_storage::zset::AddFlags;
use lodestone_storage::{KeyspaceConfig, Value};

/// The configuration a fuzz input asks for: Redis's defaults, or tiny
/// thresholds (so every conversion on load and after it is reached) with
/// list compression on.
pub fn config(small: bool) -> KeyspaceConfig {
    let mut cfg = KeyspaceConfig::default();
    if small {
        cfg.list.max_listpack_size = 3;
        cfg.list.compress_depth = 1;
        cfg.list.packed_threshold = 16;
        cfg.hash_limits.max_listpack_entries = 3;
        cfg.hash_limits.max_listpack_value = 8;
        cfg.set_limits.max_intset_entries = 3;
        cfg.set_limits.max_listpack_entries = 3;
        cfg.set_limits.max_listpack_value = 8;
        cfg.zset_limits.max_listpack_entries = 3;
        cfg.zset_limits.max_listpack_value = 8;
    }
    cfg
}

/// A value's elements as bytes, in an order that does not depend on the
/// encoding (sorted for hashes and sets; rank order for sorted sets).
pub fn elements(v: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    match v {
        Value::List(l) => l.for_each(|e| out.push(e.to_vec())),
        Value::Hash(h) => {
            for (f, x) in h.iter() {
                let mut pair = f.to_vec();
                pair.push(0);
                pair.extend_from_slice(&x.to_vec());
                out.push(pair);
            }
            out.sort();
        }
        Value::Set(s) => {
            out.extend(s.iter().map(|m| m.to_vec()));
            out.sort();
        }
        Value::ZSet(z) => {
            for (m, s) in z.iter() {
                let mut e = m.to_vec();
                e.extend_from_slice(&s.value().to_bits().to_le_bytes());
                out.push(e);
            }
        }
        _ => out.push(v.to_string_vec().unwrap_or_default()),
    }
    out
}

/// The first input byte picks the configuration, the second is the RDB
/// type, the rest the body. Decoding never panics; a decoded value
/// re-encodes and decodes to the same elements, survives every read and
/// some writes that reshape its encoding.
pub fn rdb_value(data: &[u8]) {
    let [flags, ty, body @ ..] = data else {
        return;
    };
    let cfg = config(flags & 1 == 1);
    let mut r = Reader::new(body);
    let Ok(mut v) = decode_value(&mut r, *ty, &cfg) else {
        return;
    };
    let before = elements(&v);
    assert!(!before.is_empty(), "an empty collection was accepted");
    for compress in [false, true] {
        let mut out = Vec::new();
        encode_value(&v, &mut out, compress).expect("decoded values encode");
        let mut r = Reader::new(&out[1..]);
        let again = decode_value(&mut r, out[0], &cfg).expect("own encoding decodes");
        assert!(r.at_end(), "own encoding has trailing bytes");
        assert_eq!(elements(&again), before, "round trip changed the value");
    }
    exercise(&mut v, &cfg, &before);
}

/// Writes through the public API, checking element counts.
fn exercise(v: &mut Value, cfg: &KeyspaceConfig, before: &[Vec<u8>]) {
    let n = before.len();
    match v {
        Value::List(l) => {
            l.push_all(End::Head, &[b"x", &[b'y'; 40]], &cfg.list);
            assert_eq!(l.len(), n + 2);
            l.insert(b"x", b"z", true, &cfg.list);
            l.remove(b"z", 0);
            l.pop(End::Tail);
            l.delete_range(1, 2);
            l.try_shrink(&cfg.list);
            let mut seen = 0;
            l.for_each(|_| seen += 1);
            assert_eq!(seen, l.len());
        }
        Value::Hash(h) => {
            let field = h.iter().next().map(|(f, _)| f.to_vec()).unwrap_or_default();
            let grows = !h.contains(b"new-field");
            h.set(b"new-field", &[b'v'; 20], cfg.hash_limits);
            assert!(h.remove(&field) || field == b"new-field");
            h.convert_to_table();
            assert_eq!(h.iter().count(), h.len());
            assert_eq!(h.len() + 1, n + grows as usize);
        }
        Value::Set(s) => {
            let member = s.iter().next().map(|m| m.to_vec()).unwrap_or_default();
            let grows = !s.contains(b"new-member");
            s.add(b"new-member", cfg.set_limits);
            assert!(s.remove(&member) || member == b"new-member");
            s.convert_to_table();
            assert_eq!(s.iter().count(), s.len());
            assert_eq!(s.len() + 1, n + grows as usize);
        }
        Value::ZSet(z) => {
            let members: Vec<Vec<u8>> = z.iter().map(|(m, _)| m.to_vec()).collect();
            for (rank, m) in members.iter().enumerate() {
                assert_eq!(z.rank(m, false).map(|r| r.0), Some(rank));
            }
            z.add(0.5, b"new-member", AddFlags::default(), cfg.zset_limits);
            z.pop(true);
            z.convert_to_skiplist();
            assert_eq!(z.iter().count(), z.len());
            assert_eq!(
                z.iter_from(z.len().saturating_sub(1), true).count(),
                z.len()
            );
        }
        _ => {}
    }
}
