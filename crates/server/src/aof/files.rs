//! The AOF directory on disk: creating it, reading and atomically
//! replacing the manifest (temporary file, fsync, rename, fsync of the
//! directory, as Redis's `writeAofManifestFile`), file sizes, and
//! deleting history files.

use super::manifest::{Manifest, ManifestError};
use super::AofConfig;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Why the manifest could not be read at startup.
#[derive(Debug)]
pub enum ReadError {
    /// The file exists but cannot be read; Redis's message.
    Io(String),
    /// The file is invalid.
    Invalid(ManifestError),
}

/// The manifest's file name (`<appendfilename>.manifest`).
pub fn manifest_name(cfg: &AofConfig) -> Vec<u8> {
    let mut n = cfg.filename.clone();
    n.extend_from_slice(b".manifest");
    n
}

/// The temporary incremental file written while the first rewrite runs
/// (`temp-<appendfilename>.incr`).
pub fn temp_incr_name(cfg: &AofConfig) -> Vec<u8> {
    let mut n = b"temp-".to_vec();
    n.extend_from_slice(&cfg.filename);
    n.extend_from_slice(b".incr");
    n
}

/// Creates the AOF directory unless it exists (`dirCreateIfMissing`).
pub fn create_dir(cfg: &AofConfig) -> io::Result<()> {
    match std::fs::create_dir(&cfg.dirname) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Reads the manifest; `None` when the directory or the manifest does not
/// exist (a server that never wrote an AOF, or an old-style single file).
pub fn read_manifest(cfg: &AofConfig) -> Result<Option<Manifest>, ReadError> {
    if !cfg.dirname.is_dir() {
        return Ok(None);
    }
    let path = cfg.path(&manifest_name(cfg));
    match std::fs::read(&path) {
        Ok(bytes) => Manifest::parse(&bytes)
            .map(Some)
            .map_err(ReadError::Invalid),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ReadError::Io(format!(
            "Fatal error: can't open the AOF manifest file {} for reading: {}",
            path.display(),
            crate::config::special::os_error_text(&e)
        ))),
    }
}

/// Writes the manifest if it changed, atomically. The error is the
/// warning Redis logs.
pub fn persist_manifest(cfg: &AofConfig, m: &mut Manifest) -> Result<(), String> {
    if !m.dirty {
        return Ok(());
    }
    write_manifest(cfg, &m.render())?;
    m.dirty = false;
    Ok(())
}

fn write_manifest(cfg: &AofConfig, text: &[u8]) -> Result<(), String> {
    let name = manifest_name(cfg);
    let mut tmp_name = b"temp-".to_vec();
    tmp_name.extend_from_slice(&name);
    let (path, tmp) = (cfg.path(&name), cfg.path(&tmp_name));
    let show = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    let err = crate::config::special::os_error_text;
    let mut f = File::create(&tmp).map_err(|e| {
        format!(
            "Can't open the AOF manifest file {}: {}",
            show(&tmp_name),
            err(&e)
        )
    })?;
    f.write_all(text).map_err(|e| {
        format!(
            "Error trying to write the temporary AOF manifest file {}: {}",
            show(&tmp_name),
            err(&e)
        )
    })?;
    f.sync_all().map_err(|e| {
        format!(
            "Fail to fsync the temp AOF file {}: {}.",
            show(&tmp_name),
            err(&e)
        )
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        format!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {}",
            show(&tmp_name),
            show(&name),
            err(&e)
        )
    })?;
    sync_dir(&cfg.dirname).map_err(|e| {
        format!(
            "Fail to fsync AOF directory {}: {}.",
            path.display(),
            err(&e)
        )
    })
}

/// Flushes a directory's entries (new and renamed files) to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

/// The size of an AOF file.
pub fn size(cfg: &AofConfig, name: &[u8]) -> io::Result<u64> {
    std::fs::metadata(cfg.path(name)).map(|m| m.len())
}
