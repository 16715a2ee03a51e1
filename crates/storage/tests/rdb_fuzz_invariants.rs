//! Seeded property test of the RDB value decoder: the invariants the
//! cargo-fuzz target `rdb_value` checks (see `fuzz/`), over valid
//! encodings of every type and their truncations and mutations, on stable
//! so CI runs them on every build.

#[path = "../../../fuzz/src/rdb_checks.rs"]
mod rdb_checks;

use lodestone_storage::hash::Hash;
use lodestone_storage::list::{End, List};
use lodestone_storage::rdb::encode_value;
use lodestone_storage::set::Set;
use lodestone_storage::stream::{Group, Stream, StreamId, StreamLimits};
use lodestone_storage::zset::{AddFlags, ZSet};
use lodestone_storage::Value;
use rdb_checks::{config, rdb_value};

/// Valid values of every type, in both configurations' encodings.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for small in [false, true] {
        let cfg = config(small);
        let mut values = vec![Value::string(b"42"), Value::string(&b"ab".repeat(40))];
        for n in [3usize, 40] {
            let mut l = List::new();
            let mut h = Hash::new();
            let mut s = Set::new_intset();
            let mut t = Set::new_intset();
            let mut z = ZSet::new();
            for i in 0..n {
                let e = format!("e{}", i % 9).repeat(1 + i % 3);
                l.push_all(End::Tail, &[e.as_bytes()], &cfg.list);
                h.set(e.as_bytes(), i.to_string().as_bytes(), cfg.hash_limits);
                s.add(i.to_string().as_bytes(), cfg.set_limits);
                t.add(e.as_bytes(), cfg.set_limits);
                z.add(
                    i as f64 / 4.0,
                    e.as_bytes(),
                    AddFlags::default(),
                    cfg.zset_limits,
                );
            }
            values.extend([Value::List(l), Value::Hash(h), Value::Set(s)]);
            values.extend([Value::Set(t), Value::ZSet(z)]);
            values.push(Value::Stream(Box::new(stream(n as u64))));
        }
        for v in values {
            let mut b = vec![small as u8];
            encode_value(&v, &mut b, true);
            out.push(b);
        }
    }
    out
}

/// A stream of `n` entries over blocks of 3, with a deletion and a group
/// whose two consumers own pending entries.
fn stream(n: u64) -> Stream {
    let lim = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 3,
    };
    let mut s = Stream::new();
    for i in 1..=n {
        let v = i.to_string();
        s.append(StreamId::new(i, 0), &[b"f", v.as_bytes()], lim);
    }
    s.delete(StreamId::new(2, 0));
    s.max_deleted_id = StreamId::new(2, 0);
    let mut g = Group::new(StreamId::new(3, 0), 2);
    g.create_consumer(b"a", 10);
    g.create_consumer(b"b", 20);
    g.deliver(StreamId::new(1, 0), b"a", 30);
    g.deliver(StreamId::new(3, 0), b"b", 40);
    s.groups.insert(b"g".to_vec(), g);
    s
}

#[test]
fn decoder_invariants_hold_on_damaged_encodings() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in seeds() {
        rdb_value(&seed);
        for cut in 0..seed.len() {
            rdb_value(&seed[..cut]);
        }
        for _ in 0..2_000 {
            let mut b = seed.clone();
            for _ in 0..1 + next() % 4 {
                let i = 1 + (next() as usize) % (b.len() - 1);
                b[i] = match next() % 3 {
                    0 => next() as u8,
                    1 => b[i] ^ (1 << (next() % 8)),
                    _ => b[i].wrapping_add(1),
                };
            }
            rdb_value(&b);
        }
    }
}

/// The committed seed corpus holds the invariants, and its stream seeds
/// (`x*`: Redis 7.0, 7.2 and 5/6-form streams) are valid values.
#[test]
fn committed_seeds_hold_the_invariants() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/rdb_value");
    let mut streams = 0;
    for entry in std::fs::read_dir(dir).expect("seed corpus") {
        let path = entry.expect("seed").path();
        let seed = std::fs::read(&path).expect("read seed");
        rdb_value(&seed);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('x') {
            let mut r = lodestone_storage::rdb::Reader::new(&seed[2..]);
            let v = lodestone_storage::rdb::decode_value(&mut r, seed[1], &config(seed[0] == 1));
            assert!(matches!(v, Ok(Value::Stream(_))), "{name}: {v:?}");
            assert!(r.at_end(), "{name}");
            streams += 1;
        }
    }
    assert_eq!(streams, 18);
}
