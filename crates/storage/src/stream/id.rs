//! [`StreamId`]: a stream entry ID, `<ms>-<seq>`, two unsigned 64-bit parts.

use std::fmt;

/// A stream entry ID. Ordered as the 128-bit number `ms:seq`, which is
/// also the order of Redis's big-endian radix tree keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// The smallest ID, `0-0` (also "no ID" for several stream fields).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID, `18446744073709551615-18446744073709551615`.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID from its two parts.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0`.
    pub fn is_zero(&self) -> bool {
        *self == StreamId::MIN
    }

    /// The successor ID (Redis's `streamIncrID`); `None` past the largest.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The predecessor ID (Redis's `streamDecrID`); `None` before `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The 16-byte big-endian form Redis keys its radix trees with (stream
    /// blocks, PELs) and writes into RDB files; byte order is ID order.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.ms.to_be_bytes());
        k[8..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }

    /// The ID whose [`Self::to_be_bytes`] form is `b`.
    pub fn from_be_bytes(b: [u8; 16]) -> StreamId {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq))
    }

    /// The `<ms>-<seq>` text replies carry.
    pub fn to_bytes(self) -> Vec<u8> {
        self.text().as_bytes().to_vec()
    }

    /// The `<ms>-<seq>` text on the stack, for a reply that copies it
    /// anyway (XADD's) and need not allocate it first.
    pub fn text(self) -> IdText {
        let mut t = IdText {
            bytes: [0; IdText::MAX],
            len: 0,
        };
        let mut b = itoa::Buffer::new();
        for (i, part) in [self.ms, self.seq].into_iter().enumerate() {
            if i == 1 {
                t.bytes[t.len] = b'-';
                t.len += 1;
            }
            let digits = b.format(part).as_bytes();
            t.bytes[t.len..t.len + digits.len()].copy_from_slice(digits);
            t.len += digits.len();
        }
        t
    }
}

/// A stream ID as `<ms>-<seq>` text in a fixed buffer (see
/// [`StreamId::text`]).
#[derive(Clone, Copy)]
pub struct IdText {
    bytes: [u8; IdText::MAX],
    len: usize,
}

impl IdText {
    /// Longest text: two 20-digit numbers and the dash.
    const MAX: usize = 41;

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_and_predecessor_carry() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::new(5, 7).to_bytes(), b"5-7");
        let id = StreamId::new(0x0102, u64::MAX - 1);
        assert_eq!(id.to_be_bytes()[6..9], [1, 2, 0xFF]);
        assert_eq!(StreamId::from_be_bytes(id.to_be_bytes()), id);
    }
}
