//! The BG/NBD model of repeat purchasing and dropout (Fader, Hardie & Lee
//! 2005, "Counting Your Customers the Easy Way"): while alive, a customer
//! buys as a Poisson process with rate λ ~ Gamma(r, α); after every purchase
//! the customer drops out with probability p ~ Beta(a, b). A customer's
//! history is (x, t_x, T): x repeat purchases, the last at t_x, observed
//! for T time units since the first purchase.
//!
//! Everything here is in one time unit, the one the data was summarised in;
//! α carries that unit (it scales with it), r, a and b do not.

use serde::{Deserialize, Serialize};

use crate::fx::{from_order_key, order_key, Table};
use crate::optim::{self, Objective, Report};
use crate::special::{
    digamma, expm1_ratio, hyp_tail, ln_beta, ln_gamma, pow_int, Libm, LogProduct, TailRatios,
};

/// The BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the Gamma distribution of purchase rates.
    pub r: f64,
    /// Scale (rate parameter) of the Gamma distribution of purchase rates,
    /// in the model's time unit.
    pub alpha: f64,
    /// First shape of the Beta distribution of dropout probabilities.
    pub a: f64,
    /// Second shape of the Beta distribution of dropout probabilities.
    pub b: f64,
}

/// One customer's history: x repeat purchases, the last at t_x, age T.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
}

impl BgNbd {
    /// The parameters as `[r, α, a, b]`.
    pub fn to_array(self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// Parameters from `[r, α, a, b]`.
    pub fn from_array(p: [f64; 4]) -> Self {
        Self {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        }
    }

    /// Whether every parameter is finite and positive.
    pub fn is_valid(&self) -> bool {
        self.to_array().iter().all(|v| v.is_finite() && *v > 0.0)
    }

    /// The log-likelihood of one history (FHL 2005, eq. 6, in logs).
    pub fn log_likelihood(&self, h: History) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = h.x;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.libm_ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + h.t).libm_ln();
        if x > 0.0 {
            let a4 = a.libm_ln() - (b + x - 1.0).libm_ln() - (r + x) * (alpha + h.t_x).libm_ln();
            a1 + a2 + log_add_exp(a3, a4)
        } else {
            a1 + a2 + a3
        }
    }

    /// P(alive at T | x, t_x, T). Always 1 when x = 0: in BG/NBD a customer
    /// can only drop out right after a repeat purchase.
    pub fn p_alive(&self, h: History) -> f64 {
        if h.x <= 0.0 {
            return 1.0;
        }
        let Self { r, alpha, a, b } = *self;
        let log_odds = (a / (b + h.x - 1.0)).libm_ln()
            + (r + h.x) * ((alpha + h.t) / (alpha + h.t_x)).libm_ln();
        1.0 / (1.0 + log_odds.libm_exp())
    }

    /// Expected purchases in (T, T + t] of a customer with x repeat
    /// purchases and age T who is alive at T:
    ///
    /// `(a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]`
    ///
    /// (FHL 2005 eq. 10 without its P(alive) denominator). Computed after
    /// Euler's transformation, `y^(r+x) 2F1(r+x, b+x; c; z) = y^(a-1)
    /// 2F1(a+b-1-r, a-1; c; z)` with `y = 1 - z`, whose series converges
    /// for every x, and with the division by `a - 1` done analytically
    /// (see [`hyp_tail`]), so `a` near 1 costs no accuracy.
    pub fn expected_if_alive(&self, x: f64, t_age: f64, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let Self { r, alpha, a, b } = *self;
        let u = alpha + t_age;
        let c = a + b + x - 1.0;
        let ln_y = -(t / u).libm_ln_1p(); // ln(u / (u + t))
        let z = t / (u + t);
        let e = (a - 1.0) * ln_y;
        let s = hyp_tail(a + b - 1.0 - r, a, c, z);
        c * (-ln_y * expm1_ratio(e) - e.libm_exp() * s)
    }

    /// [`Self::expected_if_alive`] at several horizons for the same x and
    /// T, bit for bit the same values, with the hypergeometric series of
    /// all horizons sharing their ratios of terms ([`hyp_tails`]). `out`
    /// must be as long as `ts`.
    pub fn expected_if_alive_many(&self, x: f64, t_age: f64, ts: &[f64], out: &mut [f64]) {
        let mut ratios = self.tail_ratios(x);
        self.expected_if_alive_shared(&mut ratios, x, t_age, ts, out);
    }

    /// The ratios of terms the series of [`Self::expected_if_alive`] at x
    /// needs, for any age and horizon.
    pub fn tail_ratios(&self, x: f64) -> TailRatios {
        let Self { r, a, b, .. } = *self;
        TailRatios::new(a + b - 1.0 - r, a, a + b + x - 1.0)
    }

    /// [`Self::expected_if_alive_many`] with `ratios` kept across calls:
    /// customers with the same x share them whatever their age. `ratios`
    /// are replaced when they are not those of x.
    pub fn expected_if_alive_shared(
        &self,
        ratios: &mut TailRatios,
        x: f64,
        t_age: f64,
        ts: &[f64],
        out: &mut [f64],
    ) {
        self.expected_if_alive_at(ratios, x, &self.at_horizons(t_age, ts), out);
    }

    /// The parts of [`Self::expected_if_alive`] at age `t_age` and each
    /// horizon of `ts` that do not depend on x, so that customers of the
    /// same age share them (see [`Self::expected_if_alive_at`]).
    pub fn at_horizons(&self, t_age: f64, ts: &[f64]) -> AtHorizons {
        let u = self.alpha + t_age;
        let mut h = AtHorizons {
            z: Vec::with_capacity(ts.len()),
            lead: Vec::with_capacity(ts.len()),
            scale: Vec::with_capacity(ts.len()),
            zero: Vec::with_capacity(ts.len()),
        };
        for &t in ts {
            // A horizon of 0 or less gives 0: a series of z = 0 is 0 and
            // so is its lead.
            if t <= 0.0 {
                h.z.push(0.0);
                h.lead.push(0.0);
                h.scale.push(0.0);
                h.zero.push(true);
                continue;
            }
            let ln_y = -(t / u).libm_ln_1p();
            let e = (self.a - 1.0) * ln_y;
            h.z.push(t / (u + t));
            h.lead.push(-ln_y * expm1_ratio(e));
            h.scale.push(e.libm_exp());
            h.zero.push(false);
        }
        h
    }

    /// [`Self::expected_if_alive`] at x and the age and horizons of `h`,
    /// bit for bit. `out` must be as long as the horizons.
    pub fn expected_if_alive_at(
        &self,
        ratios: &mut TailRatios,
        x: f64,
        h: &AtHorizons,
        out: &mut [f64],
    ) {
        let Self { r, a, b, .. } = *self;
        let c = a + b + x - 1.0;
        if !ratios.is_for(a + b - 1.0 - r, a, c) {
            *ratios = self.tail_ratios(x);
        }
        for (&z, o) in h.z.iter().zip(out.iter_mut()) {
            *o = ratios.tail(z);
        }
        for (((o, &lead), &scale), &zero) in out.iter_mut().zip(&h.lead).zip(&h.scale).zip(&h.zero)
        {
            *o = if zero { 0.0 } else { c * (lead - scale * *o) };
        }
    }

    /// E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T + t].
    pub fn conditional_expected(&self, h: History, t: f64) -> f64 {
        self.p_alive(h) * self.expected_if_alive(h.x, h.t, t)
    }

    /// E[X(t)]: expected repeat purchases in (0, t] of a customer just
    /// acquired (FHL 2005 eq. 7), which is the conditional expectation of a
    /// history with x = 0, T = 0.
    pub fn unconditional_expected(&self, t: f64) -> f64 {
        self.expected_if_alive(0.0, 0.0, t)
    }

    /// P(no purchase in (T, T + h] | x, t_x, T): a customer who has dropped
    /// out never buys again; one who is alive buys as a Poisson process
    /// whose rate, given the history and being alive, is
    /// Gamma(r + x, α + T), so no purchase in h has probability
    /// `((α+T)/(α+T+h))^(r+x)`. Hence
    /// `(1 - P(alive)) + P(alive) · ((α+T)/(α+T+h))^(r+x)`.
    pub fn p_no_purchase(&self, h: History, horizon: f64) -> f64 {
        Self::no_purchase_given(self.p_alive(h), self.silent(h.x, h.t, horizon))
    }

    /// `((α+T)/(α+T+h))^(r+x)`: the probability that a customer alive at T
    /// with x repeat purchases buys nothing in (T, T + h]. It depends on
    /// (x, T) only, so customers sharing them can share it.
    pub fn silent(&self, x: f64, t_age: f64, horizon: f64) -> f64 {
        let u = self.alpha + t_age;
        (-(self.r + x) * (horizon / u).libm_ln_1p()).libm_exp()
    }

    /// [`Self::p_no_purchase`] from P(alive) and [`Self::silent`].
    pub fn no_purchase_given(p_alive: f64, silent: f64) -> f64 {
        (1.0 - p_alive) + p_alive * silent
    }

    /// P(X(t) = n): the probability that a customer just acquired makes
    /// exactly n repeat purchases in (0, t] (FHL 2005 eq. 8).
    pub fn p_purchases(&self, t: f64, n: u32) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let nf = f64::from(n);
        let ln_q = (t / (alpha + t)).libm_ln(); // ln of the NBD "success" share
        let ln_p0 = r * (alpha / (alpha + t)).libm_ln();
        let ln_b_ab = ln_beta(a, b);
        // NBD(r, α/(α+t)) probability of j purchases, in logs.
        let nbd = |j: f64| ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + ln_p0 + j * ln_q;
        let first = (ln_beta(a, b + nf) - ln_b_ab + nbd(nf)).libm_exp();
        if n == 0 {
            return first;
        }
        // 1 - Σ_{j<n} NBD(j), summed as the upper tail when that is the
        // smaller side so that a tiny tail keeps its digits.
        let below: f64 = (0..n).map(|j| nbd(f64::from(j)).libm_exp()).sum();
        let tail = if below < 0.5 {
            1.0 - below
        } else {
            let mut sum = 0.0;
            let mut j = nf;
            loop {
                let term = nbd(j).libm_exp();
                sum += term;
                if term <= 1e-18 * sum || j > nf + 100_000.0 {
                    break;
                }
                j += 1.0;
            }
            sum
        };
        first + (ln_beta(a + 1.0, b + nf - 1.0) - ln_b_ab).libm_exp() * tail
    }
}

/// `ln(e^u + e^v)` without overflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let m = u.max(v);
    m + ((u - m).libm_exp() + (v - m).libm_exp()).libm_ln()
}

/// The fit population, compressed: histories sorted and merged into
/// distinct (x, t_x, T) with a count, grouped by x so that the gamma and
/// digamma terms are computed once per distinct x per evaluation, and with
/// the distinct times listed once so that ln(α + t) and 1 / (α + t) are
/// computed once per distinct time per evaluation (customers acquired over
/// a few months share a few hundred T and t_x values).
#[derive(Debug, Clone)]
pub struct Population {
    /// Distinct x values, ascending.
    xs: Vec<f64>,
    /// Per distinct x: x as a whole number, when it is one (counts are).
    whole: Vec<Option<u32>>,
    /// Distinct t_x and T values, ascending.
    times: Vec<f64>,
    /// Per distinct history: index into `xs`, index of t_x and of T into
    /// `times`, count.
    rows: Vec<(usize, usize, usize, f64)>,
    /// Number of customers.
    pub customers: f64,
    /// Σ x over customers.
    pub sum_x: f64,
    /// Mean T, for the starting point.
    mean_t: f64,
}

impl Population {
    /// Compresses histories; the result does not depend on their order.
    ///
    /// Each value is replaced by its rank among the distinct values (x
    /// among the x, t_x and T among the times), ranked as `total_cmp`
    /// orders them (equal values: the same bits). A history is then one
    /// integer, its three ranks side by side, which sorts as (x, t_x, T)
    /// do; sorting those and merging neighbours gives the rows and the
    /// sums of sorting every history. Values are looked up once per
    /// history, in dictionaries of the few distinct values (the full
    /// CDNOW cohort has 23,570 histories but 8,685 distinct ones, 55
    /// distinct x and 547 distinct times).
    pub fn new(histories: &[History]) -> Self {
        // Values in first-seen order with their first-seen ids, then ids
        // per history.
        let mut x_ids: Table<u64, ()> = Table::with_capacity(64);
        let mut time_ids: Table<u64, ()> = Table::with_capacity(1024);
        let id_of = |table: &mut Table<u64, ()>, v: f64| -> u32 {
            table.position_or_insert(order_key(v), || ()) as u32
        };
        let ids: Vec<[u32; 3]> = histories
            .iter()
            .map(|h| {
                [
                    id_of(&mut x_ids, h.x),
                    id_of(&mut time_ids, h.t_x),
                    id_of(&mut time_ids, h.t),
                ]
            })
            .collect();
        // Distinct values ascending, and the rank of each first-seen id.
        let ranked = |table: Table<u64, ()>| -> (Vec<f64>, Vec<u32>) {
            let mut keys: Vec<(u64, u32)> =
                (table.into_entries().0.into_iter()).zip(0u32..).collect();
            keys.sort_unstable();
            let mut rank = vec![0u32; keys.len()];
            for (r, &(_, id)) in keys.iter().enumerate() {
                rank[id as usize] = r as u32;
            }
            (
                keys.into_iter().map(|(k, _)| from_order_key(k)).collect(),
                rank,
            )
        };
        let (xs, x_rank) = ranked(x_ids);
        let (times, time_rank) = ranked(time_ids);
        // The three ranks in as few bits as they need (26 on the full
        // CDNOW cohort), sorted by a radix sort; in 128 bits by a
        // comparison sort if they need more than 64.
        let width = |n: usize| usize::BITS - n.saturating_sub(1).leading_zeros();
        let (wx, wt) = (width(xs.len()), width(times.len()));
        let sorted: Vec<[usize; 3]> = if wx + 2 * wt <= 64 {
            let mut keys: Vec<u64> = ids
                .into_iter()
                .map(|[x, t_x, t]| {
                    u64::from(x_rank[x as usize]) << (2 * wt)
                        | u64::from(time_rank[t_x as usize]) << wt
                        | u64::from(time_rank[t as usize])
                })
                .collect();
            radix_sort(&mut keys, wx + 2 * wt);
            let mask = (1u64 << wt) - 1;
            keys.into_iter()
                .map(|k| {
                    [
                        (k >> (2 * wt)) as usize,
                        (k >> wt & mask) as usize,
                        (k & mask) as usize,
                    ]
                })
                .collect()
        } else {
            let mut keys: Vec<u128> = ids
                .into_iter()
                .map(|[x, t_x, t]| {
                    u128::from(x_rank[x as usize]) << 64
                        | u128::from(time_rank[t_x as usize]) << 32
                        | u128::from(time_rank[t as usize])
                })
                .collect();
            keys.sort_unstable();
            keys.into_iter()
                .map(|k| {
                    [
                        (k >> 64) as usize,
                        (k >> 32) as u32 as usize,
                        k as u32 as usize,
                    ]
                })
                .collect()
        };
        let mut rows: Vec<(usize, usize, usize, f64)> = Vec::with_capacity(histories.len());
        let (mut sum_x, mut sum_t) = (0.0, 0.0);
        for [xi, txi, ti] in sorted {
            // The sums add each customer's values in the sorted order.
            sum_x += xs[xi];
            sum_t += times[ti];
            match rows.last_mut() {
                Some(row) if (row.0, row.1, row.2) == (xi, txi, ti) => row.3 += 1.0,
                _ => rows.push((xi, txi, ti, 1.0)),
            }
        }
        let customers = histories.len() as f64;
        let whole = xs
            .iter()
            .map(|&x| (x.fract() == 0.0 && (0.0..1e6).contains(&x)).then_some(x as u32))
            .collect();
        Self {
            xs,
            whole,
            times,
            rows,
            customers,
            sum_x,
            mean_t: if customers > 0.0 {
                sum_t / customers
            } else {
                0.0
            },
        }
    }

    /// The nearest-rank `q`-quantiles of x and of T over the customers, the
    /// values a selection over every customer's x and T would give
    /// (`stats::quantile` of them sorted), read off the distinct histories
    /// and their counts: the rows are in x order already, and the T are
    /// counted per distinct time. (0, 0) without customers.
    pub fn quantiles_x_t(&self, q: f64) -> (f64, f64) {
        let n = self.customers;
        if n <= 0.0 || !(0.0..=1.0).contains(&q) {
            return (0.0, 0.0);
        }
        // The rank `stats::quantile` takes: ceil(q n), at least 1.
        let rank = ((q * n) - 1e-9).ceil().max(1.0).min(n);
        let mut seen = 0.0;
        let mut x = 0.0;
        for &(xi, _, _, count) in &self.rows {
            seen += count;
            if seen >= rank {
                x = self.xs[xi];
                break;
            }
        }
        let mut per_time = vec![0.0f64; self.times.len()];
        for &(_, _, ti, count) in &self.rows {
            per_time[ti] += count;
        }
        let mut seen = 0.0;
        let mut t = 0.0;
        for (i, count) in per_time.into_iter().enumerate() {
            seen += count;
            if seen >= rank {
                t = self.times[i];
                break;
            }
        }
        (x, t)
    }

    /// Every `stride`-th distinct history with its count: a deterministic
    /// subsample spread over the whole (x, t_x, T) order, for a warm start.
    fn thinned(&self, stride: usize) -> Self {
        let kept: Vec<_> = self.rows.iter().step_by(stride.max(1)).copied().collect();
        // Only the x and times the kept histories use, so that an
        // evaluation's per-x and per-time terms shrink with them; the
        // renumbering keeps their order.
        let mut x_used = vec![false; self.xs.len()];
        let mut time_used = vec![false; self.times.len()];
        for &(xi, txi, ti, _) in &kept {
            x_used[xi] = true;
            time_used[txi] = true;
            time_used[ti] = true;
        }
        let renumber = |used: &[bool]| -> Vec<usize> {
            let mut next = 0;
            used.iter()
                .map(|&u| {
                    let at = next;
                    next += usize::from(u);
                    at
                })
                .collect()
        };
        let (x_at, time_at) = (renumber(&x_used), renumber(&time_used));
        let pick = |values: &[f64], used: &[bool]| -> Vec<f64> {
            values
                .iter()
                .zip(used)
                .filter(|(_, &u)| u)
                .map(|(&v, _)| v)
                .collect()
        };
        let rows: Vec<_> = kept
            .iter()
            .map(|&(xi, txi, ti, w)| (x_at[xi], time_at[txi], time_at[ti], w))
            .collect();
        let customers = rows.iter().map(|r| r.3).sum();
        Self {
            xs: pick(&self.xs, &x_used),
            whole: self
                .whole
                .iter()
                .zip(&x_used)
                .filter(|(_, &u)| u)
                .map(|(&w, _)| w)
                .collect(),
            times: pick(&self.times, &time_used),
            rows,
            customers,
            sum_x: self.sum_x,
            mean_t: self.mean_t,
        }
    }

    /// Number of distinct histories.
    pub fn distinct(&self) -> usize {
        self.rows.len()
    }

    /// The distinct (x, T) of the histories, ascending by x then T (as
    /// `total_cmp` orders them). Marked in a grid of distinct x by distinct
    /// time when that is small (it is for customers summarised per day),
    /// else collected and sorted.
    pub fn ages(&self) -> Vec<(f64, f64)> {
        let width = self.times.len();
        let cells = self.xs.len().saturating_mul(width);
        if cells <= 64 * self.rows.len() + 4096 {
            let mut seen = vec![false; cells];
            for &(xi, _, ti, _) in &self.rows {
                seen[xi * width + ti] = true;
            }
            seen.iter()
                .enumerate()
                .filter(|(_, &s)| s)
                .map(|(cell, _)| (self.xs[cell / width], self.times[cell % width]))
                .collect()
        } else {
            let mut pairs: Vec<(usize, usize)> =
                self.rows.iter().map(|&(xi, _, ti, _)| (xi, ti)).collect();
            pairs.sort_unstable();
            pairs.dedup();
            pairs
                .into_iter()
                .map(|(xi, ti)| (self.xs[xi], self.times[ti]))
                .collect()
        }
    }

    /// The total log-likelihood at `params`.
    pub fn log_likelihood(&self, params: &BgNbd) -> f64 {
        let mut g = [0.0; 4];
        let mut obj = NegLogLik {
            pop: self,
            penalty: 0.0,
            scratch: Vec::new(),
            at: Vec::new(),
        };
        let theta = params.to_array().map(f64::ln);
        -obj.eval(&theta, &mut g) * self.customers
    }
}

/// Sorts `keys` whose values are below `2^bits` ascending: a least
/// significant digit radix sort, 11 bits per pass.
fn radix_sort(keys: &mut Vec<u64>, bits: u32) {
    const DIGIT: u32 = 11;
    const BUCKETS: usize = 1 << DIGIT;
    let mut out = vec![0u64; keys.len()];
    let mut shift = 0;
    while shift < bits {
        let mut starts = [0usize; BUCKETS + 1];
        for &k in keys.iter() {
            starts[(k >> shift) as usize % BUCKETS + 1] += 1;
        }
        for d in 1..=BUCKETS {
            starts[d] += starts[d - 1];
        }
        for &k in keys.iter() {
            let d = (k >> shift) as usize % BUCKETS;
            out[starts[d]] = k;
            starts[d] += 1;
        }
        std::mem::swap(keys, &mut out);
        shift += DIGIT;
    }
}

/// The objective in log-parameters θ = ln(r, α, a, b): the mean negative
/// log-likelihood per customer plus `penalty · Σ θ²`.
struct NegLogLik<'p> {
    pop: &'p Population,
    penalty: f64,
    /// Per distinct x: the x-only parts of the log-likelihood and of its
    /// gradient with respect to r, a, b, ln(b + x - 1) and 1 / (b + x - 1).
    scratch: Vec<[f64; 6]>,
    /// Per distinct time t: ln(α + t), 1 / (α + t), α + t, (α + t)^r and
    /// its inverse.
    at: Vec<[f64; 5]>,
}

impl Objective for NegLogLik<'_> {
    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let [r, alpha, a, b] = [
            theta[0].libm_exp(),
            theta[1].libm_exp(),
            theta[2].libm_exp(),
            theta[3].libm_exp(),
        ];
        if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::NAN;
        }
        let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
        let (lg_b, dg_b) = (ln_gamma(b), digamma(b));
        let (lg_ab, dg_ab) = (ln_gamma(a + b), digamma(a + b));
        let ln_alpha = alpha.libm_ln();
        let ln_a = a.libm_ln();
        // x-only terms: value of A1 + A2 (less r ln α), d/dr, d/da, d/db,
        // ln(b + x - 1).
        self.scratch.clear();
        // ln Γ(r+x) + ln Γ(b+x) - ln Γ(a+b+x) and ψ(r+x), ψ(a+b+x), ψ(b+x)
        // of the previous x are stepped to the next whole x by
        // Γ(v+1) = v Γ(v) and ψ(v+1) = ψ(v) + 1/v (one logarithm and three
        // divisions a step instead of three ln Γ and three ψ); the first x
        // and any x after a gap of more than 16 are computed directly.
        let mut prev: Option<(u32, [f64; 4])> = None;
        for (&x, &whole) in self.pop.xs.iter().zip(&self.pop.whole) {
            let parts = match (prev, whole) {
                (Some((from, mut p)), Some(to)) if to > from && to - from <= 16 => {
                    let mut product = 1.0;
                    for k in from..to {
                        let k = f64::from(k);
                        product *= (r + k) * (b + k) / (a + b + k);
                        p[1] += 1.0 / (r + k);
                        p[2] += 1.0 / (a + b + k);
                        p[3] += 1.0 / (b + k);
                    }
                    p[0] += product.libm_ln();
                    p
                }
                _ => [
                    ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x),
                    digamma(r + x),
                    digamma(a + b + x),
                    digamma(b + x),
                ],
            };
            prev = whole.map(|n| (n, parts));
            let [lg, dg_rx, dg_abx, dg_bx] = parts;
            self.scratch.push([
                lg - lg_r + lg_ab - lg_b,
                dg_rx - dg_r,
                dg_ab - dg_abx,
                dg_ab + dg_bx - dg_b - dg_abx,
                if x > 0.0 {
                    (b + x - 1.0).libm_ln()
                } else {
                    0.0
                },
                1.0 / (b + x - 1.0),
            ]);
        }
        self.at.clear();
        self.at.extend(self.pop.times.iter().map(|&t| {
            let ln_at = (alpha + t).libm_ln();
            let at_r = (r * ln_at).libm_exp();
            [ln_at, 1.0 / (alpha + t), alpha + t, at_r, 1.0 / at_r]
        }));
        let (r_alpha, inv_a) = (r / alpha, 1.0 / a);
        // The repeat histories' ln(e^a3 + e^a4) = a3 + ln(1 + E) with
        // E = e^(a4 - a3) = a / (b+x-1) · ((α+T)/(α+t_x))^(r+x): E comes
        // from the per-time powers and a whole power of x, and the
        // logarithms of all the (1 + E) are taken at once, as the logarithm
        // of their product. Histories where that could overflow, or whose x
        // is not whole, take logarithms and exponentials one by one.
        let mut product = LogProduct::default();
        let (mut ll, mut gr, mut gal, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(xi, txi, ti, w) in &self.pop.rows {
            let x = self.pop.xs[xi];
            let [base, d_r, d_a, d_b, ln_bx1, inv_bx1] = self.scratch[xi];
            let a_bx1 = a * inv_bx1;
            let rx = r + x;
            let [ln_at, inv_at, at, at_r, _] = self.at[ti];
            let a3 = -rx * ln_at;
            let (val, dr, dal, da, db);
            if x > 0.0 {
                let [ln_atx, inv_atx, _, _, inv_atx_r] = self.at[txi];
                let fast = match self.pop.whole[xi] {
                    Some(n) if rx * (ln_at - ln_atx) < 600.0 && w <= 8.0 => {
                        let e = a_bx1 * (at_r * inv_atx_r) * pow_int(at * inv_atx, n);
                        e.is_finite().then_some(e)
                    }
                    _ => None,
                };
                let (w3, w4);
                if let Some(e) = fast {
                    let share = 1.0 / (1.0 + e);
                    (w3, w4) = (share, e * share);
                    // w is a whole count here (at most 8).
                    let mut k = w;
                    while k > 0.0 {
                        product.mul(1.0 + e);
                        k -= 1.0;
                    }
                    val = base + r * ln_alpha + a3;
                } else {
                    let a4 = ln_a - ln_bx1 - rx * ln_atx;
                    // ln(e^a3 + e^a4) = m + ln(1 + e^(-|a3 - a4|)), and
                    // the shares of the two terms in the sum.
                    let (m, e) = if a3 >= a4 {
                        (a3, (a4 - a3).libm_exp())
                    } else {
                        (a4, (a3 - a4).libm_exp())
                    };
                    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
                    (w3, w4) = if a3 >= a4 { (big, small) } else { (small, big) };
                    val = base + r * ln_alpha + m + e.libm_ln_1p();
                }
                dr = d_r + ln_alpha - w3 * ln_at - w4 * ln_atx;
                dal = r_alpha - rx * (w3 * inv_at + w4 * inv_atx);
                da = d_a + w4 * inv_a;
                db = d_b - w4 * inv_bx1;
            } else {
                val = base + r * ln_alpha + a3;
                dr = d_r + ln_alpha - ln_at;
                dal = r_alpha - rx * inv_at;
                da = d_a;
                db = d_b;
            }
            ll += w * val;
            gr += w * dr;
            gal += w * dal;
            ga += w * da;
            gb += w * db;
        }
        ll += product.ln();
        let n = self.pop.customers;
        // Chain rule to log-parameters: d/dθ = p · d/dp.
        let dl = [gr * r, gal * alpha, ga * a, gb * b];
        let mut pen = 0.0;
        for i in 0..4 {
            grad[i] = -dl[i] / n + 2.0 * self.penalty * theta[i];
            pen += theta[i] * theta[i];
        }
        -ll / n + self.penalty * pen
    }
}

/// A fitted BG/NBD model and how the fit went.
#[derive(Debug, Clone)]
pub struct Fit {
    pub params: BgNbd,
    /// Total log-likelihood over the population (without the penalty).
    pub log_likelihood: f64,
    /// The minimisation on all distinct histories.
    pub report: Report,
    /// The fits of thinned subsamples it started from, the smallest first
    /// (none on few distinct histories).
    pub warm_starts: Vec<optim::WarmStart>,
}

/// The parts of E[Y(t) | alive] at one age and several horizons that do
/// not depend on x ([`BgNbd::at_horizons`]): per horizon t, the series'
/// argument `z = t / (α + T + t)`, the lead term `-ln y · (y^(a-1) - 1) /
/// ((a-1) ln y)` and the series' factor `y^(a-1)`, with `y = 1 - z`.
#[derive(Debug, Clone)]
pub struct AtHorizons {
    pub(crate) z: Vec<f64>,
    pub(crate) lead: Vec<f64>,
    pub(crate) scale: Vec<f64>,
    /// Horizons of 0 or less, whose expectation is 0.
    pub(crate) zero: Vec<bool>,
}

impl optim::Thinnable for Population {
    fn distinct(&self) -> usize {
        Population::distinct(self)
    }

    fn thinned(&self, stride: usize) -> Self {
        Population::thinned(self, stride)
    }
}

/// Fits BG/NBD by maximum likelihood on `pop`; `penalty` is the weight of
/// `Σ (ln θ)²` added to the mean negative log-likelihood.
pub fn fit(pop: &Population, penalty: f64, opts: optim::Options) -> Fit {
    // Start at r = 1, a = 1, b = 1 and α = mean age: a unit-free guess.
    let start = [0.0, pop.mean_t.max(1e-6).libm_ln(), 0.0, 0.0];
    // Warm-started on thinned subsamples of the distinct histories (see
    // `optim::minimize_warm`).
    let (report, _, warm_starts) = optim::minimize_warm(pop, &start, &|pop, x0, curvature| {
        let mut obj = NegLogLik {
            pop,
            penalty,
            scratch: Vec::with_capacity(pop.xs.len()),
            at: Vec::with_capacity(pop.times.len()),
        };
        optim::minimize_from(&mut obj, x0, curvature, opts)
    });
    let params = BgNbd::from_array([
        report.x[0].libm_exp(),
        report.x[1].libm_exp(),
        report.x[2].libm_exp(),
        report.x[3].libm_exp(),
    ]);
    // The objective at the optimum is the mean negative log-likelihood
    // plus the penalty: the total log-likelihood without another pass.
    let penalty_term = penalty * report.x.iter().map(|t| t * t).sum::<f64>();
    let log_likelihood = -(report.value - penalty_term) * pop.customers;
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

    const PUBLISHED: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn quantiles_from_counts_match_a_selection_over_every_customer() {
        // Histories with many repeats (ties in x and T), in a scrambled
        // order, and a lone customer.
        let mut state = 12_345u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        let many: Vec<History> = (0..5_000)
            .map(|_| {
                let x = next(7) as f64;
                let t = (next(90) + 1) as f64 / 7.0;
                History {
                    x,
                    t_x: if x > 0.0 {
                        t * next(100) as f64 / 100.0
                    } else {
                        0.0
                    },
                    t,
                }
            })
            .collect();
        let one = [History {
            x: 2.0,
            t_x: 1.0,
            t: 3.5,
        }];
        for histories in [&many[..], &one[..]] {
            let pop = Population::new(histories);
            for q in [0.0, 0.1, 0.25, 0.5, 0.77, 0.9, 1.0] {
                let pick = |mut v: Vec<f64>| {
                    v.sort_by(f64::total_cmp);
                    let rank = ((q * v.len() as f64) - 1e-9).ceil().max(1.0) as usize;
                    v[rank.min(v.len()) - 1]
                };
                let want = (
                    pick(histories.iter().map(|h| h.x).collect()),
                    pick(histories.iter().map(|h| h.t).collect()),
                );
                let got = pop.quantiles_x_t(q);
                assert_eq!(
                    (got.0.to_bits(), got.1.to_bits()),
                    (want.0.to_bits(), want.1.to_bits()),
                    "q = {q}: {got:?} against {want:?}"
                );
            }
        }
        assert_eq!(Population::new(&[]).quantiles_x_t(0.5), (0.0, 0.0));
    }

    #[test]
    fn expected_if_alive_matches_the_plain_hypergeometric_form() {
        // The textbook form with a direct 2F1 series, at moderate z where
        // the series converges quickly, for several x.
        let p = PUBLISHED;
        for (x, t_age, t) in [(0.0, 38.86, 10.0), (2.0, 38.86, 39.0), (7.0, 20.0, 5.0)] {
            let (aa, bb, cc) = (p.r + x, p.b + x, p.a + p.b + x - 1.0);
            let z = t / (p.alpha + t_age + t);
            let (mut term, mut sum, mut n) = (1.0f64, 1.0f64, 0.0);
            while term.abs() > 1e-17 * sum.abs() {
                term *= (aa + n) * (bb + n) / ((cc + n) * (n + 1.0)) * z;
                sum += term;
                n += 1.0;
            }
            let y = (p.alpha + t_age) / (p.alpha + t_age + t);
            let plain = cc / (p.a - 1.0) * (1.0 - y.powf(p.r + x) * sum);
            let ours = p.expected_if_alive(x, t_age, t);
            assert!(
                (plain - ours).abs() < 1e-11 * plain.abs(),
                "x={x}: {plain} vs {ours}"
            );
        }
    }

    #[test]
    fn an_ages_shared_parts_give_the_same_bits_for_every_x() {
        // One age's parts, reused across x (and ratios replaced as x
        // changes), against one expectation per horizon; horizons of 0 or
        // less give 0.
        let p = PUBLISHED;
        let ts = [4.345, 8.69, -1.0, 0.0, 52.0, 1e4];
        for t_age in [0.0, 12.57, 38.86] {
            let h = p.at_horizons(t_age, &ts);
            let mut ratios = p.tail_ratios(0.0);
            for x in [0.0, 3.0, 1.0, 17.0] {
                let mut out = [f64::NAN; 6];
                p.expected_if_alive_at(&mut ratios, x, &h, &mut out);
                for (&t, o) in ts.iter().zip(out) {
                    assert_eq!(
                        o.to_bits(),
                        p.expected_if_alive(x, t_age, t).to_bits(),
                        "x={x} T={t_age} t={t}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_near_one_is_continuous() {
        let mut p = PUBLISHED;
        p.a = 1.0;
        let at_one = p.expected_if_alive(3.0, 20.0, 26.0);
        p.a = 1.0 + 1e-9;
        let near = p.expected_if_alive(3.0, 20.0, 26.0);
        assert!(
            at_one.is_finite() && (at_one - near).abs() < 1e-7,
            "{at_one} {near}"
        );
    }

    /// 8,000 histories simulated from the BG/NBD story (exponential gaps
    /// between purchases, dropout after each with probability p), with
    /// purchase rates and dropout probabilities drawn from small discrete
    /// mixtures by a linear congruential generator: more than
    /// `4 · optim::WARM_ROWS` distinct histories, so that [`fit`] warm-starts.
    fn many_histories() -> Vec<History> {
        let mut k = 7u64;
        let mut uniform = || {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((k >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..8_000)
            .map(|i| {
                let t = 26.0 + (i % 40) as f64 * 0.5;
                let rate = [0.02, 0.1, 0.3, 0.8][(uniform() * 4.0) as usize];
                let drop = [0.05, 0.2, 0.5][(uniform() * 3.0) as usize];
                let (mut at, mut x, mut t_x) = (0.0, 0.0, 0.0);
                loop {
                    at += -uniform().ln() / rate;
                    if at > t {
                        break;
                    }
                    (x, t_x) = (x + 1.0, at);
                    if uniform() < drop {
                        break;
                    }
                }
                History { x, t_x, t }
            })
            .collect()
    }

    #[test]
    fn the_warm_start_reaches_the_cold_fits_optimum_in_fewer_full_iterations() {
        let pop = Population::new(&many_histories());
        assert!(pop.distinct() >= 4 * optim::WARM_MIN, "{}", pop.distinct());
        let opts = optim::Options {
            max_iterations: 200,
            gradient_tolerance: 1e-8,
        };
        let warm = fit(&pop, 0.0, opts);
        let mut obj = NegLogLik {
            pop: &pop,
            penalty: 0.0,
            scratch: Vec::new(),
            at: Vec::new(),
        };
        let start = [0.0, pop.mean_t.libm_ln(), 0.0, 0.0];
        let cold = optim::minimize(&mut obj, &start, opts);
        assert!(warm.report.converged && cold.converged, "{warm:?} {cold:?}");
        assert!(warm.warm_starts.len() >= 2, "{warm:?}");
        assert!(
            warm.report.iterations < cold.iterations,
            "warm {} vs cold {} iterations on all histories",
            warm.report.iterations,
            cold.iterations
        );
        for (w, c) in warm.report.x.iter().zip(&cold.x) {
            assert!((w - c).abs() < 1e-6, "{:?} vs {:?}", warm.report.x, cold.x);
        }
        // The reported log-likelihood is the likelihood at the estimates.
        let fresh = pop.log_likelihood(&warm.params);
        assert!(
            (warm.log_likelihood - fresh).abs() < 1e-9 * fresh.abs(),
            "{} vs {fresh}",
            warm.log_likelihood
        );
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let hist = [
            History {
                x: 0.0,
                t_x: 0.0,
                t: 30.0,
            },
            History {
                x: 2.0,
                t_x: 12.5,
                t: 38.0,
            },
            History {
                x: 5.0,
                t_x: 30.0,
                t: 31.0,
            },
            History {
                x: 1.0,
                t_x: 0.5,
                t: 2.0,
            },
        ];
        let pop = Population::new(&hist);
        let mut obj = NegLogLik {
            pop: &pop,
            penalty: 0.01,
            scratch: Vec::new(),
            at: Vec::new(),
        };
        let theta = [-1.2, 1.4, -0.3, 0.8];
        let mut g = [0.0; 4];
        obj.eval(&theta, &mut g);
        for i in 0..4 {
            let h = 1e-6;
            let (mut tp, mut tm) = (theta, theta);
            tp[i] += h;
            tm[i] -= h;
            let mut scratch = [0.0; 4];
            let fd = (obj.eval(&tp, &mut scratch) - obj.eval(&tm, &mut scratch)) / (2.0 * h);
            assert!((g[i] - fd).abs() < 1e-7, "θ{i}: {} vs {fd}", g[i]);
        }
        // The per-history log-likelihood agrees with the compressed sum.
        let direct: f64 = hist.iter().map(|&h| PUBLISHED.log_likelihood(h)).sum();
        assert!((direct - pop.log_likelihood(&PUBLISHED)).abs() < 1e-10);
    }
}
