//! SPOP and SRANDMEMBER (Redis's `spopCommand`, `spopWithCountCommand`,
//! `srandmemberCommand` and `srandmemberWithCountCommand`). The sampling
//! strategies, which decide the encoding of what SPOP leaves, are the
//! storage layer's ([`lodestone_storage::set`]).

use super::{
    algebra, delete_emptied, member_bytes, read_set, reply_member, CmdError, CmdResult, Ctx,
};
use crate::args::int;
use crate::family::random_pick::{parse_count, ReplyBudget};
use lodestone_storage::notify::{GENERIC, SET};
use lodestone_storage::Value;

/// Members per SREM when an SPOP with a count is propagated.
const SPOP_PROPAGATION_BATCH: usize = 1024;

/// `SPOP key [count]`: one random member (removed), or with a count a set
/// of up to `count` distinct ones. A set emptied this way is deleted.
pub(super) fn spop(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    match args.len() {
        2 => {}
        3 => return spop_with_count(ctx, args),
        _ => return Err(CmdError::Syntax),
    }
    let key = args[1];
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let (popped, emptied) = match ks.lookup_write(db, key) {
        None => {
            ctx.out.null();
            return Ok(());
        }
        Some(Value::Set(s)) => (s.pop_random(), s.is_empty()),
        Some(_) => return Err(CmdError::WrongType),
    };
    ks.notify(SET, "spop", db, key);
    let removed = popped.as_ref().map(|m| member_bytes(m.as_member()));
    match popped {
        Some(m) => reply_member(ctx.out, m.as_member()),
        None => ctx.out.null(),
    }
    if emptied {
        delete_emptied(ks, db, key);
        ks.notify(GENERIC, "del", db, key);
    }
    ks.signal_modified(db, key);
    ks.dirty += 1;
    // A random pop is replayed as the removal of what was popped.
    if let Some(m) = removed {
        ctx.propagate_as(&[b"SREM", key, &m]);
    }
    Ok(())
}

/// `SPOP key count`. A count covering the set replies with it whole (as a
/// union of the one key, like Redis) and deletes the key; a smaller count
/// pops random members with the strategy that decides what encoding the
/// rest ends up in (see `Set::pop_many`).
fn spop_with_count(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    // Redis's getPositiveLongFromObjectOrReply: one message for both a
    // negative count and one that is not a number.
    let count = int(args[2])
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(CmdError::MustBePositive)?;
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let limits = ks.config.set_limits;
    let size = match ks.lookup_write(db, key) {
        None => {
            ctx.out.set(0);
            return Ok(());
        }
        Some(Value::Set(s)) => s.len(),
        Some(_) => return Err(CmdError::WrongType),
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    ks.notify(SET, "spop", db, key);
    ks.dirty += count.min(size) as u64;
    if count >= size {
        // Redis replies through SUNION, which reads the key again.
        if let Some(Value::Set(s)) = ks.lookup_read(db, key) {
            let whole = algebra::union_of(s, limits);
            ctx.out.set(whole.len());
            whole.iter().for_each(|m| reply_member(ctx.out, m));
        }
        let lazy = ks.config.lazyfree_lazy_server_del;
        delete_emptied(ks, db, key);
        ks.notify(GENERIC, "del", db, key);
        ks.signal_modified(db, key);
        let del: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.propagate_as(&[del, key]);
        return Ok(());
    }
    let mut removed = Vec::with_capacity(count);
    if let Some(Value::Set(s)) = ks.lookup_write(db, key) {
        ctx.out.set(count);
        s.pop_many(count, limits, |m| {
            removed.push(member_bytes(m));
            reply_member(ctx.out, m)
        });
    }
    ks.signal_modified(db, key);
    // Replayed as SREMs of the popped members, 1024 per command as Redis
    // batches them.
    let batches = removed
        .chunks(SPOP_PROPAGATION_BATCH)
        .map(|chunk| {
            let mut cmd = vec![b"SREM".to_vec(), key.to_vec()];
            cmd.extend(chunk.iter().cloned());
            cmd
        })
        .collect();
    ctx.propagate_as = Some(batches);
    Ok(())
}

/// `SRANDMEMBER key [count]`: one random member, or with a count an array
/// of random members: distinct ones (at most the set's size) for a
/// positive count, `|count|` independent picks for a negative one.
pub(super) fn srandmember(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    match args.len() {
        2 => {
            let set = read_set(ctx.engine.shard_for(key), db, key)?;
            match set.and_then(|s| s.random()) {
                Some(m) => reply_member(ctx.out, m),
                None => ctx.out.null(),
            }
            return Ok(());
        }
        3 => {}
        _ => return Err(CmdError::Syntax),
    }
    let count = parse_count(args[2])?;
    let set = read_set(ctx.engine.shard_for(key), db, key)?;
    let Some(set) = set else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.array(0);
    } else if count < 0 || count == 1 {
        let picks = count.unsigned_abs();
        let mut budget = ReplyBudget::new(ctx.out, ctx.settings.proto_max_bulk_len);
        ctx.out.array(usize::try_from(picks).unwrap_or(usize::MAX));
        set.random_members(picks, |m| {
            reply_member(ctx.out, m);
            budget.allows_more(ctx.out)
        });
        budget.finish(ctx.out)?;
    } else {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        ctx.out.array(count.min(set.len()));
        set.random_distinct(count, |m| reply_member(ctx.out, m));
    }
    Ok(())
}
