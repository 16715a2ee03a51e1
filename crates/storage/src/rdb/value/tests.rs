//! Round trips for every type and encoding, the older encodings, and
//! hostile input.

use super::ziplist::tests::build as ziplist;
use super::*;
use crate::hash::Hash;
use crate::list::{End, List, ListConfig};
use crate::rdb::write_len;
use crate::set::Set;
use crate::zset::{AddFlags, ZSet};

fn cfg() -> KeyspaceConfig {
    KeyspaceConfig::default()
}

fn encode(v: &Value, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(v, &mut out, compress);
    out
}

fn decode_with(bytes: &[u8], cfg: &KeyspaceConfig) -> Result<Value, RdbError> {
    let mut r = Reader::new(bytes);
    let ty = r.u8()?;
    let v = decode_value(&mut r, ty, cfg)?;
    assert!(r.at_end(), "trailing bytes after a decoded value");
    Ok(v)
}

fn decode(bytes: &[u8]) -> Result<Value, RdbError> {
    decode_with(bytes, &cfg())
}

/// Every element of a value as text, in a canonical order, plus its
/// encoding name.
fn contents(v: &Value) -> (String, &'static str, Vec<String>) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut items: Vec<String> = match v {
        Value::List(l) => {
            let mut out = Vec::new();
            l.for_each(|e| out.push(text(&e.to_vec())));
            return ("list".into(), v.encoding_name(), out);
        }
        Value::Hash(h) => h
            .iter()
            .map(|(f, x)| format!("{}={}", text(&f.to_vec()), text(&x.to_vec())))
            .collect(),
        Value::Set(s) => s.iter().map(|m| text(&m.to_vec())).collect(),
        Value::ZSet(z) => {
            let out = z
                .iter()
                .map(|(m, s)| format!("{}:{}", text(&m.to_vec()), s.value()))
                .collect();
            return ("zset".into(), v.encoding_name(), out);
        }
        Value::Stream(s) => {
            let out = super::stream_tests::describe(s);
            return ("stream".into(), v.encoding_name(), out);
        }
        _ => vec![text(&v.to_string_vec().unwrap())],
    };
    items.sort();
    (v.kind().name().into(), v.encoding_name(), items)
}

fn round_trip(v: &Value) -> Vec<u8> {
    for compress in [false, true] {
        let bytes = encode(v, compress);
        let back = decode(&bytes).unwrap();
        assert_eq!(contents(&back), contents(v));
        if !matches!(v.encoding_name(), "hashtable" | "skiplist") {
            assert_eq!(encode(&back, compress), bytes, "re-encoding differs");
        }
    }
    encode(v, true)
}

fn list(n: usize, elem: impl Fn(usize) -> Vec<u8>, lc: &ListConfig) -> Value {
    let mut l = List::new();
    for i in 0..n {
        let e = elem(i);
        l.push_all(End::Tail, &[&e], lc);
    }
    Value::List(l)
}

#[test]
fn strings() {
    assert_eq!(round_trip(&Value::string(b"10")), b"\x00\xc0\x0a");
    round_trip(&Value::string(b"-9223372036854775808"));
    round_trip(&Value::string(b"hello"));
    let long = Value::string(&b"abcdefgh".repeat(100));
    assert_eq!(round_trip(&long)[1], 0xC3, "LZF");
    assert_eq!(
        encode(&long, false)[1..3],
        [0x43, 0x20],
        "raw, 14-bit length"
    );
    assert_eq!(decode(b"\x00\x0512345").unwrap().encoding_name(), "int");
}

#[test]
fn lists() {
    let lc = ListConfig::default();
    let small = list(10, |i| format!("e{i}").into_bytes(), &lc);
    assert_eq!(small.encoding_name(), "listpack");
    let bytes = round_trip(&small);
    assert_eq!(&bytes[..3], &[types::LIST_QUICKLIST_2, 1, 2]);

    let mut c = cfg();
    c.list.compress_depth = 1;
    let big = list(2000, |i| format!("element-{}", i % 7).into_bytes(), &c.list);
    assert_eq!(big.encoding_name(), "quicklist");
    let bytes = encode(&big, true);
    let back = decode_with(&bytes, &c).unwrap();
    assert_eq!(contents(&back), contents(&big));
    assert_eq!(encode(&back, true), bytes, "compressed nodes written as is");

    let mut plain = cfg();
    plain.list.packed_threshold = 100;
    let v = list(5, |i| vec![b'a' + i as u8; 50 + 30 * i], &plain.list);
    let bytes = encode(&v, false);
    assert_eq!(
        contents(&decode_with(&bytes, &plain).unwrap()),
        contents(&v)
    );
}

#[test]
fn old_list_encodings() {
    let mut b = vec![types::LIST, 3];
    for e in [&b"a"[..], b"7", b"ccc"] {
        write_string(&mut b, e, false);
    }
    let v = decode(&b).unwrap();
    assert_eq!(contents(&v).2, ["a", "7", "ccc"]);
    assert_eq!(v.encoding_name(), "listpack");

    let zl = ziplist(&[b"\x01x", b"\xf3"]);
    let mut b = vec![types::LIST_ZIPLIST];
    write_string(&mut b, &zl, false);
    let v = decode(&b).unwrap();
    assert_eq!(contents(&v).2, ["x", "2"]);
    assert_eq!(
        v.encoding_name(),
        "quicklist",
        "Redis 7.2 keeps it a quicklist"
    );

    let mut b = vec![types::LIST_QUICKLIST, 2];
    write_string(&mut b, &zl, false);
    write_string(&mut b, &ziplist(&[]), false);
    let v = decode(&b).unwrap();
    assert_eq!(contents(&v).2, ["x", "2"]);
    assert_eq!(v.encoding_name(), "listpack");
}

#[test]
fn hashes() {
    let mut h = Hash::new();
    let limits = cfg().hash_limits;
    for i in 0..10 {
        h.set(
            format!("f{i}").as_bytes(),
            format!("{i}").as_bytes(),
            limits,
        );
    }
    assert_eq!(round_trip(&Value::Hash(h.clone()))[0], types::HASH_LISTPACK);
    h.set(b"long", &[b'v'; 100], limits);
    assert_eq!(h.encoding_name(), "hashtable");
    assert_eq!(round_trip(&Value::Hash(h))[0], types::HASH);

    // Type 4 with few short pairs loads as a listpack, with many as a table.
    let pairs = |n: usize| {
        let mut b = vec![types::HASH];
        write_len(&mut b, n as u64);
        for i in 0..n {
            write_string(&mut b, format!("f{i}").as_bytes(), false);
            write_string(&mut b, b"v", false);
        }
        b
    };
    assert_eq!(decode(&pairs(3)).unwrap().encoding_name(), "listpack");
    assert_eq!(decode(&pairs(600)).unwrap().encoding_name(), "hashtable");
    let mut dup = vec![types::HASH, 2];
    for s in [&b"f"[..], b"1", b"f", b"2"] {
        write_string(&mut dup, s, false);
    }
    assert_eq!(decode(&dup).err(), Some(RdbError::Corrupt));

    let zl = ziplist(&[b"\x01a", b"\xf2", b"\x01b", b"\x02xy"]);
    let mut b = vec![types::HASH_ZIPLIST];
    write_string(&mut b, &zl, false);
    assert_eq!(contents(&decode(&b).unwrap()).2, ["a=1", "b=xy"]);
    let zl = ziplist(&[b"\x01a", b"\xf2", b"\x01a", b"\x02xy"]);
    let mut b = vec![types::HASH_ZIPLIST];
    write_string(&mut b, &zl, false);
    assert!(decode(&b).is_err(), "duplicate field in a ziplist");

    let mut b = vec![types::HASH_ZIPMAP];
    write_string(&mut b, b"\x01\x01a\x02\x00xy\xff", false);
    assert_eq!(contents(&decode(&b).unwrap()).2, ["a=xy"]);
}

#[test]
fn sets() {
    let limits = cfg().set_limits;
    let mut s = Set::new_intset();
    for i in [5, -3, 100_000] {
        s.add(i.to_string().as_bytes(), limits);
    }
    assert_eq!(round_trip(&Value::Set(s.clone()))[0], types::SET_INTSET);
    s.add(b"x", limits);
    assert_eq!(s.encoding_name(), "listpack");
    assert_eq!(round_trip(&Value::Set(s.clone()))[0], types::SET_LISTPACK);
    for i in 0..200 {
        s.add(format!("m{i}").as_bytes(), limits);
    }
    assert_eq!(round_trip(&Value::Set(s))[0], types::SET);

    let members = |ms: &[&[u8]]| {
        let mut b = vec![types::SET];
        write_len(&mut b, ms.len() as u64);
        for m in ms {
            write_string(&mut b, m, false);
        }
        b
    };
    assert_eq!(
        decode(&members(&[b"1", b"2"])).unwrap().encoding_name(),
        "intset"
    );
    assert_eq!(
        decode(&members(&[b"1", b"a"])).unwrap().encoding_name(),
        "listpack"
    );
    assert_eq!(
        decode(&members(&[b"1", &[b'a'; 100]]))
            .unwrap()
            .encoding_name(),
        "hashtable"
    );
    for dup in [&[&b"1"[..], b"1"][..], &[b"a", b"a"], &[b"1", b"a", b"1"]] {
        assert!(decode(&members(dup)).is_err());
    }
    // An intset out of order, or empty.
    let mut b = vec![types::SET_INTSET];
    write_string(&mut b, b"\x02\0\0\0\x02\0\0\0\x05\0\x01\0", false);
    assert!(decode(&b).is_err());
    let mut b = vec![types::SET_INTSET];
    write_string(&mut b, b"\x02\0\0\0\0\0\0\0", false);
    assert!(decode(&b).is_err());
}

#[test]
fn sorted_sets() {
    let limits = cfg().zset_limits;
    let mut z = ZSet::new();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        z.add(i as f64 * 1.5, m.as_bytes(), AddFlags::default(), limits);
    }
    z.add(f64::NEG_INFINITY, b"low", AddFlags::default(), limits);
    assert_eq!(round_trip(&Value::ZSet(z.clone()))[0], types::ZSET_LISTPACK);
    for i in 0..200 {
        z.add(
            i as f64,
            format!("m{i}").as_bytes(),
            AddFlags::default(),
            limits,
        );
    }
    let bytes = round_trip(&Value::ZSet(z));
    assert_eq!(bytes[0], types::ZSET_2);

    let elements = |binary: bool, els: &[(&[u8], f64)]| {
        let mut b = vec![if binary { types::ZSET_2 } else { types::ZSET }];
        write_len(&mut b, els.len() as u64);
        for (m, s) in els {
            write_string(&mut b, m, false);
            if binary {
                b.extend_from_slice(&s.to_le_bytes());
            } else {
                let t = s.to_string();
                b.push(t.len() as u8);
                b.extend_from_slice(t.as_bytes());
            }
        }
        b
    };
    let v = decode(&elements(false, &[(b"x", 2.5), (b"y", -1.0)])).unwrap();
    assert_eq!(contents(&v).2, ["y:-1", "x:2.5"]);
    assert_eq!(v.encoding_name(), "listpack");
    assert!(decode(&elements(true, &[(b"x", f64::NAN)])).is_err());
    assert!(decode(&elements(true, &[(b"x", 1.0), (b"x", 2.0)])).is_err());

    let lp = |pairs: &[(&[u8], &[u8])]| {
        let mut l = crate::listpack::Listpack::new();
        for (m, s) in pairs {
            l.append(m);
            l.append(s);
        }
        let mut b = vec![types::ZSET_LISTPACK];
        write_string(&mut b, l.as_bytes(), false);
        b
    };
    assert!(decode(&lp(&[(b"a", b"1"), (b"b", b"2.5")])).is_ok());
    assert!(decode(&lp(&[(b"b", b"1"), (b"a", b"1")])).is_err(), "order");
    assert!(decode(&lp(&[(b"a", b"2"), (b"b", b"1")])).is_err(), "order");
    assert!(decode(&lp(&[(b"a", b"1"), (b"a", b"2")])).is_err(), "dup");
    assert!(decode(&lp(&[(b"a", b"nan")])).is_err(), "NaN");
    assert!(decode(&lp(&[(b"a", b"x")])).is_err(), "not a number");
    assert!(decode(&lp(&[])).is_err(), "empty");
}

#[test]
fn unsupported_and_unknown_types() {
    assert_eq!(
        decode(&[types::MODULE_2, 0]).err(),
        Some(RdbError::Unsupported)
    );
    assert_eq!(decode(&[8, 0]).err(), Some(RdbError::Corrupt));
    assert_eq!(decode(&[200]).err(), Some(RdbError::Corrupt));
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    for ty in [
        types::LIST,
        types::SET,
        types::ZSET_2,
        types::HASH,
        types::LIST_QUICKLIST_2,
    ] {
        let mut b = vec![ty];
        write_len(&mut b, u32::MAX as u64);
        b.extend_from_slice(b"\x01a\x01b");
        assert_eq!(decode(&b).err(), Some(RdbError::Truncated));
    }
}

/// Every prefix and every single-byte change of valid payloads either
/// decodes to something that re-encodes and iterates, or is an error.
#[test]
fn damaged_payloads_never_panic() {
    let lc = ListConfig::default();
    let mut samples = vec![
        encode(&list(300, |i| format!("{i}").into_bytes(), &lc), true),
        encode(&list(20, |i| format!("x{i}").into_bytes(), &lc), false),
    ];
    let limits = cfg();
    let mut h = Hash::new();
    let mut s = Set::new_intset();
    let mut z = ZSet::new();
    for i in 0..20 {
        h.set(format!("f{i}").as_bytes(), b"v", limits.hash_limits);
        s.add(format!("{}", i * 1000).as_bytes(), limits.set_limits);
        z.add(
            i as f64 / 3.0,
            format!("m{i}").as_bytes(),
            AddFlags::default(),
            limits.zset_limits,
        );
    }
    samples.push(encode(&Value::Hash(h), false));
    samples.push(encode(&Value::Set(s.clone()), false));
    s.add(b"str", limits.set_limits);
    samples.push(encode(&Value::Set(s), false));
    samples.push(encode(&Value::ZSet(z), false));
    let stream = Value::Stream(Box::new(super::stream_tests::sample(12)));
    samples.push(encode(&stream, false));
    samples.push(encode(&stream, true));
    for bytes in &samples {
        for cut in 0..bytes.len() {
            let _ = decode_lenient(&bytes[..cut]);
        }
        for i in 0..bytes.len() {
            for x in [0x01u8, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[i] ^= x;
                let _ = decode_lenient(&b);
            }
        }
    }
}

/// Decodes and, on success, exercises the value.
fn decode_lenient(bytes: &[u8]) -> Result<(), RdbError> {
    let mut r = Reader::new(bytes);
    let ty = r.u8()?;
    let v = decode_value(&mut r, ty, &cfg())?;
    let again = encode(&v, true);
    let back = decode(&again).unwrap();
    assert_eq!(contents(&back), contents(&v));
    Ok(())
}
