//! Ordering search results by distance exactly as Redis does, ties
//! included: a full sort is glibc's `qsort` (a stable top-down merge
//! sort), a COUNT smaller than the result set is Redis's partial quicksort
//! (`pqsort`, Bentley–McIlroy with three-way partitioning), whose order of
//! equal distances is its own. Both sort a permutation of indexes.

use std::cmp::Ordering;

/// Compares two distances as Redis's `sort_gp_asc` does: greater, equal,
/// or "less" for everything else (so NaN compares less both ways).
fn ascending(a: f64, b: f64) -> Ordering {
    if a > b {
        Ordering::Greater
    } else if a == b {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// The comparison for the requested direction (`sort_gp_desc` negates).
fn compare(dist: &[f64], desc: bool) -> impl Fn(usize, usize) -> Ordering + '_ {
    move |a, b| {
        let o = ascending(dist[a], dist[b]);
        if desc {
            o.reverse()
        } else {
            o
        }
    }
}

/// The order of all points by distance (`qsort`): indexes into `dist`.
pub fn sort_all(dist: &[f64], desc: bool) -> Vec<usize> {
    let cmp = compare(dist, desc);
    let mut order: Vec<usize> = (0..dist.len()).collect();
    let mut scratch = Vec::with_capacity(order.len());
    merge_sort(&mut order, &mut scratch, &cmp);
    order
}

/// glibc's merge sort: halves of `n / 2` and the rest, merged taking from
/// the left half while it compares less or equal.
fn merge_sort(v: &mut [usize], scratch: &mut Vec<usize>, cmp: &impl Fn(usize, usize) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let half = n / 2;
    merge_sort(&mut v[..half], scratch, cmp);
    merge_sort(&mut v[half..], scratch, cmp);
    scratch.clear();
    let (mut i, mut j) = (0, half);
    while i < half && j < n {
        if cmp(v[i], v[j]) != Ordering::Greater {
            scratch.push(v[i]);
            i += 1;
        } else {
            scratch.push(v[j]);
            j += 1;
        }
    }
    scratch.extend_from_slice(&v[i..half]);
    let done = scratch.len();
    v[..done].copy_from_slice(scratch);
}

/// The order of the points by distance with only the first `k` positions
/// guaranteed sorted (`pqsort` over ranks 0..k); `k` ≥ 1.
pub fn sort_first(dist: &[f64], k: usize, desc: bool) -> Vec<usize> {
    let cmp = compare(dist, desc);
    let mut order: Vec<usize> = (0..dist.len()).collect();
    partial_quicksort(&mut order, 0, k.saturating_sub(1), &cmp);
    order
}

/// Median of three positions, as `med3` picks it.
fn med3(
    v: &[usize],
    a: usize,
    b: usize,
    c: usize,
    cmp: &impl Fn(usize, usize) -> Ordering,
) -> usize {
    let lt = |x: usize, y: usize| cmp(v[x], v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(v[x], v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements at `a` with the `n` at `b`, pairwise.
fn swap_blocks(v: &mut [usize], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts enough of `v` that positions `lo..=hi` hold what a full sort
/// would put there, partitioning exactly as `pqsort` does. Partitions are
/// disjoint, so they are kept on a work list instead of the C recursion
/// (the depth can grow with the input).
fn partial_quicksort(
    v: &mut [usize],
    lo: usize,
    hi: usize,
    cmp: &impl Fn(usize, usize) -> Ordering,
) {
    // Whether the wanted ranks meet the partition [start, start + len).
    let wanted = |start: usize, len: usize| {
        let end = start + len;
        !((lo < start && hi < start) || (lo >= end && hi >= end))
    };
    let mut work = vec![(0usize, v.len())];
    while let Some((a, n)) = work.pop() {
        let c = |v: &[usize], x: usize, y: usize| cmp(v[x], v[y]);
        if n < 7 {
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && c(v, l - 1, l) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            continue;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let o = c(v, pb, a);
                if o == Ordering::Greater {
                    break;
                }
                if o == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let o = c(v, pc, a);
                if o == Ordering::Less {
                    break;
                }
                if o == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_blocks(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_blocks(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && wanted(a, left) {
            work.push((a, left));
        }
        let right = pd - pc;
        if right > 1 && wanted(pn - right, right) {
            work.push((pn - right, right));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(dist: &[f64], order: &[usize]) -> bool {
        order.windows(2).all(|w| dist[w[0]] <= dist[w[1]])
    }

    #[test]
    fn full_sort_is_stable() {
        let dist = [3.0, 1.0, 3.0, 0.5, 1.0];
        assert_eq!(sort_all(&dist, false), vec![3, 1, 4, 0, 2]);
        assert_eq!(sort_all(&dist, true), vec![0, 2, 1, 4, 3]);
    }

    #[test]
    fn partial_sort_orders_the_prefix() {
        let dist: Vec<f64> = (0..500).map(|i| ((i * 7919) % 503) as f64).collect();
        for k in [1, 5, 40, 100, 499] {
            let order = sort_first(&dist, k, false);
            assert!(sorted(&dist, &order[..k]), "k={k}");
            let worst = dist[order[k - 1]];
            assert!(order[k..].iter().all(|&i| dist[i] >= worst), "k={k}");
        }
        let dist = [2.0, 1.0, 0.0];
        assert_eq!(sort_first(&dist, 1, false)[0], 2);
    }
}
