//! Dates and instants as they appear in import files and in the store.
//!
//! Dates are ISO 8601 calendar dates (`YYYY-MM-DD`). Instants are RFC 3339
//! with an offset; the store keeps them normalised to UTC so that text order is
//! time order.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// Parses `YYYY-MM-DD`, rejecting impossible calendar dates such as `2023-02-30`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let format = format_description!("[year]-[month]-[day]");
    Date::parse(s, &format)
        .map_err(|_| format!("`{s}` is not a calendar date (expected YYYY-MM-DD)"))
}

/// Parses an RFC 3339 instant such as `2024-05-01T12:00:00Z`.
pub fn parse_instant(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        format!("`{s}` is not an RFC 3339 instant (expected e.g. 2024-05-01T12:00:00Z)")
    })
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    format!("{y:04}-{m:02}-{day:02}")
}

/// Formats an instant as RFC 3339 in UTC (`...Z`), the store's canonical form.
pub fn format_instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    // RFC 3339 formatting of a UTC instant cannot fail for years 0..=9999,
    // which parsing already guarantees; fall back to the unix time otherwise.
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Normalises an RFC 3339 instant to the store's canonical UTC form.
pub fn normalize_instant(s: &str) -> Result<String, String> {
    parse_instant(s).map(format_instant)
}
