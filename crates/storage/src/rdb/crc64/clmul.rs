//! CRC-64 by folding with carry-less multiplication (x86-64 PCLMULQDQ),
//! several times faster than tables on long inputs.
//!
//! For a CRC with a zero initial value, the CRC of a message depends only
//! on the message as a polynomial modulo the CRC's: any 16 bytes can be
//! replaced by a 16-byte value congruent to them once moved past the
//! bytes that follow. Moving 16 bytes forward by `d` bytes multiplies
//! their first 8 by `x^(8d+63)` and their last 8 by `x^(8d-1)` (mod P;
//! the `-1` is the carry-less product's one-bit offset in the reflected
//! bit order), each product 128 bits wide: XORed onto the 16 bytes found
//! there, the message keeps its CRC and is 16 bytes shorter. Four lanes
//! of 16 bytes are folded 64 bytes at a time (independent products the
//! CPU overlaps), then into one lane, whose 16 bytes the tables finish.

use super::POLY_NORMAL;
use std::arch::x86_64::{
    __m128i, _mm_clmulepi64_si128, _mm_loadu_si128, _mm_set_epi64x, _mm_storeu_si128, _mm_xor_si128,
};

/// Inputs shorter than this are left to the tables.
pub const MIN_LEN: usize = 128;

/// `x^n mod P`, bit-reversed into the CRC's reflected order.
const fn power(n: u32) -> u64 {
    let mut r: u64 = 1;
    let mut i = 0;
    while i < n {
        let carry = r >> 63;
        r <<= 1;
        if carry == 1 {
            r ^= POLY_NORMAL;
        }
        i += 1;
    }
    r.reverse_bits()
}

/// The multipliers that move 16 bytes forward by `bytes` bytes: for the
/// first 8 (low lane) and the last 8 (high lane).
const fn shift(bytes: u32) -> (u64, u64) {
    (power(8 * bytes + 63), power(8 * bytes - 1))
}

const BY_16: (u64, u64) = shift(16);
const BY_32: (u64, u64) = shift(32);
const BY_48: (u64, u64) = shift(48);
const BY_64: (u64, u64) = shift(64);

/// Whether this CPU has carry-less multiplication.
pub fn available() -> bool {
    std::arch::is_x86_feature_detected!("pclmulqdq")
}

/// Continues the CRC `crc` over the 16-byte blocks of `data` (at least
/// [`MIN_LEN`] bytes); returns the CRC so far and the bytes left (fewer
/// than 16) for the tables. Call only when [`available`] is true.
pub fn fold(crc: u64, data: &[u8]) -> (u64, &[u8]) {
    debug_assert!(data.len() >= MIN_LEN && available());
    // SAFETY: the caller checked that the CPU has PCLMULQDQ (SSE2 is
    // part of x86-64).
    unsafe { fold_blocks(crc, data) }
}

#[target_feature(enable = "pclmulqdq,sse2")]
unsafe fn fold_blocks(crc: u64, data: &[u8]) -> (u64, &[u8]) {
    // SAFETY (every load): `b` has at least `at + 16` bytes.
    let load = |b: &[u8], at: usize| unsafe { _mm_loadu_si128(b[at..at + 16].as_ptr().cast()) };
    let mult = |k: (u64, u64)| _mm_set_epi64x(k.1 as i64, k.0 as i64);
    let fold16 = |x: __m128i, k: __m128i| {
        _mm_xor_si128(
            _mm_clmulepi64_si128::<0x00>(x, k),
            _mm_clmulepi64_si128::<0x11>(x, k),
        )
    };
    // The CRC so far continues into the first 8 bytes.
    let mut x = [
        _mm_xor_si128(load(data, 0), _mm_set_epi64x(0, crc as i64)),
        load(data, 16),
        load(data, 32),
        load(data, 48),
    ];
    let by64 = mult(BY_64);
    let mut blocks = data[64..].chunks_exact(64);
    for b in &mut blocks {
        for (i, lane) in x.iter_mut().enumerate() {
            *lane = _mm_xor_si128(fold16(*lane, by64), load(b, 16 * i));
        }
    }
    let mut one = _mm_xor_si128(
        _mm_xor_si128(fold16(x[0], mult(BY_48)), fold16(x[1], mult(BY_32))),
        _mm_xor_si128(fold16(x[2], mult(BY_16)), x[3]),
    );
    let mut rest = blocks.remainder();
    while rest.len() >= 16 {
        one = _mm_xor_si128(fold16(one, mult(BY_16)), load(rest, 0));
        rest = &rest[16..];
    }
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` holds the 16 bytes stored.
    unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast::<__m128i>(), one) };
    (super::sliced(0, &bytes), rest)
}
