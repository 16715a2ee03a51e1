//! SAVE, BGSAVE and LASTSAVE (Redis's `rdb.c` commands) and BGREWRITEAOF;
//! DEBUG RELOAD and DEBUG LOADAOF are in `debug.rs`. The work is in
//! [`crate::persistence`] and [`crate::aof`].

use super::{reply, ServerHandler};
use crate::loading::LoadKind;
use crate::server::Server;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("save", save),
    ("bgsave", bgsave),
    ("lastsave", lastsave),
    ("bgrewriteaof", bgrewriteaof),
];

/// `SAVE`
fn save(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    if s.rdb.child.is_some() {
        return Err(CmdError::BackgroundSaveInProgress);
    }
    s.save_now().map_err(|_| CmdError::Failed)?;
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `BGSAVE [SCHEDULE]`
fn bgsave(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let schedule = match args.get(1) {
        None => false,
        Some(a) if is(a, "SCHEDULE") && args.len() == 2 => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    if s.rdb.child.is_some() {
        return Err(CmdError::BackgroundSaveInProgress);
    }
    // Another child (an AOF rewrite), or inside a transaction: later.
    if s.has_active_child() || s.in_exec() {
        if !schedule && !s.in_exec() {
            return Err(CmdError::OtherChildActive);
        }
        s.rdb.scheduled = true;
        reply(s, key, |r| r.simple("Background saving scheduled"));
        return Ok(());
    }
    s.start_bgsave().map_err(|_| CmdError::Failed)?;
    reply(s, key, |r| r.simple("Background saving started"));
    Ok(())
}

/// `BGREWRITEAOF`: rewrites the AOF in a child, now or, when another
/// child runs (or inside a transaction), as soon as it ends.
fn bgrewriteaof(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    if s.aof.child.is_some() {
        return Err(CmdError::AofRewriteInProgress);
    }
    if s.has_active_child() || s.in_exec() {
        s.aof.rewrite_scheduled = true;
        // Asked for by hand: no pacing after earlier failures.
        s.aof.consecutive_failures = 0;
        reply(s, key, |r| {
            r.simple("Background append only file rewriting scheduled")
        });
        return Ok(());
    }
    s.start_aof_rewrite()
        .map_err(|_| CmdError::AofRewriteFailed)?;
    reply(s, key, |r| {
        r.simple("Background append only file rewriting started")
    });
    Ok(())
}

/// `LASTSAVE`: Unix time of the last successful save.
fn lastsave(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let t = s.rdb.last_save_unix;
    reply(s, key, |r| r.int(t));
    Ok(())
}

impl Server {
    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves, empties the data set
    /// (keys and function libraries) and loads the file back.
    pub fn debug_reload(&mut self, key: usize, args: &[&[u8]]) -> CmdResult {
        let (mut merge, mut flush, mut save) = (false, true, true);
        for a in &args[2..] {
            if is(a, "MERGE") {
                merge = true;
            } else if is(a, "NOFLUSH") {
                flush = false;
            } else if is(a, "NOSAVE") {
                save = false;
            } else {
                return Err(CmdError::DebugReloadOption);
            }
        }
        if save {
            self.save_now().map_err(|_| CmdError::Failed)?;
        }
        if flush {
            for ks in self.engine.shards_mut() {
                ks.flush(None, false);
            }
            self.functions.libs = Default::default();
        }
        let name = self.config.str("dbfilename");
        let loaded = crate::persistence::file::read(&name)
            .map_err(|e| e.to_string())
            .and_then(|b| b.ok_or_else(|| "no RDB file".to_string()))
            .and_then(|bytes| {
                self.with_loading(LoadKind::Rdb, bytes.len() as u64, Some(key), |s| {
                    crate::persistence::load::load(s, &bytes, merge)
                })
            });
        match loaded {
            Ok(l) => {
                self.rdb.last_load_keys_loaded = l.keys;
                self.rdb.last_load_keys_expired = l.expired;
                self.log_notice("DB reloaded by DEBUG RELOAD");
                // The data set came back from disk: nothing to propagate.
                self.prevent_propagation = true;
                reply(self, key, |r| r.ok());
                Ok(())
            }
            Err(e) => {
                self.log_warning(&e);
                Err(CmdError::DebugReloadFailed)
            }
        }
    }

    /// Loads `dbfilename` at startup, if it exists, answering clients with
    /// LOADING meanwhile. A file that cannot be loaded stops the server, as
    /// in Redis (serving a partial data set would look like data loss).
    pub fn load_at_startup(&mut self) -> std::io::Result<()> {
        let name = self.config.str("dbfilename");
        let Some(bytes) = crate::persistence::file::read(&name)? else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let loaded = self.with_loading(LoadKind::Rdb, bytes.len() as u64, None, |s| {
            crate::persistence::load::load(s, &bytes, false)
        });
        match loaded {
            Ok(l) => {
                self.rdb.last_load_keys_loaded = l.keys;
                self.rdb.last_load_keys_expired = l.expired;
                self.rdb.dirty_at_save = self.dirty_total();
                self.log_notice(&format!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    l.keys, l.expired
                ));
                self.log_notice(&format!(
                    "DB loaded from disk: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                ));
                Ok(())
            }
            Err(e) => {
                self.log_warning(&format!("Fatal error loading the DB: {e}. Exiting."));
                Err(std::io::Error::other(e))
            }
        }
    }
}
