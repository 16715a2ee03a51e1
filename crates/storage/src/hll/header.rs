//! The 16-byte header every HLL string starts with:
//!
//! | bytes | content                                                    |
//! |-------|------------------------------------------------------------|
//! | 0-3   | magic `HYLL`                                               |
//! | 4     | encoding: 0 dense, 1 sparse                                |
//! | 5-7   | unused (kept as found)                                     |
//! | 8-15  | cached cardinality, little endian; the top bit of byte 15  |
//! |       | set means "stale, recompute"                               |
//!
//! The layout is Redis's, byte for byte, so HLL strings move between
//! Redis and Lodestone through GET/SET, DUMP/RESTORE or replication.

use super::{Encoding, NotHll, DENSE_LEN, HEADER_LEN};

/// The magic bytes at the start of every HLL string.
pub const MAGIC: &[u8; 4] = b"HYLL";
/// Offset of the encoding byte.
const ENCODING_AT: usize = 4;
/// Offset of the cached cardinality.
const CARD_AT: usize = 8;
/// The "stale cache" flag, in the last byte of the cached cardinality.
const STALE: u8 = 0x80;

/// Checks that `bytes` looks like an HLL the way Redis does before using
/// one: long enough for a header, the magic, a known encoding, and for a
/// dense HLL the exact length. A sparse body is only validated when it is
/// decoded (and then reported as [`super::Corrupt`]).
pub fn check(bytes: &[u8]) -> Result<Encoding, NotHll> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
        return Err(NotHll);
    }
    match bytes[ENCODING_AT] {
        0 if bytes.len() == DENSE_LEN => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(NotHll),
    }
}

/// Writes the magic and `encoding` into a zeroed header (cached
/// cardinality 0, valid: the count of an empty HLL).
pub(crate) fn write_new(buf: &mut [u8], encoding: Encoding) {
    buf[..4].copy_from_slice(MAGIC);
    buf[ENCODING_AT] = encoding as u8;
}

/// Sets the encoding byte (after a conversion).
pub(crate) fn set_encoding(buf: &mut [u8], encoding: Encoding) {
    buf[ENCODING_AT] = encoding as u8;
}

/// The cached cardinality, or `None` when it is stale. `bytes` must have
/// passed [`check`].
pub fn cached_cardinality(bytes: &[u8]) -> Option<u64> {
    let card = bytes.get(CARD_AT..HEADER_LEN)?;
    if card[7] & STALE != 0 {
        return None;
    }
    Some(u64::from_le_bytes(card.try_into().ok()?))
}

/// Stores `card` as the cached cardinality. A value with the top bit set
/// reads back as stale, so it is recomputed next time (as in Redis).
pub fn store_cardinality(buf: &mut [u8], card: u64) {
    if let Some(slot) = buf.get_mut(CARD_AT..HEADER_LEN) {
        slot.copy_from_slice(&card.to_le_bytes());
    }
}

/// Marks the cached cardinality stale after the registers changed.
pub fn invalidate_cache(buf: &mut [u8]) {
    if let Some(last) = buf.get_mut(HEADER_LEN - 1) {
        *last |= STALE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(encoding: u8) -> Vec<u8> {
        let mut h = b"HYLL".to_vec();
        h.push(encoding);
        h.resize(HEADER_LEN, 0);
        h
    }

    #[test]
    fn check_follows_redis() {
        assert_eq!(check(&header(1)), Ok(Encoding::Sparse));
        assert_eq!(
            check(&header(0)),
            Err(NotHll),
            "dense needs its full length"
        );
        let mut dense = header(0);
        dense.resize(DENSE_LEN, 0);
        assert_eq!(check(&dense), Ok(Encoding::Dense));
        dense.push(0);
        assert_eq!(check(&dense), Err(NotHll));
        assert_eq!(check(&header(2)), Err(NotHll));
        assert_eq!(check(&header(1)[..15]), Err(NotHll));
        let mut bad_magic = header(1);
        bad_magic[0] = b'h';
        assert_eq!(check(&bad_magic), Err(NotHll));
    }

    #[test]
    fn cache_round_trips_and_invalidates() {
        let mut h = header(1);
        assert_eq!(cached_cardinality(&h), Some(0));
        store_cardinality(&mut h, 12345);
        assert_eq!(cached_cardinality(&h), Some(12345));
        invalidate_cache(&mut h);
        assert_eq!(cached_cardinality(&h), None);
        store_cardinality(&mut h, 1 << 63);
        assert_eq!(cached_cardinality(&h), None);
    }
}
