//! SINTER, SINTERCARD, SUNION, SDIFF, their STORE forms and SMEMBERS
//! (Redis's `sinterGenericCommand` and `sunionDiffGenericCommand`).
//!
//! Results are built in the same order and through the same insertions as
//! Redis, so a stored result gets Redis's encoding: an intersection starts
//! as an intset when its smallest input is one (a listpack otherwise) and
//! becomes an intset at the end when it holds only integers; a union or
//! difference starts as an empty intset and converts as members arrive.
//! SDIFF picks between Redis's two algorithms with Redis's cost estimate,
//! since the second one can leave a stored result in a bigger encoding.

use super::{reply_member, CmdError, CmdResult, Ctx};
use crate::args::int;
use crate::args::is;
use lodestone_storage::notify::{GENERIC, SET};
use lodestone_storage::set::{Encoding, Set, SetLimits};
use lodestone_storage::{Keyspace, Value};

/// Looks each key up for reading, in order, as Redis's `lookupKeyRead`
/// does (counting hits and misses), and fails with WRONGTYPE at the first
/// key that holds another type. Returns which keys hold a set.
fn lookup_sets(ks: &mut Keyspace, db: usize, keys: &[&[u8]]) -> Result<Vec<bool>, CmdError> {
    keys.iter()
        .map(|key| match ks.lookup_read(db, key) {
            None => Ok(false),
            Some(Value::Set(_)) => Ok(true),
            Some(_) => Err(CmdError::WrongType),
        })
        .collect()
}

/// The sets of keys found by [`lookup_sets`] (`None` for the absent ones),
/// borrowed together; reads have no side effects here.
fn gather<'k>(ks: &'k Keyspace, db: usize, keys: &[&[u8]], found: &[bool]) -> Vec<Option<&'k Set>> {
    keys.iter()
        .zip(found)
        .map(|(key, &found)| {
            if !found {
                return None;
            }
            match ks.db(db).entry(key).map(|e| &e.value) {
                Some(Value::Set(s)) => Some(s),
                _ => None,
            }
        })
        .collect()
}

/// Stores a computed result at `dst` (replacing any value and its TTL)
/// and replies with its size; an empty result deletes `dst` instead.
/// Raises `event` (or `del`) as Redis's STORE commands do.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(dst);
    let len = result.len();
    if len > 0 {
        ks.set(db, dst, Value::Set(result), false);
        ctx.out.int(len as i64);
        ks.notify(SET, event, db, dst);
        ks.dirty += 1;
    } else {
        ctx.out.int(0);
        let lazy = ks.config.lazyfree_lazy_server_del;
        if ks.delete(db, dst, lazy) {
            ks.dirty += 1;
            ks.signal_modified(db, dst);
            ks.notify(GENERIC, "del", db, dst);
        }
    }
}

/// What an intersection produces.
enum InterOutput<'a> {
    /// The members, as a set reply.
    Reply,
    /// Only their number, stopping at `limit` (0: no limit).
    Cardinality(usize),
    /// A set stored at this key.
    Store(&'a [u8]),
}

/// The common path of SMEMBERS, SINTER, SINTERCARD and SINTERSTORE.
fn inter_generic(ctx: &mut Ctx, keys: &[&[u8]], output: InterOutput) -> CmdResult {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(keys[0]);
    let limits = ks.config.set_limits;
    let found = lookup_sets(ks, db, keys)?;
    if found.contains(&false) {
        // An absent key is an empty set: so is the intersection.
        match output {
            InterOutput::Store(dst) => store(ctx, dst, Set::new_intset(), "sinterstore"),
            InterOutput::Cardinality(_) => ctx.out.int(0),
            InterOutput::Reply => ctx.out.set(0),
        }
        return Ok(());
    }
    let ks = ctx.engine.shard_for(keys[0]);
    // Smallest first (a stable sort, like glibc's qsort here); the same
    // key twice is the same set and needs no membership test.
    let mut sets: Vec<(&[u8], &Set)> = keys
        .iter()
        .zip(gather(ks, db, keys, &found))
        .filter_map(|(&key, set)| set.map(|s| (key, s)))
        .collect();
    sets.sort_by_key(|(_, s)| s.len());
    let Some(&(first_key, first)) = sets.first() else {
        return Err(CmdError::NoSuchKey);
    };
    let others: Vec<&Set> = sets[1..]
        .iter()
        .filter(|(k, _)| *k != first_key)
        .map(|&(_, s)| s)
        .collect();
    let in_all = |m| others.iter().all(|s| s.contains_member(m));
    match output {
        InterOutput::Reply => {
            let mark = ctx.out.begin_deferred();
            let mut n = 0;
            for m in first.iter().filter(|&m| in_all(m)) {
                reply_member(ctx.out, m);
                n += 1;
            }
            ctx.out.end_deferred(mark, b'~', n);
        }
        InterOutput::Cardinality(limit) => {
            let mut n = 0;
            for _ in first.iter().filter(|&m| in_all(m)) {
                n += 1;
                if limit > 0 && n >= limit {
                    break;
                }
            }
            ctx.out.int(n as i64);
        }
        InterOutput::Store(dst) => {
            let mut result = match first.encoding() {
                Encoding::Intset => Set::new_intset(),
                _ => Set::new_listpack(),
            };
            // Our listpacks store canonical integers as integers, so a
            // string member is an integer only when it comes from a table.
            let mut only_integers = true;
            for m in first.iter().filter(|&m| in_all(m)) {
                only_integers &= m.as_int().is_some();
                result.add_member(m, limits);
            }
            if only_integers {
                result.maybe_convert_to_intset(limits);
            }
            store(ctx, dst, result, "sinterstore");
        }
    }
    Ok(())
}

/// `SMEMBERS key`: every member, as a set reply.
pub(super) fn smembers(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    inter_generic(ctx, &args[1..2], InterOutput::Reply)
}

/// `SINTER key [key ...]`
pub(super) fn sinter(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    inter_generic(ctx, &args[1..], InterOutput::Reply)
}

/// `SINTERSTORE destination key [key ...]`: the size of the stored result.
pub(super) fn sinterstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    inter_generic(ctx, &args[2..], InterOutput::Store(args[1]))
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the
/// intersection, counting stopped at `limit` when it is not 0.
pub(super) fn sintercard(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let numkeys = int(args[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or(CmdError::ValueOutOfRange(
            "numkeys should be greater than 0",
        ))?;
    let keys_end = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&end| end <= args.len())
        .ok_or(CmdError::ValueOutOfRange(
            "Number of keys can't be greater than number of args",
        ))?;
    let mut limit = 0;
    let mut i = keys_end;
    while i < args.len() {
        if is(args[i], "LIMIT") && i + 1 < args.len() {
            limit = int(args[i + 1])
                .ok()
                .and_then(|l| usize::try_from(l).ok())
                .ok_or(CmdError::LimitNegative)?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    inter_generic(ctx, &args[2..keys_end], InterOutput::Cardinality(limit))
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// Computes the union or difference of `sets` (`None` for absent keys)
/// the way Redis does, into a set that starts as an empty intset.
/// `same_as_first` says whether a later key repeats the first one.
fn combine(mut sets: Vec<Option<&Set>>, op: Op, same_as_first: bool, limits: SetLimits) -> Set {
    let mut result = Set::new_intset();
    match op {
        Op::Union => {
            for set in sets.iter().flatten() {
                for m in set.iter() {
                    result.add_member(m, limits);
                }
            }
        }
        // The first set minus itself, whatever else is subtracted.
        Op::Diff if same_as_first => {}
        Op::Diff => {
            let Some(first) = sets[0] else {
                return result;
            };
            // Algorithm 1 tests each member of the first set against the
            // others (size of the first times the number of sets, halved
            // for its better constants); algorithm 2 adds the first set and
            // removes every other (the sum of the sizes).
            let present = sets.iter().flatten().count();
            let work_one = first.len().saturating_mul(present) / 2;
            let work_two: usize = sets.iter().flatten().map(|s| s.len()).sum();
            if work_one <= work_two {
                // Biggest first: members found early stop the search early.
                sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.len())));
                for m in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                        result.add_member(m, limits);
                    }
                }
            } else {
                for m in first.iter() {
                    result.add_member(m, limits);
                }
                for set in sets[1..].iter().flatten() {
                    if result.is_empty() {
                        break;
                    }
                    for m in set.iter() {
                        result.remove_member(m);
                    }
                }
            }
        }
    }
    result
}

/// The union of the single set at `key`, as SPOP with a count covering the
/// whole set replies it (Redis runs SUNION on the key): the members in
/// the order of a union built from them.
pub(super) fn union_of(set: &Set, limits: SetLimits) -> Set {
    combine(vec![Some(set)], Op::Union, false, limits)
}

/// The common path of SUNION, SDIFF and their STORE forms.
fn union_diff_generic(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, op: Op) -> CmdResult {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(keys[0]);
    let limits = ks.config.set_limits;
    let lazy = ks.config.lazyfree_lazy_server_del;
    let found = lookup_sets(ks, db, keys)?;
    let same_as_first = found[0]
        && keys[1..]
            .iter()
            .zip(&found[1..])
            .any(|(k, &f)| f && *k == keys[0]);
    let ks = ctx.engine.shard_for(keys[0]);
    let result = combine(gather(ks, db, keys, &found), op, same_as_first, limits);
    match dst {
        Some(dst) => {
            let event = if op == Op::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store(ctx, dst, result, event);
        }
        None => {
            ctx.out.set(result.len());
            for m in result.iter() {
                reply_member(ctx.out, m);
            }
            // A big temporary result is freed off the event loop.
            ctx.engine
                .shard_for(keys[0])
                .dispose(Value::Set(result), lazy);
        }
    }
    Ok(())
}

/// `SUNION key [key ...]`
pub(super) fn sunion(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    union_diff_generic(ctx, &args[1..], None, Op::Union)
}

/// `SUNIONSTORE destination key [key ...]`
pub(super) fn sunionstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    union_diff_generic(ctx, &args[2..], Some(args[1]), Op::Union)
}

/// `SDIFF key [key ...]`: members of the first set in none of the others.
pub(super) fn sdiff(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    union_diff_generic(ctx, &args[1..], None, Op::Diff)
}

/// `SDIFFSTORE destination key [key ...]`
pub(super) fn sdiffstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    union_diff_generic(ctx, &args[2..], Some(args[1]), Op::Diff)
}
