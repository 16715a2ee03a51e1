//! What HRANDFIELD, SRANDMEMBER and ZRANDMEMBER share: the count argument,
//! the WITHVALUES / WITHSCORES flag, and the size bound on a reply of
//! picks with repeats (negative count).

use crate::args::{int, is};
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::Reply;

/// The count argument: any 64-bit integer but the smallest, whose
/// magnitude does not fit (Redis's `getRangeLongFromObjectOrReply`).
pub fn parse_count(arg: &[u8]) -> Result<i64, CmdError> {
    let count = int(arg)?;
    if count == i64::MIN {
        return Err(CmdError::OutOfRangeBetween(-i64::MAX, i64::MAX));
    }
    Ok(count)
}

/// The optional flag after the count (`args[3]`, named `flag`). With it
/// the count must leave room for doubling, as Redis checks.
pub fn parse_with_flag(args: &[&[u8]], flag: &str, count: i64) -> Result<bool, CmdError> {
    let with = match args.get(3) {
        None => false,
        Some(opt) if args.len() == 4 && is(opt, flag) => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    if with && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::ValueOutOfRange("value is out of range"));
    }
    Ok(with)
}

/// Bounds a reply of picks with repeats: their number is the client's to
/// choose and not limited by the collection, so the reply stops growing
/// at the size limit of a single bulk reply (`proto-max-bulk-len`), where
/// Redis would exhaust memory.
pub struct ReplyBudget {
    mark: usize,
    limit: usize,
    exceeded: bool,
}

impl ReplyBudget {
    /// Starts counting from the current end of `out`.
    pub fn new(out: &Reply, proto_max_bulk_len: i64) -> ReplyBudget {
        ReplyBudget {
            mark: out.len(),
            limit: proto_max_bulk_len.max(0) as usize,
            exceeded: false,
        }
    }

    /// Call after writing a pick: false once the reply is over the limit,
    /// meaning stop picking.
    pub fn allows_more(&mut self, out: &Reply) -> bool {
        self.exceeded = out.len() - self.mark > self.limit;
        !self.exceeded
    }

    /// Ends the reply: over the limit, drops what was written and fails.
    pub fn finish(self, out: &mut Reply) -> CmdResult {
        if self.exceeded {
            out.truncate(self.mark);
            return Err(CmdError::ReplyTooLarge);
        }
        Ok(())
    }
}
