//! [`Quicklist`]: the encoding of large lists, a deque of nodes each
//! holding a listpack of elements (or one element too large to pack).
//!
//! The shape of the node sequence is observable (a list returns to the
//! listpack encoding only when one packed node is left), so every edit
//! splits, fills and merges nodes exactly where Redis 7.2's `quicklist.c`
//! does: pushes fill the end node until `list-max-listpack-size` says it is
//! full, inserts in a full node split it and then try to merge neighbours,
//! deletions never merge.
//!
//! Compression (`list-compress-depth` = d > 0): the d nodes at each end
//! are kept uncompressed, interior nodes LZF-compressed. Invariant after
//! every public call: nodes at positions `[0, d)` and `[len - d, len)` are
//! raw; a node is compressed only at an interior position. Like Redis,
//! each single-node structural change re-establishes it by checking the
//! d end nodes on each side and compressing the nodes just past them, and
//! an interior node edited in place is compressed again after the edit.
//! Reading a compressed node decompresses a temporary copy.

use super::limits::{self, SIZE_ESTIMATE_OVERHEAD};
use super::node::Node;
use super::packed::{remove_matches, Packed};
use super::{Element, End};
use crate::listpack::{Listpack, LpEntry};
use std::collections::VecDeque;

/// Largest `fill` a quicklist keeps (its 16-bit signed field).
const FILL_MAX: i64 = (1 << 15) - 1;
/// Largest compress depth a quicklist keeps (its 16-bit field).
const COMPRESS_MAX: i64 = (1 << 16) - 1;
/// Bytes of a listpack's header and terminator, counted once in a merge.
const LP_OVERHEAD: usize = 7;

/// A list as a deque of nodes.
#[derive(Clone, Debug)]
pub(crate) struct Quicklist {
    nodes: VecDeque<Node>,
    /// Elements in all nodes.
    count: usize,
    /// `list-max-listpack-size` when the quicklist was created.
    fill: i64,
    /// `list-compress-depth` when the quicklist was created.
    depth: usize,
}

impl Quicklist {
    /// An empty quicklist with the node limit `fill` and compression
    /// `depth`, clamped to the ranges Redis's fields hold.
    pub(crate) fn new(fill: i64, depth: i64) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            depth: depth.clamp(0, COMPRESS_MAX) as usize,
        }
    }

    /// A quicklist whose only node is `lp` (none when it is empty).
    pub(crate) fn from_packed(lp: Packed, fill: i64, depth: i64) -> Quicklist {
        let mut q = Quicklist::new(fill, depth);
        if lp.len() > 0 {
            q.count = lp.len();
            q.insert_node(0, Node::Packed(lp));
        }
        q
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Number of nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes allocated: the node deque and each node's data.
    pub(crate) fn heap_size(&self) -> usize {
        std::mem::size_of::<Quicklist>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// `(nodes, fill, compress depth, uncompressed bytes of all nodes)`,
    /// for DEBUG OBJECT.
    pub(crate) fn summary(&self) -> (usize, i64, usize, usize) {
        let bytes = self.nodes.iter().map(Node::sz).sum();
        (self.nodes.len(), self.fill, self.depth, bytes)
    }

    /// `(bytes, elements)` of the only node when the list is a single
    /// packed node: what decides a conversion back to a listpack.
    pub(crate) fn single_packed(&self) -> Option<(usize, usize)> {
        match self.nodes.front() {
            Some(n) if self.nodes.len() == 1 && !n.is_plain() => Some((n.sz(), n.count())),
            _ => None,
        }
    }

    /// The listpack of a quicklist that is a single packed node (see
    /// [`Quicklist::single_packed`]).
    pub(crate) fn into_packed(mut self) -> Packed {
        match self.nodes.pop_front() {
            Some(mut n) => {
                n.decompress();
                match n {
                    Node::Packed(p) => p,
                    _ => unreachable!("conversion of a quicklist without a single packed node"),
                }
            }
            None => Packed::new(),
        }
    }

    // ----- compression ------------------------------------------------

    /// True when node `i` lies beyond the compress depth from both ends.
    fn interior(&self, i: usize) -> bool {
        self.depth > 0 && i >= self.depth && i + self.depth < self.nodes.len()
    }

    /// Puts node `i` in the state its position calls for.
    fn settle(&mut self, i: usize) {
        if i >= self.nodes.len() {
            return;
        }
        if self.interior(i) {
            self.nodes[i].compress();
        } else {
            self.nodes[i].decompress();
        }
    }

    /// Restores the compression invariant after one node was added or
    /// removed (`__quicklistCompress`), settling `touched` too.
    fn fix_compression(&mut self, touched: Option<usize>) {
        let d = self.depth;
        if d == 0 {
            return;
        }
        let len = self.nodes.len();
        let edge = d.min(len);
        for i in (0..edge).chain(len - edge..len) {
            self.nodes[i].decompress();
        }
        if len > 2 * d {
            self.nodes[d].compress();
            self.nodes[len - 1 - d].compress();
        }
        if let Some(t) = touched {
            self.settle(t);
        }
    }

    /// The nodes, head to tail (for serialization).
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Appends `node` as it is, without merging it into the tail node
    /// (`quicklistAppendListpack`, `quicklistAppendPlainNode`: what loading
    /// a serialized list does), compressing per the compress depth.
    pub(crate) fn append_node(&mut self, node: Node) {
        self.count += node.count();
        self.insert_node(self.nodes.len(), node);
    }

    /// Inserts `node` at position `at`.
    fn insert_node(&mut self, at: usize, node: Node) {
        self.nodes.insert(at, node);
        self.fix_compression(Some(at));
    }

    /// Removes node `i`, taking its elements out of the count. The deque
    /// gives memory back once it is three quarters empty, so a list
    /// trimmed from millions of elements to a few does not keep a table
    /// sized for millions.
    fn remove_node(&mut self, i: usize) -> Option<Node> {
        let node = self.nodes.remove(i)?;
        self.count -= node.count();
        let (len, capacity) = (self.nodes.len(), self.nodes.capacity());
        if capacity > 64 && len < capacity / 4 {
            self.nodes.shrink_to(len * 2);
        }
        self.fix_compression(None);
        Some(node)
    }

    /// Edits the listpack of packed node `i` (decompressing it for the
    /// edit and compressing it again after if it is interior).
    fn edit_node<R>(&mut self, i: usize, extra: usize, f: impl FnOnce(&mut Listpack) -> R) -> R {
        self.nodes[i].decompress();
        let result = self.nodes[i].packed_mut().edit(extra, f);
        self.settle(i);
        result
    }

    // ----- limits -----------------------------------------------------

    /// Whether an element of `sz` bytes may join node `i`
    /// (`_quicklistNodeAllowInsert`).
    fn allow_insert(&self, i: Option<usize>, sz: usize, threshold: usize) -> bool {
        let Some(node) = i.and_then(|i| self.nodes.get(i)) else {
            return false;
        };
        if node.is_plain() || sz >= threshold {
            return false;
        }
        let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
        !limits::exceeds(self.fill, new_sz, node.count() + 1)
    }

    /// Whether nodes `a` and `b` may become one (`_quicklistNodeAllowMerge`).
    fn allow_merge(&self, a: usize, b: usize) -> bool {
        let (Some(a), Some(b)) = (self.nodes.get(a), self.nodes.get(b)) else {
            return false;
        };
        if a.is_plain() || b.is_plain() {
            return false;
        }
        let merged = (a.sz() + b.sz()).saturating_sub(LP_OVERHEAD);
        !limits::exceeds(self.fill, merged, a.count() + b.count())
    }

    // ----- access -----------------------------------------------------

    /// The node holding element `index` (negative from the tail) and the
    /// element's offset in it, walking from the nearer end.
    fn locate(&self, index: i64) -> Option<(usize, usize)> {
        let total = self.count as i64;
        let forward = if index < 0 { total + index } else { index };
        if forward < 0 || forward >= total {
            return None;
        }
        let target = forward as usize;
        if target <= (self.count - 1) / 2 {
            let mut start = 0;
            for (i, node) in self.nodes.iter().enumerate() {
                let c = node.count();
                if start + c > target {
                    return Some((i, target - start));
                }
                start += c;
            }
        } else {
            let mut start = self.count;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                start -= node.count();
                if start <= target {
                    return Some((i, target - start));
                }
            }
        }
        None
    }

    /// The element at `index` (negative from the tail).
    pub(crate) fn get(&mut self, index: i64) -> Option<Element> {
        let (n, off) = self.locate(index)?;
        self.nodes[n].get(off)
    }

    /// Calls `f` on elements from position `start` towards the tail (or
    /// the head when `reverse`) until it returns false or the list ends.
    pub(crate) fn visit(
        &mut self,
        start: usize,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>) -> bool,
    ) {
        let Some((mut n, off)) = self.locate(start as i64) else {
            return;
        };
        let mut from = Some(off);
        loop {
            if !self.nodes[n].visit(from, reverse, &mut f) {
                return;
            }
            from = None;
            if reverse {
                if n == 0 {
                    return;
                }
                n -= 1;
            } else {
                n += 1;
                if n >= self.nodes.len() {
                    return;
                }
            }
        }
    }

    /// Calls `f` on every element, head to tail, through a shared borrow.
    pub(crate) fn for_each(&self, mut f: impl FnMut(LpEntry<'_>)) {
        for node in &self.nodes {
            node.for_each(&mut f);
        }
    }

    /// The node and offset of the first element equal to `value`.
    pub(crate) fn find(&mut self, value: &[u8]) -> Option<(usize, usize)> {
        for n in 0..self.nodes.len() {
            let mut offset = 0;
            let mut found = false;
            self.nodes[n].visit(None, false, |e| {
                found = e.eq_bytes(value);
                if !found {
                    offset += 1;
                }
                !found
            });
            if found {
                return Some((n, offset));
            }
        }
        None
    }

    // ----- edits ------------------------------------------------------

    /// Adds `value` at one end (`quicklistPushHead`/`quicklistPushTail`).
    pub(crate) fn push(&mut self, end: End, value: &[u8], threshold: usize) {
        let sz = value.len();
        let (target, at) = match end {
            End::Head => ((!self.nodes.is_empty()).then_some(0), 0),
            End::Tail => (self.nodes.len().checked_sub(1), self.nodes.len()),
        };
        if sz >= threshold {
            self.insert_node(at, Node::plain(value));
        } else if self.allow_insert(target, sz, threshold) {
            let extra = Listpack::entry_len_for(value);
            let t = target.unwrap_or(0);
            self.edit_node(t, extra, |lp| match end {
                End::Head => lp.prepend(value),
                End::Tail => lp.append(value),
            });
        } else {
            self.insert_node(at, Node::packed_with(value));
        }
        self.count += 1;
    }

    /// Removes and returns the element at one end.
    pub(crate) fn pop(&mut self, end: End) -> Option<Element> {
        let i = match end {
            End::Head => 0,
            End::Tail => self.nodes.len().checked_sub(1)?,
        };
        let node = self.nodes.get_mut(i)?;
        node.decompress();
        if node.is_plain() {
            return match self.remove_node(i) {
                Some(Node::Plain(b)) => Some(Element::Bytes(b.into_vec())),
                _ => None,
            };
        }
        let popped = self.edit_node(i, 0, |lp| {
            let p = match end {
                End::Head => lp.first(),
                End::Tail => lp.last(),
            }?;
            let e = Element::from_entry(lp.get(p));
            lp.delete(p);
            Some(e)
        })?;
        self.count -= 1;
        if self.nodes[i].count() == 0 {
            self.remove_node(i);
        }
        Some(popped)
    }

    /// Splits uncompressed packed node `n` at `offset` (`_quicklistSplitNode`)
    /// and returns the part that leaves it: with `after`, `n` keeps
    /// `[0, offset]` and the new node holds the rest; otherwise the new
    /// node takes `[0, offset)` and `n` keeps `[offset, end]`.
    fn split(&mut self, n: usize, offset: usize, after: bool) -> Node {
        let total = self.nodes[n].count();
        let kept = self.nodes[n].packed_mut();
        let mut taken = kept.to_listpack();
        if after {
            kept.edit(0, |lp| {
                lp.delete_range(offset as i64 + 1, total - offset - 1)
            });
            taken.delete_range(0, offset + 1);
        } else {
            kept.edit(0, |lp| lp.delete_range(0, offset));
            taken.delete_range(offset as i64, total - offset);
        }
        Node::Packed(Packed::from_listpack(taken))
    }

    /// Joins nodes `i` and `i + 1` into node `i` (`_quicklistListpackMerge`).
    fn merge_pair(&mut self, i: usize) {
        let Some(mut second) = self.nodes.remove(i + 1) else {
            return;
        };
        let mut first = std::mem::replace(&mut self.nodes[i], Node::Plain(Box::default()));
        first.decompress();
        second.decompress();
        let (Node::Packed(a), Node::Packed(b)) = (first, second) else {
            unreachable!("merge of plain nodes is never allowed");
        };
        let merged = Listpack::merge(a.into_listpack(), b.into_listpack());
        self.nodes[i] = Node::Packed(Packed::from_listpack(merged));
        self.fix_compression(Some(i));
    }

    /// Tries to merge the nodes around `center` (`_quicklistMergeNodes`):
    /// the two before it, the two after it, then `center` with each
    /// neighbour. Returns where `center`'s elements ended up.
    fn merge_around(&mut self, center: usize) -> usize {
        let mut c = center;
        if c >= 2 && self.allow_merge(c - 2, c - 1) {
            self.merge_pair(c - 2);
            c -= 1;
        }
        if self.allow_merge(c + 1, c + 2) {
            self.merge_pair(c + 1);
        }
        let mut target = c;
        if c >= 1 && self.allow_merge(c - 1, c) {
            self.merge_pair(c - 1);
            target = c - 1;
        }
        if self.allow_merge(target, target + 1) {
            self.merge_pair(target);
        }
        target
    }

    /// Inserts `value` next to the element at `offset` of node `n`,
    /// after it or before it (`_quicklistInsert`).
    pub(crate) fn insert(
        &mut self,
        n: usize,
        offset: usize,
        value: &[u8],
        after: bool,
        threshold: usize,
    ) {
        let sz = value.len();
        let count = self.nodes[n].count();
        let full = !self.allow_insert(Some(n), sz, threshold);
        let at_tail = after && offset + 1 == count;
        let at_head = !after && offset == 0;
        let avail_next = at_tail && self.allow_insert(Some(n + 1), sz, threshold);
        let avail_prev = at_head && n > 0 && self.allow_insert(Some(n - 1), sz, threshold);
        let beside = if after { n + 1 } else { n };
        self.count += 1;
        if sz >= threshold {
            if self.nodes[n].is_plain() || at_tail || at_head {
                self.insert_node(beside, Node::plain(value));
            } else {
                self.nodes[n].decompress();
                let rest = self.split(n, offset, after);
                if after {
                    self.insert_node(n + 1, Node::plain(value));
                    self.insert_node(n + 2, rest);
                } else {
                    self.insert_node(n, Node::plain(value));
                    self.insert_node(n, rest);
                }
                let orig = if after { n } else { n + 2 };
                self.settle(orig);
            }
            return;
        }
        let extra = Listpack::entry_len_for(value);
        if !full {
            self.edit_node(n, extra, |lp| {
                if let Some(p) = lp.seek(offset as i64) {
                    if after {
                        lp.insert_after(p, value);
                    } else {
                        lp.insert_before(p, value);
                    }
                }
            });
        } else if at_tail && avail_next {
            self.edit_node(n + 1, extra, |lp| lp.prepend(value));
        } else if at_head && avail_prev {
            self.edit_node(n - 1, extra, |lp| lp.append(value));
        } else if at_tail || at_head {
            self.insert_node(beside, Node::packed_with(value));
        } else {
            self.nodes[n].decompress();
            let mut rest = self.split(n, offset, after);
            rest.packed_mut().edit(extra, |lp| {
                if after {
                    lp.prepend(value);
                } else {
                    lp.append(value);
                }
            });
            self.insert_node(beside, rest);
            let orig = if after { n } else { n + 1 };
            self.settle(orig);
            let center = self.merge_around(orig);
            self.settle(center);
        }
    }

    /// Replaces the element at `index` (`quicklistReplaceAtIndex`); false
    /// when the index is out of range.
    pub(crate) fn replace(&mut self, index: i64, value: &[u8], threshold: usize) -> bool {
        let Some((n, offset)) = self.locate(index) else {
            return false;
        };
        let large = value.len() >= threshold;
        self.nodes[n].decompress();
        // A listpack cannot pass 4 GB: like Redis's failed `lpReplace`, such
        // a replacement takes the node-splitting way below.
        let fits = self.nodes[n].sz() + Listpack::entry_len_for(value) <= u32::MAX as usize;
        if !self.nodes[n].is_plain() && !large && fits {
            let extra = Listpack::entry_len_for(value);
            self.edit_node(n, extra, |lp| {
                if let Some(p) = lp.seek(offset as i64) {
                    lp.replace(p, value);
                }
            });
        } else if self.nodes[n].is_plain() {
            if large {
                self.nodes[n] = Node::plain(value);
                self.settle(n);
            } else {
                self.insert(n, 0, value, true, threshold);
                self.remove_node(n);
            }
        } else {
            // A large element replacing one inside a packed node: cut the
            // node after the element, put the new element in a node of its
            // own in between, drop the old element and let the neighbours
            // merge.
            let split = (offset + 1 != self.nodes[n].count()).then(|| self.split(n, offset, true));
            let own = if large {
                Node::plain(value)
            } else {
                Node::packed_with(value)
            };
            self.insert_node(n + 1, own);
            if let Some(rest) = split {
                self.insert_node(n + 2, rest);
            }
            self.count += 1;
            if self.nodes[n].count() == 1 {
                self.remove_node(n);
            } else {
                self.edit_node(n, 0, |lp| {
                    if let Some(p) = lp.last() {
                        lp.delete(p);
                    }
                });
                self.count -= 1;
                let center = self.merge_around(n + 1);
                for i in [center.wrapping_sub(1), center, center + 1] {
                    self.settle(i);
                }
            }
        }
        true
    }

    /// Deletes `count` elements from position `start` (negative from the
    /// tail), fewer if the list ends first (`quicklistDelRange`). Nodes
    /// emptied are removed; none are merged.
    pub(crate) fn delete_range(&mut self, start: i64, count: usize) {
        if count == 0 {
            return;
        }
        let total = self.count as i64;
        let mut extent = count as i64;
        if start >= 0 && extent > total - start {
            extent = total - start;
        } else if start < 0 && extent > -start {
            extent = -start;
        }
        let Some((mut n, mut offset)) = self.locate(start) else {
            return;
        };
        let mut extent = extent.max(0) as usize;
        while extent > 0 && n < self.nodes.len() {
            let node_count = self.nodes[n].count();
            let whole = offset == 0 && extent >= node_count;
            let del = if whole {
                node_count
            } else if extent + offset >= node_count {
                node_count - offset
            } else {
                extent
            };
            if whole || self.nodes[n].is_plain() {
                self.remove_node(n);
            } else {
                self.edit_node(n, 0, |lp| lp.delete_range(offset as i64, del));
                self.count -= del;
                if self.nodes[n].count() == 0 {
                    self.remove_node(n);
                } else {
                    n += 1;
                }
            }
            extent -= del;
            offset = 0;
        }
    }

    /// Removes up to `limit` elements equal to `value` (all when 0),
    /// scanning from the tail when `from_tail` (LREM). Nodes emptied are
    /// removed; none are merged. Returns how many were removed.
    pub(crate) fn remove(&mut self, value: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut n = if from_tail { self.nodes.len() } else { 0 };
        loop {
            if limit != 0 && removed >= limit {
                break;
            }
            if from_tail {
                if n == 0 {
                    break;
                }
                n -= 1;
            } else if n >= self.nodes.len() {
                break;
            }
            let mut matched = false;
            self.nodes[n].visit(None, from_tail, |e| {
                matched = e.eq_bytes(value);
                !matched
            });
            let mut gone = false;
            if matched {
                if self.nodes[n].is_plain() {
                    self.remove_node(n);
                    removed += 1;
                    gone = true;
                } else {
                    let quota = if limit == 0 {
                        usize::MAX
                    } else {
                        limit - removed
                    };
                    let r = self.edit_node(n, 0, |lp| remove_matches(lp, value, quota, from_tail));
                    removed += r;
                    self.count -= r;
                    if self.nodes[n].count() == 0 {
                        self.remove_node(n);
                        gone = true;
                    }
                }
            }
            if !from_tail && !gone {
                n += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
impl Quicklist {
    /// `(elements, compressed, plain)` of each node, for tests.
    pub(crate) fn shape(&self) -> Vec<(usize, bool, bool)> {
        self.nodes
            .iter()
            .map(|n| (n.count(), n.is_compressed(), n.is_plain()))
            .collect()
    }

    /// The compress depth, for tests.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }
}
