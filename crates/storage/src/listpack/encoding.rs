//! Byte-level pieces of Redis's listpack entry format.
//!
//! An entry is `<encoding+data><backlen>`. The first byte says how the value
//! is stored:
//!
//! | first byte  | meaning                                   | encoding+data size |
//! |-------------|-------------------------------------------|--------------------|
//! | `0xxxxxxx`  | unsigned integer 0..=127                  | 1                  |
//! | `10xxxxxx`  | string of up to 63 bytes                  | 1 + len            |
//! | `110xxxxx`  | 13-bit signed integer (one more byte)     | 2                  |
//! | `1110xxxx`  | string of up to 4095 bytes (12-bit len)   | 2 + len            |
//! | `0xF0`      | string with a 32-bit little-endian len    | 5 + len            |
//! | `0xF1`      | 16-bit signed integer, little-endian      | 3                  |
//! | `0xF2`      | 24-bit signed integer, little-endian      | 4                  |
//! | `0xF3`      | 32-bit signed integer, little-endian      | 5                  |
//! | `0xF4`      | 64-bit signed integer, little-endian      | 9                  |
//! | `0xFF`      | end of the listpack (not an entry)        | 1                  |
//!
//! `backlen` stores the size of `<encoding+data>` as a big-endian base-128
//! number whose continuation bits are set on every byte except the first, so
//! it can be decoded walking backwards from the next entry. The byte counts
//! and thresholds here are exactly Redis's, which keeps our listpacks
//! byte-identical to the ones Redis writes into RDB files.

use lodestone_protocol::num::parse_i64;

use super::LpEntry;

/// Size of the header: total bytes (u32 LE) and element count (u16 LE).
pub(crate) const HDR_SIZE: usize = 6;
/// The terminator byte, and the first byte of no entry.
pub(crate) const EOF: u8 = 0xFF;
/// Header element count meaning "too many to store; count by walking".
pub(crate) const NUMELE_UNKNOWN: u16 = u16::MAX;
/// Longest integer encoding (64-bit: tag + 8 bytes).
pub(crate) const MAX_INT_ENC: usize = 9;
/// Longest string header (tag + 32-bit length).
pub(crate) const MAX_STR_HDR: usize = 5;
/// Longest backlen.
pub(crate) const MAX_BACKLEN: usize = 5;

const TAG_32BIT_STR: u8 = 0xF0;
const TAG_16BIT_INT: u8 = 0xF1;
const TAG_24BIT_INT: u8 = 0xF2;
const TAG_32BIT_INT: u8 = 0xF3;
const TAG_64BIT_INT: u8 = 0xF4;

/// How many bytes of tag and length an entry whose first byte is `first`
/// has, or `None` when `first` starts no entry (`0xF5..=0xFF`). Validation
/// uses this to make sure the length bytes lie inside the buffer before
/// reading them.
pub(crate) fn head_size(first: u8) -> Option<usize> {
    match first {
        0x00..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        TAG_32BIT_STR => Some(5),
        TAG_16BIT_INT..=TAG_64BIT_INT => Some(1),
        _ => None,
    }
}

/// Size of the `<encoding+data>` part (what the backlen records) of the
/// entry starting at `bytes[0]`, reading only its tag and length bytes.
/// `bytes` must hold at least [`head_size`] bytes; returns `None` for an
/// invalid first byte.
pub(crate) fn encoded_size(bytes: &[u8]) -> Option<usize> {
    let first = bytes[0];
    Some(match first {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + (first & 0x3F) as usize,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + ((((first & 0x0F) as usize) << 8) | bytes[1] as usize),
        TAG_32BIT_STR => 5 + u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize,
        TAG_16BIT_INT => 3,
        TAG_24BIT_INT => 4,
        TAG_32BIT_INT => 5,
        TAG_64BIT_INT => 9,
        _ => return None,
    })
}

/// Decodes the value of a well-formed entry starting at `bytes[0]`, with
/// the size of its `<encoding+data>` part (add [`backlen_size`] of it to
/// step to the next entry). One dispatch on the first byte serves both, which
/// is what iteration and searches do per element.
///
/// Like Redis's `lpGet`, an invalid first byte decodes as the integer
/// `12345678900000000 + byte` instead of failing; this cannot happen for a
/// [`super::Listpack`], whose buffer is validated or written by us.
pub(crate) fn read(bytes: &[u8]) -> (LpEntry<'_>, usize) {
    let first = bytes[0];
    match first {
        0x00..=0x7F => (LpEntry::Int(first as i64), 1),
        0x80..=0xBF => {
            let len = (first & 0x3F) as usize;
            (LpEntry::Str(&bytes[1..1 + len]), 1 + len)
        }
        0xC0..=0xDF => {
            let raw = (((first & 0x1F) as i64) << 8) | bytes[1] as i64;
            (LpEntry::Int(sign_extend(raw, 13)), 2)
        }
        0xE0..=0xEF => {
            let len = (((first & 0x0F) as usize) << 8) | bytes[1] as usize;
            (LpEntry::Str(&bytes[2..2 + len]), 2 + len)
        }
        TAG_32BIT_STR => {
            let len = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
            (LpEntry::Str(&bytes[5..5 + len]), 5 + len)
        }
        TAG_16BIT_INT => (
            LpEntry::Int(i16::from_le_bytes([bytes[1], bytes[2]]) as i64),
            3,
        ),
        TAG_24BIT_INT => {
            let raw = bytes[1] as i64 | (bytes[2] as i64) << 8 | (bytes[3] as i64) << 16;
            (LpEntry::Int(sign_extend(raw, 24)), 4)
        }
        TAG_32BIT_INT => (
            LpEntry::Int(i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as i64),
            5,
        ),
        TAG_64BIT_INT => {
            let mut le = [0u8; 8];
            le.copy_from_slice(&bytes[1..9]);
            (LpEntry::Int(i64::from_le_bytes(le)), 9)
        }
        _ => (LpEntry::Int(12_345_678_900_000_000 + first as i64), 1),
    }
}

/// Interprets the low `bits` bits of `raw` as a two's complement number.
fn sign_extend(raw: i64, bits: u32) -> i64 {
    let shift = 64 - bits;
    (raw << shift) >> shift
}

/// Bytes the backlen of an entry whose `<encoding+data>` is `len` bytes
/// takes. The thresholds (127, 16383, ...) are Redis's; note that 16383
/// itself already needs three bytes there, and we must agree.
pub(crate) fn backlen_size(len: usize) -> usize {
    if len <= 127 {
        1
    } else if len < 16_383 {
        2
    } else if len < 2_097_151 {
        3
    } else if len < 268_435_455 {
        4
    } else {
        5
    }
}

/// Writes the backlen for `len` into `out`, returning how many bytes it
/// used: the most significant 7-bit group first, continuation bit set on
/// every later byte.
pub(crate) fn encode_backlen(len: usize, out: &mut [u8; MAX_BACKLEN]) -> usize {
    let n = backlen_size(len);
    for (i, byte) in out.iter_mut().take(n).enumerate() {
        let group = ((len >> (7 * (n - 1 - i))) & 0x7F) as u8;
        *byte = if i == 0 { group } else { group | 0x80 };
    }
    n
}

/// Decodes the backlen whose last byte is `bytes[end]`, walking backwards
/// but never below `bytes[floor]`. Returns the recorded length and the
/// number of backlen bytes, or `None` if it runs past `floor` or is longer
/// than five bytes.
pub(crate) fn decode_backlen(bytes: &[u8], end: usize, floor: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut at = end;
    for n in 0..MAX_BACKLEN {
        let byte = bytes[at];
        value |= ((byte & 0x7F) as usize) << (7 * n);
        if byte & 0x80 == 0 {
            return Some((value, n + 1));
        }
        if at == floor {
            return None;
        }
        at -= 1;
    }
    None
}

/// A value ready to be written as an entry: its tag and length bytes (or
/// whole integer encoding), the string payload if any, and its backlen.
pub(crate) struct Prepared<'a> {
    head: [u8; MAX_INT_ENC],
    head_len: usize,
    payload: &'a [u8],
    back: [u8; MAX_BACKLEN],
    back_len: usize,
}

impl<'a> Prepared<'a> {
    /// Prepares a string element. Like Redis's `lpEncodeGetType`, strings
    /// that are canonical 64-bit integers (`string2ll` rules) are stored as
    /// integers, which is what keeps sizes equal to Redis's.
    pub fn from_bytes(ele: &'a [u8]) -> Self {
        if let Some(v) = parse_i64(ele) {
            return Self::from_int(v);
        }
        let mut head = [0u8; MAX_INT_ENC];
        let len = ele.len();
        let head_len = if len < 64 {
            head[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            head[0] = 0xE0 | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            let len32 = u32::try_from(len).expect("listpack string over 4 GiB");
            head[0] = TAG_32BIT_STR;
            head[1..5].copy_from_slice(&len32.to_le_bytes());
            MAX_STR_HDR
        };
        Self::finish(head, head_len, ele)
    }

    /// Prepares an integer element in the smallest encoding that holds it.
    pub fn from_int(v: i64) -> Self {
        let mut head = [0u8; MAX_INT_ENC];
        let head_len = if (0..=127).contains(&v) {
            head[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let raw = (v as u16) & 0x1FFF;
            head[0] = 0xC0 | (raw >> 8) as u8;
            head[1] = raw as u8;
            2
        } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
            head[0] = TAG_16BIT_INT;
            head[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            head[0] = TAG_24BIT_INT;
            head[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            head[0] = TAG_32BIT_INT;
            head[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            head[0] = TAG_64BIT_INT;
            head[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Self::finish(head, head_len, &[])
    }

    fn finish(head: [u8; MAX_INT_ENC], head_len: usize, payload: &'a [u8]) -> Self {
        let mut back = [0u8; MAX_BACKLEN];
        let back_len = encode_backlen(head_len + payload.len(), &mut back);
        Prepared {
            head,
            head_len,
            payload,
            back,
            back_len,
        }
    }

    /// Size of the whole entry, backlen included.
    pub fn total(&self) -> usize {
        self.head_len + self.payload.len() + self.back_len
    }

    /// Appends the entry to the end of `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head[..self.head_len]);
        out.extend_from_slice(self.payload);
        out.extend_from_slice(&self.back[..self.back_len]);
    }

    /// Largest [`Self::total`] that [`Self::stage`] takes.
    pub const STAGE_MAX: usize = 64;

    /// Bytes a staging buffer needs beyond its staged entries, for
    /// [`Self::stage`]'s fixed-size copies.
    pub const STAGE_SLACK: usize = MAX_INT_ENC + Self::STAGE_MAX + MAX_BACKLEN;

    /// Writes the entry (at most [`Self::STAGE_MAX`] bytes) at `at` in
    /// `stage`, which has [`Self::STAGE_SLACK`] bytes from `at`: the
    /// encoding and backlen are copied as whole fixed-size arrays, which
    /// compile to a few moves instead of a `memcpy` call each. Returns
    /// the entry's size; bytes past it are scratch.
    pub fn stage(&self, stage: &mut [u8], at: usize) -> usize {
        stage[at..at + MAX_INT_ENC].copy_from_slice(&self.head);
        let mut n = at + self.head_len;
        stage[n..n + self.payload.len()].copy_from_slice(self.payload);
        n += self.payload.len();
        stage[n..n + MAX_BACKLEN].copy_from_slice(&self.back);
        n + self.back_len - at
    }

    /// Writes the entry into `out`, which must be exactly [`Self::total`]
    /// bytes long.
    pub fn write(&self, out: &mut [u8]) {
        let (head, rest) = out.split_at_mut(self.head_len);
        head.copy_from_slice(&self.head[..self.head_len]);
        let (payload, back) = rest.split_at_mut(self.payload.len());
        payload.copy_from_slice(self.payload);
        back.copy_from_slice(&self.back[..self.back_len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_bytes(p: &Prepared<'_>) -> Vec<u8> {
        let mut out = vec![0; p.total()];
        p.write(&mut out);
        out
    }

    #[test]
    fn integer_encodings_pick_the_smallest_width() {
        let cases: &[(i64, usize)] = &[
            (0, 1),
            (127, 1),
            (128, 2),
            (-1, 2),
            (4095, 2),
            (-4096, 2),
            (4096, 3),
            (-4097, 3),
            (32767, 3),
            (-32768, 3),
            (32768, 4),
            (8_388_607, 4),
            (-8_388_608, 4),
            (8_388_608, 5),
            (i32::MAX as i64, 5),
            (i32::MIN as i64, 5),
            (i32::MAX as i64 + 1, 9),
            (i64::MAX, 9),
            (i64::MIN, 9),
        ];
        for &(v, enc) in cases {
            let p = Prepared::from_int(v);
            let bytes = entry_bytes(&p);
            assert_eq!(bytes.len(), enc + 1, "{v}");
            assert_eq!(encoded_size(&bytes), Some(enc), "{v}");
            assert_eq!(read(&bytes), (LpEntry::Int(v), enc), "{v}");
            assert_eq!(bytes[enc] as usize, enc, "backlen of {v}");
        }
    }

    #[test]
    fn known_byte_layouts() {
        assert_eq!(entry_bytes(&Prepared::from_int(1)), [0x01, 0x01]);
        assert_eq!(entry_bytes(&Prepared::from_int(-1)), [0xDF, 0xFF, 0x02]);
        assert_eq!(entry_bytes(&Prepared::from_int(1000)), [0xC3, 0xE8, 0x02]);
        assert_eq!(
            entry_bytes(&Prepared::from_int(-32768)),
            [0xF1, 0x00, 0x80, 0x03]
        );
        assert_eq!(
            entry_bytes(&Prepared::from_bytes(b"ab")),
            [0x82, b'a', b'b', 0x03]
        );
        assert_eq!(entry_bytes(&Prepared::from_bytes(b"")), [0x80, 0x01]);
        // "007" is not canonical, so it stays a string.
        assert_eq!(
            entry_bytes(&Prepared::from_bytes(b"007")),
            [0x83, b'0', b'0', b'7', 0x04]
        );
        assert_eq!(entry_bytes(&Prepared::from_bytes(b"-0"))[0], 0x82);
    }

    #[test]
    fn string_encodings_switch_at_redis_thresholds() {
        for (len, head) in [(63, 1), (64, 2), (4095, 2), (4096, 5), (70_000, 5)] {
            let data = vec![b'x'; len];
            let p = Prepared::from_bytes(&data);
            let bytes = entry_bytes(&p);
            assert_eq!(head_size(bytes[0]), Some(head), "len {len}");
            let encoded = encoded_size(&bytes).unwrap();
            assert_eq!(encoded, head + len);
            assert_eq!(encoded + backlen_size(encoded), bytes.len());
            assert_eq!(read(&bytes), (LpEntry::Str(&data[..]), encoded));
        }
    }

    #[test]
    fn backlen_roundtrips_at_every_boundary() {
        let lens = [
            0,
            1,
            127,
            128,
            16_382,
            16_383,
            16_384,
            2_097_150,
            2_097_151,
            268_435_454,
            268_435_455,
            u32::MAX as usize,
        ];
        for len in lens {
            let mut buf = [0u8; MAX_BACKLEN];
            let n = encode_backlen(len, &mut buf);
            assert_eq!(n, backlen_size(len));
            assert_eq!(buf[0] & 0x80, 0, "first byte has no continuation bit");
            assert_eq!(decode_backlen(&buf, n - 1, 0), Some((len, n)), "{len}");
        }
        assert_eq!(backlen_size(16_383), 3, "Redis's off-by-one threshold");
    }

    #[test]
    fn decode_backlen_stops_at_the_floor() {
        assert_eq!(decode_backlen(&[0x81, 0x81], 1, 1), None);
        assert_eq!(decode_backlen(&[0x81; 6], 5, 0), None);
    }

    #[test]
    fn invalid_first_bytes_have_no_shape() {
        for b in 0xF5..=0xFF {
            assert_eq!(head_size(b), None);
            assert_eq!(encoded_size(&[b, 0, 0, 0, 0]), None);
        }
    }
}
