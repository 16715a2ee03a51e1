//! Geo commands (Redis's `geo.c`): positions kept as sorted-set scores.
//!
//! * `hash.rs`: the geohash arithmetic (52-bit scores, cells, neighbours,
//!   distances, the cells a search walks).
//! * `search.rs`: GEOSEARCH, GEOSEARCHSTORE and the GEORADIUS forms.
//! * `sort.rs`: ordering results by distance as Redis's sorts do.
//! * here: GEOADD (a ZADD of encoded positions), GEOPOS, GEOHASH, GEODIST
//!   and what they share with the searches (argument parsing, the way
//!   distances and coordinates are printed).
//!
//! There is no geo type: every command reads or writes a sorted set, so
//! WRONGTYPE, encodings and notifications (`zadd` for GEOADD) are the
//! sorted set's.

mod hash;
mod search;
mod sort;

use crate::args::{float, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::zset::{read_zset, zadd};
use lodestone_protocol::Reply;

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, crate::Handler)] = &[
    ("geoadd", geoadd),
    ("geopos", geopos),
    ("geohash", geohash),
    ("geodist", geodist),
    ("georadius", search::georadius),
    ("georadius_ro", search::georadius_ro),
    ("georadiusbymember", search::georadiusbymember),
    ("georadiusbymember_ro", search::georadiusbymember_ro),
    ("geosearch", search::geosearch),
    ("geosearchstore", search::geosearchstore),
];

/// Parses a `longitude latitude` pair and checks it is storable
/// (`extractLongLatOrReply`).
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let (lon, lat) = (float(lon)?, float(lat)?);
    if !(hash::LON_MIN..=hash::LON_MAX).contains(&lon)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&lat)
    {
        return Err(CmdError::InvalidLonLat(lon.to_bits(), lat.to_bits()));
    }
    Ok((lon, lat))
}

/// Meters per unit of a distance unit name (`extractUnitOrReply`).
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    if is(arg, "m") {
        Ok(1.0)
    } else if is(arg, "km") {
        Ok(1000.0)
    } else if is(arg, "ft") {
        Ok(0.3048)
    } else if is(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::UnsupportedUnit)
    }
}

/// Writes a distance as Redis does: a bulk string with exactly four
/// decimals, rounded half to even from the distance times 10^4
/// (`fixedpoint_d2string`), in both protocols.
fn reply_distance(out: &mut Reply, d: f64) {
    let scaled = (d * 10_000.0).round_ties_even();
    // `llrint` on x86-64 gives i64::MIN for NaN and out-of-range values.
    let fixed = if scaled.is_nan()
        || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&scaled)
    {
        i64::MIN
    } else {
        scaled as i64
    };
    let sign = if fixed < 0 { "-" } else { "" };
    let v = fixed.unsigned_abs();
    out.bulk(format!("{sign}{}.{:04}", v / 10_000, v % 10_000).as_bytes());
}

/// Writes a coordinate as Redis's `addReplyHumanLongDouble` does: `%.17f`
/// without trailing zeros, as a bulk string (RESP2) or a double (RESP3).
fn reply_coordinate(out: &mut Reply, v: f64) {
    let mut text = format!("{v:.17}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
    text.truncate(trimmed);
    if text == "-0" {
        text = "0".into();
    }
    if out.resp() > 2 {
        out.raw(b",");
        out.raw(text.as_bytes());
        out.raw(b"\r\n");
    } else {
        out.bulk(text.as_bytes());
    }
}

/// Writes a position as a two-element array of coordinates.
fn reply_position(out: &mut Reply, (lon, lat): (f64, f64)) {
    out.array(2);
    reply_coordinate(out, lon);
    reply_coordinate(out, lat);
}

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`: every
/// position is checked and encoded, then the whole command runs as
/// `ZADD key [options] score member ...`, as in Redis.
fn geoadd(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let mut first = 2;
    let (mut nx, mut xx) = (false, false);
    while first < args.len() {
        let opt = args[first];
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if !is(opt, "ch") {
            break;
        }
        first += 1;
    }
    let triples = &args[first..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut scores = Vec::with_capacity(triples.len() / 3);
    for t in triples.chunks_exact(3) {
        let (lon, lat) = lon_lat(t[0], t[1])?;
        let cell = hash::encode_wgs84(lon, lat, hash::STEP_MAX).ok_or(CmdError::Syntax)?;
        scores.push(
            itoa::Buffer::new()
                .format(cell.score_min())
                .as_bytes()
                .to_vec(),
        );
    }
    let mut zadd_args: Vec<&[u8]> = Vec::with_capacity(first + 2 * scores.len());
    zadd_args.push(b"zadd");
    zadd_args.extend_from_slice(&args[1..first]);
    for (score, t) in scores.iter().zip(triples.chunks_exact(3)) {
        zadd_args.push(score);
        zadd_args.push(t[2]);
    }
    zadd(ctx, &zadd_args)
}

/// `GEOPOS key member [member ...]`: each member's position, or a null
/// array for a missing one.
fn geopos(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let z = read_zset(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.array(args.len() - 2);
    for member in &args[2..] {
        match z.and_then(|z| z.score(member)) {
            Some(score) => reply_position(ctx.out, hash::position(score)),
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

/// `GEOHASH key member [member ...]`: each member's standard geohash, or
/// null for a missing one.
fn geohash(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let db = ctx.db;
    let z = read_zset(ctx.engine.shard_for(args[1]), db, args[1])?;
    ctx.out.array(args.len() - 2);
    for member in &args[2..] {
        match z.and_then(|z| z.score(member)) {
            Some(score) => ctx.out.bulk(&hash::standard_geohash(score)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`: the distance between two
/// members, null when either is missing.
fn geodist(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    let to_meters = match args.len() {
        4 => 1.0,
        5 => unit(args[4])?,
        _ => return Err(CmdError::Syntax),
    };
    let db = ctx.db;
    let Some(z) = read_zset(ctx.engine.shard_for(args[1]), db, args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    match (z.score(args[2]), z.score(args[3])) {
        (Some(a), Some(b)) => {
            let (lon1, lat1) = hash::position(a);
            let (lon2, lat2) = hash::position(b);
            reply_distance(ctx.out, hash::distance(lon1, lat1, lon2, lat2) / to_meters);
        }
        _ => ctx.out.null(),
    }
    Ok(())
}
