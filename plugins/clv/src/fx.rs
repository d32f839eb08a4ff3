//! Hash maps and sets without a random seed, for grouping and caching
//! inside the plugin.
//!
//! The sandbox grants no randomness, and `std`'s default hasher seeds
//! itself from it; these use FxHash's multiply-rotate instead. Nothing
//! here may let a map's iteration order reach a model or an output: the
//! maps are caches, and groups are sorted before they are used.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: one rotate, xor and multiply per word.
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
        self.0
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
