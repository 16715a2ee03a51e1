//! The FUNCTION family. Lodestone has no scripting engine yet, so no
//! function library can ever be loaded; FUNCTION FLUSH therefore has
//! nothing to remove and only validates its arguments. The rest of the
//! family (LOAD, CALL via FCALL, LIST, DUMP, RESTORE, STATS, DELETE, KILL)
//! arrives with scripting and is absent from the command table until then.

use super::{reply, ServerHandler};
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[("function|flush", flush)];

/// `FUNCTION FLUSH [ASYNC|SYNC]`
fn flush(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(args));
    }
    match args.get(2) {
        None => {}
        Some(a) if is(a, "ASYNC") || is(a, "SYNC") => {}
        Some(_) => return Err(CmdError::FunctionFlushMode),
    }
    reply(s, key, |r| r.ok());
    Ok(())
}
