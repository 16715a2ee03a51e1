//! Integers of 1 to 64 bits at any bit offset of a string, and the
//! overflow rules of BITFIELD (Redis's `getUnsignedBitfield`,
//! `checkSignedBitfieldOverflow` and friends).
//!
//! A field is stored most significant bit first, starting at bit
//! `offset` in SETBIT's numbering, in two's complement when signed. The
//! overflow checks reproduce Redis's arithmetic exactly, wrap-arounds of
//! its intermediate values included, because clients see their results.

/// What BITFIELD does when SET or INCRBY leaves a field's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (modular arithmetic): the default.
    Wrap,
    /// Clamp to the smallest or largest value of the field.
    Sat,
    /// Change nothing and reply null.
    Fail,
}

/// All ones in the low `bits` bits (1..=64).
fn low_mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// The 9 bytes from byte `byte` of `p` as one big-endian number, bytes
/// past the end reading as zero. A field of up to 64 bits always lies
/// within 9 bytes from the byte of its first bit.
fn window(p: &[u8], byte: usize) -> u128 {
    (0..9).fold(0u128, |w, i| {
        let b = byte.checked_add(i).and_then(|at| p.get(at)).copied();
        (w << 8) | u128::from(b.unwrap_or(0))
    })
}

/// Where the field at `offset` starts: its byte, and how far its lowest
/// bit is from the low end of that byte's [`window`].
fn locate(offset: u64, bits: u32) -> (usize, u32) {
    let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
    (byte, 72 - (offset & 7) as u32 - bits)
}

/// The unsigned field of `bits` bits at bit `offset`; bits past the end
/// of `p` read as zero.
pub fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let (byte, shift) = locate(offset, bits);
    (window(p, byte) >> shift) as u64 & low_mask(bits)
}

/// The signed (two's complement) field of `bits` bits at bit `offset`.
pub fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let raw = get_unsigned(p, offset, bits);
    if bits < 64 && raw >> (bits - 1) & 1 == 1 {
        (raw | !low_mask(bits)) as i64
    } else {
        raw as i64
    }
}

/// Stores the low `bits` bits of `value` at bit `offset`; `p` must hold
/// the whole field.
pub fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    let (byte, shift) = locate(offset, bits);
    let mask = u128::from(low_mask(bits)) << shift;
    let w = (window(p, byte) & !mask) | ((u128::from(value) << shift) & mask);
    for i in 0..9 {
        if let Some(b) = byte.checked_add(i).and_then(|at| p.get_mut(at)) {
            *b = (w >> (8 * (8 - i))) as u8;
        }
    }
}

/// Checks whether `value + incr` fits an unsigned field of `bits` bits
/// (1..=63). `None` when it does; otherwise the value to store instead
/// under `ow` (WRAP's result for FAIL, which stores nothing).
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = low_mask(bits);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        Some(if ow == Overflow::Sat { max } else { wrapped })
    } else if incr < 0 && incr < min_incr {
        Some(if ow == Overflow::Sat { 0 } else { wrapped })
    } else {
        None
    }
}

/// Checks whether `value + incr` fits a signed field of `bits` bits
/// (1..=64). `None` when it does; otherwise the value to store instead
/// under `ow` (WRAP's result for FAIL, which stores nothing).
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = (low_mask(bits) >> 1) as i64;
    let min = -max - 1;
    // Redis computes these before knowing they are meaningful; their
    // wrapped values still take part in its comparisons.
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let narrow = bits != 64;
    let sum = (value as u64).wrapping_add(incr as u64);
    let wrapped = if !narrow {
        sum as i64
    } else if sum >> (bits - 1) & 1 == 1 {
        (sum | !low_mask(bits)) as i64
    } else {
        (sum & low_mask(bits)) as i64
    };
    if value > max || (narrow && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        Some(if ow == Overflow::Sat { max } else { wrapped })
    } else if value < min
        || (narrow && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        Some(if ow == Overflow::Sat { min } else { wrapped })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_setbit_numbering() {
        // Redis's own example: u5 = 23 at offset 7 of zeroes.
        let mut p = [0u8; 2];
        set_unsigned(&mut p, 7, 5, 23);
        assert_eq!(p, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&p, 7, 5), 23);
        assert_eq!(get_signed(&p, 7, 5), 23 - 32);
        let mut q = [0xFFu8; 10];
        set_unsigned(&mut q, 3, 64, 0);
        assert_eq!(q, [0xE0, 0, 0, 0, 0, 0, 0, 0, 0x1F, 0xFF]);
        assert_eq!(get_signed(&q, 3, 64), 0);
        assert_eq!(get_signed(&[0xFF; 9], 7, 64), -1);
        assert_eq!(get_unsigned(&[0x80], 0, 63), 1 << 62);
        assert_eq!(get_unsigned(&[], 1_000_000, 8), 0);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_overflow(100, 257, 8, Overflow::Wrap), Some(101));
        assert_eq!(unsigned_overflow(100, 257, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(100, -255, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(100, 155, 8, Overflow::Sat), None);
        assert_eq!(
            unsigned_overflow(-1i64 as u64, 0, 8, Overflow::Sat),
            Some(255)
        );
        assert_eq!(signed_overflow(100, 257, 8, Overflow::Wrap), Some(101));
        assert_eq!(signed_overflow(100, 257, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(100, -255, 8, Overflow::Sat), Some(-128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(
            signed_overflow(i64::MIN, -1, 64, Overflow::Sat),
            Some(i64::MIN)
        );
        assert_eq!(signed_overflow(-1, i64::MIN + 1, 64, Overflow::Fail), None);
        assert_eq!(
            signed_overflow(-1, i64::MIN, 64, Overflow::Fail),
            Some(i64::MAX)
        );
        assert_eq!(signed_overflow(5, 0, 4, Overflow::Fail), None);
        assert_eq!(signed_overflow(8, 0, 4, Overflow::Wrap), Some(-8));
    }
}
