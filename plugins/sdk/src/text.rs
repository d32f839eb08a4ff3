//! Numbers written into text without `core::fmt`: a label such as "spent
//! 120.50 in total" costs several times more fuel in the sandbox through
//! `format!` than written digit by digit. The results are the same as
//! `{}` and `{:.N}` for the values these take; anything outside that range
//! falls back to `core::fmt`.

use std::fmt::Write as _;

/// Appends `n` in decimal, as `{}` writes it.
pub fn push_uint(out: &mut String, n: u64) {
    push_digits(out, n, 1);
}

/// Appends `n` in decimal, as `{}` writes it.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs(), 1);
}

/// Appends `v` with `decimals` decimals, rounded half away from zero, as
/// `{:.N}` writes it for values whose scaled magnitude stays below 9e15;
/// non-finite or larger values are written by `{:.N}` itself.
pub fn push_fixed(out: &mut String, v: f64, decimals: u32) {
    // Exact powers of ten for the usual number of decimals.
    const SCALE: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    let scale = match SCALE.get(decimals as usize) {
        Some(&s) => s,
        None => 10f64.powi(decimals as i32),
    };
    let scaled = (v * scale).round();
    if scaled.is_finite() && scaled.abs() < 9.0e15 {
        let n = scaled as i64;
        if n < 0 {
            out.push('-');
        }
        let n = n.unsigned_abs();
        let div = 10u64.pow(decimals);
        push_digits(out, n / div, 1);
        if decimals > 0 {
            out.push('.');
            push_digits(out, n % div, decimals as usize);
        }
    } else {
        let mark = out.len();
        if write!(out, "{v:.*}", decimals as usize).is_err() {
            out.truncate(mark);
        }
    }
}

/// Appends `n` in decimal, left-padded with zeros to at least `width` digits.
fn push_digits(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 24];
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // Zero padding: `buf` is all zeros below `i` (at most 24 digits).
    let start = i.min(buf.len().saturating_sub(width.max(1)));
    // ASCII digits, one byte each: pushed as characters, which spares the
    // UTF-8 validation of `str::from_utf8` (a byte loop in the sandbox).
    out.reserve(buf.len() - start);
    for &d in &buf[start..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut String)) -> String {
        let mut s = String::from(">");
        f(&mut s);
        s
    }

    #[test]
    fn integers_write_like_display() {
        for n in [0u64, 7, 10, 1_460, u64::MAX] {
            assert_eq!(with(|s| push_uint(s, n)), format!(">{n}"));
        }
        for n in [0i64, -1, 42, -1_000_000, i64::MIN, i64::MAX] {
            assert_eq!(with(|s| push_int(s, n)), format!(">{n}"));
        }
    }

    #[test]
    fn fixed_writes_like_format() {
        for (v, d) in [
            (22.345, 2),
            (0.0, 1),
            (-0.25, 2),
            (38.857142, 1),
            (2.0, 0),
            (1234567.891, 3),
            (120.5, 2),
            (-3.75, 1),
            (0.05, 1),
            (-3.96, 1),
        ] {
            let want = format!(
                ">{:.*}",
                d as usize,
                (v * 10f64.powi(d)).round() / 10f64.powi(d)
            );
            assert_eq!(with(|s| push_fixed(s, v, d as u32)), want, "{v} {d}");
        }
        assert_eq!(with(|s| push_fixed(s, 1e300, 2)), format!(">{:.2}", 1e300));
        assert_eq!(with(|s| push_fixed(s, f64::NAN, 1)), ">NaN");
        assert_eq!(with(|s| push_fixed(s, f64::INFINITY, 2)), ">inf");
    }
}
