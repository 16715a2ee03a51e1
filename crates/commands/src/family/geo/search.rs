//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their `_RO`
//! forms: one parser and one search (Redis's `georadiusGeneric`).
//!
//! A search walks the score ranges of up to nine cells around the centre
//! (see [`Shape::cells`]) in Redis's order, keeps the points inside the
//! shape, optionally sorts them by distance and replies or stores them.
//! Without ASC/DESC (and without COUNT) the order is the walk's, as in
//! Redis.

use super::hash::{self, Cell, Shape, ShapeKind};
use super::sort::{sort_all, sort_first};
use super::{lon_lat, reply_distance, reply_position, unit};
use crate::args::{float, int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::family::zset::read_zset;
use lodestone_storage::notify::{GENERIC, ZSET};
use lodestone_storage::zset::{ScoreRange, SkipList, ZSet};
use lodestone_storage::Value;

/// Which command is running: where its arguments are and what it accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS / GEORADIUS_RO: `key lon lat radius unit`.
    Radius { store_ok: bool },
    /// GEORADIUSBYMEMBER / _RO: `key member radius unit`.
    ByMember { store_ok: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: FROM... and BY... options.
    Search { store: bool },
}

/// `GEORADIUS key lon lat radius unit [options] [STORE key] [STOREDIST key]`
pub(super) fn georadius(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::Radius { store_ok: true })
}

/// `GEORADIUS_RO key lon lat radius unit [options]`
pub(super) fn georadius_ro(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::Radius { store_ok: false })
}

/// `GEORADIUSBYMEMBER key member radius unit [options] [STORE key] ...`
pub(super) fn georadiusbymember(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::ByMember { store_ok: true })
}

/// `GEORADIUSBYMEMBER_RO key member radius unit [options]`
pub(super) fn georadiusbymember_ro(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::ByMember { store_ok: false })
}

/// `GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h
/// unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]`
pub(super) fn geosearch(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::Search { store: false })
}

/// `GEOSEARCHSTORE dst src FROM... BY... [ASC|DESC] [COUNT n [ANY]]
/// [STOREDIST]`
pub(super) fn geosearchstore(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    search(ctx, args, Form::Search { store: true })
}

/// Result ordering.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    None,
    Asc,
    Desc,
}

/// Everything a search request says.
struct Request<'a> {
    /// The centre, once known (absent for a missing source key).
    centre: Option<(f64, f64)>,
    /// Meters per unit and the shape's size, once known.
    size: Option<(f64, ShapeKind)>,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    order: Order,
    /// COUNT (0: none).
    count: usize,
    any: bool,
    /// Destination of STORE / STOREDIST / GEOSEARCHSTORE.
    store: Option<&'a [u8]>,
    /// Store distances instead of positions.
    storedist: bool,
}

/// Parses `radius unit` (`extractDistanceOrReply`).
fn radius(r: &[u8], u: &[u8]) -> Result<(f64, ShapeKind), CmdError> {
    let r = float(r).map_err(|_| CmdError::NeedNumeric("radius"))?;
    if r < 0.0 {
        return Err(CmdError::NegativeRadius);
    }
    Ok((unit(u)?, ShapeKind::Radius(r)))
}

/// Parses `width height unit` (`extractBoxOrReply`).
fn rect(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, ShapeKind), CmdError> {
    let width = float(w).map_err(|_| CmdError::NeedNumeric("width"))?;
    let height = float(h).map_err(|_| CmdError::NeedNumeric("height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::NegativeBox);
    }
    Ok((unit(u)?, ShapeKind::Box { width, height }))
}

/// The position of `member` in the source sorted set.
fn member_position(z: &ZSet, member: &[u8]) -> Result<(f64, f64), CmdError> {
    z.score(member)
        .map(hash::position)
        .ok_or(CmdError::GeoMemberMissing)
}

/// Parses the arguments of any form, in Redis's order of checks (the
/// source sorted set `z` gives FROMMEMBER / BYMEMBER centres as they are
/// met).
fn parse<'a>(args: &[&'a [u8]], form: Form, z: Option<&ZSet>) -> Result<Request<'a>, CmdError> {
    let mut req = Request {
        centre: None,
        size: None,
        withdist: false,
        withhash: false,
        withcoord: false,
        order: Order::None,
        count: 0,
        any: false,
        store: None,
        storedist: false,
    };
    let base = match form {
        Form::Radius { .. } => {
            req.centre = Some(lon_lat(args[2], args[3])?);
            req.size = Some(radius(args[4], args[5])?);
            6
        }
        Form::ByMember { .. } => {
            if let Some(z) = z {
                req.centre = Some(member_position(z, args[2])?);
                req.size = Some(radius(args[3], args[4])?);
            }
            5
        }
        Form::Search { store: false } => 2,
        Form::Search { store: true } => {
            req.store = Some(args[1]);
            3
        }
    };
    let store_ok = matches!(
        form,
        Form::Radius { store_ok: true } | Form::ByMember { store_ok: true }
    );
    let searching = matches!(form, Form::Search { .. });
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut i = base;
    while i < args.len() {
        let arg = args[i];
        let left = args.len() - i - 1;
        if is(arg, "withdist") {
            req.withdist = true;
        } else if is(arg, "withhash") {
            req.withhash = true;
        } else if is(arg, "withcoord") {
            req.withcoord = true;
        } else if is(arg, "any") {
            req.any = true;
        } else if is(arg, "asc") {
            req.order = Order::Asc;
        } else if is(arg, "desc") {
            req.order = Order::Desc;
        } else if is(arg, "count") && left >= 1 {
            let n = int(args[i + 1])?;
            if n <= 0 {
                return Err(CmdError::CountNotPositive);
            }
            req.count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && left >= 1 && store_ok {
            req.store = Some(args[i + 1]);
            req.storedist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && form == (Form::Search { store: true }) {
            req.storedist = true;
        } else if is(arg, "frommember") && left >= 1 && searching && !from_lonlat {
            if let Some(z) = z {
                req.centre = Some(member_position(z, args[i + 1])?);
            }
            from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && searching && !from_member {
            req.centre = Some(lon_lat(args[i + 1], args[i + 2])?);
            from_lonlat = true;
            i += 2;
        } else if is(arg, "byradius") && left >= 2 && searching && !by_box {
            req.size = Some(radius(args[i + 1], args[i + 2])?);
            by_radius = true;
            i += 2;
        } else if is(arg, "bybox") && left >= 3 && searching && !by_radius {
            req.size = Some(rect(args[i + 1], args[i + 2], args[i + 3])?);
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if req.store.is_some() && (req.withdist || req.withhash || req.withcoord) {
        return Err(CmdError::GeoStoreWithOptions(if searching {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        }));
    }
    let name = || String::from_utf8_lossy(args[0]).into_owned();
    if searching && !(from_member || from_lonlat) {
        return Err(CmdError::GeoNeedsFrom(name()));
    }
    if searching && !(by_radius || by_box) {
        return Err(CmdError::GeoNeedsBy(name()));
    }
    if req.any && req.count == 0 {
        return Err(CmdError::AnyNeedsCount);
    }
    Ok(req)
}

/// A point found inside the shape.
struct Found {
    lon: f64,
    lat: f64,
    /// Distance from the centre, in meters.
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// Collects the points of `z` inside `shape`, walking `cells` in order and
/// skipping a cell equal to the last one walked (other than the centre's,
/// as Redis compares); stops once `limit` points are found (ANY; 0: no
/// limit) (`membersOfAllNeighbors`).
fn collect(z: &ZSet, shape: &Shape, cells: &[Option<Cell>; 9], limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        let Some(cell) = *cell else { continue };
        if last != 0 && cells[last] == Some(cell) {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        collect_cell(z, shape, cell, limit, &mut found);
        last = i;
    }
    found
}

/// Appends the points of one cell's score range that are inside `shape`
/// (`geoGetPointsInRange`).
fn collect_cell(z: &ZSet, shape: &Shape, cell: Cell, limit: usize, found: &mut Vec<Found>) {
    let range = ScoreRange {
        min: cell.score_min() as f64,
        max: cell.score_end() as f64,
        min_exclusive: false,
        max_exclusive: true,
    };
    let Some(first) = z.first_in_score_range(&range) else {
        return;
    };
    for (member, score) in z.iter_from(first, false) {
        let score = score.value();
        if !range.below_max(score) {
            break;
        }
        let (lon, lat) = hash::position(score);
        if let Some(dist) = shape.contains(lon, lat) {
            found.push(Found {
                lon,
                lat,
                dist,
                score,
                member: member.to_vec(),
            });
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
    }
}

/// Converts a score to an integer as C's `(long long)` conversion does on
/// x86-64 (i64::MIN when out of range), for WITHHASH.
fn score_as_i64(score: f64) -> i64 {
    if score.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&score) {
        i64::MIN
    } else {
        score as i64
    }
}

/// Redis's `georadiusGeneric`.
fn search(ctx: &mut Ctx, args: &[&[u8]], form: Form) -> CmdResult {
    let src = match form {
        Form::Search { store: true } => args[2],
        _ => args[1],
    };
    let db = ctx.db;
    let z = read_zset(ctx.engine.shard_for(src), db, src)?;
    let req = parse(args, form, z)?;
    let (Some(z), Some((lon, lat)), Some((conversion, kind))) = (z, req.centre, req.size) else {
        return reply_nothing(ctx, req.store);
    };
    let shape = Shape {
        lon,
        lat,
        conversion,
        kind,
    };
    let mut order = req.order;
    if req.count != 0 && order == Order::None && !req.any {
        order = Order::Asc;
    }
    let limit = if req.any { req.count } else { 0 };
    let mut found = collect(z, &shape, &shape.cells(), limit);
    if found.is_empty() && req.store.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    let returned = if req.count == 0 {
        found.len()
    } else {
        found.len().min(req.count)
    };
    // The points in reply order (the first `returned` count).
    let dists: Vec<f64> = found.iter().map(|f| f.dist).collect();
    let sequence: Vec<usize> = match order {
        Order::None => (0..found.len()).collect(),
        _ if returned == found.len() => sort_all(&dists, order == Order::Desc),
        _ => sort_first(&dists, returned, order == Order::Desc),
    };
    for f in &mut found {
        f.dist /= conversion;
    }
    let picked = sequence[..returned].iter().map(|&i| &found[i]);
    match req.store {
        None => {
            let options =
                usize::from(req.withdist) + usize::from(req.withhash) + usize::from(req.withcoord);
            let out = &mut *ctx.out;
            out.array(returned);
            for f in picked {
                if options > 0 {
                    out.array(options + 1);
                }
                out.bulk(&f.member);
                if req.withdist {
                    reply_distance(out, f.dist);
                }
                if req.withhash {
                    out.int(score_as_i64(f.score));
                }
                if req.withcoord {
                    reply_position(out, (f.lon, f.lat));
                }
            }
        }
        Some(dst) => {
            let mut set = SkipList::new();
            let (mut max_len, mut total_len) = (0, 0);
            for f in picked {
                if set.score(&f.member).is_some() {
                    continue;
                }
                max_len = f.member.len().max(max_len);
                total_len += f.member.len();
                set.insert_new(&f.member, if req.storedist { f.dist } else { f.score });
            }
            let event = if matches!(form, Form::Search { .. }) {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            store(ctx, dst, set, max_len, total_len, returned, event);
        }
    }
    Ok(())
}

/// The reply for a missing source key: 0 after deleting the destination
/// of a store, an empty array otherwise.
fn reply_nothing(ctx: &mut Ctx, store: Option<&[u8]>) -> CmdResult {
    match store {
        Some(dst) => {
            let db = ctx.db;
            let ks = ctx.engine.shard_for(dst);
            if ks.delete(db, dst, false) {
                ks.signal_modified(db, dst);
                ks.notify(GENERIC, "del", db, dst);
                ks.dirty += 1;
            }
            ctx.out.int(0);
        }
        None => ctx.out.array(0),
    }
    Ok(())
}

/// Stores a search result at `dst` (or deletes `dst` when it is empty) and
/// replies with the number of results.
fn store(
    ctx: &mut Ctx,
    dst: &[u8],
    set: SkipList,
    max_len: usize,
    total_len: usize,
    returned: usize,
    event: &'static str,
) {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(dst);
    if set.is_empty() {
        if ks.delete(db, dst, false) {
            ks.signal_modified(db, dst);
            ks.notify(GENERIC, "del", db, dst);
            ks.dirty += 1;
        }
    } else {
        let limits = ks.config.zset_limits;
        let value = ZSet::from_skiplist(set, max_len, total_len, limits);
        ks.set(db, dst, Value::ZSet(value), false);
        ks.notify(ZSET, event, db, dst);
        ks.dirty += returned as u64;
    }
    ctx.out.int(returned as i64);
}
