//! Byte-exactness against a real `redis-server`: the same insertions must
//! give the same listpack bytes that Redis puts in its DUMP payloads, and
//! Redis must accept (with deep sanitization) listpacks we build.

use super::oracle::{
    rdb_len, restore_payload, RdbReader, Redis, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_LIST_QUICKLIST_2,
};
use super::tests::random_value;
use super::*;
use crate::lzf;
use lodestone_protocol::frame::Frame;

/// Quicklist container type of a packed (listpack) node.
const QUICKLIST_NODE_PACKED: usize = 2;

fn lzf_decode(c: &[u8], len: usize) -> Vec<u8> {
    lzf::decompress(c, len).expect("redis LZF stream decodes")
}

/// The listpack inside a hash DUMP body.
fn hash_listpack(redis: &mut Redis, key: &[u8]) -> Vec<u8> {
    let (ty, body) = redis.dump(key);
    assert_eq!(ty, RDB_TYPE_HASH_LISTPACK, "hash is not listpack-encoded");
    let mut r = RdbReader::new(&body);
    let s = r.string(lzf_decode);
    assert!(r.at_end());
    s.bytes
}

/// HSET's listpack logic: replace the value of an existing field, else
/// append field and value.
fn hset(lp: &mut Listpack, field: &[u8], value: &[u8]) {
    match lp.first().and_then(|p| lp.find(p, field, 1)) {
        Some(f) => {
            let v = lp.next(f).expect("field has a value");
            lp.replace(v, value);
        }
        None => lp.append_batch(&[field, value]),
    }
}

/// HDEL's listpack logic: remove the field and its value.
fn hdel(lp: &mut Listpack, field: &[u8]) {
    if let Some(f) = lp.first().and_then(|p| lp.find(p, field, 1)) {
        lp.delete_range_at(f, 2);
    }
}

fn oracle(tag: &str) -> Option<Redis> {
    let mut redis = Redis::start(tag)?;
    redis.config("rdbcompression", "no");
    redis.config("hash-max-listpack-entries", "100000");
    redis.config("hash-max-listpack-value", "3000000");
    redis.config("list-max-listpack-size", "-5");
    redis.config("list-compress-depth", "0");
    Some(redis)
}

#[test]
fn hash_bytes_match_redis() {
    let Some(mut redis) = oracle("lp-hash") else {
        return;
    };
    let mut values: Vec<Vec<u8>> = [
        0i64,
        127,
        128,
        -1,
        -4096,
        4095,
        4096,
        -4097,
        32767,
        -32768,
        32768,
        8_388_607,
        -8_388_608,
        8_388_608,
        i32::MAX as i64,
        i32::MIN as i64,
        i32::MAX as i64 + 1,
        i64::MAX,
        i64::MIN,
    ]
    .iter()
    .map(|v| v.to_string().into_bytes())
    .collect();
    for odd in [
        &b"007"[..],
        b"-0",
        b"+1",
        b" 1",
        b"1.5",
        b"99999999999999999999",
        b"",
    ] {
        values.push(odd.to_vec());
    }
    // String lengths around every string-header and backlen threshold.
    for len in [
        1, 63, 64, 125, 126, 127, 4095, 4096, 16_377, 16_378, 2_097_145, 2_097_146,
    ] {
        values.push(vec![b's'; len]);
    }
    let mut ours = Listpack::new();
    for (i, v) in values.iter().enumerate() {
        let field = format!("f{i}");
        redis.ok(&[b"HSET", b"h", field.as_bytes(), v]);
        hset(&mut ours, field.as_bytes(), v);
    }
    assert_eq!(hash_listpack(&mut redis, b"h"), ours.as_bytes());

    // Updates that change entry sizes, and deletions.
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..300 {
        let field = format!("f{}", rng.usize(0..values.len() + 10));
        if rng.u8(..4) == 0 {
            redis.ok(&[b"HDEL", b"h", field.as_bytes()]);
            hdel(&mut ours, field.as_bytes());
        } else {
            let v = random_value(&mut rng);
            redis.ok(&[b"HSET", b"h", field.as_bytes(), &v]);
            hset(&mut ours, field.as_bytes(), &v);
        }
    }
    assert_eq!(hash_listpack(&mut redis, b"h"), ours.as_bytes());
}

#[test]
fn big_hash_header_count_matches_redis() {
    let Some(mut redis) = oracle("lp-bighash") else {
        return;
    };
    let mut ours = Listpack::new();
    let fields: Vec<Vec<u8>> = (0..34_000)
        .map(|i| format!("field:{i}").into_bytes())
        .collect();
    for chunk in fields.chunks(1000) {
        let mut args: Vec<&[u8]> = vec![b"HSET", b"big"];
        for f in chunk {
            args.push(f);
            args.push(b"1");
            ours.append_batch(&[f, b"1"]);
        }
        redis.ok(&args);
    }
    assert_eq!(ours.len(), 68_000);
    assert_eq!(hash_listpack(&mut redis, b"big"), ours.as_bytes());
    let mut args: Vec<&[u8]> = vec![b"HDEL", b"big"];
    for f in &fields[..2000] {
        args.push(f);
        hdel(&mut ours, f);
    }
    redis.ok(&args);
    assert_eq!(ours.len(), 64_000);
    assert_eq!(hash_listpack(&mut redis, b"big"), ours.as_bytes());
}

/// With `rdbcompression yes` Redis LZF-compresses the listpack in DUMP;
/// our decompressor must recover it exactly.
#[test]
fn compressed_hash_listpack_decodes() {
    let Some(mut redis) = oracle("lp-lzf") else {
        return;
    };
    redis.config("rdbcompression", "yes");
    let mut ours = Listpack::new();
    for i in 0..200 {
        let field = format!("user:{i}:name");
        let value = format!("some repetitive value number {}", i % 10);
        redis.ok(&[b"HSET", b"hz", field.as_bytes(), value.as_bytes()]);
        hset(&mut ours, field.as_bytes(), value.as_bytes());
    }
    let (_, body) = redis.dump(b"hz");
    let s = RdbReader::new(&body).string(lzf_decode);
    assert!(s.lzf.is_some(), "Redis compressed the listpack");
    assert_eq!(s.bytes, ours.as_bytes());
    assert_eq!(Listpack::from_bytes(s.bytes), Some(ours));
}

/// The listpack of a single-node list in a DUMP body.
fn list_listpack(redis: &mut Redis, key: &[u8]) -> Vec<u8> {
    let (ty, body) = redis.dump(key);
    assert_eq!(ty, RDB_TYPE_LIST_QUICKLIST_2);
    let mut r = RdbReader::new(&body);
    assert_eq!(r.len(), Ok(1), "one quicklist node");
    assert_eq!(r.len(), Ok(QUICKLIST_NODE_PACKED));
    let s = r.string(lzf_decode);
    assert!(r.at_end());
    s.bytes
}

#[test]
fn list_edits_match_redis() {
    let Some(mut redis) = oracle("lp-list") else {
        return;
    };
    let mut ours = Listpack::new();
    redis.ok(&[b"RPUSH", b"l", b"a", b"b", b"300", b"-5", b"c"]);
    for v in [&b"a"[..], b"b", b"300", b"-5", b"c"] {
        ours.append(v);
    }
    redis.ok(&[b"LPUSH", b"l", b"z", b"9999999999"]);
    ours.prepend(b"z");
    ours.prepend(b"9999999999");
    redis.ok(&[b"LINSERT", b"l", b"BEFORE", b"300", b"ins"]);
    let p = ours.find(ours.first().unwrap(), b"300", 0).unwrap();
    ours.insert_before(p, b"ins");
    redis.ok(&[b"LINSERT", b"l", b"AFTER", b"c", b"after-c"]);
    let p = ours.find(ours.first().unwrap(), b"c", 0).unwrap();
    ours.insert_after(p, b"after-c");
    redis.ok(&[b"LSET", b"l", b"2", &[b'w'; 100]]);
    ours.replace(ours.seek(2).unwrap(), &[b'w'; 100]);
    redis.ok(&[b"LSET", b"l", b"-1", b"77"]);
    ours.replace(ours.seek(-1).unwrap(), b"77");
    redis.ok(&[b"LREM", b"l", b"1", b"b"]);
    let p = ours.find(ours.first().unwrap(), b"b", 0).unwrap();
    ours.delete(p);
    assert_eq!(list_listpack(&mut redis, b"l"), ours.as_bytes());
    redis.ok(&[b"LPOP", b"l"]);
    ours.delete(ours.first().unwrap());
    redis.ok(&[b"RPOP", b"l"]);
    ours.delete(ours.last().unwrap());
    redis.ok(&[b"LTRIM", b"l", b"1", b"-2"]);
    ours.delete_range(0, 1);
    ours.delete_range(-1, 1);
    assert_eq!(list_listpack(&mut redis, b"l"), ours.as_bytes());
}

/// Listpacks built by random edits, restored into Redis as a one-node
/// list with deep payload sanitization on, read back identically.
#[test]
fn redis_accepts_our_listpacks() {
    let Some(mut redis) = oracle("lp-restore") else {
        return;
    };
    redis.config("sanitize-dump-payload", "yes");
    let mut rng = fastrand::Rng::with_seed(0x7e57);
    for round in 0..20 {
        let mut lp = Listpack::new();
        for _ in 0..rng.usize(1..200) {
            let v = random_value(&mut rng);
            match rng.u8(..4) {
                0 => lp.prepend(&v),
                1 if !lp.is_empty() => {
                    let p = lp.seek(rng.i64(0..lp.len() as i64)).unwrap();
                    lp.insert_after(p, &v);
                }
                2 if lp.len() > 2 => {
                    let p = lp.seek(rng.i64(0..lp.len() as i64)).unwrap();
                    lp.replace(p, &v);
                }
                _ => lp.append(&v),
            }
        }
        let mut body = Vec::new();
        rdb_len(&mut body, 1);
        rdb_len(&mut body, QUICKLIST_NODE_PACKED);
        rdb_len(&mut body, lp.bytes_len());
        body.extend_from_slice(lp.as_bytes());
        let payload = restore_payload(RDB_TYPE_LIST_QUICKLIST_2, &body);
        let key = format!("r{round}");
        redis.ok(&[b"RESTORE", key.as_bytes(), b"0", &payload]);
        let want: Vec<Frame> = lp.iter().map(|e| Frame::Bulk(e.to_vec())).collect();
        assert_eq!(
            redis.ok(&[b"LRANGE", key.as_bytes(), b"0", b"-1"]),
            Frame::Array(want),
            "round {round}"
        );
    }
}
