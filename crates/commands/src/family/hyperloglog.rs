//! HyperLogLog commands (Redis's `hyperloglog.c`): PFADD, PFCOUNT and
//! PFMERGE, and the debugging commands PFDEBUG and PFSELFTEST. An HLL is a
//! plain string in Redis's format; the representation lives in
//! [`lodestone_storage::hll`], these handlers only find keys, check types
//! and account for changes (WATCH, notifications, dirty).

use crate::args::is;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::Handler;
use lodestone_storage::hll::{self, header, Encoding, REGISTERS};
use lodestone_storage::notify::STRING;
use lodestone_storage::{Lookup, Value};

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("pfadd", pfadd),
    ("pfcount", pfcount),
    ("pfmerge", pfmerge),
    ("pfdebug", pfdebug),
    ("pfselftest", pfselftest),
];

/// Checks that `v` is an HLL string: `WrongType` for other types,
/// `HllNotValid` for strings that are not HLLs (integers included).
fn check(v: &Value) -> Result<Encoding, CmdError> {
    let mut scratch = itoa::Buffer::new();
    let bytes = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
    header::check(bytes).map_err(|_| CmdError::HllNotValid)
}

/// The HLL of a checked value as a mutable buffer (turning an `embstr`
/// into `raw`, as Redis unshares the string before touching it).
fn buffer(v: &mut Value) -> Result<&mut Vec<u8>, CmdError> {
    v.make_raw().ok_or(CmdError::WrongType)
}

fn corrupt(_: hll::Corrupt) -> CmdError {
    CmdError::HllCorrupt
}

/// Adds `elements` to `buf`; returns how many changed a register, plus
/// one for a just created HLL, and leaves the cached cardinality stale
/// when that is not zero.
fn add_elements(
    buf: &mut Vec<u8>,
    elements: &[&[u8]],
    sparse_max: usize,
    created: bool,
) -> Result<u64, CmdError> {
    let mut updated = created as u64;
    for element in elements {
        if hll::add(buf, element, sparse_max).map_err(corrupt)? {
            updated += 1;
        }
    }
    if updated > 0 {
        header::invalidate_cache(buf);
    }
    Ok(updated)
}

/// `PFADD key [element ...]`: `:1` when the key was created or a register
/// changed.
fn pfadd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    let sparse_max = ctx.settings.hll_sparse_max_bytes;
    let ks = ctx.engine.shard_for(key);
    let updated = match ks.lookup_write(db, key) {
        Some(v) => {
            check(v)?;
            add_elements(buffer(v)?, &args[2..], sparse_max, false)?
        }
        None => {
            let mut buf = hll::new_sparse();
            let updated = add_elements(&mut buf, &args[2..], sparse_max, true)?;
            ks.add(db, key, Value::Raw(Box::new(buf)));
            updated
        }
    };
    if updated > 0 {
        ks.signal_modified(db, key);
        ks.notify(STRING, "pfadd", db, key);
        ks.dirty += updated;
    }
    ctx.out.int((updated > 0) as i64);
    Ok(())
}

/// `PFCOUNT key [key ...]`: the estimate for one key (cached in the
/// string, which is updated when stale), or for the union of several
/// (computed in a temporary; the keys are left alone).
fn pfcount(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    if args.len() > 2 {
        let max = union(ctx, &args[1..])?.0;
        ctx.out.int(hll::count_registers(&max) as i64);
        return Ok(());
    }
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let Some(entry) = ks.lookup(db, key, Lookup::READ) else {
        ctx.out.int(0);
        return Ok(());
    };
    check(&entry.value)?;
    let buf = buffer(&mut entry.value)?;
    let (card, recomputed) = match header::cached_cardinality(buf) {
        Some(card) => (card, false),
        None => {
            let card = hll::count(buf).map_err(corrupt)?;
            header::store_cardinality(buf, card);
            (card, true)
        }
    };
    if recomputed {
        // The cache lives in the value: a change other clients may WATCH
        // and that must be propagated, as in Redis.
        ks.signal_modified(db, key);
        ks.dirty += 1;
    }
    // An estimate beyond i64 (hand-made registers) prints negative, as in Redis.
    ctx.out.int(card as i64);
    Ok(())
}

/// The register-wise maximum of the HLLs at `keys` (missing keys count
/// as empty), and whether any of them is dense.
fn union(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<(Box<[u8; REGISTERS]>, bool), CmdError> {
    let db = ctx.db;
    let mut max = Box::new([0u8; REGISTERS]);
    let mut any_dense = false;
    for key in keys {
        let Some(v) = ctx.engine.shard_for(key).lookup_read(db, key) else {
            continue;
        };
        check(v)?;
        let mut scratch = itoa::Buffer::new();
        let bytes = v.string_bytes(&mut scratch).ok_or(CmdError::WrongType)?;
        any_dense |= hll::merge_into(&mut max, bytes).map_err(corrupt)? == Encoding::Dense;
    }
    Ok((max, any_dense))
}

/// `PFMERGE destkey [sourcekey ...]`: stores the union of the sources and
/// of `destkey` itself into `destkey`. The result is dense when any input
/// is; the event raised is `pfadd`, as in Redis.
fn pfmerge(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (max, any_dense) = union(ctx, &args[1..])?;
    let dest = args[1];
    let db = ctx.db;
    let sparse_max = ctx.settings.hll_sparse_max_bytes;
    let ks = ctx.engine.shard_for(dest);
    if ks.lookup_write(db, dest).is_none() {
        ks.add(db, dest, Value::Raw(Box::new(hll::new_sparse())));
    }
    let buf = ks
        .lookup_write(db, dest)
        .ok_or(CmdError::WrongType)
        .and_then(buffer)?;
    if any_dense {
        hll::to_dense(buf).map_err(corrupt)?;
    }
    hll::raise_all(buf, &max, sparse_max).map_err(corrupt)?;
    ks.signal_modified(db, dest);
    ks.notify(STRING, "pfadd", db, dest);
    ks.dirty += 1;
    ctx.out.ok();
    Ok(())
}

/// `PFDEBUG GETREG|DECODE|ENCODING|TODENSE key`. As in Redis the key is
/// looked up (and must be an HLL) before the subcommand is read; GETREG
/// and TODENSE convert a sparse HLL to dense.
fn pfdebug(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let (sub, key) = (args[1], args[2]);
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let v = ks.lookup_write(db, key).ok_or(CmdError::HllNoSuchKey)?;
    let encoding = check(v)?;
    let buf = buffer(v)?;
    if is(sub, "getreg") {
        let converted = hll::to_dense(buf).map_err(corrupt)?;
        let registers = hll::registers(buf).map_err(corrupt)?;
        if converted {
            ks.dirty += 1;
        }
        ctx.out.array(registers.len());
        for r in registers {
            ctx.out.int(r as i64);
        }
    } else if is(sub, "decode") {
        if encoding != Encoding::Sparse {
            return Err(CmdError::HllNotSparse);
        }
        let text = hll::sparse::decode_text(&buf[hll::HEADER_LEN..]);
        ctx.out.bulk(text.as_bytes());
    } else if is(sub, "encoding") {
        ctx.out.simple(encoding.name());
    } else if is(sub, "todense") {
        let converted = hll::to_dense(buf).map_err(corrupt)?;
        if converted {
            ks.dirty += 1;
        }
        ctx.out.int(converted as i64);
    } else {
        return Err(CmdError::PfdebugUnknownSubcommand(sub.to_vec()));
    }
    Ok(())
}

/// `PFSELFTEST`: runs the representation's self test (about ten million
/// additions, as Redis's does).
fn pfselftest(ctx: &mut Ctx, _args: &[&[u8]]) -> CmdResult {
    hll::selftest::run(ctx.settings.hll_sparse_max_bytes).map_err(CmdError::HllSelfTestFailed)?;
    ctx.out.ok();
    Ok(())
}
