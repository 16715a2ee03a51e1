//! Writing RDB lengths and strings, choosing the encodings Redis chooses
//! (`rdbSaveLen`, `rdbSaveRawString`) so that payloads match its bytes.
//! Everything writes to an [`RdbOut`]: a `Vec<u8>` for DUMP payloads, or a
//! snapshot's bounded chunk buffer (`chunked.rs`), which hands its bytes
//! on as it fills, so a whole file is never held in memory.

use crate::lzf;
use lodestone_protocol::num::parse_i64;
use std::cell::RefCell;

/// Strings this long or shorter are tried as integers.
const MAX_INT_ENCODABLE: usize = 11;
/// Strings longer than this are tried with LZF when compression is on.
const MIN_COMPRESSIBLE: usize = 20;

/// Special-encoding markers (`0b11xxxxxx`).
const ENC_INT8: u8 = 0xC0;
const ENC_INT16: u8 = 0xC1;
const ENC_INT32: u8 = 0xC2;
const ENC_LZF: u8 = 0xC3;

/// Where RDB bytes are written. Writing cannot fail here: a destination
/// that can (a file) records its error and reports it when the writing
/// ends, so the encoders stay simple and allocation-free.
pub trait RdbOut {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
    /// Appends one byte.
    fn put_byte(&mut self, b: u8);
}

impl RdbOut for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }
}

thread_local! {
    /// The compressor's output, reused from string to string so that a
    /// snapshot does not allocate per value.
    static LZF_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Appends an RDB length: 6-bit, 14-bit, 32-bit or 64-bit big-endian.
pub fn write_len<O: RdbOut + ?Sized>(out: &mut O, n: u64) {
    if n < 1 << 6 {
        out.put_byte(n as u8);
    } else if n < 1 << 14 {
        out.put(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as u64 {
        let b = (n as u32).to_be_bytes();
        out.put(&[0x80, b[0], b[1], b[2], b[3]]);
    } else {
        let mut b = [0x81u8; 9];
        b[1..].copy_from_slice(&n.to_be_bytes());
        out.put(&b);
    }
}

/// Appends `s` as an RDB string: as an integer when it is the canonical
/// text of one that fits 32 bits, LZF-compressed when `compress` is on and
/// that saves at least four bytes, raw otherwise.
pub fn write_string<O: RdbOut + ?Sized>(out: &mut O, s: &[u8], compress: bool) {
    if s.len() <= MAX_INT_ENCODABLE {
        if let Some(v) = parse_i64(s) {
            if write_int(out, v) {
                return;
            }
        }
    }
    if compress && s.len() > MIN_COMPRESSIBLE && write_compressed(out, s) {
        return;
    }
    write_len(out, s.len() as u64);
    out.put(s);
}

/// Appends the integer `v` as an RDB string: in an integer encoding when
/// it fits 32 bits, as its decimal text otherwise (what
/// [`write_string`] makes of that text).
pub fn write_int_string<O: RdbOut + ?Sized>(out: &mut O, v: i64) {
    if !write_int(out, v) {
        let mut buf = itoa::Buffer::new();
        let text = buf.format(v).as_bytes();
        write_len(out, text.len() as u64);
        out.put(text);
    }
}

/// Writes `s` LZF-compressed when that saves at least four bytes (the
/// limit Redis gives `lzf_compress`); false, writing nothing, otherwise.
fn write_compressed<O: RdbOut + ?Sized>(out: &mut O, s: &[u8]) -> bool {
    LZF_OUT.with(|packed| {
        let mut packed = packed.borrow_mut();
        packed.clear();
        if !lzf::compress_into(s, s.len() - 4, &mut packed) {
            return false;
        }
        out.put_byte(ENC_LZF);
        write_len(out, packed.len() as u64);
        write_len(out, s.len() as u64);
        out.put(&packed);
        true
    })
}

/// Appends data that is already LZF-compressed as an RDB string
/// (Redis's `rdbSaveLzfBlob`, for compressed quicklist nodes): the LZF
/// marker, the compressed and original lengths, then the data.
pub fn write_lzf_blob<O: RdbOut + ?Sized>(out: &mut O, data: &[u8], raw_len: usize) {
    out.put_byte(ENC_LZF);
    write_len(out, data.len() as u64);
    write_len(out, raw_len as u64);
    out.put(data);
}

/// Writes `v` in an integer encoding when it fits 32 bits. Strings reach
/// here only when they are an integer's canonical text (`string2ll`
/// accepts nothing else), so reading it back gives the same bytes.
fn write_int<O: RdbOut + ?Sized>(out: &mut O, v: i64) -> bool {
    if let Ok(v) = i8::try_from(v) {
        out.put(&[ENC_INT8, v as u8]);
    } else if let Ok(v) = i16::try_from(v) {
        let b = v.to_le_bytes();
        out.put(&[ENC_INT16, b[0], b[1]]);
    } else if let Ok(v) = i32::try_from(v) {
        let b = v.to_le_bytes();
        out.put(&[ENC_INT32, b[0], b[1], b[2], b[3]]);
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::Reader;

    fn round_trip(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s, compress);
        let mut r = Reader::new(&out);
        let back = r.string().unwrap();
        assert!(r.at_end());
        assert_eq!(back, s);
        out
    }

    #[test]
    fn encodings_match_redis_choices() {
        assert_eq!(round_trip(b"12", true), [ENC_INT8, 12]);
        assert_eq!(round_trip(b"-300", true), [ENC_INT16, 0xD4, 0xFE]);
        assert_eq!(round_trip(b"70000", true)[0], ENC_INT32);
        assert_eq!(round_trip(b"012", true), b"\x03012");
        assert_eq!(round_trip(b"99999999999", true)[0], 11);
        let long = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc";
        assert_eq!(round_trip(long, true)[0], ENC_LZF);
        assert_eq!(round_trip(long, false)[0], long.len() as u8);
        round_trip(&vec![b'x'; 20_000], false);
        round_trip(b"", true);
        // Only an integer's canonical text is integer-encoded.
        for text in [&b"-0"[..], b"+1", b" 1", b"1 ", b"00"] {
            assert_eq!(round_trip(text, true)[0], text.len() as u8);
        }
    }

    #[test]
    fn integers_are_written_as_their_text_would_be() {
        for v in [
            0,
            -1,
            127,
            -128,
            300,
            -32769,
            70000,
            i32::MIN as i64,
            1 << 40,
            i64::MIN,
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            write_int_string(&mut a, v);
            write_string(&mut b, v.to_string().as_bytes(), true);
            assert_eq!(a, b, "{v}");
        }
    }

    #[test]
    fn lengths_use_the_smallest_form() {
        for (n, len) in [(63u64, 1), (64, 2), (16383, 2), (16384, 5), (1 << 32, 9)] {
            let mut out = Vec::new();
            write_len(&mut out, n);
            assert_eq!(out.len(), len);
            assert_eq!(Reader::new(&out).length().unwrap(), n);
        }
    }
}
