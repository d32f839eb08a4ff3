//! Checks that a JSON Schema cannot express: real calendar dates and
//! instants, and relations between fields of one row.
//!
//! Schema validation runs first (types, ranges, patterns, required and
//! unknown fields); these checks then run on the typed row. Relations between
//! rows (duplicate ids, references to stakeholders) need the whole file and
//! the store, so the importer checks them.

use crate::rows::*;
use crate::time_fmt::{parse_date, parse_instant};

/// One problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Column (CSV) or property (JSON) name.
    pub field: String,
    /// What is wrong, in words that never repeat a personal value.
    pub reason: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Semantic checks on a typed row.
pub trait Validated {
    /// Every problem found; empty when the row is valid.
    fn check(&self) -> Vec<FieldError>;
}

fn date(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if let Err(reason) = parse_date(value) {
        errors.push(FieldError::new(field, reason));
    }
}

fn opt_date(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>) {
    if let Some(v) = value {
        date(errors, field, v);
    }
}

fn instant(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if let Err(reason) = parse_instant(value) {
        errors.push(FieldError::new(field, reason));
    }
}

fn finite(errors: &mut Vec<FieldError>, field: &str, value: f64) {
    if !value.is_finite() {
        errors.push(FieldError::new(field, "must be a finite number"));
    }
}

impl Validated for CustomerRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        // The birth date is personal: the message names only the expected form.
        if let Some(b) = &self.birth_date {
            if parse_date(b).is_err() {
                e.push(FieldError::new(
                    "birth_date",
                    "is not a calendar date (expected YYYY-MM-DD)",
                ));
            }
        }
        opt_date(&mut e, "signup_date", &self.signup_date);
        if self.region.is_some() && self.country.is_none() {
            e.push(FieldError::new("region", "needs `country` as well"));
        }
        e
    }
}

impl Validated for SupplierRow {
    fn check(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

impl Validated for PartnerRow {
    fn check(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

impl Validated for TransactionRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        date(&mut e, "date", &self.date);
        finite(&mut e, "amount", self.amount);
        if self.quantity < 0 {
            e.push(FieldError::new("quantity", "must not be negative"));
        }
        if self.amount < 0.0 {
            e.push(FieldError::new("amount", "must not be negative"));
        }
        e
    }
}

impl Validated for InteractionRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        instant(&mut e, "occurred_at", &self.occurred_at);
        if self.nps.is_some() && self.kind != InteractionKind::NpsResponse {
            e.push(FieldError::new(
                "nps",
                "is only allowed on `nps_response` interactions",
            ));
        }
        if self.kind == InteractionKind::NpsResponse && self.nps.is_none() {
            e.push(FieldError::new(
                "nps",
                "is required on `nps_response` interactions",
            ));
        }
        if let Some(s) = self.sentiment {
            finite(&mut e, "sentiment", s);
        }
        e
    }
}

impl Validated for DeliveryRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        date(&mut e, "order_date", &self.order_date);
        date(&mut e, "promised_date", &self.promised_date);
        opt_date(&mut e, "delivered_date", &self.delivered_date);
        finite(&mut e, "unit_price", self.unit_price);
        if let (Ok(order), Ok(promised)) = (
            parse_date(&self.order_date),
            parse_date(&self.promised_date),
        ) {
            if promised < order {
                e.push(FieldError::new("promised_date", "is before `order_date`"));
            }
            if let Some(Ok(delivered)) = self.delivered_date.as_deref().map(parse_date) {
                if delivered < order {
                    e.push(FieldError::new("delivered_date", "is before `order_date`"));
                }
            }
        }
        for (field, q) in [
            ("quantity_ordered", self.quantity_ordered),
            ("quantity_delivered", self.quantity_delivered),
            ("quantity_accepted", self.quantity_accepted),
        ] {
            if q < 0 {
                e.push(FieldError::new(field, "must not be negative"));
            }
        }
        if self.quantity_accepted > self.quantity_delivered {
            e.push(FieldError::new(
                "quantity_accepted",
                "is more than `quantity_delivered`",
            ));
        }
        if self.delivered_date.is_none() && self.quantity_delivered > 0 {
            e.push(FieldError::new(
                "delivered_date",
                "is required when `quantity_delivered` is above 0",
            ));
        }
        e
    }
}

impl Validated for ReferralRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        date(&mut e, "date", &self.date);
        if self.referrer_id == self.referred_id {
            e.push(FieldError::new(
                "referred_id",
                "is the same stakeholder as `referrer_id`",
            ));
        }
        e
    }
}

impl Validated for ConsentRow {
    fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        instant(&mut e, "recorded_at", &self.recorded_at);
        if let Some(x) = &self.expires_at {
            instant(&mut e, "expires_at", x);
            if let (Ok(r), Ok(x)) = (parse_instant(&self.recorded_at), parse_instant(x)) {
                if x <= r {
                    e.push(FieldError::new("expires_at", "is not after `recorded_at`"));
                }
            }
        }
        if self.notice_version.is_some() && self.notice_id.is_none() {
            e.push(FieldError::new(
                "notice_version",
                "needs `notice_id` as well",
            ));
        }
        if self.method == CollectionMethod::GpcSignal && self.status == ConsentStatus::Granted {
            e.push(FieldError::new(
                "status",
                "a Global Privacy Control signal can only opt out, not grant",
            ));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> DeliveryRow {
        DeliveryRow {
            id: "D1".into(),
            supplier_id: "S1".into(),
            order_date: "2024-01-10".into(),
            promised_date: "2024-01-20".into(),
            delivered_date: Some("2024-01-22".into()),
            quantity_ordered: 10,
            quantity_delivered: 10,
            quantity_accepted: 9,
            unit_price: 2.5,
            agreed_unit_price: Some(2.4),
            response_hours: None,
        }
    }

    #[test]
    fn valid_delivery_passes() {
        assert_eq!(delivery().check(), vec![]);
    }

    #[test]
    fn accepted_above_delivered_is_named() {
        let mut d = delivery();
        d.quantity_accepted = 11;
        let e = d.check();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "quantity_accepted");
    }

    #[test]
    fn impossible_date_is_rejected() {
        let mut d = delivery();
        d.order_date = "2023-02-30".into();
        let e = d.check();
        assert_eq!(e[0].field, "order_date");
        assert!(
            e[0].reason.contains("not a calendar date"),
            "{}",
            e[0].reason
        );
    }

    #[test]
    fn birth_date_error_does_not_echo_the_value() {
        let c = CustomerRow {
            id: "C1".into(),
            name: None,
            email: None,
            phone: None,
            address: None,
            birth_date: Some("1990-13-45".into()),
            gender: None,
            age_band: None,
            country: None,
            region: None,
            signup_date: None,
            notes: None,
        };
        let e = c.check();
        assert_eq!(e[0].field, "birth_date");
        assert!(!e[0].reason.contains("1990"));
    }

    #[test]
    fn self_referral_is_rejected() {
        let r = ReferralRow {
            id: "R1".into(),
            referrer_id: "C1".into(),
            referred_id: "C1".into(),
            date: "2024-01-01".into(),
        };
        assert_eq!(r.check()[0].field, "referred_id");
    }
}
