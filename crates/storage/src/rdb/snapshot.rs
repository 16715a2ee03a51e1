//! The RDB file as a whole, as Redis 7.2 lays it out: the `REDIS0011`
//! magic, auxiliary fields, function libraries, then each non-empty
//! database (SELECTDB, RESIZEDB, and per key its expire time, LRU/LFU
//! hint, type, name and value), then EOF and the CRC-64 of everything
//! before it (zero when checksums are off).
//!
//! Values are encoded and decoded by the value codec, which this layer
//! receives as closures; it only frames them. No I/O: the writer builds
//! bytes, the reader walks a byte slice.

use super::{crc64, write_len, write_string, RdbError, Reader, OPCODE_FUNCTION2, RDB_VERSION};
pub use crate::keyspace::KeyMeta;

/// Opcodes of the file framing.
const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_EXPIRETIME: u8 = 253;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// Oldest RDB version this reader accepts.
const OLDEST_VERSION: u16 = 1;

/// Builds an RDB file.
pub struct SnapshotWriter {
    out: Vec<u8>,
    compress: bool,
}

impl SnapshotWriter {
    /// A file with the magic and version written; `compress` is
    /// `rdbcompression`.
    pub fn new(compress: bool) -> SnapshotWriter {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
        SnapshotWriter { out, compress }
    }

    /// An auxiliary field (`redis-ver`, `ctime`, ...).
    pub fn aux(&mut self, name: &str, value: &[u8]) {
        self.out.push(OPCODE_AUX);
        write_string(&mut self.out, name.as_bytes(), self.compress);
        write_string(&mut self.out, value, self.compress);
    }

    /// A function library's code.
    pub fn function(&mut self, code: &[u8]) {
        self.out.push(OPCODE_FUNCTION2);
        write_string(&mut self.out, code, self.compress);
    }

    /// Starts database `db` holding `keys` keys, `expires` of them with a
    /// TTL (the sizes are hints for the loader).
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) {
        self.out.push(OPCODE_SELECTDB);
        write_len(&mut self.out, db as u64);
        self.out.push(OPCODE_RESIZEDB);
        write_len(&mut self.out, keys as u64);
        write_len(&mut self.out, expires as u64);
    }

    /// One key. `encoded` is the value as the codec writes it for DUMP:
    /// its type byte, then its body; the key goes between the two.
    pub fn key(&mut self, key: &[u8], meta: KeyMeta, encoded: &[u8]) {
        let Some((&kind, body)) = encoded.split_first() else {
            return;
        };
        if let Some(ms) = meta.expire_ms {
            self.out.push(OPCODE_EXPIRETIME_MS);
            self.out.extend_from_slice(&ms.to_le_bytes());
        }
        if let Some(idle) = meta.idle_secs {
            self.out.push(OPCODE_IDLE);
            write_len(&mut self.out, idle);
        }
        if let Some(freq) = meta.freq {
            self.out.extend_from_slice(&[OPCODE_FREQ, freq]);
        }
        self.out.push(kind);
        write_string(&mut self.out, key, self.compress);
        self.out.extend_from_slice(body);
    }

    /// Ends the file: EOF and the checksum (`rdbchecksum`; zero when off).
    pub fn finish(mut self, checksum: bool) -> Vec<u8> {
        self.out.push(OPCODE_EOF);
        let crc = if checksum { crc64(&self.out) } else { 0 };
        self.out.extend_from_slice(&crc.to_le_bytes());
        self.out
    }
}

/// One item of an RDB file, in file order.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// An auxiliary field.
    Aux(Vec<u8>, Vec<u8>),
    /// A function library's code.
    Function(Vec<u8>),
    /// The following keys belong to this database.
    SelectDb(usize),
    /// Size hints for the current database.
    ResizeDb(u64, u64),
    /// A key; the reader is positioned at its value, which the caller
    /// must decode (with the type byte given here) before the next item.
    Key {
        /// The RDB type byte of the value.
        kind: u8,
        /// The key.
        key: Vec<u8>,
        /// Expire time, idle time and frequency given before it.
        meta: KeyMeta,
    },
    /// The end of the file (the checksum was verified on open).
    Eof,
}

/// Walks an RDB file.
pub struct SnapshotReader<'a> {
    r: Reader<'a>,
    version: u16,
}

/// Why a file was refused, beyond a malformed read.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// Not an RDB file.
    BadMagic,
    /// A version newer than this server writes, or invalid.
    Version(u16),
    /// The trailing CRC-64 does not match.
    Checksum,
    /// A module's data, which Lodestone cannot load.
    Module,
    /// The old pre-GA function format.
    PreGaFunction,
    /// Truncated or corrupt at this byte offset.
    Corrupt(usize, RdbError),
}

impl<'a> SnapshotReader<'a> {
    /// Checks the magic, the version and (when non-zero) the checksum, and
    /// returns a reader positioned after the header.
    pub fn open(bytes: &'a [u8]) -> Result<SnapshotReader<'a>, SnapshotError> {
        let r = SnapshotReader::open_unverified(bytes)?;
        // Version 5 and later end with a CRC-64 after the EOF opcode.
        if r.version >= 5 && bytes.len() >= 18 {
            let (body, tail) = bytes.split_at(bytes.len() - 8);
            let mut stored = [0u8; 8];
            stored.copy_from_slice(tail);
            let stored = u64::from_le_bytes(stored);
            if stored != 0 && stored != crc64(body) {
                return Err(SnapshotError::Checksum);
            }
        }
        Ok(r)
    }

    /// [`Self::open`] without the checksum check, for bytes that go on
    /// after the snapshot (an old-style append-only file: an RDB preamble
    /// followed by commands), to find where it ends.
    pub fn open_unverified(bytes: &'a [u8]) -> Result<SnapshotReader<'a>, SnapshotError> {
        if bytes.len() < 9 || &bytes[..5] != b"REDIS" {
            return Err(SnapshotError::BadMagic);
        }
        let version = std::str::from_utf8(&bytes[5..9])
            .ok()
            .and_then(|v| v.parse::<u16>().ok())
            .ok_or(SnapshotError::BadMagic)?;
        if !(OLDEST_VERSION..=RDB_VERSION).contains(&version) {
            return Err(SnapshotError::Version(version));
        }
        let mut r = Reader::new(bytes);
        for _ in 0..9 {
            r.u8().map_err(|e| SnapshotError::Corrupt(0, e))?;
        }
        Ok(SnapshotReader { r, version })
    }

    /// The file's RDB version.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The reader, for the value codec to read a key's value.
    pub fn values(&mut self) -> &mut Reader<'a> {
        &mut self.r
    }

    /// Byte offset reached, for error reports.
    pub fn offset(&self) -> usize {
        self.r.offset()
    }

    /// The next item.
    pub fn next_item(&mut self) -> Result<Item, SnapshotError> {
        let at = self.r.offset();
        let corrupt = |e| SnapshotError::Corrupt(at, e);
        let mut meta = KeyMeta::default();
        loop {
            let op = self.r.u8().map_err(corrupt)?;
            match op {
                OPCODE_EOF => return Ok(Item::Eof),
                OPCODE_AUX => {
                    let name = self.r.string().map_err(corrupt)?;
                    let value = self.r.string().map_err(corrupt)?;
                    return Ok(Item::Aux(name, value));
                }
                OPCODE_FUNCTION2 => {
                    return Ok(Item::Function(self.r.string().map_err(corrupt)?));
                }
                super::OPCODE_FUNCTION_PRE_GA => return Err(SnapshotError::PreGaFunction),
                OPCODE_MODULE_AUX => return Err(SnapshotError::Module),
                OPCODE_SELECTDB => {
                    let db = self.r.length().map_err(corrupt)?;
                    let db = usize::try_from(db).map_err(|_| corrupt(RdbError::Corrupt))?;
                    return Ok(Item::SelectDb(db));
                }
                OPCODE_RESIZEDB => {
                    let keys = self.r.length().map_err(corrupt)?;
                    let expires = self.r.length().map_err(corrupt)?;
                    return Ok(Item::ResizeDb(keys, expires));
                }
                OPCODE_EXPIRETIME_MS => {
                    let b = self.r.take(8).map_err(corrupt)?;
                    let mut ms = [0u8; 8];
                    ms.copy_from_slice(b);
                    meta.expire_ms = Some(i64::from_le_bytes(ms));
                }
                OPCODE_EXPIRETIME => {
                    let b = self.r.take(4).map_err(corrupt)?;
                    let secs = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    meta.expire_ms = Some(i64::from(secs) * 1000);
                }
                OPCODE_IDLE => meta.idle_secs = Some(self.r.length().map_err(corrupt)?),
                OPCODE_FREQ => meta.freq = Some(self.r.u8().map_err(corrupt)?),
                kind => {
                    let key = self.r.string().map_err(corrupt)?;
                    return Ok(Item::Key { kind, key, meta });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A string value as the codec encodes it: type 0 and an RDB string.
    fn string_value(s: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8];
        write_string(&mut v, s, true);
        v
    }

    #[test]
    fn round_trip() {
        let mut w = SnapshotWriter::new(true);
        w.aux("redis-ver", b"7.2.6");
        w.aux("ctime", b"1700000000");
        w.function(b"#!lua name=lib\nredis.register_function('f', function() end)");
        w.select_db(3, 2, 1);
        let meta = KeyMeta {
            expire_ms: Some(1_900_000_000_000),
            idle_secs: Some(5),
            freq: None,
        };
        w.key(b"k1", meta, &string_value(b"hello"));
        w.key(b"12", KeyMeta::default(), &string_value(b"world"));
        let bytes = w.finish(true);
        assert_eq!(&bytes[..9], b"REDIS0011");

        let mut r = SnapshotReader::open(&bytes).unwrap();
        assert_eq!(r.version(), 11);
        assert_eq!(
            r.next_item().unwrap(),
            Item::Aux(b"redis-ver".to_vec(), b"7.2.6".to_vec())
        );
        assert_eq!(
            r.next_item().unwrap(),
            Item::Aux(b"ctime".to_vec(), b"1700000000".to_vec())
        );
        assert!(matches!(r.next_item().unwrap(), Item::Function(_)));
        assert_eq!(r.next_item().unwrap(), Item::SelectDb(3));
        assert_eq!(r.next_item().unwrap(), Item::ResizeDb(2, 1));
        let Item::Key { kind, key, meta: m } = r.next_item().unwrap() else {
            panic!("expected a key");
        };
        assert_eq!((kind, key.as_slice(), m), (0, &b"k1"[..], meta));
        assert_eq!(r.values().string().unwrap(), b"hello");
        let Item::Key { key, .. } = r.next_item().unwrap() else {
            panic!("expected a key");
        };
        assert_eq!(key, b"12");
        assert_eq!(r.values().string().unwrap(), b"world");
        assert_eq!(r.next_item().unwrap(), Item::Eof);
    }

    #[test]
    fn damaged_files_are_refused() {
        let mut w = SnapshotWriter::new(false);
        w.select_db(0, 1, 0);
        w.key(b"k", KeyMeta::default(), &string_value(b"v"));
        let mut bytes = w.finish(true);
        let n = bytes.len();
        bytes[n - 12] ^= 1;
        assert!(matches!(
            SnapshotReader::open(&bytes),
            Err(SnapshotError::Checksum)
        ));
        assert!(matches!(
            SnapshotReader::open(b"REDIS0099\xff"),
            Err(SnapshotError::Version(99))
        ));
        assert!(matches!(
            SnapshotReader::open(b"NOTRDB"),
            Err(SnapshotError::BadMagic)
        ));
        // Without a checksum, a cut file reads until the cut.
        let w = SnapshotWriter::new(false);
        let bytes = w.finish(false);
        let mut r = SnapshotReader::open(&bytes[..10]).unwrap();
        assert_eq!(r.next_item().unwrap(), Item::Eof);
        let mut r = SnapshotReader::open(&bytes[..9]).unwrap();
        assert!(matches!(r.next_item(), Err(SnapshotError::Corrupt(9, _))));
    }
}
