//! The footer of a DUMP-style payload: the RDB version as two
//! little-endian bytes, then the CRC-64 of everything before it as eight
//! little-endian bytes. `DUMP`, `RESTORE`, `FUNCTION DUMP` and
//! `FUNCTION RESTORE` all use it.

use super::{crc64, RDB_VERSION};

/// Bytes the footer adds.
const FOOTER_LEN: usize = 10;

/// Appends the footer to `body`, making it a payload Redis accepts.
pub fn seal_payload(body: &mut Vec<u8>) {
    body.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(body);
    body.extend_from_slice(&crc.to_le_bytes());
}

/// Checks a payload's footer (Redis's `verifyDumpPayload`): long enough,
/// an RDB version this server can read, and, unless `skip_checksum`, a
/// matching CRC. Returns the version and the body before the footer.
pub fn verify_payload(payload: &[u8], skip_checksum: bool) -> Option<(u16, &[u8])> {
    let body_len = payload.len().checked_sub(FOOTER_LEN)?;
    let footer = &payload[body_len..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return None;
    }
    if !skip_checksum {
        let mut stored = [0u8; 8];
        stored.copy_from_slice(&footer[2..]);
        if crc64(&payload[..body_len + 2]) != u64::from_le_bytes(stored) {
            return None;
        }
    }
    Some((version, &payload[..body_len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_payload_verifies() {
        let mut p = b"\xf5\x03abc".to_vec();
        seal_payload(&mut p);
        assert_eq!(
            verify_payload(&p, false),
            Some((RDB_VERSION, &b"\xf5\x03abc"[..]))
        );
        let last = p.len() - 1;
        p[last] ^= 1;
        assert_eq!(verify_payload(&p, false), None);
        assert!(verify_payload(&p, true).is_some());
        assert_eq!(verify_payload(b"short", false), None);
    }

    #[test]
    fn newer_versions_are_refused() {
        let mut p = vec![0u8, 0];
        p.extend_from_slice(&(RDB_VERSION + 1).to_le_bytes());
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(verify_payload(&p, false), None);
    }
}
