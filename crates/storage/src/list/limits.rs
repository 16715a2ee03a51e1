//! How big one listpack of a list may grow: the rules behind
//! `list-max-listpack-size` (Redis's `quicklistNodeLimit` and
//! `quicklistNodeExceedsLimit`), shared by the listpack encoding (when to
//! become a quicklist, and back) and by quicklist nodes (when to start a
//! new node, whether two nodes may merge).
//!
//! A positive setting limits the number of entries (with an 8 KB safety
//! cap on bytes); a negative one, -1 to -5, limits bytes to 4, 8, 16, 32
//! or 64 KB whatever the number of entries.

/// Byte limits selected by negative settings -1..-5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Bytes a count-limited listpack may never exceed (`SIZE_SAFETY_LIMIT`).
pub(crate) const SIZE_SAFETY_LIMIT: usize = 8192;

/// Bytes added to a node's size when estimating whether one more element
/// fits (`SIZE_ESTIMATE_OVERHEAD`): an overestimate, so a node stays just
/// under its limit rather than a few bytes over it.
pub(crate) const SIZE_ESTIMATE_OVERHEAD: usize = 8;

/// The limits `fill` (a `list-max-listpack-size` value) sets: `(bytes,
/// entries)`, with `usize::MAX` for "no limit of this kind".
pub(crate) fn node_limit(fill: i64) -> (usize, usize) {
    if fill >= 0 {
        // A node always holds at least one entry.
        (usize::MAX, fill.max(1) as usize)
    } else {
        let level = ((-(fill + 1)) as usize).min(SIZE_LEVELS.len() - 1);
        (SIZE_LEVELS[level], usize::MAX)
    }
}

/// True when a listpack of `bytes` bytes and `entries` entries would be
/// over the limits `fill` sets.
pub(crate) fn exceeds(fill: i64, bytes: usize, entries: usize) -> bool {
    let (size_limit, count_limit) = node_limit(fill);
    if size_limit != usize::MAX {
        bytes > size_limit
    } else {
        bytes > SIZE_SAFETY_LIMIT || entries > count_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_setting() {
        assert_eq!(node_limit(-2), (8192, usize::MAX));
        assert_eq!(node_limit(-1), (4096, usize::MAX));
        assert_eq!(node_limit(-5), (65536, usize::MAX));
        assert_eq!(node_limit(-100), (65536, usize::MAX));
        assert_eq!(node_limit(i32::MIN as i64), (65536, usize::MAX));
        assert_eq!(node_limit(0), (usize::MAX, 1));
        assert_eq!(node_limit(128), (usize::MAX, 128));
    }

    #[test]
    fn counts_are_capped_by_the_safety_size() {
        assert!(!exceeds(128, 8192, 128));
        assert!(exceeds(128, 8192, 129));
        assert!(exceeds(128, 8193, 2));
        assert!(!exceeds(-2, 8192, 100_000));
        assert!(exceeds(-2, 8193, 1));
    }
}
