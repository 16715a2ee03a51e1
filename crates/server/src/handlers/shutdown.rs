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
        // Never while loading: the data set is partial and would replace
        // the file being loaded.
        let wants_save = self.loading.is_none()
            && (f.save || (!f.nosave && !self.config.str("save").is_empty()));
        if let Some(child) = self.rdb.child.take() {
            self.log_warning("There is a child saving an .rdb. Killing it!");
            // SAFETY: signalling and reaping our own child process.
            unsafe {
                libc::kill(child.pid, libc::SIGUSR1);
                libc::waitpid(child.pid, std::ptr::null_mut(), 0);
            }
        }
        if self.aof.child.is_some() {
            // Without its first rewrite the AOF does not hold the data set.
            if self.aof.status == crate::aof::Status::WaitRewrite {
                if !f.force {
                    self.log_warning("Writing initial AOF, can't exit.");
                    return false;
                }
                self.log_warning("Writing initial AOF. Exit anyway.");
            }
            self.log_warning("There is a child rewriting the AOF. Killing it!");
            self.kill_aof_rewrite();
        }
        if self.aof_active() {
            self.log_notice("Calling fsync() on the AOF file.");
            self.flush_aof(true);
            if let Some(Err(e)) = self.aof.file.as_ref().map(|f| f.sync_data()) {
                self.log_warning(&format!(
                    "Fail to fsync the AOF file: {}.",
                    crate::config::special::os_error_text(&e)
                ));
            }
        }
        if wants_save {
            self.log_notice("Saving the final RDB snapshot before exiting.");
            if self.save_for_shutdown().is_err() && !f.force {
                self.log_warning("Error trying to save the DB, can't exit.");
                return false;
            }
        }
        let pidfile = self.config.str("pidfile");
        if !pidfile.is_empty() {
            let _ = std::fs::remove_file(&pidfile);
        }
        self.log_warning("Lodestone is now ready to exit, bye bye...");
        true
    }
}
