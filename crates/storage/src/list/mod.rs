//! [`List`]: the list type, in Redis 7.2's two encodings.
//!
//! * `listpack`: a small list is one listpack, held as an exactly sized
//!   boxed slice ([`packed`]), so a list of a hundred short items costs one
//!   allocation, as in Redis.
//! * `quicklist`: a deque of listpack nodes ([`quicklist`]), with large
//!   elements in nodes of their own and interior nodes LZF-compressed when
//!   `list-compress-depth` asks for it.
//!
//! A list becomes a quicklist when the listpack would outgrow
//! `list-max-listpack-size` ([`List::grow_for`], called before adding) and
//! returns to a listpack when a quicklist shrinks to one packed node of at
//! most half that limit ([`List::try_shrink`], called after removing), as
//! Redis's `listTypeTryConversion*` do. The commands call these at the same
//! points as Redis's `t_list.c`, so `OBJECT ENCODING` changes at the same
//! moments.
//!
//! A `List` is 16 bytes and lives inside [`crate::Value`] without a box.

mod limits;
mod node;
mod packed;
mod quicklist;
mod rdb;
#[cfg(test)]
mod tests;

use crate::listpack::{Listpack, LpEntry};
use packed::{remove_matches, visit_listpack, Packed};
use quicklist::Quicklist;
pub(crate) use rdb::{LoadedNode, RdbNode};

/// `DEBUG QUICKLIST-PACKED-THRESHOLD` when not set: 1 GB.
pub const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

/// The settings lists follow; the server copies them from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListConfig {
    /// `list-max-listpack-size`: entries per listpack when positive, a
    /// byte limit of 4 KB × 2^(-n-1) when negative.
    pub max_listpack_size: i64,
    /// `list-compress-depth`: nodes kept uncompressed at each end of a
    /// quicklist (0: no compression).
    pub compress_depth: i64,
    /// Elements of at least this many bytes get a quicklist node of their
    /// own (`DEBUG QUICKLIST-PACKED-THRESHOLD`).
    pub packed_threshold: usize,
}

impl Default for ListConfig {
    fn default() -> Self {
        ListConfig {
            max_listpack_size: -2,
            compress_depth: 0,
            packed_threshold: DEFAULT_PACKED_THRESHOLD,
        }
    }
}

/// One end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The left end: index 0, LPUSH, LPOP.
    Head,
    /// The right end: index -1, RPUSH, RPOP.
    Tail,
}

/// An element taken out of a list.
///
/// Integers read from a quicklist stay integers, as Redis's pop returns
/// them as integer objects; that matters only for [`Element::counted_len`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    /// An integer-encoded element.
    Int(i64),
    /// A string element.
    Bytes(Vec<u8>),
}

impl Element {
    /// The element of a listpack entry.
    pub fn from_entry(e: LpEntry<'_>) -> Element {
        match e {
            LpEntry::Int(v) => Element::Int(v),
            LpEntry::Str(s) => Element::Bytes(s.to_vec()),
        }
    }

    /// Runs `f` on the element's bytes (integers in decimal).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Element::Int(v) => f(itoa::Buffer::new().format(*v).as_bytes()),
            Element::Bytes(b) => f(b),
        }
    }

    /// Bytes this element adds in a conversion check: its length for a
    /// string, nothing for an integer (Redis only measures string-encoded
    /// objects there).
    pub fn counted_len(&self) -> usize {
        match self {
            Element::Int(_) => 0,
            Element::Bytes(b) => b.len(),
        }
    }
}

/// A list value.
#[derive(Clone, Debug)]
pub struct List(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Packed(Packed),
    Quick(Box<Quicklist>),
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl List {
    /// An empty list in the listpack encoding (Redis's
    /// `createListListpackObject`).
    pub fn new() -> List {
        List(Repr::Packed(Packed::new()))
    }

    /// A list of `values` built the way SORT ... STORE builds one: pushed
    /// into a quicklist with Redis's default node limit, then converted to
    /// a listpack if it fits `cfg`.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a [u8]>, cfg: &ListConfig) -> List {
        let defaults = ListConfig::default();
        let mut q = Quicklist::new(defaults.max_listpack_size, defaults.compress_depth);
        for v in values {
            q.push(End::Tail, v, cfg.packed_threshold);
        }
        let mut list = List(Repr::Quick(Box::new(q)));
        list.settle_encoding(cfg);
        list
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len(),
            Repr::Quick(q) => q.len(),
        }
    }

    /// True when the list has no elements (a stored list never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match &self.0 {
            Repr::Packed(_) => "listpack",
            Repr::Quick(_) => "quicklist",
        }
    }

    /// How much work freeing the list is (Redis's lazy-free effort: the
    /// number of quicklist nodes, 1 for a listpack).
    pub fn free_effort(&self) -> usize {
        match &self.0 {
            Repr::Packed(_) => 1,
            Repr::Quick(q) => q.node_count(),
        }
    }

    /// Approximate heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.bytes_len(),
            Repr::Quick(q) => q.heap_size(),
        }
    }

    /// The quicklist figures `DEBUG OBJECT` appends for a quicklist
    /// (` ql_nodes:... ql_avg_node:... ql_listpack_max:... ql_compressed:...
    /// ql_uncompressed_size:...`); `None` for a listpack.
    pub fn debug_summary(&self) -> Option<String> {
        let Repr::Quick(q) = &self.0 else {
            return None;
        };
        let (nodes, fill, depth, bytes) = q.summary();
        let avg = q.len() as f64 / nodes as f64;
        Some(format!(
            " ql_nodes:{nodes} ql_avg_node:{avg:.2} ql_listpack_max:{fill} ql_compressed:{} ql_uncompressed_size:{bytes}",
            (depth != 0) as u8
        ))
    }

    // ----- encoding conversions ---------------------------------------

    /// Called before adding `add_count` elements totalling `add_bytes`:
    /// turns a listpack that would outgrow `list-max-listpack-size` into a
    /// quicklist (Redis's `listTypeTryConversionAppend`). A quicklist is
    /// left as is.
    pub fn grow_for(&mut self, add_bytes: usize, add_count: usize, cfg: &ListConfig) {
        if let Repr::Packed(p) = &self.0 {
            let bytes = p.bytes_len().saturating_add(add_bytes);
            if limits::exceeds(cfg.max_listpack_size, bytes, p.len() + add_count) {
                self.convert_to_quicklist(cfg);
            }
        }
    }

    /// Called after removing elements: turns a quicklist that is down to
    /// one packed node of at most half the listpack limits back into a
    /// listpack (the half keeps a list at the boundary from converting
    /// back and forth on every change).
    pub fn try_shrink(&mut self, cfg: &ListConfig) {
        self.quicklist_to_listpack(cfg, true);
    }

    /// Puts a freshly built list in the encoding its size calls for
    /// (Redis's `LIST_CONV_AUTO`).
    pub fn settle_encoding(&mut self, cfg: &ListConfig) {
        match &self.0 {
            Repr::Packed(_) => self.grow_for(0, 0, cfg),
            Repr::Quick(_) => self.quicklist_to_listpack(cfg, false),
        }
    }

    fn convert_to_quicklist(&mut self, cfg: &ListConfig) {
        let old = std::mem::replace(&mut self.0, Repr::Packed(Packed::new()));
        if let Repr::Packed(p) = old {
            let q = Quicklist::from_packed(p, cfg.max_listpack_size, cfg.compress_depth);
            self.0 = Repr::Quick(Box::new(q));
        }
    }

    fn quicklist_to_listpack(&mut self, cfg: &ListConfig, shrinking: bool) {
        let Repr::Quick(q) = &self.0 else {
            return;
        };
        let Some((bytes, count)) = q.single_packed() else {
            return;
        };
        let (mut size_limit, mut count_limit) = limits::node_limit(cfg.max_listpack_size);
        if shrinking {
            size_limit /= 2;
            count_limit /= 2;
        }
        if bytes > size_limit || count > count_limit {
            return;
        }
        let old = std::mem::replace(&mut self.0, Repr::Packed(Packed::new()));
        if let Repr::Quick(q) = old {
            self.0 = Repr::Packed(q.into_packed());
        }
    }

    // ----- edits ------------------------------------------------------

    /// Adds `value` at `end`, without any encoding conversion (Redis's
    /// `listTypePush`; callers run [`List::grow_for`] first).
    pub fn push(&mut self, end: End, value: &[u8], cfg: &ListConfig) {
        match &mut self.0 {
            Repr::Packed(p) => p.edit(Listpack::entry_len_for(value), |lp| match end {
                End::Head => lp.prepend(value),
                End::Tail => lp.append(value),
            }),
            Repr::Quick(q) => q.push(end, value, cfg.packed_threshold),
        }
    }

    /// Adds all `values` at `end` in order, converting first if they would
    /// not fit the listpack (LPUSH/RPUSH).
    pub fn push_all(&mut self, end: End, values: &[&[u8]], cfg: &ListConfig) {
        let bytes = values.iter().map(|v| v.len()).sum();
        self.grow_for(bytes, values.len(), cfg);
        if let Repr::Packed(p) = &mut self.0 {
            // One reallocation for the whole batch.
            let extra = values.iter().map(|v| Listpack::entry_len_for(v)).sum();
            p.edit(extra, |lp| {
                for v in values {
                    match end {
                        End::Head => lp.prepend(v),
                        End::Tail => lp.append(v),
                    }
                }
            });
            return;
        }
        for v in values {
            self.push(end, v, cfg);
        }
    }

    /// Adds an element popped from another list at `end`, converting first
    /// if needed (the push half of LMOVE).
    pub fn push_element(&mut self, end: End, e: &Element, cfg: &ListConfig) {
        self.grow_for(e.counted_len(), 1, cfg);
        e.with_bytes(|b| self.push(end, b, cfg));
    }

    /// Removes and returns the element at `end`. No conversion: callers
    /// run [`List::try_shrink`] when done removing.
    pub fn pop(&mut self, end: End) -> Option<Element> {
        match &mut self.0 {
            Repr::Packed(p) => p.edit(0, |lp| {
                let pos = match end {
                    End::Head => lp.first(),
                    End::Tail => lp.last(),
                }?;
                // A listpack pop yields a string, as Redis's does.
                let e = Element::Bytes(lp.get(pos).to_vec());
                lp.delete(pos);
                Some(e)
            }),
            Repr::Quick(q) => q.pop(end),
        }
    }

    /// The element at `index` (negative from the tail).
    pub fn get(&mut self, index: i64) -> Option<Element> {
        match &mut self.0 {
            Repr::Packed(p) => {
                p.read(|lp| lp.seek(index).map(|pos| Element::from_entry(lp.get(pos))))
            }
            Repr::Quick(q) => q.get(index),
        }
    }

    /// Replaces the element at `index` (LSET); false when out of range.
    /// No conversion: LSET runs [`List::grow_for`] before and
    /// [`List::try_shrink`] after.
    pub fn replace(&mut self, index: i64, value: &[u8], cfg: &ListConfig) -> bool {
        match &mut self.0 {
            Repr::Packed(p) => p.edit(Listpack::entry_len_for(value), |lp| match lp.seek(index) {
                Some(pos) => {
                    lp.replace(pos, value);
                    true
                }
                None => false,
            }),
            Repr::Quick(q) => q.replace(index, value, cfg.packed_threshold),
        }
    }

    /// Inserts `value` before or after the first element equal to `pivot`
    /// (LINSERT); false when there is none. No conversion.
    pub fn insert(&mut self, pivot: &[u8], value: &[u8], after: bool, cfg: &ListConfig) -> bool {
        match &mut self.0 {
            Repr::Packed(p) => p.edit(Listpack::entry_len_for(value), |lp| {
                let Some(pos) = lp.first().and_then(|first| lp.find(first, pivot, 0)) else {
                    return false;
                };
                if after {
                    lp.insert_after(pos, value);
                } else {
                    lp.insert_before(pos, value);
                }
                true
            }),
            Repr::Quick(q) => match q.find(pivot) {
                Some((n, offset)) => {
                    q.insert(n, offset, value, after, cfg.packed_threshold);
                    true
                }
                None => false,
            },
        }
    }

    /// Removes elements equal to `value` (LREM): the first `count` from
    /// the head when positive, the last `-count` from the tail when
    /// negative, all when 0. Returns how many. No conversion.
    pub fn remove(&mut self, value: &[u8], count: i64) -> usize {
        let from_tail = count < 0;
        let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        match &mut self.0 {
            Repr::Packed(p) => {
                let quota = if limit == 0 { usize::MAX } else { limit };
                p.edit(0, |lp| remove_matches(lp, value, quota, from_tail))
            }
            Repr::Quick(q) => q.remove(value, limit, from_tail),
        }
    }

    /// Deletes `count` elements from position `start` (negative from the
    /// tail), fewer if the list ends first. No conversion.
    pub fn delete_range(&mut self, start: i64, count: usize) {
        if count == 0 {
            return;
        }
        match &mut self.0 {
            Repr::Packed(p) => {
                p.edit(0, |lp| lp.delete_range(start, count));
            }
            Repr::Quick(q) => q.delete_range(start, count),
        }
    }

    // ----- reads ------------------------------------------------------

    /// Calls `f` on elements from position `start` towards the tail (or
    /// the head when `reverse`) until `f` returns false or the list ends.
    /// Takes `&mut self` only to lend the compact listpack out without
    /// copying; the list is not changed.
    pub fn visit(&mut self, start: usize, reverse: bool, f: impl FnMut(LpEntry<'_>) -> bool) {
        match &mut self.0 {
            Repr::Packed(p) => {
                p.read(|lp| visit_listpack(lp, Some(start), reverse, f));
            }
            Repr::Quick(q) => q.visit(start, reverse, f),
        }
    }

    /// Calls `f` on every element from head to tail, through a shared
    /// borrow (DEBUG DIGEST, persistence). Reads each listpack from a
    /// copy, so commands use [`List::visit`] instead.
    pub fn for_each(&self, mut f: impl FnMut(LpEntry<'_>)) {
        match &self.0 {
            Repr::Packed(p) => {
                visit_listpack(&p.to_listpack(), None, false, |e| {
                    f(e);
                    true
                });
            }
            Repr::Quick(q) => q.for_each(f),
        }
    }
}

#[cfg(test)]
impl List {
    /// The quicklist's node shape `(elements, compressed, plain)`, empty
    /// for a listpack, for tests.
    pub(crate) fn shape(&self) -> Vec<(usize, bool, bool)> {
        match &self.0 {
            Repr::Packed(_) => Vec::new(),
            Repr::Quick(q) => q.shape(),
        }
    }

    /// The quicklist's compress depth (0 for a listpack), for tests.
    pub(crate) fn depth(&self) -> usize {
        match &self.0 {
            Repr::Packed(_) => 0,
            Repr::Quick(q) => q.depth(),
        }
    }
}
