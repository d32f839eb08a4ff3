//! Hash maps and sets without a random seed, for grouping and caching
//! inside the plugin.
//!
//! The sandbox grants no randomness, and `std`'s default hasher seeds
//! itself from it; these use FxHash's multiply-rotate instead. Nothing
//! here may let a map's iteration order reach a model or an output: the
//! maps are caches, and groups are sorted before they are used.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: one rotate, xor and multiply per word, and a final mix that
/// folds the high bits into the low ones.
///
/// A multiply carries information only upwards, so without the final mix
/// the low bits of the hash depend only on the low bits of the last words.
/// Those are zero or a short repeating pattern for the keys hashed here
/// (the bits of whole counts and of days divided by 7), and in the
/// sandbox's 32-bit build the map takes both the bucket and the tag from
/// the low 32 bits: histories collided by the thousand. The mix is
/// MurmurHash3's finaliser (one multiply, two shifts).
#[derive(Default)]
pub struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// A `HashMap` with [`Fx`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// A `HashSet` with [`Fx`].
pub type FxSet<K> = HashSet<K, BuildHasherDefault<Fx>>;

/// A map with room for `n` entries.
pub fn map_with_capacity<K, V>(n: usize) -> FxMap<K, V> {
    FxMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

/// A set with room for `n` entries.
pub fn set_with_capacity<K>(n: usize) -> FxSet<K> {
    FxSet::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

/// An integer whose order is [`f64::total_cmp`]'s order of `v`: the sign
/// bit flipped for positive values, every bit for negative ones. Sorting
/// by it sorts as `total_cmp` does, and equal keys are equal bits.
pub fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`order_key`].
pub fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys shaped like the plugin's (whole counts, days in weeks) spread
    /// over the low 32 bits of the hash, which a 32-bit build's map uses.
    #[test]
    fn structured_keys_spread_over_the_low_bits() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let build = BuildHasherDefault::<Fx>::default();
        let mut low = std::collections::BTreeSet::new();
        for x in 0..20u32 {
            for days in 0..400u32 {
                let key = (f64::from(x).to_bits(), (f64::from(days) / 7.0).to_bits());
                low.insert(build.hash_one(key) as u32 >> 20);
            }
        }
        // 8,000 keys into the 4,096 values of the top 12 of the low 32
        // bits: random ones would fill 1 - e^(-8000/4096), about 86 %, of
        // them (3,500); without the final mix these fill 105.
        assert!(low.len() > 3_300, "{} of 4096", low.len());
    }

    #[test]
    fn order_key_sorts_as_total_cmp() {
        let mut values = vec![
            3.5,
            -0.0,
            0.0,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
            -1e-310,
            2.0,
            -2.0,
            f64::MIN_POSITIVE,
        ];
        let mut by_key = values.clone();
        values.sort_by(f64::total_cmp);
        by_key.sort_by_key(|v| order_key(*v));
        assert_eq!(
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            by_key.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        for v in values {
            assert_eq!(from_order_key(order_key(v)).to_bits(), v.to_bits());
        }
    }
}
