//! [`Dict`]: a chained hash table that grows and shrinks incrementally.
//!
//! This is the main key table (and later the large encoding of hashes, sets
//! and sorted sets). Two properties matter more than raw speed:
//!
//! * **No stalls.** A resize allocates the new bucket array (zeroed lazily by
//!   the allocator) and then moves one bucket per write and about a
//!   millisecond per server tick, so inserting ten million keys never pauses
//!   the event loop for a whole-table rehash.
//! * **Stable SCAN cursors.** [`Dict::scan`] walks buckets in reverse-binary
//!   order. Because a key in bucket `i` of a table of size `2^n` lands in a
//!   bucket congruent to `i` modulo `2^n` in any other power-of-two table, a
//!   key present for a whole iteration is returned at least once even while
//!   the table grows or shrinks between calls.
//!
//! Invariants: table sizes are zero or powers of two; while rehashing, every
//! bucket of table 0 below `rehash_idx` is empty; `len()` is the number of
//! entries in both tables.

use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// An entry stored in a [`Dict`]: anything that can show its key.
pub trait DictEntry {
    /// The key the entry is found by.
    fn key(&self) -> &[u8];

    /// Starts loading memory the entry points to, ahead of a full
    /// iteration reaching it (nothing by default).
    fn prefetch_payload(&self) {}
}

/// Smallest non-empty table.
const INITIAL_SIZE: usize = 4;
/// A table is shrunk when fewer than this percentage of its buckets are used.
const MIN_FILL_PERCENT: usize = 10;
/// Under [`ResizePolicy::Avoid`], how many entries per bucket (or how
/// many times larger one table than the other) it takes to resize anyway
/// (Redis's `dict_force_resize_ratio`).
const FORCE_RESIZE_RATIO: usize = 5;

/// When tables may grow, shrink and rehash, for the whole process (Redis's
/// `dict_can_resize`). Resizing walks and rewrites a table's memory; while
/// a fork child shares that memory copy-on-write, every page touched is
/// copied, so the server avoids it then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizePolicy {
    /// Normal operation.
    Enable = 0,
    /// A fork child runs: resize only when a table is badly overfull
    /// ([`FORCE_RESIZE_RATIO`] times), never shrink.
    Avoid = 1,
    /// In the fork child itself: never resize.
    Forbid = 2,
}

static RESIZE_POLICY: AtomicU8 = AtomicU8::new(ResizePolicy::Enable as u8);

/// Sets the process's [`ResizePolicy`].
pub fn set_resize_policy(p: ResizePolicy) {
    RESIZE_POLICY.store(p as u8, Ordering::Relaxed);
}

fn resize_policy() -> ResizePolicy {
    match RESIZE_POLICY.load(Ordering::Relaxed) {
        0 => ResizePolicy::Enable,
        1 => ResizePolicy::Avoid,
        _ => ResizePolicy::Forbid,
    }
}

/// Whether a table of `size` buckets holding `used` entries grows now.
fn may_grow(policy: ResizePolicy, used: usize, size: usize) -> bool {
    match policy {
        ResizePolicy::Enable => used >= size,
        ResizePolicy::Avoid => used / size > FORCE_RESIZE_RATIO,
        ResizePolicy::Forbid => false,
    }
}

/// Whether a rehash from `from` buckets to `to` buckets may advance now.
fn may_rehash(policy: ResizePolicy, from: usize, to: usize) -> bool {
    match policy {
        ResizePolicy::Enable => true,
        ResizePolicy::Avoid => from.max(to) / from.min(to).max(1) >= FORCE_RESIZE_RATIO,
        ResizePolicy::Forbid => false,
    }
}

/// The process-wide keyed hash: random per process so bucket positions
/// cannot be predicted by a client trying to build long chains.
fn hash(key: &[u8]) -> u64 {
    static STATE: OnceLock<ahash::RandomState> = OnceLock::new();
    STATE.get_or_init(ahash::RandomState::new).hash_one(key)
}

struct Node<E> {
    entry: E,
    next: Link<E>,
}

type Link<E> = Option<Box<Node<E>>>;

struct Table<E> {
    buckets: Vec<Link<E>>,
    used: usize,
}

impl<E> Table<E> {
    const fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }

    /// A table of `size` empty buckets, allocated zeroed so that the pages
    /// are only touched as buckets are used.
    fn with_size(size: usize) -> Self {
        debug_assert!(size.is_power_of_two());
        let layout = Layout::array::<Link<E>>(size).expect("bucket array size overflow");
        // SAFETY: `Option<Box<_>>` is guaranteed to represent `None` as a null
        // pointer, so an all-zero allocation is `size` valid `None` values; the
        // pointer comes from the global allocator with this exact layout.
        let buckets = unsafe {
            let ptr = alloc_zeroed(layout) as *mut Link<E>;
            if ptr.is_null() {
                handle_alloc_error(layout);
            }
            Vec::from_raw_parts(ptr, size, size)
        };
        Table { buckets, used: 0 }
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// Frees every chain iteratively (a recursive `Box` drop could overflow
    /// the stack on a long chain), then the bucket array without visiting
    /// buckets again.
    fn clear(&mut self) {
        if self.used > 0 {
            for bucket in self.buckets.iter_mut() {
                let mut link = bucket.take();
                while let Some(mut node) = link {
                    link = node.next.take();
                }
            }
        }
        // SAFETY: every bucket is `None` now (either emptied above or never
        // used), so forgetting the elements leaks nothing.
        unsafe { self.buckets.set_len(0) };
        self.buckets = Vec::new();
        self.used = 0;
    }
}

impl<E> Drop for Table<E> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A hash table keyed by byte strings with incremental rehashing and
/// reverse-binary SCAN cursors (see the module documentation).
pub struct Dict<E> {
    tables: [Table<E>; 2],
    rehash_idx: Option<usize>,
}

impl<E> Default for Dict<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Dict<E> {
    /// An empty table; allocates nothing until the first insert.
    pub const fn new() -> Self {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_idx: None,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True while entries are being moved to a new table.
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Total buckets in both tables (for memory accounting and `DEBUG HTSTATS`).
    pub fn bucket_count(&self) -> usize {
        self.tables[0].buckets.len() + self.tables[1].buckets.len()
    }

    /// Bytes used by the bucket arrays and nodes, excluding what entries own.
    pub fn overhead_bytes(&self) -> usize {
        self.bucket_count() * std::mem::size_of::<Link<E>>()
            + self.len() * std::mem::size_of::<Node<E>>()
    }

    /// Drops every entry and the tables.
    pub fn clear(&mut self) {
        self.tables[0].clear();
        self.tables[1].clear();
        self.rehash_idx = None;
    }

    /// Iterates over all entries in bucket order.
    pub fn iter(&self) -> Iter<'_, E> {
        Iter {
            dict: self,
            table: 0,
            bucket: 0,
            node: None,
        }
    }
}

/// Hints the CPU to load the cache line at `p` (no-op where there is no
/// such instruction).
#[inline]
pub(crate) fn prefetch_line(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and has no visible effect; any
    // address, even an invalid one, is allowed.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The link of a bucket's chain that holds `key`, or the chain's empty
/// tail link when no node does (where a new node would go).
fn find_link<'a, E: DictEntry>(mut link: &'a mut Link<E>, key: &[u8]) -> &'a mut Link<E> {
    while link.as_ref().is_some_and(|n| n.entry.key() != key) {
        if let Some(node) = link {
            link = &mut node.next;
        }
    }
    link
}

impl<E: DictEntry> Dict<E> {
    /// The entry with this key.
    pub fn get(&self, key: &[u8]) -> Option<&E> {
        if self.is_empty() {
            return None;
        }
        let h = hash(key) as usize;
        for t in 0..=self.rehash_idx.map_or(0, |_| 1) {
            let table = &self.tables[t];
            let idx = h & table.mask();
            if t == 0 && self.rehash_idx.is_some_and(|r| idx < r) {
                continue;
            }
            let mut link = &table.buckets[idx];
            while let Some(node) = link {
                if node.entry.key() == key {
                    return Some(&node.entry);
                }
                link = &node.next;
            }
        }
        None
    }

    /// True when an entry has this key.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The entry with this key, mutably. Advances an ongoing rehash by one step.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut E> {
        if self.is_empty() {
            return None;
        }
        self.rehash(1);
        let h = hash(key) as usize;
        let t = self.table_holding(h, key)?;
        let idx = h & self.tables[t].mask();
        find_link(&mut self.tables[t].buckets[idx], key)
            .as_mut()
            .map(|n| &mut n.entry)
    }

    /// Which table holds `key` (whose hash is `h`), if any.
    fn table_holding(&self, h: usize, key: &[u8]) -> Option<usize> {
        for t in 0..=self.rehash_idx.map_or(0, |_| 1) {
            let table = &self.tables[t];
            let idx = h & table.mask();
            if t == 0 && self.rehash_idx.is_some_and(|r| idx < r) {
                continue;
            }
            let mut link = &table.buckets[idx];
            while let Some(node) = link {
                if node.entry.key() == key {
                    return Some(t);
                }
                link = &node.next;
            }
        }
        None
    }

    /// Inserts an entry whose key is known to be absent.
    pub fn insert_new(&mut self, entry: E) {
        debug_assert!(
            !self.contains_key(entry.key()),
            "insert_new with an existing key"
        );
        self.rehash(1);
        self.expand_if_needed();
        let t = if self.rehash_idx.is_some() { 1 } else { 0 };
        let table = &mut self.tables[t];
        let idx = hash(entry.key()) as usize & table.mask();
        let next = table.buckets[idx].take();
        table.buckets[idx] = Some(Box::new(Node { entry, next }));
        table.used += 1;
    }

    /// Inserts `entry` unless an entry has its key, in which case `entry`
    /// is given back: one hash and one probe where `contains_key` then
    /// `insert_new` take two (loaders check every key of a file this way).
    pub fn try_insert_new(&mut self, entry: E) -> Result<(), E> {
        self.rehash(1);
        self.expand_if_needed();
        let h = hash(entry.key()) as usize;
        if self.table_holding(h, entry.key()).is_some() {
            return Err(entry);
        }
        let t = if self.rehash_idx.is_some() { 1 } else { 0 };
        let table = &mut self.tables[t];
        let idx = h & table.mask();
        let next = table.buckets[idx].take();
        table.buckets[idx] = Some(Box::new(Node { entry, next }));
        table.used += 1;
        Ok(())
    }

    /// Asks the CPU to start fetching the bucket `key` hashes to, so that
    /// an insert or lookup of it a little later does not wait for memory
    /// (a loader calls this before decoding the key's value). Only a
    /// hint: nothing is read or changed.
    pub fn prefetch(&self, key: &[u8]) {
        let table = &self.tables[usize::from(self.rehash_idx.is_some())];
        if table.buckets.is_empty() {
            return;
        }
        let idx = hash(key) as usize & table.mask();
        prefetch_line(table.buckets.as_ptr().wrapping_add(idx).cast());
    }

    /// Makes room for `n` entries in all: when that is more than the table
    /// has buckets for, the table grows to it at once (Redis's
    /// `dictExpand`), so that filling it costs no series of rehashes. A
    /// loader calls this with a size it read, after bounding it by what
    /// the input can hold. Does nothing while a resize is under way.
    pub fn reserve(&mut self, n: usize) {
        if self.rehash_idx.is_some() || n <= self.tables[0].buckets.len() {
            return;
        }
        let Some(size) = n.checked_next_power_of_two() else {
            return;
        };
        if self.is_empty() {
            self.tables[0] = Table::with_size(size);
        } else {
            self.start_resize(size);
        }
    }

    /// Inserts `entry`, returning the entry it replaced, if any.
    pub fn insert(&mut self, entry: E) -> Option<E> {
        if let Some(slot) = self.get_mut(entry.key()) {
            return Some(std::mem::replace(slot, entry));
        }
        self.insert_new(entry);
        None
    }

    /// Removes and returns the entry with this key. Starts a shrink when the
    /// table has become mostly empty.
    pub fn remove(&mut self, key: &[u8]) -> Option<E> {
        if self.is_empty() {
            return None;
        }
        self.rehash(1);
        let h = hash(key) as usize;
        let rehash_idx = self.rehash_idx;
        let mut removed = None;
        for t in 0..=rehash_idx.map_or(0, |_| 1) {
            let table = &mut self.tables[t];
            let idx = h & table.mask();
            if t == 0 && rehash_idx.is_some_and(|r| idx < r) {
                continue;
            }
            let link = find_link(&mut table.buckets[idx], key);
            if let Some(mut node) = link.take() {
                *link = node.next.take();
                table.used -= 1;
                removed = Some(node.entry);
                break;
            }
        }
        if removed.is_some() {
            self.shrink_if_needed();
        }
        removed
    }

    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let size = self.tables[0].buckets.len();
        if size == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if may_grow(resize_policy(), self.tables[0].used, size) {
            self.start_resize((self.tables[0].used + 1).next_power_of_two());
        }
    }

    fn shrink_if_needed(&mut self) {
        if self.rehash_idx.is_some() || resize_policy() != ResizePolicy::Enable {
            return;
        }
        let size = self.tables[0].buckets.len();
        let used = self.tables[0].used;
        if size > INITIAL_SIZE && used * 100 / size < MIN_FILL_PERCENT {
            self.start_resize(used.max(INITIAL_SIZE).next_power_of_two());
        }
    }

    fn start_resize(&mut self, size: usize) {
        if size == self.tables[0].buckets.len() {
            return;
        }
        self.tables[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Moves up to `n` buckets from the old table to the new one (visiting at
    /// most `10 * n` empty buckets). Returns true while rehashing continues;
    /// false too when the [`ResizePolicy`] holds it back for now.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let (from, to) = (self.tables[0].buckets.len(), self.tables[1].buckets.len());
        if !may_rehash(resize_policy(), from, to) {
            return false;
        }
        let mut empty_visits = n * 10;
        let mut steps = n;
        while steps > 0 && self.tables[0].used != 0 {
            steps -= 1;
            while self.tables[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let [old, new] = &mut self.tables;
            let mask = new.mask();
            let mut chain = old.buckets[idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let to = hash(node.entry.key()) as usize & mask;
                node.next = new.buckets[to].take();
                new.buckets[to] = Some(node);
                old.used -= 1;
                new.used += 1;
            }
            idx += 1;
        }
        if self.tables[0].used == 0 {
            let new = std::mem::replace(&mut self.tables[1], Table::empty());
            self.tables[0] = new;
            self.rehash_idx = None;
            // Entries may have been removed while moving: shrink further.
            self.shrink_if_needed();
            return self.rehash_idx.is_some();
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Visits the entries of the bucket(s) at `cursor` and returns the next
    /// cursor (0 when the iteration is complete).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&E)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let visit_bucket = |table: &Table<E>, idx: usize, visit: &mut dyn FnMut(&E)| {
            let mut link = &table.buckets[idx];
            while let Some(node) = link {
                visit(&node.entry);
                link = &node.next;
            }
        };
        let mut v = cursor;
        match self.rehash_idx {
            None => {
                let m0 = self.tables[0].mask() as u64;
                visit_bucket(&self.tables[0], (v & m0) as usize, &mut visit);
                v = next_cursor(v, m0);
            }
            Some(_) => {
                let (small, large) = if self.tables[0].buckets.len() <= self.tables[1].buckets.len()
                {
                    (&self.tables[0], &self.tables[1])
                } else {
                    (&self.tables[1], &self.tables[0])
                };
                let (m0, m1) = (small.mask() as u64, large.mask() as u64);
                visit_bucket(small, (v & m0) as usize, &mut visit);
                loop {
                    visit_bucket(large, (v & m1) as usize, &mut visit);
                    v = next_cursor(v, m1);
                    if v & (m0 ^ m1) == 0 {
                        break;
                    }
                }
            }
        }
        v
    }

    /// Number of buckets that may hold entries: the old table's not yet
    /// rehashed ones, then all of the new table's.
    fn live_buckets(&self) -> usize {
        let low = self.rehash_idx.unwrap_or(0);
        self.tables[0].buckets.len() + self.tables[1].buckets.len() - low
    }

    /// The live bucket `i` (below [`Self::live_buckets`]), in that order.
    fn live_bucket(&self, i: usize) -> &Link<E> {
        let i = self.rehash_idx.unwrap_or(0) + i;
        let s0 = self.tables[0].buckets.len();
        if i < s0 {
            &self.tables[0].buckets[i]
        } else {
            &self.tables[1].buckets[i - s0]
        }
    }

    /// A random entry: a random non-empty bucket, then a random entry of its
    /// chain. Chains are short (the load factor stays near or below one), so
    /// this is close to uniform.
    pub fn random(&self) -> Option<&E> {
        if self.is_empty() {
            return None;
        }
        let span = self.live_buckets();
        let bucket = |i: usize| self.live_bucket(i % span);
        let start = fastrand::usize(..span);
        let mut chosen = None;
        for attempt in 0..1000 {
            let i = if attempt == 0 {
                start
            } else {
                fastrand::usize(..span)
            };
            if bucket(i).is_some() {
                chosen = Some(i);
                break;
            }
        }
        // A sparse table (possible mid-shrink): fall back to a linear probe.
        let i = chosen.unwrap_or_else(|| {
            (0..span)
                .map(|d| start + d)
                .find(|&i| bucket(i).is_some())
                .unwrap_or(start)
        });
        let mut chain_len = 0;
        let mut link = bucket(i);
        while let Some(node) = link {
            chain_len += 1;
            link = &node.next;
        }
        let mut pick = fastrand::usize(..chain_len.max(1));
        let mut link = bucket(i);
        while let Some(node) = link {
            if pick == 0 {
                return Some(&node.entry);
            }
            pick -= 1;
            link = &node.next;
        }
        None
    }

    /// A random entry drawn more evenly than [`Dict::random`] (Redis's
    /// `dictGetFairRandomKey`): gathers up to [`FAIR_SAMPLE`] entries from
    /// consecutive buckets, starting at a random one, and picks one of
    /// them, so an entry sharing its bucket is not half as likely as one
    /// alone. HRANDFIELD, SRANDMEMBER and ZRANDMEMBER use it: clients check
    /// their distributions.
    pub fn fair_random(&self) -> Option<&E> {
        if self.is_empty() {
            return None;
        }
        let span = self.live_buckets();
        let start = fastrand::usize(..span);
        let mut sample: [Option<&E>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let mut n = 0;
        // Every live bucket at most once; the table is not empty, so this
        // finds at least one entry.
        'buckets: for d in 0..span {
            let mut link = self.live_bucket((start + d) % span);
            while let Some(node) = link {
                sample[n] = Some(&node.entry);
                n += 1;
                if n == FAIR_SAMPLE {
                    break 'buckets;
                }
                link = &node.next;
            }
        }
        sample[fastrand::usize(..n.max(1))]
    }
}

impl<E: DictEntry> Dict<E> {
    /// Visits up to `count` entries found together from a random spot
    /// (Redis's `dictGetSomeKeys`): consecutive buckets from a random one,
    /// jumping elsewhere after a run of empty buckets, giving up after ten
    /// buckets per wanted entry. Much cheaper than `count` random draws,
    /// which is what eviction sampling needs; entries may repeat only if
    /// the walk wraps around a small table.
    pub fn sample(&self, count: usize, mut visit: impl FnMut(&E)) {
        let count = count.min(self.len());
        if count == 0 {
            return;
        }
        let span = self.live_buckets();
        let mut i = fastrand::usize(..span);
        let (mut found, mut empty_run) = (0, 0);
        for _ in 0..count * 10 {
            let mut link = self.live_bucket(i);
            if link.is_none() {
                empty_run += 1;
                if empty_run >= 5 && empty_run > count {
                    i = fastrand::usize(..span);
                    empty_run = 0;
                    continue;
                }
            } else {
                empty_run = 0;
            }
            while let Some(node) = link {
                visit(&node.entry);
                found += 1;
                if found == count {
                    return;
                }
                link = &node.next;
            }
            i = (i + 1) % span;
        }
    }
}

/// Entries [`Dict::fair_random`] chooses among (Redis's `GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 15;

/// Advances a reverse-binary cursor over the bits selected by `mask`.
fn next_cursor(v: u64, mask: u64) -> u64 {
    let v = v | !mask;
    v.reverse_bits().wrapping_add(1).reverse_bits()
}

/// How many buckets ahead a full iteration prefetches.
const ITER_PREFETCH_AHEAD: usize = 8;

/// Iterator over a [`Dict`]'s entries.
pub struct Iter<'a, E> {
    dict: &'a Dict<E>,
    table: usize,
    bucket: usize,
    node: Option<&'a Node<E>>,
}

impl<'a, E: DictEntry> Iterator for Iter<'a, E> {
    type Item = &'a E;

    fn next(&mut self) -> Option<&'a E> {
        loop {
            if let Some(node) = self.node {
                self.node = node.next.as_deref();
                return Some(&node.entry);
            }
            let table = self.dict.tables.get(self.table)?;
            if self.bucket >= table.buckets.len() {
                self.table += 1;
                self.bucket = 0;
                continue;
            }
            // Start loading the chain a few buckets ahead, and what its
            // first entry points to halfway there: a full walk (a
            // snapshot, KEYS) then rarely waits for memory.
            if let Some(Some(ahead)) = table.buckets.get(self.bucket + ITER_PREFETCH_AHEAD) {
                prefetch_line((&**ahead as *const Node<E>).cast());
            }
            if let Some(Some(near)) = table.buckets.get(self.bucket + ITER_PREFETCH_AHEAD / 2) {
                near.entry.prefetch_payload();
            }
            self.node = table.buckets[self.bucket].as_deref();
            self.bucket += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    struct E(Vec<u8>, u32);
    impl DictEntry for E {
        fn key(&self) -> &[u8] {
            &self.0
        }
    }

    fn key(i: u32) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove_through_resizes() {
        let mut d = Dict::new();
        for i in 0..10_000 {
            d.insert_new(E(key(i), i));
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)).map(|e| e.1), Some(i));
        }
        for i in 0..9_990 {
            assert_eq!(d.remove(&key(i)).map(|e| e.1), Some(i));
        }
        while d.rehash(100) {}
        assert_eq!(d.len(), 10);
        // The hash seed is random per process, so where the last shrink
        // started varies; the policy guarantees only the minimum fill.
        let buckets = d.bucket_count();
        assert!(
            buckets <= INITIAL_SIZE || d.len() * 100 / buckets >= MIN_FILL_PERCENT,
            "table did not shrink: {} buckets for {} entries",
            buckets,
            d.len()
        );
        assert!(buckets < 10_000, "table shrank: {buckets}");
        assert_eq!(d.iter().count(), 10);
        assert!(d.insert(E(key(9_999), 7)).is_some());
        assert_eq!(d.get(&key(9_999)).unwrap().1, 7);
    }

    #[test]
    fn resizes_wait_while_a_child_shares_memory() {
        use ResizePolicy::*;
        assert!(may_grow(Enable, 8, 8));
        assert!(!may_grow(Avoid, 8, 8));
        assert!(!may_grow(Avoid, 40, 8));
        assert!(may_grow(Avoid, 48, 8));
        assert!(!may_grow(Forbid, 1000, 8));
        assert!(may_rehash(Enable, 8, 16));
        assert!(!may_rehash(Avoid, 8, 16));
        assert!(may_rehash(Avoid, 8, 64));
        assert!(may_rehash(Avoid, 64, 8));
        assert!(!may_rehash(Forbid, 8, 1024));
    }

    #[test]
    fn reserved_tables_fill_without_resizing() {
        let mut d = Dict::new();
        d.reserve(5000);
        assert_eq!(d.bucket_count(), 8192);
        for i in 0..5000 {
            assert!(d.try_insert_new(E(key(i), i)).is_ok());
            assert!(!d.is_rehashing());
        }
        assert_eq!(d.bucket_count(), 8192);
        // A repeated key is handed back, the first one kept.
        let back = d.try_insert_new(E(key(17), 99)).err().map(|e| e.1);
        assert_eq!(back, Some(99));
        assert_eq!(d.get(&key(17)).map(|e| e.1), Some(17));
        assert_eq!(d.len(), 5000);
        // Reserving on a filled table grows it incrementally; smaller
        // sizes and absurd ones change nothing.
        d.reserve(100);
        d.reserve(usize::MAX);
        assert!(!d.is_rehashing());
        d.reserve(20_000);
        assert!(d.is_rehashing());
        for i in 5000..6000 {
            assert!(d.try_insert_new(E(key(i), i)).is_ok());
        }
        assert!(d.try_insert_new(E(key(3), 0)).is_err());
        while d.rehash(100) {}
        assert_eq!(d.bucket_count(), 32_768);
        assert_eq!((0..6000).filter(|&i| d.contains_key(&key(i))).count(), 6000);
    }

    fn full_scan(
        d: &mut Dict<E>,
        mut between: impl FnMut(&mut Dict<E>, usize),
    ) -> HashSet<Vec<u8>> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.0.clone());
            });
            calls += 1;
            if cursor == 0 {
                return seen;
            }
            between(d, calls);
        }
    }

    #[test]
    fn scan_survives_growth_and_shrink() {
        let mut d = Dict::new();
        for i in 0..1_000 {
            d.insert_new(E(key(i), i));
        }
        // Grow fourfold during the scan: every original key must be seen.
        let mut next = 1_000;
        let seen = full_scan(&mut d, |d, _| {
            for _ in 0..5 {
                if next < 4_000 {
                    d.insert_new(E(key(next), next));
                    next += 1;
                }
            }
        });
        assert_eq!(next, 4_000, "the scan outlived the growth");
        assert!((0..1_000).all(|i| seen.contains(&key(i))));

        // Shrink during the scan: keys 0..100 stay throughout.
        let mut victim = 100;
        let total = next;
        let seen = full_scan(&mut d, |d, _| {
            for _ in 0..200 {
                if victim < total {
                    d.remove(&key(victim));
                    victim += 1;
                }
            }
        });
        assert!((0..100).all(|i| seen.contains(&key(i))));
    }

    #[test]
    fn fair_random_is_close_to_uniform() {
        // 10 entries in 16 buckets: some share a bucket, yet each must come
        // up about a tenth of the time (Redis's chi-square test, df = 9).
        let mut d = Dict::new();
        for i in 0..10 {
            d.insert_new(E(key(i), i));
        }
        let mut counts = [0u32; 10];
        let draws = 10_000;
        for _ in 0..draws {
            counts[d.fair_random().unwrap().1 as usize] += 1;
        }
        let expected = draws as f64 / 10.0;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 40.0, "chi-square {chi2}: {counts:?}");
        assert!(Dict::<E>::new().fair_random().is_none());
    }

    #[test]
    fn sample_visits_distinct_members() {
        let mut d = Dict::new();
        let mut seen = Vec::new();
        d.sample(5, |e: &E| seen.push(e.1));
        assert!(seen.is_empty());
        for i in 0..1_000 {
            d.insert_new(E(key(i), i));
        }
        d.sample(5, |e| seen.push(e.1));
        assert_eq!(seen.len(), 5);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 5);
        let mut all = 0;
        d.sample(5_000, |_| all += 1);
        assert!(all <= 1_000);
    }

    #[test]
    fn random_returns_members() {
        let mut d = Dict::new();
        assert!(d.random().is_none());
        for i in 0..100 {
            d.insert_new(E(key(i), i));
        }
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            seen.insert(d.random().unwrap().1);
        }
        assert!(seen.len() > 90);
    }
}
