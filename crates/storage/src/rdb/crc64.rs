//! Redis's CRC-64: the Jones polynomial, reflected, zero initial value and
//! no final xor. It closes RDB files and DUMP payloads, so it must agree
//! with Redis bit for bit (check value: `crc64(b"123456789")` is
//! `0xe9c6d914c4b8d9ca`).
//!
//! A whole RDB file goes through this, so its speed is part of every
//! save's and load's time. Where the CPU multiplies without carries
//! (x86-64 PCLMULQDQ), long inputs are folded 64 bytes per step
//! (`clmul.rs`); otherwise, and for the last bytes, the CRC is computed
//! sixteen bytes per step ("slicing by 16"): table `k` holds the CRC of a
//! byte followed by `k` zero bytes, so the sixteen lookups of a step are
//! independent and the CPU overlaps them.

#[cfg(target_arch = "x86_64")]
mod clmul;

/// The reflected Jones polynomial.
const POLY_REFLECTED: u64 = 0x95AC_9329_AC4B_C9B5;
/// The same polynomial in normal bit order (the `x^64` term implied).
const POLY_NORMAL: u64 = 0xAD93_D235_94C9_35A9;

/// Bytes consumed per step of the sliced loop.
const SLICE: usize = 16;

/// `TABLES[k][b]`: the CRC register after byte `b` and `k` zero bytes.
static TABLES: [[u64; 256]; SLICE] = build_tables();

const fn build_tables() -> [[u64; 256]; SLICE] {
    let mut t = [[0u64; 256]; SLICE];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < SLICE {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// The CRC-64 of `data`, as Redis's `crc64(0, data, len)` computes it.
pub fn crc64(data: &[u8]) -> u64 {
    crc64_update(0, data)
}

/// Continues a CRC-64 over `data`: `crc64_update(crc64(a), b)` is the
/// CRC-64 of `a` followed by `b`, so a stream can be summed chunk by
/// chunk, wherever the chunks end.
pub fn crc64_update(crc: u64, data: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= clmul::MIN_LEN && clmul::available() {
        let (crc, rest) = clmul::fold(crc, data);
        return sliced(crc, rest);
    }
    sliced(crc, data)
}

/// The table-driven CRC, sixteen bytes per step.
fn sliced(mut crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut blocks = data.chunks_exact(SLICE);
    for b in &mut blocks {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[..8]);
        hi.copy_from_slice(&b[8..]);
        let a = u64::from_le_bytes(lo) ^ crc;
        let h = u64::from_le_bytes(hi);
        let at = |x: u64, shift: u32| ((x >> shift) & 0xFF) as usize;
        crc = t[15][at(a, 0)]
            ^ t[14][at(a, 8)]
            ^ t[13][at(a, 16)]
            ^ t[12][at(a, 24)]
            ^ t[11][at(a, 32)]
            ^ t[10][at(a, 40)]
            ^ t[9][at(a, 48)]
            ^ t[8][at(a, 56)]
            ^ t[7][at(h, 0)]
            ^ t[6][at(h, 8)]
            ^ t[5][at(h, 16)]
            ^ t[4][at(h, 24)]
            ^ t[3][at(h, 32)]
            ^ t[2][at(h, 40)]
            ^ t[1][at(h, 48)]
            ^ t[0][at(h, 56)];
    }
    for &b in blocks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::{crc64, crc64_update, TABLES};

    /// The plain bit-at-a-time definition, to check the tables against.
    fn reference(data: &[u8]) -> u64 {
        reference_from(0, data)
    }

    /// The definition, continuing from `crc`.
    fn reference_from(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= b as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ super::POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn matches_redis_check_value() {
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(b""), 0);
        assert_eq!(TABLES[0][1], 0x7ad8_70c8_3035_8979);
    }

    #[test]
    fn sliced_loop_matches_the_definition_for_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + i / 5) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(crc64(&data[..n]), reference(&data[..n]), "length {n}");
        }
    }

    #[test]
    fn long_inputs_match_the_definition() {
        // Lengths around the folded path's steps (16 and 64 bytes) and
        // its minimum, from several starting CRCs.
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for n in (0..300).chain([1000, 1023, 1024, 1025, 4096, 4999, 5000]) {
            for start in [0, 1, 0x1234_5678_9abc_def0, u64::MAX] {
                assert_eq!(
                    crc64_update(start, &data[..n]),
                    reference_from(start, &data[..n]),
                    "length {n}"
                );
            }
        }
    }

    #[test]
    fn updates_compose_wherever_the_data_is_split() {
        let data: Vec<u8> = (0..100u32).map(|i| (i * 31) as u8).collect();
        let whole = crc64(&data);
        for split in 0..=data.len() {
            let (a, b) = data.split_at(split);
            assert_eq!(crc64_update(crc64(a), b), whole, "split at {split}");
        }
    }
}
