//! How a command called by a script runs on the server (Redis's
//! `scriptCall`): the checks scripts are subject to, then the ordinary
//! [`Server::call`] on the calling client with the script's database and
//! protocol swapped in, so the command gets every effect a client's
//! command gets (statistics, notifications, WATCH invalidation) while its
//! reply goes to the script instead of the socket.

use super::run::RunState;
use crate::client::ReplyMode;
use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_commands::table::Resolved;

impl Server {
    /// Runs one command for a script (Redis's `scriptCall`): the checks a
    /// script's command gets, then [`Server::call`] on the caller with the
    /// script's database and protocol. The reply is appended to `reply`
    /// (whose buffer becomes the caller's output buffer meanwhile, so a
    /// reused one saves an allocation); a refusal (counted as the
    /// command's rejected call) returns its message.
    pub fn script_command(
        &mut self,
        state: &mut RunState,
        refs: &[&[u8]],
        reply: &mut Vec<u8>,
    ) -> Result<(), String> {
        let name = refs.first().copied().unwrap_or_default();
        let cached = match &self.last_script_lookup {
            Some((last, id)) if last.as_slice() == name => Some(*id),
            _ => None,
        };
        let id = match cached {
            Some(id) => id,
            None => match self.table.resolve(refs) {
                Resolved::Found(cmd) => {
                    // Top-level commands only: a container's subcommand
                    // depends on the next argument too.
                    if cmd.parent.is_none() && !cmd.is_container() {
                        self.last_script_lookup = Some((name.to_vec(), cmd.id));
                    }
                    cmd.id
                }
                _ => return self.script_refusal(None, "Unknown Redis command called from script"),
            },
        };
        let cmd = self.table.get(id);
        if !cmd.arity_ok(refs.len()) || cmd.handler.is_none() {
            return self.script_refusal(
                Some(id),
                "Wrong number of args calling Redis command from script",
            );
        }
        let flags = cmd.flags;
        if flags & cmdflags::NOSCRIPT != 0 && !self.script_disable_deny_script {
            return self.script_refusal(Some(id), "This Redis command is not allowed from script");
        }
        if state.read_only && flags & (cmdflags::WRITE | cmdflags::MAY_REPLICATE) != 0 {
            return self.script_refusal(
                Some(id),
                "Write commands are not allowed from read-only scripts.",
            );
        }
        // Persistence failing: a write is refused unless the script already
        // wrote (it cannot be stopped half-way).
        if flags & cmdflags::WRITE != 0 && !state.write_dirty {
            if let Some(cause) = self.disk_error() {
                let text = cause.command_error().message();
                return self.script_refusal(Some(id), &format!("-{text}"));
            }
        }
        // Over `maxmemory` when the script started: a command that may
        // grow memory is refused, unless the script already wrote (it
        // cannot be stopped half-way) or declared `allow-oom`.
        if flags & cmdflags::DENYOOM != 0
            && !state.allow_oom
            && !state.write_dirty
            && self.rt.maxmemory > 0
            && self.pre_command_oom
        {
            return self.script_refusal(
                Some(id),
                "-OOM command not allowed when used memory > 'maxmemory'.",
            );
        }
        if flags & cmdflags::WRITE != 0 {
            state.write_dirty = true;
        }
        let Some(c) = self.clients.get_mut(state.caller) else {
            return Err("the calling client is gone".into());
        };
        let saved_out = std::mem::replace(&mut c.out, std::mem::take(reply));
        let saved_sent = std::mem::replace(&mut c.out_sent, 0);
        let saved_pushes = std::mem::take(&mut c.set_aside_pushes);
        let saved_db = std::mem::replace(&mut c.db, state.db);
        let saved_resp = std::mem::replace(&mut c.resp, state.resp);
        c.script_saved_resp = Some(saved_resp);
        let saved_mode = std::mem::replace(&mut c.reply_mode, ReplyMode::On);
        let saved_last = c.last_cmd;
        let saved_targets = std::mem::replace(&mut self.effect_targets, state.repl_flags);
        self.call(state.caller, id, refs);
        self.effect_targets = saved_targets;
        let Some(c) = self.clients.get_mut(state.caller) else {
            return Err("the calling client is gone".into());
        };
        *reply = std::mem::replace(&mut c.out, saved_out);
        c.out_sent = saved_sent;
        let script_pushes = std::mem::replace(&mut c.set_aside_pushes, saved_pushes);
        c.set_aside_pushes.extend_from_slice(&script_pushes);
        state.db = std::mem::replace(&mut c.db, saved_db);
        c.resp = saved_resp;
        c.script_saved_resp = None;
        c.reply_mode = saved_mode;
        c.last_cmd = saved_last;
        Ok(())
    }

    /// Counts a command a script was refused and returns the refusal. A
    /// message starting with `-CODE ` carries its own error code (counted
    /// under it); others are `ERR`.
    fn script_refusal(&mut self, id: Option<usize>, msg: &str) -> Result<(), String> {
        if let Some(id) = id {
            self.cmd_stats[id].rejected_calls += 1;
        }
        let code = msg
            .strip_prefix('-')
            .and_then(|m| m.split(' ').next())
            .unwrap_or("ERR");
        self.stats.count_error(code.as_bytes());
        Err(msg.to_string())
    }

    /// Whether a script with these flags may not start because memory was
    /// over `maxmemory` when its command started (Redis's check in
    /// `scriptPrepareForRun`; scripts without a shebang are checked per
    /// command instead).
    pub fn script_refused_for_memory(&self, flags: &super::shebang::ScriptFlags) -> bool {
        !(flags.compat || flags.allow_oom || flags.no_writes)
            && self.rt.maxmemory > 0
            && self.pre_command_oom
    }
}
