//! Tests of the HLL representation as a whole: bytes identical to what
//! redis-server writes, sparse and dense agreeing, promotion points, and
//! corrupted strings reported rather than trusted.

use super::*;

/// `PFADD h a b c` on redis-server, as GET returns it.
const REDIS_ABC: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";

fn add_all(buf: &mut Vec<u8>, elements: impl IntoIterator<Item = Vec<u8>>, max: usize) -> bool {
    let mut changed = false;
    for e in elements {
        changed |= add(buf, &e, max).unwrap();
    }
    changed
}

fn numbered(range: std::ops::Range<u32>) -> impl Iterator<Item = Vec<u8>> {
    range.map(|i| format!("element:{i}").into_bytes())
}

#[test]
fn new_hll_is_one_xzero() {
    let h = new_sparse();
    assert_eq!(h, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert_eq!(count(&h), Ok(0));
    assert_eq!(header::cached_cardinality(&h), Some(0));
}

#[test]
fn bytes_match_redis() {
    let mut h = new_sparse();
    assert!(add_all(
        &mut h,
        [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
        3000
    ));
    assert_eq!(h, REDIS_ABC);
    assert_eq!(count(&h), Ok(3));
    assert!(!add(&mut h, b"a", 3000).unwrap());
}

#[test]
fn sparse_and_dense_agree() {
    let mut sparse_hll = new_sparse();
    let mut dense_hll = new_sparse();
    assert_eq!(to_dense(&mut dense_hll), Ok(true));
    assert_eq!(to_dense(&mut dense_hll), Ok(false));
    assert_eq!(dense_hll.len(), DENSE_LEN);
    for batch in 0..40 {
        let range = batch * 50..(batch + 1) * 50;
        add_all(&mut sparse_hll, numbered(range.clone()), usize::MAX);
        add_all(&mut dense_hll, numbered(range), usize::MAX);
        assert_eq!(count(&sparse_hll), count(&dense_hll));
        assert_eq!(registers(&sparse_hll), registers(&dense_hll));
    }
    let mut converted = sparse_hll.clone();
    assert_eq!(to_dense(&mut converted), Ok(true));
    assert_eq!(&converted[HEADER_LEN..], &dense_hll[HEADER_LEN..]);
}

#[test]
fn estimates_stay_close() {
    let mut h = new_sparse();
    add_all(&mut h, numbered(0..100_000), DEFAULT_SPARSE_MAX_BYTES);
    assert_eq!(header::check(&h), Ok(Encoding::Dense));
    let n = count(&h).unwrap() as f64;
    assert!((n - 100_000.0).abs() < 100_000.0 * 0.03, "estimate {n}");
}

#[test]
fn promotes_past_the_size_limit() {
    let mut h = new_sparse();
    let mut i = 0;
    while header::check(&h) == Ok(Encoding::Sparse) {
        assert!(h.len() <= 300);
        add_all(&mut h, numbered(i..i + 1), 300);
        i += 1;
    }
    assert_eq!(h.len(), DENSE_LEN);
    let mut fresh = new_sparse();
    add_all(&mut fresh, numbered(0..i), usize::MAX);
    assert_eq!(registers(&h), registers(&fresh));
}

#[test]
fn promotes_for_large_registers() {
    let mut h = new_sparse();
    assert_eq!(raise(&mut h, 7, 33, 3000), Ok(true));
    assert_eq!(header::check(&h), Ok(Encoding::Dense));
    assert_eq!(registers(&h).unwrap()[7], 33);
}

#[test]
fn merge_and_raise_all() {
    let mut a = new_sparse();
    let mut b = new_sparse();
    add_all(&mut a, numbered(0..100), 3000);
    add_all(&mut b, numbered(50..200), 3000);
    to_dense(&mut b).unwrap();
    let mut max = [0u8; REGISTERS];
    assert_eq!(merge_into(&mut max, &a), Ok(Encoding::Sparse));
    assert_eq!(merge_into(&mut max, &b), Ok(Encoding::Dense));
    let mut union = new_sparse();
    add_all(&mut union, numbered(0..200), 3000);
    assert_eq!(count_registers(&max), count(&union).unwrap());
    let mut dest = new_sparse();
    raise_all(&mut dest, &max, 3000).unwrap();
    assert_eq!(&dest[HEADER_LEN..], &union[HEADER_LEN..]);
    assert_eq!(header::cached_cardinality(&dest), None);
}

#[test]
fn corrupt_strings_are_reported() {
    let mut long = REDIS_ABC.to_vec();
    long.extend_from_slice(b"hello");
    assert_eq!(count(&long), Err(Corrupt));
    let mut max = [0u8; REGISTERS];
    assert_eq!(merge_into(&mut max, &long), Err(Corrupt));
    assert_eq!(to_dense(&mut long.clone()), Err(Corrupt));
    // A VAL run overflowing the last register.
    let mut over = new_sparse();
    over.truncate(HEADER_LEN);
    over.extend_from_slice(&[0x7f, 0xfe, 0x83]);
    assert_eq!(count(&over), Err(Corrupt));
    assert_eq!(to_dense(&mut over), Err(Corrupt));
    // Not an HLL at all.
    assert_eq!(count(b"HYLL"), Err(Corrupt));
    assert_eq!(
        add(&mut b"nothing here at all".to_vec(), b"x", 3000),
        Err(Corrupt)
    );
}

#[test]
fn self_test_passes() {
    assert_eq!(selftest::run(DEFAULT_SPARSE_MAX_BYTES), Ok(()));
}
