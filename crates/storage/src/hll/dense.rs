//! The dense representation: 16384 registers of 6 bits packed into 12288
//! bytes, least significant bits first. Register `i` starts at bit `6 * i`:
//! its low bits are the high bits of byte `6 * i / 8` and, when it crosses
//! a byte boundary, its high bits are the low bits of the next byte.
//!
//! Functions here take the register area only (the bytes after the
//! header), exactly [`DENSE_BYTES`] long.

use super::{REGISTERS, REGISTER_MAX};

/// Bytes of the dense register area.
pub const DENSE_BYTES: usize = REGISTERS * 6 / 8;

/// The value of register `index`.
pub fn get(regs: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let low = (regs[byte] >> shift) as u16;
    // A register that crosses into the next byte takes its high bits
    // there; the last register never does.
    let high = if shift > 2 {
        (regs[byte + 1] as u16) << (8 - shift)
    } else {
        0
    };
    ((low | high) as u8) & REGISTER_MAX
}

/// Sets register `index` to `value` (at most 63).
pub fn set(regs: &mut [u8], index: usize, value: u8) {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let value = value & REGISTER_MAX;
    regs[byte] = (regs[byte] & !(REGISTER_MAX << shift)) | (value << shift);
    if shift > 2 {
        let spill = 8 - shift;
        regs[byte + 1] = (regs[byte + 1] & !(REGISTER_MAX >> spill)) | (value >> spill);
    }
}

/// Raises register `index` to `count` when it is lower; true when it
/// changed (the estimate may then change).
pub fn raise(regs: &mut [u8], index: usize, count: u8) -> bool {
    if count > get(regs, index) {
        set(regs, index, count);
        true
    } else {
        false
    }
}

/// How many registers hold each value (index 0-63).
pub fn histogram(regs: &[u8]) -> [u32; 64] {
    let mut hist = [0u32; 64];
    // Four registers fill exactly three bytes.
    for b in regs.chunks_exact(3) {
        let word = b[0] as u32 | (b[1] as u32) << 8 | (b[2] as u32) << 16;
        hist[(word & 63) as usize] += 1;
        hist[(word >> 6 & 63) as usize] += 1;
        hist[(word >> 12 & 63) as usize] += 1;
        hist[(word >> 18 & 63) as usize] += 1;
    }
    hist
}

/// Folds the registers into `max` (one byte per register), keeping the
/// larger value of each.
pub fn merge_into(max: &mut [u8; REGISTERS], regs: &[u8]) {
    for (i, m) in max.iter_mut().enumerate() {
        let v = get(regs, i);
        if v > *m {
            *m = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_do_not_disturb_neighbours() {
        let mut regs = vec![0u8; DENSE_BYTES];
        let mut expected = vec![0u8; REGISTERS];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..3 {
            for (i, e) in expected.iter_mut().enumerate() {
                *e = rng.u8(..=REGISTER_MAX);
                set(&mut regs, i, *e);
            }
            for (i, e) in expected.iter().enumerate() {
                assert_eq!(get(&regs, i), *e, "register {i}");
            }
            let hist = histogram(&regs);
            for v in 0..64u8 {
                let n = expected.iter().filter(|&&e| e == v).count() as u32;
                assert_eq!(hist[v as usize], n);
            }
        }
    }

    #[test]
    fn packing_is_little_endian_bits() {
        let mut regs = vec![0u8; DENSE_BYTES];
        set(&mut regs, 0, 0b11_1111);
        assert_eq!(regs[..2], [0b0011_1111, 0]);
        set(&mut regs, 1, 0b10_0001);
        assert_eq!(regs[..2], [0b0111_1111, 0b0000_1000]);
        set(&mut regs, REGISTERS - 1, 63);
        assert_eq!(regs[DENSE_BYTES - 1], 0b1111_1100);
        assert!(!raise(&mut regs, 1, 5));
        assert!(raise(&mut regs, 1, 40));
        assert_eq!(get(&regs, 1), 40);
    }

    #[test]
    fn merge_keeps_maxima() {
        let mut regs = vec![0u8; DENSE_BYTES];
        set(&mut regs, 3, 9);
        set(&mut regs, 4, 2);
        let mut max = [0u8; REGISTERS];
        max[4] = 7;
        merge_into(&mut max, &regs);
        assert_eq!((max[3], max[4], max[5]), (9, 7, 0));
    }
}
