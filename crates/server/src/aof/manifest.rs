//! The AOF manifest: which files make up the append-only file, in Redis
//! 7's multi-part layout. One line per file, `file <name> seq <n> type
//! <b|h|i>`: at most one base (a snapshot, first), history files (replaced
//! by a rewrite, waiting for deletion) and incremental files (the writes
//! since the base, in sequence order). Parsing validates as Redis's
//! `aofLoadManifestFromFile` does, with its error texts; this module does
//! no I/O.

use lodestone_protocol::request::split_args;

/// Lines longer than this are refused (Redis's `MANIFEST_MAX_LINE`).
const MAX_LINE: usize = 1024;

/// What a manifest line describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// The base snapshot (`b`).
    Base,
    /// A file replaced by a rewrite, to be deleted (`h`).
    History,
    /// Writes since the base (`i`).
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One file of the AOF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// Its name inside the AOF directory.
    pub name: Vec<u8>,
    /// Its sequence number.
    pub seq: i64,
    /// Its role.
    pub kind: FileType,
}

/// The manifest in memory (Redis's `aofManifest`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<FileInfo>,
    /// Incremental files, oldest first.
    pub incr: Vec<FileInfo>,
    /// History files, to be deleted.
    pub history: Vec<FileInfo>,
    /// The highest base sequence number used.
    pub base_seq: i64,
    /// The highest incremental sequence number used.
    pub incr_seq: i64,
    /// Changed since it was last written to disk.
    pub dirty: bool,
}

/// Why a manifest was refused: Redis's message, with the offending line
/// and its number when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// Redis's text for the problem.
    pub message: &'static str,
    /// The line at fault (trimmed) and its 1-based number.
    pub line: Option<(usize, String)>,
}

impl ManifestError {
    /// The log lines Redis writes before exiting.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = vec!["*** FATAL AOF MANIFEST FILE ERROR ***".to_string()];
        if let Some((n, text)) = &self.line {
            lines.push(format!("Reading the manifest file, at line {n}"));
            lines.push(format!(">>> '{text}'"));
        }
        lines.push(self.message.to_string());
        lines
    }
}

/// True when `name` is a bare file name (Redis's `pathIsBaseName`).
fn is_base_name(name: &[u8]) -> bool {
    !name.contains(&b'/') && !name.contains(&b'\\')
}

/// C's `atoll`: leading blanks, a sign and digits; 0 when there are none.
fn atoll(s: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(s);
    crate::config::cparse::strtoll(&text, 10).value
}

impl Manifest {
    /// Parses a manifest file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        if bytes.is_empty() {
            return Err(ManifestError {
                message: "Found an empty AOF manifest",
                line: None,
            });
        }
        let mut max_incr_seq = 0;
        let mut rest = bytes;
        let mut number = 0;
        while !rest.is_empty() {
            // What one fgets of MAX_LINE bytes returns.
            let take = match rest.iter().position(|&b| b == b'\n') {
                Some(nl) if nl < MAX_LINE => nl + 1,
                _ => rest.len().min(MAX_LINE),
            };
            let (raw, tail) = rest.split_at(take);
            rest = tail;
            number += 1;
            if raw[0] == b'#' {
                continue;
            }
            let trimmed = trim(raw);
            let shown = String::from_utf8_lossy(trimmed).into_owned();
            let fail = |message| ManifestError {
                message,
                line: Some((number, shown.clone())),
            };
            if raw.last() != Some(&b'\n') {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            if trimmed.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let words = match split_args(trimmed) {
                Some(w) if w.len() >= 6 && w.len() % 2 == 0 => w,
                _ => return Err(fail("Invalid AOF manifest file format")),
            };
            let (mut name, mut seq, mut kind) = (None, 0, None);
            for pair in words.chunks_exact(2) {
                let value = &pair[1];
                if pair[0].eq_ignore_ascii_case(b"file") {
                    if !is_base_name(value) {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(value.clone());
                } else if pair[0].eq_ignore_ascii_case(b"seq") {
                    seq = atoll(value);
                } else if pair[0].eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied();
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            if seq == 0 || kind == 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(FileInfo {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                b'h' => m.history.push(FileInfo {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                b'i' => {
                    if seq <= max_incr_seq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    max_incr_seq = seq;
                    m.incr_seq = seq;
                    m.incr.push(FileInfo {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
        Ok(m)
    }

    /// The file's text: base first, then history, then incremental files;
    /// names that need it quoted as Redis's `sdscatrepr` quotes them.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incr);
        for f in all {
            out.extend_from_slice(b"file ");
            if needs_repr(&f.name) {
                crate::handlers::monitor::push_repr(&mut out, &f.name);
            } else {
                out.extend_from_slice(&f.name);
            }
            out.extend_from_slice(format!(" seq {} type {}\n", f.seq, f.kind.letter()).as_bytes());
        }
        out
    }

    /// Makes a new base named after `filename` (`.rdb` when the base is an
    /// RDB snapshot, `.aof` otherwise); the old base becomes history.
    /// Returns the new name.
    pub fn new_base(&mut self, filename: &[u8], rdb: bool) -> Vec<u8> {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = numbered(
            filename,
            self.base_seq,
            if rdb { ".base.rdb" } else { ".base.aof" },
        );
        self.base = Some(FileInfo {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileType::Base,
        });
        self.dirty = true;
        name
    }

    /// Adds a new incremental file and returns its name.
    pub fn new_incr(&mut self, filename: &[u8]) -> Vec<u8> {
        self.incr_seq += 1;
        let name = numbered(filename, self.incr_seq, ".incr.aof");
        self.incr.push(FileInfo {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// The incremental file being appended to, created when there is none.
    pub fn last_incr_or_new(&mut self, filename: &[u8]) -> Vec<u8> {
        match self.incr.last() {
            Some(f) => f.name.clone(),
            None => self.new_incr(filename),
        }
    }

    /// After a rewrite: the incremental files it covers become history,
    /// all of them, or all but the last when `keep_last` (the file still
    /// being written to).
    pub fn retire_rewritten_incrs(&mut self, keep_last: bool) {
        if self.incr.is_empty() {
            return;
        }
        let keep = usize::from(keep_last).min(self.incr.len());
        let cut = self.incr.len() - keep;
        for mut f in self.incr.drain(..cut).rev() {
            f.kind = FileType::History;
            self.history.insert(0, f);
        }
        self.dirty = true;
    }

    /// Base and incremental files, in loading order.
    pub fn live_files(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(&self.incr)
    }

    /// True when the manifest lists no base and no incremental file.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }
}

/// `<filename>.<seq><suffix>`.
fn numbered(filename: &[u8], seq: i64, suffix: &str) -> Vec<u8> {
    let mut name = filename.to_vec();
    name.extend_from_slice(format!(".{seq}{suffix}").as_bytes());
    name
}

/// Trims spaces, tabs and line ends at both ends (`sdstrim(" \t\r\n")`).
fn trim(mut s: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while s.first().is_some_and(blank) {
        s = &s[1..];
    }
    while s.last().is_some_and(blank) {
        s = &s[..s.len() - 1];
    }
    s
}

/// Redis's `sdsneedsrepr`: quoting is needed for escapes, blanks and
/// unprintable bytes.
fn needs_repr(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b'\\' | b'"') || !(0x21..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> &'static str {
        Manifest::parse(text.as_bytes()).unwrap_err().message
    }

    #[test]
    fn parses_and_renders_redis_layout() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n\
                    file appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, b"appendonly.aof.2.base.rdb");
        assert_eq!((m.base_seq, m.incr_seq), (2, 4));
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.incr.len(), 2);
        assert_eq!(m.render(), text.as_bytes());
        // Comments, any key order and case, and unknown keys are accepted.
        let m = Manifest::parse(b"# hi\nTYPE i SEQ 7 FILE x.aof extra 1\n").unwrap();
        assert_eq!(m.incr[0].seq, 7);
        assert!(m.base.is_none());
    }

    #[test]
    fn refuses_what_redis_refuses() {
        assert_eq!(err(""), "Found an empty AOF manifest");
        assert_eq!(
            err("file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        assert_eq!(err("\n"), "Invalid AOF manifest file format");
        assert_eq!(err("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            err("file a seq x type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            err("file \"a seq 1 type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            err("file d/a seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            err("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            err("file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(err("file a seq 1 type x\n"), "Unknown AOF file type");
        let long = format!("file {} seq 1 type b\n", "a".repeat(1100));
        assert_eq!(err(&long), "The AOF manifest file contains too long line");
        let e = Manifest::parse(b"file a seq 1 type b\nbad line\n").unwrap_err();
        assert_eq!(e.line, Some((2, "bad line".to_string())));
    }

    #[test]
    fn rewrites_move_files_to_history() {
        let mut m = Manifest::default();
        assert_eq!(
            m.new_base(b"appendonly.aof", true),
            b"appendonly.aof.1.base.rdb"
        );
        assert_eq!(
            m.last_incr_or_new(b"appendonly.aof"),
            b"appendonly.aof.1.incr.aof"
        );
        assert_eq!(m.new_incr(b"appendonly.aof"), b"appendonly.aof.2.incr.aof");
        assert_eq!(
            m.new_base(b"appendonly.aof", false),
            b"appendonly.aof.2.base.aof"
        );
        m.retire_rewritten_incrs(true);
        let text = String::from_utf8(m.render()).unwrap();
        assert_eq!(
            text,
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let mut quoted = Manifest::default();
        quoted.new_base(b"my file", true);
        assert_eq!(
            quoted.render(),
            b"file \"my file.1.base.rdb\" seq 1 type b\n"
        );
        assert_eq!(Manifest::parse(&quoted.render()).unwrap(), {
            let mut q = quoted.clone();
            q.dirty = false;
            q
        });
    }
}
