//! HyperLogLog: a cardinality estimator stored in a plain string, in
//! Redis's exact format so HLLs move freely between Redis and Lodestone
//! (GET/SET of the bytes, DUMP/RESTORE, replication) and PFCOUNT answers
//! the same numbers.
//!
//! Layout: a 16-byte [`header`] (magic `HYLL`, encoding, cached
//! cardinality), then 16384 six-bit registers, either [`dense`]ly packed
//! (12288 bytes) or run-length encoded ([`sparse`]). An element hashes
//! ([`murmur`]) to a register and a value; the register keeps the largest
//! value it has seen; the count is estimated from the histogram of
//! register values ([`estimate`]).
//!
//! New HLLs are sparse; one becomes dense when a register needs a value
//! above 32 or the string would grow past `hll-sparse-max-bytes`, and
//! never goes back.
//!
//! Strings reach these functions from clients, so nothing here trusts
//! them: callers [`header::check`] a string first (Redis's "not a valid
//! HyperLogLog" error) and the sparse decoders report [`Corrupt`]
//! (Redis's `INVALIDOBJ`) instead of reading past the registers. No I/O.

pub mod dense;
pub mod estimate;
pub mod header;
pub mod murmur;
pub mod selftest;
pub mod sparse;
mod sparse_set;

use sparse_set::Raised;

/// Bits of the hash that select a register.
pub const INDEX_BITS: u32 = 14;
/// Number of registers.
pub const REGISTERS: usize = 1 << INDEX_BITS;
/// Largest value a six-bit register holds.
pub const REGISTER_MAX: u8 = 63;
/// Bytes of the header.
pub const HEADER_LEN: usize = 16;
/// Exact length of a dense HLL string.
pub const DENSE_LEN: usize = HEADER_LEN + dense::DENSE_BYTES;
/// Default of `hll-sparse-max-bytes`.
pub const DEFAULT_SPARSE_MAX_BYTES: usize = 3000;

/// How the registers are stored (the header's encoding byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Encoding {
    /// Packed six-bit registers.
    Dense = 0,
    /// Run-length encoded registers.
    Sparse = 1,
}

impl Encoding {
    /// The name PFDEBUG ENCODING replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The string is not an HLL: too short, wrong magic, unknown encoding, or
/// a dense HLL of the wrong length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHll;

/// The sparse registers of an HLL do not decode to exactly 16384
/// registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// A new, empty HLL (sparse), as PFADD and PFMERGE create it.
pub fn new_sparse() -> Vec<u8> {
    let body = sparse::empty_body();
    let mut buf = vec![0u8; HEADER_LEN];
    header::write_new(&mut buf, Encoding::Sparse);
    buf.extend_from_slice(&body);
    buf
}

/// Adds `element`; true when a register changed (the estimate may have
/// changed). A sparse HLL may become dense on the way.
pub fn add(buf: &mut Vec<u8>, element: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, count) = murmur::register_and_count(element);
    raise(buf, index, count, sparse_max)
}

/// Raises register `index` to `count` when it is lower; true when it
/// changed.
fn raise(buf: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
    match header::check(buf).map_err(|_| Corrupt)? {
        Encoding::Dense => Ok(dense::raise(&mut buf[HEADER_LEN..], index, count)),
        Encoding::Sparse => match sparse_set::raise(buf, index, count, sparse_max)? {
            Raised::Unchanged => Ok(false),
            Raised::Updated => Ok(true),
            Raised::NeedsDense => {
                to_dense(buf)?;
                Ok(dense::raise(&mut buf[HEADER_LEN..], index, count))
            }
        },
    }
}

/// Converts a sparse HLL to dense, keeping the rest of the header (the
/// cached cardinality included); true when it was sparse.
pub fn to_dense(buf: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if header::check(buf).map_err(|_| Corrupt)? == Encoding::Dense {
        return Ok(false);
    }
    let regs = sparse::to_dense_registers(&buf[HEADER_LEN..])?;
    let mut out = Vec::with_capacity(DENSE_LEN);
    out.extend_from_slice(&buf[..HEADER_LEN]);
    header::set_encoding(&mut out, Encoding::Dense);
    out.extend_from_slice(&regs);
    *buf = out;
    Ok(true)
}

/// How many registers hold each value.
fn histogram(bytes: &[u8]) -> Result<[u32; 64], Corrupt> {
    match header::check(bytes).map_err(|_| Corrupt)? {
        Encoding::Dense => Ok(dense::histogram(&bytes[HEADER_LEN..])),
        Encoding::Sparse => sparse::histogram(&bytes[HEADER_LEN..]),
    }
}

/// The estimated cardinality, computed from the registers (the cached
/// value is neither read nor written).
pub fn count(bytes: &[u8]) -> Result<u64, Corrupt> {
    histogram(bytes).map(|hist| estimate::estimate(&hist))
}

/// Folds the HLL into `max` (one byte per register), keeping the larger
/// value of each register; returns its encoding.
pub fn merge_into(max: &mut [u8; REGISTERS], bytes: &[u8]) -> Result<Encoding, Corrupt> {
    let encoding = header::check(bytes).map_err(|_| Corrupt)?;
    match encoding {
        Encoding::Dense => dense::merge_into(max, &bytes[HEADER_LEN..]),
        Encoding::Sparse => sparse::merge_into(max, &bytes[HEADER_LEN..])?,
    }
    Ok(encoding)
}

/// The estimated cardinality of registers held one per byte (the union
/// PFCOUNT builds for several keys).
pub fn count_registers(max: &[u8; REGISTERS]) -> u64 {
    let mut hist = [0u32; 64];
    for &v in max {
        hist[(v & REGISTER_MAX) as usize] += 1;
    }
    estimate::estimate(&hist)
}

/// Raises every register of `buf` to the value in `max` (PFMERGE's
/// write), register by register in order as Redis does, so a sparse
/// result has Redis's exact bytes and becomes dense at the same point.
/// Leaves the cached cardinality stale.
pub fn raise_all(
    buf: &mut Vec<u8>,
    max: &[u8; REGISTERS],
    sparse_max: usize,
) -> Result<(), Corrupt> {
    for (index, &value) in max.iter().enumerate() {
        if value != 0 {
            raise(buf, index, value, sparse_max)?;
        }
    }
    header::invalidate_cache(buf);
    Ok(())
}

/// Every register's value, one per byte (PFDEBUG GETREG).
pub fn registers(bytes: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut max = [0u8; REGISTERS];
    merge_into(&mut max, bytes)?;
    Ok(max.to_vec())
}

#[cfg(test)]
mod tests;
