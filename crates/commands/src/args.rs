//! Argument parsing helpers shared by command families, with Redis's rules
//! and error replies.

use crate::error::CmdError;
use lodestone_protocol::num;

/// Parses a 64-bit integer argument (`value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    num::parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// True when `arg` equals `word` ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// Parses a database index argument for SELECT, MOVE, COPY and SWAPDB.
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let n = num::parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if n < 0 || n >= databases as i64 || n > i32::MAX as i64 {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}
