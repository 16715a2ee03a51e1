//! Writing the RDB file: a temporary file is filled, flushed and renamed
//! over the old one and the directory flushed, so a crash leaves either
//! the old file or the new one, never a torn one; on any failure the
//! temporary file is removed.
//!
//! The file is written as it is produced ([`RdbFile`]). With
//! `rdb-save-incremental-fsync` it is pushed to disk every 4 MB as
//! Redis does (`sync_file_range`: the writeback of each 4 MB starts at
//! once and the one before it is waited for), so the kernel never holds
//! a whole data set of dirty pages and the final fsync has little left
//! to do; unless the cache is to be kept, the file's pages are then
//! dropped from the page cache (Redis 7.2's `reclaimFilePageCache`).

use crate::config::special::os_error_text;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// How often an incrementally synced file is pushed to disk (Redis's
/// `REDIS_AUTOSYNC_BYTES`).
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// How the file is written.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileOptions {
    /// `rdb-save-incremental-fsync`.
    pub incremental_fsync: bool,
    /// Keep the file in the page cache (a shutdown save: the server is
    /// likely to restart and read it); otherwise, with incremental fsync,
    /// its pages are dropped as they reach the disk.
    pub keep_cache: bool,
}

/// Why a save failed, for the log.
#[derive(Debug)]
pub enum SaveError {
    /// The temporary file could not be created.
    Open(io::Error),
    /// Writing (`rdbSaveRio`) or flushing (`fsync`) it failed.
    Write(&'static str, io::Error),
    /// It could not be renamed over the file.
    Rename(io::Error),
    /// The directory could not be flushed after the rename.
    SyncDir(io::Error),
}

impl SaveError {
    /// The log line, worded as Redis's for the same failure; `name` is
    /// the file and `pid` the process that wrote the temporary file.
    pub fn log_line(&self, name: &str, pid: u32) -> String {
        let cwd = || {
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "unknown".into())
        };
        let text = os_error_text;
        match self {
            SaveError::Open(e) => format!(
                "Failed opening the temp RDB file temp-{pid}.rdb (in server root dir {}) for saving: {}",
                cwd(),
                text(e)
            ),
            SaveError::Write(op, e) => {
                format!("Write error while saving DB to the disk({op}): {}", text(e))
            }
            SaveError::Rename(e) => format!(
                "Error moving temp DB file temp-{pid}.rdb on the final destination {name} (in server root dir {}): {}",
                cwd(),
                text(e)
            ),
            SaveError::SyncDir(e) => {
                format!("Failed to fsync directory while saving DB: {}", text(e))
            }
        }
    }
}

/// Creates the temporary file of process `tag` next to `name`, lets
/// `write` fill it, flushes it and renames it over `name`.
pub fn write_atomically<T>(
    name: &str,
    tag: u32,
    opts: FileOptions,
    write: impl FnOnce(&mut RdbFile) -> io::Result<T>,
) -> Result<T, SaveError> {
    let tmp = temp_name(name, tag as i32);
    let file = File::create(&tmp).map_err(SaveError::Open)?;
    let mut f = RdbFile {
        file,
        written: 0,
        synced: 0,
        opts,
    };
    let result = write(&mut f)
        .map_err(|e| SaveError::Write("rdbSaveRio", e))
        .and_then(|t| {
            f.file
                .sync_all()
                .map_err(|e| SaveError::Write("fsync", e))?;
            if !opts.keep_cache {
                f.reclaim_cache();
            }
            Ok(t)
        });
    drop(f);
    let t = match result {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&tmp, name) {
        let _ = std::fs::remove_file(&tmp);
        return Err(SaveError::Rename(e));
    }
    let dir = tmp.parent().unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(SaveError::SyncDir)?;
    Ok(t)
}

/// The temporary file being written.
pub struct RdbFile {
    file: File,
    /// Bytes written.
    written: u64,
    /// Bytes whose writeback was started.
    synced: u64,
    opts: FileOptions,
}

impl RdbFile {
    /// Starts the writeback of every complete 4 MB written since the last
    /// call, and waits for the 4 MB before each (Redis's `rioFileWrite`
    /// with autosync).
    fn autosync(&mut self) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        while self.written - self.synced >= AUTOSYNC_BYTES {
            let start = self.synced;
            sync_range(fd, start, libc::SYNC_FILE_RANGE_WRITE)?;
            if let Some(before) = start.checked_sub(AUTOSYNC_BYTES) {
                sync_range(
                    fd,
                    before,
                    libc::SYNC_FILE_RANGE_WAIT_BEFORE
                        | libc::SYNC_FILE_RANGE_WRITE
                        | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                )?;
            }
            self.synced += AUTOSYNC_BYTES;
            if !self.opts.keep_cache {
                self.reclaim_cache();
            }
        }
        Ok(())
    }

    /// Drops the file's clean pages from the page cache (pages still
    /// being written stay; a later call gets them).
    fn reclaim_cache(&self) {
        // SAFETY: advice on our own open descriptor; it changes no data.
        unsafe { libc::posix_fadvise(self.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
}

/// `sync_file_range` of the 4 MB at `offset`.
fn sync_range(fd: i32, offset: u64, flags: libc::c_uint) -> io::Result<()> {
    // SAFETY: flushing a range of our own open descriptor.
    let r = unsafe { libc::sync_file_range(fd, offset as i64, AUTOSYNC_BYTES as i64, flags) };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Write for RdbFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.opts.incremental_fsync {
            self.autosync()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The temporary file a save of `name` by process `pid` writes before
/// renaming it (Redis's `temp-<pid>.rdb`, next to the file).
pub fn temp_name(name: &str, pid: i32) -> PathBuf {
    let dir = Path::new(name)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!("temp-{pid}.rdb"))
}

/// The bytes of `name`, or `None` when there is no such file.
pub fn read(name: &str) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(name) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lodestone-file-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_the_file_whole() {
        let dir = scratch("whole");
        let name = dir.join("dump.rdb");
        let name = name.to_str().unwrap();
        for (text, incremental_fsync) in [(&b"first"[..], false), (b"second", true)] {
            let opts = FileOptions {
                incremental_fsync,
                keep_cache: false,
            };
            write_atomically(name, 1, opts, |f| f.write_all(text)).unwrap();
            assert_eq!(read(name).unwrap().unwrap(), text);
        }
        assert!(read(dir.join("absent.rdb").to_str().unwrap())
            .unwrap()
            .is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn syncs_as_it_goes_and_keeps_every_byte() {
        let dir = scratch("autosync");
        let name = dir.join("dump.rdb");
        let name = name.to_str().unwrap();
        let data: Vec<u8> = (0..(3 * AUTOSYNC_BYTES as usize + 12345))
            .map(|i| (i % 253) as u8)
            .collect();
        let opts = FileOptions {
            incremental_fsync: true,
            keep_cache: false,
        };
        let synced = write_atomically(name, 2, opts, |f| {
            for chunk in data.chunks(65536) {
                f.write_all(chunk)?;
            }
            Ok(f.synced)
        })
        .unwrap();
        assert_eq!(synced, 3 * AUTOSYNC_BYTES);
        assert_eq!(read(name).unwrap().unwrap(), data);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("fail");
        let name = dir.join("dump.rdb");
        let name = name.to_str().unwrap();
        write_atomically(name, 3, FileOptions::default(), |f| f.write_all(b"old")).unwrap();
        let r = write_atomically(name, 3, FileOptions::default(), |f| {
            f.write_all(b"partial")?;
            Err::<(), _>(io::Error::other("disk full"))
        });
        assert!(matches!(r, Err(SaveError::Write("rdbSaveRio", _))));
        assert_eq!(read(name).unwrap().unwrap(), b"old");
        assert!(!temp_name(name, 3).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
