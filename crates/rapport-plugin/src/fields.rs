//! The catalogue of input fields a plugin may declare: its data-access
//! scope. Each name maps to one `option` field of the WIT records in
//! `plugins/sdk/wit/plugin.wit`; the host fills only declared and granted
//! fields and leaves every other one `none`.
//!
//! Identity and contact fields and protected attributes have no place in the
//! interface. Declaring one is refused by name, so a manifest cannot even ask.

use std::fmt;

use crate::WitVersion;

/// Which records a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Customer,
    Supplier,
}

/// One declarable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// The records the field belongs to (customers for the fields that
    /// every subject has, see `every_subject`).
    pub subject: Subject,
    pub description: &'static str,
    /// True for the fields every subject has, whatever the plugin scores
    /// (the `previous.*` output of the plugin itself).
    pub every_subject: bool,
    /// The first contract version that carries the field.
    pub since: WitVersion,
}

impl Field {
    /// Whether a plugin that scores `subject` records may declare it.
    pub fn applies_to(&self, subject: Subject) -> bool {
        self.every_subject || self.subject == subject
    }
}

macro_rules! fields {
    ($($name:literal, $subject:ident, $desc:literal;)*
     since 0.2.0, every subject: $($name2:literal, $desc2:literal;)*) => {
        /// Every declarable field, in catalogue order.
        pub const ALL: &[Field] = &[
            $(Field { name: $name, subject: Subject::$subject, description: $desc, every_subject: false, since: WitVersion::V0_1 },)*
            $(Field { name: $name2, subject: Subject::Customer, description: $desc2, every_subject: true, since: WitVersion::V0_2 },)*
        ];
    };
}

fields! {
    "customer.signup", Customer, "sign-up date";
    "customer.country", Customer, "country code";
    "customer.region", Customer, "region within the country";
    "purchases.count", Customer, "number of transactions";
    "purchases.days", Customer, "number of distinct days with a purchase";
    "purchases.first", Customer, "first purchase instant";
    "purchases.last", Customer, "last purchase instant";
    "purchases.total_amount", Customer, "sum of transaction amounts";
    "purchases.total_quantity", Customer, "sum of transaction quantities";
    "transactions.at", Customer, "instant of each transaction";
    "transactions.amount", Customer, "amount of each transaction";
    "transactions.quantity", Customer, "quantity of each transaction";
    "transactions.channel", Customer, "channel of each transaction";
    "interactions.at", Customer, "instant of each interaction";
    "interactions.kind", Customer, "kind of each interaction (email_open, ticket_opened, ...)";
    "interactions.channel", Customer, "channel of each interaction";
    "interactions.nps", Customer, "NPS answer, 0-10";
    "interactions.sentiment", Customer, "sentiment score of an interaction";
    "referrals.referred", Customer, "handle of each customer this customer referred";
    "referrals.at", Customer, "instant of each referral";
    "supplier.category", Supplier, "supplier category";
    "supplier.country", Supplier, "supplier country code";
    "deliveries.ordered", Supplier, "order instant of each delivery";
    "deliveries.promised", Supplier, "promised delivery instant";
    "deliveries.delivered", Supplier, "actual delivery instant";
    "deliveries.quantity_ordered", Supplier, "quantity ordered";
    "deliveries.quantity_delivered", Supplier, "quantity delivered";
    "deliveries.quantity_accepted", Supplier, "quantity accepted by quality control";
    "deliveries.unit_price", Supplier, "unit price paid";
    "deliveries.agreed_unit_price", Supplier, "unit price agreed";
    "deliveries.response_hours", Supplier, "hours the supplier took to respond";
    since 0.2.0, every subject:
    "previous.as_of", "\"as of\" instant of this plugin's most recent earlier successful run";
    "previous.score", "this plugin's score for the subject in that run";
    "previous.label", "this plugin's label for the subject in that run";
}

/// Names that exist in the store but are never available to a plugin:
/// identity and contact data, free text, and protected attributes (which
/// exist for fairness audits only).
pub const NEVER_GRANTED: &[(&str, &str)] = &[
    ("customer.name", "identity data"),
    ("customer.email", "contact data"),
    ("customer.phone", "contact data"),
    ("customer.address", "contact data"),
    ("customer.notes", "free text"),
    (
        "customer.gender",
        "a protected attribute, reserved for fairness audits",
    ),
    (
        "customer.age_band",
        "a protected attribute, reserved for fairness audits",
    ),
    (
        "customer.birth_date",
        "a protected attribute, reserved for fairness audits",
    ),
    ("interactions.text", "free text"),
    ("supplier.name", "identity data"),
    ("supplier.contact_name", "identity data"),
    ("supplier.email", "contact data"),
    ("supplier.phone", "contact data"),
    ("supplier.address", "contact data"),
    ("supplier.notes", "free text"),
];

/// Why a declared field cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("input field `{name}` is {why} and is never granted to a plugin")]
    NeverGranted { name: String, why: &'static str },
    #[error("unknown input field `{name}`{hint}")]
    Unknown { name: String, hint: String },
    #[error("input field `{name}` belongs to {found:?} records, but this plugin scores {expected:?} records")]
    WrongSubject {
        name: String,
        found: Subject,
        expected: Subject,
    },
}

/// Looks a declared name up.
pub fn lookup(name: &str) -> Result<&'static Field, FieldError> {
    if let Some(f) = ALL.iter().find(|f| f.name == name) {
        return Ok(f);
    }
    if let Some((_, why)) = NEVER_GRANTED.iter().find(|(n, _)| *n == name) {
        return Err(FieldError::NeverGranted {
            name: name.to_owned(),
            why,
        });
    }
    let prefix = name.split('.').next().unwrap_or(name);
    let same_group: Vec<&str> = ALL
        .iter()
        .filter(|f| f.name.split('.').next() == Some(prefix))
        .map(|f| f.name)
        .collect();
    let hint = if same_group.is_empty() {
        String::from(" (see `rapport plugin fields` for the catalogue)")
    } else {
        format!(" (known `{prefix}.*` fields: {})", same_group.join(", "))
    };
    Err(FieldError::Unknown {
        name: name.to_owned(),
        hint,
    })
}

/// A set of granted field names, checked against the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(Vec<&'static str>);

impl FieldSet {
    /// Builds a set from declared names; every name must be in the catalogue
    /// and of the expected subject.
    pub fn parse<'a>(
        names: impl IntoIterator<Item = &'a str>,
        expected: Subject,
    ) -> Result<Self, FieldError> {
        let mut out = Vec::new();
        for n in names {
            let f = lookup(n)?;
            if !f.applies_to(expected) {
                return Err(FieldError::WrongSubject {
                    name: n.to_owned(),
                    found: f.subject,
                    expected,
                });
            }
            if !out.contains(&f.name) {
                out.push(f.name);
            }
        }
        out.sort_unstable();
        Ok(Self(out))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }

    /// True when any field in the `group.` prefix is granted.
    pub fn any_in(&self, group: &str) -> bool {
        self.0
            .iter()
            .any(|n| n.split('.').next() == Some(group) && n.len() > group.len())
    }

    pub fn names(&self) -> &[&'static str] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields of `self` that are also in `other`.
    pub fn intersect(&self, other: &FieldSet) -> FieldSet {
        FieldSet(
            self.0
                .iter()
                .copied()
                .filter(|n| other.contains(n))
                .collect(),
        )
    }

    /// Every catalogue field of a subject.
    pub fn all_of(subject: Subject) -> FieldSet {
        FieldSet(
            ALL.iter()
                .filter(|f| f.applies_to(subject))
                .map(|f| f.name)
                .collect(),
        )
    }
}

impl fmt::Display for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_attributes_are_refused_by_name() {
        let err = lookup("customer.gender").unwrap_err();
        assert!(err.to_string().contains("protected attribute"), "{err}");
        let err = FieldSet::parse(["purchases.count", "customer.age_band"], Subject::Customer)
            .unwrap_err();
        assert!(err.to_string().contains("customer.age_band"), "{err}");
    }

    #[test]
    fn unknown_fields_get_a_hint_from_their_group() {
        let err = lookup("purchases.totl_amount").unwrap_err().to_string();
        assert!(err.contains("purchases.total_amount"), "{err}");
    }

    #[test]
    fn supplier_fields_are_refused_for_customer_plugins() {
        let err = FieldSet::parse(["deliveries.ordered"], Subject::Customer).unwrap_err();
        assert!(matches!(err, FieldError::WrongSubject { .. }), "{err}");
    }

    #[test]
    fn previous_output_fields_apply_to_every_subject_from_0_2_0() {
        for subject in [Subject::Customer, Subject::Supplier] {
            let set = FieldSet::parse(["previous.score", "previous.label"], subject)
                .expect("previous.* is declarable for every subject");
            assert!(set.any_in("previous"));
            assert!(FieldSet::all_of(subject).contains("previous.as_of"));
        }
        assert_eq!(
            lookup("previous.score").expect("known").since,
            WitVersion::V0_2
        );
    }

    #[test]
    fn catalogue_names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
