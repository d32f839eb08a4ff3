//! Per-customer quantities from the fitted models: expected purchases,
//! P(alive), expected spend, the discounted lifetime value, churn risk, and
//! the explanation of the value as Shapley contributions of four factors.
//!
//! **Lifetime value.** Over K periods of length Δ (the configured `clv`
//! period, in the model's time unit) with discount rate d per period:
//!
//! `clv = Σ_{k=1..K} E[Z | x, z̄] · (E[Y(kΔ)] - E[Y((k-1)Δ)]) / (1 + d)^k`
//!
//! where E[Y(t)] is the BG/NBD conditional expectation of repeat purchases
//! in (T, T + t] and E[Z | x, z̄] the Gamma-Gamma expected spend: purchases
//! expected in period k are valued at the customer's expected spend and
//! discounted from the end of that period. This is `lifetimes`'
//! `customer_lifetime_value` with the period stated explicitly.
//! E[Y(t)] = P(alive) · H(x, T, t) where H does not depend on t_x, so
//! `clv = P(alive) · E[Z] · D(x, T)` with `D = Σ_k (H(kΔ) - H((k-1)Δ)) / (1 + d)^k`.

use crate::bgnbd::{AtHorizons, BgNbd, History};
use crate::gamma_gamma::GammaGamma;
use crate::special::{Coefficients, Libm, TailRatios};

/// The four factors of a customer's value, in the model's time unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Factors {
    /// x: repeat purchases.
    pub frequency: f64,
    /// T - t_x: time since the last purchase.
    pub recency: f64,
    /// T: time since the first purchase.
    pub age: f64,
    /// The spend the value is built on: z̄ for repeat customers, the
    /// population mean for customers without a repeat purchase (whose
    /// expected spend is that mean whatever they spent first).
    pub spend: f64,
}

impl Factors {
    /// The history these factors describe; t_x = T - recency, kept within
    /// [0, T] (a recency longer than the age counts as the age).
    pub fn history(&self) -> History {
        History {
            x: self.frequency,
            t_x: (self.age - self.recency).clamp(0.0, self.age),
            t: self.age,
        }
    }
}

/// Computes values from fitted parameters and the CLV schedule.
#[derive(Debug, Clone)]
pub struct Valuer {
    pub bg: BgNbd,
    pub gg: GammaGamma,
    /// Period length Δ in model time units.
    pub step: f64,
    /// Discount factor of each period, `(1 + d)^-k` for k = 1..K.
    pub discounts: Vec<f64>,
}

/// The logarithms of P(alive) at the explanation's corners that depend on
/// the reference customer only ([`Valuer::reference_logs`]).
#[derive(Debug, Clone, Copy)]
pub struct ReferenceLogs {
    odds: f64,
    ratio: f64,
}

/// Most terms [`Valuer::discounted_and_expected_with`] takes from an
/// age's moments before it falls back to a series per horizon.
pub const MAX_SHARED_TERMS: usize = 1024;

/// What D(x, T) and H(x, T, horizon) share across x at one age T. With
/// `out_k = c (lead_k - scale_k S(z_k))` the expectation at period end k
/// ([`BgNbd::expected_if_alive`], `S(z) = Σ_n c_n z^n` with coefficients
/// that depend on x only) and `w_k = d_k - d_{k+1}` (`d_{K+1} = 0`):
///
/// `D = Σ_k w_k out_k = c (Σ_k w_k lead_k - Σ_n c_n m_n)`, `m_n = Σ_k w_k scale_k z_k^n`
///
/// The moments `m_n` depend on the age only, so each x costs one dot
/// product with them instead of a series per period end; H at `horizon`
/// is one dot product with the powers of its z. Moments and powers are
/// computed as far as some x needs them.
#[derive(Debug, Clone)]
pub struct AgeSums {
    /// Σ_k w_k lead_k.
    lead: f64,
    /// Per period end with a positive horizon: w_k scale_k, z_k, z_k^n.
    weights: Vec<f64>,
    z: Vec<f64>,
    powers: Vec<f64>,
    /// m_1, m_2, ...
    moments: Vec<f64>,
    /// Per period end: the moments past this many leave it out.
    lasts: Vec<usize>,
    /// The largest z_k: the series' rate of convergence.
    z_max: f64,
    /// lead, scale and z at `horizon`, if it is positive.
    expected: Option<(f64, f64, f64)>,
    /// z, z^2, ... at `horizon`.
    z_powers: Vec<f64>,
    /// The per-horizon parts, for the fallback.
    at: AtHorizons,
}

#[derive(Clone, Copy)]
enum Sum {
    Discounted,
    Expected,
}

impl AgeSums {
    /// Moments or powers up to n = `len`.
    fn extend(&mut self, which: Sum, len: usize) {
        match which {
            Sum::Discounted => {
                // Period end by period end, each only as far as its share
                // can matter: w_k z_k^n against the largest w z_max^n falls
                // as (z_k / z_max)^n, and past `lasts[k]` it is below 1e-18.
                let from = self.moments.len();
                if from >= len {
                    return;
                }
                self.moments.resize(len, 0.0);
                for k in 0..self.powers.len() {
                    let (z, w) = (self.z[k], self.weights[k]);
                    let end = len.min(self.lasts[k]);
                    let mut p = self.powers[k];
                    for m in self.moments[from.min(end)..end].iter_mut() {
                        p *= z;
                        *m += w * p;
                    }
                    self.powers[k] = p;
                }
            }
            Sum::Expected => {
                let z = self.expected.map_or(0.0, |e| e.2);
                while self.z_powers.len() < len {
                    let last = self.z_powers.last().copied().unwrap_or(1.0);
                    self.z_powers.push(last * z);
                }
            }
        }
    }
}

/// `Σ_n c_n m_n` (or `Σ_n c_n z^n`) to [`hyp_tail`]'s stopping rule at
/// the sum's largest z; `None` past [`MAX_SHARED_TERMS`] terms.
///
/// [`hyp_tail`]: crate::special::hyp_tail
fn dot_series(coefficients: &mut Coefficients, sums: &mut AgeSums, which: Sum) -> Option<f64> {
    const CHUNK: usize = 32;
    let z = match which {
        Sum::Discounted => sums.z_max,
        Sum::Expected => sums.expected.map_or(0.0, |e| e.2),
    };
    let eps = 1e-17 * (1.0 - z).max(1e-12);
    let mut sum = 0.0;
    let mut n = 0;
    while n < MAX_SHARED_TERMS {
        let end = n + CHUNK;
        sums.extend(which, end);
        let terms = match which {
            Sum::Discounted => &sums.moments[n..end],
            Sum::Expected => &sums.z_powers[n..end],
        };
        // Eight terms at a time, the rule tested on the last of each eight:
        // a few terms past where a term-by-term test would stop, each
        // below the rounding of the sum.
        for (cs, ms) in coefficients.first(end)[n..]
            .chunks_exact(8)
            .zip(terms.chunks_exact(8))
        {
            let mut block = 0.0;
            for (&c, &m) in cs.iter().zip(ms) {
                block += c * m;
            }
            sum += block;
            let last = cs[7] * ms[7];
            if last.abs() <= eps * sum.abs() || last == 0.0 {
                return Some(sum);
            }
        }
        n = end;
    }
    None
}

impl Valuer {
    pub fn new(bg: BgNbd, gg: GammaGamma, step: f64, periods: u32, rate: f64) -> Self {
        let discounts = (1..=periods)
            .map(|k| (1.0 + rate).powi(-(k as i32)))
            .collect();
        Self {
            bg,
            gg,
            step,
            discounts,
        }
    }

    /// D(x, T): discounted expected purchases over the CLV horizon of a
    /// customer alive at T.
    pub fn discounted_if_alive(&self, x: f64, age: f64) -> f64 {
        self.discounted_and_expected(x, age, 0.0).0
    }

    /// D(x, T) and H(x, T, `horizon`), the expected purchases in
    /// (T, T + `horizon`] of a customer alive at T, from one pass over the
    /// hypergeometric series of every period end and `horizon`
    /// ([`BgNbd::expected_if_alive_many`]). The values are bit for bit
    /// those of one [`BgNbd::expected_if_alive`] per horizon.
    pub fn discounted_and_expected(&self, x: f64, age: f64, horizon: f64) -> (f64, f64) {
        let mut sums = self.age_sums(age, horizon);
        self.discounted_and_expected_with(&mut self.coefficients(x), x, &mut sums)
    }

    /// The coefficients of the hypergeometric series at x (see
    /// [`Self::discounted_and_expected_with`]).
    pub fn coefficients(&self, x: f64) -> Coefficients {
        let BgNbd { r, a, b, .. } = self.bg;
        Coefficients::new(a + b - 1.0 - r, a, a + b + x - 1.0)
    }

    /// What D and H at `age` share across x ([`AgeSums`]), for the period
    /// ends of [`Self::horizons`] and `horizon`.
    pub fn age_sums(&self, age: f64, horizon: f64) -> AgeSums {
        let at = self.bg.at_horizons(age, &self.horizons(horizon));
        let k = self.discounts.len();
        let mut sums = AgeSums {
            lead: 0.0,
            weights: Vec::with_capacity(k),
            z: Vec::with_capacity(k),
            powers: Vec::with_capacity(k),
            moments: Vec::new(),
            lasts: Vec::with_capacity(k),
            z_max: 0.0,
            expected: None,
            z_powers: Vec::new(),
            at,
        };
        for i in 0..k {
            if sums.at.zero[i] {
                continue;
            }
            // D = Σ_k d_k (out_k - out_{k-1}) = Σ_k (d_k - d_{k+1}) out_k.
            let w = self.discounts[i] - self.discounts.get(i + 1).copied().unwrap_or(0.0);
            sums.lead += w * sums.at.lead[i];
            sums.weights.push(w * sums.at.scale[i]);
            sums.z.push(sums.at.z[i]);
            sums.powers.push(1.0);
            sums.z_max = sums.z_max.max(sums.at.z[i]);
        }
        if !sums.at.zero[k] {
            sums.expected = Some((sums.at.lead[k], sums.at.scale[k], sums.at.z[k]));
        }
        let w_max = sums.weights.iter().fold(0.0f64, |m, &w| m.max(w));
        for (&z, &w) in sums.z.iter().zip(&sums.weights) {
            // The n past which w z^n < 1e-18 w_max z_max^n.
            let fall = (z / sums.z_max).libm_ln();
            let room = (1e-18 * w_max / w).libm_ln();
            let last = if z >= sums.z_max || !fall.is_finite() || fall >= 0.0 || !room.is_finite() {
                usize::MAX
            } else {
                (room / fall).ceil().clamp(1.0, 1e9) as usize
            };
            sums.lasts.push(last);
        }
        sums
    }

    /// D(x, T) and H(x, T, horizon) from the age's `sums` and the series'
    /// coefficients at x (`coefficients`, replaced when they are not x's):
    /// a dot product each of the coefficients with the age's moments
    /// instead of a series per period end. Falls back to the series per
    /// horizon ([`Self::discounted_and_expected_at`]) for a sum that needs
    /// more than [`MAX_SHARED_TERMS`] terms (horizons hundreds of times
    /// the customer's age).
    pub fn discounted_and_expected_with(
        &self,
        coefficients: &mut Coefficients,
        x: f64,
        sums: &mut AgeSums,
    ) -> (f64, f64) {
        let BgNbd { r, a, b, .. } = self.bg;
        let c = a + b + x - 1.0;
        if !coefficients.is_for(a + b - 1.0 - r, a, c) {
            *coefficients = self.coefficients(x);
        }
        // The series per horizon, computed at most once for both sums.
        let mut fallback = None;
        let mut old = |sums: &AgeSums| {
            *fallback.get_or_insert_with(|| {
                self.discounted_and_expected_at(&mut self.bg.tail_ratios(x), x, &sums.at)
            })
        };
        let discounted = match dot_series(coefficients, sums, Sum::Discounted) {
            Some(s) => c * (sums.lead - s),
            None => old(sums).0,
        };
        let expected = match sums.expected {
            None => 0.0,
            Some((lead, scale, _)) => match dot_series(coefficients, sums, Sum::Expected) {
                Some(s) => c * (lead - scale * s),
                None => old(sums).1,
            },
        };
        (discounted, expected)
    }

    /// The horizons D and H need at every age: each period end of the CLV
    /// sum, then `horizon`.
    pub fn horizons(&self, horizon: f64) -> Vec<f64> {
        let k = self.discounts.len();
        let mut ts: Vec<f64> = (0..k).map(|i| (i + 1) as f64 * self.step).collect();
        ts.push(horizon);
        ts
    }

    /// D and H at x and an age's parts `h` ([`BgNbd::at_horizons`] at
    /// [`Self::horizons`]) by a series per horizon: the fallback of
    /// [`Self::discounted_and_expected_with`], and its reference in tests.
    pub fn discounted_and_expected_at(
        &self,
        ratios: &mut TailRatios,
        x: f64,
        h: &AtHorizons,
    ) -> (f64, f64) {
        let k = self.discounts.len();
        let mut on_stack = [0.0f64; 32];
        let mut on_heap = Vec::new();
        let hs: &mut [f64] = if k < on_stack.len() {
            &mut on_stack[..=k]
        } else {
            on_heap.resize(k + 1, 0.0);
            &mut on_heap
        };
        self.bg.expected_if_alive_at(ratios, x, h, hs);
        let mut prev = 0.0;
        let mut total = 0.0;
        for (h, disc) in hs.iter().zip(&self.discounts) {
            total += (h - prev) * disc;
            prev = *h;
        }
        (total, hs[k])
    }

    /// The lifetime value of factors `f` given D(x, T) = `d`.
    pub fn clv_with(&self, f: &Factors, d: f64) -> f64 {
        self.clv_given(self.bg.p_alive(f.history()), f, d)
    }

    /// [`Self::clv_with`] given also P(alive) of `f`'s history, for callers
    /// that share it between customers.
    pub fn clv_given(&self, alive: f64, f: &Factors, d: f64) -> f64 {
        alive * self.gg.conditional_mean(f.frequency, f.spend) * d
    }

    /// The lifetime value of factors `f`.
    pub fn clv(&self, f: &Factors) -> f64 {
        self.clv_with(f, self.discounted_if_alive(f.frequency, f.age))
    }

    /// Shapley contributions of (frequency, recency, age, spend) to
    /// `clv(customer) - clv(reference)`: each factor's marginal effect of
    /// switching from the reference's value to the customer's, averaged
    /// over the 24 orders of switching. They sum to that difference
    /// exactly (up to rounding). `d(x, T)` gives D(x, T), typically from a
    /// cache, since D is the costly part and depends only on (x, T).
    pub fn shapley(
        &self,
        c: &Factors,
        r: &Factors,
        d: &mut impl FnMut(f64, f64) -> f64,
    ) -> [f64; 4] {
        // D depends only on (x, T): four combinations cover all 16 subsets.
        let ds = [
            [d(r.frequency, r.age), d(r.frequency, c.age)],
            [d(c.frequency, r.age), d(c.frequency, c.age)],
        ];
        self.shapley_with(c, r, &self.alive_corners(c, r), &ds)
    }

    /// P(alive) at the 8 combinations of the customer's (bit set) and the
    /// reference's frequency (bit 0), recency (bit 1) and age (bit 2):
    /// the part of [`Self::shapley`] that depends on the history only, so
    /// customers with the same history can share it. Entry 7 is the
    /// customer's own P(alive).
    pub fn alive_corners(&self, c: &Factors, r: &Factors) -> [f64; 8] {
        self.alive_corners_with(c, r, &self.reference_logs(r))
    }

    /// The logarithms of [`Self::alive_corners`] that depend on the
    /// reference only, computed once for every customer scored against it.
    pub fn reference_logs(&self, r: &Factors) -> ReferenceLogs {
        ReferenceLogs {
            odds: self.odds_log(r.frequency),
            ratio: self.ratio_log(r, r),
        }
    }

    /// ln(a / (b+x-1)) for x > 0, else 0.
    fn odds_log(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else {
            (self.bg.a / (self.bg.b + x - 1.0)).libm_ln()
        }
    }

    /// ln((α+T)/(α+t_x)) of the history with `recency`'s recency and
    /// `age`'s age.
    fn ratio_log(&self, recency: &Factors, age: &Factors) -> f64 {
        let h = Factors {
            frequency: 0.0,
            recency: recency.recency,
            age: age.age,
            spend: 0.0,
        }
        .history();
        ((self.bg.alpha + h.t) / (self.bg.alpha + h.t_x)).libm_ln()
    }

    /// [`Self::alive_corners`] given the reference's own logarithms.
    pub fn alive_corners_with(&self, c: &Factors, r: &Factors, logs: &ReferenceLogs) -> [f64; 8] {
        // P(alive) = 1 / (1 + exp(ln(a / (b+x-1)) + (r+x) ln((α+T)/(α+t_x))))
        // for x > 0, else 1 (`BgNbd::p_alive`). Its first logarithm
        // depends on the frequency only and its second on recency and age
        // only, so the 8 corners need 2 + 4 logarithms rather than 16, of
        // which the reference's own (one of each) are shared by every
        // customer; each is the same expression on the same operands as
        // in `p_alive`, so the corners are the same bits.
        let shape = self.bg.r;
        let xs = [r.frequency, c.frequency];
        if xs.iter().all(|&x| x <= 0.0) {
            return [1.0; 8];
        }
        let odds = [logs.odds, self.odds_log(c.frequency)];
        let ratio = |recency: &Factors, age: &Factors| self.ratio_log(recency, age);
        // Index: bit 0 recency, bit 1 age from the customer.
        let ln_ratio = [logs.ratio, ratio(c, r), ratio(r, c), ratio(c, c)];
        let mut alive = [1.0; 8];
        for (mask, slot) in alive.iter_mut().enumerate() {
            let own = mask & 1;
            let x = xs[own];
            if x <= 0.0 {
                continue;
            }
            let log_odds = odds[own] + (shape + x) * ln_ratio[mask >> 1];
            *slot = 1.0 / (1.0 + log_odds.libm_exp());
        }
        alive
    }

    /// [`Self::shapley`] from the customer's [`Self::alive_corners`] and
    /// D at `ds[x from the customer][T from the customer]`.
    pub fn shapley_with(
        &self,
        c: &Factors,
        r: &Factors,
        alive: &[f64; 8],
        ds: &[[f64; 2]; 2],
    ) -> [f64; 4] {
        // Masks: bit 0 frequency, 1 recency, 2 age, 3 spend from the
        // customer. P(alive) depends on the first three factors only (8
        // combinations) and the expected spend on frequency and spend (4),
        // so each is computed once and the 16 values are products, the
        // same products `clv_with` forms.
        let pick = |mask: usize, bit: usize, own: f64, reference: f64| {
            if mask & (1 << bit) != 0 {
                own
            } else {
                reference
            }
        };
        // Index: bit 0 frequency, bit 1 spend.
        let mut spend = [0.0; 4];
        for (i, slot) in spend.iter_mut().enumerate() {
            *slot = self.gg.conditional_mean(
                pick(i, 0, c.frequency, r.frequency),
                pick(i, 1, c.spend, r.spend),
            );
        }
        // The value of coalition `mask`.
        let v = |mask: usize| {
            let d = ds[usize::from(mask & 1 != 0)][usize::from(mask & 4 != 0)];
            alive[mask & 7] * spend[(mask & 1) | ((mask >> 3) << 1)] * d
        };
        // All 16 values once, each a plain local (every index below is a
        // constant): a loop over masks would form each value four times,
        // and a table indexed at run time would live in linear memory in
        // the sandbox, where every write is a checked store.
        let v0 = v(0);
        let v1 = v(1);
        let v2 = v(2);
        let v3 = v(3);
        let v4 = v(4);
        let v5 = v(5);
        let v6 = v(6);
        let v7 = v(7);
        let v8 = v(8);
        let v9 = v(9);
        let v10 = v(10);
        let v11 = v(11);
        let v12 = v(12);
        let v13 = v(13);
        let v14 = v(14);
        let v15 = v(15);
        // Weight of a coalition of size s (not containing i) among 4
        // players: s! (3 - s)! / 4!. Each sum runs over the coalitions
        // without player i in ascending mask order, as a loop over masks
        // would, so the rounding is the same.
        const W0: f64 = 6.0 / 24.0;
        const W1: f64 = 2.0 / 24.0;
        const W2: f64 = 2.0 / 24.0;
        const W3: f64 = 6.0 / 24.0;
        // Left to right from 0, as the loop `p += w * (with - without)`
        // adds them.
        [
            // Frequency (bit 0): masks 0, 2, 4, 6, 8, 10, 12, 14.
            0.0 + W0 * (v1 - v0)
                + W1 * (v3 - v2)
                + W1 * (v5 - v4)
                + W2 * (v7 - v6)
                + W1 * (v9 - v8)
                + W2 * (v11 - v10)
                + W2 * (v13 - v12)
                + W3 * (v15 - v14),
            // Recency (bit 1): masks 0, 1, 4, 5, 8, 9, 12, 13.
            0.0 + W0 * (v2 - v0)
                + W1 * (v3 - v1)
                + W1 * (v6 - v4)
                + W2 * (v7 - v5)
                + W1 * (v10 - v8)
                + W2 * (v11 - v9)
                + W2 * (v14 - v12)
                + W3 * (v15 - v13),
            // Age (bit 2): masks 0, 1, 2, 3, 8, 9, 10, 11.
            0.0 + W0 * (v4 - v0)
                + W1 * (v5 - v1)
                + W1 * (v6 - v2)
                + W2 * (v7 - v3)
                + W1 * (v12 - v8)
                + W2 * (v13 - v9)
                + W2 * (v14 - v10)
                + W3 * (v15 - v11),
            // Spend (bit 3): masks 0, 1, 2, 3, 4, 5, 6, 7.
            0.0 + W0 * (v8 - v0)
                + W1 * (v9 - v1)
                + W1 * (v10 - v2)
                + W2 * (v11 - v3)
                + W1 * (v12 - v4)
                + W2 * (v13 - v5)
                + W2 * (v14 - v6)
                + W3 * (v15 - v7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valuer(a: f64, step: f64, periods: u32) -> Valuer {
        let bg = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a,
            b: 2.426,
        };
        let gg = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        Valuer::new(bg, gg, step, periods, 0.01)
    }

    /// D and H from an age's moments agree with a series per horizon
    /// (`discounted_and_expected_at`) to rounding: for x from 0 to large,
    /// ages from 0 (where z comes close to 1 and the sums fall back to the
    /// series per horizon) to long, `a` at and near 1, and horizons of 0.
    #[test]
    fn moments_agree_with_a_series_per_horizon() {
        let mut fell_back = 0;
        for (a, step, periods) in [(0.793, 4.35, 12), (1.0, 4.35, 12), (0.4, 1.0, 3)] {
            let v = valuer(a, step, periods);
            for age in [0.0, 0.5, 12.0, 38.86, 400.0] {
                for horizon in [0.0, 52.0, 5_000.0] {
                    let mut sums = v.age_sums(age, horizon);
                    let mut coefficients = v.coefficients(0.0);
                    for x in [0.0, 1.0, 2.0, 7.0, 60.0] {
                        let (d, h) =
                            v.discounted_and_expected_with(&mut coefficients, x, &mut sums);
                        let at = v.bg.at_horizons(age, &v.horizons(horizon));
                        let (d0, h0) =
                            v.discounted_and_expected_at(&mut v.bg.tail_ratios(x), x, &at);
                        let close = |p: f64, q: f64| (p - q).abs() <= 1e-12 * q.abs().max(1e-300);
                        assert!(close(d, d0), "D a={a} T={age} x={x}: {d} vs {d0}");
                        assert!(
                            close(h, h0),
                            "H a={a} T={age} x={x} h={horizon}: {h} vs {h0}"
                        );
                        if horizon == 0.0 {
                            assert_eq!(h, 0.0);
                        }
                    }
                    if sums.moments.len() >= MAX_SHARED_TERMS
                        || sums.z_powers.len() >= MAX_SHARED_TERMS
                    {
                        fell_back += 1;
                    }
                }
            }
        }
        assert!(fell_back > 0, "no case reached the fallback");
    }
}
