//! The RDB file as a whole, as Redis 7.2 lays it out: the `REDIS0011`
//! magic, auxiliary fields, function libraries, then each non-empty
//! database (SELECTDB, RESIZEDB, and per key its expire time, LRU/LFU
//! hint, type, name and value), then EOF and the CRC-64 of everything
//! before it (zero when checksums are off).
//!
//! The writer streams: it encodes into a bounded buffer
//! ([`ChunkedOut`]) that hands its bytes to the caller's sink as it
//! fills, summing the CRC-64 on the way, so a snapshot of any size costs
//! the buffer's memory. Values go straight from their stored form into
//! that buffer (`value::encode_body`). No I/O: the sink is a closure, and
//! [`SnapshotWriter::in_memory`] collects the file in a `Vec` for the
//! callers that need its bytes. The reader walks a byte slice.

use super::chunked::{ChunkSink, ChunkedOut, DEFAULT_CHUNK};
use super::value::{encode_body, value_type};
use super::{
    crc64, write_len, write_string, RdbError, RdbOut, Reader, OPCODE_FUNCTION2, RDB_VERSION,
};
pub use crate::keyspace::KeyMeta;
use crate::value::Value;

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

/// Writes an RDB file to `sink`, which receives the file's bytes in
/// order, in chunks of any size. The sink's first error stops
/// the output ([`SnapshotWriter::failed`] turns true, so the caller can
/// stop early) and is returned by [`SnapshotWriter::finish`].
pub struct SnapshotWriter<S: ChunkSink> {
    out: ChunkedOut<S>,
    compress: bool,
    checksum: bool,
}

impl<S: ChunkSink> SnapshotWriter<S> {
    /// A file with the magic and version written, buffered
    /// [`DEFAULT_CHUNK`] bytes at a time; `compress` is `rdbcompression`,
    /// `checksum` is `rdbchecksum` (off: the CRC-64 is not computed and
    /// zero is stored, as Redis does).
    pub fn new(sink: S, compress: bool, checksum: bool) -> Self {
        Self::with_chunk(sink, DEFAULT_CHUNK, compress, checksum)
    }

    /// [`SnapshotWriter::new`] with a buffer of `chunk` bytes.
    pub fn with_chunk(sink: S, chunk: usize, compress: bool, checksum: bool) -> Self {
        let mut out = ChunkedOut::new(chunk, checksum, sink);
        out.put(format!("REDIS{RDB_VERSION:04}").as_bytes());
        SnapshotWriter {
            out,
            compress,
            checksum,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.out.len()
    }

    /// Whether nothing was written (never: the header is there).
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Whether the sink failed: what is written now is dropped, and
    /// [`SnapshotWriter::finish`] returns the error.
    pub fn failed(&self) -> bool {
        self.out.failed()
    }

    /// An auxiliary field (`redis-ver`, `ctime`, ...).
    pub fn aux(&mut self, name: &str, value: &[u8]) {
        self.out.put_byte(OPCODE_AUX);
        write_string(&mut self.out, name.as_bytes(), self.compress);
        write_string(&mut self.out, value, self.compress);
    }

    /// A function library's code.
    pub fn function(&mut self, code: &[u8]) {
        self.out.put_byte(OPCODE_FUNCTION2);
        write_string(&mut self.out, code, self.compress);
    }

    /// Starts database `db` holding `keys` keys, `expires` of them with a
    /// TTL (the sizes are hints for the loader).
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) {
        self.out.put_byte(OPCODE_SELECTDB);
        write_len(&mut self.out, db as u64);
        self.out.put_byte(OPCODE_RESIZEDB);
        write_len(&mut self.out, keys as u64);
        write_len(&mut self.out, expires as u64);
    }

    /// One key: its metadata opcodes, the value's type, the key, then the
    /// value's body, encoded from `value` as stored.
    pub fn key(&mut self, key: &[u8], meta: KeyMeta, value: &Value) {
        if let Some(ms) = meta.expire_ms {
            let mut b = [OPCODE_EXPIRETIME_MS; 9];
            b[1..].copy_from_slice(&ms.to_le_bytes());
            self.out.put(&b);
        }
        if let Some(idle) = meta.idle_secs {
            self.out.put_byte(OPCODE_IDLE);
            write_len(&mut self.out, idle);
        }
        if let Some(freq) = meta.freq {
            self.out.put(&[OPCODE_FREQ, freq]);
        }
        self.out.put_byte(value_type(value));
        write_string(&mut self.out, key, self.compress);
        encode_body(value, &mut self.out, self.compress);
    }

    /// Ends the file (EOF, then the checksum), hands the last bytes to the
    /// sink and returns it, or the sink's first error.
    pub fn finish(mut self) -> Result<S, S::Error> {
        self.out.put_byte(OPCODE_EOF);
        let crc = if self.checksum { self.out.flush() } else { 0 };
        self.out.put(&crc.to_le_bytes());
        self.out.finish()
    }
}

impl SnapshotWriter<Vec<u8>> {
    /// A writer that collects the file in memory, for the callers that
    /// need the bytes themselves (a full resynchronization sends them
    /// after their length); streaming to a sink is the better choice
    /// everywhere else.
    pub fn in_memory(compress: bool, checksum: bool) -> Self {
        SnapshotWriter::new(Vec::new(), compress, checksum)
    }

    /// Ends the in-memory file and returns its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        match self.finish() {
            Ok(bytes) => bytes,
            Err(never) => match never {},
        }
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
    /// The end of the data; the checksum follows ([`SnapshotReader::read_checksum`]).
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
    /// The CRC-64 after the EOF opcode does not match (returned by the
    /// caller that compares [`SnapshotReader::read_checksum`]'s figures).
    Checksum,
    /// A module's data, which Lodestone cannot load.
    Module,
    /// The old pre-GA function format.
    PreGaFunction,
    /// Truncated or corrupt at this byte offset.
    Corrupt(usize, RdbError),
    /// A byte where an opcode or a value type belongs that is neither;
    /// the offset is just after it.
    UnknownType(usize, u8),
}

/// Whether `t` is a value type byte of Redis 7.2 (`rdbIsObjectType`).
fn is_object_type(t: u8) -> bool {
    t <= 7 || (9..=21).contains(&t)
}

impl<'a> SnapshotReader<'a> {
    /// Checks the magic and the version and returns a reader positioned
    /// after the header. The checksum is read after the last item, as
    /// Redis reads it ([`SnapshotReader::read_checksum`]).
    pub fn open(bytes: &'a [u8]) -> Result<SnapshotReader<'a>, SnapshotError> {
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

    /// Called after [`Item::Eof`]: the CRC-64 stored after it (zero when
    /// the writer had checksums off) and the CRC-64 of every byte before
    /// it, or `None` for versions before 5, which have no checksum. The
    /// caller decides whether to compare (`rdbchecksum`).
    pub fn read_checksum(&mut self) -> Result<Option<(u64, u64)>, SnapshotError> {
        if self.version < 5 {
            return Ok(None);
        }
        let at = self.r.offset();
        let computed = crc64(self.r.consumed());
        let b = self.r.take(8).map_err(|e| SnapshotError::Corrupt(at, e))?;
        let mut stored = [0u8; 8];
        stored.copy_from_slice(b);
        Ok(Some((u64::from_le_bytes(stored), computed)))
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
                kind if !is_object_type(kind) => {
                    return Err(SnapshotError::UnknownType(self.r.offset(), kind));
                }
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

    use crate::hash::{Hash, HashLimits};

    fn string_value(s: &[u8]) -> Value {
        Value::string(s)
    }

    #[test]
    fn round_trip() {
        let mut w = SnapshotWriter::in_memory(true, true);
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
        let bytes = w.into_bytes();
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

    /// Reads every item of `bytes` up to EOF, then its checksum.
    fn checksum_of(bytes: &[u8]) -> Option<(u64, u64)> {
        let mut r = SnapshotReader::open(bytes).unwrap();
        loop {
            match r.next_item().unwrap() {
                Item::Eof => return r.read_checksum().unwrap(),
                Item::Key { .. } => {
                    r.values().string().unwrap();
                }
                _ => {}
            }
        }
    }

    #[test]
    fn checksums_are_read_after_eof() {
        let mut w = SnapshotWriter::in_memory(false, true);
        w.select_db(0, 1, 0);
        w.key(b"k", KeyMeta::default(), &string_value(b"v"));
        let mut bytes = w.into_bytes();
        let (stored, computed) = checksum_of(&bytes).unwrap();
        assert_eq!(stored, computed);
        let n = bytes.len();
        bytes[n - 10] ^= 1;
        let (stored, computed) = checksum_of(&bytes).unwrap();
        assert_ne!(stored, computed);
        // Checksums off: zero is stored.
        let w = SnapshotWriter::in_memory(false, false);
        assert_eq!(checksum_of(&w.into_bytes()).unwrap().0, 0);
        // Version 4 files have none.
        assert_eq!(checksum_of(b"REDIS0004\xff"), None);
    }

    #[test]
    fn damaged_files_are_refused() {
        assert!(matches!(
            SnapshotReader::open(b"REDIS0099\xff"),
            Err(SnapshotError::Version(99))
        ));
        assert!(matches!(
            SnapshotReader::open(b"NOTRDB"),
            Err(SnapshotError::BadMagic)
        ));
        let mut r = SnapshotReader::open(b"REDIS0011\x08\x01k").unwrap();
        assert_eq!(r.next_item(), Err(SnapshotError::UnknownType(10, 8)));
        // A cut file reads until the cut.
        let w = SnapshotWriter::in_memory(false, false);
        let bytes = w.into_bytes();
        let mut r = SnapshotReader::open(&bytes[..10]).unwrap();
        assert_eq!(r.next_item().unwrap(), Item::Eof);
        assert!(matches!(
            r.read_checksum(),
            Err(SnapshotError::Corrupt(10, RdbError::Truncated))
        ));
        let mut r = SnapshotReader::open(&bytes[..9]).unwrap();
        assert!(matches!(r.next_item(), Err(SnapshotError::Corrupt(9, _))));
    }

    /// Writes a file with strings (short, integer, compressible, longer
    /// than any buffer below) and a hash through `sink`.
    fn sample<S: ChunkSink>(sink: S, chunk: usize) -> Result<S, S::Error> {
        let mut w = SnapshotWriter::with_chunk(sink, chunk, true, true);
        w.aux("redis-ver", b"7.2.6");
        w.select_db(0, 5, 1);
        let mut hash = Hash::new();
        for i in 0..50 {
            hash.set(format!("f{i}").as_bytes(), b"v", HashLimits::default());
        }
        let big: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let meta = KeyMeta {
            expire_ms: Some(1_900_000_000_000),
            ..KeyMeta::default()
        };
        w.key(b"a", meta, &string_value(b"x"));
        w.key(b"n", KeyMeta::default(), &Value::Int(-123_456_789_012));
        w.key(b"z", KeyMeta::default(), &string_value(&[b'z'; 5000]));
        w.key(b"big", KeyMeta::default(), &string_value(&big));
        w.key(b"h", KeyMeta::default(), &Value::Hash(hash));
        w.finish()
    }

    #[test]
    fn streamed_files_are_the_same_whatever_the_chunk_size() {
        let whole = sample(Vec::new(), 1 << 20).unwrap();
        let (stored, computed) = checksum_of(&whole).unwrap();
        assert_eq!(stored, computed);
        assert_eq!(stored, crate::rdb::crc64(&whole[..whole.len() - 8]));
        for chunk in [1, 2, 5, 9, 64, 333, 4096, DEFAULT_CHUNK] {
            let mut chunks = Chunks::default();
            chunks = sample(chunks, chunk).unwrap();
            assert_eq!(chunks.bytes, whole, "chunk {chunk}");
            assert!(chunks.count > 1);
        }
    }

    #[test]
    fn a_failing_sink_fails_the_file() {
        let mut w = SnapshotWriter::with_chunk(Chunks::failing(), 4, false, true);
        w.select_db(0, 1, 0);
        assert!(w.failed());
        w.key(b"k", KeyMeta::default(), &string_value(&[7; 100]));
        assert_eq!(w.finish().err(), Some(()));
    }

    /// A sink that counts its chunks (and can refuse them).
    #[derive(Default)]
    struct Chunks {
        bytes: Vec<u8>,
        count: usize,
        fail: bool,
    }

    impl Chunks {
        fn failing() -> Chunks {
            Chunks {
                fail: true,
                ..Chunks::default()
            }
        }
    }

    impl ChunkSink for Chunks {
        type Error = ();

        fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), ()> {
            if self.fail {
                return Err(());
            }
            self.bytes.extend_from_slice(chunk);
            self.count += 1;
            Ok(())
        }
    }
}
