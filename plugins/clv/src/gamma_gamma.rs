//! The Gamma-Gamma model of spend (Fader & Hardie 2013, "The Gamma-Gamma
//! Model of Monetary Value"): each transaction's value is Gamma(p, ν), and
//! ν varies across customers as Gamma(q, γ). It is fitted on the repeat
//! customers' mean repeat spend z̄ over their x repeat transactions, and
//! gives a customer's expected spend per transaction as a weighted mean of
//! the population mean and the customer's own z̄.

use serde::{Deserialize, Serialize};

use crate::fx::{from_order_key, order_key, Table};
use crate::optim::{self, Objective, Report};
use crate::special::{digamma, ln_gamma, Libm, LogProduct};

/// The Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of each transaction's value.
    pub p: f64,
    /// Shape of the distribution of ν across customers.
    pub q: f64,
    /// Scale (rate parameter) of the distribution of ν, in money.
    pub gamma: f64,
}

impl GammaGamma {
    /// Whether every parameter is finite and positive.
    pub fn is_valid(&self) -> bool {
        [self.p, self.q, self.gamma]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    }

    /// The population mean spend per transaction, `p γ / (q - 1)`; infinite
    /// when q ≤ 1 (the mean does not exist).
    pub fn population_mean(&self) -> f64 {
        if self.q <= 1.0 {
            return f64::INFINITY;
        }
        self.p * self.gamma / (self.q - 1.0)
    }

    /// E[Z | x, z̄] = p (γ + x z̄) / (p x + q - 1): the expected spend per
    /// transaction of a customer with x repeat transactions averaging z̄.
    /// With x = 0 it is the population mean.
    pub fn conditional_mean(&self, x: f64, zbar: f64) -> f64 {
        let den = self.p * x + self.q - 1.0;
        if den <= 0.0 {
            return f64::INFINITY;
        }
        self.p * (self.gamma + x * zbar) / den
    }

    /// The log-likelihood of one repeat customer's (x > 0, z̄ > 0).
    pub fn log_likelihood(&self, x: f64, zbar: f64) -> f64 {
        let Self { p, q, gamma } = *self;
        let px = p * x;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * gamma.libm_ln()
            + (px - 1.0) * zbar.libm_ln()
            + px * x.libm_ln()
            - (px + q) * (gamma + x * zbar).libm_ln()
    }
}

/// The repeat customers, compressed like the BG/NBD population: sorted
/// (x, z̄) with counts, grouped by x.
#[derive(Debug, Clone)]
pub struct Spenders {
    xs: Vec<f64>,
    /// Per distinct (x, z̄): index into `xs`, z̄, ln z̄, count.
    rows: Vec<(usize, f64, f64, f64)>,
    /// Per distinct x: its rows (a range of `rows`), the number of
    /// customers and Σ count · ln z̄ over them.
    groups: Vec<(std::ops::Range<usize>, f64, f64)>,
    pub customers: f64,
    mean_zbar: f64,
}

impl Spenders {
    /// From (x, z̄) pairs with x > 0 and z̄ > 0; the result does not depend
    /// on their order.
    pub fn new(pairs: &[(f64, f64)]) -> Self {
        // Sorted as `total_cmp` orders (x, z̄): the few distinct x ranked,
        // the customers bucketed by the rank of their x, and each bucket's
        // z̄ sorted by integer keys of that order.
        let mut x_ids: Table<u64, ()> = Table::with_capacity(64);
        let ids: Vec<u32> = pairs
            .iter()
            .map(|&(x, _)| x_ids.position_or_insert(order_key(x), || ()) as u32)
            .collect();
        let mut distinct: Vec<(u64, u32)> =
            x_ids.into_entries().0.into_iter().zip(0u32..).collect();
        distinct.sort_unstable();
        let mut rank = vec![0usize; distinct.len()];
        for (r, &(_, id)) in distinct.iter().enumerate() {
            rank[id as usize] = r;
        }
        let mut starts = vec![0usize; distinct.len() + 1];
        for &id in &ids {
            starts[rank[id as usize] + 1] += 1;
        }
        for r in 1..starts.len() {
            starts[r] += starts[r - 1];
        }
        let mut z_keys = vec![0u64; pairs.len()];
        let mut next = starts.clone();
        for (&(_, z), &id) in pairs.iter().zip(&ids) {
            let r = rank[id as usize];
            z_keys[next[r]] = order_key(z);
            next[r] += 1;
        }
        let xs: Vec<f64> = distinct.iter().map(|&(k, _)| from_order_key(k)).collect();
        let mut rows: Vec<(usize, f64, f64, f64)> = Vec::new();
        let mut sum = 0.0;
        for xi in 0..xs.len() {
            let bucket = &mut z_keys[starts[xi]..starts[xi + 1]];
            bucket.sort_unstable();
            for z in bucket.iter().map(|&k| from_order_key(k)) {
                sum += z;
                match rows.last_mut() {
                    Some(row) if row.0 == xi && row.1 == z => row.3 += 1.0,
                    _ => rows.push((xi, z, z.libm_ln(), 1.0)),
                }
            }
        }
        let customers = pairs.len() as f64;
        let groups = groups(&rows, xs.len());
        Self {
            xs,
            rows,
            groups,
            customers,
            mean_zbar: if customers > 0.0 {
                sum / customers
            } else {
                0.0
            },
        }
    }

    /// Number of distinct (x, z̄).
    pub fn distinct(&self) -> usize {
        self.rows.len()
    }

    /// Every `stride`-th distinct (x, z̄) with its count: a deterministic
    /// subsample spread over the whole (x, z̄) order, for a warm start.
    fn thinned(&self, stride: usize) -> Self {
        let kept: Vec<(usize, f64, f64, f64)> =
            self.rows.iter().step_by(stride.max(1)).copied().collect();
        // Only the x the kept rows use, renumbered in order.
        let mut x_new = vec![usize::MAX; self.xs.len()];
        let mut xs = Vec::new();
        for &(xi, ..) in &kept {
            if x_new[xi] == usize::MAX {
                x_new[xi] = xs.len();
                xs.push(self.xs[xi]);
            }
        }
        let rows: Vec<(usize, f64, f64, f64)> = kept
            .into_iter()
            .map(|(xi, z, ln_z, w)| (x_new[xi], z, ln_z, w))
            .collect();
        let groups = groups(&rows, xs.len());
        let (mut customers, mut sum) = (0.0, 0.0);
        for &(_, z, _, w) in &rows {
            customers += w;
            sum += w * z;
        }
        Self {
            xs,
            rows,
            groups,
            customers,
            mean_zbar: if customers > 0.0 {
                sum / customers
            } else {
                0.0
            },
        }
    }

    /// The total log-likelihood at `params`.
    pub fn log_likelihood(&self, params: &GammaGamma) -> f64 {
        let mut obj = NegLogLik {
            data: self,
            penalty: 0.0,
            scratch: Vec::new(),
        };
        let mut g = [0.0; 3];
        let theta = [
            params.p.libm_ln(),
            params.q.libm_ln(),
            params.gamma.libm_ln(),
        ];
        -obj.eval(&theta, &mut g) * self.customers
    }
}

/// Per distinct x of `rows` (sorted by x, `x_count` distinct): its rows
/// (a range of `rows`), the number of customers and Σ count · ln z̄ over
/// them.
fn groups(
    rows: &[(usize, f64, f64, f64)],
    x_count: usize,
) -> Vec<(std::ops::Range<usize>, f64, f64)> {
    let mut groups: Vec<(std::ops::Range<usize>, f64, f64)> = Vec::with_capacity(x_count);
    for (k, &(xi, _, ln_z, w)) in rows.iter().enumerate() {
        if groups.len() <= xi {
            groups.push((k..k, 0.0, 0.0));
        }
        let g = &mut groups[xi];
        g.0.end = k + 1;
        g.1 += w;
        g.2 += w * ln_z;
    }
    groups
}

/// Mean negative log-likelihood in θ = ln(p, q, γ) plus `penalty · Σ θ²`.
struct NegLogLik<'d> {
    data: &'d Spenders,
    penalty: f64,
    /// Per distinct x: ln Γ(px+q) - ln Γ(px), ψ(px+q), ψ(px), ln x.
    scratch: Vec<[f64; 4]>,
}

impl Objective for NegLogLik<'_> {
    /// On CDNOW the Gamma-Gamma fit takes 15-17 evaluations from the
    /// Hessian at its start against 22 from the identity (BG/NBD gains
    /// nothing from it: its start is too far from the optimum).
    fn curvature_at_start(&self) -> bool {
        true
    }

    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let [p, q, gamma] = [
            theta[0].libm_exp(),
            theta[1].libm_exp(),
            theta[2].libm_exp(),
        ];
        if ![p, q, gamma].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::NAN;
        }
        let (lg_q, dg_q, ln_g) = (ln_gamma(q), digamma(q), gamma.libm_ln());
        self.scratch.clear();
        for &x in &self.data.xs {
            let px = p * x;
            self.scratch.push([
                ln_gamma(px + q) - ln_gamma(px),
                digamma(px + q),
                digamma(px),
                x.libm_ln(),
            ]);
        }
        // Per distinct x, the terms in ln(γ + x z̄) enter only through
        // their sum over the group's customers, which is the logarithm of
        // a product: one logarithm per distinct x instead of one per row.
        let (mut ll, mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0, 0.0);
        for (xi, (range, count, sum_ln_z)) in self.data.groups.iter().enumerate() {
            let x = self.data.xs[xi];
            let [lg, dg_pxq, dg_px, ln_x] = self.scratch[xi];
            let px = p * x;
            let mut product = LogProduct::default();
            let mut inverse = 0.0;
            for &(_, z, _, w) in &self.data.rows[range.clone()] {
                let v = gamma + x * z;
                if w <= 8.0 {
                    let mut k = w;
                    while k > 0.0 {
                        product.mul(v);
                        k -= 1.0;
                    }
                } else {
                    product.add_ln(w * v.libm_ln());
                }
                inverse += w / v;
            }
            let ln_gxz = product.ln();
            ll += count * (lg - lg_q + q * ln_g + px * ln_x) + (px - 1.0) * sum_ln_z
                - (px + q) * ln_gxz;
            gp += x * (count * (dg_pxq - dg_px + ln_x) + sum_ln_z - ln_gxz);
            gq += count * (dg_pxq - dg_q + ln_g) - ln_gxz;
            gg += count * q / gamma - (px + q) * inverse;
        }
        let n = self.data.customers;
        let dl = [gp * p, gq * q, gg * gamma];
        let mut pen = 0.0;
        for i in 0..3 {
            grad[i] = -dl[i] / n + 2.0 * self.penalty * theta[i];
            pen += theta[i] * theta[i];
        }
        -ll / n + self.penalty * pen
    }
}

/// A fitted Gamma-Gamma model and how the fit went.
#[derive(Debug, Clone)]
pub struct Fit {
    pub params: GammaGamma,
    /// Total log-likelihood over the repeat customers (without the penalty).
    pub log_likelihood: f64,
    pub report: Report,
    /// The warm-start stages, the smallest first (none for small data).
    pub warm_starts: Vec<optim::WarmStart>,
}

impl optim::Thinnable for Spenders {
    fn distinct(&self) -> usize {
        Spenders::distinct(self)
    }

    fn thinned(&self, stride: usize) -> Self {
        Spenders::thinned(self, stride)
    }
}

/// Fits Gamma-Gamma by maximum likelihood on `data`.
pub fn fit(data: &Spenders, penalty: f64, opts: optim::Options) -> Fit {
    // Start at p = 1, q = 2 and γ = the mean z̄, where the population mean
    // p γ / (q - 1) equals the sample mean.
    let start = [0.0, 2f64.libm_ln(), data.mean_zbar.max(1e-9).libm_ln()];
    // Warm-started on thinned subsamples of the distinct (x, z̄), as BG/NBD
    // is (see `optim::minimize_warm`).
    let (report, _, warm_starts) = optim::minimize_warm(data, &start, &|data, x0, curvature| {
        let mut obj = NegLogLik {
            data,
            penalty,
            scratch: Vec::with_capacity(data.xs.len()),
        };
        optim::minimize_from(&mut obj, x0, curvature, opts)
    });
    let params = GammaGamma {
        p: report.x[0].libm_exp(),
        q: report.x[1].libm_exp(),
        gamma: report.x[2].libm_exp(),
    };
    // The objective at the optimum is the mean negative log-likelihood
    // plus the penalty: the total log-likelihood without another pass.
    let penalty_term = penalty * report.x.iter().map(|t| t * t).sum::<f64>();
    let log_likelihood = -(report.value - penalty_term) * data.customers;
    Fit {
        params,
        log_likelihood,
        report,
        warm_starts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = Spenders::new(&[(1.0, 12.0), (3.0, 40.5), (3.0, 18.0), (7.0, 25.25)]);
        let mut obj = NegLogLik {
            data: &data,
            penalty: 0.02,
            scratch: Vec::new(),
        };
        let theta = [1.5, 1.2, 2.7];
        let mut g = [0.0; 3];
        obj.eval(&theta, &mut g);
        for i in 0..3 {
            let h = 1e-6;
            let (mut tp, mut tm) = (theta, theta);
            tp[i] += h;
            tm[i] -= h;
            let mut s = [0.0; 3];
            let fd = (obj.eval(&tp, &mut s) - obj.eval(&tm, &mut s)) / (2.0 * h);
            assert!((g[i] - fd).abs() < 1e-7, "θ{i}: {} vs {fd}", g[i]);
        }
        let params = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let direct: f64 = [(1.0, 12.0), (3.0, 40.5), (3.0, 18.0), (7.0, 25.25)]
            .iter()
            .map(|&(x, z)| params.log_likelihood(x, z))
            .sum();
        assert!((direct - data.log_likelihood(&params)).abs() < 1e-10);
    }

    #[test]
    fn conditional_mean_shrinks_towards_the_population_mean() {
        let gg = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        assert!((gg.conditional_mean(0.0, 0.0) - gg.population_mean()).abs() < 1e-12);
        // One purchase of 100 moves the estimate part of the way.
        let one = gg.conditional_mean(1.0, 100.0);
        assert!(one > gg.population_mean() && one < 100.0);
        // Many purchases of 100 move it close to 100.
        assert!((gg.conditional_mean(1000.0, 100.0) - 100.0).abs() < 0.5);
        assert_eq!(GammaGamma { q: 0.9, ..gg }.population_mean(), f64::INFINITY);
    }
}
