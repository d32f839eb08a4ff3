//! A population of stakeholder row ids, stored compactly with its verdict:
//! ascending ids as the varint-encoded differences between neighbours (a
//! million dense ids take about a megabyte), so that a replay re-derives the
//! verdict over exactly the people it was made over.

/// Encodes ascending, distinct row ids. Ids out of order are a caller bug;
/// they are sorted here so the encoding never fails.
pub fn encode(ids: &[i64]) -> Vec<u8> {
    let mut sorted: Vec<i64> = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len() + 8);
    let mut prev = 0i64;
    for id in sorted {
        // Row ids are positive, so the differences are too.
        let mut d = u64::try_from(id - prev).unwrap_or(0);
        prev = id;
        loop {
            let byte = (d & 0x7f) as u8;
            d >>= 7;
            if d == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// Decodes what [`encode`] wrote; `None` for bytes it cannot have written.
pub fn decode(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut prev = 0i64;
    let mut d = 0u64;
    let mut shift = 0u32;
    for &b in bytes {
        if shift > 63 {
            return None;
        }
        d |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            prev = prev.checked_add(i64::try_from(d).ok()?)?;
            out.push(prev);
            d = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_stays_small() {
        let ids: Vec<i64> = (1..=100_000).chain([150_000, 9_000_000_000]).collect();
        let bytes = encode(&ids);
        assert!(bytes.len() < 100_010, "{}", bytes.len());
        assert_eq!(decode(&bytes), Some(ids));
        assert_eq!(decode(&[]), Some(vec![]));
        assert_eq!(decode(&[0x80]), None, "a truncated varint is refused");
    }
}
