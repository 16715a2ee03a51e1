//! What SCAN, HSCAN, SSCAN and ZSCAN share (Redis's `scanGenericCommand`):
//! the cursor, the MATCH/COUNT(/TYPE) options, the loop that visits
//! buckets until COUNT elements were looked at, and the two-element reply.

use crate::args::{int, is};
use crate::error::CmdError;
use crate::glob::Pattern;
use lodestone_protocol::Reply;
use lodestone_storage::Kind;

/// Parses a SCAN cursor the way C's `strtoul` reads it: optional sign,
/// decimal digits, nothing else; a leading space or overflow is an error.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::InvalidCursor;
    if arg.first().is_some_and(|c| c.is_ascii_whitespace()) {
        return Err(invalid());
    }
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoul parses nothing and leaves the end pointer at the start:
        // an empty cursor reads as 0, a lone sign is trailing garbage.
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { v.wrapping_neg() } else { v })
}

/// The options after the cursor.
pub struct ScanOptions {
    /// COUNT: elements to look at per call (a hint, at least 1).
    pub count: i64,
    /// MATCH, unless it matches everything.
    pub pattern: Option<Pattern>,
    /// TYPE (SCAN only): `Some(None)` for a type name that matches nothing.
    pub type_filter: Option<Option<Kind>>,
}

impl ScanOptions {
    /// Parses `args` (the options only). TYPE is accepted only when
    /// `allow_type` (the keyspace SCAN); anything else is a syntax error.
    pub fn parse(args: &[&[u8]], allow_type: bool) -> Result<ScanOptions, CmdError> {
        let mut opts = ScanOptions {
            count: 10,
            pattern: None,
            type_filter: None,
        };
        let mut i = 0;
        while i < args.len() {
            let more = args.len() - i;
            if is(args[i], "COUNT") && more >= 2 {
                opts.count = int(args[i + 1])?;
                if opts.count < 1 {
                    return Err(CmdError::Syntax);
                }
            } else if is(args[i], "MATCH") && more >= 2 {
                let p = Pattern::new(args[i + 1], false);
                opts.pattern = if p.is_match_all() { None } else { Some(p) };
            } else if allow_type && is(args[i], "TYPE") && more >= 2 {
                opts.type_filter = Some(Kind::by_name(args[i + 1]));
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(opts)
    }

    /// True when `item` passes MATCH.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.matches(item))
    }

    /// Calls `step(cursor, &mut sampled)` (one bucket visit, counting the
    /// elements it looked at) until the cursor wraps to 0, COUNT elements
    /// were looked at, or ten times COUNT buckets were visited. Returns the
    /// cursor to hand back.
    pub fn walk(&self, mut cursor: u64, mut step: impl FnMut(u64, &mut i64) -> u64) -> u64 {
        let mut sampled: i64 = 0;
        let mut iterations = self.count.saturating_mul(10);
        loop {
            cursor = step(cursor, &mut sampled);
            iterations -= 1;
            if cursor == 0 || iterations < 0 || sampled >= self.count {
                return cursor;
            }
        }
    }
}

/// The reply: the next cursor and the elements found.
pub fn reply_page(out: &mut Reply, cursor: u64, items: &[Vec<u8>]) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.bulk_array(items.iter());
}
