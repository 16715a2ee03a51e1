//! Random picks with repeats from a listpack (HRANDFIELD, SRANDMEMBER and
//! ZRANDMEMBER with a negative count).

use super::ListpackRef;

/// Largest number of picks served by one listpack walk (Redis's
/// `*_RANDOM_SAMPLE_LIMIT`): a batch's positions are found in one forward
/// pass, and the batch bounds the temporary pick array.
const SAMPLE_BATCH: u64 = 1000;

impl ListpackRef<'_> {
    /// Draws `count` groups of `group` consecutive elements (1 for set
    /// members, 2 for field/value or member/score pairs) independently,
    /// repeats possible, in random order, and passes the position of each
    /// pick's first element to `visit`, which returns false to stop.
    pub fn sample_with_repeats(
        &self,
        group: usize,
        count: u64,
        mut visit: impl FnMut(usize) -> bool,
    ) {
        let groups = self.len() / group.max(1);
        if groups == 0 {
            return;
        }
        let mut left = count;
        let mut picks: Vec<(usize, usize)> = Vec::new();
        let mut chosen: Vec<usize> = Vec::new();
        while left > 0 {
            let batch = left.min(SAMPLE_BATCH) as usize;
            left -= batch as u64;
            // (group index, order of the pick), walked in index order.
            picks.clear();
            picks.extend((0..batch).map(|order| (fastrand::usize(..groups), order)));
            picks.sort_unstable();
            chosen.clear();
            chosen.resize(batch, 0);
            let mut pos = self.first();
            let mut at = 0;
            for &(index, order) in &picks {
                while at < index {
                    for _ in 0..group {
                        pos = pos.and_then(|p| self.next(p));
                    }
                    at += 1;
                }
                chosen[order] = pos.unwrap_or_default();
            }
            for &p in &chosen {
                if !visit(p) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::listpack::Listpack;

    /// Every pick starts a group, all groups get picked, a batch boundary
    /// (over 1000 picks) changes nothing, and `false` stops the picks.
    #[test]
    fn picks_start_groups_across_batches() {
        let mut lp = Listpack::new();
        for i in 0..10 {
            lp.append(format!("f{i}").as_bytes());
            lp.append(format!("v{i}").as_bytes());
        }
        let view = lp.view();
        let mut seen = std::collections::HashSet::new();
        let mut picks = 0;
        view.sample_with_repeats(2, 2500, |p| {
            let field = view.get(p).to_vec();
            assert!(field.starts_with(b"f"), "pick at a value: {field:?}");
            seen.insert(field);
            picks += 1;
            true
        });
        assert_eq!(picks, 2500);
        assert_eq!(seen.len(), 10);
        let mut stopped = 0;
        view.sample_with_repeats(1, 100, |_| {
            stopped += 1;
            stopped < 3
        });
        assert_eq!(stopped, 3);
        Listpack::new()
            .view()
            .sample_with_repeats(2, 5, |_| panic!("picked from nothing"));
    }
}
