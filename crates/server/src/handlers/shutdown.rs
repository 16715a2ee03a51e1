//! SHUTDOWN and orderly exit (also on SIGTERM/SIGINT).

use super::ServerHandler;
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[("shutdown", shutdown)];

/// How a shutdown was asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShutdownFlags {
    /// Never save.
    pub nosave: bool,
    /// Save even without save points.
    pub save: bool,
    /// Do not wait for replicas.
    pub now: bool,
    /// Ignore errors that would prevent exiting.
    pub force: bool,
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`
fn shutdown(s: &mut Server, _key: usize, args: &[&[u8]]) -> CmdResult {
    let mut f = ShutdownFlags::default();
    let mut abort = false;
    for a in &args[1..] {
        if is(a, "NOSAVE") {
            f.nosave = true;
        } else if is(a, "SAVE") {
            f.save = true;
        } else if is(a, "NOW") {
            f.now = true;
        } else if is(a, "FORCE") {
            f.force = true;
        } else if is(a, "ABORT") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (f.nosave || f.save || f.now || f.force)) || (f.nosave && f.save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        // Shutdowns complete within the iteration that requested them, so
        // there is never one in progress to abort.
        return Err(CmdError::NoShutdownInProgress);
    }
    s.log_warning("User requested shutdown...");
    if !s.finish_for_shutdown(f) {
        return Err(CmdError::ShutdownFailed);
    }
    // No reply: the connection closes as the process exits.
    s.exit_now = true;
    Ok(())
}

impl Server {
    /// Saves what must be saved before exiting. Returns false when the
    /// shutdown must not proceed.
    pub fn finish_for_shutdown(&mut self, f: ShutdownFlags) -> bool {
        let wants_save = f.save || (!f.nosave && !self.config.str("save").is_empty());
        if wants_save {
            if f.save && !f.force {
                self.log_warning(
                    "Error trying to save the DB: persistence is not available in this build.",
                );
                return false;
            }
            self.log_warning("Not saving the DB: persistence is not available in this build.");
        }
        let pidfile = self.config.str("pidfile");
        if !pidfile.is_empty() {
            let _ = std::fs::remove_file(&pidfile);
        }
        self.log_warning("Lodestone is now ready to exit, bye bye...");
        true
    }
}
