//! [`Intset`]: Redis's sorted-integer-array encoding for small sets of
//! integers, byte for byte.
//!
//! Sets whose members are all integers are stored as one sorted array using
//! the narrowest width that holds every member (2, 4 or 8 bytes), which is
//! several times smaller than a hash table and searched by bisection. The
//! RDB format stores the buffer verbatim (`RDB_TYPE_SET_INTSET`):
//!
//! ```text
//! <encoding u32 LE: 2|4|8> <length u32 LE> <length values, ascending, LE>
//! ```
//!
//! Adding a value wider than the current encoding rewrites every member at
//! the new width (an "upgrade"); removing never narrows it, as in Redis.

use std::fmt;

/// Header size: encoding and length, both u32 LE.
const HDR_SIZE: usize = 8;

/// A sorted set of distinct integers in Redis's intset layout.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    buf: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

/// Narrowest encoding (bytes per value) that holds `v`.
fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Reads one value of `width` bytes from the start of `bytes`.
fn read_value(bytes: &[u8], width: usize) -> i64 {
    match width {
        2 => i16::from_le_bytes([bytes[0], bytes[1]]) as i64,
        4 => i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as i64,
        _ => {
            let mut le = [0u8; 8];
            le.copy_from_slice(&bytes[..8]);
            i64::from_le_bytes(le)
        }
    }
}

/// Appends `v` as `width` little-endian bytes (`v` must fit).
fn push_value(out: &mut Vec<u8>, v: i64, width: usize) {
    out.extend_from_slice(&v.to_le_bytes()[..width]);
}

impl Intset {
    /// An empty intset with the 2-byte encoding, as `intsetNew` makes.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(HDR_SIZE);
        buf.extend_from_slice(&2u32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        Intset { buf }
    }

    /// Adopts intset bytes from an untrusted source (RDB, RESTORE) after
    /// validating them like Redis's deep `intsetValidateIntegrity`: a
    /// known encoding, a length matching the size, at least one member
    /// (Redis never stores an empty intset and rejects one), and members in
    /// strictly ascending order. Never panics on hostile input.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Intset> {
        if bytes.len() < HDR_SIZE {
            return None;
        }
        let width = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if !matches!(width, 2 | 4 | 8) {
            return None;
        }
        let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as u64;
        if len == 0 || HDR_SIZE as u64 + len * width as u64 != bytes.len() as u64 {
            return None;
        }
        let sorted = bytes[HDR_SIZE..]
            .chunks_exact(width)
            .map(|c| read_value(c, width))
            .try_fold(None, |prev, v| match prev {
                Some(p) if p >= v => None,
                _ => Some(Some(v)),
            });
        sorted.map(|_| Intset { buf: bytes })
    }

    /// The serialized form, exactly as Redis stores it in RDB files.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The serialized form, without copying.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Adopts bytes taken from [`Self::into_bytes`] of an intset this
    /// process built, without validating them again: for owners that keep
    /// the bytes in a smaller form between edits (a set value holds an
    /// exactly-sized boxed slice). Untrusted bytes go through
    /// [`Self::from_bytes`].
    pub(crate) fn from_trusted(buf: Vec<u8>) -> Intset {
        debug_assert!(IntsetRef::is_well_formed(&buf), "malformed intset bytes");
        Intset { buf }
    }

    /// Read-only view of this intset (see [`IntsetRef`]).
    pub fn view(&self) -> IntsetRef<'_> {
        IntsetRef { buf: &self.buf }
    }

    /// Serialized size in bytes (`intsetBlobLen`).
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per member: 2, 4 or 8.
    pub fn encoding(&self) -> usize {
        self.view().encoding()
    }

    /// Adds `v`; returns whether it was new. Upgrades the encoding when
    /// `v` does not fit, which places it at one end.
    pub fn add(&mut self, v: i64) -> bool {
        let width = self.encoding();
        if width_for(v) > width {
            self.upgrade_and_add(v);
            return true;
        }
        let Err(idx) = self.search(v) else {
            return false;
        };
        let at = HDR_SIZE + idx * width;
        let old = self.buf.len();
        if old + width > self.buf.capacity() {
            // Grow by an eighth, not double: see `Listpack`'s growth note.
            self.buf.reserve_exact(width.max(old / 8));
        }
        self.buf.resize(old + width, 0);
        self.buf.copy_within(at..old, at + width);
        self.buf[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
        self.set_len(self.len() + 1);
        true
    }

    /// Removes `v`; returns whether it was present. Never narrows the
    /// encoding.
    pub fn remove(&mut self, v: i64) -> bool {
        let width = self.encoding();
        if width_for(v) > width {
            return false;
        }
        let Ok(idx) = self.search(v) else {
            return false;
        };
        let at = HDR_SIZE + idx * width;
        self.buf.drain(at..at + width);
        self.set_len(self.len() - 1);
        let len = self.buf.len();
        if self.buf.capacity() > len + len / 4 + 64 {
            self.buf.shrink_to_fit();
        }
        true
    }

    /// Whether `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        self.view().contains(v)
    }

    /// The member at sorted position `index`.
    pub fn get(&self, index: usize) -> Option<i64> {
        self.view().get(index)
    }

    /// The smallest member.
    pub fn min(&self) -> Option<i64> {
        self.view().min()
    }

    /// The largest member.
    pub fn max(&self) -> Option<i64> {
        self.view().max()
    }

    /// A uniformly chosen member (SRANDMEMBER, SPOP).
    pub fn random(&self) -> Option<i64> {
        self.view().random()
    }

    /// Members in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.view().iter()
    }

    /// Bisection: `Ok(index)` if present, else `Err(insertion index)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        self.view().search(v)
    }

    /// Rewrites every member at `v`'s wider encoding and adds `v`, which
    /// lies outside the current range: first if negative, else last.
    fn upgrade_and_add(&mut self, v: i64) {
        let width = width_for(v);
        let len = self.len();
        let mut buf = Vec::with_capacity(HDR_SIZE + (len + 1) * width);
        buf.extend_from_slice(&(width as u32).to_le_bytes());
        buf.extend_from_slice(&((len + 1) as u32).to_le_bytes());
        if v < 0 {
            push_value(&mut buf, v, width);
        }
        for old in self.iter() {
            push_value(&mut buf, old, width);
        }
        if v >= 0 {
            push_value(&mut buf, v, width);
        }
        self.buf = buf;
    }

    fn set_len(&mut self, len: usize) {
        let len = u32::try_from(len).expect("intset over 4 billion members");
        self.buf[4..8].copy_from_slice(&len.to_le_bytes());
    }
}

impl fmt::Debug for Intset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Intset {
    type Item = i64;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Borrowed intset bytes: the read operations of [`Intset`] over a buffer
/// held elsewhere, so a set value can keep its intset as an exactly sized
/// `Box<[u8]>` (as small as Redis's pointer to its intset) and still
/// search it by bisection without rebuilding an `Intset`.
#[derive(Clone, Copy)]
pub struct IntsetRef<'a> {
    buf: &'a [u8],
}

impl<'a> IntsetRef<'a> {
    /// Views the bytes of an intset this process wrote (taken from
    /// [`Intset::into_bytes`]). Not for untrusted bytes: those go through
    /// [`Intset::from_bytes`].
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        debug_assert!(Self::is_well_formed(buf), "malformed intset bytes");
        IntsetRef { buf }
    }

    /// Header and size agree (the cheap part of validation, for debug
    /// assertions on trusted bytes).
    fn is_well_formed(buf: &[u8]) -> bool {
        buf.len() >= HDR_SIZE
            && matches!(buf[0], 2 | 4 | 8)
            && buf[1..4] == [0, 0, 0]
            && HDR_SIZE as u64
                + u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as u64 * buf[0] as u64
                == buf.len() as u64
    }

    /// The serialized bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per member: 2, 4 or 8.
    pub fn encoding(&self) -> usize {
        self.buf[0] as usize
    }

    /// Whether `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// The member at sorted position `index`.
    pub fn get(&self, index: usize) -> Option<i64> {
        (index < self.len()).then(|| self.value_at(index))
    }

    /// The smallest member.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// The largest member.
    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).map(|i| self.value_at(i))
    }

    /// A uniformly chosen member (SRANDMEMBER, SPOP).
    pub fn random(&self) -> Option<i64> {
        let len = self.len();
        (len > 0).then(|| self.value_at(fastrand::usize(..len)))
    }

    /// Members in ascending order.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            set: *self,
            front: 0,
            back: self.len(),
        }
    }

    /// Bisection: `Ok(index)` if present, else `Err(insertion index)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.value_at(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn value_at(&self, index: usize) -> i64 {
        let width = self.encoding();
        read_value(&self.buf[HDR_SIZE + index * width..], width)
    }
}

/// Iterator over an intset's members in ascending (or, reversed,
/// descending) order.
#[derive(Clone)]
pub struct Iter<'a> {
    set: IntsetRef<'a>,
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        (self.front < self.back).then(|| {
            self.front += 1;
            self.set.value_at(self.front - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        (self.front < self.back).then(|| {
            self.back -= 1;
            self.set.value_at(self.back)
        })
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listpack::oracle::{Redis, RDB_TYPE_SET_INTSET};
    use std::collections::BTreeSet;

    #[test]
    fn starts_narrow_and_upgrades() {
        let mut s = Intset::new();
        assert_eq!(s.as_bytes(), [2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(s.add(5));
        assert!(s.add(1));
        assert!(!s.add(5));
        assert_eq!(s.as_bytes(), [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 5, 0]);
        assert!(s.add(70_000));
        assert_eq!(s.encoding(), 4);
        assert!(s.add(-(1 << 40)));
        assert_eq!(s.encoding(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [-(1 << 40), 1, 5, 70_000]);
        assert_eq!(s.bytes_len(), 8 + 4 * 8);
        assert!(s.remove(-(1 << 40)));
        assert_eq!(s.encoding(), 8, "never narrows");
        assert!(!s.remove(12));
        assert_eq!((s.min(), s.max()), (Some(1), Some(70_000)));
        assert_eq!(s.get(1), Some(5));
        assert_eq!(s.get(3), None);
        assert_eq!(s.iter().rev().collect::<Vec<_>>(), [70_000, 5, 1]);
    }

    #[test]
    fn wide_values_are_never_members_of_narrow_sets() {
        let mut s = Intset::new();
        s.add(1);
        assert!(!s.contains(1 << 20));
        assert!(!s.remove(i64::MAX));
        assert_eq!(s.encoding(), 2);
    }

    #[test]
    fn random_returns_members() {
        let mut s = Intset::new();
        assert_eq!(s.random(), None);
        for v in [3, -9, 400] {
            s.add(v);
        }
        for _ in 0..100 {
            assert!(s.contains(s.random().unwrap()));
        }
    }

    #[test]
    fn from_bytes_validates() {
        let mut s = Intset::new();
        for v in [-3, 0, 9] {
            s.add(v);
        }
        let good = s.as_bytes().to_vec();
        assert_eq!(Intset::from_bytes(good.clone()), Some(s));
        assert_eq!(
            Intset::from_bytes(Intset::new().into_bytes()),
            None,
            "empty"
        );
        let mut bad_enc = good.clone();
        bad_enc[0] = 3;
        assert_eq!(Intset::from_bytes(bad_enc), None);
        let mut bad_len = good.clone();
        bad_len[4] = 4;
        assert_eq!(Intset::from_bytes(bad_len), None);
        let mut unsorted = good.clone();
        unsorted.swap(8, 10);
        unsorted.swap(9, 11);
        assert_eq!(Intset::from_bytes(unsorted), None);
        let mut dup = good.clone();
        dup[10] = dup[8];
        dup[11] = dup[9];
        assert_eq!(Intset::from_bytes(dup), None);
        assert_eq!(
            Intset::from_bytes(vec![8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
            None
        );
        assert_eq!(Intset::from_bytes(good[..7].to_vec()), None);
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut accepted = 0;
        for _ in 0..50_000 {
            let width = [2u32, 4, 8, rng.u32(..)][rng.usize(..4)];
            let len = rng.u32(0..6);
            let mut bytes = width.to_le_bytes().to_vec();
            bytes.extend_from_slice(&len.to_le_bytes());
            let body = rng.usize(0..40);
            bytes.extend((0..body).map(|_| rng.u8(..)));
            if let Some(s) = Intset::from_bytes(bytes) {
                accepted += 1;
                let v: Vec<i64> = s.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(v.len(), s.len());
            }
        }
        assert!(accepted > 0);
    }

    #[test]
    fn random_operations_match_a_btreeset() {
        let mut rng = fastrand::Rng::with_seed(0x5e7);
        let mut s = Intset::new();
        let mut model = BTreeSet::new();
        for step in 0..20_000 {
            let v = match rng.u8(..4) {
                0 => rng.i64(-100..100),
                1 => rng.i64(-40_000..40_000),
                2 => rng.i64(-(1 << 33)..(1 << 33)),
                _ => rng.i64(..),
            };
            match rng.u8(..3) {
                0 | 1 => assert_eq!(s.add(v), model.insert(v), "step {step}"),
                _ => {
                    let v = if rng.bool() {
                        model
                            .iter()
                            .nth(rng.usize(..model.len().max(1)))
                            .copied()
                            .unwrap_or(v)
                    } else {
                        v
                    };
                    assert_eq!(s.remove(v), model.remove(&v), "step {step}");
                }
            }
            assert_eq!(s.len(), model.len());
            if step % 500 == 0 {
                assert!(s.iter().eq(model.iter().copied()));
                assert_eq!(s.min(), model.first().copied());
                assert_eq!(s.max(), model.last().copied());
                let widest = model.iter().map(|&v| width_for(v)).max().unwrap_or(2);
                assert!(s.encoding() >= widest);
                let round = Intset::from_bytes(s.as_bytes().to_vec());
                assert_eq!(round.as_ref(), (!model.is_empty()).then_some(&s));
            }
        }
    }

    /// SADD the same integers into Redis and into an intset: the DUMP body
    /// must be our bytes verbatim (raw string, compression off).
    #[test]
    fn bytes_match_redis() {
        let Some(mut redis) = Redis::start("intset") else {
            return;
        };
        redis.config("rdbcompression", "no");
        redis.config("set-max-intset-entries", "100000");
        let mut rng = fastrand::Rng::with_seed(11);
        let scripts: Vec<Vec<(bool, i64)>> = vec![
            vec![(true, 5), (true, 1), (true, 3)],
            vec![
                (true, 1),
                (true, 70_000),
                (true, -2),
                (true, -(1 << 40)),
                (false, 1),
            ],
            vec![
                (true, i64::MAX),
                (true, i64::MIN),
                (true, 0),
                (false, i64::MIN),
            ],
            (0..3000)
                .map(|_| (rng.u8(..4) != 0, rng.i64(-1_000_000..1_000_000)))
                .collect(),
        ];
        for (i, script) in scripts.iter().enumerate() {
            let key = format!("s{i}");
            let mut ours = Intset::new();
            for &(add, v) in script {
                let cmd: &[u8] = if add { b"SADD" } else { b"SREM" };
                redis.ok(&[cmd, key.as_bytes(), v.to_string().as_bytes()]);
                if add {
                    ours.add(v);
                } else {
                    ours.remove(v);
                }
            }
            let (ty, body) = redis.dump(key.as_bytes());
            assert_eq!(ty, RDB_TYPE_SET_INTSET);
            let mut r = crate::listpack::oracle::RdbReader::new(&body);
            let theirs = r.string(|_, _| panic!("compression is off"));
            assert!(r.at_end());
            assert_eq!(theirs.bytes, ours.as_bytes(), "script {i}");
        }
    }
}
