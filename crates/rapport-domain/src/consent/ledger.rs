//! The consent ledger as the decision function sees it: parsed, typed
//! events, the privacy notices they were given under, and the facts about the
//! subject that change which rules apply.
//!
//! Everything here is plain data with serde derives, so a stored ledger, a
//! scenario fixture and a `--json` answer all use one shape. Instants are RFC
//! 3339 strings on the wire (see [`crate::time_fmt`]).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::rows::{CollectionMethod, ConsentRow, ConsentStatus, LawfulBasis};
use crate::time_fmt::parse_instant;
use crate::validate::FieldError;

pub use crate::rows::GivenBy;

/// The privacy notice version a record was given under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeRef {
    /// Notice id.
    pub id: String,
    /// Notice version.
    pub version: u32,
}

/// One immutable version of a privacy notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Notice id, stable across versions.
    pub id: String,
    /// Version; higher is newer.
    pub version: u32,
    /// Hash of the notice text, so the version a person saw can be proven.
    pub content_hash: String,
    /// When this version was published.
    #[serde(with = "rfc3339")]
    pub published_at: OffsetDateTime,
    /// Whether this version changed what people agreed to (new purposes,
    /// recipients or data), so grants given under earlier versions lapse.
    pub material_change: bool,
}

/// One stored consent record, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentEvent {
    /// Record id.
    pub id: String,
    /// Record version: records are append-only, a correction is a new version
    /// of the same id and hides the older ones.
    #[serde(default = "one")]
    pub version: u32,
    /// Purpose id from the purpose registry.
    pub purpose: String,
    /// GDPR Art. 6(1) basis the record is about.
    pub lawful_basis: LawfulBasis,
    /// Granted, withdrawn, refused or objected.
    pub status: ConsentStatus,
    /// Jurisdiction the record was collected under (`EU`, `GB`, `US-CA`, ...).
    pub jurisdiction: String,
    /// When it was recorded.
    #[serde(with = "rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// When a grant lapses.
    #[serde(default, with = "opt_rfc3339", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<OffsetDateTime>,
    /// How it was collected; `gpc_signal` is a Global Privacy Control signal.
    pub method: CollectionMethod,
    /// Notice version it was given under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<NoticeRef>,
    /// Explicit consent (GDPR Art. 9(2)(a), 22(2)(c)): a separate, express
    /// statement such as its own tick box.
    #[serde(default)]
    pub explicit: bool,
    /// Who gave it.
    #[serde(default)]
    pub given_by: GivenBy,
}

fn one() -> u32 {
    1
}

impl ConsentEvent {
    /// Whether the record says "no" to its purpose.
    pub fn is_negative(&self) -> bool {
        !matches!(self.status, ConsentStatus::Granted)
    }

    /// Whether this is a Global Privacy Control signal. A signal can only opt
    /// out, never in (11 CCR §7025), whatever status it was stored with.
    pub fn is_gpc(&self) -> bool {
        self.method == CollectionMethod::GpcSignal
    }

    /// Builds an event from an imported row. Absent `version`, `explicit`
    /// and `given_by` take their safe defaults: version 1, not explicit
    /// (special-category and automated-decision purposes then stay denied)
    /// and given by the subject.
    pub fn from_row(row: &ConsentRow) -> Result<Self, FieldError> {
        let recorded_at =
            parse_instant(&row.recorded_at).map_err(|r| FieldError::new("recorded_at", r))?;
        let expires_at = match &row.expires_at {
            Some(s) => Some(parse_instant(s).map_err(|r| FieldError::new("expires_at", r))?),
            None => None,
        };
        let notice = match (&row.notice_id, row.notice_version) {
            (Some(id), Some(v)) => Some(NoticeRef {
                id: id.clone(),
                version: u32::try_from(v)
                    .map_err(|_| FieldError::new("notice_version", "is out of range"))?,
            }),
            (None, None) => None,
            _ => {
                return Err(FieldError::new(
                    "notice_version",
                    "`notice_id` and `notice_version` must be given together",
                ))
            }
        };
        let version = match row.version {
            None => 1,
            Some(v) => {
                u32::try_from(v).map_err(|_| FieldError::new("version", "is out of range"))?
            }
        };
        Ok(Self {
            id: row.id.clone(),
            version,
            purpose: row.purpose.clone(),
            lawful_basis: row.lawful_basis,
            status: row.status,
            jurisdiction: row.jurisdiction.clone(),
            recorded_at,
            expires_at,
            method: row.method,
            notice,
            explicit: row.explicit.unwrap_or(false),
            given_by: row.given_by.unwrap_or_default(),
        })
    }
}

/// What the decision needs to know about the person, beyond the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectFacts {
    /// Date of birth, when the controller knows it. Age-based rules apply
    /// only with actual knowledge of age (Cal. Civ. Code §1798.120(c)).
    #[serde(default, with = "opt_date", skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Date>,
    /// Every jurisdiction whose law protects the person, e.g. `["EU"]` or
    /// `["EU", "US-CA"]`; all of them must allow a purpose.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
}

impl SubjectFacts {
    /// Age in whole years on the date of `at` (UTC), if the birth date is
    /// known. A 29 February birthday falls on 1 March in common years.
    pub fn age_at(&self, at: OffsetDateTime) -> Option<i32> {
        let b = self.birth_date?;
        let d = at.to_offset(time::UtcOffset::UTC).date();
        let before_birthday = (u8::from(d.month()), d.day()) < (u8::from(b.month()), b.day());
        Some(d.year() - b.year() - i32::from(before_birthday))
    }
}

/// Serde for RFC 3339 instants, through [`crate::time_fmt`] so the domain
/// keeps one notion of an instant (and `time` needs no serde feature).
pub(crate) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time_fmt::format_instant(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::time_fmt::parse_instant(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for optional RFC 3339 instants.
pub(crate) mod opt_rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::rfc3339::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
            Some(s) => crate::time_fmt::parse_instant(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// Serde for optional `YYYY-MM-DD` dates.
pub(crate) mod opt_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&crate::time_fmt::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
            Some(s) => crate::time_fmt::parse_date(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ConsentRow {
        ConsentRow {
            id: "c1".into(),
            subject_id: "s1".into(),
            purpose: "direct_marketing_email".into(),
            lawful_basis: LawfulBasis::Consent,
            status: ConsentStatus::Granted,
            jurisdiction: "EU".into(),
            recorded_at: "2024-01-01T10:00:00+01:00".into(),
            expires_at: None,
            notice_id: Some("privacy".into()),
            notice_version: Some(2),
            method: CollectionMethod::WebForm,
            source: None,
            evidence_ref: None,
            actor: None,
            version: None,
            explicit: None,
            given_by: None,
        }
    }

    #[test]
    fn rows_become_events_with_safe_defaults() {
        let e = ConsentEvent::from_row(&row()).expect("valid row");
        assert_eq!(
            e.notice,
            Some(NoticeRef {
                id: "privacy".into(),
                version: 2
            })
        );
        assert!(!e.explicit, "explicitness is never assumed");
        assert_eq!(e.given_by, GivenBy::Subject);
        assert_eq!(
            crate::time_fmt::format_instant(e.recorded_at),
            "2024-01-01T09:00:00Z"
        );
    }

    #[test]
    fn half_a_notice_reference_is_an_error() {
        let mut r = row();
        r.notice_version = None;
        assert_eq!(
            ConsentEvent::from_row(&r).map_err(|e| e.field),
            Err("notice_version".to_owned())
        );
    }

    #[test]
    fn age_counts_whole_years() {
        let s = SubjectFacts {
            birth_date: Date::from_calendar_date(2008, time::Month::June, 2).ok(),
            jurisdictions: vec![],
        };
        let at = |d: &str| crate::time_fmt::parse_instant(d).expect("instant");
        assert_eq!(s.age_at(at("2024-06-01T23:59:59Z")), Some(15));
        assert_eq!(s.age_at(at("2024-06-02T00:00:00Z")), Some(16));
    }
}
