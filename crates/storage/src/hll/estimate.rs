//! The cardinality estimate from a register histogram: Otmar Ertl's
//! improved raw estimator ("New cardinality estimation algorithms for
//! HyperLogLog sketches", arXiv:1702.01284), the one Redis 7 uses. The
//! floating point operations follow the same order as Redis's so that both
//! round identically and PFCOUNT answers the same number.

use super::{INDEX_BITS, REGISTERS};

/// Largest register value the hash can produce: the 50 bits left after the
/// index, plus one.
const Q: usize = 64 - INDEX_BITS as usize;
/// `0.5 / ln 2`, the bias constant for an unbounded number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's sigma: `x + sum_k x^(2^k) * 2^(k-1)`, infinite at 1.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau, zero at 0 and 1.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// The estimated cardinality for `hist` (how many registers hold each
/// value 0..=63; values above 51 can only come from a hand-made string
/// and are ignored, as by Redis).
///
/// An estimate that does not fit a signed 64-bit integer (only reachable
/// with hand-made registers) comes out as `1 << 63`, the bit pattern
/// Redis's out-of-range rounding produces, which PFCOUNT then prints as
/// the most negative integer.
pub fn estimate(hist: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - hist[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += hist[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(hist[0] as f64 / m);
    let e = (ALPHA_INF * m * m / z).round();
    if (0.0..9_223_372_036_854_775_808.0).contains(&e) {
        e as u64
    } else {
        1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist_of(values: &[(usize, u32)]) -> [u32; 64] {
        let mut h = [0u32; 64];
        let mut used = 0;
        for &(v, n) in values {
            h[v] = n;
            used += n;
        }
        h[0] += REGISTERS as u32 - used;
        h
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(estimate(&hist_of(&[])), 0);
    }

    #[test]
    fn small_sets_count_exactly() {
        // Three registers at 1 or 2 (PFADD a b c) estimate 3.
        assert_eq!(estimate(&hist_of(&[(1, 2), (2, 1)])), 3);
    }

    #[test]
    fn out_of_range_estimates_saturate_like_redis() {
        // All registers at 50 or 51, or all beyond 51: redis-server
        // answers -9223372036854775808 for these.
        assert_eq!(estimate(&hist_of(&[(50, REGISTERS as u32)])), 1 << 63);
        assert_eq!(estimate(&hist_of(&[(51, REGISTERS as u32)])), 1 << 63);
        assert_eq!(estimate(&hist_of(&[(63, REGISTERS as u32)])), 1 << 63);
    }
}
