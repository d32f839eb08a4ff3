//! Small, deterministic statistics helpers: sorting floats, nearest-rank
//! quantiles, quantile cut points, binning and ranks.
//!
//! Floats are ordered with [`f64::total_cmp`], so the result never depends on
//! the input order. Filter out NaN before calling these: `total_cmp` sorts a
//! positive NaN after every number, which is deterministic but rarely what a
//! model means.

use std::cmp::Ordering;

/// The values sorted ascending by [`f64::total_cmp`]. Values that compare
/// equal under `total_cmp` are bit-identical, so the (faster) unstable sort
/// gives the same result as a stable one.
pub fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The nearest-rank `q`-quantile of ascending `sorted` values: the smallest
/// observed value such that at least a fraction `q` of the values are less
/// than or equal to it (`q = 0` gives the minimum, `q = 1` the maximum).
/// Always one of the observed values, never an interpolation.
///
/// `None` when `sorted` is empty or `q` is outside `[0, 1]`.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let n = sorted.len();
    // Rank = ceil(q * n), at least 1. The tiny tolerance keeps fractions such
    // as 0.6 * 5 = 3.0000000000000004 from moving to the next rank.
    let rank = ((q * n as f64) - 1e-9).ceil().max(1.0) as usize;
    sorted.get(rank.min(n) - 1).copied()
}

/// The `bins - 1` cut points splitting ascending `sorted` values into `bins`
/// groups of (nearly) equal size: cut `k` is the nearest-rank `k / bins`
/// quantile, computed in integer arithmetic so it is exact. Cut points are
/// observed values and ascending (equal when values repeat).
///
/// Empty when `sorted` is empty or `bins < 2`.
pub fn cut_points(sorted: &[f64], bins: u32) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let b = bins as usize;
    (1..b)
        .map(|k| {
            // Smallest rank r (1-based) with r / n >= k / bins.
            let rank = (k * n).div_ceil(b).max(1);
            sorted[rank - 1]
        })
        .collect()
}

/// The 1-based bin of `value` given ascending `cuts`: bin `i` holds the
/// values in `(cuts[i-2], cuts[i-1]]`, so a value equal to a cut point falls
/// in the lower bin. Values at or below the first cut are in bin 1, values
/// above the last cut in bin `cuts.len() + 1`.
pub fn bin(value: f64, cuts: &[f64]) -> u32 {
    let below = cuts.partition_point(|c| c.total_cmp(&value) == Ordering::Less);
    below as u32 + 1
}

/// The 1-based ranks of `values` in ascending order, ties sharing the mean
/// of their ranks (`[10, 20, 20, 30]` gives `[1, 2.5, 2.5, 4]`). The result
/// is in the order of `values`.
pub fn rank(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        // Positions start..end (0-based) share ranks start+1..=end.
        let shared = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

/// The arithmetic mean, or `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles_are_observed_values() {
        let v = sorted([5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(v, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 0.2), Some(1.0));
        assert_eq!(quantile(&v, 0.21), Some(2.0));
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.6), Some(3.0));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
        assert_eq!(quantile(&v, 1.5), None);
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn cut_points_split_into_equal_groups() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(cut_points(&v, 5), [2.0, 4.0, 6.0, 8.0]);
        let bins: Vec<u32> = v.iter().map(|&x| bin(x, &cut_points(&v, 5))).collect();
        assert_eq!(bins, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert!(cut_points(&v, 1).is_empty());
        assert!(cut_points(&[], 5).is_empty());
    }

    #[test]
    fn a_value_on_a_cut_point_falls_in_the_lower_bin() {
        let cuts = [1.0, 1.0, 2.0, 5.0];
        assert_eq!(bin(0.5, &cuts), 1);
        assert_eq!(bin(1.0, &cuts), 1);
        assert_eq!(bin(1.5, &cuts), 3);
        assert_eq!(bin(2.0, &cuts), 3);
        assert_eq!(bin(5.0, &cuts), 4);
        assert_eq!(bin(5.1, &cuts), 5);
    }

    #[test]
    fn ties_share_the_mean_rank() {
        assert_eq!(rank(&[30.0, 10.0, 20.0, 20.0]), [4.0, 1.0, 2.5, 2.5]);
        assert!(rank(&[]).is_empty());
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
    }
}
