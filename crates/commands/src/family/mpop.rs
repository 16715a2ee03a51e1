//! The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share after the timeout:
//! `numkeys key [key ...] <side> [COUNT count]`, with Redis's error texts.

use crate::args::is;
use crate::error::CmdError;
use lodestone_protocol::num::parse_i64;

/// Parsed MPOP arguments; `W` is the side (list end, or min/max).
pub struct MpopArgs<'a, W> {
    /// The keys, in order.
    pub keys: &'a [&'a [u8]],
    /// Where to pop from.
    pub side: W,
    /// How many elements (COUNT, 1 by default).
    pub count: usize,
}

/// Parses `args` (starting at numkeys); `side` reads the word after the
/// keys and answers a syntax error for anything else.
pub fn parse_mpop<'a, W>(
    args: &'a [&'a [u8]],
    side: impl FnOnce(&[u8]) -> Result<W, CmdError>,
) -> Result<MpopArgs<'a, W>, CmdError> {
    let numkeys = parse_i64(args[0])
        .filter(|&n| n >= 1)
        .ok_or(CmdError::ValueOutOfRange(
            "numkeys should be greater than 0",
        ))?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(1))
        .filter(|&at| at < args.len())
        .ok_or(CmdError::Syntax)?;
    let side = side(args[where_at])?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if count.is_none() && is(args[i], "count") && i + 1 < args.len() {
            let n = parse_i64(args[i + 1])
                .filter(|&n| n >= 1)
                .ok_or(CmdError::ValueOutOfRange("count should be greater than 0"))?;
            count = Some(n as usize);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MpopArgs {
        keys: &args[1..where_at],
        side,
        count: count.unwrap_or(1),
    })
}
