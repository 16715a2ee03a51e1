//! Tests of [`super`] (the sorted-set B+tree): unit cases for every
//! operation, invariant checks after each step with tiny node capacities,
//! and randomized runs against a sorted-vector model.

use super::*;

const INF: f64 = f64::INFINITY;

fn score_range(min: f64, max: f64, min_exclusive: bool, max_exclusive: bool) -> ScoreRange {
    ScoreRange {
        min,
        max,
        min_exclusive,
        max_exclusive,
    }
}

fn sb(s: &[u8]) -> SmallBytes {
    SmallBytes::new(s)
}

fn contents<const L: usize, const I: usize>(t: &ZsetTree<L, I>) -> Vec<(f64, Vec<u8>)> {
    t.iter().map(|(s, m)| (s, m.to_vec())).collect()
}

fn members(v: Vec<SmallBytes>) -> Vec<Vec<u8>> {
    v.into_iter().map(|m| m.to_vec()).collect()
}

fn build<const L: usize, const I: usize>(items: &[(f64, &[u8])]) -> ZsetTree<L, I> {
    let mut t = ZsetTree::<L, I>::new();
    for &(s, m) in items {
        t.insert(s, sb(m));
        t.check_invariants();
    }
    t
}

#[test]
fn zset_btree_empty_tree() {
    let mut t: ZsetTree = ZsetTree::new();
    t.check_invariants();
    assert_eq!(t.len(), 0);
    assert!(t.is_empty());
    assert_eq!(t.first(), None);
    assert_eq!(t.last(), None);
    assert_eq!(t.rank(1.0, b"a"), None);
    assert_eq!(t.get_by_rank(0), None);
    assert_eq!(t.iter().next(), None);
    assert_eq!(t.rev_iter_from_rank(0).next(), None);
    assert_eq!(
        t.first_in_score_range(&score_range(-INF, INF, false, false)),
        None
    );
    assert_eq!(
        t.last_in_score_range(&score_range(-INF, INF, false, false)),
        None
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-INF, INF, false, false)),
        0
    );
    assert_eq!(t.first_in_lex_range(LexBound::Min, LexBound::Max), None);
    assert_eq!(t.count_in_lex_range(LexBound::Min, LexBound::Max), 0);
    assert!(t.delete_range_by_rank(0, 10).is_empty());
    assert!(t
        .delete_range_by_score(&score_range(-INF, INF, false, false))
        .is_empty());
    assert!(t
        .delete_range_by_lex(LexBound::Min, LexBound::Max)
        .is_empty());
    assert!(t.pop_min().is_none());
    assert!(t.pop_max().is_none());
    assert!(!t.remove(1.0, b"a"));
    assert!(!t.update_score(1.0, 2.0, b"a"));
    t.check_invariants();
}

#[test]
fn zset_btree_order_scores_then_memcmp() {
    let items: &[(f64, &[u8])] = &[
        (1.0, b"b"),
        (INF, b"a"),
        (1.0, b"a\0"),
        (-INF, b"z"),
        (1.0, b"a"),
        (1.0, b""),
        (-2.5, b"x"),
        (1.0, b"\xff"),
        (1.0, b"ab"),
    ];
    let t = build::<4, 3>(items);
    let got: Vec<(f64, Vec<u8>)> = contents(&t);
    let want: Vec<(f64, Vec<u8>)> = vec![
        (-INF, b"z".to_vec()),
        (-2.5, b"x".to_vec()),
        (1.0, b"".to_vec()),
        (1.0, b"a".to_vec()),
        (1.0, b"a\0".to_vec()),
        (1.0, b"ab".to_vec()),
        (1.0, b"b".to_vec()),
        (1.0, b"\xff".to_vec()),
        (INF, b"a".to_vec()),
    ];
    assert_eq!(got, want);
    for (r, (s, m)) in want.iter().enumerate() {
        assert_eq!(t.rank(*s, m), Some(r));
        assert_eq!(t.get_by_rank(r), Some((*s, &m[..])));
    }
    assert_eq!(t.rank(1.0, b"c"), None);
    assert_eq!(t.rank(2.0, b"a"), None);
}

#[test]
fn zset_btree_negative_zero_equals_zero() {
    let mut t = build::<4, 3>(&[
        (-0.0, b"b"),
        (0.0, b"a"),
        (0.0, b"c"),
        (-1.0, b"m"),
        (1.0, b"m2"),
    ]);
    let order: Vec<Vec<u8>> = t.iter().map(|(_, m)| m.to_vec()).collect();
    assert_eq!(order, [&b"m"[..], b"a", b"b", b"c", b"m2"]);
    // Either zero finds an element stored with the other.
    assert_eq!(t.rank(0.0, b"b"), Some(2));
    assert_eq!(t.rank(-0.0, b"a"), Some(1));
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 0.0, false, false)),
        3
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-0.0, 0.0, false, false)),
        3
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, -0.0, false, false)),
        3
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 1.0, true, false)),
        1
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-1.0, -0.0, false, true)),
        1
    );
    assert_eq!(
        t.first_in_score_range(&score_range(0.0, 0.0, true, false)),
        None
    );
    assert!(t.remove(0.0, b"b"));
    assert!(t.update_score(-0.0, 0.0, b"a"));
    t.check_invariants();
    assert_eq!(t.get_by_rank(1), Some((0.0, &b"a"[..])));
}

#[test]
fn zset_btree_infinities_and_exclusive_bounds() {
    let t = build::<4, 3>(&[
        (-INF, b"a"),
        (-INF, b"b"),
        (0.0, b"c"),
        (5.0, b"d"),
        (INF, b"e"),
        (INF, b"f"),
    ]);
    assert_eq!(
        t.count_in_score_range(&score_range(-INF, INF, false, false)),
        6
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-INF, INF, true, true)),
        2
    );
    assert_eq!(
        t.first_in_score_range(&score_range(-INF, INF, true, false)),
        Some(2)
    );
    assert_eq!(
        t.last_in_score_range(&score_range(-INF, INF, false, true)),
        Some(3)
    );
    assert_eq!(
        t.count_in_score_range(&score_range(INF, INF, false, false)),
        2
    );
    assert_eq!(
        t.first_in_score_range(&score_range(INF, INF, false, false)),
        Some(4)
    );
    assert_eq!(
        t.count_in_score_range(&score_range(INF, INF, true, false)),
        0
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-INF, -INF, false, false)),
        2
    );
    assert_eq!(
        t.last_in_score_range(&score_range(-INF, -INF, false, false)),
        Some(1)
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 5.0, false, false)),
        2
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 5.0, true, false)),
        1
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 5.0, false, true)),
        1
    );
    assert_eq!(
        t.count_in_score_range(&score_range(0.0, 5.0, true, true)),
        0
    );
    assert_eq!(
        t.first_in_score_range(&score_range(0.0, 5.0, true, true)),
        None
    );
    assert_eq!(
        t.last_in_score_range(&score_range(0.0, 5.0, true, true)),
        None
    );
    // Ranges with nothing between the elements, min > max, equal bounds.
    assert_eq!(
        t.first_in_score_range(&score_range(1.0, 4.0, false, false)),
        None
    );
    assert_eq!(
        t.last_in_score_range(&score_range(1.0, 4.0, false, false)),
        None
    );
    assert_eq!(
        t.first_in_score_range(&score_range(5.0, 0.0, false, false)),
        None
    );
    assert_eq!(
        t.count_in_score_range(&score_range(5.0, 0.0, false, false)),
        0
    );
    assert_eq!(
        t.count_in_score_range(&score_range(5.0, 5.0, false, false)),
        1
    );
    assert_eq!(
        t.count_in_score_range(&score_range(5.0, 5.0, false, true)),
        0
    );
    assert_eq!(
        t.count_in_score_range(&score_range(6.0, 10.0, false, false)),
        0
    );
    assert_eq!(
        t.count_in_score_range(&score_range(-10.0, -1.0, false, false)),
        0
    );
}

#[test]
fn zset_btree_lex_bound_parse() {
    assert_eq!(LexBound::parse(b"-"), Some(LexBound::Min));
    assert_eq!(LexBound::parse(b"+"), Some(LexBound::Max));
    assert_eq!(LexBound::parse(b"[abc"), Some(LexBound::Inclusive(b"abc")));
    assert_eq!(LexBound::parse(b"(abc"), Some(LexBound::Exclusive(b"abc")));
    assert_eq!(LexBound::parse(b"["), Some(LexBound::Inclusive(b"")));
    assert_eq!(LexBound::parse(b"("), Some(LexBound::Exclusive(b"")));
    assert_eq!(LexBound::parse(b"+\0junk"), Some(LexBound::Max));
    assert_eq!(LexBound::parse(b"-\0"), Some(LexBound::Min));
    for bad in [&b""[..], b"a", b"-a", b"+a", b"--", b"1", b"-1", b"{a"] {
        assert_eq!(LexBound::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn zset_btree_lex_ranges_on_equal_scores() {
    let names: &[&[u8]] = &[b"", b"a", b"aa", b"b", b"c", b"d", b"e", b"f"];
    let items: Vec<(f64, &[u8])> = names.iter().map(|m| (0.0, *m)).collect();
    let t = build::<4, 3>(&items);
    let p = |s: &'static [u8]| LexBound::parse(s).unwrap();
    let check = |min: &'static [u8], max: &'static [u8], want: Option<(usize, usize)>| {
        let (a, b) = (p(min), p(max));
        let got = t.first_in_lex_range(a, b).zip(t.last_in_lex_range(a, b));
        assert_eq!(
            got,
            want,
            "{:?} {:?}",
            String::from_utf8_lossy(min),
            String::from_utf8_lossy(max)
        );
        assert_eq!(
            t.count_in_lex_range(a, b),
            want.map_or(0, |(x, y)| y - x + 1)
        );
    };
    check(b"-", b"+", Some((0, 7)));
    check(b"[", b"+", Some((0, 7)));
    check(b"(", b"+", Some((1, 7)));
    check(b"[b", b"(d", Some((3, 4)));
    check(b"(a", b"[b", Some((2, 3)));
    check(b"[a", b"[a", Some((1, 1)));
    check(b"(a", b"[a", None);
    check(b"[a", b"(a", None);
    check(b"[b", b"[a", None);
    check(b"-", b"-", None);
    check(b"+", b"+", None);
    check(b"+", b"-", None);
    check(b"[a", b"-", None);
    check(b"+", b"[z", None);
    check(b"-", b"[c", Some((0, 4)));
    check(b"(c", b"+", Some((5, 7)));
    check(b"[g", b"+", None);
    check(b"-", b"(", None);
    check(b"[ab", b"[ac", None);

    let mut d = t.clone();
    assert_eq!(
        members(d.delete_range_by_lex(p(b"(a"), p(b"[c"))),
        [&b"aa"[..], b"b", b"c"]
    );
    assert_eq!(
        members(d.delete_range_by_lex(p(b"-"), p(b"-"))),
        Vec::<Vec<u8>>::new()
    );
    assert_eq!(
        members(d.delete_range_by_lex(p(b"+"), p(b"+"))),
        Vec::<Vec<u8>>::new()
    );
    assert_eq!(
        members(d.delete_range_by_lex(p(b"[e"), p(b"[d"))),
        Vec::<Vec<u8>>::new()
    );
    assert_eq!(
        members(d.delete_range_by_lex(p(b"[e"), p(b"+"))),
        [&b"e"[..], b"f"]
    );
    d.check_invariants();
    assert_eq!(
        members(d.delete_range_by_lex(p(b"-"), p(b"+"))),
        [&b""[..], b"a", b"d"]
    );
    assert!(d.is_empty());
    d.check_invariants();
}

#[test]
fn zset_btree_lex_range_with_mixed_scores_uses_redis_end_checks() {
    // Members out of order across scores: the range checks consult the
    // lowest and highest elements first, as zslIsInLexRange does.
    let t = build::<4, 3>(&[(1.0, b"z"), (2.0, b"a"), (3.0, b"m")]);
    let (min, max) = (LexBound::Inclusive(b"b"), LexBound::Inclusive(b"y"));
    // Lowest element "z" is above max: nothing, whatever lies between.
    assert_eq!(t.first_in_lex_range(min, max), None);
    assert_eq!(t.last_in_lex_range(min, max), None);
    let all = (LexBound::Min, LexBound::Max);
    assert_eq!(t.first_in_lex_range(all.0, all.1), Some(0));
    assert_eq!(t.last_in_lex_range(all.0, all.1), Some(2));
    // Any answer found is an element within the range.
    let (min, max) = (LexBound::Inclusive(b"l"), LexBound::Max);
    for r in [
        t.first_in_lex_range(min, max),
        t.last_in_lex_range(min, max),
    ]
    .into_iter()
    .flatten()
    {
        let (_, m) = t.get_by_rank(r).unwrap();
        assert!(min.admits_from_below(m) && max.admits_from_above(m));
    }
}

#[test]
fn zset_btree_update_score_paths() {
    let mut t = ZsetTree::<4, 3>::new();
    for i in 0..40u32 {
        t.insert(f64::from(i), sb(format!("m{i:02}").as_bytes()));
    }
    // Same position: score changes in place.
    assert!(t.update_score(10.0, 10.5, b"m10"));
    assert_eq!(t.rank(10.5, b"m10"), Some(10));
    // Across the whole tree.
    assert!(t.update_score(10.5, 100.0, b"m10"));
    assert_eq!(t.rank(100.0, b"m10"), Some(39));
    assert!(t.update_score(100.0, -INF, b"m10"));
    assert_eq!(t.rank(-INF, b"m10"), Some(0));
    // Unchanged score, and a tie resolved by member.
    assert!(t.update_score(20.0, 20.0, b"m20"));
    assert!(t.update_score(21.0, 20.0, b"m21"));
    assert_eq!(t.rank(20.0, b"m21"), Some(21));
    // Wrong old score or unknown member: nothing happens.
    assert!(!t.update_score(5.0, 6.0, b"m06"));
    assert!(!t.update_score(5.0, 6.0, b"nope"));
    t.check_invariants();
    assert_eq!(t.len(), 40);

    // Moves inside a single (root) leaf.
    let mut small: ZsetTree = build(&[(1.0, b"a"), (2.0, b"b"), (3.0, b"c")]);
    assert!(small.update_score(1.0, 9.0, b"a"));
    assert!(small.update_score(3.0, 0.0, b"c"));
    small.check_invariants();
    let order: Vec<(f64, Vec<u8>)> = contents(&small);
    assert_eq!(
        order,
        [
            (0.0, b"c".to_vec()),
            (2.0, b"b".to_vec()),
            (9.0, b"a".to_vec())
        ]
    );
}

#[test]
fn zset_btree_iterators_cross_leaves() {
    let mut t = ZsetTree::<4, 3>::new();
    let n = 200u32;
    for i in (0..n).rev() {
        t.insert(f64::from(i), sb(&i.to_be_bytes()));
    }
    t.check_invariants();
    for start in [0, 1, 3, 4, 57, 198, 199] {
        let fwd: Vec<f64> = t.iter_from_rank(start).map(|(s, _)| s).collect();
        let want: Vec<f64> = (start as u32..n).map(f64::from).collect();
        assert_eq!(fwd, want);
        let it = t.iter_from_rank(start);
        assert_eq!(it.len(), (n as usize) - start);
        let back: Vec<f64> = t.rev_iter_from_rank(start).map(|(s, _)| s).collect();
        let want: Vec<f64> = (0..=start as u32).rev().map(f64::from).collect();
        assert_eq!(back, want);
        assert_eq!(t.rev_iter_from_rank(start).len(), start + 1);
    }
    assert_eq!(t.iter_from_rank(200).next(), None);
    assert_eq!(t.rev_iter_from_rank(200).next(), None);
    let mut it = t.iter_from_rank(198);
    assert!(it.next().is_some() && it.next().is_some());
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
}

#[test]
fn zset_btree_range_deletions_and_pops() {
    let mut t = ZsetTree::<4, 3>::new();
    for i in 0..100u32 {
        t.insert(f64::from(i / 2), sb(format!("{i:03}").as_bytes()));
    }
    let removed = members(t.delete_range_by_rank(10, 19));
    let want: Vec<Vec<u8>> = (10..20)
        .map(|i: u32| format!("{i:03}").into_bytes())
        .collect();
    assert_eq!(removed, want);
    t.check_invariants();
    assert_eq!(t.len(), 90);
    assert!(t.delete_range_by_rank(5, 4).is_empty());
    assert!(t.delete_range_by_rank(90, 100).is_empty());
    assert_eq!(t.delete_range_by_rank(85, usize::MAX).len(), 5);
    t.check_invariants();
    // Scores 20..=24 carry members 040..=049.
    let removed = members(t.delete_range_by_score(&score_range(20.0, 25.0, false, true)));
    let want: Vec<Vec<u8>> = (40..50)
        .map(|i: u32| format!("{i:03}").into_bytes())
        .collect();
    assert_eq!(removed, want);
    assert!(t
        .delete_range_by_score(&score_range(30.0, 20.0, false, false))
        .is_empty());
    assert!(t
        .delete_range_by_score(&score_range(30.0, 30.0, true, false))
        .is_empty());
    t.check_invariants();
    assert_eq!(t.len(), 75);
    let (s, m) = t.pop_min().unwrap();
    assert_eq!((s, m.as_slice()), (0.0, &b"000"[..]));
    let (s, m) = t.pop_max().unwrap();
    assert_eq!((s, m.as_slice()), (47.0, &b"094"[..]));
    t.check_invariants();
    while t.pop_max().is_some() {
        t.check_invariants();
    }
    assert!(t.is_empty());
    t.insert(1.0, sb(b"again"));
    assert_eq!(t.first(), Some((1.0, &b"again"[..])));
    t.clear();
    assert!(t.is_empty());
    t.check_invariants();
}

#[test]
fn zset_btree_long_members_and_clone() {
    let long: Vec<Vec<u8>> = (0..300u32)
        .map(|i| format!("{i:05}-{}", "x".repeat(40)).into_bytes())
        .collect();
    let mut t = ZsetTree::<5, 4>::new();
    for (i, m) in long.iter().enumerate() {
        t.insert((i % 7) as f64, sb(m));
    }
    let c = t.clone();
    c.check_invariants();
    assert_eq!(contents(&c), contents(&t));
    for m in &long[..150] {
        let (score, _) = t.iter().find(|(_, x)| *x == &m[..]).unwrap();
        assert!(t.remove(score, m));
    }
    t.check_invariants();
    assert_eq!(t.len(), 150);
    assert_eq!(c.len(), 300);
    assert!(t.heap_size() < c.heap_size());
    assert!(format!("{c:?}").contains("00299-x"));
}

/// Bytes per element for `n` members of about 10 bytes (inline), as
/// accounted by `heap_size` (node allocations at their real sizes).
fn bytes_per_element(n: usize, ascending: bool) -> f64 {
    let mut t: ZsetTree = ZsetTree::new();
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..n {
        let score = if ascending { i as f64 } else { rng.f64() };
        t.insert(score, sb(format!("member{i:04}").as_bytes()));
    }
    t.check_invariants();
    t.heap_size() as f64 / n as f64
}

#[test]
fn zset_btree_memory_per_element_is_compact() {
    // A leaf entry is 32 bytes (score + inline member): the rest is fill
    // and interior overhead. Redis's skiplist spends about 70.
    let sequential = bytes_per_element(100_000, true);
    let random = bytes_per_element(100_000, false);
    assert!(sequential < 35.0, "sequential: {sequential} bytes/element");
    assert!(random < 44.0, "random: {random} bytes/element");
}

/// The reference: a sorted vector with the same order.
#[derive(Default)]
struct Model {
    v: Vec<(f64, Vec<u8>)>,
}

impl Model {
    fn find(&self, s: f64, m: &[u8]) -> Result<usize, usize> {
        self.v.binary_search_by(|(a, b)| compare(*a, b, s, m))
    }
    fn insert(&mut self, s: f64, m: &[u8]) {
        let pos = self.find(s, m).unwrap_err();
        self.v.insert(pos, (s, m.to_vec()));
    }
    fn score_of(&self, m: &[u8]) -> Option<f64> {
        self.v.iter().find(|(_, x)| x == m).map(|(s, _)| *s)
    }
    fn first_where(&self, f: impl Fn(f64, &[u8]) -> bool) -> Option<usize> {
        self.v.iter().position(|(s, m)| f(*s, m))
    }
    fn last_where(&self, f: impl Fn(f64, &[u8]) -> bool) -> Option<usize> {
        self.v.iter().rposition(|(s, m)| f(*s, m))
    }
    fn remove_where(&mut self, f: impl Fn(f64, &[u8]) -> bool) -> Vec<Vec<u8>> {
        let (gone, kept): (Vec<_>, Vec<_>) = self.v.drain(..).partition(|(s, m)| f(*s, m));
        self.v = kept;
        gone.into_iter().map(|(_, m)| m).collect()
    }
}

const SCORES: [f64; 11] = [-INF, -3.0, -1.5, -0.0, 0.0, 0.25, 1.0, 2.0, 7.0, 1e300, INF];

fn random_member(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = match rng.u8(..10) {
        0 => 0,
        1 | 2 => rng.usize(1..4),
        3..=7 => rng.usize(4..12),
        _ => rng.usize(20..40),
    };
    (0..len)
        .map(|_| *rng.choice(&[0u8, b'a', b'b', b'c', 0xff]).unwrap())
        .collect()
}

fn random_lex_bound(rng: &mut fastrand::Rng, buf: &mut Vec<u8>) -> u8 {
    *buf = random_member(rng);
    rng.u8(..10)
}

fn as_lex_bound(kind: u8, buf: &[u8]) -> LexBound<'_> {
    match kind {
        0 => LexBound::Min,
        1 => LexBound::Max,
        2..=5 => LexBound::Inclusive(buf),
        _ => LexBound::Exclusive(buf),
    }
}

/// Thousands of random operations against the model. `lex` keeps every
/// score equal so lex ranges are meaningful and checked too. Phases of
/// `phase` steps alternate between mostly inserting and the plain mix,
/// so the tree grows several levels deep and shrinks back.
fn run_against_model<const L: usize, const I: usize>(
    seed: u64,
    ops: usize,
    lex: bool,
    check_every: usize,
    phase: usize,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut t = ZsetTree::<L, I>::new();
    let mut model = Model::default();
    let pick_score = |rng: &mut fastrand::Rng| {
        if lex {
            2.0
        } else if rng.bool() {
            *rng.choice(&SCORES).unwrap()
        } else {
            f64::from(rng.i32(-20..20)) / 4.0
        }
    };
    let (mut lo_buf, mut hi_buf) = (Vec::new(), Vec::new());
    for step in 0..ops {
        let growing = (step / phase) & 1 == 0;
        let op = if growing && rng.u8(..4) > 0 {
            0
        } else {
            rng.u8(..100)
        };
        match op {
            0..=39 => {
                let m = random_member(&mut rng);
                let s = pick_score(&mut rng);
                match model.score_of(&m) {
                    None => {
                        t.insert(s, SmallBytes::from_vec(m.clone()));
                        model.insert(s, &m);
                    }
                    Some(old) => {
                        assert!(t.update_score(old, s, &m), "step {step}: update");
                        let pos = model.find(old, &m).unwrap();
                        model.v.remove(pos);
                        model.insert(s, &m);
                    }
                }
            }
            40..=51 if !model.v.is_empty() => {
                let (s, m) = model.v.remove(rng.usize(..model.v.len()));
                assert!(t.remove(s, &m), "step {step}: remove");
            }
            52..=54 => {
                let m = random_member(&mut rng);
                let s = pick_score(&mut rng);
                let present = model.find(s, &m).is_ok();
                if present {
                    model.v.remove(model.find(s, &m).unwrap());
                }
                assert_eq!(t.remove(s, &m), present, "step {step}: remove maybe");
            }
            55..=62 => {
                let m = random_member(&mut rng);
                let s = model.score_of(&m).unwrap_or_else(|| pick_score(&mut rng));
                assert_eq!(t.rank(s, &m), model.find(s, &m).ok(), "step {step}: rank");
                let r = rng.usize(..=model.v.len());
                let want = model.v.get(r).map(|(s, m)| (*s, &m[..]));
                assert_eq!(t.get_by_rank(r), want, "step {step}: get_by_rank");
            }
            63..=67 => {
                let r = rng.usize(..=model.v.len() + 1);
                let k = rng.usize(..60);
                let fwd: Vec<(f64, Vec<u8>)> = t
                    .iter_from_rank(r)
                    .take(k)
                    .map(|(s, m)| (s, m.to_vec()))
                    .collect();
                let want: Vec<(f64, Vec<u8>)> = model.v.iter().skip(r).take(k).cloned().collect();
                assert_eq!(fwd, want, "step {step}: iter_from_rank({r})");
                let back: Vec<(f64, Vec<u8>)> = t
                    .rev_iter_from_rank(r)
                    .take(k)
                    .map(|(s, m)| (s, m.to_vec()))
                    .collect();
                let want: Vec<(f64, Vec<u8>)> = if r < model.v.len() {
                    model.v[..=r].iter().rev().take(k).cloned().collect()
                } else {
                    Vec::new()
                };
                assert_eq!(back, want, "step {step}: rev_iter_from_rank({r})");
            }
            68..=77 => {
                let (min, max) = (pick_score(&mut rng), pick_score(&mut rng));
                let (mx, xx) = (rng.bool(), rng.bool());
                let spec = ScoreRange {
                    min,
                    max,
                    min_exclusive: mx,
                    max_exclusive: xx,
                };
                let inr = |s: f64, _: &[u8]| spec.above_min(s) && spec.below_max(s);
                let (first, last) = (model.first_where(inr), model.last_where(inr));
                assert_eq!(
                    t.first_in_score_range(&score_range(min, max, mx, xx)),
                    first,
                    "step {step}: first score"
                );
                assert_eq!(
                    t.last_in_score_range(&score_range(min, max, mx, xx)),
                    last,
                    "step {step}: last score"
                );
                assert_eq!(
                    t.count_in_score_range(&score_range(min, max, mx, xx)),
                    span(first, last),
                    "step {step}"
                );
            }
            78..=83 if lex => {
                let kmin = random_lex_bound(&mut rng, &mut lo_buf);
                let kmax = random_lex_bound(&mut rng, &mut hi_buf);
                let (min, max) = (as_lex_bound(kmin, &lo_buf), as_lex_bound(kmax, &hi_buf));
                let inr = |_: f64, m: &[u8]| min.admits_from_below(m) && max.admits_from_above(m);
                let (first, last) = (model.first_where(inr), model.last_where(inr));
                assert_eq!(
                    t.first_in_lex_range(min, max),
                    first,
                    "step {step}: first lex {min:?} {max:?}"
                );
                assert_eq!(t.last_in_lex_range(min, max), last, "step {step}: last lex");
                assert_eq!(
                    t.count_in_lex_range(min, max),
                    span(first, last),
                    "step {step}"
                );
                if rng.u8(..4) == 0 {
                    let want = model.remove_where(inr);
                    assert_eq!(
                        members(t.delete_range_by_lex(min, max)),
                        want,
                        "step {step}: del lex"
                    );
                }
            }
            84..=87 => {
                let n = model.v.len();
                let start = rng.usize(..=n + 2);
                let len = if rng.u8(..8) == 0 {
                    rng.usize(..=n + 2)
                } else {
                    rng.usize(..12)
                };
                // An empty request is start > end.
                let (start, end) = match len {
                    0 => (start + 1, start),
                    _ => (start, start + len - 1),
                };
                let removed = members(t.delete_range_by_rank(start, end));
                let want: Vec<Vec<u8>> = if len == 0 || start >= n {
                    Vec::new()
                } else {
                    model
                        .v
                        .drain(start..=end.min(n - 1))
                        .map(|(_, m)| m)
                        .collect()
                };
                assert_eq!(
                    removed, want,
                    "step {step}: delete_range_by_rank({start}, {end})"
                );
            }
            88..=91 => {
                let a = pick_score(&mut rng);
                let b = if rng.bool() {
                    a + 0.5
                } else {
                    pick_score(&mut rng)
                };
                let (mx, xx) = (rng.bool(), rng.bool());
                let spec = ScoreRange {
                    min: a,
                    max: b,
                    min_exclusive: mx,
                    max_exclusive: xx,
                };
                let want = model.remove_where(|s, _| spec.above_min(s) && spec.below_max(s));
                let removed = members(t.delete_range_by_score(&score_range(a, b, mx, xx)));
                assert_eq!(removed, want, "step {step}: delete_range_by_score");
            }
            92..=95 => {
                let (got, want) = if rng.bool() {
                    (
                        t.pop_min(),
                        (!model.v.is_empty()).then(|| model.v.remove(0)),
                    )
                } else {
                    (t.pop_max(), model.v.pop())
                };
                assert_eq!(got.map(|(s, m)| (s, m.to_vec())), want, "step {step}: pop");
            }
            96 => {
                assert_eq!(t.first(), model.v.first().map(|(s, m)| (*s, &m[..])));
                assert_eq!(t.last(), model.v.last().map(|(s, m)| (*s, &m[..])));
            }
            97 if rng.u8(..20) == 0 => {
                t.clear();
                model.v.clear();
            }
            _ => {}
        }
        assert_eq!(t.len(), model.v.len(), "step {step}: len");
        if step % check_every == 0 {
            t.check_invariants();
        }
    }
    t.check_invariants();
    assert_eq!(contents(&t), model.v);
}

#[test]
fn zset_btree_model_tiny_nodes() {
    run_against_model::<3, 3>(1, 20_000, false, 1, 1500);
    run_against_model::<4, 4>(2, 20_000, false, 1, 1500);
    run_against_model::<5, 3>(3, 20_000, false, 1, 1500);
}

#[test]
fn zset_btree_model_tiny_nodes_lex() {
    run_against_model::<3, 3>(4, 15_000, true, 1, 1500);
    run_against_model::<4, 5>(5, 15_000, true, 1, 1500);
}

#[test]
fn zset_btree_model_default_nodes() {
    run_against_model::<DEFAULT_LEAF_CAP, DEFAULT_FANOUT>(6, 40_000, false, 97, 10_000);
    run_against_model::<DEFAULT_LEAF_CAP, DEFAULT_FANOUT>(7, 30_000, true, 97, 10_000);
}

#[test]
fn zset_btree_default_nodes_three_levels() {
    // 200k elements need an interior level below the root at the
    // production fanout; then half of them go in scattered order and in
    // rank runs, exercising interior merges and rotations at full size.
    let mut t: ZsetTree = ZsetTree::new();
    let mut rng = fastrand::Rng::with_seed(12);
    let n = 200_000u32;
    let mut keys: Vec<(f64, [u8; 4])> = (0..n)
        .map(|i| (f64::from(rng.u32(..1000)), i.to_be_bytes()))
        .collect();
    for (s, m) in &keys {
        t.insert(*s, sb(m));
    }
    assert!(matches!(&t.root, Node::Internal(r) if matches!(r.children, Children::Internals(_))));
    t.check_invariants();
    keys.sort_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
    for r in (0..keys.len()).step_by(997) {
        assert_eq!(t.rank(keys[r].0, &keys[r].1), Some(r));
        assert_eq!(t.get_by_rank(r), Some((keys[r].0, &keys[r].1[..])));
    }
    let removed = t.delete_range_by_rank(50_000, 99_999);
    assert_eq!(removed.len(), 50_000);
    assert!(removed
        .iter()
        .zip(&keys[50_000..100_000])
        .all(|(m, k)| m.as_slice() == k.1));
    keys.drain(50_000..100_000);
    t.check_invariants();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    rng.shuffle(&mut order);
    for &i in &order[..100_000] {
        assert!(t.remove(keys[i].0, &keys[i].1));
    }
    t.check_invariants();
    assert_eq!(t.len(), 50_000);
    let mut kept: Vec<(f64, [u8; 4])> = order[100_000..].iter().map(|&i| keys[i]).collect();
    kept.sort_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
    assert!(t.iter().zip(&kept).all(|((s, m), k)| s == k.0 && m == k.1));
}

#[test]
fn zset_btree_grows_and_shrinks_deep() {
    // Enough elements for four levels with tiny nodes, then removal of
    // everything in a scattered order; invariants hold throughout.
    let mut t = ZsetTree::<4, 3>::new();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut keys: Vec<(f64, Vec<u8>)> = (0..3000u32)
        .map(|i| (f64::from(rng.u16(..500)), i.to_le_bytes().to_vec()))
        .collect();
    for (s, m) in &keys {
        t.insert(*s, sb(m));
    }
    t.check_invariants();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
    assert_eq!(contents(&t), sorted);
    for (r, (s, m)) in sorted.iter().enumerate().step_by(37) {
        assert_eq!(t.rank(*s, m), Some(r));
    }
    rng.shuffle(&mut keys);
    for (n, (s, m)) in keys.iter().enumerate() {
        assert!(t.remove(*s, m));
        if n % 50 == 0 {
            t.check_invariants();
        }
    }
    assert!(t.is_empty());
    t.check_invariants();
}
