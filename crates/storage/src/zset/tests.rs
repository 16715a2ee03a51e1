//! Tests of [`ZSet`]: both encodings must behave the same, and convert at
//! Redis's points.

use super::*;

const LIMITS: ZSetLimits = ZSetLimits {
    max_listpack_entries: 4,
    max_listpack_value: 8,
};

fn plain() -> AddFlags {
    AddFlags::default()
}

fn contents(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
    z.iter().map(|(m, s)| (m.to_vec(), s.value())).collect()
}

/// The same elements in both encodings.
fn both(items: &[(f64, &[u8])]) -> [ZSet; 2] {
    let mut small = ZSet::new();
    let mut big = ZSet::create(1000, 0, LIMITS);
    let wide = ZSetLimits {
        max_listpack_entries: 1000,
        max_listpack_value: 1000,
    };
    small.add_all(items, plain(), wide, |_| true);
    big.add_all(items, plain(), wide, |_| true);
    assert_eq!(small.encoding_name(), "listpack");
    assert_eq!(big.encoding_name(), "skiplist");
    [small, big]
}

#[test]
fn add_reports_like_zset_add() {
    for mut z in both(&[(1.0, b"a"), (2.0, b"b")]) {
        let wide = ZSetLimits {
            max_listpack_entries: 1000,
            max_listpack_value: 1000,
        };
        assert_eq!(z.add(5.0, b"a", plain(), wide), AddOutcome::Updated(5.0));
        assert_eq!(z.add(5.0, b"a", plain(), wide), AddOutcome::Unchanged(5.0));
        let nx = AddFlags {
            nx: true,
            ..plain()
        };
        assert_eq!(z.add(9.0, b"a", nx, wide), AddOutcome::Skipped);
        let xx = AddFlags {
            xx: true,
            ..plain()
        };
        assert_eq!(z.add(9.0, b"zz", xx, wide), AddOutcome::Skipped);
        let gt = AddFlags {
            gt: true,
            ..plain()
        };
        assert_eq!(z.add(1.0, b"a", gt, wide), AddOutcome::Skipped);
        assert_eq!(z.add(1.0, b"new", gt, wide), AddOutcome::Added(1.0));
        let incr = AddFlags {
            incr: true,
            ..plain()
        };
        assert_eq!(z.add(2.5, b"a", incr, wide), AddOutcome::Updated(7.5));
        assert_eq!(
            z.add(f64::INFINITY, b"b", plain(), wide),
            AddOutcome::Updated(f64::INFINITY)
        );
        assert_eq!(
            z.add(f64::NEG_INFINITY, b"b", incr, wide),
            AddOutcome::NotANumber
        );
        assert_eq!(
            contents(&z),
            vec![
                (b"new".to_vec(), 1.0),
                (b"a".to_vec(), 7.5),
                (b"b".to_vec(), f64::INFINITY)
            ]
        );
    }
}

#[test]
fn converts_where_redis_does() {
    // Created big when the write brings more elements than the limit.
    assert_eq!(ZSet::create(5, 1, LIMITS).encoding_name(), "skiplist");
    assert_eq!(ZSet::create(4, 9, LIMITS).encoding_name(), "skiplist");
    assert_eq!(ZSet::create(4, 8, LIMITS).encoding_name(), "listpack");
    // Grows past the entry limit.
    let mut z = ZSet::new();
    for (i, m) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
        z.add(i as f64, *m, plain(), LIMITS);
    }
    assert_eq!(z.encoding_name(), "listpack");
    z.add(9.0, b"e", plain(), LIMITS);
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(z.len(), 5);
    // A long member converts, an update of an existing one does not.
    let mut z = ZSet::new();
    z.add(1.0, b"a", plain(), LIMITS);
    z.add(2.0, b"a", plain(), LIMITS);
    assert_eq!(z.encoding_name(), "listpack");
    z.add(1.0, b"123456789", plain(), LIMITS);
    assert_eq!(z.encoding_name(), "skiplist");
    // Removing never converts back.
    z.remove(b"123456789");
    assert_eq!(z.encoding_name(), "skiplist");
    // A write announcing more elements than the limit converts first.
    let mut z = ZSet::new();
    z.add(1.0, b"a", plain(), LIMITS);
    z.maybe_convert(5, LIMITS);
    assert_eq!(z.encoding_name(), "skiplist");
    // Store results fitting the limits become listpacks.
    let mut sl = SkipList::new();
    sl.insert_new(b"x", 1.0);
    assert_eq!(
        ZSet::from_skiplist(sl, 1, 1, LIMITS).encoding_name(),
        "listpack"
    );
    let items: Vec<(Vec<u8>, f64)> = (0..5).map(|i| (vec![b'a' + i], i as f64)).collect();
    assert_eq!(
        ZSet::from_sorted(&items, LIMITS).encoding_name(),
        "skiplist"
    );
    assert_eq!(
        ZSet::from_sorted(&items[..4], LIMITS).encoding_name(),
        "listpack"
    );
    assert_eq!(contents(&ZSet::from_sorted(&items[..4], LIMITS)).len(), 4);
}

#[test]
fn batch_add_converts_midway() {
    let mut z = ZSet::new();
    let items: Vec<(f64, &[u8])> = vec![
        (3.0, b"c"),
        (1.0, b"a"),
        (2.0, b"b"),
        (5.0, b"e"),
        (4.0, b"d"),
    ];
    let mut outcomes = Vec::new();
    z.add_all(&items, plain(), LIMITS, |o| {
        outcomes.push(o);
        true
    });
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes.iter().all(|o| matches!(o, AddOutcome::Added(_))));
    assert_eq!(z.encoding_name(), "skiplist");
    let members: Vec<_> = contents(&z).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        members,
        vec![
            b"a".to_vec(),
            b"b".to_vec(),
            b"c".to_vec(),
            b"d".to_vec(),
            b"e".to_vec()
        ]
    );
}

#[test]
fn queries_agree_across_encodings() {
    let items: Vec<(f64, &[u8])> = vec![
        (1.0, b"a"),
        (1.0, b"b"),
        (2.5, b"c"),
        (-0.0, b"zero"),
        (f64::NEG_INFINITY, b"min"),
        (7.0, b"12"),
    ];
    let [small, big] = both(&items);
    assert_eq!(contents(&small), contents(&big));
    let range = ScoreRange {
        min: 0.0,
        max: 2.5,
        min_exclusive: true,
        max_exclusive: true,
    };
    let lex = LexRange {
        min: LexBound::Inclusive(b"a"),
        max: LexBound::Exclusive(b"c"),
    };
    for z in [&small, &big] {
        assert_eq!(z.len(), 6);
        assert_eq!(z.score(b"12"), Some(7.0));
        assert_eq!(z.rank(b"c", false), Some((4, 2.5)));
        assert_eq!(z.rank(b"c", true), Some((1, 2.5)));
        assert_eq!(z.rank(b"nope", false), None);
        assert_eq!(z.first_in_score_range(&range), Some(2));
        assert_eq!(z.last_in_score_range(&range), Some(3));
        assert_eq!(z.count_in_score_range(&range), 2);
        let rev: Vec<_> = z.iter_from(3, true).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(
            rev,
            vec![
                b"b".to_vec(),
                b"a".to_vec(),
                b"zero".to_vec(),
                b"min".to_vec()
            ]
        );
        let mut seen = 0;
        let mut cursor = z.scan(0, |_, _| seen += 1);
        while cursor != 0 {
            cursor = z.scan(cursor, |_, _| seen += 1);
        }
        assert_eq!(seen, 6);
    }
    // Lex ranges are meaningful with equal scores.
    let same: Vec<(f64, &[u8])> = vec![(0.0, b"a"), (0.0, b"b"), (0.0, b"c"), (0.0, b"d")];
    for z in both(&same) {
        assert_eq!(z.first_in_lex_range(&lex), Some(0));
        assert_eq!(z.last_in_lex_range(&lex), Some(1));
        assert_eq!(z.count_in_lex_range(&lex), 2);
    }
    // The listpack stores -0 as the integer 0 (Redis 7.2); the big
    // encoding keeps the sign.
    assert!(small.score(b"zero").unwrap().is_sign_positive());
    assert!(big.score(b"zero").unwrap().is_sign_negative());
}

#[test]
fn removals_and_pops() {
    let items: Vec<(f64, &[u8])> = (0..10u8)
        .map(|i| (i as f64, &b"abcdefghij"[i as usize..i as usize + 1]))
        .collect();
    for mut z in both(&items) {
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert_eq!(z.delete_range_by_rank(0, 1), 2);
        let range = ScoreRange {
            min: 3.0,
            max: 4.0,
            min_exclusive: false,
            max_exclusive: false,
        };
        assert_eq!(z.delete_range_by_score(&range), 2);
        let lex = LexRange {
            min: LexBound::Exclusive(b"e"),
            max: LexBound::Inclusive(b"g"),
        };
        assert_eq!(z.delete_range_by_lex(&lex), 2);
        assert_eq!(z.pop(true), Some((b"j".to_vec(), 9.0)));
        assert_eq!(z.pop(false), Some((b"h".to_vec(), 7.0)));
        assert_eq!(contents(&z), vec![(b"i".to_vec(), 8.0)]);
        assert_eq!(z.pop(false), Some((b"i".to_vec(), 8.0)));
        assert!(z.is_empty());
        assert_eq!(z.pop(false), None);
    }
}

#[test]
fn random_strategies() {
    let items: Vec<(f64, Vec<u8>)> = (0..50)
        .map(|i| (i as f64, format!("m{i}").into_bytes()))
        .collect();
    let refs: Vec<(f64, &[u8])> = items.iter().map(|(s, m)| (*s, m.as_slice())).collect();
    for z in both(&refs) {
        assert!(z.random_element().is_some());
        let mut n = 0;
        z.random_with_repeats(2500, |m, s| {
            assert_eq!(z.score(&m.to_vec()), Some(s));
            n += 1;
            true
        });
        assert_eq!(n, 2500);
        for count in [1, 5, 20, 49, 50, 80] {
            let mut got = HashSet::new();
            z.random_distinct(count, |m, _| {
                assert!(got.insert(m.to_vec()), "duplicate");
            });
            assert_eq!(got.len(), count.min(50));
        }
        let mut all = Vec::new();
        z.random_distinct(50, |m, _| all.push(m.to_vec()));
        assert_eq!(
            all.first().map(Vec::as_slice),
            Some(&b"m49"[..]),
            "whole set highest first"
        );
    }
}

use std::collections::HashSet;

#[test]
fn clones_keep_encoding() {
    for z in both(&[(1.0, b"a"), (2.0, b"b")]) {
        let c = z.clone();
        assert_eq!(c.encoding_name(), z.encoding_name());
        assert_eq!(contents(&c), contents(&z));
    }
}
