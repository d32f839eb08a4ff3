//! The generator's own pseudo-random numbers and samplers.
//!
//! Reproducibility is a feature of this crate ("same seed, byte-identical
//! files"), so nothing here depends on the `rand` crate, whose algorithms and
//! sampler implementations may change between versions. Instead:
//!
//! - [`SplitMix64`] (Steele, Lea & Flood 2014; Vigna's reference C code) turns
//!   a 64-bit key into well-mixed seed material;
//! - [`Rng`] is xoshiro256** 1.0 (Blackman & Vigna 2018), seeded from four
//!   SplitMix64 outputs as its authors recommend;
//! - [`stream`] derives an independent generator from (seed, entity index,
//!   purpose tag), so every customer's data depends only on the seed and that
//!   customer's index, never on how many numbers earlier customers consumed.
//!
//! The samplers are the textbook ones, written out so that their output is
//! pinned by this file alone: uniform from the top 53 bits, normal by
//! Marsaglia's polar method, exponential by inversion, gamma by
//! Marsaglia & Tsang (2000) with the `U^(1/k)` boost for shape `k < 1`, beta
//! as a ratio of gammas, Poisson by sequential inversion.

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment and
/// finalised by a variant of MurmurHash3's mixer.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function applied to one value: a strong 64-bit mixer,
/// used to hash (seed, index, tag) into a stream key.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A generator whose state starts at `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next output, exactly as Vigna's `splitmix64.c`.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }
}

/// xoshiro256** with a cached spare normal deviate for the polar method.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator with the given raw state. An all-zero state is a fixed
    /// point of xoshiro, so it is replaced by SplitMix64 output of 0.
    pub fn from_state(s: [u64; 4]) -> Rng {
        if s == [0; 4] {
            return Rng::from_seed(0);
        }
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// Seeds the state with four consecutive SplitMix64 outputs, the
    /// seeding procedure recommended by xoshiro's authors.
    pub fn from_seed(seed: u64) -> Rng {
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        // Four consecutive SplitMix64 outputs are never all zero (the output
        // function is a bijection of distinct states), so no check needed.
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// The next 64 random bits (xoshiro256** 1.0).
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on the open interval (0, 1): the top 53 bits plus one half,
    /// so that `ln(u)` and `1/u` are always finite.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in `[0, n)`; 0 when `n` is 0. Lemire's multiply-shift
    /// without the rejection step: the bias is at most `n / 2^64`, irrelevant
    /// for synthetic data, and every call takes exactly one draw, which keeps
    /// streams easy to reason about.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `[lo, hi]` (inclusive).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// One element of a slice, uniformly. Callers pass embedded tables that
    /// are never empty (an empty one would be a programming error and panic).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// An index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Standard normal by Marsaglia's polar method; the second deviate of
    /// each accepted pair is cached for the next call.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// Exponential with the given rate (mean `1/rate`), by inversion.
    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }

    /// Gamma with `shape` and `rate` (mean `shape/rate`), by Marsaglia &
    /// Tsang; for `shape < 1`, `Gamma(shape + 1) * U^(1/shape)`.
    pub fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        self.standard_gamma(shape) / rate
    }

    fn standard_gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let g = self.standard_gamma(shape + 1.0);
            return g * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// Beta(a, b) as `X / (X + Y)` with `X ~ Gamma(a)`, `Y ~ Gamma(b)`.
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.standard_gamma(a);
        let y = self.standard_gamma(b);
        let s = x + y;
        if s > 0.0 {
            x / s
        } else {
            // Both gammas underflowed (only possible for tiny shapes): fall
            // back to the mean rather than dividing zero by zero.
            a / (a + b)
        }
    }

    /// Poisson with the given mean, by sequential inversion of the CDF. Used
    /// only for small means (well below 100), where this is exact and fast.
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        let u = self.uniform();
        let mut k = 0u64;
        let mut p = (-mean).exp();
        let mut cdf = p;
        while u > cdf && k < 10_000 {
            k += 1;
            p *= mean / k as f64;
            cdf += p;
            if p == 0.0 && cdf < u {
                // Floating-point tail exhausted; the remaining mass is below
                // machine precision.
                break;
            }
        }
        k
    }
}

/// Purposes that get their own stream, so adding draws to one kind of record
/// never shifts the numbers another kind sees.
#[derive(Clone, Copy, Debug)]
pub enum Tag {
    Profile = 1,
    Consents = 2,
    Transactions = 3,
    Interactions = 4,
    Referral = 5,
    Supplier = 16,
    Deliveries = 17,
    Partner = 18,
    SupplierInteractions = 19,
    PartnerInteractions = 20,
}

/// An independent generator for (seed, entity index, purpose). The key is a
/// chain of SplitMix64 mixes, so nearby seeds and indices give unrelated
/// streams.
pub fn stream(seed: u64, index: u64, tag: Tag) -> Rng {
    let k = mix64(seed.wrapping_add(GOLDEN));
    let k = mix64(
        k ^ index
            .wrapping_mul(GOLDEN)
            .wrapping_add(0x6A09_E667_F3BC_C908),
    );
    let k = mix64(k ^ (tag as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    Rng::from_seed(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference output of xoshiro256** from the state {1, 2, 3, 4}, as
    /// produced by the authors' C code.
    #[test]
    fn xoshiro_known_answer() {
        let mut r = Rng::from_state([1, 2, 3, 4]);
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, vec![11520, 0, 1509978240, 1215971899390074240]);
    }

    #[test]
    fn samplers_have_the_right_means() {
        let mut r = Rng::from_seed(7);
        let n = 200_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / n as f64;
        let g = mean(&mut || r.gamma(0.243, 4.414));
        assert!((g - 0.243 / 4.414).abs() < 0.003, "{g}");
        let g = mean(&mut || r.gamma(6.25, 2.0));
        assert!((g - 3.125).abs() < 0.02, "{g}");
        let b = mean(&mut || r.beta(0.793, 2.426));
        assert!((b - 0.793 / 3.219).abs() < 0.003, "{b}");
        let p = mean(&mut || r.poisson(2.5) as f64);
        assert!((p - 2.5).abs() < 0.02, "{p}");
        let e = mean(&mut || r.exponential(4.0));
        assert!((e - 0.25).abs() < 0.003, "{e}");
        let z = mean(&mut || r.normal());
        assert!(z.abs() < 0.01, "{z}");
    }
}
