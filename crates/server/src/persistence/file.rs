//! Snapshot files on disk: written to a temporary file, flushed, renamed
//! over the old one and the directory flushed, so a crash leaves either
//! the old file or the new one, never a torn one.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `name` (in the working directory, which is `dir`)
/// atomically; `tag` names the temporary file (Redis uses its pid).
pub fn write_atomically(name: &str, bytes: &[u8], tag: u32) -> io::Result<()> {
    let tmp = temp_name(name, tag as i32);
    let dir = tmp.parent().unwrap_or(Path::new("."));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, name)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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

/// The log line of a save that could not write its temporary file, as
/// Redis words it.
pub fn temp_failure(pid: u32, e: &io::Error) -> String {
    format!(
        "Failed opening the temp RDB file temp-{pid}.rdb (in server root dir {}) for saving: {e}",
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    )
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

    #[test]
    fn replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("lodestone-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let name = dir.join("dump.rdb");
        let name = name.to_str().unwrap();
        write_atomically(name, b"first", 1).unwrap();
        write_atomically(name, b"second", 1).unwrap();
        assert_eq!(read(name).unwrap().unwrap(), b"second");
        assert!(read(dir.join("absent.rdb").to_str().unwrap())
            .unwrap()
            .is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
