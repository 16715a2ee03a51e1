//! Unit tests of the stream storage: block bytes against Redis's, ranges,
//! deletion and trimming.

use super::*;

fn ids(s: &Stream, rev: bool) -> Vec<StreamId> {
    s.range(StreamId::MIN, StreamId::MAX, rev)
        .map(|e| e.id)
        .collect()
}

fn fields_of(e: &Entry<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    e.for_each_field(|f, v| out.push((f.to_vec(), v.to_vec())));
    out
}

/// The block Redis 7 writes (taken from its DUMP with compression off)
/// for `XADD s 1-1 a 1 b hello`, `XADD s 1-2 a 2 b x`, `XADD s 5-0 c
/// 300`, `XADD s 5-1 a -7 b y`, `XDEL s 1-2`.
const REDIS_BLOCK: &str = "520000001f00030101010201816102816202000102010001000101018568656c6c6f\
0605010301000101010201817802050100010401dfff020101816302c12c020601020104010001dff90281790205\
01ff";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn blocks_are_byte_identical_to_redis() {
    let mut s = Stream::new();
    let lim = StreamLimits::default();
    s.append(StreamId::new(1, 1), &[b"a", b"1", b"b", b"hello"], lim);
    s.append(StreamId::new(1, 2), &[b"a", b"2", b"b", b"x"], lim);
    s.append(StreamId::new(5, 0), &[b"c", b"300"], lim);
    s.append(StreamId::new(5, 1), &[b"a", b"-7", b"b", b"y"], lim);
    assert!(s.delete(StreamId::new(1, 2)));
    let blocks: Vec<_> = s.blocks().collect();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, StreamId::new(1, 1));
    assert_eq!(blocks[0].1, hex(REDIS_BLOCK).as_slice());
    assert_eq!(s.len(), 3);
    assert_eq!(
        ids(&s, false),
        vec![
            StreamId::new(1, 1),
            StreamId::new(5, 0),
            StreamId::new(5, 1)
        ]
    );
    let all: Vec<_> = s.range(StreamId::MIN, StreamId::MAX, false).collect();
    assert_eq!(fields_of(&all[1]), vec![(b"c".to_vec(), b"300".to_vec())]);
    assert_eq!(fields_of(&all[2])[0], (b"a".to_vec(), b"-7".to_vec()));
}

#[test]
fn blocks_split_by_entries_and_ranges_cross_them() {
    let mut s = Stream::new();
    let lim = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 3,
    };
    for i in 1..=10u64 {
        s.append(StreamId::new(i, 0), &[b"f", b"v"], lim);
    }
    assert_eq!(s.block_count(), 4);
    assert_eq!(ids(&s, false).len(), 10);
    let rev = ids(&s, true);
    assert_eq!(rev.first(), Some(&StreamId::new(10, 0)));
    let mid: Vec<_> = s
        .range(StreamId::new(3, 0), StreamId::new(7, 0), true)
        .map(|e| e.id.ms)
        .collect();
    assert_eq!(mid, vec![7, 6, 5, 4, 3]);
    let fwd: Vec<_> = s
        .range(StreamId::new(3, 1), StreamId::new(7, 0), false)
        .map(|e| e.id.ms)
        .collect();
    assert_eq!(fwd, vec![4, 5, 6, 7]);
}

#[test]
fn delete_and_trim() {
    let mut s = Stream::new();
    let lim = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 4,
    };
    for i in 1..=10u64 {
        s.append(StreamId::new(i, 0), &[b"f", b"v"], lim);
    }
    assert!(s.delete(StreamId::new(2, 0)));
    assert!(!s.delete(StreamId::new(2, 0)));
    assert!(!s.contains(StreamId::new(2, 0)));
    assert_eq!(s.len(), 9);
    // Approximate trimming removes only the whole first block (3 live).
    assert_eq!(s.trim(TrimBy::MaxLen(5), true, 0), 3);
    assert_eq!(s.len(), 6);
    assert_eq!(s.first_id, StreamId::new(5, 0));
    // Exact trimming goes inside the next block.
    assert_eq!(s.trim(TrimBy::MaxLen(5), false, 0), 1);
    assert_eq!(s.first_id, StreamId::new(6, 0));
    assert_eq!(s.trim(TrimBy::MinId(StreamId::new(9, 0)), false, 0), 3);
    assert_eq!(
        ids(&s, false),
        vec![StreamId::new(9, 0), StreamId::new(10, 0)]
    );
}

#[test]
fn next_id_rules() {
    let mut s = Stream::new();
    assert_eq!(s.next_id(None, 100), Some(StreamId::new(100, 0)));
    s.append(
        StreamId::new(100, 5),
        &[b"f", b"v"],
        StreamLimits::default(),
    );
    assert_eq!(s.next_id(None, 50), Some(StreamId::new(100, 6)));
    assert_eq!(
        s.next_id(Some((StreamId::new(100, 0), false)), 0),
        Some(StreamId::new(100, 6))
    );
    assert_eq!(s.next_id(Some((StreamId::new(99, 0), false)), 0), None);
    assert_eq!(s.next_id(Some((StreamId::new(100, 5), true)), 0), None);
}
