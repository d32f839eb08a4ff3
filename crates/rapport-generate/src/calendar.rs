//! Calendar arithmetic on day numbers, without a date library.
//!
//! The generator works in whole days since 1970-01-01 (and seconds for
//! instants) because that is what the samplers produce, and formatting
//! millions of dates through a general date library would dominate the run
//! time. The conversions are Howard Hinnant's `days_from_civil` /
//! `civil_from_days` algorithms (proleptic Gregorian calendar), exact for
//! every date the generator can produce.

/// Days since 1970-01-01 of a calendar date; `None` for an impossible date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The calendar date (year, month, day) of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` into a day number.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = s.get(0..4)?.parse::<i64>().ok()?;
    let month = s.get(5..7)?.parse::<u32>().ok()?;
    let day = s.get(8..10)?.parse::<u32>().ok()?;
    days_from_civil(year, month, day)
}

/// Appends `YYYY-MM-DD` for a day number to `out`.
pub fn push_date(out: &mut String, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_padded(out, y.max(0) as u64, 4);
    out.push('-');
    push_padded(out, u64::from(m), 2);
    out.push('-');
    push_padded(out, u64::from(d), 2);
}

/// `YYYY-MM-DD` for a day number.
pub fn date(day: i64) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, day);
    s
}

/// RFC 3339 UTC instant (`YYYY-MM-DDTHH:MM:SSZ`) for seconds since the epoch.
pub fn instant(secs: i64) -> String {
    let mut s = String::with_capacity(20);
    let day = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    push_date(&mut s, day);
    s.push('T');
    push_padded(&mut s, (rem / 3600) as u64, 2);
    s.push(':');
    push_padded(&mut s, ((rem / 60) % 60) as u64, 2);
    s.push(':');
    push_padded(&mut s, (rem % 60) as u64, 2);
    s.push('Z');
    s
}

/// Appends `n` in decimal, zero-padded to at least `width` digits. Written
/// by hand because `write!` on a `String` returns a `Result` that can never
/// be an error, and this runs tens of millions of times.
pub fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = buf.len() - i;
    for _ in digits..width {
        out.push('0');
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// Whole years between a birth day and a later day (the age on that day).
pub fn age_on(birth: i64, on: i64) -> i64 {
    let (by, bm, bd) = civil_from_days(birth);
    let (y, m, d) = civil_from_days(on);
    let mut age = y - by;
    if (m, d) < (bm, bd) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(parse_date("2024-02-29"), days_from_civil(2024, 2, 29));
        assert_eq!(parse_date("2024-13-01"), None);
        for z in -50_000..50_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), Some(z));
        }
        assert_eq!(instant(86_400 + 3_661), "1970-01-02T01:01:01Z");
    }

    #[test]
    fn age_counts_birthdays() {
        let b = parse_date("1990-06-15").unwrap_or_default();
        assert_eq!(age_on(b, parse_date("2024-06-14").unwrap_or_default()), 33);
        assert_eq!(age_on(b, parse_date("2024-06-15").unwrap_or_default()), 34);
    }
}
