//! LZF compression in liblzf's format, as Redis uses it for RDB strings
//! (`RDB_ENC_LZF`) and compressed quicklist nodes.
//!
//! Written here rather than taken from crates.io: the `lzf` crate is
//! deprecated and `lzf-rust` is a fresh single release, while the format is
//! small, persistence-critical and must be safe on hostile input.
//!
//! The compressed stream is a sequence of tokens:
//!
//! ```text
//! 000LLLLL <L+1 bytes>          literal run of 1..=32 bytes
//! LLLooooo oooooooo             back-reference: copy L+2 (3..=8) bytes
//! 111ooooo LLLLLLLL oooooooo    back-reference: copy L+9 (9..=264) bytes
//! ```
//!
//! where the 13-bit `o` means "start `o + 1` bytes before the output end".
//! The compressor follows liblzf's algorithm as Redis builds it (16-bit hash
//! table, the "very fast" re-hashing after a match, the same output-limit
//! checks), so for the same input it picks the same matches and gives up
//! at the same sizes. Redis leaves its hash table uninitialized, which can
//! occasionally make its output differ from ours; both are valid streams.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Most output one input byte can produce: a 3-byte token copies 264.
const MAX_EXPANSION: usize = MAX_REF.div_ceil(3);

/// Compresses `input`, returning `None` when the result would not be
/// smaller than the input (like `lzf_compress` returning 0 for an output
/// buffer one byte shorter than the input) or when `input` is empty.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    compress_bounded(input, input.len().saturating_sub(1))
}

/// Compresses `input` into at most `max_out` bytes, `None` if it does not
/// fit. Redis passes `len - 4` for RDB strings and `len` for quicklist
/// nodes; the same limit here gives the same "compressed or not" decision.
pub fn compress_bounded(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    compress_into(input, max_out, &mut out).then_some(out)
}

/// [`compress_bounded`], appending the result to `out` (which the caller
/// reuses, so compressing many values allocates nothing); false, with
/// `out` as it was, when it does not fit.
pub fn compress_into(input: &[u8], max_out: usize, out: &mut Vec<u8>) -> bool {
    // Inputs too large for u32 position tags are left uncompressed;
    // Redis strings stop at 512 MB and listpacks at 1 GB.
    let Some(len) = u32::try_from(input.len())
        .ok()
        .filter(|&l| l < u32::MAX - 1)
    else {
        return false;
    };
    if len == 0 || max_out == 0 {
        return false;
    }
    let start = out.len();
    let fits = TABLE.with(|table| {
        let mut table = table.borrow_mut();
        let base = table.begin(len);
        compress_with(input, max_out, &mut table.slots, base, out)
    });
    if !fits {
        out.truncate(start);
    }
    fits
}

/// Decompresses `input`, which must expand to exactly `expected_len`
/// bytes. Safe on hostile input: every back-reference is checked against
/// the output written so far, the output never grows past `expected_len`,
/// and a length no stream of this size could reach is refused before
/// allocating. The caller bounds `expected_len` (RDB loaders by what they
/// are willing to allocate).
pub fn decompress(input: &[u8], expected_len: usize) -> Option<Vec<u8>> {
    if expected_len > input.len().saturating_mul(MAX_EXPANSION) {
        return None;
    }
    let mut out = Vec::with_capacity(expected_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < MAX_LIT {
            let run = ctrl + 1;
            if out.len() + run > expected_len || ip + run > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            len += *input.get(ip)? as usize;
            ip += 1;
        }
        let low = *input.get(ip)? as usize;
        ip += 1;
        let distance = ((ctrl & 0x1F) << 8) + low + 1;
        let copy = len + 2;
        if out.len() + copy > expected_len {
            return None;
        }
        let start = out.len().checked_sub(distance)?;
        // Overlapping copies repeat the last `distance` bytes; copy in
        // chunks no longer than the distance so each source is complete.
        let mut done = 0;
        while done < copy {
            let chunk = distance.min(copy - done);
            out.extend_from_within(start + done..start + done + chunk);
            done += chunk;
        }
    }
    (out.len() == expected_len).then_some(out)
}

/// The compressor's hash table, kept per thread so small inputs do not pay
/// for a fresh 256 KiB table. Slots hold `base + position`; anything below
/// the current call's base is stale and reads as empty, which makes every
/// call behave exactly like one with a zeroed table.
struct Table {
    slots: Box<[u32]>,
    next_base: u32,
}

impl Table {
    /// Reserves positions `base..base + len` for the next input, clearing
    /// the table when the u32 tags would wrap. `len` is below
    /// `u32::MAX - 1` (checked by the caller).
    fn begin(&mut self, len: u32) -> u32 {
        if u32::MAX - self.next_base <= len {
            self.slots.fill(0);
            self.next_base = 1;
        }
        let base = self.next_base;
        self.next_base = base + len;
        base
    }
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table {
        slots: vec![0; HSIZE].into_boxed_slice(),
        next_base: 1,
    });
}

/// Hash of the three bytes ending the 24-bit window `h`.
fn slot_of(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Appends `input` compressed to `out`; false when it would exceed
/// `max_out` bytes (what it appended is then the caller's to drop).
fn compress_with(
    input: &[u8],
    max_out: usize,
    slots: &mut [u32],
    base: u32,
    out: &mut Vec<u8>,
) -> bool {
    let n = input.len();
    let start = out.len();
    out.reserve(max_out.min(n + n / 16 + 4));
    // `out` always ends with the placeholder control byte of the literal
    // run being collected; `lit` counts the literals after it.
    out.push(0);
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut h: u32 = if n >= 2 {
        (input[0] as u32) << 8 | input[1] as u32
    } else {
        0
    };

    while ip + 2 < n {
        h = (h << 8) | input[ip + 2] as u32;
        let slot = &mut slots[slot_of(h)];
        let candidate = slot.checked_sub(base).map(|r| r as usize);
        *slot = base + ip as u32;

        let matched = candidate
            .filter(|&r| ip - r - 1 < MAX_OFF && r > 0 && input[r..r + 3] == input[ip..ip + 3]);
        let Some(r) = matched else {
            if out.len() - start >= max_out {
                return false;
            }
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LIT {
                close_run(out, lit);
                lit = 0;
            }
            continue;
        };

        let off = ip - r - 1;
        let max_len = (n - ip - 2).min(MAX_REF);
        let mut len = 3;
        while len < max_len && input[r + len] == input[ip + len] {
            len += 1;
        }
        // The same conservative room check liblzf makes before a token.
        let written = out.len() - start;
        if written + 4 >= max_out && written - usize::from(lit == 0) + 4 >= max_out {
            return false;
        }
        if lit > 0 {
            let at = out.len() - lit - 1;
            out[at] = (lit - 1) as u8;
        } else {
            out.pop();
        }
        let l = len - 2;
        if l < 7 {
            out.push(((off >> 8) + (l << 5)) as u8);
        } else {
            out.push(((off >> 8) + (7 << 5)) as u8);
            out.push((l - 7) as u8);
        }
        out.push(off as u8);
        out.push(0);
        lit = 0;
        ip += len;
        if ip + 2 >= n {
            break;
        }
        // Hash the two positions just before the new `ip` so later data
        // can refer into the copied run.
        for back in [2, 1] {
            let p = ip - back;
            h = (input[p] as u32) << 16 | (input[p + 1] as u32) << 8 | input[p + 2] as u32;
            slots[slot_of(h)] = base + p as u32;
        }
    }

    if out.len() - start + 3 > max_out {
        return false;
    }
    while ip < n {
        lit += 1;
        out.push(input[ip]);
        ip += 1;
        if lit == MAX_LIT {
            close_run(out, lit);
            lit = 0;
        }
    }
    if lit > 0 {
        let at = out.len() - lit - 1;
        out[at] = (lit - 1) as u8;
    } else {
        out.pop();
    }
    true
}

/// Ends a full literal run and starts the next one's placeholder.
fn close_run(out: &mut Vec<u8>, lit: usize) {
    let at = out.len() - lit - 1;
    out[at] = (lit - 1) as u8;
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listpack::oracle::{restore_payload, RdbReader, Redis, RDB_TYPE_STRING};
    use lodestone_protocol::frame::Frame;

    fn roundtrip(data: &[u8]) {
        if let Some(c) = compress(data) {
            assert!(c.len() < data.len());
            assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        }
        let c = compress_bounded(data, data.len() + data.len() / 16 + 64).expect("fits");
        assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
    }

    #[test]
    fn known_streams() {
        assert_eq!(compress(b""), None);
        assert_eq!(compress(b"abc"), None, "incompressible");
        // "aaaa...": one literal, then a back-reference of distance 1.
        let c = compress(&[b'a'; 100]).unwrap();
        assert_eq!(decompress(&c, 100).unwrap(), vec![b'a'; 100]);
        assert!(c.len() < 10, "{c:?}");
        assert_eq!(decompress(&[0x02, b'x', b'y', b'z'], 3).unwrap(), b"xyz");
        // literal "ab" then copy 3 bytes from distance 2: "ababa".
        assert_eq!(
            decompress(&[0x01, b'a', b'b', 0x20, 0x01], 5).unwrap(),
            b"ababa"
        );
    }

    #[test]
    fn roundtrips_varied_data() {
        let mut rng = fastrand::Rng::with_seed(0x1f2e);
        for round in 0..400 {
            let len = rng.usize(0..5000);
            let alphabet = [2u8, 4, 16, 255][round % 4];
            let mut data: Vec<u8> = (0..len).map(|_| rng.u8(..alphabet)).collect();
            // Splice in repeats at various distances to exercise long and
            // overlapping back-references.
            for _ in 0..rng.usize(0..6) {
                if data.len() > 20 {
                    let from = rng.usize(0..data.len() - 10);
                    let n = rng.usize(1..(data.len() - from).min(400));
                    let copy = data[from..from + n].to_vec();
                    let at = rng.usize(0..data.len());
                    data.splice(at..at, copy);
                }
            }
            roundtrip(&data);
        }
        roundtrip(&vec![7u8; 100_000]);
        let text = b"the quick brown fox jumps over the lazy dog. ".repeat(500);
        roundtrip(&text);
    }

    #[test]
    fn respects_the_output_limit() {
        let data = b"0123456789".repeat(50);
        let full = compress(&data).unwrap();
        // liblzf's room checks are conservative: a limit a few bytes over
        // the final size always suffices, an exact one may not.
        assert_eq!(compress_bounded(&data, full.len() + 4), Some(full.clone()));
        for limit in 0..full.len() + 4 {
            match compress_bounded(&data, limit) {
                Some(c) => assert_eq!(c, full),
                None => assert!(limit < full.len() + 4),
            }
        }
        assert_eq!(compress_bounded(&data, full.len() - 1), None);
        assert_eq!(compress_bounded(&data, 1), None);
    }

    #[test]
    fn compress_into_appends_or_leaves_the_buffer_alone() {
        let data = b"0123456789".repeat(50);
        let full = compress(&data).unwrap();
        let mut out = b"head".to_vec();
        assert!(compress_into(&data, full.len() + 4, &mut out));
        assert_eq!(&out[..4], b"head");
        assert_eq!(&out[4..], &full[..]);
        // Too small a limit, counted from where it appends.
        let mut out = vec![7u8; 1000];
        assert!(!compress_into(&data, full.len() - 1, &mut out));
        assert_eq!(out, vec![7u8; 1000]);
        assert!(!compress_into(b"abcdefghijklmnopqrstuvwxyz", 20, &mut out));
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn output_does_not_depend_on_earlier_calls() {
        let a = b"abcabcabcabcabc-header-abcabc".repeat(20);
        let first = compress(&a).unwrap();
        compress(&b"xyzxyzxyz".repeat(100)).unwrap();
        assert_eq!(compress(&a).unwrap(), first);
    }

    #[test]
    fn hostile_streams_never_panic_or_overrun() {
        assert_eq!(decompress(&[0x20, 0x00], 3), None, "reference before start");
        assert_eq!(decompress(&[0x05, b'a'], 6), None, "literal past input");
        assert_eq!(
            decompress(&[0x00, b'a', 0xE0], 20),
            None,
            "truncated long ref"
        );
        assert_eq!(decompress(&[0x00, b'a', 0x20], 4), None, "truncated ref");
        assert_eq!(
            decompress(&[0x00, b'a', 0x20, 0x00], 3),
            None,
            "output too long"
        );
        assert_eq!(decompress(&[0x00, b'a'], 2), None, "output too short");
        assert_eq!(decompress(&[0x00, b'a'], usize::MAX), None, "absurd length");
        assert_eq!(decompress(&[], 0), Some(vec![]));
        let mut rng = fastrand::Rng::with_seed(99);
        for _ in 0..20_000 {
            let len = rng.usize(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let expected = rng.usize(0..2000);
            if let Some(out) = decompress(&bytes, expected) {
                assert_eq!(out.len(), expected);
            }
        }
    }

    /// Redis writes a compressible value as an LZF string in DUMP (the same
    /// `rdbSaveRawString` path SAVE uses); we must read it, and Redis must
    /// read ours.
    #[test]
    fn interoperates_with_redis() {
        let Some(mut redis) = Redis::start("lzf") else {
            return;
        };
        redis.config("rdbcompression", "yes");
        let samples: Vec<Vec<u8>> = vec![
            b"hello world, ".repeat(80),
            (0..1024u32)
                .map(|i| b"abcdefgh"[(i % 7) as usize])
                .collect(),
            (0..3000u32).map(|i| (i * i % 251) as u8).collect(),
            vec![b'z'; 70_000],
        ];
        let mut same_bytes = 0;
        for (i, value) in samples.iter().enumerate() {
            let key = format!("k{i}");
            redis.ok(&[b"SET", key.as_bytes(), value]);
            let (ty, body) = redis.dump(key.as_bytes());
            assert_eq!(ty, RDB_TYPE_STRING);
            let mut r = RdbReader::new(&body);
            let s = r.string(|c, len| decompress(c, len).expect("redis LZF decodes"));
            assert!(r.at_end());
            let theirs = s.lzf.expect("redis compressed the value");
            assert_eq!(&s.bytes, value);
            let ours = compress_bounded(value, value.len() - 4).expect("we compress too");
            same_bytes += usize::from(ours == theirs);

            // Hand Redis our compressed form through RESTORE.
            let mut obj = vec![0xC3];
            crate::listpack::oracle::rdb_len(&mut obj, ours.len());
            crate::listpack::oracle::rdb_len(&mut obj, value.len());
            obj.extend_from_slice(&ours);
            let payload = restore_payload(RDB_TYPE_STRING, &obj);
            let copy = format!("copy{i}");
            redis.ok(&[b"RESTORE", copy.as_bytes(), b"0", &payload]);
            assert_eq!(
                redis.ok(&[b"GET", copy.as_bytes()]),
                Frame::Bulk(value.clone())
            );
        }
        eprintln!(
            "LZF: {same_bytes}/{} samples byte-identical to Redis",
            samples.len()
        );
        assert!(
            same_bytes > 0,
            "our compressor should usually match Redis exactly"
        );
    }
}
