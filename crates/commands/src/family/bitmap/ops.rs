//! Bit kernels over byte strings for BITCOUNT, BITPOS and BITOP.
//!
//! Bits are numbered as Redis numbers them: bit 0 is the most significant
//! bit of byte 0. Strings can reach `proto-max-bulk-len` (512 MB by
//! default), so every loop over a whole range works on 64-bit words and
//! touches single bytes only at the ends.

/// A bitwise operation of BITOP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    /// Bits set in every source.
    And,
    /// Bits set in any source.
    Or,
    /// Bits set in an odd number of sources.
    Xor,
    /// The complement of the single source.
    Not,
}

/// The bits of a byte that come before bit `i` (0..8) of it.
fn bits_before(i: u64) -> u8 {
    !(0xFF >> i)
}

/// The bits of a byte that come after bit `i` (0..8) of it.
fn bits_after(i: u64) -> u8 {
    0x7F >> i
}

/// Number of set bits in `bytes`, counted a word at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let (words, rest) = bytes.as_chunks::<8>();
    let in_words: u64 = words
        .iter()
        .map(|w| u64::from(u64::from_ne_bytes(*w).count_ones()))
        .sum();
    let in_rest: u64 = rest.iter().map(|b| u64::from(b.count_ones())).sum();
    in_words + in_rest
}

/// Number of set bits from bit `first` to bit `last` (both included) of
/// `bytes`; `first <= last` and `last` is inside `bytes`.
pub fn count_range(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let whole = popcount(&bytes[fb..=lb]);
    let head = (bytes[fb] & bits_before(first & 7)).count_ones();
    let tail = (bytes[lb] & bits_after(last & 7)).count_ones();
    whole - u64::from(head) - u64::from(tail)
}

/// Position of the first bit equal to `bit` from bit `first` to bit
/// `last` (both included) of `bytes`, or `None` when there is none;
/// `first <= last` and `last` is inside `bytes`.
pub fn find_bit(bytes: &[u8], first: u64, last: u64, bit: bool) -> Option<u64> {
    // Look for ones in the bytes as they are, or in their complement.
    let flip8 = if bit { 0 } else { 0xFF };
    let flip64 = if bit { 0 } else { u64::MAX };
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let at = |byte: usize, ones: u8| (byte as u64) * 8 + u64::from(ones.leading_zeros());

    let mut head = (bytes[fb] ^ flip8) & !bits_before(first & 7);
    if fb == lb {
        head &= !bits_after(last & 7);
        return (head != 0).then(|| at(fb, head));
    }
    if head != 0 {
        return Some(at(fb, head));
    }
    let middle = &bytes[fb + 1..lb];
    let (words, rest) = middle.as_chunks::<8>();
    for (i, w) in words.iter().enumerate() {
        let ones = u64::from_be_bytes(*w) ^ flip64;
        if ones != 0 {
            let base = (fb + 1 + i * 8) as u64 * 8;
            return Some(base + u64::from(ones.leading_zeros()));
        }
    }
    let rest_at = fb + 1 + words.len() * 8;
    for (i, b) in rest.iter().enumerate() {
        let ones = b ^ flip8;
        if ones != 0 {
            return Some(at(rest_at + i, ones));
        }
    }
    let tail = (bytes[lb] ^ flip8) & !bits_after(last & 7);
    (tail != 0).then(|| at(lb, tail))
}

/// Applies `f` word by word: `dst[i] = f(dst[i], src[i])` over
/// `src.len()` bytes (`dst` is at least that long).
fn combine(dst: &mut [u8], src: &[u8], f: impl Fn(u64, u64) -> u64) {
    let dst = &mut dst[..src.len()];
    let (dst_words, dst_rest) = dst.as_chunks_mut::<8>();
    let (src_words, src_rest) = src.as_chunks::<8>();
    for (d, s) in dst_words.iter_mut().zip(src_words) {
        *d = f(u64::from_ne_bytes(*d), u64::from_ne_bytes(*s)).to_ne_bytes();
    }
    for (d, s) in dst_rest.iter_mut().zip(src_rest) {
        // Bitwise operations act on each byte alone: a byte is a short word.
        *d = f(u64::from(*d), u64::from(*s)) as u8;
    }
}

/// The result of BITOP `op` over `sources` (absent keys are empty
/// strings): as long as the longest source, shorter ones read as padded
/// with zero bytes. Empty when every source is.
pub fn bitop(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; len];
    let Some((first, others)) = sources.split_first() else {
        return out;
    };
    if op == BitOp::Not {
        combine(&mut out, first, |_, s| !s);
        return out;
    }
    out[..first.len()].copy_from_slice(first);
    for src in others {
        match op {
            BitOp::And => {
                combine(&mut out, src, |d, s| d & s);
                out[src.len()..].fill(0);
            }
            BitOp::Or => combine(&mut out, src, |d, s| d | s),
            BitOp::Xor => combine(&mut out, src, |d, s| d ^ s),
            BitOp::Not => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of `bytes`, bit 0 first.
    fn bits(bytes: &[u8]) -> Vec<bool> {
        bytes
            .iter()
            .flat_map(|b| (0..8).map(move |i| b & (0x80 >> i) != 0))
            .collect()
    }

    /// A small xorshift generator: the tests need no more.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// A number in `lo..hi`.
        fn below(&mut self, lo: usize, hi: usize) -> usize {
            lo + (self.next() % (hi - lo) as u64) as usize
        }
    }

    /// Bytes with long runs of zeros and ones, as bitmaps have.
    fn sample(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed);
        (0..len)
            .map(|_| match rng.below(0, 4) {
                0 => 0,
                1 => 0xFF,
                _ => rng.next() as u8,
            })
            .collect()
    }

    #[test]
    fn counts_and_positions_match_a_bit_by_bit_scan() {
        for seed in 0..200u64 {
            let bytes = sample(seed as usize % 40 + 1, seed);
            let b = bits(&bytes);
            let mut rng = Rng::new(seed ^ 0xABCD);
            for _ in 0..20 {
                let first = rng.below(0, b.len());
                let last = rng.below(first, b.len());
                let slow = b[first..=last].iter().filter(|x| **x).count() as u64;
                assert_eq!(count_range(&bytes, first as u64, last as u64), slow);
                for want in [false, true] {
                    let slow = (first..=last).find(|&i| b[i] == want).map(|i| i as u64);
                    assert_eq!(
                        find_bit(&bytes, first as u64, last as u64, want),
                        slow,
                        "{bytes:?} {first}..={last} {want}"
                    );
                }
            }
            assert_eq!(popcount(&bytes), b.iter().filter(|x| **x).count() as u64);
        }
    }

    #[test]
    fn bitop_pads_shorter_sources_with_zeros() {
        let a: &[u8] = &[0x01, 0x02, 0xFF, 0xFF];
        let b: &[u8] = &[0x01, 0x02, 0xFF];
        assert_eq!(bitop(BitOp::And, &[a, b]), [0x01, 0x02, 0xFF, 0x00]);
        assert_eq!(bitop(BitOp::Or, &[a, b]), [0x01, 0x02, 0xFF, 0xFF]);
        assert_eq!(bitop(BitOp::Xor, &[a, b]), [0x00, 0x00, 0x00, 0xFF]);
        assert_eq!(bitop(BitOp::Not, &[b]), [0xFE, 0xFD, 0x00]);
        assert_eq!(bitop(BitOp::And, &[&[], &[]]), Vec::<u8>::new());
    }

    #[test]
    fn bitop_words_match_bytes() {
        for seed in 0..50u64 {
            let srcs: Vec<Vec<u8>> = (0..4)
                .map(|i| sample((seed as usize * 7 + i * 13) % 70, seed * 4 + i as u64))
                .collect();
            let refs: Vec<&[u8]> = srcs.iter().map(Vec::as_slice).collect();
            let len = refs.iter().map(|s| s.len()).max().unwrap_or(0);
            let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
            for op in [BitOp::And, BitOp::Or, BitOp::Xor] {
                let slow: Vec<u8> = (0..len)
                    .map(|i| {
                        refs[1..].iter().fold(at(refs[0], i), |acc, s| match op {
                            BitOp::And => acc & at(s, i),
                            BitOp::Or => acc | at(s, i),
                            _ => acc ^ at(s, i),
                        })
                    })
                    .collect();
                assert_eq!(bitop(op, &refs), slow, "{op:?}");
            }
        }
    }
}
