//! Writing RDB lengths and strings, choosing the encodings Redis chooses
//! (`rdbSaveLen`, `rdbSaveRawString`) so that payloads match its bytes.

use crate::lzf;

/// Strings this long or shorter are tried as integers.
const MAX_INT_ENCODABLE: usize = 11;
/// Strings longer than this are tried with LZF when compression is on.
const MIN_COMPRESSIBLE: usize = 20;

/// Special-encoding markers (`0b11xxxxxx`).
const ENC_INT8: u8 = 0xC0;
const ENC_INT16: u8 = 0xC1;
const ENC_INT32: u8 = 0xC2;
const ENC_LZF: u8 = 0xC3;

/// Appends an RDB length: 6-bit, 14-bit, 32-bit or 64-bit big-endian.
pub fn write_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends `s` as an RDB string: as an integer when it is the canonical
/// text of one that fits 32 bits, LZF-compressed when `compress` is on and
/// that saves at least four bytes, raw otherwise.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= MAX_INT_ENCODABLE && write_int_encoded(out, s) {
        return;
    }
    if compress && s.len() > MIN_COMPRESSIBLE {
        if let Some(packed) = lzf::compress_bounded(s, s.len() - 4) {
            out.push(ENC_LZF);
            write_len(out, packed.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends data that is already LZF-compressed as an RDB string
/// (Redis's `rdbSaveLzfBlob`, for compressed quicklist nodes): the LZF
/// marker, the compressed and original lengths, then the data.
pub fn write_lzf_blob(out: &mut Vec<u8>, data: &[u8], raw_len: usize) {
    out.push(ENC_LZF);
    write_len(out, data.len() as u64);
    write_len(out, raw_len as u64);
    out.extend_from_slice(data);
}

/// Writes `s` in an integer encoding when it is an integer's canonical
/// text (so reading it back gives the same bytes) within 32 bits.
fn write_int_encoded(out: &mut Vec<u8>, s: &[u8]) -> bool {
    let Some(v) = std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|v| v.to_string().as_bytes() == s)
    else {
        return false;
    };
    if let Ok(v) = i8::try_from(v) {
        out.extend_from_slice(&[ENC_INT8, v as u8]);
    } else if let Ok(v) = i16::try_from(v) {
        out.push(ENC_INT16);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        out.push(ENC_INT32);
        out.extend_from_slice(&v.to_le_bytes());
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
