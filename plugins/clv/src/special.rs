//! Special functions the models need: log-gamma and the elementary
//! functions (from `libm`, so every target gives the same bits), digamma,
//! and the one Gauss hypergeometric series the BG/NBD expectations reduce
//! to, in a form that stays accurate for any parameters (no division by
//! `a - 1`, no `1 - huge * tiny`).

/// `ln`, `exp` and `ln(1 + x)` from `libm`, a pure-Rust port of musl's,
/// as methods. std's `f64::ln`, `exp` and `ln_1p` call the platform's C
/// library (glibc natively, wasi-libc in the sandbox), whose results can
/// differ in the last bit; with these, a native build and the sandboxed
/// component compute the same bits, down to a customer whose value ties a
/// band cut point.
pub trait Libm {
    fn libm_ln(self) -> f64;
    fn libm_exp(self) -> f64;
    fn libm_ln_1p(self) -> f64;
}

impl Libm for f64 {
    fn libm_ln(self) -> f64 {
        libm::log(self)
    }

    fn libm_exp(self) -> f64 {
        libm::exp(self)
    }

    fn libm_ln_1p(self) -> f64 {
        libm::log1p(self)
    }
}

/// `ln Γ(x)` for `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b)`.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`: the recurrence
/// `ψ(x) = ψ(x + 1) - 1/x` moves the argument to at least 10, where the
/// asymptotic series is accurate to about 1e-15.
pub fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // ψ(x) ~ ln x - 1/(2x) - Σ B_2k / (2k x^2k)
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0))))));
    acc + x.libm_ln() - 0.5 * inv - series
}

/// `x^n` for a whole `n` by repeated squaring, in a fixed order of
/// operations (so every target computes the same bits; `f64::powi` may
/// be expanded differently by the compiler on different targets).
pub fn pow_int(mut x: f64, mut n: u32) -> f64 {
    let mut acc = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            acc *= x;
        }
        n >>= 1;
        if n > 0 {
            x *= x;
        }
    }
    acc
}

/// The logarithm of a long product, kept as a mantissa in [1, 2) and a
/// binary exponent so that it never overflows: `Σ ln v` over thousands of
/// factors for the price of one logarithm, instead of one each. Factors
/// outside [1e-300, 1e300] are logged one by one.
#[derive(Debug, Clone, Copy)]
pub struct LogProduct {
    mantissa: f64,
    exponent: i64,
    logged: f64,
}

impl Default for LogProduct {
    fn default() -> Self {
        Self {
            mantissa: 1.0,
            exponent: 0,
            logged: 0.0,
        }
    }
}

impl LogProduct {
    /// Multiplies by `v > 0`.
    #[inline]
    pub fn mul(&mut self, v: f64) {
        if !(1e-300..=1e300).contains(&v) {
            self.logged += v.libm_ln();
            return;
        }
        // mantissa < 2 and v <= 1e300: the product is a normal number.
        let bits = (self.mantissa * v).to_bits();
        self.exponent += ((bits >> 52) & 0x7ff) as i64 - 1023;
        self.mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52));
    }

    /// Adds `ln(v)` directly (for factors better logged one by one).
    pub fn add_ln(&mut self, ln_v: f64) {
        self.logged += ln_v;
    }

    /// The logarithm of the product.
    pub fn ln(&self) -> f64 {
        self.mantissa.libm_ln() + self.exponent as f64 * std::f64::consts::LN_2 + self.logged
    }
}

/// `expm1(e) / e`, equal to 1 at `e = 0` and accurate near it.
pub fn expm1_ratio(e: f64) -> f64 {
    if e == 0.0 {
        1.0
    } else {
        libm::expm1(e) / e
    }
}

/// Most terms a series may take before it is cut off. The series here
/// converge at least as fast as `z^n`; this many terms are only reached for
/// `z` within about 1e-4 of 1 (horizons thousands of times the customer's
/// age plus `α`), where the answer is still accurate to about 1e-10.
const MAX_TERMS: usize = 200_000;

/// `S = Σ_{n≥1} (A)_n (a)_{n-1} / ((C)_n n!) z^n` for `0 <= z < 1`, `C > 0`,
/// `a > 0`. With it, `2F1(A, a - 1; C; z) = 1 + (a - 1) S` exactly, which
/// lets the BG/NBD expectations divide by `a - 1` analytically.
pub fn hyp_tail(big_a: f64, a: f64, c: f64, z: f64) -> f64 {
    if z <= 0.0 {
        return 0.0;
    }
    let mut term = big_a / c * z;
    let mut sum = term;
    // Stop once a term is negligible against the sum, scaled by the
    // geometric bound on what remains (the ratio of terms tends to z).
    let eps = 1e-17 * (1.0 - z).max(1e-12);
    let mut n = 1.0;
    for _ in 0..MAX_TERMS {
        term *= (big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() <= eps * sum.abs() || term == 0.0 {
            break;
        }
        n += 1.0;
    }
    sum
}

/// The ratios of consecutive terms of [`hyp_tail`]'s series without their
/// factor `z`, `(A + n)(a + n - 1) / ((C + n)(n + 1))` for n = 1, 2, ...:
/// they depend on `A`, `a` and `C` only, so every `z` of the same customer
/// (one per CLV period end) and of every customer with the same x (whose
/// ages differ) shares them. Each is computed once, when a series first
/// needs it, and each series then runs on its own with its term and sum
/// in registers: the same operations on the same operands as
/// [`hyp_tail`], so the same bits.
#[derive(Debug, Clone)]
pub struct TailRatios {
    big_a: f64,
    a: f64,
    c: f64,
    ratios: Vec<f64>,
}

/// Whether `(big_a, a, c)` are `params` to the bit.
fn same_params(params: [f64; 3], big_a: f64, a: f64, c: f64) -> bool {
    params
        .iter()
        .zip([big_a, a, c])
        .all(|(p, q)| p.to_bits() == q.to_bits())
}

impl TailRatios {
    pub fn new(big_a: f64, a: f64, c: f64) -> Self {
        Self {
            big_a,
            a,
            c,
            ratios: Vec::new(),
        }
    }

    /// Whether these are the ratios of (`big_a`, `a`, `c`).
    pub fn is_for(&self, big_a: f64, a: f64, c: f64) -> bool {
        same_params([self.big_a, self.a, self.c], big_a, a, c)
    }

    /// Computes the ratios up to step `k` (0-based, n = k + 1).
    #[cold]
    fn extend_to(&mut self, k: usize) {
        let (big_a, a, c) = (self.big_a, self.a, self.c);
        // At least 64 more at a time; n counts in f64 as the series does
        // (exact for every n reached).
        let want = (k + 1).max(self.ratios.len() + 64).min(MAX_TERMS);
        let mut n = self.ratios.len() as f64 + 1.0;
        while self.ratios.len() < want {
            self.ratios
                .push((big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)));
            n += 1.0;
        }
    }

    /// [`hyp_tail`]`(A, a, C, z)`, bit for bit.
    pub fn tail(&mut self, z: f64) -> f64 {
        if z <= 0.0 {
            return 0.0;
        }
        let mut term = self.big_a / self.c * z;
        let mut sum = term;
        let eps = 1e-17 * (1.0 - z).max(1e-12);
        // Over the ratios computed so far, then more of them. The loop
        // reads a slice four ratios at a time, without a length check per
        // term, and tests every term as the series does: the same
        // operations in the same order, with a quarter of the loop's own
        // overhead (in the sandbox, its fuel and deadline checks too).
        let step = |term: &mut f64, sum: &mut f64, ratio: f64| {
            *term *= ratio * z;
            *sum += *term;
            term.abs() <= eps * sum.abs() || *term == 0.0
        };
        let mut k = 0;
        loop {
            let rest = &self.ratios[k..];
            let mut fours = rest.chunks_exact(4);
            for q in &mut fours {
                if step(&mut term, &mut sum, q[0])
                    || step(&mut term, &mut sum, q[1])
                    || step(&mut term, &mut sum, q[2])
                    || step(&mut term, &mut sum, q[3])
                {
                    return sum;
                }
            }
            for &ratio in fours.remainder() {
                if step(&mut term, &mut sum, ratio) {
                    return sum;
                }
            }
            k += rest.len();
            if k >= MAX_TERMS {
                return sum;
            }
            self.extend_to(k);
        }
    }
}

/// The coefficients of [`hyp_tail`]'s series, `S(z) = Σ_{n≥1} c_n z^n`
/// with `c_1 = A / C` and `c_{n+1} = c_n (A + n)(a + n - 1) / ((C + n)(n + 1))`,
/// computed as far as they are asked for. They depend on `A`, `a` and `C`
/// only, so every age and horizon of the same x shares them.
#[derive(Debug, Clone)]
pub struct Coefficients {
    big_a: f64,
    a: f64,
    c: f64,
    values: Vec<f64>,
}

impl Coefficients {
    pub fn new(big_a: f64, a: f64, c: f64) -> Self {
        Self {
            big_a,
            a,
            c,
            values: Vec::new(),
        }
    }

    /// Whether these are the coefficients of (`big_a`, `a`, `c`).
    pub fn is_for(&self, big_a: f64, a: f64, c: f64) -> bool {
        same_params([self.big_a, self.a, self.c], big_a, a, c)
    }

    /// The first `n` coefficients (`c_1` first).
    pub fn first(&mut self, n: usize) -> &[f64] {
        if self.values.len() < n {
            let (big_a, a, c) = (self.big_a, self.a, self.c);
            let want = n.max(self.values.len() + 64);
            if self.values.is_empty() {
                self.values.push(big_a / c);
            }
            let mut k = self.values.len() as f64;
            while self.values.len() < want {
                let last = self.values[self.values.len() - 1];
                self.values
                    .push(last * ((big_a + k) * (a + k - 1.0) / ((c + k) * (k + 1.0))));
                k += 1.0;
            }
        }
        &self.values[..n]
    }
}

/// [`hyp_tail`] at several `z` with the same `A`, `a` and `C`:
/// `out[k] = hyp_tail(big_a, a, c, zs[k])`, bit for bit, sharing the ratio
/// of consecutive terms between them (see [`TailRatios`]).
pub fn hyp_tails(big_a: f64, a: f64, c: f64, zs: &[f64], out: &mut [f64]) {
    let mut ratios = TailRatios::new(big_a, a, c);
    for (&z, o) in zs.iter().zip(out.iter_mut()) {
        *o = ratios.tail(z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = -γ (Euler–Mascheroni), ψ(1/2) = -γ - 2 ln 2, ψ(10) by recurrence.
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-14);
        assert!((digamma(0.5) + euler + 2.0 * std::f64::consts::LN_2).abs() < 1e-14);
        let psi10 = -euler + (1..10).map(|k| 1.0 / f64::from(k)).sum::<f64>();
        assert!((digamma(10.0) - psi10).abs() < 1e-14);
        // Derivative of ln Γ by central differences at a few points.
        for x in [0.05f64, 0.3, 2.5, 17.0, 400.0] {
            let h = 1e-5 * x.max(1.0);
            let fd = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!((digamma(x) - fd).abs() < 1e-6 * (1.0 + fd.abs()), "x={x}");
        }
    }

    #[test]
    fn hyp_tail_reproduces_closed_forms() {
        // With A = a = C = 1 the terms are (1)_n (1)_{n-1} / ((1)_n n!) z^n
        // = z^n / n, so S = -ln(1 - z).
        for z in [0.1, 0.5, 0.9, 0.99] {
            let s = hyp_tail(1.0, 1.0, 1.0, z);
            assert!((s + (1.0f64 - z).libm_ln()).abs() < 1e-12, "z={z}: {s}");
        }
        // 2F1(A, a-1; C; z) with a - 1 = -1 is the polynomial 1 - A z / C.
        let (big_a, c, z) = (2.5, 4.0, 0.7);
        let s = hyp_tail(big_a, 0.0, c, z);
        assert!(((1.0 - s) - (1.0 - big_a * z / c)).abs() < 1e-15);
        assert_eq!(hyp_tail(2.0, 0.5, 3.0, 0.0), 0.0);
    }

    #[test]
    fn hyp_tails_equals_hyp_tail_bit_for_bit() {
        let zs = [0.0, 0.05, 0.3, 0.55, 0.8, 0.93, 0.999, 0.5];
        for (big_a, a, c) in [(2.97, 0.79, 2.22), (0.5, 1.0, 7.5), (3.2, 0.2, 40.0)] {
            let mut out = [f64::NAN; 8];
            hyp_tails(big_a, a, c, &zs, &mut out);
            for (z, o) in zs.iter().zip(out) {
                assert_eq!(o.to_bits(), hyp_tail(big_a, a, c, *z).to_bits(), "z={z}");
            }
        }
    }

    #[test]
    fn shared_ratios_give_hyp_tail_bit_for_bit() {
        // One set of ratios across series of different lengths, in an
        // order where later series need fewer, then more, terms than
        // the ratios computed so far.
        let (big_a, a, c) = (2.97, 0.79, 2.22);
        let mut ratios = TailRatios::new(big_a, a, c);
        assert!(ratios.is_for(big_a, a, c) && !ratios.is_for(big_a, a, 2.23));
        for z in [0.3, 0.9999, 0.05, 0.0, 0.6, 0.99999] {
            assert_eq!(
                ratios.tail(z).to_bits(),
                hyp_tail(big_a, a, c, z).to_bits(),
                "z={z}"
            );
        }
    }

    #[test]
    fn pow_int_and_log_products_agree_with_logs() {
        for (x, n) in [(1.5, 0u32), (1.5, 1), (0.3, 7), (9.75, 33), (1.0001, 1000)] {
            let want = (n as f64 * x.libm_ln()).libm_exp();
            assert!((pow_int(x, n) - want).abs() <= 1e-13 * want, "{x}^{n}");
        }
        let factors = [3.5, 1e-310, 2.0, 7e299, 1e299, 0.001, 1e305, 1.0];
        let mut p = LogProduct::default();
        for v in factors {
            p.mul(v);
        }
        p.add_ln(0.25);
        let want: f64 = factors.iter().map(|v| v.libm_ln()).sum::<f64>() + 0.25;
        assert!(
            (p.ln() - want).abs() < 1e-12 * want.abs(),
            "{} {want}",
            p.ln()
        );
    }

    #[test]
    fn expm1_ratio_is_continuous_at_zero() {
        assert_eq!(expm1_ratio(0.0), 1.0);
        assert!((expm1_ratio(1e-12) - 1.0).abs() < 1e-11);
        assert!((expm1_ratio(1.0) - (std::f64::consts::E - 1.0)).abs() < 1e-15);
    }
}
