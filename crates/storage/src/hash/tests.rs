use super::*;
use std::collections::{BTreeMap, HashSet};

fn limits(entries: usize, value: usize) -> HashLimits {
    HashLimits {
        max_listpack_entries: entries,
        max_listpack_value: value,
    }
}

fn text(v: FieldValue<'_>) -> Vec<u8> {
    v.to_vec()
}

fn contents(h: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
    h.iter().map(|(f, v)| (text(f), text(v))).collect()
}

#[test]
fn hash_is_16_bytes() {
    assert_eq!(std::mem::size_of::<Hash>(), 16);
}

#[test]
fn listpack_keeps_insertion_order_and_integers() {
    let mut h = Hash::new();
    let l = HashLimits::default();
    assert!(h.set(b"b", b"2", l));
    assert!(h.set(b"a", b"x", l));
    assert!(!h.set(b"b", b"-0", l));
    assert_eq!(h.len(), 2);
    assert_eq!(h.encoding_name(), "listpack");
    let order: Vec<_> = h.iter().map(|(f, v)| (text(f), text(v))).collect();
    assert_eq!(
        order,
        vec![
            (b"b".to_vec(), b"-0".to_vec()),
            (b"a".to_vec(), b"x".to_vec())
        ]
    );
    assert!(h.set(b"n", b"12", l));
    assert_eq!(h.get(b"n"), Some(LpEntry::Int(12)));
    assert_eq!(h.get(b"missing"), None);
    // A field equal to a value is not found through the value.
    assert!(!h.contains(b"x"));
}

#[test]
fn converts_at_redis_thresholds() {
    let l = limits(3, 5);
    let mut h = Hash::new();
    for f in [b"f1", b"f2", b"f3"] {
        h.set(f, b"v", l);
    }
    assert_eq!(h.encoding_name(), "listpack");
    h.set(b"f4", b"v", l);
    assert_eq!(h.encoding_name(), "hashtable");
    assert_eq!(h.len(), 4);

    let mut h = Hash::new();
    h.set(b"f", b"12345", l);
    assert_eq!(h.encoding_name(), "listpack");
    h.set(b"f", b"123456", l);
    assert_eq!(h.encoding_name(), "hashtable");
    assert_eq!(h.get(b"f").map(text), Some(b"123456".to_vec()));

    // prepare_write counts pairs, not distinct fields, and every argument.
    let mut h = Hash::new();
    h.prepare_write(4, [1, 1, 1, 1, 1, 1, 1, 1], l);
    assert_eq!(h.encoding_name(), "hashtable");
    let mut h = Hash::new();
    h.prepare_write(1, [6, 1], l);
    assert_eq!(h.encoding_name(), "hashtable");
    let mut h = Hash::new();
    h.prepare_write(3, [5, 5, 5, 5, 5, 5], l);
    assert_eq!(h.encoding_name(), "listpack");

    // A lowered limit converts at the next write, even an update.
    let mut h = Hash::new();
    h.set(b"a", b"1", l);
    h.set(b"b", b"1", l);
    h.set(b"a", b"2", limits(1, 5));
    assert_eq!(h.encoding_name(), "hashtable");
}

#[test]
fn both_encodings_agree() {
    let l = limits(8, 64);
    let mut model = BTreeMap::new();
    let mut h = Hash::new();
    for i in 0..200u32 {
        let f = format!("f{}", i % 37).into_bytes();
        let v = format!("{}", i * 7).into_bytes();
        if i % 5 == 0 {
            assert_eq!(h.remove(&f), model.remove(&f).is_some());
        } else {
            assert_eq!(h.set(&f, &v, l), model.insert(f, v).is_none());
        }
        assert_eq!(contents(&h), model);
        assert_eq!(h.len(), model.len());
    }
    assert_eq!(h.encoding_name(), "hashtable");
    for (f, v) in &model {
        assert_eq!(h.get(f).map(text).as_ref(), Some(v));
    }
}

#[test]
fn removing_everything_leaves_an_empty_hash() {
    let mut h = Hash::new();
    h.set(b"a", b"1", HashLimits::default());
    assert!(h.remove(b"a"));
    assert!(!h.remove(b"a"));
    assert!(h.is_empty());
    assert_eq!(h.iter().count(), 0);
}

#[test]
fn scan_of_a_table_sees_every_field() {
    let mut h = Hash::new();
    for i in 0..500 {
        h.set(format!("f{i}").as_bytes(), b"v", HashLimits::default());
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = h.scan(cursor, |f, _| {
            seen.insert(text(f));
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

fn sample(h: &Hash, count: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    h.random_distinct(count, |f, v| {
        assert_eq!(h.get(&text(f)).map(text), Some(text(v)));
        out.push(text(f));
    });
    out
}

#[test]
fn random_distinct_in_all_strategies() {
    for size in [5usize, 100, 1000] {
        let mut h = Hash::new();
        for i in 0..size {
            h.set(
                format!("f{i}").as_bytes(),
                format!("{i}").as_bytes(),
                HashLimits::default(),
            );
        }
        for count in [1, 2, size / 3, size / 2, size - 1, size, size + 5] {
            let got = sample(&h, count);
            let distinct: HashSet<_> = got.iter().collect();
            assert_eq!(got.len(), count.min(size), "size {size} count {count}");
            assert_eq!(distinct.len(), got.len());
        }
    }
}

#[test]
fn random_pairs_repeat_and_cover() {
    for size in [3usize, 300] {
        let mut h = Hash::new();
        for i in 0..size {
            h.set(
                format!("f{i}").as_bytes(),
                format!("{i}").as_bytes(),
                HashLimits::default(),
            );
        }
        let mut n = 0;
        let mut seen = HashSet::new();
        h.random_pairs(20_000, |f, v| {
            assert_eq!(h.get(&text(f)).map(text), Some(text(v)));
            seen.insert(text(f));
            n += 1;
            true
        });
        assert_eq!(n, 20_000);
        assert_eq!(seen.len(), size);
        let mut stopped = 0;
        h.random_pairs(10, |_, _| {
            stopped += 1;
            stopped < 4
        });
        assert_eq!(stopped, 4);
        let (f, v) = h.random_pair().unwrap();
        assert_eq!(h.get(&text(f)).map(text), Some(text(v)));
    }
    assert!(Hash::new().random_pair().is_none());
}
