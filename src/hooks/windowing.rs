//! The arithmetic of a virtualized list, free of the DOM (native unit tests).
//!
//! [`Heights`] keeps one height per row in a Fenwick tree (a prefix-sum tree): the offset of a
//! row, the row at an offset, changing one row's height and appending a row are all
//! `O(log n)`, so the work per scroll event, per measured row and per new message does not grow
//! with the thread. Rebuilding from a list of heights (a loaded or merged thread) is `O(n)`.
//! [`window`] picks the rows to mount for a viewport, with overscan and a hard bound.

use std::ops::Range;

/// Row heights (px) with prefix sums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heights {
    /// The heights, by row.
    values: Vec<f64>,
    /// Fenwick tree over `values`, 1-based (`tree[0]` unused).
    tree: Vec<f64>,
}

fn lowbit(i: usize) -> usize {
    i & i.wrapping_neg()
}

impl Heights {
    /// No rows.
    pub fn new() -> Self {
        Heights { values: Vec::new(), tree: vec![0.0] }
    }

    /// Rows of these heights, built in `O(n)`.
    pub fn from_vec(values: Vec<f64>) -> Self {
        let n = values.len();
        let mut tree = vec![0.0; n + 1];
        for i in 1..=n {
            tree[i] += values[i - 1];
            let parent = i + lowbit(i);
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        Heights { values, tree }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The height of row `i`.
    pub fn get(&self, i: usize) -> f64 {
        self.values[i]
    }

    /// Appends a row of height `h`.
    pub fn push(&mut self, h: f64) {
        self.values.push(h);
        let i = self.values.len();
        // The node covers rows (i - lowbit(i), i]: everything before row i in that span, plus h.
        let covered = self.prefix(i - 1) - self.prefix(i - lowbit(i));
        self.tree.push(covered + h);
    }

    /// Sets the height of row `i`; returns the change.
    pub fn set(&mut self, i: usize, h: f64) -> f64 {
        let delta = h - self.values[i];
        if delta == 0.0 {
            return 0.0;
        }
        self.values[i] = h;
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] += delta;
            k += lowbit(k);
        }
        delta
    }

    /// Sum of the first `count` rows.
    fn prefix(&self, count: usize) -> f64 {
        let mut sum = 0.0;
        let mut k = count;
        while k > 0 {
            sum += self.tree[k];
            k -= lowbit(k);
        }
        sum
    }

    /// Where row `i` starts (the sum of the heights before it); `offset(len())` is the total.
    pub fn offset(&self, i: usize) -> f64 {
        self.prefix(i.min(self.len()))
    }

    /// The height of all rows.
    pub fn total(&self) -> f64 {
        self.prefix(self.len())
    }

    /// The row at offset `y` (clamped to the first and last row; 0 when empty).
    pub fn index_at(&self, y: f64) -> usize {
        let n = self.len();
        if n == 0 || y <= 0.0 {
            return 0;
        }
        // Binary lifting: the most rows whose sum stays <= y.
        let mut pos = 0;
        let mut rest = y;
        let mut step = if n == 0 { 0 } else { 1 << (usize::BITS - 1 - n.leading_zeros()) };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= rest {
                pos = next;
                rest -= self.tree[next];
            }
            step >>= 1;
        }
        pos.min(n - 1)
    }
}

/// What to mount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    /// Scroll offset of the viewport's top, relative to the first row's top (may be negative
    /// when content above the rows is in view).
    pub top: f64,
    /// Viewport height.
    pub height: f64,
    /// Extra px mounted above and below the viewport.
    pub overscan: f64,
    /// At most this many rows are mounted, whatever the heights say.
    pub max_rows: usize,
}

/// The rows to mount for `viewport`: those in view plus the overscan, at most
/// `viewport.max_rows` (the rows in view first, then the overscan around them).
pub fn window(heights: &Heights, viewport: Viewport) -> Range<usize> {
    let n = heights.len();
    if n == 0 {
        return 0..0;
    }
    let max = viewport.max_rows.max(1);
    let bottom = viewport.top + viewport.height.max(0.0);
    let visible = heights.index_at(viewport.top)..(heights.index_at(bottom) + 1).min(n);
    let wanted =
        heights.index_at(viewport.top - viewport.overscan)..(heights.index_at(bottom + viewport.overscan) + 1).min(n);
    if wanted.len() <= max {
        return wanted;
    }
    if visible.len() >= max {
        return visible.start..visible.start + max;
    }
    // Share what is left between above and below, giving the unused part of one to the other.
    let spare = max - visible.len();
    let above_avail = visible.start - wanted.start;
    let below_avail = wanted.end - visible.end;
    let mut above = (spare / 2).min(above_avail);
    let below = (spare - above).min(below_avail);
    above = (spare - below).min(above_avail);
    visible.start - above..visible.end + below
}

/// A height estimate for a row not measured yet: a base for the bubble and its meta line plus
/// one line per `chars_per_line` characters of text.
pub fn estimate(text_chars: usize, base: f64, line_height: f64, chars_per_line: f64) -> f64 {
    let per_line = chars_per_line.max(8.0);
    let lines = ((text_chars as f64) / per_line).ceil().max(1.0);
    base + lines * line_height
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_offset(values: &[f64], i: usize) -> f64 {
        values[..i].iter().sum()
    }

    #[test]
    fn prefix_sums_follow_pushes_and_updates() {
        let mut values: Vec<f64> = (0..1000).map(|i| 20.0 + (i * 37 % 101) as f64).collect();
        let mut h = Heights::new();
        for v in &values {
            h.push(*v);
        }
        assert_eq!(h, Heights::from_vec(values.clone()), "push and build agree");
        for i in [0, 1, 2, 3, 7, 8, 500, 999, 1000] {
            assert_eq!(h.offset(i), naive_offset(&values, i), "offset {i}");
        }
        for (i, v) in [(0, 5.0), (511, 300.0), (999, 1.5), (512, 0.0)] {
            let delta = h.set(i, v);
            assert_eq!(delta, v - values[i]);
            values[i] = v;
        }
        for i in (0..=1000).step_by(37) {
            assert_eq!(h.offset(i), naive_offset(&values, i), "offset {i} after updates");
        }
        assert_eq!(h.total(), values.iter().sum::<f64>());
    }

    #[test]
    fn the_row_at_an_offset() {
        let h = Heights::from_vec(vec![10.0, 20.0, 30.0, 40.0]);
        assert_eq!(h.index_at(-5.0), 0);
        assert_eq!(h.index_at(0.0), 0);
        assert_eq!(h.index_at(9.9), 0);
        assert_eq!(h.index_at(10.0), 1);
        assert_eq!(h.index_at(29.0), 1);
        assert_eq!(h.index_at(30.0), 2);
        assert_eq!(h.index_at(99.0), 3);
        assert_eq!(h.index_at(1e9), 3, "clamped to the last row");
        assert_eq!(Heights::new().index_at(50.0), 0);
        // Against a linear scan, on many sizes (the lifting depends on the tree's shape).
        for n in 1..70usize {
            let values: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
            let h = Heights::from_vec(values.clone());
            let mut y = 0.0;
            while y < h.total() + 3.0 {
                let naive = (0..n).rev().find(|&i| naive_offset(&values, i) <= y).unwrap_or(0);
                assert_eq!(h.index_at(y), naive, "n={n} y={y}");
                y += 0.5;
            }
        }
    }

    #[test]
    fn the_window_covers_the_viewport_plus_overscan_and_is_bounded() {
        let h = Heights::from_vec(vec![50.0; 10_000]);
        let vp = Viewport { top: 100_000.0, height: 500.0, overscan: 200.0, max_rows: 60 };
        // In view: rows 2000..=2010 (the bottom edge touches row 2010); 4 rows of overscan each side.
        assert_eq!(window(&h, vp), 1996..2015);
        // At the very bottom.
        let vp = Viewport { top: h.total() - 500.0, ..vp };
        assert_eq!(window(&h, vp), 9986..10_000);
        // At the top, content above the rows in view.
        let vp = Viewport { top: -40.0, ..vp };
        assert_eq!(window(&h, vp), 0..14);
        // Tiny rows: the bound holds and the rows in view come first.
        let tiny = Heights::from_vec(vec![1.0; 10_000]);
        let vp = Viewport { top: 5_000.0, height: 30.0, overscan: 200.0, max_rows: 40 };
        let w = window(&tiny, vp);
        assert_eq!(w.len(), 40);
        assert!(w.start <= 5_000 && w.end >= 5_031, "{w:?}");
        let vp = Viewport { top: 5_000.0, height: 500.0, overscan: 200.0, max_rows: 40 };
        assert_eq!(window(&tiny, vp), 5_000..5_040, "more in view than the bound: the top of the view");
        // Near an edge, unused overscan on one side goes to the other.
        let vp = Viewport { top: 0.0, height: 10.0, overscan: 200.0, max_rows: 40 };
        assert_eq!(window(&tiny, vp), 0..40);
        assert_eq!(window(&Heights::new(), vp), 0..0);
    }

    #[test]
    fn estimates_grow_with_the_text() {
        assert_eq!(estimate(0, 30.0, 20.0, 40.0), 50.0);
        assert_eq!(estimate(40, 30.0, 20.0, 40.0), 50.0);
        assert_eq!(estimate(41, 30.0, 20.0, 40.0), 70.0);
        assert_eq!(estimate(100, 30.0, 20.0, 0.0), 30.0 + 13.0 * 20.0, "a floor on the line width");
    }
}
