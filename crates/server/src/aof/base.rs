//! Writing a base file: the whole data set, as an RDB snapshot
//! (`aof-use-rdb-preamble yes`) or as commands, into a temporary file in
//! `dir` that is flushed and renamed into place (Redis's
//! `rewriteAppendOnlyFile`). With `aof-rewrite-incremental-fsync` the data
//! is flushed every 4 MB, so the final fsync has little left to do.

use super::commands;
use super::Logged;
use crate::server::Server;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Bytes written between two fsyncs with incremental fsync (Redis's
/// `REDIS_AUTOSYNC_BYTES`).
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file writer that flushes to disk every `AUTOSYNC_BYTES` when asked.
struct SyncingWriter {
    file: File,
    incremental: bool,
    unsynced: u64,
}

impl Write for SyncingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.incremental && self.unsynced >= AUTOSYNC_BYTES {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Server {
    /// Writes the data set as an AOF base file at `path`, in the process
    /// that calls it (the rewrite child, or the server at startup),
    /// calling `on_key` after each key with the number written so far.
    /// The error has been logged.
    pub fn write_aof_base(&self, path: &Path, on_key: &mut dyn FnMut(u64)) -> Result<(), Logged> {
        let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
        let err = crate::config::special::os_error_text;
        let file = match File::create(&tmp) {
            Ok(f) => f,
            Err(e) => {
                self.log_warning(&format!(
                    "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                    err(&e)
                ));
                return Err(Logged);
            }
        };
        let mut w = BufWriter::with_capacity(
            64 * 1024,
            SyncingWriter {
                file,
                incremental: self.aof.cfg.incremental_fsync,
                unsynced: 0,
            },
        );
        let written = self.write_base_content(&mut w, on_key).and_then(|()| {
            let inner = w.into_inner().map_err(|e| e.into_error())?;
            inner.file.sync_all()
        });
        if let Err(e) = written {
            self.log_warning(&format!(
                "Write error writing append only file on disk: {}",
                err(&e)
            ));
            let _ = std::fs::remove_file(&tmp);
            return Err(Logged);
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            self.log_warning(&format!(
                "Error moving temp append only file on the final destination: {}",
                err(&e)
            ));
            let _ = std::fs::remove_file(&tmp);
            return Err(Logged);
        }
        Ok(())
    }

    /// The base's bytes: an RDB snapshot or the commands of the data set.
    fn write_base_content(
        &self,
        w: &mut impl Write,
        on_key: &mut dyn FnMut(u64),
    ) -> io::Result<()> {
        if self.aof.cfg.rdb_preamble {
            crate::persistence::save::write_snapshot(self, w, true, on_key)?;
            return Ok(());
        }
        let timestamp = self
            .aof
            .feed
            .borrow()
            .timestamps
            .then(|| crate::server::unix_ms() / 1000);
        commands::write_dataset(self, w, timestamp, on_key)
    }
}
