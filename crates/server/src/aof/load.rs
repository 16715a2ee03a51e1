//! Replaying the AOF (Redis's `loadAppendOnlyFiles` and
//! `loadSingleAppendOnlyFile`): the base, then every incremental file in
//! manifest order. A base starting with `REDIS` is an RDB snapshot and
//! goes through the RDB loader; everything else is RESP commands, run
//! through the normal command path (`Server::call`) by a fake client whose
//! replies are discarded, MULTI/EXEC included, so a transaction applies
//! whole. While replaying, nothing expires and nothing is propagated.
//!
//! A file cut short (an incomplete command, or a MULTI without its EXEC
//! at the very end) is truncated to its last complete command or
//! transaction when `aof-load-truncated` is on and it is the last file;
//! otherwise, and for malformed content, loading fails with Redis's
//! messages. Claimed lengths are checked against the bytes left in the
//! file before anything is allocated.

use super::cursor::FileCursor;
use super::files;
use super::Logged;
use crate::client::Client;
use crate::server::Server;
use lodestone_commands::table::Resolved;
use lodestone_storage::rdb::snapshot::{Item, SnapshotError, SnapshotReader};
use lodestone_storage::rdb::value::decode_value;
use lodestone_storage::KeyspaceConfig;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek};
use std::os::unix::ffi::OsStrExt;

/// Longest line read at once (Redis reads lines with a 1024-byte buffer,
/// `AOF_ANNOTATION_LINE_MAX_LEN`).
const LINE_MAX: usize = 1024;
/// Commands replayed between two moments the load serves clients (Redis
/// serves them every 1024 commands of an AOF).
const PROGRESS_EVERY_COMMANDS: u64 = 1024;

/// How loading ended (Redis's `AOF_*` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    /// Loaded.
    Ok,
    /// The manifest lists no file.
    NotExist,
    /// The files are empty.
    Empty,
    /// A file could not be opened.
    OpenErr,
    /// Loading failed; the reason is logged.
    Failed,
    /// Loaded, but the last file was cut short and has been truncated.
    Truncated,
}

/// Why reading a command stopped.
enum Stop {
    /// The file ended where a command was expected: done.
    End,
    /// The file ended inside a command.
    Short,
    /// Not the AOF format.
    Format,
    /// A read failed.
    Io(io::Error),
}

/// The loader's view of an append-only file: lines, exact byte counts
/// and whole commands, read through the cursor the checker also uses.
struct AofReader {
    cur: FileCursor,
    /// Where this file starts in everything the load reads (the sizes of
    /// the files before it), for the LOADING progress.
    start: u64,
}

impl AofReader {
    /// A line as C's `fgets` with a `LINE_MAX` buffer reads it.
    fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        self.cur.fgets(LINE_MAX)
    }

    /// Exactly `n` bytes, or `Short` when the file has fewer left.
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, Stop> {
        if n > self.cur.size.saturating_sub(self.cur.pos) {
            return Err(Stop::Short);
        }
        let mut out = vec![0; n as usize];
        match self.cur.r.read_exact(&mut out) {
            Ok(()) => {
                self.cur.pos += n;
                Ok(out)
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Stop::Short),
            Err(e) => Err(Stop::Io(e)),
        }
    }

    /// The next command's arguments, skipping annotation lines.
    fn command(&mut self) -> Result<Vec<Vec<u8>>, Stop> {
        let header = loop {
            match self.line().map_err(Stop::Io)? {
                None => return Err(Stop::End),
                Some(l) if l[0] == b'#' => continue,
                Some(l) => break l,
            }
        };
        if header[0] != b'*' {
            return Err(Stop::Format);
        }
        if header.len() == 1 {
            return Err(Stop::Short);
        }
        let argc = atoi(&header[1..]);
        if argc < 1 {
            return Err(Stop::Format);
        }
        let mut args = Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            let l = self.line().map_err(Stop::Io)?.ok_or(Stop::Short)?;
            if l[0] != b'$' {
                return Err(Stop::Format);
            }
            let len = atoi(&l[1..]);
            if len < 0 {
                return Err(Stop::Format);
            }
            args.push(self.bytes(len as u64)?);
            // The CRLF after the argument, read without a check as Redis does.
            self.bytes(2)?;
        }
        Ok(args)
    }
}

/// Where the RDB snapshot at the start of `bytes` ends (after its
/// checksum), found by reading it through, every value decoded and
/// validated, without loading anything: an old-style AOF goes on with
/// commands after it.
pub fn rdb_prefix_len(bytes: &[u8], config: &KeyspaceConfig) -> Result<usize, String> {
    let corrupt = |e: SnapshotError| format!("Short read or corrupt RDB preamble: {e:?}");
    let mut r = SnapshotReader::open(bytes).map_err(corrupt)?;
    loop {
        match r.next_item().map_err(corrupt)? {
            Item::Eof => {
                let crc = if r.version() >= 5 { 8 } else { 0 };
                return Ok((r.offset() + crc).min(bytes.len()));
            }
            Item::Key { kind, .. } => {
                decode_value(r.values(), kind, config)
                    .map_err(|e| format!("Bad value in the RDB preamble: {e:?}"))?;
            }
            _ => {}
        }
    }
}

/// C's `atoi`/`strtol`: a leading integer, 0 when there is none.
fn atoi(s: &[u8]) -> i64 {
    crate::config::cparse::strtoll(&String::from_utf8_lossy(s), 10).value
}

/// What a command replayed now needs from the server's state, saved so
/// the replay leaves no trace in statistics, SLOWLOG, LATENCY or MONITOR
/// (Redis runs loaded commands outside its `call`).
struct Saved {
    cmd_stats: Vec<crate::stats::CommandStats>,
    total_commands: u64,
    slowlog_threshold: i64,
    latency_threshold: i64,
    monitors: Vec<usize>,
}

impl Server {
    /// Loads every file of the manifest (Redis's `loadAppendOnlyFiles`),
    /// moving an old single-file AOF into the directory first.
    pub fn load_aof_files(&mut self) -> LoadStatus {
        if let Err(Logged) = self.upgrade_old_aof() {
            return LoadStatus::Failed;
        }
        if self.aof.manifest.is_empty() {
            return LoadStatus::NotExist;
        }
        let cfg = self.aof.cfg.clone();
        let files: Vec<(Vec<u8>, bool)> = self
            .aof
            .manifest
            .live_files()
            .map(|f| (f.name.clone(), f.kind == super::manifest::FileType::Base))
            .collect();
        let mut total = 0;
        for (name, _) in &files {
            match files::size(&cfg, name) {
                Ok(n) => total += n,
                Err(e) => {
                    self.log_warning(&format!(
                        "Unable to obtain the AOF file {} length. stat: {}",
                        String::from_utf8_lossy(name),
                        crate::config::special::os_error_text(&e)
                    ));
                    return if e.kind() == io::ErrorKind::NotFound {
                        LoadStatus::Failed
                    } else {
                        LoadStatus::OpenErr
                    };
                }
            }
        }
        if total == 0 {
            return LoadStatus::Empty;
        }
        if let Some(l) = self.loading.as_mut() {
            l.total_bytes = total;
        }
        let mut base_size = 0;
        let mut start = 0;
        let mut ret = LoadStatus::Ok;
        let count = files.len();
        for (i, (name, is_base)) in files.iter().enumerate() {
            let last = i + 1 == count;
            if *is_base {
                base_size = files::size(&cfg, name).unwrap_or(0);
            }
            let started = std::time::Instant::now();
            ret = self.load_aof_file(name, start);
            start += files::size(&cfg, name).unwrap_or(0);
            let shown = String::from_utf8_lossy(name);
            if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
                let kind = if *is_base { "base" } else { "incr" };
                self.log_notice(&format!(
                    "DB loaded from {kind} file {shown}: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                ));
            }
            if ret == LoadStatus::Empty && !is_base {
                ret = LoadStatus::Ok;
            }
            if ret == LoadStatus::Truncated && !last {
                ret = LoadStatus::Failed;
                self.log_warning("Fatal error: the truncated file is not the last file");
            }
            if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
                return ret;
            }
        }
        self.aof.current_size = total;
        self.aof.rewrite_base_size = base_size;
        ret
    }

    /// Moves an old-style single AOF (`appendfilename` in `dir`) into the
    /// AOF directory as its base (Redis's `aofUpgradePrepare`), when there
    /// is one and no manifest already covers it.
    fn upgrade_old_aof(&mut self) -> Result<(), Logged> {
        let cfg = self.aof.cfg.clone();
        let old = cfg.path(&cfg.filename);
        let name = std::path::Path::new(std::ffi::OsStr::from_bytes(&cfg.filename));
        if !name.is_file() {
            return Ok(());
        }
        let m = &self.aof.manifest;
        let upgrade = !cfg.dirname.is_dir()
            || m.is_empty()
            || (m.incr.is_empty()
                && m.base.as_ref().is_some_and(|b| b.name == cfg.filename)
                && !old.exists());
        if !upgrade {
            return Ok(());
        }
        if let Err(e) = files::create_dir(&cfg) {
            self.log_warning(&format!(
                "Can't open or create append-only dir {}: {}",
                cfg.dirname.display(),
                crate::config::special::os_error_text(&e)
            ));
            return Err(Logged);
        }
        let m = &mut self.aof.manifest;
        m.base = Some(super::manifest::FileInfo {
            name: cfg.filename.clone(),
            seq: 1,
            kind: super::manifest::FileType::Base,
        });
        m.base_seq = 1;
        m.dirty = true;
        if let Err(msg) = files::persist_manifest(&cfg, m) {
            self.log_warning(&msg);
            return Err(Logged);
        }
        let shown = String::from_utf8_lossy(&cfg.filename).into_owned();
        if let Err(e) = std::fs::rename(name, &old) {
            self.log_warning(&format!(
                "Error trying to move the old AOF file {shown} into dir {}: {}",
                cfg.dirname.display(),
                crate::config::special::os_error_text(&e)
            ));
            return Err(Logged);
        }
        self.log_notice(&format!(
            "Successfully migrated an old-style AOF file ({shown}) into the AOF directory ({}).",
            cfg.dirname.display()
        ));
        Ok(())
    }

    /// Loads one file (Redis's `loadSingleAppendOnlyFile`).
    fn load_aof_file(&mut self, name: &[u8], start: u64) -> LoadStatus {
        let shown = String::from_utf8_lossy(name).into_owned();
        let path = self.aof.cfg.path(name);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let text = crate::config::special::os_error_text(&e);
                return if e.kind() == io::ErrorKind::NotFound {
                    self.log_warning(&format!(
                        "The append log file {shown} doesn't exist: {text}"
                    ));
                    LoadStatus::NotExist
                } else {
                    self.log_warning(&format!(
                        "Fatal error: can't open the append log file {shown} for reading: {text}"
                    ));
                    LoadStatus::OpenErr
                };
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            return LoadStatus::Empty;
        }
        let mut reader = AofReader {
            cur: FileCursor::new(file, size, 64 * 1024),
            start,
        };
        let rdb = reader
            .cur
            .r
            .fill_buf()
            .is_ok_and(|b| b.starts_with(b"REDIS"));
        if rdb {
            // A file named like the AOF itself is an old-style single
            // file: its RDB preamble may be followed by commands.
            let old_style = name == self.aof.cfg.filename.as_slice();
            let end = match self.load_rdb_part(&mut reader, &shown, old_style) {
                Ok(end) => end,
                Err(status) => return status,
            };
            if end == size {
                return LoadStatus::Ok;
            }
            if let Err(e) = reader.cur.r.seek(io::SeekFrom::Start(end)) {
                self.log_warning(&format!(
                    "Unrecoverable error reading the append only file {shown}: {}",
                    crate::config::special::os_error_text(&e)
                ));
                return LoadStatus::Failed;
            }
            reader.cur.pos = end;
            self.log_notice("Reading the remaining AOF tail...");
        }
        let saved = self.begin_replay();
        let fake = self.clients.insert(Client::fake(u64::MAX, self.now_ms));
        let status = self.replay_commands(&mut reader, fake, &shown, &path);
        self.pending_writes.retain(|&k| k != fake);
        self.clients.remove(fake);
        self.end_replay(saved);
        status
    }

    /// Loads the RDB snapshot a file starts with (a base, or an old-style
    /// file's preamble); gives the offset where it ends.
    fn load_rdb_part(
        &mut self,
        reader: &mut AofReader,
        shown: &str,
        old_style: bool,
    ) -> Result<u64, LoadStatus> {
        self.log_notice(if old_style {
            "Reading RDB preamble from AOF file..."
        } else {
            "Reading RDB base file on AOF loading..."
        });
        let mut bytes = Vec::with_capacity(reader.cur.size as usize);
        if let Err(e) = reader.cur.r.read_to_end(&mut bytes) {
            self.log_warning(&format!(
                "Unrecoverable error reading the append only file {shown}: {}",
                crate::config::special::os_error_text(&e)
            ));
            return Err(LoadStatus::Failed);
        }
        let end = if old_style {
            match self.engine.shards().first() {
                Some(ks) => rdb_prefix_len(&bytes, &ks.config),
                None => Err("no keyspace".to_string()),
            }
        } else {
            Ok(bytes.len())
        };
        for ks in self.engine.shards_mut() {
            ks.set_loading(true);
        }
        let loaded = end.and_then(|end| {
            crate::persistence::load::load_with(self, &bytes[..end], false, false).map(|l| (l, end))
        });
        for ks in self.engine.shards_mut() {
            ks.set_loading(false);
        }
        match loaded {
            Ok((l, end)) => {
                self.rdb.last_load_keys_loaded = l.keys;
                self.rdb.last_load_keys_expired = l.expired;
                self.log_notice(&format!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    l.keys, l.expired
                ));
                Ok(end as u64)
            }
            Err(e) => {
                self.log_warning(&e);
                self.log_warning(&if old_style {
                    format!("Error reading the RDB preamble of the AOF file {shown}, AOF loading aborted")
                } else {
                    format!("Error reading the RDB base file {shown}, AOF loading aborted")
                });
                Err(LoadStatus::Failed)
            }
        }
    }

    /// Runs the commands of a file with the fake client `fake`.
    fn replay_commands(
        &mut self,
        reader: &mut AofReader,
        fake: usize,
        shown: &str,
        path: &std::path::Path,
    ) -> LoadStatus {
        let truncate_ok = self.aof.cfg.load_truncated;
        // After an RDB preamble, a cut tail keeps the preamble.
        let mut valid_up_to = reader.cur.pos;
        let mut valid_before_multi = reader.cur.pos;
        let mut commands: u64 = 0;
        let stop = loop {
            let args = match reader.command() {
                Ok(a) => a,
                Err(stop) => break stop,
            };
            let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            let id = match self.table.resolve(&refs) {
                Resolved::Found(cmd) if cmd.handler.is_some() => cmd.id,
                _ => {
                    self.log_warning(&format!(
                        "Unknown command '{}' reading the append only file {shown}",
                        String::from_utf8_lossy(&args[0])
                    ));
                    return LoadStatus::Failed;
                }
            };
            let cmd = self.table.get(id);
            if !cmd.arity_ok(refs.len()) {
                self.log_warning(&format!(
                    "Wrong number of arguments for '{}' reading the append only file {shown}",
                    cmd.fullname
                ));
                return LoadStatus::Failed;
            }
            let name = cmd.fullname.as_str();
            let in_multi = self.clients.get(fake).is_some_and(|c| c.multi.is_some());
            if name == "multi" {
                valid_before_multi = valid_up_to;
            }
            if in_multi && name != "exec" {
                self.queue_command(fake, id, &refs, false);
            } else {
                self.call(fake, id, &refs);
            }
            if let Some(c) = self.clients.get_mut(fake) {
                c.out.clear();
                c.out_sent = 0;
            }
            valid_up_to = reader.cur.pos;
            self.loading_key_loaded();
            commands += 1;
            let position = reader.start + reader.cur.pos;
            if commands.is_multiple_of(PROGRESS_EVERY_COMMANDS) {
                self.loading_progress_serving(position);
            } else {
                self.loading_progress(position);
            }
        };
        let in_multi = self.clients.get(fake).is_some_and(|c| c.multi.is_some());
        match stop {
            Stop::End if !in_multi => return LoadStatus::Ok,
            Stop::End => {
                self.log_warning(&format!(
                    "Revert incomplete MULTI/EXEC transaction in AOF file {shown}"
                ));
                valid_up_to = valid_before_multi;
            }
            Stop::Short => {}
            Stop::Io(e) => {
                self.log_warning(&format!(
                    "Unrecoverable error reading the append only file {shown}: {}",
                    crate::config::special::os_error_text(&e)
                ));
                return LoadStatus::Failed;
            }
            Stop::Format => {
                self.log_warning(&format!("Bad file format reading the append only file {shown}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"));
                return LoadStatus::Failed;
            }
        }
        if truncate_ok {
            self.log_warning(&format!(
                "!!! Warning: short read while loading the AOF file {shown}!!!"
            ));
            self.log_warning(&format!(
                "!!! Truncating the AOF {shown} at offset {valid_up_to} !!!"
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(valid_up_to))
            {
                Ok(()) => {
                    self.log_warning(&format!(
                        "AOF {shown} loaded anyway because aof-load-truncated is enabled"
                    ));
                    return LoadStatus::Truncated;
                }
                Err(e) => self.log_warning(&format!(
                    "Error truncating the AOF file {shown}: {}",
                    crate::config::special::os_error_text(&e)
                )),
            }
        }
        self.log_warning(&format!("Unexpected end of file reading the append only file {shown}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."));
        LoadStatus::Failed
    }

    /// Prepares the server for replaying commands: nothing expires,
    /// nothing is propagated, and what the commands would record in
    /// statistics, SLOWLOG, LATENCY or MONITOR is put back afterwards.
    fn begin_replay(&mut self) -> Saved {
        for ks in self.engine.shards_mut() {
            ks.set_loading(true);
        }
        self.effects.set_suspended(true);
        let saved = Saved {
            cmd_stats: self.cmd_stats.clone(),
            total_commands: self.stats.total_commands_processed,
            slowlog_threshold: self.rt.slowlog_slower_than_us,
            latency_threshold: self.rt.latency_threshold_ms,
            monitors: std::mem::take(&mut self.monitors),
        };
        self.rt.slowlog_slower_than_us = -1;
        self.rt.latency_threshold_ms = 0;
        saved
    }

    /// Undoes [`Self::begin_replay`].
    fn end_replay(&mut self, saved: Saved) {
        for ks in self.engine.shards_mut() {
            ks.set_loading(false);
            ks.take_expired();
        }
        self.effects.set_suspended(false);
        self.cmd_stats = saved.cmd_stats;
        self.stats.total_commands_processed = saved.total_commands;
        self.rt.slowlog_slower_than_us = saved.slowlog_threshold;
        self.rt.latency_threshold_ms = saved.latency_threshold;
        self.monitors = saved.monitors;
    }
}
