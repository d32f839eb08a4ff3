//! The statistics behind a fairness audit, each a pure function checked
//! against closed forms and `scipy.stats`:
//!
//! - [`normal_quantile`]: the standard normal quantile (`scipy.special.ndtri`);
//! - [`wilson_interval`]: the Wilson score interval on a proportion, without
//!   continuity correction (`scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`);
//! - [`katz_interval`]: the Katz log interval on a ratio of two proportions
//!   (`scipy.stats.contingency.relative_risk(...).confidence_interval()`),
//!   with the Haldane–Anscombe correction when the numerator is zero;
//! - [`fisher_exact`]: Fisher's exact test on a 2×2 table, two-sided
//!   (`scipy.stats.fisher_exact`);
//! - [`holm`]: Holm's step-down adjustment of p-values
//!   (`statsmodels.stats.multitest.multipletests(method="holm")`);
//! - [`median`] and [`ks_distance`]: the median (`numpy.median`) and the
//!   two-sample Kolmogorov–Smirnov statistic (`scipy.stats.ks_2samp`).

/// A two-sided interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The standard normal cumulative distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile: the `z` with `normal_cdf(z) == p`, for
/// `0 < p < 1`. Returns NaN outside that range.
///
/// Acklam's rational approximation (relative error 1.15e-9) refined by two
/// Halley steps on an `erfc` accurate to an ulp, which brings it to the
/// precision of a double.
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let mut x = if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // Halley refinement. The error is taken on the smaller tail, where the
    // CDF keeps its relative precision.
    for _ in 0..2 {
        let e = if x < 0.0 {
            0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p
        } else {
            (1.0 - p) - 0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
        };
        let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
        x -= u / (1.0 + x * u / 2.0);
    }
    x
}

/// The two-sided critical value `z` for a confidence level (0.95 → 1.959963…),
/// as scipy computes it: `ndtri(0.5 + 0.5 * level)`.
pub fn critical_value(confidence_level: f64) -> f64 {
    normal_quantile(0.5 + 0.5 * confidence_level)
}

/// The Wilson score interval for `k` successes in `n` trials, without
/// continuity correction, in Newcombe's (1998) form as scipy writes it; the
/// bound is exactly 0 when `k == 0` and exactly 1 when `k == n`. `None` when
/// `n == 0`.
pub fn wilson_interval(k: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || k > n {
        return None;
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let q = 1.0 - p;
    let denom = 2.0 * (nf + z * z);
    let center = (2.0 * nf * p + z * z) / denom;
    let delta = z / denom * (4.0 * nf * p * q + z * z).sqrt();
    let lower = if k == 0 { 0.0 } else { center - delta };
    let upper = if k == n { 1.0 } else { center + delta };
    Some(Interval { lower, upper })
}

/// The Katz log interval on the ratio of two proportions `(a / n) / (c / m)`:
/// `exp(ln(ratio) ± z · sqrt(1/a − 1/n + 1/c − 1/m))` (Katz, Baptista, Azen
/// and Pike, 1978), the interval `scipy.stats.contingency.relative_risk`
/// gives.
///
/// When `a == 0` the ratio is 0 and the log interval does not exist; scipy
/// then returns `(0, nan)`. An audit needs an upper bound to decide whether
/// a group that nobody from was selected is significantly disadvantaged, so
/// here the Haldane–Anscombe correction is applied instead: half a count is
/// added to every cell of the 2×2 table (`a + 0.5` of `n + 1`, `c + 0.5` of
/// `m + 1`) and the same formula is used. `None` when `c == 0` (the
/// reference rate is zero, so no ratio exists) or a total is zero.
pub fn katz_interval(a: u64, n: u64, c: u64, m: u64, z: f64) -> Option<Interval> {
    if n == 0 || m == 0 || c == 0 || a > n || c > m {
        return None;
    }
    let (a, n, c, m) = if a == 0 {
        (0.5, n as f64 + 1.0, c as f64 + 0.5, m as f64 + 1.0)
    } else {
        (a as f64, n as f64, c as f64, m as f64)
    };
    let ratio = (a / n) / (c / m);
    let se = (1.0 / a - 1.0 / n + 1.0 / c - 1.0 / m).sqrt();
    Some(Interval {
        lower: ratio * (-z * se).exp(),
        upper: ratio * (z * se).exp(),
    })
}

/// Relative tolerance under which two table probabilities count as equal in
/// the two-sided Fisher test. R's `fisher.test` uses 1e-7 for the same
/// purpose; scipy uses 1e-14, which only differs for tables whose
/// probabilities are equal in exact arithmetic but not in floating point,
/// where 1e-7 gives the exact answer.
const FISHER_TIE: f64 = 1e-7;

/// Fisher's exact test on the 2×2 table `[[a, b], [c, d]]`, two-sided as
/// `scipy.stats.fisher_exact` defines it: the probability, under
/// independence with the margins fixed, of a table no more probable than the
/// observed one. 1.0 when a row or column sums to zero.
///
/// The hypergeometric probabilities are computed relative to the mode by
/// their ratio recurrence, outwards until they underflow or stop mattering,
/// so no factorial or log-gamma of the totals is ever formed and the result
/// keeps its precision at millions of rows.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let n1 = a + b; // first row total
    let n2 = c + d; // second row total
    let k = a + c; // first column total
    let total = n1 + n2;
    if n1 == 0 || n2 == 0 || k == 0 || k == total {
        return 1.0;
    }
    // X = the top-left cell, hypergeometric on [lo, hi].
    let lo = k.saturating_sub(n2);
    let hi = k.min(n1);
    let mode = (((k + 1) as u128 * (n1 + 1) as u128) / (total + 2) as u128) as u64;
    let mode = mode.clamp(lo, hi);
    // w(x + 1) / w(x) = (n1 − x)(k − x) / ((x + 1)(n2 − k + x + 1))
    let up = |x: u64| -> f64 {
        ((n1 - x) as f64 * (k - x) as f64) / ((x + 1) as f64 * (n2 + x + 1 - k) as f64)
    };
    // Weights relative to the mode, both directions, with the observed
    // weight found on the way.
    let mut total_w = 1.0f64;
    let mut w_obs = if a == mode { Some(1.0) } else { None };
    let mut right = Vec::new();
    let mut w = 1.0f64;
    let mut x = mode;
    while x < hi {
        w *= up(x);
        x += 1;
        if x == a {
            w_obs = Some(w);
        }
        if w == 0.0 || (w < total_w * 1e-300 && x > a) {
            break;
        }
        right.push(w);
        total_w += w;
    }
    let mut left = Vec::new();
    let mut w = 1.0f64;
    let mut x = mode;
    while x > lo {
        w /= up(x - 1);
        x -= 1;
        if x == a {
            w_obs = Some(w);
        }
        if w == 0.0 || (w < total_w * 1e-300 && x < a) {
            break;
        }
        left.push(w);
        total_w += w;
    }
    // An observed table beyond where the weights underflow is less probable
    // than anything kept, and so is everything past it: the p-value is 0 to
    // double precision.
    let w_obs = w_obs.unwrap_or(0.0);
    let limit = w_obs * (1.0 + FISHER_TIE);
    let mut p = if 1.0 <= limit { 1.0 } else { 0.0 };
    for &w in left.iter().chain(right.iter()) {
        if w <= limit {
            p += w;
        }
    }
    (p / total_w).min(1.0)
}

/// Holm's step-down adjustment: with the p-values sorted ascending
/// `p(1) ≤ … ≤ p(m)`, `adj(i) = max_{j ≤ i} min(1, (m − j + 1) · p(j))`,
/// returned in the input order. Ties keep their input order, as statsmodels
/// does.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// The median of `values` (mean of the two middle values when the count is
/// even), as `numpy.median`. `None` when empty. Reorders `values`.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = values[..mid]
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    Some(lower + (upper - lower) / 2.0)
}

/// The two-sample Kolmogorov–Smirnov statistic: the largest distance between
/// the empirical distribution functions of two samples, both **sorted
/// ascending**, evaluated after every run of equal values (as
/// `scipy.stats.ks_2samp(...).statistic`). `None` when a sample is empty.
pub fn ks_distance(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d = 0.0f64;
    while i < x.len() && j < y.len() {
        let v = if x[i].total_cmp(&y[j]).is_le() {
            x[i]
        } else {
            y[j]
        };
        while i < x.len() && x[i] == v {
            i += 1;
        }
        while j < y.len() && y[j] == v {
            j += 1;
        }
        d = d.max((i as f64 / nx - j as f64 / ny).abs());
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf() {
        for p in [
            1e-12,
            1e-5,
            0.01,
            0.025,
            0.3,
            0.5,
            0.8,
            0.975,
            0.999,
            1.0 - 1e-9,
        ] {
            let z = normal_quantile(p);
            let back = normal_cdf(z);
            assert!(
                (back - p).abs() <= 1e-15_f64.max(p * 1e-13),
                "{p} -> {z} -> {back}"
            );
        }
        assert!(normal_quantile(0.0).is_nan() && normal_quantile(1.0).is_nan());
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn ks_counts_ties_together() {
        // Every value shared: identical distributions.
        assert_eq!(ks_distance(&[1.0, 2.0], &[1.0, 2.0]), Some(0.0));
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
        assert_eq!(
            ks_distance(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]),
            Some(1.0 / 3.0)
        );
    }
}
