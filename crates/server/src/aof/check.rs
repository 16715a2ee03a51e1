//! `lodestone-check-aof` (Redis's `redis-check-aof`): checks an AOF (a
//! manifest with its files, or an old-style single file, RDB preamble
//! included) and reports, with Redis's messages, where the last valid
//! command ends; `--fix` truncates a cut tail (last file only, after
//! asking), `--truncate-to-timestamp T` cuts the last file at the first
//! `#TS:` annotation later than `T`.
//!
//! Only files are touched: no server state is involved. Claimed lengths
//! are checked against the bytes left before anything is read.

use super::cursor::FileCursor as Cursor;
use super::load::rdb_prefix_len;
use super::manifest::{FileType, Manifest};
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How checking one file ended (Redis's `AOF_CHECK_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    Ok,
    Empty,
    Truncated,
    TimestampTruncated,
}

/// The tool stops here with this exit status (Redis calls `exit`).
struct Exit(i32);

/// The checker's state across files (Redis keeps the line count across
/// the files of a manifest).
struct Checker<'a> {
    out: &'a mut dyn Write,
    input: &'a mut dyn BufRead,
    fix: bool,
    to_timestamp: i64,
    line: u64,
    error: String,
}

/// What was found reading one line-based item.
enum Read1 {
    Value(i64),
    /// End of file (no error text, as Redis's `fgets` returning NULL).
    Eof,
    Bad,
}

/// Runs the tool with `args` (without the program name), printing to
/// `out` and reading the `--fix` confirmation from `input`; returns the
/// exit status.
pub fn run(program: &str, args: &[String], out: &mut dyn Write, input: &mut dyn BufRead) -> i32 {
    let (fix, to_timestamp, path) = match args {
        [p] => (false, 0, p),
        [flag, p] if flag == "--fix" => (true, 0, p),
        [flag, ts, p] if flag == "--truncate-to-timestamp" => match ts.parse::<i64>() {
            Ok(t) => (false, t, p),
            Err(_) => {
                let _ = writeln!(out, "Invalid timestamp, aborting...");
                return 1;
            }
        },
        _ => {
            let _ = writeln!(
                out,
                "Usage: {program} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>"
            );
            return 1;
        }
    };
    let mut c = Checker {
        out,
        input,
        fix,
        to_timestamp,
        line: 1,
        error: String::new(),
    };
    let path = Path::new(path);
    let outcome = match file_kind(path) {
        Err(msg) => {
            let _ = writeln!(c.out, "{msg}");
            Err(Exit(1))
        }
        Ok(Kind::Manifest) => c.check_multi_part(path),
        Ok(kind) => {
            let _ = writeln!(c.out, "Start checking Old-Style AOF");
            let name = path.display().to_string();
            c.check_file(&name, path, true, kind == Kind::RdbPreamble)
                .map(|r| c.report(r, &name, "AOF"))
        }
    };
    match outcome {
        Ok(()) => 0,
        Err(Exit(code)) => code,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Manifest,
    RdbPreamble,
    Resp,
}

/// Tells a manifest (its first non-comment line starts with `file`), an
/// RDB-preamble AOF and a plain one apart.
fn file_kind(path: &Path) -> Result<Kind, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "Cannot open file {}: {}",
            path.display(),
            crate::config::special::os_error_text(&e)
        )
    })?;
    let first = bytes
        .split(|&b| b == b'\n')
        .find(|l| !l.starts_with(b"#"))
        .unwrap_or_default();
    if !bytes.is_empty() && first.starts_with(b"file") {
        Ok(Kind::Manifest)
    } else if bytes.len() >= 8 && bytes.starts_with(b"REDIS") {
        Ok(Kind::RdbPreamble)
    } else {
        Ok(Kind::Resp)
    }
}

fn is_rdb(path: &Path) -> bool {
    let mut sig = [0u8; 5];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut sig))
        .is_ok()
        && &sig == b"REDIS"
}

impl Checker<'_> {
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// Records an error at `at` (Redis's `ERROR` macro).
    fn fail(&mut self, at: u64, msg: String) {
        self.error = format!("0x{at:>16x}: {msg}");
    }

    fn report(&mut self, r: Checked, name: &str, what: &str) {
        match r {
            Checked::Ok => self.say(&format!("{what} {name} is valid")),
            Checked::Empty => self.say(&format!("{what} {name} is empty")),
            Checked::TimestampTruncated => self.say(&format!(
                "Successfully truncated AOF {name} to timestamp {}",
                self.to_timestamp
            )),
            Checked::Truncated => self.say(&format!("Successfully truncated AOF {name}")),
        }
    }

    /// Checks the files of a manifest, base then incremental files.
    fn check_multi_part(&mut self, manifest_path: &Path) -> Result<(), Exit> {
        self.say("Start checking Multi Part AOF");
        let bytes = std::fs::read(manifest_path).map_err(|e| {
            self.say(&format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                manifest_path.display(),
                crate::config::special::os_error_text(&e)
            ));
            Exit(1)
        })?;
        let m = Manifest::parse(&bytes).map_err(|e| {
            for line in e.log_lines() {
                self.say(&line);
            }
            Exit(1)
        })?;
        let dir = manifest_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let files: Vec<_> = m.live_files().cloned().collect();
        let total = files.len();
        for (i, f) in files.iter().enumerate() {
            use std::os::unix::ffi::OsStrExt;
            let path: PathBuf = dir.join(std::ffi::OsStr::from_bytes(&f.name));
            let name = String::from_utf8_lossy(&f.name).into_owned();
            let last = i + 1 == total;
            if f.kind == FileType::Base {
                let rdb = is_rdb(&path);
                self.say(&format!(
                    "Start to check BASE AOF ({} format).",
                    if rdb { "RDB" } else { "RESP" }
                ));
                let r = self.check_file(&name, &path, last, rdb)?;
                self.report(r, &name, "BASE AOF");
            } else {
                if i == usize::from(m.base.is_some()) {
                    self.say("Start to check INCR files.");
                }
                let r = self.check_file(&name, &path, last, false)?;
                self.report(r, &name, "INCR AOF");
            }
        }
        self.say("All AOF files and manifest are valid");
        Ok(())
    }

    /// Checks one file (Redis's `checkSingleAof`).
    fn check_file(
        &mut self,
        name: &str,
        path: &Path,
        last: bool,
        preamble: bool,
    ) -> Result<Checked, Exit> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| {
                self.say(&format!(
                    "Cannot open file {}: {}, aborting...",
                    path.display(),
                    crate::config::special::os_error_text(&e)
                ));
                Exit(1)
            })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            return Ok(Checked::Empty);
        }
        let mut cur = Cursor::new(file, size, 8 * 1024);
        if preamble {
            self.check_preamble(&mut cur, path)?;
        }
        let mut pos = cur.pos;
        let mut multi = 0i64;
        let mut at_eof = false;
        loop {
            if multi == 0 {
                pos = cur.pos;
            }
            let Ok(next) = cur.peek() else {
                self.say(&format!("Failed to read from AOF {name}, aborting..."));
                return Err(Exit(1));
            };
            match next {
                None => {
                    at_eof = true;
                    break;
                }
                Some(b'#') => {
                    if self.annotation(&mut cur, path, last)? {
                        return Ok(Checked::TimestampTruncated);
                    }
                }
                Some(b'*') => match self.command(&mut cur, path, &mut multi) {
                    Ok(true) => {}
                    Ok(false) => {
                        at_eof = cur.pos >= cur.size;
                        break;
                    }
                    Err(_) => {
                        self.say(&format!("Failed to read from AOF {name}, aborting..."));
                        return Err(Exit(1));
                    }
                },
                Some(_) => {
                    self.say(&format!("AOF {name} format error"));
                    break;
                }
            }
        }
        if at_eof && multi != 0 && self.error.is_empty() {
            self.fail(cur.pos, "Reached EOF before reading EXEC for MULTI".into());
        }
        if !self.error.is_empty() {
            let e = std::mem::take(&mut self.error);
            self.say(&e);
        }
        let diff = size - pos;
        if diff == 0 && self.to_timestamp != 0 {
            self.say(&format!(
                "Truncate nothing in AOF {name} to timestamp {}",
                self.to_timestamp
            ));
            return Ok(Checked::Ok);
        }
        self.say(&format!(
            "AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={}, diff={diff}",
            self.line
        ));
        if diff == 0 {
            return Ok(Checked::Ok);
        }
        if !self.fix {
            self.say(&format!(
                "AOF {name} is not valid. Use the --fix option to try fixing it."
            ));
            return Err(Exit(1));
        }
        if !last {
            self.say(&format!(
                "Failed to truncate AOF {name} because it is not the last file"
            ));
            return Err(Exit(1));
        }
        self.say(&format!(
            "This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes"
        ));
        let _ = write!(self.out, "Continue? [y/N]: ");
        let _ = self.out.flush();
        let mut answer = String::new();
        let _ = self.input.read_line(&mut answer);
        if !answer.to_ascii_lowercase().starts_with('y') {
            self.say("Aborting...");
            return Err(Exit(1));
        }
        if cur.r.get_ref().set_len(pos).is_err() {
            self.say(&format!("Failed to truncate AOF {name}"));
            return Err(Exit(1));
        }
        Ok(Checked::Truncated)
    }

    /// Checks an RDB preamble and moves past it.
    fn check_preamble(&mut self, cur: &mut Cursor, path: &Path) -> Result<(), Exit> {
        self.say(&format!("[offset 0] Checking RDB file {}", path.display()));
        let mut bytes = Vec::with_capacity(cur.size as usize);
        let sane = cur.r.read_to_end(&mut bytes).is_ok()
            && match rdb_prefix_len(&bytes, &Default::default()) {
                Ok(end) => {
                    let crc_ok = end < 8 || {
                        let stored =
                            u64::from_le_bytes(bytes[end - 8..end].try_into().unwrap_or([0; 8]));
                        stored == 0 || stored == lodestone_storage::rdb::crc64(&bytes[..end - 8])
                    };
                    if crc_ok {
                        self.say(&format!("[offset {end}] \\o/ RDB looks OK! \\o/"));
                        cur.pos = end as u64;
                    }
                    crc_ok
                }
                Err(e) => {
                    self.say(&format!("--- RDB ERROR DETECTED ---\n{e}"));
                    false
                }
            };
        if !sane || cur.r.seek(SeekFrom::Start(cur.pos)).is_err() {
            self.say("RDB preamble of AOF file is not sane, aborting.");
            return Err(Exit(1));
        }
        self.say("RDB preamble is OK, proceeding with AOF tail...");
        Ok(())
    }

    /// Reads an annotation; with `--truncate-to-timestamp`, a later
    /// timestamp cuts the file there (true when it did).
    fn annotation(&mut self, cur: &mut Cursor, path: &Path, last: bool) -> Result<bool, Exit> {
        let at = cur.pos;
        let line = match cur.fgets(1024) {
            Ok(Some(l)) => l,
            _ => {
                self.say(&format!(
                    "Failed to read annotations from AOF {}, aborting...",
                    path.display()
                ));
                return Err(Exit(1));
            }
        };
        let Some(ts) = line
            .strip_prefix(b"#TS:")
            .filter(|_| self.to_timestamp != 0)
        else {
            return Ok(false);
        };
        let digits_end = ts.iter().position(|&b| b == b'\r').unwrap_or(ts.len());
        let parsed = std::str::from_utf8(&ts[..digits_end])
            .ok()
            .and_then(|t| t.parse::<i64>().ok());
        let Some(t) = parsed.filter(|_| digits_end < ts.len()) else {
            self.say("Invalid timestamp annotation");
            return Err(Exit(1));
        };
        if t <= self.to_timestamp {
            return Ok(false);
        }
        let to = self.to_timestamp;
        let shown = path.display();
        if at == 0 {
            self.say(&format!(
                "AOF {shown} has nothing before timestamp {to}, aborting..."
            ));
            return Err(Exit(1));
        }
        if !last {
            self.say(&format!("Failed to truncate AOF {shown} to timestamp {to} to offset {at} because it is not the last file."));
            self.say("If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.");
            return Err(Exit(1));
        }
        if cur.r.get_ref().set_len(at).is_err() {
            self.say(&format!("Failed to truncate AOF {shown} to timestamp {to}"));
            return Err(Exit(1));
        }
        Ok(true)
    }

    /// Reads `<prefix><number>\r\n` (Redis's `readLong`).
    fn number(&mut self, cur: &mut Cursor, prefix: u8) -> io::Result<Read1> {
        let at = cur.pos;
        let Some(line) = cur.fgets(128)? else {
            return Ok(Read1::Eof);
        };
        if line[0] != prefix {
            self.fail(
                at,
                format!(
                    "Expected prefix '{}', got: '{}'",
                    prefix as char, line[0] as char
                ),
            );
            return Ok(Read1::Bad);
        }
        let rest = &line[1..];
        let digits = rest
            .iter()
            .enumerate()
            .take_while(|&(i, b)| b.is_ascii_digit() || (i == 0 && (*b == b'-' || *b == b'+')))
            .count();
        let value = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if !self.newline(at, &rest[digits..]) {
            return Ok(Read1::Bad);
        }
        Ok(Read1::Value(value))
    }

    /// Checks for `\r\n` (Redis's `consumeNewline`), counting the line.
    fn newline(&mut self, at: u64, b: &[u8]) -> bool {
        if !b.starts_with(b"\r\n") {
            let x = |i: usize| b.get(i).copied().unwrap_or(0);
            self.fail(
                at,
                format!("Expected \\r\\n, got: {:02x}{:02x}", x(0), x(1)),
            );
            return false;
        }
        self.line += 1;
        true
    }

    /// Reads one command; false when it is malformed or cut (Redis's
    /// `processRESP`). Tracks MULTI/EXEC nesting in `multi`.
    fn command(&mut self, cur: &mut Cursor, path: &Path, multi: &mut i64) -> io::Result<bool> {
        let argc = match self.number(cur, b'*')? {
            Read1::Value(n) => n,
            _ => return Ok(false),
        };
        for i in 0..argc.max(0) {
            let len = match self.number(cur, b'$')? {
                Read1::Value(n) => n,
                _ => return Ok(false),
            };
            if !(0..=i64::MAX - 2).contains(&len) {
                self.fail(cur.pos, format!("Expected to read string of {len} bytes, which is not in the suitable range"));
                return Ok(false);
            }
            let at = cur.pos;
            let want = len as u64 + 2;
            let left = cur.size - cur.pos;
            if want > left {
                self.fail(
                    at,
                    format!("Expected to read {want} bytes, got {left} bytes"),
                );
                return Ok(false);
            }
            // The command name is kept (MULTI/EXEC); other arguments skipped.
            let keep = if i == 0 && len <= 16 { len as usize } else { 0 };
            let mut head = vec![0u8; keep];
            cur.r.read_exact(&mut head)?;
            cur.r.seek_relative((len as u64 - keep as u64) as i64)?;
            let mut crlf = [0u8; 2];
            cur.r.read_exact(&mut crlf)?;
            cur.pos += want;
            if !self.newline(at, &crlf) {
                return Ok(false);
            }
            if i == 0 {
                let shown = path.display();
                if head.eq_ignore_ascii_case(b"multi") {
                    *multi += 1;
                    if *multi != 1 {
                        self.fail(at, format!("Unexpected MULTI in AOF {shown}"));
                        return Ok(false);
                    }
                } else if head.eq_ignore_ascii_case(b"exec") {
                    *multi -= 1;
                    if *multi != 0 {
                        self.fail(at, format!("Unexpected EXEC in AOF {shown}"));
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}
