//! The hash that places an element in the HyperLogLog: MurmurHash2's
//! 64-bit variant (MurmurHash64A) with the seed Redis uses, reading the
//! input as little-endian words on every platform. Any change here changes
//! which register an element lands in, so Redis-written and
//! Lodestone-written HLLs would stop agreeing.

use super::{INDEX_BITS, REGISTERS};

/// The seed Redis passes to MurmurHash64A for HyperLogLog elements.
const SEED: u64 = 0xadc8_3b19;
/// MurmurHash64A's multiplier.
const M: u64 = 0xc6a4_a793_5bd1_e995;
/// MurmurHash64A's shift.
const R: u32 = 47;

/// MurmurHash64A of `data` with `seed`, endian-neutral.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element updates and the value it proposes: the low
/// 14 bits of the hash pick the register; the value is the position,
/// counting from one, of the lowest set bit among the remaining 50 bits
/// (51 when they are all zero).
pub fn register_and_count(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> INDEX_BITS) | (1u64 << (64 - INDEX_BITS));
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_elements_where_redis_does() {
        // Registers and values read from redis-server's PFDEBUG DECODE
        // after PFADD of each element into an empty HLL.
        assert_eq!(register_and_count(b""), (5938, 2));
        assert_eq!(register_and_count(b"a"), (12711, 2));
        assert_eq!(register_and_count(b"b"), (15780, 1));
        assert_eq!(register_and_count(b"hello"), (9216, 1));
        assert_eq!(register_and_count(b"12345678"), (10579, 3));
        assert_eq!(register_and_count(b"0123456789abcdefg"), (14057, 2));
    }

    #[test]
    fn every_tail_length_is_hashed() {
        let data = b"0123456789abcdef";
        let hashes: Vec<u64> = (0..=data.len())
            .map(|n| murmur64a(&data[..n], SEED))
            .collect();
        for (i, a) in hashes.iter().enumerate() {
            for b in &hashes[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn count_is_at_most_51() {
        for i in 0..10_000u32 {
            let (index, count) = register_and_count(&i.to_le_bytes());
            assert!(index < REGISTERS);
            assert!((1..=51).contains(&count));
        }
    }
}
