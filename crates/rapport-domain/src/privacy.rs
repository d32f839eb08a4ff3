//! Data-subject requests and their legal clocks: which kinds of request
//! exist, under which regime a jurisdiction answers them, and the pure date
//! arithmetic of their deadlines.
//!
//! Deadlines are calendar dates (the last day on which the answer is still in
//! time). Two choices keep them on the safe side, where the law leaves room:
//!
//! * Public holidays are not known here, so business days exclude only
//!   Saturdays and Sundays. Counting a holiday as a business day can only make
//!   a deadline earlier, never later.
//! * A month-based deadline that falls on a weekend is not moved to the next
//!   working day, although Regulation (EEC, Euratom) No 1182/71 Art. 3(4)
//!   would allow it: answering on the Friday is never late.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};

/// What a data subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A copy of the data (GDPR Art. 15; CCPA request to know, §1798.110).
    Access,
    /// The data in a portable format (GDPR Art. 20; §1798.130(a)(3)(B)(iii)).
    Portability,
    /// Deletion (GDPR Art. 17; CCPA request to delete, §1798.105).
    Erasure,
    /// Correction (GDPR Art. 16; CCPA request to correct, §1798.106).
    Rectification,
    /// Objection or opt-out (GDPR Art. 21; CCPA opt-out of sale or sharing,
    /// §1798.120).
    OptOut,
    /// Restriction of processing (GDPR Art. 18; CCPA request to limit the use
    /// of sensitive personal information, §1798.121).
    Restriction,
}

impl RequestKind {
    /// Every kind, in a stable order.
    pub const ALL: [RequestKind; 6] = [
        RequestKind::Access,
        RequestKind::Portability,
        RequestKind::Erasure,
        RequestKind::Rectification,
        RequestKind::OptOut,
        RequestKind::Restriction,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Portability => "portability",
            Self::Erasure => "erasure",
            Self::Rectification => "rectification",
            Self::OptOut => "opt_out",
            Self::Restriction => "restriction",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Open,
    Extended,
    Completed,
    Refused,
}

impl RequestStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Extended => "extended",
            Self::Completed => "completed",
            Self::Refused => "refused",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Extended, Self::Completed, Self::Refused]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the request still waits for an answer.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Extended)
    }
}

/// The law whose clock a request runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// GDPR (EU and EEA) and UK GDPR: Art. 12(3).
    Gdpr,
    /// CCPA as amended by the CPRA (California).
    Ccpa,
    /// The Colorado Privacy Act and Virginia's Consumer Data Protection Act,
    /// which share one clock.
    ColoradoVirginia,
}

/// The jurisdictions with a known clock, for error messages.
pub const KNOWN_JURISDICTIONS: &str = "EU, GB, US-CA, US-CO, US-VA";

impl Regime {
    /// The regime of a jurisdiction code as used in consent records (`EU`,
    /// `GB`, `US-CA`); `None` where no clock is defined yet.
    pub fn of(jurisdiction: &str) -> Option<Regime> {
        match jurisdiction {
            "EU" | "GB" => Some(Regime::Gdpr),
            "US-CA" => Some(Regime::Ccpa),
            "US-CO" | "US-VA" => Some(Regime::ColoradoVirginia),
            _ => None,
        }
    }
}

/// The deadlines of one request, fixed when it is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The request must be answered by the end of this day.
    pub due: Date,
    /// Confirmation of receipt due by this day, where the law asks for one.
    pub confirmation_due: Option<Date>,
    /// Whether the deadline may be extended (once, with a notice).
    pub extendable: bool,
}

/// Why an extension is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtendError {
    #[error("this kind of request cannot be extended under {0}")]
    NotExtendable(&'static str),
    #[error("the request was already extended once")]
    AlreadyExtended,
    #[error("the extension must be notified within the first period, which ended on {0}")]
    TooLate(String),
}

/// Adds calendar months, clamping to the last day of a shorter month
/// (31 January + 1 month = 28 or 29 February).
///
/// This is the rule of Regulation (EEC, Euratom) No 1182/71 Art. 3(2)(c),
/// which fixes how periods in EU law are counted: a period expressed in months
/// ends with the day of the last month that has the same date as the day of
/// the event, or, if there is none, with the last day of that month.
pub fn add_months(date: Date, months: u32) -> Date {
    let total =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(i32::MAX);
    let month_index = u8::try_from(total.rem_euclid(12)).unwrap_or(0);
    let month = Month::try_from(month_index + 1).unwrap_or(Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// Adds calendar days.
pub fn add_days(date: Date, days: u32) -> Date {
    date.checked_add(Duration::days(i64::from(days)))
        .unwrap_or(date)
}

/// Whether a day is a business day: Monday to Friday. Holidays are not
/// known here; counting them as business days only makes deadlines earlier.
pub fn is_business_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The `n`th business day after `date`; the day of receipt itself is not
/// counted ("within 10 business days" of a Friday receipt ends on the second
/// Friday after it).
pub fn add_business_days(date: Date, n: u32) -> Date {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        match d.next_day() {
            Some(next) => d = next,
            None => return d,
        }
        if is_business_day(d) {
            left -= 1;
        }
    }
    d
}

/// The clock of a request received on `received` under `regime`.
pub fn clock(regime: Regime, kind: RequestKind, received: Date) -> Clock {
    match regime {
        // GDPR Art. 12(3): information on action taken on a request under
        // Articles 15 to 22 "without undue delay and in any event within one
        // month of receipt of the request"; the same for UK GDPR Art. 12(3).
        Regime::Gdpr => Clock {
            due: add_months(received, 1),
            confirmation_due: None,
            extendable: true,
        },
        Regime::Ccpa => match kind {
            // 11 CCR §7026(f): comply with a request to opt-out of sale or
            // sharing no later than 15 business days from receipt; 11 CCR
            // §7027(g): the same for a request to limit the use of sensitive
            // personal information. No extension is provided for either, and
            // no confirmation of receipt (§7021(a) covers the other requests).
            RequestKind::OptOut | RequestKind::Restriction => Clock {
                due: add_business_days(received, 15),
                confirmation_due: None,
                extendable: false,
            },
            // Cal. Civ. Code §1798.130(a)(2)(A): 45 days of receiving the
            // request; 11 CCR §7021(a): confirm receipt within 10 business
            // days; §7021(b): the 45 days run from receipt whatever the time
            // needed to verify.
            _ => Clock {
                due: add_days(received, 45),
                confirmation_due: Some(add_business_days(received, 10)),
                extendable: true,
            },
        },
        // C.R.S. 6-1-1306(2)(a) and Va. Code §59.1-577(B)(1): respond
        // "without undue delay, but in all cases within forty-five days of
        // receipt", opt-out requests included; no confirmation of receipt.
        Regime::ColoradoVirginia => Clock {
            due: add_days(received, 45),
            confirmation_due: None,
            extendable: true,
        },
    }
}

/// The deadline after the one allowed extension, asked for on `on`.
///
/// * GDPR Art. 12(3): "may be extended by two further months where necessary
///   … The controller shall inform the data subject of any such extension
///   within one month of receipt". The two months are counted from the end of
///   the first one, which is never later than counting three from receipt.
/// * Cal. Civ. Code §1798.130(a)(2)(A): "may be extended once by an additional
///   45 days when reasonably necessary, provided the consumer is provided
///   notice of the extension within the first 45-day period".
pub fn extended_due(
    regime: Regime,
    kind: RequestKind,
    received: Date,
    already_extended: bool,
    on: Date,
) -> Result<Date, ExtendError> {
    let c = clock(regime, kind, received);
    if !c.extendable {
        return Err(ExtendError::NotExtendable(match regime {
            Regime::Gdpr => "the GDPR",
            Regime::Ccpa => "the CCPA",
            Regime::ColoradoVirginia => "the Colorado and Virginia acts",
        }));
    }
    if already_extended {
        return Err(ExtendError::AlreadyExtended);
    }
    if on > c.due {
        return Err(ExtendError::TooLate(crate::time_fmt::format_date(c.due)));
    }
    Ok(match regime {
        Regime::Gdpr => add_months(c.due, 2),
        // C.R.S. 6-1-1306(2)(b) and Va. Code §59.1-577(B)(1): once, by 45
        // days, with notice within the first 45-day period.
        Regime::Ccpa | Regime::ColoradoVirginia => add_days(c.due, 45),
    })
}

/// Days from `today` to `due` (negative when overdue).
pub fn days_left(today: Date, due: Date) -> i64 {
    (due - today).whole_days()
}

/// Whether a pending request deserves a warning: overdue, or due within
/// `warn_days` days.
pub fn needs_warning(today: Date, due: Date, warn_days: i64) -> bool {
    days_left(today, due) <= warn_days
}

/// One purpose as the retention rule sees it (built from the purpose
/// registry by the caller, so this module does not depend on its shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPurpose<'a> {
    pub id: &'a str,
    pub retention_days: u32,
    /// The policy lists `legal_obligation` among its bases: for a subject
    /// with business records (transactions, deliveries) the law, not the
    /// person, decides, so no withdrawal or objection ends it (Art. 17(3)(b)).
    pub legal_obligation: bool,
    /// The policy lists a basis that needs neither consent nor a legal
    /// obligation (contract, legitimate interests, vital interests, public
    /// task): the purpose stands without a record until an objection.
    pub other_basis: bool,
}

/// The latest consent record of a subject for one purpose, as of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatestRecord {
    /// Granted and not expired.
    Granted,
    /// Granted, but expired before the sweep's date.
    Expired,
    /// Withdrawn, refused or objected to.
    Ended,
}

/// The retention rule, in days: the longest retention period of any purpose
/// the subject still has a lawful basis for (GDPR Art. 5(1)(e), storage
/// limitation; Cal. Civ. Code §1798.100(a)(3)). A purpose keeps its basis
///
/// * always, when the law requires it (`legal_obligation`) and there are
///   business records (`has_records`: transactions or deliveries) for it to
///   keep;
/// * while its latest record is a current grant;
/// * with no record or an expired grant, when the policy lists a basis that
///   needs neither (contract, legitimate interests, …);
///
/// and loses it after a withdrawal, refusal or objection (Art. 7(3), 21(1)),
/// or when it rests on consent and there is no current grant. With no
/// purpose left the rule is 0 days: nothing justifies keeping the data.
pub fn retention_days(
    purposes: &[RetentionPurpose<'_>],
    has_records: bool,
    latest: impl Fn(&str) -> Option<LatestRecord>,
) -> u32 {
    purposes
        .iter()
        .filter(|p| {
            (p.legal_obligation && has_records)
                || match latest(p.id) {
                    Some(LatestRecord::Granted) => true,
                    Some(LatestRecord::Ended) => false,
                    None | Some(LatestRecord::Expired) => p.other_basis,
                }
        })
        .map(|p| p.retention_days)
        .max()
        .unwrap_or(0)
}

/// Whether data whose last use was on `last_activity` has outlived a
/// retention of `days` days by `as_of` (kept through its last day).
pub fn outlived(last_activity: Date, days: u32, as_of: Date) -> bool {
    add_days(last_activity, days) < as_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(RequestKind::parse("delete"), None);
        for s in ["open", "extended", "completed", "refused"] {
            assert_eq!(RequestStatus::parse(s).map(RequestStatus::as_str), Some(s));
        }
        assert!(RequestStatus::Open.is_pending() && RequestStatus::Extended.is_pending());
        assert!(!RequestStatus::Completed.is_pending() && !RequestStatus::Refused.is_pending());
    }

    #[test]
    fn colorado_and_virginia_answer_in_45_days_extendable_once_by_45() {
        // C.R.S. 6-1-1306(2); Va. Code §59.1-577(B)(1).
        let r = date!(2024 - 06 - 07);
        for k in [
            RequestKind::Access,
            RequestKind::Erasure,
            RequestKind::OptOut,
        ] {
            let c = clock(Regime::ColoradoVirginia, k, r);
            assert_eq!(c.due, date!(2024 - 07 - 22));
            assert_eq!(c.confirmation_due, None);
            assert_eq!(
                extended_due(Regime::ColoradoVirginia, k, r, false, r),
                Ok(date!(2024 - 09 - 05))
            );
        }
    }

    #[test]
    fn regimes_of_jurisdictions() {
        assert_eq!(Regime::of("EU"), Some(Regime::Gdpr));
        // UK GDPR keeps Art. 12(3) unchanged.
        assert_eq!(Regime::of("GB"), Some(Regime::Gdpr));
        assert_eq!(Regime::of("US-CA"), Some(Regime::Ccpa));
        assert_eq!(Regime::of("US-CO"), Some(Regime::ColoradoVirginia));
        assert_eq!(Regime::of("US-VA"), Some(Regime::ColoradoVirginia));
        assert_eq!(Regime::of("US-TX"), None);
        assert_eq!(Regime::of("eu"), None);
    }

    /// Regulation 1182/71 Art. 3(2)(c): same date in the last month, else the
    /// last day of that month.
    #[test]
    fn months_keep_the_date_or_clamp_to_the_month_end() {
        assert_eq!(add_months(date!(2024 - 03 - 15), 1), date!(2024 - 04 - 15));
        assert_eq!(add_months(date!(2023 - 01 - 31), 1), date!(2023 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2024 - 03 - 31), 1), date!(2024 - 04 - 30));
        assert_eq!(add_months(date!(2024 - 12 - 15), 1), date!(2025 - 01 - 15));
        assert_eq!(add_months(date!(2024 - 11 - 30), 3), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 05 - 01), 0), date!(2024 - 05 - 01));
    }

    #[test]
    fn business_days_skip_weekends_and_not_the_day_of_receipt() {
        // 2024-06-07 is a Friday.
        assert_eq!(date!(2024 - 06 - 07).weekday(), Weekday::Friday);
        assert_eq!(
            add_business_days(date!(2024 - 06 - 07), 1),
            date!(2024 - 06 - 10)
        );
        assert_eq!(
            add_business_days(date!(2024 - 06 - 07), 10),
            date!(2024 - 06 - 21)
        );
        // Received on a Saturday: the Monday after is the first business day.
        assert_eq!(
            add_business_days(date!(2024 - 06 - 08), 1),
            date!(2024 - 06 - 10)
        );
        // Wednesday + 15 business days = three weeks later.
        assert_eq!(
            add_business_days(date!(2024 - 06 - 05), 15),
            date!(2024 - 06 - 26)
        );
        assert_eq!(
            add_business_days(date!(2024 - 06 - 05), 0),
            date!(2024 - 06 - 05)
        );
        assert!(is_business_day(date!(2024 - 06 - 07)));
        assert!(!is_business_day(date!(2024 - 06 - 09)));
    }

    /// GDPR Art. 12(3): one month from receipt, for every kind of request.
    #[test]
    fn gdpr_one_month_for_every_kind() {
        for k in RequestKind::ALL {
            let c = clock(Regime::Gdpr, k, date!(2024 - 01 - 31));
            assert_eq!(c.due, date!(2024 - 02 - 29), "{k}");
            assert_eq!(c.confirmation_due, None);
            assert!(c.extendable);
        }
        assert_eq!(
            clock(Regime::Gdpr, RequestKind::Access, date!(2024 - 05 - 10)).due,
            date!(2024 - 06 - 10)
        );
    }

    /// GDPR Art. 12(3): two further months, notified within the first month.
    #[test]
    fn gdpr_extension_by_two_months_within_the_first() {
        let r = date!(2024 - 05 - 10);
        assert_eq!(
            extended_due(
                Regime::Gdpr,
                RequestKind::Erasure,
                r,
                false,
                date!(2024 - 06 - 10)
            ),
            Ok(date!(2024 - 08 - 10))
        );
        // Counted from the end of the first month: 31 Jan -> 29 Feb -> 29 Apr.
        assert_eq!(
            extended_due(
                Regime::Gdpr,
                RequestKind::Access,
                date!(2024 - 01 - 31),
                false,
                date!(2024 - 02 - 01)
            ),
            Ok(date!(2024 - 04 - 29))
        );
        assert_eq!(
            extended_due(
                Regime::Gdpr,
                RequestKind::Erasure,
                r,
                false,
                date!(2024 - 06 - 11)
            ),
            Err(ExtendError::TooLate("2024-06-10".into()))
        );
        assert_eq!(
            extended_due(Regime::Gdpr, RequestKind::Erasure, r, true, r),
            Err(ExtendError::AlreadyExtended)
        );
    }

    /// Cal. Civ. Code §1798.130(a)(2)(A) (45 days) and 11 CCR §7021(a)
    /// (confirmation within 10 business days).
    #[test]
    fn ccpa_45_days_and_confirmation_in_10_business_days() {
        // 2024-06-07 is a Friday.
        for k in [
            RequestKind::Access,
            RequestKind::Portability,
            RequestKind::Erasure,
            RequestKind::Rectification,
        ] {
            let c = clock(Regime::Ccpa, k, date!(2024 - 06 - 07));
            assert_eq!(c.due, date!(2024 - 07 - 22), "{k}");
            assert_eq!(c.confirmation_due, Some(date!(2024 - 06 - 21)), "{k}");
            assert!(c.extendable);
        }
    }

    /// §1798.130(a)(2)(A): extended once by 45 days, notice within the first 45.
    #[test]
    fn ccpa_extension_once_by_45_days() {
        let r = date!(2024 - 06 - 07);
        assert_eq!(
            extended_due(
                Regime::Ccpa,
                RequestKind::Erasure,
                r,
                false,
                date!(2024 - 07 - 22)
            ),
            Ok(date!(2024 - 09 - 05))
        );
        assert_eq!(
            extended_due(
                Regime::Ccpa,
                RequestKind::Erasure,
                r,
                false,
                date!(2024 - 07 - 23)
            ),
            Err(ExtendError::TooLate("2024-07-22".into()))
        );
        assert_eq!(
            extended_due(Regime::Ccpa, RequestKind::Access, r, true, r),
            Err(ExtendError::AlreadyExtended)
        );
    }

    /// 11 CCR §7026(f) (opt-out of sale or sharing) and §7027(g) (limit the
    /// use of sensitive personal information): 15 business days, no extension.
    #[test]
    fn ccpa_opt_out_and_limit_in_15_business_days_without_extension() {
        for k in [RequestKind::OptOut, RequestKind::Restriction] {
            let c = clock(Regime::Ccpa, k, date!(2024 - 06 - 07));
            assert_eq!(c.due, date!(2024 - 06 - 28), "{k}");
            assert_eq!(c.confirmation_due, None);
            assert!(!c.extendable);
            assert_eq!(
                extended_due(
                    Regime::Ccpa,
                    k,
                    date!(2024 - 06 - 07),
                    false,
                    date!(2024 - 06 - 07)
                ),
                Err(ExtendError::NotExtendable("the CCPA"))
            );
        }
    }

    #[test]
    fn days_left_and_warnings() {
        let due = date!(2024 - 06 - 10);
        assert_eq!(days_left(date!(2024 - 06 - 03), due), 7);
        assert_eq!(days_left(date!(2024 - 06 - 12), due), -2);
        assert!(needs_warning(date!(2024 - 06 - 03), due, 7));
        assert!(!needs_warning(date!(2024 - 06 - 02), due, 7));
        assert!(needs_warning(date!(2024 - 06 - 12), due, 7));
    }
    fn purposes() -> Vec<RetentionPurpose<'static>> {
        vec![
            RetentionPurpose {
                id: "records",
                retention_days: 3653,
                legal_obligation: true,
                other_basis: false,
            },
            RetentionPurpose {
                id: "service",
                retention_days: 2555,
                legal_obligation: false,
                other_basis: true,
            },
            RetentionPurpose {
                id: "newsletter",
                retention_days: 4000,
                legal_obligation: false,
                other_basis: false,
            },
        ]
    }

    /// Art. 5(1)(e): the longest period of a purpose with a basis left.
    #[test]
    fn retention_is_the_longest_purpose_with_a_basis() {
        let p = purposes();
        // No records: the consent-only purpose has no basis.
        assert_eq!(retention_days(&p, true, |_| None), 3653);
        // A current grant brings the consent-only purpose in.
        let granted = |id: &str| (id == "newsletter").then_some(LatestRecord::Granted);
        assert_eq!(retention_days(&p, true, granted), 4000);
        // An expired grant does not (Art. 7: consent must be current).
        let expired = |id: &str| (id == "newsletter").then_some(LatestRecord::Expired);
        assert_eq!(retention_days(&p, true, expired), 3653);
        // A legal obligation survives an objection (Art. 17(3)(b)).
        assert_eq!(
            retention_days(&p, true, |_| Some(LatestRecord::Ended)),
            3653
        );
        // Without business records there is nothing the law makes us keep.
        assert_eq!(retention_days(&p, false, |_| Some(LatestRecord::Ended)), 0);
        assert_eq!(retention_days(&p, false, |_| None), 2555);
        // Without it, an objection ends the other purposes (Art. 21(1)).
        let others = &p[1..];
        assert_eq!(
            retention_days(others, true, |_| Some(LatestRecord::Ended)),
            0
        );
        assert_eq!(retention_days(others, true, |_| None), 2555);
        assert_eq!(retention_days(&[], true, |_| None), 0);
    }

    #[test]
    fn outlived_after_the_last_day() {
        let last = date!(2020 - 01 - 01);
        assert!(!outlived(last, 10, date!(2020 - 01 - 11)));
        assert!(outlived(last, 10, date!(2020 - 01 - 12)));
        assert!(outlived(last, 0, date!(2020 - 01 - 02)));
    }
}
