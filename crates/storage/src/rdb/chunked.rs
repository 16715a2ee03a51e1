//! A bounded output buffer for snapshots: RDB bytes collect in a buffer
//! of fixed capacity, and each time it fills the bytes are handed to a
//! sink (the server writes them to a file, a socket or a `Vec`) and summed
//! into the CRC-64 on the way. A snapshot of any size then needs only the
//! buffer's memory, and the CRC costs no second pass over the data.
//!
//! No I/O here: the sink is the caller's [`ChunkSink`]. Its first error
//! stops all further output and is kept for the caller, so the encoders
//! that write through [`RdbOut`] never deal with errors.

use super::{crc64_update, RdbOut};
use std::convert::Infallible;

/// Receives a snapshot's bytes, in order, in chunks of any size.
pub trait ChunkSink {
    /// Why a chunk could not be taken.
    type Error;
    /// Takes the next chunk.
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), Self::Error>;
}

/// An in-memory snapshot: the chunks are collected.
impl ChunkSink for Vec<u8> {
    type Error = Infallible;

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), Infallible> {
        self.extend_from_slice(chunk);
        Ok(())
    }
}

/// Default buffer capacity: large enough that handing chunks over costs
/// little (one system call each for a file), small enough to stay in the
/// CPU's caches while it is summed.
pub const DEFAULT_CHUNK: usize = 64 * 1024;

/// Writes that reach this size (relative to the buffer) bypass it, so a
/// huge string is handed over in place instead of copied in pieces.
const BYPASS_DIVISOR: usize = 2;

/// The buffer and its sink.
pub struct ChunkedOut<S: ChunkSink> {
    buf: Vec<u8>,
    limit: usize,
    sink: S,
    /// CRC-64 of everything handed over so far (when `sum` is on).
    crc: u64,
    sum: bool,
    /// Bytes handed over so far (or dropped after a failure).
    flushed: u64,
    /// The sink's first error; nothing is written after it.
    error: Option<S::Error>,
    failed: bool,
}

impl<S: ChunkSink> ChunkedOut<S> {
    /// A buffer of `limit` bytes (at least one) in front of `sink`;
    /// `sum` computes the CRC-64 of the output (off when a file's
    /// checksum is off, as Redis skips it then).
    pub fn new(limit: usize, sum: bool, sink: S) -> Self {
        let limit = limit.max(1);
        ChunkedOut {
            buf: Vec::with_capacity(limit),
            limit,
            sink,
            crc: 0,
            sum,
            flushed: 0,
            error: None,
            failed: false,
        }
    }

    /// Bytes written so far, buffered or handed over.
    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the sink failed (everything since was dropped).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Hands the buffered bytes to the sink and returns the CRC-64 of
    /// everything written so far (0 when summing is off).
    pub fn flush(&mut self) -> u64 {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            self.emit(&buf);
            self.buf = buf;
            self.buf.clear();
        }
        self.crc
    }

    /// Flushes and gives back the sink, or the sink's first error.
    pub fn finish(mut self) -> Result<S, S::Error> {
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.sink),
        }
    }

    /// Sums `bytes` and hands them to the sink, unless it already failed.
    fn emit(&mut self, bytes: &[u8]) {
        self.flushed += bytes.len() as u64;
        if self.failed {
            return;
        }
        if self.sum {
            self.crc = crc64_update(self.crc, bytes);
        }
        if let Err(e) = self.sink.write_chunk(bytes) {
            self.error = Some(e);
            self.failed = true;
        }
    }

    /// A write that does not fit in what is left of the buffer.
    #[cold]
    fn put_slow(&mut self, bytes: &[u8]) {
        self.flush();
        if bytes.len() >= self.limit / BYPASS_DIVISOR {
            self.emit(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

impl<S: ChunkSink> RdbOut for ChunkedOut<S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if bytes.len() <= self.limit - self.buf.len() {
            self.buf.extend_from_slice(bytes);
        } else {
            self.put_slow(bytes);
        }
    }

    #[inline]
    fn put_byte(&mut self, b: u8) {
        if self.buf.len() == self.limit {
            self.flush();
        }
        self.buf.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::crc64;

    /// A sink that records the chunks it gets, failing at the
    /// `fail_at`-th.
    #[derive(Default)]
    struct Recorder {
        bytes: Vec<u8>,
        sizes: Vec<usize>,
        fail_at: Option<usize>,
    }

    impl ChunkSink for Recorder {
        type Error = &'static str;

        fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), &'static str> {
            self.sizes.push(chunk.len());
            if Some(self.sizes.len()) == self.fail_at {
                return Err("disk full");
            }
            self.bytes.extend_from_slice(chunk);
            Ok(())
        }
    }

    /// Writes `pieces` through a buffer of `limit` bytes; returns what the
    /// sink received (and the chunk sizes) and the CRC.
    fn through(limit: usize, pieces: &[&[u8]]) -> (Vec<u8>, Vec<usize>, u64) {
        let mut out = ChunkedOut::new(limit, true, Recorder::default());
        for p in pieces {
            if p.len() == 1 {
                out.put_byte(p[0]);
            } else {
                out.put(p);
            }
        }
        let crc = out.flush();
        assert_eq!(out.len(), got_len(pieces));
        let sink = out.finish().unwrap();
        (sink.bytes, sink.sizes, crc)
    }

    fn got_len(pieces: &[&[u8]]) -> u64 {
        pieces.iter().map(|p| p.len() as u64).sum()
    }

    #[test]
    fn any_chunk_size_gives_the_same_bytes_and_crc() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 13 + i / 7) as u8).collect();
        // Cut the data into irregular pieces: single bytes, short runs,
        // and runs longer than small buffers.
        let mut pieces: Vec<&[u8]> = Vec::new();
        let mut at = 0;
        let mut step = 1;
        while at < data.len() {
            let end = (at + step).min(data.len());
            pieces.push(&data[at..end]);
            at = end;
            step = step * 3 % 257 + 1;
        }
        let want_crc = crc64(&data);
        for limit in [1, 2, 3, 7, 16, 64, 100, 1000, 4096, 1 << 20] {
            let (got, sizes, crc) = through(limit, &pieces);
            assert_eq!(got, data, "limit {limit}");
            assert_eq!(crc, want_crc, "limit {limit}");
            // Buffered chunks never exceed the buffer; only single writes
            // that bypass it may.
            let longest_piece = pieces.iter().map(|p| p.len()).max().unwrap();
            assert!(sizes.iter().all(|&s| s <= limit.max(longest_piece)));
            assert!(sizes.iter().all(|&s| s > 0));
        }
    }

    #[test]
    fn the_first_error_stops_the_output() {
        let sink = Recorder {
            fail_at: Some(2),
            ..Recorder::default()
        };
        let mut out = ChunkedOut::new(4, true, sink);
        for _ in 0..10 {
            out.put(b"abc");
        }
        assert!(out.failed());
        assert_eq!(out.len(), 30);
        assert_eq!(out.finish().err(), Some("disk full"));
    }

    #[test]
    fn summing_off_leaves_the_crc_zero() {
        let mut out = ChunkedOut::new(8, false, Vec::new());
        out.put(b"some bytes that overflow the buffer");
        assert_eq!(out.flush(), 0);
        assert!(!out.is_empty());
    }
}
