//! Scripts that run too long. Past `busy-reply-threshold` the interpreter's
//! instruction hook starts serving other clients between slices of the
//! script: they get BUSY errors, except for the commands allowed while
//! busy (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, ...). SCRIPT KILL
//! stops a script that has not written yet by raising an error inside it.

use crate::server::Server;

/// Lua instructions between two checks of the running time.
pub const HOOK_INSTRUCTIONS: u32 = 100_000;

/// The script that is over its time budget.
pub struct BusyScript {
    /// EVAL (true) or FCALL: SCRIPT KILL stops only the first, FUNCTION
    /// KILL only the second.
    pub eval: bool,
    /// The function's name (FUNCTION STATS).
    pub name: String,
    /// The FCALL that runs it (FUNCTION STATS); empty for EVAL.
    pub command: Vec<Vec<u8>>,
    /// When it started (FUNCTION STATS `duration_ms`).
    pub started: quanta::Instant,
    /// The script already wrote: it cannot be killed.
    pub write_dirty: bool,
    /// SCRIPT KILL / FUNCTION KILL asked it to stop.
    pub kill_requested: bool,
    /// The kill was logged (the hook sees it many times).
    pub kill_logged: bool,
    /// When all client sockets were last read (see
    /// `process_events_while_blocked`).
    pub last_sweep: quanta::Instant,
}

/// Least time between two reads of every client socket while busy.
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// What the hook decides after serving other clients.
pub enum HookVerdict {
    /// Keep running the script.
    Continue,
    /// Stop it with this error message.
    Abort(&'static str),
}

/// The running script, as the hook describes it.
pub struct Running<'a> {
    /// EVAL or FCALL.
    pub eval: bool,
    /// Its SHA1 or function name.
    pub name: &'a str,
    /// The FCALL request (empty for EVAL).
    pub command: &'a [Vec<u8>],
    /// When it started.
    pub started: quanta::Instant,
    /// It wrote already.
    pub write_dirty: bool,
}

impl Server {
    /// Called by the hook every [`HOOK_INSTRUCTIONS`]: once the script is
    /// over the threshold, marks the server busy and serves other clients.
    pub fn script_hook(&mut self, caller: usize, running: Running) -> HookVerdict {
        let Running {
            started,
            write_dirty,
            name,
            ..
        } = running;
        let threshold = self.rt.busy_reply_threshold_ms;
        if threshold <= 0 || (started.elapsed().as_millis() as i64) < threshold {
            return HookVerdict::Continue;
        }
        let now = quanta::Instant::now();
        let sweep = match self.busy_script.as_mut() {
            Some(b) => {
                b.write_dirty = write_dirty;
                let due = now.saturating_duration_since(b.last_sweep) >= SWEEP_INTERVAL;
                if due {
                    b.last_sweep = now;
                }
                due
            }
            None => {
                self.log_warning(&format!(
                    "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {name}.",
                    started.elapsed().as_millis(),
                    if running.eval { "SCRIPT KILL" } else { "FUNCTION KILL" }
                ));
                self.busy_script = Some(BusyScript {
                    eval: running.eval,
                    name: name.to_string(),
                    command: running.command.to_vec(),
                    started,
                    write_dirty,
                    kill_requested: false,
                    kill_logged: false,
                    last_sweep: now,
                });
                true
            }
        };
        self.process_events_while_blocked(Some(caller), sweep);
        if self.exit_now {
            return HookVerdict::Abort("Script interrupted by SHUTDOWN");
        }
        if let Some(b) = self.busy_script.as_mut().filter(|b| b.kill_requested) {
            // The hook keeps raising on every line until the script is out;
            // the kill is logged once.
            if !std::mem::replace(&mut b.kill_logged, true) {
                self.log_notice("Lua script killed by user with SCRIPT KILL.");
            }
            return HookVerdict::Abort("Script killed by user with SCRIPT KILL...");
        }
        HookVerdict::Continue
    }
}
