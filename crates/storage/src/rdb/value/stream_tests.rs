//! Streams in the RDB format: round trips, payloads written by Redis 7.0
//! and 7.2, the fields the older forms lack, and every kind of corrupt
//! body the loader must refuse.

use super::*;
use crate::listpack::Listpack;
use crate::rdb::write_len;
use crate::stream::{Group, Stream, StreamId, StreamLimits, TrimBy, INVALID_ENTRIES_READ};

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn encode(s: &Stream, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(&Value::Stream(Box::new(s.clone())), &mut out, compress);
    out
}

fn decode(bytes: &[u8]) -> Result<Stream, RdbError> {
    let mut r = Reader::new(bytes);
    let ty = r.u8()?;
    match decode_value(&mut r, ty, &KeyspaceConfig::default())? {
        Value::Stream(s) if r.at_end() => Ok(*s),
        _ => panic!("not a stream, or trailing bytes"),
    }
}

/// Everything observable about a stream, as text.
pub(super) fn describe(s: &Stream) -> Vec<String> {
    let mut out = vec![format!(
        "len={} last={} first={} maxdel={} added={} blocks={}",
        s.len(),
        s.last_id,
        s.first_id,
        s.max_deleted_id,
        s.entries_added,
        s.block_count()
    )];
    for e in s.range(StreamId::MIN, StreamId::MAX, false) {
        let mut line = e.id.to_string();
        e.for_each_field(|f, v| {
            line.push_str(&format!(" {}={}", text(&f.to_vec()), text(&v.to_vec())));
        });
        out.push(line);
    }
    for (name, g) in &s.groups {
        out.push(format!(
            "group {} {} {}",
            text(name),
            g.last_id,
            g.entries_read
        ));
        for (id, n) in &g.pel {
            out.push(format!(
                " nack {id} {} {} {}",
                n.delivery_time,
                n.delivery_count,
                text(&n.consumer)
            ));
        }
        for (name, c) in &g.consumers {
            out.push(format!(
                " consumer {} {} {} {:?}",
                text(name),
                c.seen_time,
                c.active_time,
                c.pel
            ));
        }
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Both compression settings: decodes to the same stream and re-encodes
/// to the same bytes.
fn round_trip(s: &Stream) {
    for compress in [false, true] {
        let bytes = encode(s, compress);
        assert_eq!(bytes[0], types::STREAM_LISTPACKS_3);
        let back = decode(&bytes).unwrap();
        assert_eq!(describe(&back), describe(s));
        assert_eq!(encode(&back, compress), bytes);
    }
}

/// A stream over several blocks with tombstones, trimmed, with two groups
/// (one with an unknown read counter), consumers and PELs.
pub(super) fn sample(entries: u64) -> Stream {
    let lim = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 4,
    };
    let mut s = Stream::new();
    for i in 1..=entries {
        let v = format!("value-{i}-{}", "x".repeat((i % 5) as usize * 10));
        if i % 3 == 0 {
            s.append(id(i, i), &[b"other", v.as_bytes()], lim);
        } else {
            s.append(id(i, 0), &[b"f", v.as_bytes(), b"n", b"12"], lim);
        }
    }
    for gone in [2, 5, 6] {
        if s.delete(id(gone, 0)) {
            s.max_deleted_id = s.max_deleted_id.max(id(gone, 0));
        }
    }
    s.trim(TrimBy::MinId(id(2, 0)), false, 0);
    let mut g = Group::new(id(4, 0), 3);
    g.create_consumer(b"alice", 100);
    g.create_consumer(b"bob", 200);
    g.create_consumer(b"idle", 300);
    g.deliver(id(3, 3), b"alice", 1_000);
    g.deliver(id(4, 0), b"bob", 2_000);
    g.deliver(id(7, 0), b"alice", -5);
    g.transfer(id(7, 0), b"bob", false, |n| n.delivery_count = 9);
    s.groups.insert(b"g1".to_vec(), g);
    s.groups.insert(
        b"12345".to_vec(),
        Group::new(id(1, 0), INVALID_ENTRIES_READ),
    );
    s
}

#[test]
fn streams_round_trip() {
    round_trip(&Stream::new());
    let s = sample(20);
    assert!(s.block_count() > 3);
    assert!(s.first_id > StreamId::MIN);
    round_trip(&s);
    // Large values make LZF worth it for the blocks.
    let mut big = Stream::new();
    for i in 1..200 {
        big.append(
            id(i, 0),
            &[b"field", "abcdefgh".repeat(8).as_bytes()],
            StreamLimits::default(),
        );
    }
    round_trip(&big);
    assert!(encode(&big, true).len() < encode(&big, false).len() / 2);
}

/// An exact trim can leave a block whose entries are all deleted; Redis
/// keeps it and so must the loader.
#[test]
fn a_block_of_tombstones_loads() {
    let mut s = Stream::new();
    let lim = StreamLimits::default();
    s.append(id(1, 1), &[b"a", b"b"], lim);
    s.append(id(7, 0), &[b"a", b"b"], lim);
    assert!(s.delete(id(7, 0)));
    s.max_deleted_id = id(7, 0);
    assert_eq!(s.trim(TrimBy::MinId(id(4, 0)), false, 0), 1);
    assert_eq!((s.len(), s.block_count()), (0, 1));
    round_trip(&s);
}

/// `XADD s 1-1 a 1 b hello`, `XADD s 1-2 a 2 b x`, `XADD s 5-0 c 300`,
/// `XADD s 5-1 a -7 b y`, `XDEL s 1-2`, `XGROUP CREATE s grp 0`,
/// `XGROUP CREATECONSUMER s grp alice`, `XCLAIM s grp alice 0 1-1 TIME
/// 1000 RETRYCOUNT 3 FORCE`, the same for 5-0 with TIME 2000 RETRYCOUNT
/// 1, `XGROUP SETID s grp 5-0 ENTRIESREAD 2`: DUMP bodies (without the
/// footer) of Redis 7.0 and 7.2.
const REDIS70: &str =
    "130110000000000000000100000000000000014052520000001f0003010101020181610281620200010201000100\
0101018568656c6c6f0605010301000101010201817802050100010401dfff020101816302c12c02060102010401\
0001dff9028179020501ff030501010101020401036772700500020200000000000000010000000000000001e803\
0000000000000300000000000000050000000000000000d007000000000000010105616c6963656cdc8d4ca20100\
00020000000000000001000000000000000100000000000000050000000000000000";
const REDIS72: &str =
    "150110000000000000000100000000000000014052520000001f0003010101020181610281620200010201000100\
0101018568656c6c6f0605010301000101010201817802050100010401dfff020101816302c12c02060102010401\
0001dff9028179020501ff030501010101020401036772700500020200000000000000010000000000000001e803\
0000000000000300000000000000050000000000000000d007000000000000010105616c6963656ddc8d4ca20100\
006ddc8d4ca2010000020000000000000001000000000000000100000000000000050000000000000000";

#[test]
fn redis_payloads_load_and_72_is_written_back_byte_for_byte() {
    let theirs = hex(REDIS72);
    let s = decode(&theirs).unwrap();
    assert_eq!(encode(&s, true), theirs);
    let d = describe(&s);
    assert_eq!(d[0], "len=3 last=5-1 first=1-1 maxdel=1-2 added=4 blocks=1");
    assert_eq!(d[1], "1-1 a=1 b=hello");
    assert_eq!(d[4], "group grp 5-0 2");
    assert_eq!(d[5], " nack 1-1 1000 3 alice");
    assert_eq!(d[6], " nack 5-0 2000 1 alice");
    let alice = &s.groups[&b"grp".to_vec()].consumers[&b"alice".to_vec()];
    assert!(alice.seen_time > 0 && alice.active_time == alice.seen_time);

    // 7.0 has no active time: it is taken from the seen time.
    let s70 = decode(&hex(REDIS70)).unwrap();
    assert_eq!(describe(&s70)[..7], d[..7]);
    let alice = &s70.groups[&b"grp".to_vec()].consumers[&b"alice".to_vec()];
    assert!(alice.seen_time > 0 && alice.active_time == alice.seen_time);
}

/// A listpack element of a hand-made block.
#[derive(Clone, Copy)]
enum E {
    I(i64),
    S(&'static str),
}
use E::{I, S};

fn block(elems: &[E]) -> Vec<u8> {
    let mut lp = Listpack::new();
    for e in elems {
        match *e {
            I(n) => lp.append_int(n),
            S(s) => lp.append(s.as_bytes()),
        }
    }
    lp.into_bytes()
}

/// Master 1-0 with field `f`; entries 1-0 and 2-0 with the same field.
const BLOCK: [E; 15] = [
    I(2),
    I(0),
    I(1),
    S("f"),
    I(0),
    I(2),
    I(0),
    I(0),
    S("v"),
    I(4),
    I(2),
    I(1),
    I(0),
    S("w"),
    I(4),
];

/// A stream body of type `ty`: `blocks` (key bytes, listpack bytes), then
/// `meta` as lengths (length, last ID, and for types 19 and 21 first ID,
/// max deleted ID, entries added), then the raw `groups` bytes.
fn body(ty: u8, blocks: &[(Vec<u8>, Vec<u8>)], meta: &[u64], groups: &[u8]) -> Vec<u8> {
    let mut b = vec![ty];
    write_len(&mut b, blocks.len() as u64);
    for (k, lp) in blocks {
        write_string(&mut b, k, false);
        write_string(&mut b, lp, false);
    }
    for m in meta {
        write_len(&mut b, *m);
    }
    b.extend_from_slice(groups);
    b
}

fn key(ms: u64, seq: u64) -> Vec<u8> {
    id(ms, seq).to_be_bytes().to_vec()
}

/// The metadata that fits [`BLOCK`]: 2 entries, last 2-0, first 1-0, no
/// deletion, 2 added.
const META: [u64; 8] = [2, 2, 0, 1, 0, 0, 0, 2];

/// One consumer: name, seen time, active time (type 21), PEL IDs.
type ConsumerSpec<'a> = (&'a str, i64, Option<i64>, &'a [StreamId]);

/// One group: name, last ID, entries read (`None` for type 15), PEL
/// entries (ID, delivery time, delivery count), consumers.
type GroupSpec<'a> = (
    &'a str,
    StreamId,
    Option<u64>,
    &'a [(StreamId, i64, u64)],
    &'a [ConsumerSpec<'a>],
);

/// Group bytes: the count, then each group.
fn groups(list: &[GroupSpec<'_>]) -> Vec<u8> {
    let mut b = Vec::new();
    write_len(&mut b, list.len() as u64);
    for (name, last, read, pel, consumers) in list {
        write_string(&mut b, name.as_bytes(), false);
        write_len(&mut b, last.ms);
        write_len(&mut b, last.seq);
        if let Some(r) = read {
            write_len(&mut b, *r);
        }
        write_len(&mut b, pel.len() as u64);
        for (id, time, count) in pel.iter() {
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&time.to_le_bytes());
            write_len(&mut b, *count);
        }
        write_len(&mut b, consumers.len() as u64);
        for (name, seen, active, ids) in consumers.iter() {
            write_string(&mut b, name.as_bytes(), false);
            b.extend_from_slice(&seen.to_le_bytes());
            if let Some(a) = active {
                b.extend_from_slice(&a.to_le_bytes());
            }
            write_len(&mut b, ids.len() as u64);
            for id in ids.iter() {
                b.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
    b
}

fn valid_body() -> Vec<u8> {
    body(21, &[(key(1, 0), block(&BLOCK))], &META, &[0])
}

#[test]
fn hand_made_bodies_load() {
    let s = decode(&valid_body()).unwrap();
    assert_eq!(describe(&s)[1..], ["1-0 f=v", "2-0 f=w"]);
    // An empty stream with no blocks, in each form.
    assert!(decode(&body(21, &[], &[0, 0, 0, 0, 0, 0, 0, 0], &[0])).is_ok());
    assert!(decode(&body(19, &[], &[0, 0, 0, 0, 0, 0, 0, 0], &[0])).is_ok());
    assert!(decode(&body(15, &[], &[0, 0, 0], &[0])).is_ok());
    // 1-1, then 7-0 deleted, then 3-0 appended after XSETID lowered the
    // last ID (Redis allows it once MAXDELETEDID lowered the deleted ID):
    // a tombstone out of order is legal, a live entry is not.
    let lowered = |third_ms: i64, third_seq: i64| {
        block(&[
            I(2),
            I(1),
            I(1),
            S("a"),
            I(0),
            I(2),
            I(0),
            I(0),
            S("b"),
            I(4),
            I(3),
            I(6),
            I(-1),
            S("b"),
            I(4),
            I(2),
            I(third_ms),
            I(third_seq),
            S("c"),
            I(4),
        ])
    };
    let meta = [2, 3, 0, 1, 1, 0, 1, 3];
    let s = decode(&body(21, &[(key(1, 1), lowered(2, -1))], &meta, &[0])).unwrap();
    assert_eq!(describe(&s)[1..], ["1-1 a=b", "3-0 a=c"]);
    let mut edited = s.clone();
    assert!(edited.delete(id(3, 0)));
    assert_eq!(edited.len(), 1);
    // The same with the third entry at 1-1 again: live IDs must increase.
    assert!(decode(&body(21, &[(key(1, 1), lowered(0, 0))], &meta, &[0])).is_err());
}

/// Redis 5/6 streams lack the first and deleted IDs, entries added,
/// entries read and active times: they are derived as Redis does.
#[test]
fn redis5_streams_get_the_missing_fields() {
    let alice: ConsumerSpec<'_> = ("alice", 77, None, &[StreamId::new(2, 0)]);
    let g = groups(&[
        ("at-first", id(1, 0), None, &[(id(2, 0), 5, 1)], &[alice]),
        ("at-last", id(2, 0), None, &[], &[]),
        ("before", id(0, 5), None, &[], &[]),
        ("mid", id(1, 5), None, &[], &[]),
    ]);
    let s = decode(&body(15, &[(key(1, 0), block(&BLOCK))], &META[..3], &g)).unwrap();
    assert_eq!(
        describe(&s)[0],
        "len=2 last=2-0 first=1-0 maxdel=0-0 added=2 blocks=1"
    );
    let read = |name: &str| s.groups[name.as_bytes()].entries_read;
    assert_eq!(read("at-first"), 1);
    assert_eq!(read("at-last"), 2);
    assert_eq!(read("before"), 0);
    assert_eq!(read("mid"), INVALID_ENTRIES_READ);
    let c = &s.groups[&b"at-first".to_vec()].consumers[&b"alice".to_vec()];
    assert_eq!((c.seen_time, c.active_time), (77, 77));
    // With no entries the first ID is the largest one, as Redis's
    // streamGetEdgeID leaves it.
    let empty = decode(&body(15, &[], &[0, 9, 9], &[0])).unwrap();
    assert_eq!(empty.first_id, StreamId::MAX);
    assert_eq!(empty.entries_added, 0);
}

/// Each body breaks one rule; every one is refused with an error.
#[test]
fn corrupt_bodies_are_refused() {
    let with_block = |elems: &[E]| body(21, &[(key(1, 0), block(elems))], &META, &[0]);
    let with_meta = |meta: &[u64]| body(21, &[(key(1, 0), block(&BLOCK))], meta, &[0]);
    let edit = |at: usize, e: E| {
        let mut b = BLOCK;
        b[at] = e;
        with_block(&b)
    };
    let with_groups = |g: &[u8]| body(21, &[(key(1, 0), block(&BLOCK))], &META, g);
    let n = |i: u64, t: i64| (id(i, 0), t, 1u64);
    let one = [id(1, 0)];
    let both = [id(1, 0), id(2, 0)];
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "short key",
            body(21, &[(vec![0; 15], block(&BLOCK))], &META, &[0]),
        ),
        (
            "duplicate key",
            body(
                21,
                &[(key(1, 0), block(&BLOCK)), (key(1, 0), block(&BLOCK))],
                &[4, 2, 0, 1, 0, 0, 0, 4],
                &[0],
            ),
        ),
        (
            "not a listpack",
            body(21, &[(key(1, 0), b"garbage".to_vec())], &META, &[0]),
        ),
        ("empty listpack", with_block(&[])),
        ("no entries", with_block(&[I(0), I(0), I(1), S("f"), I(0)])),
        ("count above entries", edit(0, I(3))),
        ("count below live entries", edit(0, I(1))),
        ("negative deleted", edit(1, I(-1))),
        ("master terminator", edit(4, I(1))),
        ("text count", edit(0, S("x"))),
        ("unknown flag", edit(5, I(6))),
        ("flags not a number", edit(5, S("x"))),
        ("tombstone without count", edit(5, I(3))),
        ("entry below master", edit(6, I(-1))),
        ("IDs not increasing", edit(11, I(0))),
        ("lp-count", edit(9, I(5))),
        ("missing lp-count", with_block(&BLOCK[..14])),
        (
            "trailing element",
            with_block(&[&BLOCK[..], &[I(0)]].concat()),
        ),
        ("length above entries", with_meta(&[3, 2, 0, 1, 0, 0, 0, 3])),
        ("length below entries", with_meta(&[1, 2, 0, 1, 0, 0, 0, 2])),
        (
            "last ID below an entry",
            with_meta(&[2, 1, 9, 1, 0, 0, 0, 2]),
        ),
        (
            "entries added below length",
            with_meta(&[2, 2, 0, 1, 0, 0, 0, 1]),
        ),
        ("truncated metadata", with_meta(&[2, 2, 0, 1, 0])),
        (
            "duplicate group",
            with_groups(&groups(&[
                ("g", id(1, 0), Some(1), &[], &[]),
                ("g", id(1, 0), Some(1), &[], &[]),
            ])),
        ),
        (
            "duplicate PEL entry",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[n(1, 5), n(1, 6)],
                &[("c", 1, Some(1), &one)],
            )])),
        ),
        (
            "consumer PEL entry not in the group PEL",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[n(1, 5)],
                &[("c", 1, Some(1), &both)],
            )])),
        ),
        (
            "entry owned by two consumers",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[n(1, 5)],
                &[("c", 1, Some(1), &one), ("d", 1, Some(1), &one)],
            )])),
        ),
        (
            "entry twice in one consumer",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[n(1, 5)],
                &[("c", 1, Some(1), &[id(1, 0), id(1, 0)])],
            )])),
        ),
        (
            "entry without owner",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[n(1, 5), n(2, 5)],
                &[("c", 1, Some(1), &one)],
            )])),
        ),
        (
            "duplicate consumer",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[],
                &[("c", 1, Some(1), &[]), ("c", 1, Some(1), &[])],
            )])),
        ),
        (
            "truncated consumer",
            with_groups(&groups(&[(
                "g",
                id(2, 0),
                Some(2),
                &[],
                &[("c", 1, None, &[])],
            )])),
        ),
    ];
    // A live entry of the first block at the second block's master.
    let second = block(&[
        I(1),
        I(0),
        I(1),
        S("f"),
        I(0),
        I(2),
        I(0),
        I(0),
        S("z"),
        I(4),
    ]);
    cases.push((
        "overlapping blocks",
        body(
            21,
            &[(key(1, 0), block(&BLOCK)), (key(2, 0), second)],
            &[3, 2, 0, 1, 0, 0, 0, 3],
            &[0],
        ),
    ));
    // A flags element of the right value but two bytes wide: a tombstone
    // rewrite would move every later position.
    let mut wide = block(&BLOCK);
    // After the 6-byte header and the master entry's 11 bytes.
    let at = 17;
    assert_eq!(wide[at..at + 2], [0x02, 0x01], "first entry's flags");
    wide.splice(at..at + 2, [0xC0, 0x02, 0x02]);
    let total = wide.len() as u32;
    wide[..4].copy_from_slice(&total.to_le_bytes());
    assert!(Listpack::from_bytes(wide.clone()).is_some());
    cases.push(("wide flags", body(21, &[(key(1, 0), wide)], &META, &[0])));
    for (what, bytes) in cases {
        assert!(decode(&bytes).is_err(), "{what} was accepted");
        // Every prefix is refused too.
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "{what}: prefix {cut}");
        }
    }
    assert!(decode(&valid_body()).is_ok());
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    for meta_len in [0usize, 1] {
        let mut b = vec![types::STREAM_LISTPACKS_3];
        if meta_len == 1 {
            // No blocks, metadata, then a group count of four billion.
            b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        write_len(&mut b, u32::MAX as u64);
        b.extend_from_slice(b"\x01a\x01b");
        assert_eq!(decode(&b).err(), Some(RdbError::Truncated));
    }
}
