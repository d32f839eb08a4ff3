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

/// A key of a [`Table`]: a few machine words, hashed with [`Fx`].
pub trait Key: Copy + Eq {
    fn hash(&self) -> u64;
}

#[inline(always)]
fn fx_words(words: &[u64]) -> u64 {
    let mut h = Fx::default();
    for &w in words {
        h.write_u64(w);
    }
    h.finish()
}

impl Key for u64 {
    #[inline(always)]
    fn hash(&self) -> u64 {
        fx_words(&[*self])
    }
}

impl Key for i64 {
    #[inline(always)]
    fn hash(&self) -> u64 {
        fx_words(&[*self as u64])
    }
}

impl Key for (u64, u64) {
    #[inline(always)]
    fn hash(&self) -> u64 {
        fx_words(&[self.0, self.1])
    }
}

impl Key for (u64, u64, u64) {
    #[inline(always)]
    fn hash(&self) -> u64 {
        fx_words(&[self.0, self.1, self.2])
    }
}

/// An insert-only hash table of small keys: entries in insertion order in
/// dense arrays, and an open-addressed index of u32 positions probed
/// linearly. A look-up is one hash, a probe or two of a 4-byte slot and a
/// key comparison; nothing is removed, so there are no tombstones. Built
/// for the plugin's per-call caches and dictionaries, where `std`'s map
/// (its control bytes matched eight at a time without SIMD in the
/// sandbox) was most of the cost of a look-up.
pub struct Table<K, V> {
    slots: Vec<u32>,
    keys: Vec<K>,
    values: Vec<V>,
}

const EMPTY: u32 = u32::MAX;

impl<K: Key, V> Table<K, V> {
    /// A table with room for `n` entries before its index grows.
    pub fn with_capacity(n: usize) -> Self {
        let slots = (n.max(8) * 2).next_power_of_two();
        Table {
            slots: vec![EMPTY; slots],
            keys: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The slot holding `key`, or the empty slot where it would go.
    #[inline(always)]
    fn find(&self, key: &K) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = key.hash() as usize & mask;
        loop {
            let at = self.slots[i];
            if at == EMPTY || self.keys[at as usize] == *key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`, if present.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        match self.slots[self.find(key)] {
            EMPTY => None,
            at => Some(&self.values[at as usize]),
        }
    }

    /// The position of `key` in insertion order, inserting it with
    /// `make()` first if it is absent: numbers values in first-seen order.
    #[inline]
    pub fn position_or_insert(&mut self, key: K, make: impl FnOnce() -> V) -> usize {
        let i = self.find(&key);
        match self.slots[i] {
            EMPTY => self.push(i, key, make()),
            at => at as usize,
        }
    }

    /// The value of `key`, inserting `make()` first if it is absent.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = self.position_or_insert(key, make);
        &mut self.values[at]
    }

    /// Inserts `key` with `value` (replacing the value of a present key).
    pub fn insert(&mut self, key: K, value: V) {
        let i = self.find(&key);
        match self.slots[i] {
            EMPTY => {
                self.push(i, key, value);
            }
            at => self.values[at as usize] = value,
        }
    }

    fn push(&mut self, slot: usize, key: K, value: V) -> usize {
        let at = self.keys.len();
        self.keys.push(key);
        self.values.push(value);
        self.slots[slot] = at as u32;
        // At most half full, so probes stay short.
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        at
    }

    #[cold]
    fn grow(&mut self) {
        let slots = self.slots.len() * 2;
        self.slots = vec![EMPTY; slots];
        let mask = slots - 1;
        for (at, key) in self.keys.iter().enumerate() {
            let mut i = key.hash() as usize & mask;
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = at as u32;
        }
    }

    /// The entries in insertion order.
    pub fn into_entries(self) -> (Vec<K>, Vec<V>) {
        (self.keys, self.values)
    }
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
    fn table_agrees_with_a_std_map() {
        // Structured keys (whole counts, days in weeks) with repeats, far
        // more than the initial capacity, so the index grows.
        let mut table: Table<(u64, u64), u32> = Table::with_capacity(4);
        let mut std_map: std::collections::HashMap<(u64, u64), u32> = Default::default();
        let mut order = Vec::new();
        for i in 0..5_000u32 {
            let key = (
                f64::from(i % 37).to_bits(),
                (f64::from(i % 401) / 7.0).to_bits(),
            );
            let at = table.position_or_insert(key, || i);
            let v = table.get_or_insert_with(key, || unreachable!("present"));
            let want = *std_map.entry(key).or_insert_with(|| {
                order.push(key);
                i
            });
            assert_eq!(*v, want);
            assert_eq!(order[at], key);
            *v = want;
        }
        assert_eq!(table.len(), std_map.len());
        for (k, v) in &std_map {
            assert_eq!(table.get(k), Some(v));
        }
        assert_eq!(table.get(&(u64::MAX, 0)), None);
        table.insert(order[3], 77);
        assert_eq!(table.get(&order[3]), Some(&77));
        let (keys, _) = table.into_entries();
        assert_eq!(keys, order);
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
