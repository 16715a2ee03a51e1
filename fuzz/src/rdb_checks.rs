//! Invariants of the RDB value decoder (`lodestone_storage::rdb`), checked
//! on arbitrary input.
//!
//! Shared by the cargo-fuzz target `fuzz_targets/rdb_value.rs` and by the
//! seeded property test `crates/storage/tests/rdb_fuzz_invariants.rs`
//! (which includes this file). Every check panics on a violation.

use lodestone_storage::list::End;
use lodestone_storage::rdb::{decode_value, encode_value, Reader};
use lodestone_storage::stream::{Stream, StreamId, StreamLimits, TrimBy};
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
/// encoding (sorted for hashes and sets; rank order for sorted sets;
/// for streams their entries, metadata and groups, see
/// [`stream_elements`]).
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
        Value::Stream(s) => return stream_elements(s),
        _ => out.push(v.to_string_vec().unwrap_or_default()),
    }
    out
}

/// Everything a stream holds as text lines: its entries (ID and fields),
/// length and IDs, then each group with its PEL and consumers. Never
/// empty, as an empty stream is a valid value.
pub fn stream_elements(s: &Stream) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in s.range(StreamId::MIN, StreamId::MAX, false) {
        let mut line = e.id.to_bytes();
        e.for_each_field(|f, v| {
            line.push(b' ');
            f.write_to(&mut line);
            line.push(b'=');
            v.write_to(&mut line);
        });
        out.push(line);
    }
    out.push(
        format!(
            "len={} last={} first={} maxdel={} added={}",
            s.len(),
            s.last_id,
            s.first_id,
            s.max_deleted_id,
            s.entries_added
        )
        .into_bytes(),
    );
    for (name, g) in &s.groups {
        let mut line = name.clone();
        line.extend(format!(" last={} read={}", g.last_id, g.entries_read).bytes());
        out.push(line);
        for (id, n) in &g.pel {
            let mut line =
                format!("pel {id} {} {} ", n.delivery_time, n.delivery_count).into_bytes();
            line.extend_from_slice(&n.consumer);
            out.push(line);
        }
        for (name, c) in &g.consumers {
            let mut line = format!("consumer {} {} ", c.seen_time, c.active_time).into_bytes();
            line.extend_from_slice(name);
            for id in &c.pel {
                line.extend(format!(" {id}").bytes());
            }
            out.push(line);
        }
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
        encode_value(&v, &mut out, compress);
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
        Value::Stream(s) => exercise_stream(s),
        _ => {}
    }
}

/// Reads a stream both ways, then appends, deletes, trims and delivers to
/// its groups; what comes out must still encode to something the decoder
/// accepts.
fn exercise_stream(s: &mut Stream) {
    let fwd: Vec<StreamId> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|e| e.id)
        .collect();
    let mut rev: Vec<StreamId> = s
        .range(StreamId::MIN, StreamId::MAX, true)
        .map(|e| e.id)
        .collect();
    rev.reverse();
    assert_eq!(fwd, rev, "both directions give the same entries");
    assert_eq!(fwd.len() as u64, s.len());
    assert!(fwd.windows(2).all(|w| w[0] < w[1]), "entries in ID order");
    for id in &fwd {
        assert!(s.contains(*id));
    }
    let limits = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 3,
    };
    if let Some(id) = s.next_id(None, 0) {
        s.append(id, &[b"f", b"v", b"g", b"w"], limits);
        assert!(s.contains(id));
    }
    if let Some(first) = fwd.first() {
        assert!(s.delete(*first));
        assert!(!s.contains(*first));
    }
    if let Some(mid) = fwd.get(fwd.len() / 2) {
        s.trim(TrimBy::MinId(*mid), false, 0);
    }
    s.trim(TrimBy::MaxLen(s.len() / 2), false, 0);
    let next = s.first_live_id();
    let mut groups = std::mem::take(&mut s.groups);
    for g in groups.values_mut() {
        s.advance_group(g, next);
        g.create_consumer(b"fuzz", 1);
        g.deliver(next, b"fuzz", 2);
        let pending: Vec<StreamId> = g.pel.keys().copied().collect();
        if let Some(id) = pending.first() {
            g.ack(*id);
        }
        let _ = s.lag(g);
    }
    s.groups = groups;
    let count = s.range(StreamId::MIN, StreamId::MAX, false).count();
    assert_eq!(count as u64, s.len());
    let mut out = Vec::new();
    encode_value(&Value::Stream(Box::new(s.clone())), &mut out, false);
    let mut r = Reader::new(&out[1..]);
    decode_value(&mut r, out[0], &config(false)).expect("an edited stream still decodes");
}
