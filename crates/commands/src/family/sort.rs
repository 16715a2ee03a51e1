//! SORT and SORT_RO (Redis's `sort.c`) over lists, sets and sorted sets.
//!
//! The steps are Redis's, in its order, because each is observable:
//! options are parsed first (their errors win over WRONGTYPE), the key is
//! looked up, the elements are loaded (with `BY` a constant pattern, only
//! the LIMIT range, in the value's own order: list order, or score order
//! for a sorted set, reversed by DESC), weights are looked up and parsed,
//! the vector is sorted, and the reply (or the stored list) is built with
//! the GET patterns looked up again per element. Every pattern lookup is a
//! read lookup, counting hits and misses and raising `keymiss` like Redis.
//!
//! Comparisons follow `sortCompare`: numeric weights with ties broken by
//! the elements' bytes; ALPHA with the locale's collation (`strcoll`,
//! which stops at a NUL byte) unless STORE is given, where it is binary.
//! Numbers are read with C's `strtod` (leading spaces, hex floats and
//! `inf` allowed; trailing garbage, NaN and out-of-range values are an
//! error), again because Redis does.

use crate::args::{int, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::Handler;
use lodestone_storage::list::List;
use lodestone_storage::notify::{GENERIC, LIST};
use lodestone_storage::{Lookup, Value};
use std::cmp::Ordering;

/// Handlers of this family, by command name.
pub const COMMANDS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
/// [ASC|DESC] [ALPHA] [STORE destination]`
fn sort(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, args, false)
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...]
/// [ASC|DESC] [ALPHA]`: STORE is not an option (a syntax error).
fn sort_ro(ctx: &mut Ctx, args: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// The parsed options.
#[derive(Default)]
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// `BY` a pattern without `*`: nothing to sort.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
}

/// Parses the options after the key, as `sortCommandGeneric` does: later
/// options override earlier ones, LIMIT and STORE/BY/GET take arguments.
fn parse<'a>(args: &[&'a [u8]], readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        limit_count: -1,
        ..Options::default()
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = args[j];
        if is(a, "asc") {
            o.desc = false;
        } else if is(a, "desc") {
            o.desc = true;
        } else if is(a, "alpha") {
            o.alpha = true;
        } else if is(a, "limit") && left >= 2 {
            o.limit_start = int(args[j + 1])?;
            o.limit_count = int(args[j + 2])?;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            o.store = Some(args[j + 1]);
            j += 1;
        } else if is(a, "by") && left >= 1 {
            o.by = Some(args[j + 1]);
            o.dont_sort = !c_str(args[j + 1]).contains(&b'*');
            j += 1;
        } else if is(a, "get") && left >= 1 {
            o.gets.push(args[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// One element to sort, with what it is compared by.
struct Item {
    /// The element's bytes.
    elem: Vec<u8>,
    /// Numeric weight (0 when its BY key is missing).
    score: f64,
    /// ALPHA: what the element is compared by (see [`compare`]): the BY
    /// weight (none when its key is missing) or, for collation, the element;
    /// NUL-terminated when collated.
    cmp: Option<Vec<u8>>,
}

impl Item {
    fn new(elem: Vec<u8>) -> Item {
        Item {
            elem,
            score: 0.0,
            cmp: None,
        }
    }
}

/// The elements of the value at `key` (none when absent), loaded the way
/// Redis loads its sort vector, with the LIMIT range already applied when
/// nothing is sorted. Returns the items and the `start..=end` range of
/// them to output.
///
/// A set has no order of its own, so a set stored unsorted, or returned
/// unsorted to a script, is sorted ALPHA instead (for replicas and script
/// results to agree). A sorted set is converted to its big
/// encoding first, even by SORT_RO: Redis does so (`zsetConvert`), and
/// OBJECT ENCODING shows it.
fn load(ctx: &mut Ctx, key: &[u8], o: &mut Options) -> Result<(Vec<Item>, i64, i64), CmdError> {
    let db = ctx.db;
    let ks = ctx.engine.shard_for(key);
    let Some(entry) = ks.lookup(db, key, Lookup::READ) else {
        let (start, end) = limit_range(o.limit_start, o.limit_count, 0);
        return Ok((Vec::new(), start, end));
    };
    let len = match &mut entry.value {
        Value::List(l) => l.len(),
        Value::Set(s) => {
            if o.dont_sort && (o.store.is_some() || ctx.from_script) {
                o.dont_sort = false;
                o.alpha = true;
                o.by = None;
            }
            s.len()
        }
        Value::ZSet(z) => {
            z.convert_to_skiplist();
            z.len()
        }
        _ => return Err(CmdError::WrongType),
    } as i64;
    let (mut start, mut end) = limit_range(o.limit_start, o.limit_count, len);
    let mut items = Vec::with_capacity(len as usize);
    match &mut entry.value {
        Value::List(l) if o.dont_sort => {
            // Only the range, in list order (reversed by DESC).
            if end >= start {
                let wanted = (end - start + 1) as usize;
                let from = if o.desc { len - start - 1 } else { start };
                visit_list(l, from as usize, o.desc, wanted, &mut items);
                end -= start;
                start = 0;
            }
        }
        Value::List(l) => visit_list(l, 0, false, usize::MAX, &mut items),
        Value::Set(s) => items.extend(s.iter().map(|m| Item::new(m.to_vec()))),
        Value::ZSet(z) if o.dont_sort => {
            // Only the range, in score order (reversed by DESC).
            let wanted = (end - start + 1).max(0) as usize;
            let from = if o.desc { len - start - 1 } else { start };
            let elements = z.iter_from(from.max(0) as usize, o.desc).take(wanted);
            items.extend(elements.map(|(m, _)| Item::new(m.to_vec())));
            end -= start;
            start = 0;
        }
        Value::ZSet(z) => items.extend(z.iter().map(|(m, _)| Item::new(m.to_vec()))),
        _ => return Err(CmdError::WrongType),
    }
    Ok((items, start, end))
}

/// Appends up to `max` elements of `list` from `from` towards the tail
/// (the head when `reverse`).
fn visit_list(list: &mut List, from: usize, reverse: bool, max: usize, items: &mut Vec<Item>) {
    list.visit(from, reverse, |e| {
        items.push(Item::new(e.to_vec()));
        items.len() < max
    });
}

/// Redis's LIMIT arithmetic: the `start..=end` range of a vector of `len`
/// elements (empty when `end < start`).
fn limit_range(limit_start: i64, limit_count: i64, len: i64) -> (i64, i64) {
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

/// The common path of SORT and SORT_RO.
fn sort_generic(ctx: &mut Ctx, args: &[&[u8]], readonly: bool) -> CmdResult {
    let mut o = parse(args, readonly)?;
    let (mut items, start, end) = load(ctx, args[1], &mut o)?;
    let mut not_a_number = false;
    if !o.dont_sort {
        let binary = o.store.is_some();
        for item in items.iter_mut() {
            let weight = match o.by {
                Some(pattern) => match lookup_by_pattern(ctx, pattern, &item.elem) {
                    Some(w) => Some(w),
                    // No weight: score 0, or sorted first with ALPHA.
                    None => continue,
                },
                None => None,
            };
            if o.alpha {
                // What the element is compared by; for strcoll, a
                // NUL-terminated copy made once instead of per comparison.
                let key = weight.or_else(|| (!binary).then(|| item.elem.clone()));
                item.cmp = key.map(|k| if binary { k } else { c_string(&k) });
            } else {
                match strtod(weight.as_deref().unwrap_or(&item.elem)) {
                    Some(score) => item.score = score,
                    None => not_a_number = true,
                }
            }
        }
        let (alpha, desc) = (o.alpha, o.desc);
        let by = o.by.is_some();
        items.sort_by(|a, b| {
            let ord = compare(a, b, alpha, by, binary);
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    let range = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[][..]
    };
    let output_len = range.len() * o.gets.len().max(1);
    if not_a_number {
        return Err(CmdError::SortNotDouble);
    }
    let db = ctx.db;
    match o.store {
        None => {
            ctx.out.array(output_len);
            for item in range {
                if o.gets.is_empty() {
                    ctx.out.bulk(&item.elem);
                }
                for pattern in &o.gets {
                    match lookup_by_pattern(ctx, pattern, &item.elem) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dest) => {
            let mut values: Vec<Vec<u8>> = Vec::with_capacity(output_len);
            for item in range {
                if o.gets.is_empty() {
                    values.push(item.elem.clone());
                }
                for pattern in &o.gets {
                    values.push(lookup_by_pattern(ctx, pattern, &item.elem).unwrap_or_default());
                }
            }
            let ks = ctx.engine.shard_for(dest);
            if values.is_empty() {
                if ks.delete(db, dest, ks.config.lazyfree_lazy_server_del) {
                    ks.signal_modified(db, dest);
                    ks.notify(GENERIC, "del", db, dest);
                    ks.dirty += 1;
                }
            } else {
                let cfg = ks.config.list;
                let list = List::from_values(values.iter().map(Vec::as_slice), &cfg);
                ks.set(db, dest, Value::List(list), false);
                ks.notify(LIST, "sortstore", db, dest);
                ks.dirty += output_len as u64;
            }
            ctx.out.int(output_len as i64);
        }
    }
    Ok(())
}

/// `sortCompare`: numeric weights (ties by the elements' bytes), or ALPHA
/// on the BY weights (a missing weight sorts first) or the elements, by
/// collation unless `binary` (STORE). With ALPHA, `cmp` holds what is
/// compared (NUL-terminated for collation); without BY and with `binary`
/// it is empty and the elements themselves are compared.
fn compare(a: &Item, b: &Item, alpha: bool, by: bool, binary: bool) -> Ordering {
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .filter(|o| o.is_ne())
            .unwrap_or_else(|| a.elem.cmp(&b.elem));
    }
    if !by && binary {
        return a.elem.cmp(&b.elem);
    }
    match (&a.cmp, &b.cmp) {
        (Some(x), Some(y)) if binary => x.cmp(y),
        (Some(x), Some(y)) => collate(x, y),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

/// The bytes of `s` up to its first NUL: what C string functions see of
/// an `sds`.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&c| c == 0).map_or(s, |n| &s[..n])
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
/// first `*` of the pattern is replaced by the element and the key read,
/// as a string, or, when `->field` follows the `*`, as a hash field.
/// `None` for a pattern without `*`, a missing key or field, or a value
/// of the wrong type.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    let pat = c_str(pattern);
    if pat == b"#" {
        return Some(elem.to_vec());
    }
    let star = pat.iter().position(|&c| c == b'*')?;
    // `->` after the star, followed by at least one more byte.
    let arrow = pat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&p| p + 2 < pat.len());
    let (key_tail_end, field) = match arrow {
        Some(p) => (p, Some(&pattern[p + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(key_tail_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_tail_end]);
    let db = ctx.db;
    let value = ctx.engine.shard_for(&key).lookup_read(db, &key)?;
    match (field, value) {
        (Some(field), Value::Hash(h)) => h.get(field).map(|v| v.to_vec()),
        (None, v) if v.is_string() => v.to_string_vec(),
        _ => None,
    }
}

/// C's `strtod` over the whole string (up to a NUL), with Redis's checks
/// in `sortCommandGeneric`: `None` for trailing garbage, NaN or a value out
/// of range.
fn strtod(bytes: &[u8]) -> Option<f64> {
    let text = c_string(bytes);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    let errno = errno_location();
    // SAFETY: `text` is NUL-terminated and outlives the call, and strtod
    // leaves `end` pointing into it; `errno` is this thread's errno.
    let (value, range_error, consumed_all) = unsafe {
        *errno = 0;
        let value = libc::strtod(text.as_ptr().cast(), &mut end);
        (value, *errno == libc::ERANGE, *end == 0)
    };
    (consumed_all && !range_error && !value.is_nan()).then_some(value)
}

/// Where the calling thread's `errno` lives.
fn errno_location() -> *mut libc::c_int {
    // SAFETY: these functions only return the thread's errno address.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::__errno_location()
    }
    #[cfg(not(target_os = "linux"))]
    unsafe {
        libc::__error()
    }
}

/// `s` up to its first NUL, NUL-terminated: the C string Redis's string
/// functions see of an `sds`.
fn c_string(s: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(s.len() + 1);
    c.extend_from_slice(c_str(s));
    c.push(0);
    c
}

/// Compares two [`c_string`]s by the locale's collation (`strcoll`, as
/// Redis's `collateStringObjects`).
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    debug_assert!(a.last() == Some(&0) && b.last() == Some(&0));
    // SAFETY: both buffers are NUL-terminated (built by `c_string`) and
    // live across the call.
    let r = unsafe { libc::strcoll(a.as_ptr().cast(), b.as_ptr().cast()) };
    r.cmp(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_follows_c() {
        assert_eq!(strtod(b"1.5"), Some(1.5));
        assert_eq!(strtod(b" 2"), Some(2.0));
        assert_eq!(strtod(b""), Some(0.0));
        assert_eq!(strtod(b"0x10"), Some(16.0));
        assert_eq!(strtod(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"12\0junk"), Some(12.0));
        assert_eq!(strtod(b"1.5 "), None);
        assert_eq!(strtod(b"abc"), None);
        assert_eq!(strtod(b"nan"), None);
        assert_eq!(strtod(b"1e400"), None);
        assert_eq!(strtod(b"1e-400"), None);
    }

    #[test]
    fn limit_arithmetic_matches_redis() {
        assert_eq!(limit_range(0, -1, 5), (0, 4));
        assert_eq!(limit_range(1, 2, 5), (1, 2));
        assert_eq!(limit_range(-3, 2, 5), (0, 1));
        assert_eq!(limit_range(4, 10, 5), (4, 4));
        assert_eq!(limit_range(5, 1, 5), (4, 3));
        assert_eq!(limit_range(0, 0, 5), (0, -1));
        assert_eq!(limit_range(0, -1, 0), (-1, -2));
        assert_eq!(limit_range(i64::MAX, i64::MAX, 3), (2, 1));
    }
}
