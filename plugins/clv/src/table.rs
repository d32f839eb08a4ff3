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
//! The entries travel after the model's JSON as raw IEEE 754 bits (x, T,
//! D, H per entry, little-endian, sorted by x then T; see
//! [`AgeTable::write`]), which a `score` call takes back bit for bit by
//! copying instead of parsing a string of tens of kilobytes on every call.

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

    /// Bytes per entry in the layout of [`Self::write`].
    pub const ENTRY_BYTES: usize = 32;

    /// Appends the entries in order, each as x, T, D and H in IEEE 754
    /// bits, little-endian: what [`Self::read`] takes back bit for bit, by
    /// copying rather than parsing.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.reserve(self.entries.len() * Self::ENTRY_BYTES);
        for e in &self.entries {
            for v in [e.x, e.t, e.discounted, e.expected] {
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
    }

    /// The table [`Self::write`] wrote into `bytes`; an error saying what
    /// is wrong when they are not whole entries sorted by (x, T).
    pub fn read(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() % Self::ENTRY_BYTES != 0 {
            return Err(format!(
                "its (x, T) table has {} bytes, not a whole number of {}-byte entries",
                bytes.len(),
                Self::ENTRY_BYTES
            ));
        }
        let word = |w: &[u8]| {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            f64::from_bits(u64::from_le_bytes(b))
        };
        let entries: Vec<Entry> = bytes
            .chunks_exact(Self::ENTRY_BYTES)
            .map(|e| Entry {
                x: word(&e[0..8]),
                t: word(&e[8..16]),
                discounted: word(&e[16..24]),
                expected: word(&e[24..32]),
            })
            .collect();
        if let Some(i) = entries
            .windows(2)
            .position(|w| key(w[0].x, w[0].t) >= key(w[1].x, w[1].t))
        {
            return Err(format!(
                "its (x, T) table is not sorted by (x, T) at entry {}",
                i + 1
            ));
        }
        Ok(Self { entries })
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

/// `values` as 16 hexadecimal digits of IEEE 754 bits each.
fn encode(values: impl Iterator<Item = f64>, capacity: usize) -> String {
    let mut text = String::with_capacity(capacity * 16);
    for v in values {
        let bits = v.to_bits();
        for shift in (0..16).rev() {
            text.push(char::from(DIGITS[(bits >> (shift * 4)) as usize & 15]));
        }
    }
    text
}

/// Eight hexadecimal digit bytes (as read little-endian from the text, so
/// the first digit is the lowest byte) as the 32 bits they spell; `None`
/// unless every byte is one of `0-9a-f`. All eight bytes are checked and
/// converted at once in a 64-bit word, a fraction of the instructions of a
/// table look-up per digit (`score` decodes the `exact` numbers on every
/// call).
fn hex8(w: u64) -> Option<u32> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let lanes = |b: u8| u64::from_ne_bytes([b; 8]);
    if w & HIGH != 0 {
        return None;
    }
    // Every byte is below 0x80, so no sum below carries into the next
    // byte; a byte's high bit after adding k says whether it is at least
    // 0x80 - k.
    let digit = w.wrapping_add(lanes(0x80 - b'0')) & !w.wrapping_add(lanes(0x7f - b'9')) & HIGH;
    let letter = w.wrapping_add(lanes(0x80 - b'a')) & !w.wrapping_add(lanes(0x7f - b'f')) & HIGH;
    if digit | letter != HIGH {
        return None;
    }
    // '0'..'9' are 0x30..0x39 and 'a'..'f' 0x61..0x66: the low four bits,
    // plus 9 for a letter.
    let nibbles = (w & lanes(0x0f)) + (letter >> 7) * 9;
    // Pack: the first (lowest) byte is the most significant digit.
    let x = ((nibbles & 0x000f_000f_000f_000f) << 4) | ((nibbles >> 8) & 0x000f_000f_000f_000f);
    let x = ((x & 0x0000_00ff_0000_00ff) << 8) | ((x >> 16) & 0x0000_00ff_0000_00ff);
    let x = ((x & 0xffff) << 16) | ((x >> 32) & 0xffff);
    Some(x as u32)
}

/// Calls `each` with every value [`encode`] wrote into `text`; `None`
/// unless `text` is a whole number of 16-digit lowercase hexadecimal
/// values.
fn decode_each(text: &str, mut each: impl FnMut(f64)) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() % 16 != 0 {
        return None;
    }
    for digits in bytes.chunks_exact(16) {
        let (hi, lo) = digits.split_at(8);
        let word = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
        let hi = hex8(word(hi)?)?;
        let lo = hex8(word(lo)?)?;
        each(f64::from_bits(u64::from(hi) << 32 | u64::from(lo)));
    }
    Some(())
}

/// The inverse of [`encode`]; `None` unless `text` is a whole number of
/// 16-digit lowercase hexadecimal values.
fn decode(text: &str) -> Option<Vec<f64>> {
    let mut out = Vec::with_capacity(text.len() / 16);
    decode_each(text, |v| out.push(v))?;
    Some(out)
}

/// Numbers kept bit for bit in the model. JSON numbers are written in
/// their shortest decimal form, and `serde_json` (built without its
/// `float_roundtrip` feature, which the plugin's bytes must not depend on)
/// may read such a number back one unit in the last place off. The fitted
/// parameters and the band cut points must not move: a customer whose
/// value is a cut point (the cut points are values of sampled customers)
/// would change band between `fit` and `score`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bits(pub Vec<f64>);

impl Serialize for Bits {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(self.0.iter().copied(), self.0.len()))
    }
}

impl<'de> Deserialize<'de> for Bits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        decode(&text)
            .map(Bits)
            .ok_or_else(|| serde::de::Error::custom("exact numbers that are not hexadecimal"))
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
        let mut bytes = Vec::new();
        table.write(&mut bytes);
        assert_eq!(bytes.len(), 2 * AgeTable::ENTRY_BYTES);
        let back = AgeTable::read(&bytes).expect("read");
        assert_eq!(back, table);
        assert_eq!(
            back.get(2.0, 38.857142857142854),
            Some((1.2345678901234567, 0.1))
        );
        assert_eq!(back.get(0.0, 1.0 / 3.0), Some((f64::MIN_POSITIVE, 0.0)));
        assert_eq!(back.get(1.0, 1.0), None);
        let short = AgeTable::read(&bytes[..40]).expect_err("cut short");
        assert!(short.contains("40 bytes"), "{short}");
        // The same entries in the wrong order.
        let swapped = [&bytes[32..], &bytes[..32]].concat();
        let unsorted = AgeTable::read(&swapped).expect_err("unsorted");
        assert!(unsorted.contains("not sorted"), "{unsorted}");
        assert_eq!(AgeTable::read(&[]).expect("empty"), AgeTable::default());
        let bits = Bits(vec![0.1 + 0.2, -0.0, f64::MAX]);
        let back: Bits =
            serde_json::from_str(&serde_json::to_string(&bits).expect("serialise")).expect("parse");
        assert_eq!(
            back.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            bits.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn hex_words_decode_as_digits_do() {
        // Every byte value at every position of a word of valid digits:
        // accepted exactly when it is a lowercase hexadecimal digit, and
        // then read as that digit.
        let base = *b"0f3a9c1e";
        for pos in 0..8 {
            for byte in 0..=255u8 {
                let mut digits = base;
                digits[pos] = byte;
                let want = std::str::from_utf8(&digits)
                    .ok()
                    .filter(|s| s.bytes().all(|b| DIGITS.contains(&b)))
                    .and_then(|s| u32::from_str_radix(s, 16).ok());
                assert_eq!(hex8(u64::from_le_bytes(digits)), want, "{digits:?}");
            }
        }
        for v in [0.0, -0.0, 1.0 / 3.0, f64::MAX, f64::MIN_POSITIVE, -2.5e-300] {
            let text = encode([v].into_iter(), 1);
            assert_eq!(text, format!("{:016x}", v.to_bits()));
            assert_eq!(decode(&text).map(|d| d[0].to_bits()), Some(v.to_bits()));
        }
        assert_eq!(decode("0123"), None);
        assert_eq!(decode("0123456789abcdeF"), None);
    }
}
