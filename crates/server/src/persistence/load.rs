//! Loading a snapshot into the server: function libraries through the
//! functions loader, keys through the storage layer's value codec (every
//! value validated before use), keys already expired skipped as Redis's
//! masters skip them.

use crate::server::Server;
use lodestone_storage::rdb::snapshot::{Item, SnapshotError, SnapshotReader};
use lodestone_storage::rdb::value::decode_value;

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Keys added.
    pub keys: u64,
    /// Keys skipped because they had expired.
    pub expired: u64,
}

/// Loads `bytes` into the server. With `merge`, keys and libraries that
/// exist are replaced; otherwise they are an error (a file with
/// duplicates, or DEBUG RELOAD NOFLUSH). Errors carry the reason for the
/// log; what was loaded before the error stays.
pub fn load(server: &mut Server, bytes: &[u8], merge: bool) -> Result<Loaded, String> {
    load_with(server, bytes, merge, true)
}

/// [`load`], keeping keys already expired unless `skip_expired`: the base
/// of an append-only file keeps them, as Redis does, because the
/// incremental files that follow may still use them (their expiry there
/// is a DEL of its own).
pub fn load_with(
    server: &mut Server,
    bytes: &[u8],
    merge: bool,
    skip_expired: bool,
) -> Result<Loaded, String> {
    let mut r = SnapshotReader::open(bytes).map_err(|e| describe(&e))?;
    let dbs = server.engine.db_count();
    let now = crate::server::unix_ms();
    let mut db = 0;
    let mut loaded = Loaded::default();
    loop {
        match r.next_item().map_err(|e| describe(&e))? {
            Item::Eof => return Ok(loaded),
            Item::Aux(..) | Item::ResizeDb(..) => {}
            Item::SelectDb(n) if n >= dbs => {
                return Err(format!(
                    "Data file was created with a server configured to handle more than {dbs} databases"
                ))
            }
            Item::SelectDb(n) => db = n,
            Item::Function(code) => {
                let mut libs = std::mem::take(&mut server.functions.libs);
                let created = server.create_library(&mut libs, &code, merge, 0);
                server.functions.libs = libs;
                if let Err(e) = created {
                    let text = String::from_utf8_lossy(&e.message_bytes()).into_owned();
                    return Err(format!("Failed loading a function library: {text}"));
                }
            }
            Item::Key { kind, key, meta } => {
                let at = r.offset();
                let ks = server.engine.shard_for(&key);
                let value = decode_value(r.values(), kind, &ks.config).map_err(|e| {
                    format!("Bad value of key '{}' at offset {at}: {e:?}", String::from_utf8_lossy(&key))
                })?;
                if skip_expired && meta.expire_ms.is_some_and(|t| t < now) {
                    loaded.expired += 1;
                    continue;
                }
                if !ks.load_key(db, &key, value, meta, merge) {
                    return Err(format!(
                        "RDB has duplicated key '{}' in DB {db}",
                        String::from_utf8_lossy(&key)
                    ));
                }
                loaded.keys += 1;
            }
        }
    }
}

/// A snapshot error as the log shows it.
fn describe(e: &SnapshotError) -> String {
    match e {
        SnapshotError::BadMagic => "Wrong signature trying to load DB from file".into(),
        SnapshotError::Version(v) => format!("Can't handle RDB format version {v}"),
        SnapshotError::Checksum => "Wrong RDB checksum. Aborting now.".into(),
        SnapshotError::Module => {
            "The RDB file contains module data, which Lodestone cannot load".into()
        }
        SnapshotError::PreGaFunction => "Pre-release function format not supported".into(),
        SnapshotError::Corrupt(at, e) => {
            format!("Short read or corrupt data at offset {at}: {e:?}")
        }
    }
}
