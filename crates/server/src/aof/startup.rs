//! The AOF at startup and DEBUG LOADAOF: read the manifest (an invalid
//! one stops the server), load the AOF instead of the RDB file when
//! `appendonly` is on, then open the incremental file to append to,
//! creating a base from the loaded data set when the AOF has no file yet
//! (Redis's `aofLoadManifestFromDisk`, `loadDataFromDisk`,
//! `aofOpenIfNeededOnServerStart`, `aofDelHistoryFiles`). Like Redis 7.2,
//! a server started with `appendonly yes` and no AOF starts empty even
//! when an RDB file exists, and writes its first base from that.

use super::load::LoadStatus;
use super::rewrite::open_for_append;
use super::{files, Status};
use crate::loading::LoadKind;
use crate::server::Server;
use lodestone_commands::{CmdError, CmdResult};
use std::io;
use std::sync::Arc;

impl Server {
    /// Loads the data set at startup from the AOF or the RDB file and
    /// opens the AOF for writing when it is on. Errors stop the server.
    pub fn load_data_at_startup(&mut self) -> io::Result<()> {
        self.read_aof_manifest().map_err(io::Error::other)?;
        if !self.config.bool("appendonly") {
            return self.load_at_startup();
        }
        self.aof.status = Status::On;
        // Nothing written yet: offset 0 is on disk (Redis starts
        // `fsynced_reploff` at 0 with the AOF on).
        self.aof.fsynced_reploff = 0;
        let started = std::time::Instant::now();
        let loaded = self.with_loading(LoadKind::Aof, 0, None, Server::load_aof_files);
        match loaded {
            LoadStatus::Failed | LoadStatus::OpenErr => {
                return Err(io::Error::other("loading the append only file failed"));
            }
            LoadStatus::NotExist => {}
            _ => self.log_notice(&format!(
                "DB loaded from append only file: {:.3} seconds",
                started.elapsed().as_secs_f64()
            )),
        }
        self.open_aof_at_startup().map_err(io::Error::other)?;
        self.delete_aof_history();
        self.sync_aof_feed();
        Ok(())
    }

    /// Reads the manifest from disk into the AOF state (an empty one when
    /// there is none); the error, already logged, is Redis's reason.
    fn read_aof_manifest(&mut self) -> Result<(), String> {
        match files::read_manifest(&self.aof.cfg) {
            Ok(m) => {
                self.aof.manifest = m.unwrap_or_default();
                Ok(())
            }
            Err(files::ReadError::Io(msg)) => {
                self.log_warning(&msg);
                Err(msg)
            }
            Err(files::ReadError::Invalid(e)) => {
                for line in e.log_lines() {
                    self.log_warning(&line);
                }
                Err(e.message.to_string())
            }
        }
    }

    /// Opens the last incremental file for appending, or creates it (and
    /// a base of the current data set when the AOF has no file at all),
    /// then writes the manifest (Redis's `aofOpenIfNeededOnServerStart`).
    fn open_aof_at_startup(&mut self) -> Result<(), String> {
        let cfg = self.aof.cfg.clone();
        let text = crate::config::special::os_error_text;
        if let Err(e) = files::create_dir(&cfg) {
            let msg = format!(
                "Can't open or create append-only dir {}: {}",
                cfg.dirname.display(),
                text(&e)
            );
            self.log_warning(&msg);
            return Err(msg);
        }
        let had_incr = !self.aof.manifest.incr.is_empty();
        if self.aof.manifest.is_empty() {
            let base = self.aof.manifest.new_base(&cfg.filename, cfg.rdb_preamble);
            if self.write_aof_base(&cfg.path(&base), &mut |_| {}).is_err() {
                return Err("can't create the AOF base file".into());
            }
            self.log_notice(&format!(
                "Creating AOF base file {} on server start",
                String::from_utf8_lossy(&base)
            ));
        }
        let name = self.aof.manifest.last_incr_or_new(&cfg.filename);
        let shown = String::from_utf8_lossy(&name).into_owned();
        let file = open_for_append(&cfg.path(&name), false).map_err(|e| {
            let msg = format!("Can't open the append-only file {shown}: {}", text(&e));
            self.log_warning(&msg);
            msg
        })?;
        if let Err(msg) = files::persist_manifest(&cfg, &mut self.aof.manifest) {
            self.log_warning(&msg);
            return Err(msg);
        }
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.aof.file = Some(Arc::new(file));
        self.aof.last_incr_size = size;
        self.aof.last_incr_fsync_offset = size;
        let verb = if had_incr { "Opening" } else { "Creating" };
        self.log_notice(&format!("{verb} AOF incr file {shown} on server start"));
        Ok(())
    }

    /// DEBUG LOADAOF: writes what is buffered, empties the data set and
    /// loads it back from the AOF.
    pub fn debug_loadaof(&mut self, key: usize) -> CmdResult {
        if self.aof_active() {
            self.flush_aof(true);
        }
        for ks in self.engine.shards_mut() {
            ks.flush(None, false);
        }
        self.functions.libs = Default::default();
        self.read_aof_manifest()
            .map_err(|_| CmdError::DebugLoadAofFailed)?;
        self.delete_aof_history();
        let status = self.with_loading(LoadKind::Aof, 0, Some(key), Server::load_aof_files);
        if !matches!(status, LoadStatus::Ok | LoadStatus::Empty) {
            return Err(CmdError::DebugLoadAofFailed);
        }
        // What was loaded is not a change to save or propagate.
        self.rdb.dirty_at_save = self.dirty_total();
        self.prevent_propagation = true;
        self.log_notice("Append Only File loaded by DEBUG LOADAOF");
        crate::handlers::reply(self, key, |r| r.ok());
        Ok(())
    }
}
