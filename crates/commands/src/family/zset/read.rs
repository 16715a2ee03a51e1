//! Read commands: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT,
//! ZLEXCOUNT, ZRANDMEMBER and ZSCAN.

use super::parse::{lex_range, score_range};
use super::{read_zset, reply_element, reply_elements_header, reply_member};
use crate::args::is;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::random_pick::{parse_count, parse_with_flag, ReplyBudget};
use crate::family::scan::{parse_cursor, reply_page, ScanOptions};
use lodestone_storage::zset::{Member, Score};

/// `ZCARD key`
pub(super) fn zcard(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let n = read_zset(ctx.ks(args[1]), db, args[1])?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// `ZSCORE key member`
pub(super) fn zscore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let score = read_zset(ctx.ks(args[1]), db, args[1])?.and_then(|z| z.score(args[2]));
    match score {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `ZMSCORE key member [member ...]`: a missing key reads as empty.
pub(super) fn zmscore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let z = read_zset(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.array(args.len() - 2);
    for member in &args[2..] {
        match z.and_then(|z| z.score(member)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// `ZRANK key member [WITHSCORE]`
pub(super) fn zrank(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, args, false)
}

/// `ZREVRANK key member [WITHSCORE]`
pub(super) fn zrevrank(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, args, true)
}

fn rank_generic(ctx: &mut Ctx, args: &[&[u8]], reverse: bool) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::WrongArity(ctx.cmd.to_string()));
    }
    let withscore = match args.get(3) {
        None => false,
        Some(opt) if is(opt, "withscore") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    let db = ctx.db;
    let found = read_zset(ctx.engine.shard_for(args[1]), db, args[1])?
        .and_then(|z| z.rank(args[2], reverse));
    match found {
        Some((rank, score)) if withscore => {
            ctx.out.array(2);
            ctx.out.int(rank as i64);
            ctx.out.double(score);
        }
        Some((rank, _)) => ctx.out.int(rank as i64),
        None if withscore => ctx.out.null_array(),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `ZCOUNT key min max`
pub(super) fn zcount(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let range = score_range(args[2], args[3])?;
    let db = ctx.db;
    let n = read_zset(ctx.ks(args[1]), db, args[1])?.map_or(0, |z| z.count_in_score_range(&range));
    ctx.out.int(n as i64);
    Ok(())
}

/// `ZLEXCOUNT key min max`
pub(super) fn zlexcount(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let range = lex_range(args[2], args[3])?;
    let db = ctx.db;
    let n = read_zset(ctx.ks(args[1]), db, args[1])?.map_or(0, |z| z.count_in_lex_range(&range));
    ctx.out.int(n as i64);
    Ok(())
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`, with Redis's strategies (see
/// [`lodestone_storage::zset::ZSet::random_distinct`]).
pub(super) fn zrandmember(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let db = ctx.db;
    if args.len() == 2 {
        let z = read_zset(ctx.engine.shard_for(key), db, key)?;
        match z.and_then(|z| z.random_element()) {
            Some((m, _)) => reply_member(ctx.out, m),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_count(args[2])?;
    let withscores = parse_with_flag(args, "WITHSCORES", count)?;
    let Some(z) = read_zset(ctx.engine.shard_for(key), db, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.array(0);
    } else if count < 0 || count == 1 {
        // Independent picks, repeats allowed, random order.
        let picks = count.unsigned_abs();
        let mut budget = ReplyBudget::new(ctx.out, ctx.settings.proto_max_bulk_len);
        reply_elements_header(
            ctx.out,
            usize::try_from(picks).unwrap_or(usize::MAX),
            withscores,
        );
        z.random_with_repeats(picks, |m, s| {
            reply_element(ctx.out, m, s, withscores);
            budget.allows_more(ctx.out)
        });
        budget.finish(ctx.out)?;
    } else {
        let count = count as usize;
        reply_elements_header(ctx.out, count.min(z.len()), withscores);
        z.random_distinct(count, |m, s| reply_element(ctx.out, m, s, withscores));
    }
    Ok(())
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: a listpack is
/// returned whole with cursor 0 and its scores as stored; the big encoding
/// is walked with Redis's reverse-binary cursor over its member table,
/// visiting buckets until `count` elements were looked at (or ten times
/// `count` buckets), scores printed as `%.17g`.
pub(super) fn zscan(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let key = args[1];
    let cursor = parse_cursor(args[2])?;
    let db = ctx.db;
    let Some(z) = read_zset(ctx.engine.shard_for(key), db, key)? else {
        reply_page(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = ScanOptions::parse(&args[3..], false)?;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let cursor = opts.walk(cursor, |c, sampled| {
        z.scan(c, |m: Member<'_>, s: Score<'_>| {
            *sampled += 1;
            let member = m.to_vec();
            if opts.matches(&member) {
                items.push(member);
                items.push(score_text(s));
            }
        })
    });
    reply_page(ctx.out, cursor, &items);
    Ok(())
}

/// A score as ZSCAN shows it: a listpack's stored text, or `%.17g` (what
/// Redis's `ld2string` prints for the big encoding's scores).
fn score_text(s: Score<'_>) -> Vec<u8> {
    match s {
        Score::Packed(e) => e.to_vec(),
        Score::Value(v) => format_g17(v).into_bytes(),
    }
}

/// C's `printf("%.17g", v)`: 17 significant digits, trailing zeros
/// removed, exponent form below 1e-4 or from 1e17.
fn format_g17(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{v:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..17).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = (16 - exp) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::format_g17;

    #[test]
    fn formats_like_printf_g17() {
        assert_eq!(format_g17(1.5), "1.5");
        assert_eq!(format_g17(0.1), "0.10000000000000001");
        assert_eq!(format_g17(3.0), "3");
        assert_eq!(format_g17(-0.0), "-0");
        assert_eq!(format_g17(1e17), "1e+17");
        assert_eq!(format_g17(12345678901234567.0), "12345678901234568");
        assert_eq!(format_g17(0.0001), "0.0001");
        assert_eq!(format_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_g17(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_g17(1e300), "1.0000000000000001e+300");
    }
}
