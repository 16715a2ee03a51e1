//! Full structural validation of listpack bytes from untrusted sources
//! (RDB files, RESTORE payloads).
//!
//! Every later read of a [`super::Listpack`] indexes its buffer assuming the
//! layout checked here, so this walk is what makes hostile input safe: it
//! touches no byte outside the slice and accepts nothing whose entries,
//! backlens, terminator or header disagree.

use super::encoding::{
    backlen_size, encode_backlen, encoded_size, head_size, EOF, HDR_SIZE, MAX_BACKLEN,
    NUMELE_UNKNOWN,
};

/// Returns the number of elements if `bytes` is a well-formed listpack.
///
/// Checks, like Redis's deep `lpValidateIntegrity`: the header's total size
/// equals the slice length; the last byte is the terminator; every entry
/// has a known encoding whose length bytes, payload and backlen all lie
/// before the terminator; each backlen records its entry's size; the walk
/// ends exactly on the terminator; and the header count, unless it is the
/// "unknown" marker 65535, equals the number of entries.
///
/// One deliberate difference: a backlen must be the canonical encoding
/// Redis writes. Redis only checks the decoded value, which a crafted
/// backlen with a stray continuation bit can still satisfy; no Redis ever
/// writes one, and rejecting it guarantees backward walks agree with
/// forward ones.
pub fn validate(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < HDR_SIZE + 1 {
        return None;
    }
    let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if total != bytes.len() {
        return None;
    }
    let last = bytes.len() - 1;
    if bytes[last] != EOF {
        return None;
    }
    let mut pos = HDR_SIZE;
    let mut count = 0usize;
    while bytes[pos] != EOF {
        let head = head_size(bytes[pos])?;
        if pos + head > last {
            return None;
        }
        let encoded = encoded_size(&bytes[pos..])?;
        let back = backlen_size(encoded);
        let end = pos.checked_add(encoded)?.checked_add(back)?;
        if end > last {
            return None;
        }
        if back == 1 {
            // The common case (entries under 128 bytes), without a
            // slice comparison's call.
            if bytes[pos + encoded] as usize != encoded {
                return None;
            }
        } else {
            let mut expected = [0u8; MAX_BACKLEN];
            encode_backlen(encoded, &mut expected);
            if bytes[pos + encoded..end] != expected[..back] {
                return None;
            }
        }
        pos = end;
        count += 1;
    }
    if pos != last {
        return None;
    }
    let numele = u16::from_le_bytes([bytes[4], bytes[5]]);
    if numele != NUMELE_UNKNOWN && numele as usize != count {
        return None;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_empty_listpack() {
        assert_eq!(validate(&[7, 0, 0, 0, 0, 0, 0xFF]), Some(0));
    }

    #[test]
    fn rejects_broken_headers() {
        assert_eq!(validate(&[]), None);
        assert_eq!(validate(&[6, 0, 0, 0, 0, 0]), None);
        assert_eq!(validate(&[8, 0, 0, 0, 0, 0, 0xFF]), None, "size mismatch");
        assert_eq!(validate(&[7, 0, 0, 0, 0, 0, 0x00]), None, "no terminator");
        assert_eq!(validate(&[7, 0, 0, 0, 1, 0, 0xFF]), None, "count mismatch");
    }

    #[test]
    fn accepts_unknown_count_marker() {
        assert_eq!(validate(&[9, 0, 0, 0, 0xFF, 0xFF, 5, 1, 0xFF]), Some(1));
        assert_eq!(validate(&[7, 0, 0, 0, 0xFF, 0xFF, 0xFF]), Some(0));
    }

    #[test]
    fn rejects_broken_entries() {
        // Entry "5" with a wrong backlen.
        assert_eq!(validate(&[9, 0, 0, 0, 1, 0, 5, 2, 0xFF]), None);
        // Invalid encoding byte.
        assert_eq!(validate(&[9, 0, 0, 0, 1, 0, 0xF5, 1, 0xFF]), None);
        // String running past the terminator.
        assert_eq!(validate(&[9, 0, 0, 0, 1, 0, 0x85, 1, 0xFF]), None);
        // 32-bit string header cut by the terminator.
        assert_eq!(validate(&[10, 0, 0, 0, 1, 0, 0xF0, 1, 0, 0xFF]), None);
        // Terminator byte in the middle.
        assert_eq!(validate(&[11, 0, 0, 0, 1, 0, 0xFF, 5, 1, 0, 0xFF]), None);
        // Non-canonical backlen: 0x82 after the payload byte 0x00 decodes
        // to 2 when read backwards (Redis accepts it), but Redis never
        // writes it; the canonical form is the single byte 0x02.
        assert_eq!(validate(&[10, 0, 0, 0, 1, 0, 0x81, 0x00, 0x82, 0xFF]), None);
        assert_eq!(
            validate(&[10, 0, 0, 0, 1, 0, 0x81, 0x00, 0x02, 0xFF]),
            Some(1)
        );
    }
}
