//! Raising one register of a sparse HLL in place.
//!
//! The update must produce exactly the bytes Redis produces (GET of an
//! HLL is compared byte for byte, and replicas or RDB files move these
//! strings between the two), so it follows the same steps: find the
//! opcode covering the register; rewrite a one-register opcode in place or
//! split a longer one into at most three (zeros / VAL / zeros, or VAL /
//! VAL / VAL); then merge adjacent VAL opcodes of equal value, looking at
//! up to five opcodes from the one before the change. When the new value
//! does not fit a VAL opcode (above 32) or the string would grow past
//! `hll-sparse-max-bytes`, the caller converts to dense instead.

use super::header;
use super::sparse::{Op, VAL_MAX_RUN, VAL_MAX_VALUE};
use super::{Corrupt, HEADER_LEN};

/// What raising a sparse register did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Raised {
    /// The register already held at least the value.
    Unchanged,
    /// The register was raised (the cached cardinality is now stale).
    Updated,
    /// The HLL must become dense first; nothing was changed.
    NeedsDense,
}

/// Raises register `index` of the sparse HLL `buf` (header included) to
/// `count` when it is lower. `Err(Corrupt)` when no opcode covers the
/// register.
pub(crate) fn raise(
    buf: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<Raised, Corrupt> {
    if count > VAL_MAX_VALUE {
        return Ok(Raised::NeedsDense);
    }
    reserve_like_redis(buf, max_bytes);
    let end = buf.len();
    let (mut pos, mut first, mut prev) = (HEADER_LEN, 0usize, None);
    let op = loop {
        if pos >= end {
            return Err(Corrupt);
        }
        let op = Op::read(buf, pos);
        if index < first + op.run() {
            break op;
        }
        prev = Some(pos);
        pos += op.size();
        first += op.run();
    };
    match op {
        Op::Val { value, .. } if value >= count => return Ok(Raised::Unchanged),
        Op::Val { run: 1, .. } | Op::Zero(1) => buf[pos] = Op::val_byte(count, 1),
        _ => {
            let seq = split(op, index - first, count);
            let grow = seq.len() as isize - op.size() as isize;
            if grow > 0 && end + grow as usize > max_bytes {
                return Ok(Raised::NeedsDense);
            }
            let old_end = (pos + op.size()).min(end);
            buf.splice(pos..old_end, seq);
            // An XZERO cut off at the end of the string counted a byte the
            // string does not have: the result is one byte shorter, as in
            // Redis.
            buf.truncate(end.saturating_add_signed(grow));
        }
    }
    merge_neighbours(buf, prev.unwrap_or(HEADER_LEN));
    header::invalidate_cache(buf);
    Ok(Raised::Updated)
}

/// The opcodes replacing `op` when the register at `offset` in its run
/// becomes `count`: the part before (if any), one VAL, the part after (if
/// any).
fn split(op: Op, offset: usize, count: u8) -> Vec<u8> {
    let run = op.run();
    let after = run - 1 - offset;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Val { value, .. } => {
            if offset > 0 {
                seq.push(Op::val_byte(value, offset));
            }
            seq.push(Op::val_byte(count, 1));
            if after > 0 {
                seq.push(Op::val_byte(value, after));
            }
        }
        Op::Zero(_) | Op::XZero(_) => {
            if offset > 0 {
                Op::push_zeros(&mut seq, offset);
            }
            seq.push(Op::val_byte(count, 1));
            if after > 0 {
                Op::push_zeros(&mut seq, after);
            }
        }
    }
    seq
}

/// Joins adjacent VAL opcodes of the same value whose runs fit one
/// opcode, scanning at most five opcodes from `pos`.
fn merge_neighbours(buf: &mut Vec<u8>, mut pos: usize) {
    let mut budget = 5;
    while pos < buf.len() && budget > 0 {
        budget -= 1;
        let op = Op::read(buf, pos);
        let Op::Val { value, run } = op else {
            pos += op.size();
            continue;
        };
        if pos + 1 < buf.len() {
            if let Op::Val {
                value: next_value,
                run: next_run,
            } = Op::read(buf, pos + 1)
            {
                if next_value == value && run + next_run <= VAL_MAX_RUN {
                    buf[pos + 1] = Op::val_byte(value, run + next_run);
                    buf.remove(pos);
                    // Try again with the merged opcode.
                    continue;
                }
            }
        }
        pos += 1;
    }
}

/// Grows the buffer's capacity the way Redis grows the string before an
/// update (at least 3 spare bytes, doubling up to 300 extra, never beyond
/// `hll-sparse-max-bytes`), so memory use matches.
fn reserve_like_redis(buf: &mut Vec<u8>, max_bytes: usize) {
    if buf.capacity() < max_bytes && buf.capacity() - buf.len() < 3 {
        let wanted = buf.len() + 3;
        let target = (wanted + wanted.min(300)).min(max_bytes);
        buf.reserve_exact(target.saturating_sub(buf.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{new_sparse, sparse};
    use super::*;

    fn body(buf: &[u8]) -> String {
        sparse::decode_text(&buf[HEADER_LEN..])
    }

    #[test]
    fn splits_and_merges_like_redis() {
        let mut h = new_sparse();
        assert_eq!(raise(&mut h, 1000, 2, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "Z:1000 v:2,1 Z:15383");
        assert_eq!(raise(&mut h, 1000, 2, 3000), Ok(Raised::Unchanged));
        assert_eq!(raise(&mut h, 1001, 2, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "Z:1000 v:2,2 Z:15382");
        assert_eq!(raise(&mut h, 1003, 2, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "Z:1000 v:2,2 z:1 v:2,1 Z:15380");
        // A one-register ZERO becomes a VAL and merges both ways.
        assert_eq!(raise(&mut h, 1002, 2, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "Z:1000 v:2,4 Z:15380");
        // Raising inside a VAL run splits it.
        assert_eq!(raise(&mut h, 1001, 5, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "Z:1000 v:2,1 v:5,1 v:2,2 Z:15380");
        assert_eq!(raise(&mut h, 0, 1, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "v:1,1 Z:999 v:2,1 v:5,1 v:2,2 Z:15380");
        assert_eq!(raise(&mut h, 16383, 1, 3000), Ok(Raised::Updated));
        assert!(body(&h).ends_with("Z:15379 v:1,1"));
        assert_eq!(header::cached_cardinality(&h), None);
    }

    #[test]
    fn asks_for_dense_when_needed() {
        let mut h = new_sparse();
        assert_eq!(raise(&mut h, 5, 33, 3000), Ok(Raised::NeedsDense));
        // Splitting the XZERO into z:5 v:1,1 Z:16378 grows the string by 2.
        assert_eq!(raise(&mut h, 5, 1, 19), Ok(Raised::NeedsDense));
        assert_eq!(body(&h), "Z:16384");
        assert_eq!(raise(&mut h, 5, 1, 20), Ok(Raised::Updated));
        assert_eq!(h.len(), 20);
        assert_eq!(body(&h), "z:5 v:1,1 Z:16378");
    }

    #[test]
    fn uncovered_registers_are_corrupt() {
        let mut h = new_sparse();
        h.truncate(HEADER_LEN);
        assert_eq!(raise(&mut h, 0, 1, 3000), Err(Corrupt));
        h.push(0x3f); // z:64
        assert_eq!(raise(&mut h, 64, 1, 3000), Err(Corrupt));
        assert_eq!(raise(&mut h, 63, 1, 3000), Ok(Raised::Updated));
        assert_eq!(body(&h), "z:63 v:1,1");
    }
}
