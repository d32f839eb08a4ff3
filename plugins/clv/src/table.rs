//! D(x, T) and H(x, T, horizon) per (x, T), computed once at fit and
//! carried in the model so that no `score` call computes them again.
//!
//! D needs a hypergeometric series at the end of every CLV period, which
//! made it most of `score`'s work when every batch computed it for its own
//! customers (each call of the host starts from the model alone). The fit
//! computes it for every (x, T) of the population anyway (for the band cut
//! points), plus the pairs the explanation needs, (x_ref, T) and
//! (x, T_ref); the table keeps them, up to [`MAX_ENTRIES`]. A pair missing
//! from the table (a population with more distinct pairs, a customer
//! scored who was not fitted on) is computed in `score` as before, by the
//! same function, so the values are the same bits either way.
//!
//! The entries are stored as one string of hexadecimal IEEE 754 bits
//! (x, T, D, H per entry, sorted by x then T), which a `score` call decodes
//! several times faster than a JSON array of the same numbers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most entries the model carries (256 KiB of numbers).
pub const MAX_ENTRIES: usize = 8192;

/// One entry: (x, T) and D(x, T), H(x, T, horizon).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub x: f64,
    pub t: f64,
    pub discounted: f64,
    pub expected: f64,
}

/// The entries, sorted by (x, T) (both non-negative, so by their bits).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgeTable {
    entries: Vec<Entry>,
}

fn key(x: f64, t: f64) -> (u64, u64) {
    (x.to_bits(), t.to_bits())
}

impl AgeTable {
    /// A table of `entries` (any order; duplicates removed).
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_unstable_by_key(|e| key(e.x, e.t));
        entries.dedup_by_key(|e| key(e.x, e.t));
        Self { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// D(x, T) and H(x, T, horizon), if the table has them.
    pub fn get(&self, x: f64, t: f64) -> Option<(f64, f64)> {
        let k = key(x, t);
        self.entries
            .binary_search_by_key(&k, |e| key(e.x, e.t))
            .ok()
            .map(|i| (self.entries[i].discounted, self.entries[i].expected))
    }
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

impl Serialize for AgeTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = String::with_capacity(self.entries.len() * 64);
        for e in &self.entries {
            for v in [e.x, e.t, e.discounted, e.expected] {
                let bits = v.to_bits();
                for shift in (0..16).rev() {
                    text.push(char::from(DIGITS[(bits >> (shift * 4)) as usize & 15]));
                }
            }
        }
        s.serialize_str(&text)
    }
}

fn nibble(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b - b'a' + 10)),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for AgeTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = text.as_bytes();
        if bytes.len() % 64 != 0 {
            return Err(serde::de::Error::custom(
                "the (x, T) table is not a whole number of entries",
            ));
        }
        let mut entries = Vec::with_capacity(bytes.len() / 64);
        for chunk in bytes.chunks_exact(64) {
            let mut v = [0.0; 4];
            for (slot, digits) in v.iter_mut().zip(chunk.chunks_exact(16)) {
                let mut bits = 0u64;
                for &b in digits {
                    bits = bits << 4
                        | nibble(b).ok_or_else(|| {
                            serde::de::Error::custom("the (x, T) table holds a non-hex digit")
                        })?;
                }
                *slot = f64::from_bits(bits);
            }
            entries.push(Entry {
                x: v[0],
                t: v[1],
                discounted: v[2],
                expected: v[3],
            });
        }
        if entries
            .windows(2)
            .any(|w| key(w[0].x, w[0].t) >= key(w[1].x, w[1].t))
        {
            return Err(serde::de::Error::custom(
                "the (x, T) table is not sorted by (x, T)",
            ));
        }
        Ok(Self { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bit_for_bit_and_finds_entries() {
        let table = AgeTable::new(vec![
            Entry {
                x: 2.0,
                t: 38.857142857142854,
                discounted: 1.2345678901234567,
                expected: 0.1,
            },
            Entry {
                x: 0.0,
                t: 1.0 / 3.0,
                discounted: f64::MIN_POSITIVE,
                expected: 0.0,
            },
        ]);
        let json = serde_json::to_string(&table).expect("serialise");
        let back: AgeTable = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, table);
        assert_eq!(
            back.get(2.0, 38.857142857142854),
            Some((1.2345678901234567, 0.1))
        );
        assert_eq!(back.get(0.0, 1.0 / 3.0), Some((f64::MIN_POSITIVE, 0.0)));
        assert_eq!(back.get(1.0, 1.0), None);
        assert!(serde_json::from_str::<AgeTable>("\"00ff\"").is_err());
        assert!(serde_json::from_str::<AgeTable>(&json.replace('a', "g")).is_err());
    }
}
