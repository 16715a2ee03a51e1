//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and
//! ZINTERCARD (Redis's `zunionInterDiffGenericCommand`).
//!
//! Inputs may be sorted sets or plain sets (whose members all score 1).
//! Results are built in the big encoding and, for the STORE forms,
//! converted to a listpack when they fit the limits, as Redis does.

use super::{reply_element, reply_elements_header, store_result};
use crate::args::{float, int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;
use lodestone_storage::set::Set;
use lodestone_storage::zset::{Member, SkipList, ZSet};
use lodestone_storage::Value;
use std::collections::HashMap;

/// Which operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// How scores of the same member combine.
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a sum of `inf` and `-inf` is 0.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// One input: a sorted set, a set, or nothing (missing key).
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    ZSet(&'a ZSet),
    Set(&'a Set),
}

/// An input with its weight.
#[derive(Clone, Copy)]
struct Input<'a> {
    source: Source<'a>,
    weight: f64,
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self.source {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    /// Whether two inputs are the same value (a key given twice).
    fn same_as(&self, other: &Input<'_>) -> bool {
        match (self.source, other.source) {
            (Source::ZSet(a), Source::ZSet(b)) => std::ptr::eq(a, b),
            (Source::Set(a), Source::Set(b)) => std::ptr::eq(a, b),
            _ => false,
        }
    }

    /// Visits every element with its (unweighted) score: a sorted set from
    /// its highest element down, as Redis's iterator walks it; a set in its
    /// own order, every member scoring 1.
    fn for_each(&self, mut visit: impl FnMut(Member<'_>, f64) -> bool) {
        match self.source {
            Source::Missing => {}
            Source::ZSet(z) => {
                for (m, s) in z.iter_from(z.len().saturating_sub(1), true) {
                    if !visit(m, s.value()) {
                        return;
                    }
                }
            }
            Source::Set(s) => {
                for m in s.iter() {
                    if !visit(m, 1.0) {
                        return;
                    }
                }
            }
        }
    }

    /// The (unweighted) score of `member` in this input.
    fn find(&self, member: Member<'_>) -> Option<f64> {
        match self.source {
            Source::Missing => None,
            Source::ZSet(z) => member.with_bytes(|m| z.score(m)),
            Source::Set(s) => s.contains_member(member).then_some(1.0),
        }
    }
}

/// `ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub(super) fn zunion(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Union, false)
}

/// `ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub(super) fn zinter(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Inter, false)
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub(super) fn zdiff(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Diff, false)
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`
pub(super) fn zunionstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, Some(args[1]), 2, Op::Union, false)
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`
pub(super) fn zinterstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, Some(args[1]), 2, Op::Inter, false)
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
pub(super) fn zdiffstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, Some(args[1]), 2, Op::Diff, false)
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
pub(super) fn zintercard(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    generic(ctx, args, None, 1, Op::Inter, true)
}

/// The options after the keys.
struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: usize,
}

/// Parses the options after the keys, with Redis's rules: WEIGHTS and
/// AGGREGATE only for union and intersection, WITHSCORES only without a
/// destination, LIMIT only for ZINTERCARD.
fn parse_options(
    args: &[&[u8]],
    setnum: usize,
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Options, CmdError> {
    let mut o = Options {
        weights: vec![1.0; setnum],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let mut j = 0;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = args[j];
        if op != Op::Diff && !card_only && remaining > setnum && is(opt, "weights") {
            for (i, w) in args[j + 1..=j + setnum].iter().enumerate() {
                o.weights[i] = float(w).map_err(|_| CmdError::WeightNotFloat)?;
            }
            j += 1 + setnum;
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(opt, "aggregate") {
            let how = args[j + 1];
            o.aggregate = if is(how, "sum") {
                Aggregate::Sum
            } else if is(how, "min") {
                Aggregate::Min
            } else if is(how, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if !store && !card_only && is(opt, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(opt, "limit") {
            let n = parse_i64(args[j + 1])
                .filter(|&n| n >= 0)
                .ok_or(CmdError::LimitNegative)?;
            o.limit = usize::try_from(n).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// The result being built, with the member lengths the listpack
/// conversion of a stored result needs.
#[derive(Default)]
struct Built {
    set: SkipList,
    max_len: usize,
    total_len: usize,
}

impl Built {
    fn add(&mut self, member: &[u8], score: f64) {
        self.max_len = self.max_len.max(member.len());
        self.total_len += member.len();
        self.set.insert_new(member, score);
    }
}

fn generic(
    ctx: &mut Ctx,
    args: &[&[u8]],
    dst: Option<&[u8]>,
    numkeys_at: usize,
    op: Op,
    card_only: bool,
) -> CmdResult {
    let setnum = int(args[numkeys_at])?;
    if setnum < 1 {
        return Err(CmdError::AtLeastOneInputKey(ctx.cmd.to_string()));
    }
    let first_key = numkeys_at + 1;
    if setnum > (args.len() - first_key) as i64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let keys = &args[first_key..first_key + setnum];
    let db = ctx.db;
    // Look every key up once (expiry, statistics, type check) ...
    for key in keys {
        match ctx.engine.shard_for(key).lookup_read(db, key) {
            None | Some(Value::ZSet(_)) | Some(Value::Set(_)) => {}
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    let o = parse_options(
        &args[first_key + setnum..],
        setnum,
        op,
        dst.is_some(),
        card_only,
    )?;
    // ... then read them all at once.
    let (result, cardinality) = {
        let engine = &*ctx.engine;
        let mut inputs: Vec<Input<'_>> = keys
            .iter()
            .zip(&o.weights)
            .map(|(key, &weight)| {
                let ks = &engine.shards()[engine.shard_of(key)];
                let source = match ks.db(db).entry(key).map(|e| &e.value) {
                    Some(Value::ZSet(z)) => Source::ZSet(z),
                    Some(Value::Set(s)) => Source::Set(s),
                    _ => Source::Missing,
                };
                Input { source, weight }
            })
            .collect();
        if op != Op::Diff {
            inputs.sort_by_key(|i| i.len());
        }
        match op {
            Op::Inter => intersect(&inputs, o.aggregate, card_only, o.limit),
            Op::Union => (union(&inputs, o.aggregate), 0),
            Op::Diff => (diff(&mut inputs), 0),
        }
    };
    if card_only {
        ctx.out.int(cardinality as i64);
        return Ok(());
    }
    match dst {
        Some(dst) => {
            let ks = ctx.engine.shard_for(dst);
            let limits = ks.config.zset_limits;
            let stored = ZSet::from_skiplist(result.set, result.max_len, result.total_len, limits);
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            store_result(ks, db, dst, stored, event, ctx.out);
        }
        None => {
            reply_elements_header(ctx.out, result.set.len(), o.withscores);
            for (score, member) in result.set.tree().iter() {
                reply_element(ctx.out, Member::Str(member), score, o.withscores);
            }
        }
    }
    Ok(())
}

/// The intersection (or, with `card_only`, just its size, stopping at
/// `limit` when nonzero). `inputs` are sorted by size.
fn intersect(
    inputs: &[Input<'_>],
    aggregate: Aggregate,
    card_only: bool,
    limit: usize,
) -> (Built, usize) {
    let mut result = Built::default();
    let mut cardinality = 0;
    let Some(first) = inputs.first().filter(|i| i.len() > 0) else {
        return (result, 0);
    };
    first.for_each(|m, s| {
        let mut score = first.weight * s;
        if score.is_nan() {
            score = 0.0;
        }
        for other in &inputs[1..] {
            let value = if other.same_as(first) {
                s * other.weight
            } else {
                match other.find(m) {
                    Some(v) => v * other.weight,
                    None => return true,
                }
            };
            aggregate.apply(&mut score, value);
        }
        if card_only {
            cardinality += 1;
            return limit == 0 || cardinality < limit;
        }
        m.with_bytes(|m| result.add(m, score));
        true
    });
    (result, cardinality)
}

/// The union: every member of every input, scores combined.
fn union(inputs: &[Input<'_>], aggregate: Aggregate) -> Built {
    let mut acc: HashMap<Vec<u8>, f64, ahash::RandomState> = HashMap::with_capacity_and_hasher(
        inputs.last().map_or(0, Input::len),
        ahash::RandomState::new(),
    );
    for input in inputs {
        input.for_each(|m, s| {
            let mut score = input.weight * s;
            if score.is_nan() {
                score = 0.0;
            }
            let member = m.to_vec();
            match acc.get_mut(&member) {
                Some(existing) => aggregate.apply(existing, score),
                None => {
                    acc.insert(member, score);
                }
            }
            true
        });
    }
    let mut result = Built::default();
    for (member, score) in acc {
        result.add(&member, score);
    }
    result
}

/// The members of the first input found in no other (Redis's `zdiff`,
/// with its choice between two algorithms by estimated work).
fn diff(inputs: &mut [Input<'_>]) -> Built {
    let mut result = Built::default();
    let Some(first) = inputs.first().copied().filter(|i| i.len() > 0) else {
        return result;
    };
    if inputs[1..].iter().any(|i| i.same_as(&first)) {
        return result;
    }
    let algo_one = first.len() * inputs.len() / 2;
    let algo_two: usize = inputs.iter().map(Input::len).sum();
    if algo_one <= algo_two {
        // Check each member of the first input against the others,
        // largest first (more likely to find it early).
        inputs[1..].sort_by_key(|i| std::cmp::Reverse(i.len()));
        first.for_each(|m, s| {
            if !inputs[1..].iter().any(|i| i.find(m).is_some()) {
                m.with_bytes(|m| result.add(m, s));
            }
            true
        });
    } else {
        // Copy the first input, then remove every member of the others.
        first.for_each(|m, s| {
            m.with_bytes(|m| result.set.insert_new(m, s));
            true
        });
        for other in &inputs[1..] {
            if result.set.is_empty() {
                break;
            }
            other.for_each(|m, _| {
                m.with_bytes(|m| result.set.remove(m));
                !result.set.is_empty()
            });
        }
        for (_, m) in result.set.tree().iter() {
            result.max_len = result.max_len.max(m.len());
            result.total_len += m.len();
        }
    }
    result
}
