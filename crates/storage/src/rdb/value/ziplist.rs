//! Ziplists, the compact encoding before listpacks (Redis 2.6 to 6.2):
//! validated in full and read into entries, which the loaders turn into
//! listpacks (Lodestone never keeps a ziplist).
//!
//! Layout: `zlbytes` (u32 LE, the total size), `zltail` (u32 LE, offset of
//! the last entry), `zllen` (u16 LE, the entry count, 65535 meaning
//! "count them"), the entries, and the terminator 0xFF. An entry is the
//! previous entry's size (one byte below 254, else 0xFE and a u32 LE), an
//! encoding header (strings with 6-, 14- or 32-bit lengths, integers of
//! 8, 16, 24, 32 or 64 bits, or 0 to 12 inside the header byte) and the
//! payload.

use crate::listpack::{Listpack, LpEntry};

/// Header: zlbytes, zltail, zllen.
const HEADER: usize = 10;
/// The terminator.
const END: u8 = 0xFF;
/// `zllen` when the count is not kept.
const UNKNOWN_COUNT: u16 = u16::MAX;

/// The entries of a ziplist, or `None` when it is malformed in any way
/// Redis's deep `ziplistValidateIntegrity` would catch: sizes and tail
/// offset disagreeing with the bytes, an unknown encoding, an entry past
/// the end, a previous-size field that does not match, a wrong count.
pub(super) fn entries(zl: &[u8]) -> Option<Vec<LpEntry<'_>>> {
    if zl.len() < HEADER + 1 || zl[zl.len() - 1] != END {
        return None;
    }
    let u32_at = |i: usize| u32::from_le_bytes([zl[i], zl[i + 1], zl[i + 2], zl[i + 3]]) as usize;
    if u32_at(0) != zl.len() {
        return None;
    }
    let tail = u32_at(4);
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let end = zl.len() - 1;
    let mut out = Vec::new();
    let (mut pos, mut prev_size, mut last) = (HEADER, 0usize, HEADER);
    while zl[pos] != END {
        let (entry, size) = entry_at(&zl[..end], pos, prev_size)?;
        out.push(entry);
        last = pos;
        pos += size;
        prev_size = size;
    }
    if pos != end || tail != last {
        return None;
    }
    if count != UNKNOWN_COUNT && count as usize != out.len() {
        return None;
    }
    Some(out)
}

/// Converts a ziplist to a listpack of the same entries.
pub(super) fn to_listpack(zl: &[u8]) -> Option<Listpack> {
    let mut lp = Listpack::new();
    for e in entries(zl)? {
        match e {
            LpEntry::Int(v) => lp.append_int(v),
            LpEntry::Str(s) => lp.append(s),
        }
    }
    Some(lp)
}

/// Decodes the entry at `pos` of `zl` (the bytes before the terminator),
/// checking its previous-size field against `prev_size`; returns it and
/// its total size.
fn entry_at(zl: &[u8], pos: usize, prev_size: usize) -> Option<(LpEntry<'_>, usize)> {
    let at = |i: usize| zl.get(pos.checked_add(i)?).copied();
    let slice = |from: usize, n: usize| zl.get(pos + from..pos.checked_add(from)?.checked_add(n)?);
    let (prevlen, mut h) = match at(0)? {
        0xFE => {
            let b = slice(1, 4)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
        }
        0xFF => return None,
        n => (n as usize, 1),
    };
    if prevlen != prev_size {
        return None;
    }
    let enc = at(h)?;
    h += 1;
    let int = |n: usize| -> Option<i64> {
        let b = slice(h, n)?;
        let mut le = [0u8; 8];
        le[..n].copy_from_slice(b);
        // Sign-extend from n bytes.
        let shift = 64 - 8 * n as u32;
        Some((i64::from_le_bytes(le) << shift) >> shift)
    };
    let (entry, payload) = match enc {
        0x00..=0x3F => {
            let n = (enc & 0x3F) as usize;
            (LpEntry::Str(slice(h, n)?), n)
        }
        0x40..=0x7F => {
            let n = (((enc & 0x3F) as usize) << 8) | at(h)? as usize;
            h += 1;
            (LpEntry::Str(slice(h, n)?), n)
        }
        0x80..=0xBF => {
            let b = slice(h, 4)?;
            let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            h += 4;
            (LpEntry::Str(slice(h, n)?), n)
        }
        0xC0 => (LpEntry::Int(int(2)?), 2),
        0xD0 => (LpEntry::Int(int(4)?), 4),
        0xE0 => (LpEntry::Int(int(8)?), 8),
        0xF0 => (LpEntry::Int(int(3)?), 3),
        0xFE => (LpEntry::Int(int(1)?), 1),
        0xF1..=0xFD => (LpEntry::Int((enc & 0x0F) as i64 - 1), 0),
        _ => return None,
    };
    Some((entry, h + payload))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Builds a ziplist from raw entry bodies (encoding and payload),
    /// filling in previous sizes, header and terminator.
    pub(crate) fn build(bodies: &[&[u8]]) -> Vec<u8> {
        let mut zl = vec![0u8; HEADER];
        let (mut prev, mut tail) = (0usize, HEADER);
        for b in bodies {
            tail = zl.len();
            if prev < 254 {
                zl.push(prev as u8);
            } else {
                zl.push(0xFE);
                zl.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            zl.extend_from_slice(b);
            prev = zl.len() - tail;
        }
        zl.push(END);
        let len = zl.len() as u32;
        zl[0..4].copy_from_slice(&len.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&(bodies.len() as u16).to_le_bytes());
        zl
    }

    #[test]
    fn reads_every_encoding() {
        let long = vec![b'x'; 300];
        let mut long_body = vec![0x41, 0x2C];
        long_body.extend_from_slice(&long);
        let zl = build(&[
            b"\x03abc",
            &long_body,
            b"\xf1",
            b"\xfd",
            b"\xfe\x80",
            b"\xc0\x00\x80",
            b"\xf0\xff\xff\x7f",
            b"\xd0\x00\x00\x00\x80",
            b"\xe0\xff\xff\xff\xff\xff\xff\xff\x7f",
        ]);
        let e = entries(&zl).unwrap();
        assert_eq!(e[0], LpEntry::Str(b"abc"));
        assert_eq!(e[1], LpEntry::Str(&long));
        let ints: Vec<i64> = e[2..].iter().filter_map(|x| x.as_int()).collect();
        assert_eq!(
            ints,
            [0, 12, -128, -32768, 8388607, i32::MIN as i64, i64::MAX]
        );
        assert_eq!(to_listpack(&zl).unwrap().len(), 9);
        assert_eq!(entries(&build(&[])).unwrap().len(), 0);
    }

    #[test]
    fn refuses_malformed_ziplists() {
        let good = build(&[b"\x03abc", b"\xf2"]);
        assert!(entries(&good).is_some());
        let mut bad = good.clone();
        bad[0] += 1;
        assert!(entries(&bad).is_none(), "size");
        let mut bad = good.clone();
        bad[4] += 1;
        assert!(entries(&bad).is_none(), "tail");
        let mut bad = good.clone();
        bad[8] = 3;
        assert!(entries(&bad).is_none(), "count");
        let mut bad = good.clone();
        bad[8] = 0xFF;
        bad[9] = 0xFF;
        assert!(entries(&bad).is_some(), "unknown count");
        let mut bad = good.clone();
        bad[HEADER + 5] = 1;
        assert!(entries(&bad).is_none(), "prevlen");
        let mut bad = good.clone();
        bad[HEADER + 1] = 0x3F;
        assert!(entries(&bad).is_none(), "string past the end");
        let mut bad = good.clone();
        bad[HEADER + 6] = 0xC5;
        assert!(entries(&bad).is_none(), "encoding");
        assert!(entries(&good[..good.len() - 1]).is_none());
        assert!(entries(b"").is_none());
    }
}
