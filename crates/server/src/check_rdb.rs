//! `lodestone-check-rdb`: validates a whole RDB file the way the server
//! would load it (framing by the storage layer's snapshot reader, every
//! value through the value decoder with its full validation, then the
//! CRC-64) and reports like `redis-check-rdb`: a line per step with the
//! byte offset reached (`[offset 26] AUX FIELD redis-ver = '7.2.6'`),
//! `Checksum OK` and `\o/ RDB looks OK! \o/`, or the offset and reason of
//! the first problem with what was being read, and counts of keys.
//!
//! The binary (`src/bin/lodestone-check-rdb.rs`) only reads the file and
//! prints [`check`]'s report.

use lodestone_storage::keyspace::KeyspaceConfig;
use lodestone_storage::rdb::snapshot::{Item, SnapshotError, SnapshotReader};
use lodestone_storage::rdb::value::decode_value;
use lodestone_storage::rdb::RdbError;
use std::fmt::Write;

/// Names of the RDB type bytes, as `redis-check-rdb` prints them.
const TYPE_NAMES: [&str; 22] = [
    "string",
    "list-linked",
    "set-hashtable",
    "zset-v1",
    "hash-hashtable",
    "zset-v2",
    "module-pre-release",
    "module-value",
    "",
    "hash-zipmap",
    "list-ziplist",
    "set-intset",
    "zset-ziplist",
    "hash-ziplist",
    "quicklist",
    "stream",
    "hash-listpack",
    "zset-listpack",
    "quicklist-v2",
    "stream-v2",
    "set-listpack",
    "stream-v3",
];

/// What a check found.
pub struct Report {
    /// The lines to print.
    pub text: String,
    /// Whether the file is sound (the exit status is 0 only then).
    pub ok: bool,
}

/// The step in progress, named in error reports.
#[derive(Clone, Copy)]
enum Doing {
    Start,
    ReadType,
    ReadExpire,
    ReadKey,
    ReadObjectValue,
    CheckSum,
    ReadLen,
    ReadAux,
    ReadModuleAux,
    ReadFunctions,
}

impl Doing {
    fn name(self) -> &'static str {
        match self {
            Doing::Start => "start",
            Doing::ReadType => "read-type",
            Doing::ReadExpire => "read-expire",
            Doing::ReadKey => "read-key",
            Doing::ReadObjectValue => "read-object-value",
            Doing::CheckSum => "check-sum",
            Doing::ReadLen => "read-len",
            Doing::ReadAux => "read-aux",
            Doing::ReadModuleAux => "read-module-aux",
            Doing::ReadFunctions => "read-functions",
        }
    }

    /// The step a framing error at an item starting with `opcode` was in.
    fn of_opcode(opcode: Option<u8>) -> Doing {
        match opcode {
            None => Doing::ReadType,
            Some(250) => Doing::ReadAux,
            Some(251 | 254) => Doing::ReadLen,
            Some(252 | 253) => Doing::ReadExpire,
            Some(247) => Doing::ReadModuleAux,
            Some(245 | 246) => Doing::ReadFunctions,
            Some(_) => Doing::ReadKey,
        }
    }
}

/// The state of a check, for its report.
struct Check {
    out: String,
    keys: u64,
    expires: u64,
    already_expired: u64,
    doing: Doing,
    key: Option<Vec<u8>>,
    key_type: Option<u8>,
}

impl Check {
    fn info(&mut self, offset: usize, msg: &str) {
        let _ = writeln!(self.out, "[offset {offset}] {msg}");
    }

    fn counts(&mut self) {
        let _ = writeln!(self.out, "[info] {} keys read", self.keys);
        let _ = writeln!(self.out, "[info] {} expires", self.expires);
        let _ = writeln!(self.out, "[info] {} already expired", self.already_expired);
    }

    fn error(mut self, offset: usize, msg: &str) -> Report {
        self.out.push_str("--- RDB ERROR DETECTED ---\n");
        self.info(offset, msg);
        let _ = writeln!(
            self.out,
            "[additional info] While doing: {}",
            self.doing.name()
        );
        if let Some(key) = &self.key {
            let _ = writeln!(
                self.out,
                "[additional info] Reading key '{}'",
                String::from_utf8_lossy(key)
            );
        }
        if let Some(t) = self.key_type {
            let name = TYPE_NAMES.get(t as usize).copied().unwrap_or("unknown");
            let _ = writeln!(self.out, "[additional info] Reading type {t} ({name})");
        }
        self.counts();
        Report {
            text: self.out,
            ok: false,
        }
    }
}

/// The reason a read failed, in the report's words.
fn reason(e: RdbError) -> &'static str {
    match e {
        RdbError::Truncated => "Unexpected EOF reading RDB file",
        RdbError::Corrupt => "Corrupt data: the value fails validation",
        RdbError::Unsupported => "Value of a type this build cannot load (module or stream)",
    }
}

/// Checks the RDB file `name` whose contents are `bytes`, counting keys
/// whose expire time is before `now_ms` as already expired.
pub fn check(name: &str, bytes: &[u8], now_ms: i64) -> Report {
    let mut c = Check {
        out: String::new(),
        keys: 0,
        expires: 0,
        already_expired: 0,
        doing: Doing::Start,
        key: None,
        key_type: None,
    };
    c.info(0, &format!("Checking RDB file {name}"));
    if bytes.len() < 9 {
        return c.error(0, "Unexpected EOF reading RDB file");
    }
    let mut r = match SnapshotReader::open(bytes) {
        Ok(r) => r,
        Err(SnapshotError::Version(v)) => {
            return c.error(9, &format!("Can't handle RDB format version {v}"))
        }
        Err(_) => return c.error(9, "Wrong signature trying to load DB from file"),
    };
    loop {
        let start = r.offset();
        c.doing = Doing::ReadType;
        let item = match r.next_item() {
            Ok(item) => item,
            Err(e) => {
                c.doing = Doing::of_opcode(bytes.get(start).copied());
                let msg = match e {
                    SnapshotError::Corrupt(_, e) => reason(e).to_string(),
                    SnapshotError::Module => {
                        "Module data found: this build cannot check module values".into()
                    }
                    SnapshotError::PreGaFunction => {
                        format!("Pre-release function format not supported {}", r.version())
                    }
                    SnapshotError::UnknownType(at, t) => {
                        c.doing = Doing::ReadType;
                        return c.error(at, &format!("Invalid object type: {t}"));
                    }
                    _ => "Corrupt data".into(),
                };
                return c.error(r.offset(), &msg);
            }
        };
        match item {
            Item::Eof => break,
            Item::Aux(k, v) => {
                let line = format!(
                    "AUX FIELD {} = '{}'",
                    String::from_utf8_lossy(&k),
                    String::from_utf8_lossy(&v)
                );
                c.info(r.offset(), &line);
            }
            Item::SelectDb(db) => c.info(r.offset(), &format!("Selecting DB ID {db}")),
            Item::ResizeDb(..) | Item::Function(_) => {}
            Item::Key { kind, key, meta } => {
                c.key_type = Some(kind);
                c.key = Some(key);
                c.keys += 1;
                c.doing = Doing::ReadObjectValue;
                if let Err(e) = decode_value(r.values(), kind, &KeyspaceConfig::default()) {
                    return c.error(r.offset(), reason(e));
                }
                if let Some(at) = meta.expire_ms {
                    c.expires += 1;
                    if at < now_ms {
                        c.already_expired += 1;
                    }
                }
                c.key = None;
                c.key_type = None;
            }
        }
    }
    c.doing = Doing::CheckSum;
    match r.read_checksum() {
        Err(_) => return c.error(r.offset(), "Unexpected EOF reading RDB file"),
        Ok(None) => {}
        Ok(Some((0, _))) => c.info(
            r.offset(),
            "RDB file was saved with checksum disabled: no check performed.",
        ),
        Ok(Some((stored, computed))) if stored != computed => {
            return c.error(r.offset(), "RDB CRC error")
        }
        Ok(Some(_)) => c.info(r.offset(), "Checksum OK"),
    }
    c.info(r.offset(), "\\o/ RDB looks OK! \\o/");
    c.counts();
    Report {
        text: c.out,
        ok: true,
    }
}
