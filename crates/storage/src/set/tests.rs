use super::*;
use std::collections::BTreeSet;

fn limits() -> SetLimits {
    SetLimits::default()
}

fn members(set: &Set) -> BTreeSet<Vec<u8>> {
    set.iter().map(|m| m.to_vec()).collect()
}

fn filled(items: &[&str]) -> Set {
    let mut set = Set::create(items[0].as_bytes(), 1, limits());
    for m in items {
        set.add(m.as_bytes(), limits());
    }
    set
}

#[test]
fn set_is_16_bytes() {
    assert_eq!(std::mem::size_of::<Set>(), 16);
}

#[test]
fn create_follows_the_size_hint() {
    let l = limits();
    assert_eq!(Set::create(b"1", 1, l).encoding(), Encoding::Intset);
    assert_eq!(Set::create(b"1", 512, l).encoding(), Encoding::Intset);
    assert_eq!(Set::create(b"1", 513, l).encoding(), Encoding::Hashtable);
    assert_eq!(Set::create(b"a", 128, l).encoding(), Encoding::Listpack);
    assert_eq!(Set::create(b"a", 129, l).encoding(), Encoding::Hashtable);
    assert_eq!(Set::create(b"01", 1, l).encoding(), Encoding::Listpack);
}

#[test]
fn intset_becomes_listpack_or_table() {
    let mut small = filled(&["1", "2", "3"]);
    assert_eq!(small.encoding(), Encoding::Intset);
    assert!(small.add(b"a", limits()));
    assert_eq!(small.encoding(), Encoding::Listpack);
    // The integers come first, ascending, then the new member.
    let order: Vec<Vec<u8>> = small.iter().map(|m| m.to_vec()).collect();
    assert_eq!(order, [&b"1"[..], b"2", b"3", b"a"]);

    let mut big = Set::new_intset();
    for i in 0..130 {
        big.add(i.to_string().as_bytes(), limits());
    }
    assert_eq!(big.encoding(), Encoding::Intset);
    assert!(big.add(b"a", limits()));
    assert_eq!(big.encoding(), Encoding::Hashtable);
    assert_eq!(big.len(), 131);

    // An integer wider than the value limit keeps a non-integer out of a listpack.
    let narrow = SetLimits {
        max_listpack_value: 3,
        ..limits()
    };
    let mut wide = filled(&["12345"]);
    wide.add(b"a", narrow);
    assert_eq!(wide.encoding(), Encoding::Hashtable);
}

#[test]
fn intset_overflows_into_a_table() {
    let mut set = Set::new_intset();
    for i in 0..512 {
        assert!(set.add(i.to_string().as_bytes(), limits()));
    }
    assert_eq!(set.encoding(), Encoding::Intset);
    assert!(!set.add(b"7", limits()));
    assert!(set.add(b"512", limits()));
    assert_eq!(set.encoding(), Encoding::Hashtable);
    assert!(set.contains(b"512") && set.contains(b"0") && !set.contains(b"513"));
}

#[test]
fn listpack_overflows_into_a_table() {
    let mut set = filled(&["a"]);
    for i in 0..127 {
        set.add(i.to_string().as_bytes(), limits());
    }
    assert_eq!((set.encoding(), set.len()), (Encoding::Listpack, 128));
    assert!(set.add(b"b", limits()));
    assert_eq!(set.encoding(), Encoding::Hashtable);

    let mut long = filled(&["a"]);
    long.add(&[b'x'; 64], limits());
    assert_eq!(long.encoding(), Encoding::Listpack);
    long.add(&[b'x'; 65], limits());
    assert_eq!(long.encoding(), Encoding::Hashtable);
}

#[test]
fn big_integers_are_strings() {
    let set = filled(&["213244124402402314402033402"]);
    assert_eq!(set.encoding(), Encoding::Listpack);
    assert!(set.contains(b"213244124402402314402033402"));
}

#[test]
fn maybe_convert_uses_the_hint() {
    let mut set = filled(&["1"]);
    set.maybe_convert(512, limits());
    assert_eq!(set.encoding(), Encoding::Intset);
    set.maybe_convert(513, limits());
    assert_eq!(set.encoding(), Encoding::Hashtable);
    let mut lp = filled(&["a"]);
    lp.maybe_convert(129, limits());
    assert_eq!(lp.encoding(), Encoding::Hashtable);
}

#[test]
fn members_compare_across_forms() {
    for set in [filled(&["1", "2"]), filled(&["1", "2", "x"]), {
        let mut t = filled(&["1", "2"]);
        t.convert_to_table();
        t
    }] {
        assert!(set.contains_member(LpEntry::Int(1)));
        assert!(set.contains_member(LpEntry::Str(b"2")));
        assert!(!set.contains(b"01"));
        assert!(!set.contains(b"3"));
    }
}

#[test]
fn remove_never_converts() {
    let mut set = filled(&["a", "1"]);
    assert!(set.remove(b"a"));
    assert_eq!(set.encoding(), Encoding::Listpack);
    assert!(!set.remove(b"a"));
    assert!(set.remove_member(LpEntry::Int(1)));
    assert!(set.is_empty());
    let mut is = filled(&["5"]);
    assert!(!is.remove(b"x"));
    assert!(is.remove(b"5"));
    assert!(is.is_empty());
}

#[test]
fn convert_to_intset_only_when_all_integers_fit() {
    let mut set = Set::new_listpack();
    for m in ["3", "1", "2"] {
        set.add(m.as_bytes(), limits());
    }
    set.maybe_convert_to_intset(limits());
    assert_eq!(set.encoding(), Encoding::Intset);
    assert_eq!(members(&set).len(), 3);
    let mut mixed = filled(&["a", "1"]);
    mixed.maybe_convert_to_intset(limits());
    assert_eq!(mixed.encoding(), Encoding::Listpack);
}

#[test]
fn clone_keeps_the_encoding() {
    for set in [filled(&["1", "2"]), filled(&["a", "b"]), {
        let mut t = filled(&["a", "b"]);
        t.convert_to_table();
        t
    }] {
        let copy = set.clone();
        assert_eq!(copy.encoding(), set.encoding());
        assert_eq!(members(&copy), members(&set));
    }
}

#[test]
fn scan_of_a_table_visits_everything() {
    let mut set = Set::new_listpack();
    for i in 0..1000 {
        set.add(format!("m{i}").as_bytes(), limits());
    }
    assert_eq!(set.encoding(), Encoding::Hashtable);
    let mut seen = BTreeSet::new();
    let mut cursor = 0;
    loop {
        cursor = set.scan(cursor, |m| {
            seen.insert(m.to_vec());
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen, members(&set));
    let small = filled(&["1", "2"]);
    assert_eq!(small.scan(12345, |_| {}), 0);
}

#[test]
fn random_picks_are_fair_on_every_encoding() {
    let mut table = filled(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    table.convert_to_table();
    for set in [
        filled(&["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
        filled(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
        table,
    ] {
        let mut counts = std::collections::HashMap::new();
        for _ in 0..10_000 {
            *counts.entry(set.random().unwrap().to_vec()).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 10);
        // Each member is expected 1000 times; chain position must not matter.
        assert!(
            counts.values().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
    }
}

#[test]
fn random_members_and_distinct() {
    let set = filled(&["a", "b", "c", "d", "e"]);
    let mut n = 0;
    set.random_members(2500, |m| {
        assert!(set.contains_member(m));
        n += 1;
        true
    });
    assert_eq!(n, 2500);
    let mut stopped = 0;
    set.random_members(100, |_| {
        stopped += 1;
        stopped < 3
    });
    assert_eq!(stopped, 3);
    let mut table = Set::new_intset();
    for i in 0..1000 {
        table.add(i.to_string().as_bytes(), limits());
    }
    for (s, count) in [
        (&set, 3),
        (&set, 10),
        (&table, 10),
        (&table, 400),
        (&table, 999),
    ] {
        let mut got = BTreeSet::new();
        s.random_distinct(count, |m| assert!(got.insert(m.to_vec())));
        assert_eq!(got.len(), count.min(s.len()));
        assert!(got.iter().all(|m| s.contains(m)));
    }
}

#[test]
fn pop_many_follows_redis_encodings() {
    let l = limits();
    // Few popped: members removed in place, the encoding stays.
    let mut table = Set::new_listpack();
    for i in 0..200 {
        table.add(format!("m{i}").as_bytes(), l);
    }
    let before = members(&table);
    let mut popped = BTreeSet::new();
    table.pop_many(10, l, |m| assert!(popped.insert(m.to_vec())));
    assert_eq!((popped.len(), table.len()), (10, 190));
    assert_eq!(table.encoding(), Encoding::Hashtable);
    assert!(popped.is_disjoint(&members(&table)));
    assert_eq!(&popped | &members(&table), before);

    // Most popped: the survivors of a table start a listpack.
    let mut popped = BTreeSet::new();
    table.pop_many(180, l, |m| assert!(popped.insert(m.to_vec())));
    assert_eq!((popped.len(), table.len()), (180, 10));
    assert_eq!(table.encoding(), Encoding::Listpack);

    // A table of integers keeps a listpack too (no intset conversion).
    let mut ints = Set::new_intset();
    for i in 0..600 {
        ints.add(i.to_string().as_bytes(), l);
    }
    assert_eq!(ints.encoding(), Encoding::Hashtable);
    ints.pop_many(590, l, |_| {});
    assert_eq!((ints.encoding(), ints.len()), (Encoding::Listpack, 10));

    // Intsets and listpacks keep their encoding on both paths.
    for items in [
        ["1", "2", "3", "4", "5", "6"],
        ["a", "b", "c", "d", "e", "f"],
    ] {
        for count in [1, 5] {
            let mut set = filled(&items);
            let enc = set.encoding();
            let mut n = 0;
            set.pop_many(count, l, |m| {
                assert!(items.contains(&std::str::from_utf8(&m.to_vec()).unwrap()));
                n += 1;
            });
            assert_eq!((n, set.len(), set.encoding()), (count, 6 - count, enc));
        }
    }
}

#[test]
fn pop_random_drains_every_encoding() {
    let mut table = filled(&["x", "y"]);
    table.convert_to_table();
    for mut set in [filled(&["1", "2"]), filled(&["x", "y"]), table] {
        let expected = members(&set);
        let mut got = BTreeSet::new();
        while let Some(m) = set.pop_random() {
            got.insert(m.as_member().to_vec());
        }
        assert_eq!(got, expected);
        assert!(set.is_empty());
    }
}

/// Random adds and removes against a model, across every conversion.
#[test]
fn random_operations_match_a_model() {
    let mut rng = fastrand::Rng::with_seed(0x5e75);
    let l = SetLimits {
        max_intset_entries: 40,
        max_listpack_entries: 20,
        max_listpack_value: 8,
    };
    for round in 0..200 {
        let mut model = BTreeSet::new();
        let first = rng.u32(..50).to_string();
        let mut set = Set::create(first.as_bytes(), 1, l);
        for step in 0..200 {
            let m: Vec<u8> = match rng.u8(..4) {
                0 => format!("s{}", rng.u8(..30)).into_bytes(),
                1 if round % 3 == 0 => vec![b'y'; rng.usize(..12)],
                _ => rng.i64(-60..60).to_string().into_bytes(),
            };
            if rng.u8(..3) == 0 {
                assert_eq!(
                    set.remove(&m),
                    model.remove(&m),
                    "round {round} step {step}"
                );
            } else {
                assert_eq!(
                    set.add(&m, l),
                    model.insert(m.clone()),
                    "round {round} step {step}"
                );
            }
            assert_eq!(set.len(), model.len());
            let all_ints = model.iter().all(|m| parse_i64(m).is_some());
            match set.encoding() {
                Encoding::Intset => assert!(all_ints && model.len() <= 40),
                Encoding::Listpack => assert!(model.len() <= 20),
                Encoding::Hashtable => {}
            }
        }
        assert_eq!(members(&set), model);
    }
}
