//! Unit and model-based tests for [`Listpack`].

use super::*;

/// Values covering every entry encoding: integers of each width, strings
/// that look numeric but are not canonical, and strings of each length
/// class (occasionally past the 12-bit limit).
pub(super) fn random_value(rng: &mut fastrand::Rng) -> Vec<u8> {
    match rng.u8(..10) {
        0 => rng.i64(0..128).to_string().into_bytes(),
        1 => rng.i64(-4096..4096).to_string().into_bytes(),
        2 => rng.i64(-(1 << 23)..(1 << 23)).to_string().into_bytes(),
        3 => rng.i64(..).to_string().into_bytes(),
        4 => [
            &b"0"[..],
            b"-0",
            b"+1",
            b" 7",
            b"1.5",
            b"99999999999999999999",
            b"",
        ][rng.usize(..7)]
        .to_vec(),
        5 => (0..rng.usize(64..300))
            .map(|_| rng.alphanumeric() as u8)
            .collect(),
        6 if rng.u8(..8) == 0 => vec![b'L'; rng.usize(4090..4200)],
        _ => (0..rng.usize(0..64))
            .map(|_| rng.alphanumeric() as u8)
            .collect(),
    }
}

fn contents(lp: &Listpack) -> Vec<Vec<u8>> {
    lp.iter().map(|e| e.to_vec()).collect()
}

fn build(values: &[&[u8]]) -> Listpack {
    let mut lp = Listpack::new();
    for v in values {
        lp.append(v);
    }
    lp
}

#[test]
fn empty_listpack_layout() {
    let lp = Listpack::new();
    assert_eq!(lp.as_bytes(), [7, 0, 0, 0, 0, 0, 0xFF]);
    assert!(lp.is_empty());
    assert_eq!(
        (lp.first(), lp.last(), lp.seek(0), lp.seek(-1)),
        (None, None, None, None)
    );
    assert_eq!(lp.iter().count(), 0);
}

#[test]
fn append_produces_redis_layout() {
    let mut lp = Listpack::new();
    lp.append(b"a");
    lp.append_int(1000);
    assert_eq!(
        lp.as_bytes(),
        [13, 0, 0, 0, 2, 0, 0x81, b'a', 0x02, 0xC3, 0xE8, 0x02, 0xFF]
    );
    assert_eq!(lp.bytes_len(), 13);
    assert_eq!(Listpack::entry_len_for(b"1000"), 3);
}

#[test]
fn navigation_both_ways() {
    let lp = build(&[b"a", b"12", b"ccc", &[b'x'; 200]]);
    let p0 = lp.first().unwrap();
    let p1 = lp.next(p0).unwrap();
    let p2 = lp.next(p1).unwrap();
    let p3 = lp.next(p2).unwrap();
    assert_eq!(lp.next(p3), None);
    assert_eq!(lp.last(), Some(p3));
    assert_eq!(lp.prev(p3), Some(p2));
    assert_eq!(lp.prev(p1), Some(p0));
    assert_eq!(lp.prev(p0), None);
    assert_eq!(lp.get(p1), LpEntry::Int(12));
    assert_eq!(lp.get(p2), LpEntry::Str(b"ccc"));
    for (i, p) in [p0, p1, p2, p3].into_iter().enumerate() {
        assert_eq!(lp.seek(i as i64), Some(p));
        assert_eq!(lp.seek(i as i64 - 4), Some(p));
    }
    assert_eq!(lp.seek(4), None);
    assert_eq!(lp.seek(-5), None);
    assert_eq!(lp.seek(i64::MIN), None);
    assert_eq!(lp.entry_size(p3), 2 + 200 + 2);
    let back: Vec<_> = lp.iter().rev().map(|e| e.to_vec()).collect();
    assert_eq!(back[0], vec![b'x'; 200]);
    assert_eq!(back[3], b"a");
    let mut it = lp.iter();
    assert_eq!(it.len(), 4);
    assert_eq!(it.next_back(), Some(LpEntry::Str(&[b'x'; 200])));
    assert_eq!(it.next(), Some(LpEntry::Str(b"a")));
    assert_eq!(it.next_back(), Some(LpEntry::Str(b"ccc")));
    assert_eq!(it.next(), Some(LpEntry::Int(12)));
    assert_eq!((it.next(), it.next_back()), (None, None));
}

#[test]
fn edits_in_the_middle() {
    let mut lp = build(&[b"a", b"b", b"c"]);
    let b = lp.seek(1).unwrap();
    let x = lp.insert_before(b, b"x");
    assert_eq!(lp.get(x), LpEntry::Str(b"x"));
    let y = lp.insert_after(x, b"-77");
    assert_eq!(lp.get(y), LpEntry::Int(-77));
    assert_eq!(contents(&lp), [&b"a"[..], b"x", b"-77", b"b", b"c"]);
    lp.replace(y, &[b'r'; 100]);
    assert_eq!(lp.get(y), LpEntry::Str(&[b'r'; 100]));
    lp.replace_int(y, 5);
    assert_eq!(lp.get(y), LpEntry::Int(5));
    let after = lp.delete(y).unwrap();
    assert_eq!(lp.get(after), LpEntry::Str(b"b"));
    assert_eq!(lp.delete(lp.last().unwrap()), None);
    lp.prepend(b"first");
    lp.prepend_int(-1);
    assert_eq!(contents(&lp), [&b"-1"[..], b"first", b"a", b"x", b"b"]);
    assert_eq!(validate(lp.as_bytes()), Some(5));
}

#[test]
fn range_and_batch_deletes() {
    let vals: Vec<Vec<u8>> = (0..10).map(|i| format!("v{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = vals.iter().map(|v| v.as_slice()).collect();
    let mut lp = build(&refs);
    assert_eq!(lp.delete_range(2, 3), 3);
    assert_eq!(lp.len(), 7);
    assert_eq!(lp.delete_range(-2, 10), 2, "through the end");
    assert_eq!(contents(&lp), [&b"v0"[..], b"v1", b"v5", b"v6", b"v7"]);
    assert_eq!(lp.delete_range(9, 1), 0);
    assert_eq!(lp.delete_range(0, 0), 0);
    let p = lp.seek(1).unwrap();
    assert_eq!(lp.delete_range_at(p, 2), Some(p));
    assert_eq!(contents(&lp), [&b"v0"[..], b"v6", b"v7"]);
    let p = lp.seek(1).unwrap();
    assert_eq!(lp.delete_range_at(p, 5), None);

    let mut lp = build(&refs);
    let ps: Vec<usize> = [0, 1, 4, 9].iter().map(|&i| lp.seek(i).unwrap()).collect();
    lp.batch_delete(&ps);
    assert_eq!(
        contents(&lp),
        [&b"v2"[..], b"v3", b"v5", b"v6", b"v7", b"v8"]
    );
    assert_eq!(validate(lp.as_bytes()), Some(6));
    lp.batch_delete(&[]);
    assert_eq!(lp.len(), 6);
}

#[test]
fn find_with_skip_searches_only_fields() {
    let mut lp = Listpack::new();
    lp.append_batch(&[b"f1", b"v1", b"v1", b"42", b"7", b"x"]);
    let first = lp.first().unwrap();
    assert_eq!(lp.find(first, b"v1", 1), lp.seek(2));
    assert_eq!(lp.find(first, b"42", 1), None, "42 is a value");
    assert_eq!(lp.find(first, b"42", 0), lp.seek(3));
    assert_eq!(lp.find(first, b"7", 1), lp.seek(4));
    assert_eq!(lp.find(first, b"07", 0), None);
    assert_eq!(lp.find(lp.seek(1).unwrap(), b"42", 1), lp.seek(3));
    assert_eq!(lp.find(first, b"x", 1), None);
}

#[test]
fn merge_keeps_order_whichever_side_is_larger() {
    let small = build(&[b"a", b"1"]);
    let large = build(&[&[b'z'; 100], b"b"]);
    let m = Listpack::merge(small.clone(), large.clone());
    assert_eq!(
        contents(&m),
        [b"a".to_vec(), b"1".to_vec(), vec![b'z'; 100], b"b".to_vec()]
    );
    assert_eq!(validate(m.as_bytes()), Some(4));
    let m = Listpack::merge(large, small);
    assert_eq!(contents(&m)[2], b"a");
    assert_eq!(
        Listpack::merge(Listpack::new(), Listpack::new()),
        Listpack::new()
    );
}

#[test]
fn header_count_saturates_at_65535() {
    let mut lp = Listpack::new();
    for i in 0..70_000 {
        lp.append_int(i);
    }
    assert_eq!(&lp.as_bytes()[4..6], [0xFF, 0xFF]);
    assert_eq!(lp.len(), 70_000);
    assert_eq!(lp.get(lp.seek(-1).unwrap()), LpEntry::Int(69_999));
    assert_eq!(lp.get(lp.seek(40_000).unwrap()), LpEntry::Int(40_000));
    let reloaded = Listpack::from_bytes(lp.as_bytes().to_vec()).unwrap();
    assert_eq!(reloaded.len(), 70_000);
    lp.delete_range(0, 4466);
    assert_eq!(lp.len(), 65_534);
    assert_eq!(&lp.as_bytes()[4..6], 65_534u16.to_le_bytes());
    // An "unknown" header over fewer elements is accepted and fixed.
    let mut bytes = build(&[b"a", b"b"]).into_bytes();
    bytes[4..6].copy_from_slice(&[0xFF, 0xFF]);
    let lp = Listpack::from_bytes(bytes).unwrap();
    assert_eq!(lp.len(), 2);
    assert_eq!(&lp.as_bytes()[4..6], [2, 0]);
}

#[test]
fn safety_size_is_redis_limit() {
    let lp = Listpack::new();
    assert!(lp.safe_to_add(Listpack::MAX_SAFETY_SIZE - 7));
    assert!(!lp.safe_to_add(Listpack::MAX_SAFETY_SIZE - 6));
    assert!(!lp.safe_to_add(usize::MAX));
}

#[test]
fn large_strings_use_32bit_lengths_and_long_backlens() {
    let big = vec![b'q'; 20_000];
    let mut lp = build(&[b"head", &big, b"tail"]);
    let p = lp.seek(1).unwrap();
    assert_eq!(lp.entry_size(p), 5 + 20_000 + 3);
    assert_eq!(lp.prev(lp.seek(2).unwrap()), Some(p));
    lp.replace(p, b"tiny");
    assert_eq!(contents(&lp), [&b"head"[..], b"tiny", b"tail"]);
    assert!(lp.allocated_bytes() < 1000, "shrinks after a big replace");
}

#[test]
fn random_operations_match_a_vec_model() {
    let mut rng = fastrand::Rng::with_seed(0x11573);
    let mut lp = Listpack::new();
    let mut model: Vec<Vec<u8>> = Vec::new();
    for step in 0..30_000 {
        let idx = |rng: &mut fastrand::Rng, len: usize| rng.usize(..len.max(1));
        match rng.u8(..12) {
            0 | 1 => {
                let v = random_value(&mut rng);
                lp.append(&v);
                model.push(v);
            }
            2 => {
                let v = random_value(&mut rng);
                lp.prepend(&v);
                model.insert(0, v);
            }
            3 if !model.is_empty() => {
                let i = idx(&mut rng, model.len());
                let v = random_value(&mut rng);
                let p = lp.seek(i as i64).unwrap();
                let at = if rng.bool() {
                    model.insert(i, v.clone());
                    lp.insert_before(p, &v)
                } else {
                    model.insert(i + 1, v.clone());
                    lp.insert_after(p, &v)
                };
                assert!(lp.get(at).eq_bytes(&v));
            }
            4 if !model.is_empty() => {
                let i = idx(&mut rng, model.len());
                let v = random_value(&mut rng);
                let p = lp.seek(i as i64 - model.len() as i64).unwrap();
                lp.replace(p, &v);
                model[i] = v;
            }
            5 | 6 if !model.is_empty() => {
                let i = idx(&mut rng, model.len());
                let p = lp.seek(i as i64).unwrap();
                let next = lp.delete(p);
                model.remove(i);
                assert_eq!(next.is_some(), i < model.len());
            }
            7 => {
                let start = rng.i64(-(model.len() as i64) - 2..model.len() as i64 + 2);
                let count = rng.usize(0..5);
                let removed = lp.delete_range(start, count);
                let s = if start < 0 {
                    model.len() as i64 + start
                } else {
                    start
                };
                if s >= 0 && (s as usize) < model.len() {
                    let s = s as usize;
                    let e = (s + count).min(model.len());
                    model.drain(s..e);
                    assert_eq!(removed, e - s);
                } else {
                    assert_eq!(removed, 0);
                }
            }
            8 if !model.is_empty() => {
                let v = model[idx(&mut rng, model.len())].clone();
                let found = lp.find(lp.first().unwrap(), &v, 0).unwrap();
                let want = model.iter().position(|m| *m == v).unwrap();
                assert_eq!(Some(found), lp.seek(want as i64));
            }
            9 => {
                let a = random_value(&mut rng);
                let b = random_value(&mut rng);
                lp.append_batch(&[&a, &b]);
                model.push(a);
                model.push(b);
            }
            10 if model.len() > 3 => {
                let mut picks: Vec<usize> = (0..rng.usize(1..4))
                    .map(|_| idx(&mut rng, model.len()))
                    .collect();
                picks.sort_unstable();
                picks.dedup();
                let ps: Vec<usize> = picks.iter().map(|&i| lp.seek(i as i64).unwrap()).collect();
                lp.batch_delete(&ps);
                for &i in picks.iter().rev() {
                    model.remove(i);
                }
            }
            _ => {
                let i = rng.i64(-(model.len() as i64) - 1..model.len() as i64 + 1);
                let want = if i < 0 { model.len() as i64 + i } else { i };
                match lp.seek(i) {
                    Some(p) => assert!(lp.get(p).eq_bytes(&model[want as usize])),
                    None => assert!(want < 0 || want as usize >= model.len()),
                }
            }
        }
        assert_eq!(lp.len(), model.len(), "step {step}");
        if step % 97 == 0 || model.len() < 3 {
            assert_eq!(contents(&lp), model, "step {step}");
            let back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
            assert!(back.iter().eq(model.iter().rev()));
            assert_eq!(validate(lp.as_bytes()), Some(model.len()), "step {step}");
        }
        if model.len() > 600 {
            let cut = model.len() - 100;
            lp.delete_range(0, cut);
            model.drain(..cut);
        }
    }
}

/// Arbitrary bytes, and corruptions of valid listpacks, must be rejected
/// or accepted as something fully walkable, never panic.
#[test]
fn from_bytes_survives_hostile_input() {
    let mut rng = fastrand::Rng::with_seed(0xbad);
    let mut accepted = 0;
    let mut samples: Vec<Vec<u8>> = Vec::new();
    for _ in 0..30 {
        let mut lp = Listpack::new();
        for _ in 0..rng.usize(0..12) {
            lp.append(&random_value(&mut rng));
        }
        samples.push(lp.into_bytes());
    }
    for round in 0..60_000 {
        let mut bytes = if round % 3 == 0 {
            let len = rng.usize(0..40);
            let mut b: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            if len >= 7 && rng.bool() {
                b[..4].copy_from_slice(&(len as u32).to_le_bytes());
                b[len - 1] = 0xFF;
            }
            b
        } else {
            samples[rng.usize(..samples.len())].clone()
        };
        for _ in 0..rng.usize(0..4) {
            if !bytes.is_empty() {
                let i = rng.usize(..bytes.len());
                bytes[i] = rng.u8(..);
            }
        }
        if rng.u8(..8) == 0 && bytes.len() > 7 {
            bytes.truncate(rng.usize(7..bytes.len()));
            let len = bytes.len() as u32;
            bytes[..4].copy_from_slice(&len.to_le_bytes());
            let last = bytes.len() - 1;
            bytes[last] = 0xFF;
        }
        if let Some(lp) = Listpack::from_bytes(bytes) {
            accepted += 1;
            let fwd: Vec<Vec<u8>> = contents(&lp);
            let mut back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
            back.reverse();
            assert_eq!(fwd, back);
            assert_eq!(fwd.len(), lp.len());
            let mut n = 0;
            let mut p = lp.first();
            while let Some(pos) = p {
                n += 1;
                p = lp.next(pos);
            }
            assert_eq!(n, lp.len());
        }
    }
    assert!(accepted > 1000, "only {accepted} accepted");
}

/// `append_entries` leaves the same bytes, count and capacity as one
/// `append`/`append_int` per element, whatever the mix of sizes (staged
/// small elements, large ones copied directly, growth mid-batch).
#[test]
fn append_entries_matches_one_append_per_element() {
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..300 {
        let cap = [0, 64, 4096][round % 3];
        let mut one = Listpack::with_capacity(cap);
        let mut batch = Listpack::with_capacity(cap);
        for _ in 0..rng.usize(1..20) {
            let values: Vec<Vec<u8>> = (0..rng.usize(0..12))
                .map(|_| random_value(&mut rng))
                .collect();
            let ints: Vec<i64> = values.iter().map(|_| rng.i64(-70000..70000)).collect();
            let mut eles = Vec::new();
            for (v, &n) in values.iter().zip(&ints) {
                if rng.bool() {
                    one.append_int(n);
                    eles.push(LpEntry::Int(n));
                } else {
                    one.append(v);
                    eles.push(LpEntry::Str(v));
                }
            }
            batch.append_entries(eles);
            assert_eq!(batch.as_bytes(), one.as_bytes());
            assert_eq!(batch.len(), one.len());
            assert_eq!(batch.allocated_bytes(), one.allocated_bytes());
        }
        assert_eq!(validate(batch.as_bytes()), Some(batch.len()));
    }
}
