//! Reading RDB lengths and strings from untrusted bytes. Every read is
//! bounds-checked and every claimed length is checked against the bytes
//! that are actually there before anything is allocated, so a corrupt or
//! hostile payload is an error, never a panic or a huge allocation.

use crate::lzf;

/// Why a read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdbError {
    /// The data ended before the value did.
    Truncated,
    /// A length or encoding that makes no sense.
    Corrupt,
    /// A well-formed value of a type this server cannot load (module
    /// values).
    Unsupported,
}

/// A cursor over RDB-encoded bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A length or the marker of a specially encoded string.
enum Len {
    Plain(u64),
    Special(u8),
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Whether every byte was consumed.
    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Bytes read so far (the offset of the next read).
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The bytes read so far (what a checksum covers).
    pub fn consumed(&self) -> &'a [u8] {
        &self.bytes[..self.pos]
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() {
            return Err(RdbError::Truncated);
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// One byte (an opcode or a type).
    pub fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.take(1)?[0])
    }

    fn raw_len(&mut self) -> Result<Len, RdbError> {
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => Len::Plain((first & 0x3F) as u64),
            1 => Len::Plain((((first & 0x3F) as u64) << 8) | self.u8()? as u64),
            2 if first == 0x80 => {
                let b = self.take(4)?;
                Len::Plain(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64)
            }
            2 if first == 0x81 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8)?);
                Len::Plain(u64::from_be_bytes(b))
            }
            2 => return Err(RdbError::Corrupt),
            _ => Len::Special(first & 0x3F),
        })
    }

    /// A plain length (a special string marker here is corruption).
    pub fn length(&mut self) -> Result<u64, RdbError> {
        match self.raw_len()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(RdbError::Corrupt),
        }
    }

    /// A count of items that each take at least `min_bytes` bytes, refused
    /// when the unread bytes cannot hold that many: what makes it safe to
    /// size a collection from it.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, RdbError> {
        let n = self.length()?;
        if n > (self.remaining() / min_bytes.max(1)) as u64 {
            return Err(RdbError::Truncated);
        }
        Ok(n as usize)
    }

    /// A double in binary form: eight little-endian bytes
    /// (`RDB_TYPE_ZSET_2` scores).
    pub fn binary_double(&mut self) -> Result<f64, RdbError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(b))
    }

    /// A double in the old text form (`RDB_TYPE_ZSET` scores): a length
    /// byte, with 253, 254 and 255 standing for NaN, +inf and -inf, then
    /// that many bytes of decimal text.
    pub fn text_double(&mut self) -> Result<f64, RdbError> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => std::str::from_utf8(self.take(n as usize)?)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(RdbError::Corrupt),
        }
    }

    /// A length that must fit in the unread bytes times `max_per_byte`
    /// (used before allocating for it).
    fn bounded_len(&mut self, max_per_byte: usize) -> Result<usize, RdbError> {
        let n = self.length()?;
        let cap = self.remaining().saturating_mul(max_per_byte) as u64;
        if n > cap {
            return Err(RdbError::Truncated);
        }
        Ok(n as usize)
    }

    /// A string in any of its encodings, as its bytes (integers as their
    /// decimal text, LZF strings decompressed).
    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        match self.raw_len()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| RdbError::Truncated)?;
                Ok(self.take(n)?.to_vec())
            }
            Len::Special(0) => Ok((self.u8()? as i8).to_string().into_bytes()),
            Len::Special(1) => {
                let b = self.take(2)?;
                Ok(i16::from_le_bytes([b[0], b[1]]).to_string().into_bytes())
            }
            Len::Special(2) => {
                let b = self.take(4)?;
                Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    .to_string()
                    .into_bytes())
            }
            Len::Special(3) => {
                let clen = self.bounded_len(1)?;
                // `lzf::decompress` refuses lengths `clen` bytes cannot
                // expand to before allocating.
                let len = self.length()?;
                let compressed = self.take(clen)?;
                let len = usize::try_from(len).map_err(|_| RdbError::Corrupt)?;
                if len == 0 {
                    return Err(RdbError::Corrupt);
                }
                lzf::decompress(compressed, len).ok_or(RdbError::Corrupt)
            }
            Len::Special(_) => Err(RdbError::Corrupt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_lengths_are_refused_without_allocating() {
        // A raw string claiming 4 GB with three bytes behind it.
        assert_eq!(
            Reader::new(b"\x80\xff\xff\xff\xffabc").string(),
            Err(RdbError::Truncated)
        );
        // LZF claiming a huge expansion of a tiny input.
        assert_eq!(
            Reader::new(b"\xc3\x01\x80\x7f\xff\xff\xff\x00").string(),
            Err(RdbError::Corrupt)
        );
        assert_eq!(Reader::new(b"\xc7").string(), Err(RdbError::Corrupt));
        assert_eq!(Reader::new(b"").u8(), Err(RdbError::Truncated));
        assert_eq!(Reader::new(b"\x82").length(), Err(RdbError::Corrupt));
        // A count of a billion items over four bytes.
        assert_eq!(
            Reader::new(b"\x80\x40\x00\x00\x00abcd").count(1),
            Err(RdbError::Truncated)
        );
        assert_eq!(Reader::new(b"\x02ab").count(1), Ok(2));
        assert_eq!(Reader::new(b"\x02ab").count(2), Err(RdbError::Truncated));
    }

    #[test]
    fn doubles_in_both_forms() {
        let bytes = 1.5f64.to_le_bytes();
        assert_eq!(Reader::new(&bytes).binary_double(), Ok(1.5));
        assert_eq!(Reader::new(b"\x031.5").text_double(), Ok(1.5));
        assert!(Reader::new(b"\xfd").text_double().unwrap().is_nan());
        assert_eq!(Reader::new(b"\xfe").text_double(), Ok(f64::INFINITY));
        assert_eq!(Reader::new(b"\xff").text_double(), Ok(f64::NEG_INFINITY));
        assert_eq!(Reader::new(b"\x02x1").text_double(), Err(RdbError::Corrupt));
        assert_eq!(Reader::new(b"\x05").text_double(), Err(RdbError::Truncated));
    }
}
