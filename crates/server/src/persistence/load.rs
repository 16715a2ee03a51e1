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
/// log; what was loaded before the error stays. Run inside
/// [`Server::with_loading`], it reports its progress (clients are served
/// meanwhile, see `loading.rs`).
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
        server.loading_progress(r.offset() as u64);
        match r.next_item().map_err(|e| describe(&e))? {
            Item::Eof => {
                check_sum(server, &mut r)?;
                server.loading_progress(bytes.len() as u64);
                return Ok(loaded);
            }
            Item::Aux(name, value) => note_aux(server, &name, &value),
            Item::ResizeDb(keys, expires) => {
                reserve(server, db, keys, expires, bytes.len() - r.offset())
            }
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
                server.loading_key_loaded();
                let at = r.offset();
                let ks = server.engine.shard_for(&key);
                ks.prefetch_for_load(db, &key);
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

/// Least bytes of a key in a file: type, key length, value length.
const MIN_KEY_BYTES: usize = 3;
/// Least bytes of a key with a TTL: the expire opcode and time too.
const MIN_EXPIRING_KEY_BYTES: usize = MIN_KEY_BYTES + 9;

/// Sizes database `db` for a RESIZEDB hint of `keys` keys, `expires`
/// with a TTL, so that loading fills tables of the right size instead of
/// growing them step by step. The hint is bounded by what the `left`
/// bytes of the file can hold, so a hostile one cannot make the server
/// allocate tables out of proportion to the file.
fn reserve(server: &mut Server, db: usize, keys: u64, expires: u64, left: usize) {
    let keys = usize::try_from(keys)
        .unwrap_or(usize::MAX)
        .min(left / MIN_KEY_BYTES);
    let expires = usize::try_from(expires)
        .unwrap_or(usize::MAX)
        .min(keys)
        .min(left / MIN_EXPIRING_KEY_BYTES);
    let shards = server.engine.shards_mut();
    let n = shards.len().max(1);
    for ks in shards {
        ks.reserve_for_load(db, keys.div_ceil(n), expires.div_ceil(n));
    }
}

/// Reads the checksum after EOF and, with `rdbchecksum` on (and DEBUG
/// SET-SKIP-CHECKSUM-VALIDATION off), compares it as Redis does: zero
/// means the writer had checksums off.
fn check_sum(server: &mut Server, r: &mut SnapshotReader) -> Result<(), String> {
    let sums = r.read_checksum().map_err(|e| describe(&e))?;
    if !server.config.bool("rdbchecksum") || server.settings.skip_checksum_validation {
        return Ok(());
    }
    match sums {
        Some((0, _)) => {
            server.log_notice("RDB file was saved with checksum disabled: no check performed.");
            Ok(())
        }
        Some((stored, computed)) if stored != computed => {
            server.log_warning(&format!(
                "Wrong RDB checksum expected: ({computed:x}) but got ({stored:x}). Aborting now."
            ));
            Err(describe(&SnapshotError::Checksum))
        }
        _ => Ok(()),
    }
}

/// Logs what the file says about its origin, as Redis does, and hands
/// the writer's memory use to the progress figures.
fn note_aux(server: &mut Server, name: &[u8], value: &[u8]) {
    let text = String::from_utf8_lossy(value);
    match name {
        b"redis-ver" => server.log_notice(&format!("Loading RDB produced by version {text}")),
        b"ctime" => {
            let ctime: i64 = text.parse().unwrap_or(0);
            let age = (crate::server::unix_ms() / 1000 - ctime).max(0);
            server.log_notice(&format!("RDB age {age} seconds"));
        }
        b"used-mem" => {
            let used: u64 = text.parse().unwrap_or(0);
            server.log_notice(&format!(
                "RDB memory usage when created {:.2} Mb",
                used as f64 / (1024.0 * 1024.0)
            ));
            server.loading_rdb_used_mem(used);
        }
        _ => {}
    }
}

/// A snapshot error as the log shows it.
fn describe(e: &SnapshotError) -> String {
    match e {
        SnapshotError::BadMagic => "Wrong signature trying to load DB from file".into(),
        SnapshotError::Version(v) => format!("Can't handle RDB format version {v}"),
        SnapshotError::Checksum => "RDB CRC error".into(),
        SnapshotError::Module => {
            "The RDB file contains module data, which Lodestone cannot load".into()
        }
        SnapshotError::PreGaFunction => "Pre-release function format not supported".into(),
        SnapshotError::UnknownType(at, t) => {
            format!("Unknown RDB encoding type {t} at offset {at}")
        }
        SnapshotError::Corrupt(at, e) => {
            format!("Short read or corrupt data at offset {at}: {e:?}")
        }
    }
}
