//! Refusing writes while persistence is failing (Redis's
//! `writeCommandsDeniedByDiskError`): with `stop-writes-on-bgsave-error`
//! on and save points configured, a failed BGSAVE makes every write
//! command (and PING, so that monitoring notices) fail with `-MISCONF`
//! until a save succeeds or the option is turned off. The dispatcher asks
//! [`Server::refused_for_disk_error`]; scripts ask [`Server::disk_error`]
//! per write command. Another persistence mechanism that can fail (the
//! AOF) adds its cause to [`DiskError`].

use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_commands::CmdError;

/// Why writes are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// The last background save failed.
    Rdb,
}

impl DiskError {
    /// The refusal of a write command, or of a write inside a script. (A
    /// script declaring writes is refused as a write command before it
    /// runs, so Redis's separate text for that case is never reached.)
    pub fn command_error(self) -> CmdError {
        match self {
            DiskError::Rdb => CmdError::MisconfRdb,
        }
    }
}

impl Server {
    /// Why writes are refused now, if they are.
    pub fn disk_error(&self) -> Option<DiskError> {
        // The common case costs one load: the parameters are only looked
        // up after a failure.
        if self.rdb.last_bgsave_ok {
            return None;
        }
        let refuse = self.config.bool("stop-writes-on-bgsave-error")
            && !self.config.str("save").trim().is_empty();
        refuse.then_some(DiskError::Rdb)
    }

    /// The refusal of a command because persistence is failing, if any:
    /// write commands (a script by the flags it declares, EXEC by the
    /// commands it queued) and PING.
    pub fn refused_for_disk_error(
        &self,
        key: usize,
        top_name: &str,
        args: &[&[u8]],
        cmd_flags: u64,
    ) -> Option<CmdError> {
        let cause = self.disk_error()?;
        let writes = crate::scripting::declared_writes(self, top_name, args)
            .unwrap_or(cmd_flags & cmdflags::WRITE != 0)
            || (top_name == "exec" && self.queued_writes(key));
        (writes || top_name == "ping").then(|| cause.command_error())
    }

    /// Whether the transaction `key` queued holds a write command.
    fn queued_writes(&self, key: usize) -> bool {
        let Some(m) = self.clients.get(key).and_then(|c| c.multi.as_ref()) else {
            return false;
        };
        m.queued.iter().any(|q| {
            let cmd = self.table.get(q.cmd);
            let top = cmd
                .parent
                .map_or(cmd.def.name, |p| self.table.get(p).def.name);
            let args: Vec<&[u8]> = q.args.iter().map(Vec::as_slice).collect();
            crate::scripting::declared_writes(self, top, &args)
                .unwrap_or(cmd.flags & cmdflags::WRITE != 0)
        })
    }
}
