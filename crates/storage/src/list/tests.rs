//! Unit tests of [`List`]: encodings and conversions at Redis's points,
//! quicklist node shapes, compression, and a randomized comparison with a
//! plain deque model.

use super::*;
use std::collections::VecDeque;

fn cfg(fill: i64, depth: i64, threshold: usize) -> ListConfig {
    ListConfig {
        max_listpack_size: fill,
        compress_depth: depth,
        packed_threshold: threshold,
    }
}

fn contents(list: &List) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    list.for_each(|e| out.push(e.to_vec()));
    out
}

fn push_n(list: &mut List, n: usize, value: &[u8], c: &ListConfig) {
    for _ in 0..n {
        list.push_all(End::Tail, &[value], c);
    }
}

#[test]
fn list_fits_in_sixteen_bytes() {
    assert_eq!(std::mem::size_of::<List>(), 16);
}

#[test]
fn count_limit_converts_and_half_converts_back() {
    let c = cfg(4, 0, DEFAULT_PACKED_THRESHOLD);
    let mut l = List::new();
    push_n(&mut l, 4, b"a", &c);
    assert_eq!(l.encoding_name(), "listpack");
    push_n(&mut l, 1, b"a", &c);
    assert_eq!(l.encoding_name(), "quicklist");
    // The listpack became the first node; the fifth element a new node.
    assert_eq!(l.shape(), vec![(4, false, false), (1, false, false)]);
    l.pop(End::Tail);
    l.try_shrink(&c);
    assert_eq!(
        l.encoding_name(),
        "quicklist",
        "4 entries is over half the limit"
    );
    l.pop(End::Tail);
    l.pop(End::Tail);
    l.try_shrink(&c);
    assert_eq!(l.encoding_name(), "listpack");
    assert_eq!(contents(&l), vec![b"a".to_vec(); 2]);
}

#[test]
fn byte_limit_converts_on_size() {
    let c = ListConfig::default();
    let mut l = List::new();
    let big = vec![b'x'; 8150];
    l.push_all(End::Head, &[&big], &c);
    assert_eq!(l.encoding_name(), "listpack");
    l.push_all(End::Head, &[b"1234567890abcdefghijklmnopqrstuvwxyz"], &c);
    assert_eq!(l.encoding_name(), "quicklist");
    let mut e = l.clone();
    assert_eq!(e.get(1), Some(Element::Bytes(big)));
}

#[test]
fn large_elements_get_plain_nodes() {
    let c = cfg(-2, 0, 10);
    let mut l = List::new();
    push_n(&mut l, 3, b"short", &c);
    // A listpack ignores the threshold; only quicklists use plain nodes.
    l.push_all(End::Tail, &[&[b'L'; 9000]], &c);
    assert_eq!(l.encoding_name(), "quicklist");
    assert_eq!(l.shape(), vec![(3, false, false), (1, false, true)]);
    l.push_all(End::Tail, &[b"tiny"], &c);
    assert_eq!(l.shape().len(), 3, "nothing joins a plain node");
    assert!(l.replace(0, b"0123456789abc", &c));
    assert_eq!(
        l.shape(),
        vec![
            (1, false, true),
            (2, false, false),
            (1, false, true),
            (1, false, false)
        ]
    );
    assert_eq!(l.get(0), Some(Element::Bytes(b"0123456789abc".to_vec())));
    assert!(l.replace(0, b"s", &c));
    assert_eq!(
        contents(&l)[..3],
        [b"s".to_vec(), b"short".to_vec(), b"short".to_vec()]
    );
}

#[test]
fn inserting_into_a_full_node_splits_and_merges() {
    let c = cfg(4, 0, DEFAULT_PACKED_THRESHOLD);
    let mut l = List::new();
    for v in [b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h"] {
        l.push_all(End::Tail, &[v], &c);
    }
    assert_eq!(l.shape(), vec![(4, false, false), (4, false, false)]);
    assert!(l.insert(b"b", b"X", true, &c));
    assert_eq!(
        contents(&l),
        [&b"a"[..], b"b", b"X", b"c", b"d", b"e", b"f", b"g", b"h"]
            .iter()
            .map(|s| s.to_vec())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        l.shape(),
        vec![(2, false, false), (3, false, false), (4, false, false)]
    );
    assert!(!l.insert(b"nope", b"Y", false, &c));
}

#[test]
fn interior_nodes_are_compressed() {
    let c = cfg(2, 1, DEFAULT_PACKED_THRESHOLD);
    let mut l = List::new();
    let v = vec![b'q'; 100];
    push_n(&mut l, 10, &v, &c);
    let shape = l.shape();
    assert_eq!(shape.len(), 5);
    assert!(!shape[0].1 && !shape[4].1);
    assert!(shape[1..4].iter().all(|n| n.1), "{shape:?}");
    assert_eq!(l.get(5), Some(Element::Bytes(v.clone())));
    l.delete_range(0, 2);
    let shape = l.shape();
    assert!(!shape[0].1, "the new head is decompressed: {shape:?}");
    assert!(shape[1..shape.len() - 1].iter().all(|n| n.1));
    assert_eq!(l.len(), 8);
}

#[test]
fn sort_store_builds_with_default_limits() {
    let c = cfg(4, 0, DEFAULT_PACKED_THRESHOLD);
    let small = List::from_values([&b"a"[..], b"b"], &c);
    assert_eq!(small.encoding_name(), "listpack");
    let values: Vec<Vec<u8>> = (0..10).map(|i| i.to_string().into_bytes()).collect();
    let big = List::from_values(values.iter().map(Vec::as_slice), &c);
    assert_eq!(big.encoding_name(), "quicklist");
    assert_eq!(
        big.shape().len(),
        1,
        "built with the default 8 KB node limit"
    );
    assert_eq!(contents(&big), values);
}

#[test]
fn pops_return_integers_from_quicklists_only() {
    let c = cfg(1, 0, DEFAULT_PACKED_THRESHOLD);
    let mut l = List::new();
    l.push_all(End::Tail, &[b"42"], &c);
    assert_eq!(
        l.clone().pop(End::Head),
        Some(Element::Bytes(b"42".to_vec()))
    );
    l.push_all(End::Tail, &[b"43"], &c);
    assert_eq!(l.encoding_name(), "quicklist");
    assert_eq!(l.pop(End::Head), Some(Element::Int(42)));
    assert_eq!(Element::Int(42).counted_len(), 0);
}

/// Checks the structural invariants of a quicklist.
fn check_shape(l: &List) {
    let shape = l.shape();
    if l.encoding_name() == "listpack" {
        return;
    }
    assert!(shape.iter().all(|n| n.0 > 0), "no empty nodes: {shape:?}");
    assert_eq!(shape.iter().map(|n| n.0).sum::<usize>(), l.len());
    assert!(shape.iter().filter(|n| n.2).all(|n| n.0 == 1));
    let d = l.depth();
    for (i, n) in shape.iter().enumerate() {
        let interior = d > 0 && i >= d && i + d < shape.len();
        assert!(
            interior || !n.1,
            "node {i} within depth {d} is compressed: {shape:?}"
        );
    }
}

#[test]
fn random_operations_match_a_deque() {
    let mut rng = fastrand::Rng::with_seed(0x11_57);
    for round in 0..60 {
        let fill = [-5, -2, -1, 1, 2, 3, 5, 16][round % 8];
        let depth = (round / 8 % 3) as i64;
        let threshold = if round % 5 == 0 {
            12
        } else {
            DEFAULT_PACKED_THRESHOLD
        };
        let c = cfg(fill, depth, threshold);
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for _ in 0..400 {
            let value: Vec<u8> = match rng.u8(..4) {
                0 => rng.i64(-300..300).to_string().into_bytes(),
                1 => vec![b'a' + rng.u8(..3); rng.usize(1..20)],
                2 => vec![b'z'; rng.usize(50..700)],
                _ => format!("v{}", rng.u8(..10)).into_bytes(),
            };
            let len = model.len() as i64;
            match rng.u8(..9) {
                0 | 1 => {
                    if rng.bool() {
                        list.push_all(End::Head, &[&value], &c);
                        model.push_front(value);
                    } else {
                        list.push_all(End::Tail, &[&value], &c);
                        model.push_back(value);
                    }
                }
                2 => {
                    let end = if rng.bool() { End::Head } else { End::Tail };
                    let got = list.pop(end).map(|e| e.with_bytes(<[u8]>::to_vec));
                    let want = match end {
                        End::Head => model.pop_front(),
                        End::Tail => model.pop_back(),
                    };
                    assert_eq!(got, want);
                    list.try_shrink(&c);
                }
                3 if len > 0 => {
                    let i = rng.i64(-len..len);
                    list.grow_for(value.len(), 1, &c);
                    assert!(list.replace(i, &value, &c));
                    let at = if i < 0 { len + i } else { i } as usize;
                    model[at] = value;
                    list.try_shrink(&c);
                }
                4 if len > 0 => {
                    let pivot = model[rng.usize(..model.len())].clone();
                    let after = rng.bool();
                    list.grow_for(value.len(), 1, &c);
                    assert!(list.insert(&pivot, &value, after, &c));
                    let at = model.iter().position(|v| *v == pivot).unwrap_or(0);
                    model.insert(if after { at + 1 } else { at }, value);
                }
                5 if len > 0 => {
                    let target = model[rng.usize(..model.len())].clone();
                    let count = rng.i64(-2..3);
                    let removed = list.remove(&target, count);
                    let mut want = 0;
                    let limit = if count == 0 {
                        usize::MAX
                    } else {
                        count.unsigned_abs() as usize
                    };
                    if count >= 0 {
                        let mut i = 0;
                        while i < model.len() && want < limit {
                            if model[i] == target {
                                model.remove(i);
                                want += 1;
                            } else {
                                i += 1;
                            }
                        }
                    } else {
                        let mut i = model.len();
                        while i > 0 && want < limit {
                            i -= 1;
                            if model[i] == target {
                                model.remove(i);
                                want += 1;
                            }
                        }
                    }
                    assert_eq!(removed, want);
                    list.try_shrink(&c);
                }
                6 if len > 0 => {
                    let start = rng.i64(-len..len);
                    let count = rng.usize(0..6);
                    list.delete_range(start, count);
                    let from = if start < 0 { len + start } else { start } as usize;
                    let n = count.min(model.len() - from);
                    model.drain(from..from + n);
                    list.try_shrink(&c);
                }
                7 if len > 0 => {
                    let i = rng.i64(-len - 2..len + 2);
                    let at = if i < 0 { len + i } else { i };
                    let want = (0..len).contains(&at).then(|| model[at as usize].clone());
                    assert_eq!(list.get(i).map(|e| e.with_bytes(<[u8]>::to_vec)), want);
                }
                _ => {
                    if len > 0 {
                        let start = rng.usize(..model.len());
                        let reverse = rng.bool();
                        let mut got = Vec::new();
                        list.visit(start, reverse, |e| {
                            got.push(e.to_vec());
                            got.len() < 5
                        });
                        let want: Vec<Vec<u8>> = if reverse {
                            model
                                .iter()
                                .take(start + 1)
                                .rev()
                                .take(5)
                                .cloned()
                                .collect()
                        } else {
                            model.iter().skip(start).take(5).cloned().collect()
                        };
                        assert_eq!(got, want);
                    }
                }
            }
            if model.is_empty() {
                // Stored lists never are empty: the key goes away.
                list = List::new();
            }
            assert_eq!(list.len(), model.len());
            check_shape(&list);
        }
        assert_eq!(contents(&list), model.iter().cloned().collect::<Vec<_>>());
    }
}
