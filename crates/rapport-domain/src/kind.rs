//! The kinds of record a tenant imports, and the stakeholder kinds.

use std::fmt;
use std::str::FromStr;

use schemars::Schema;
use serde::{Deserialize, Serialize};

use crate::rows;

/// Which side of the business a stakeholder is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StakeholderKind {
    Customer,
    Supplier,
    Partner,
}

impl StakeholderKind {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Supplier => "supplier",
            Self::Partner => "partner",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Self::Customer),
            "supplier" => Some(Self::Supplier),
            "partner" => Some(Self::Partner),
            _ => None,
        }
    }
}

impl fmt::Display for StakeholderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an import file holds. The order of [`ImportKind::ALL`] is the order in
/// which a full data set must be imported: stakeholders before the records
/// that refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Suppliers,
    Partners,
    Transactions,
    Interactions,
    Deliveries,
    Referrals,
    Consents,
}

impl ImportKind {
    /// Every kind, in dependency order.
    pub const ALL: [ImportKind; 8] = [
        Self::Customers,
        Self::Suppliers,
        Self::Partners,
        Self::Transactions,
        Self::Interactions,
        Self::Deliveries,
        Self::Referrals,
        Self::Consents,
    ];

    /// The plural name used on the command line and as the file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Suppliers => "suppliers",
            Self::Partners => "partners",
            Self::Transactions => "transactions",
            Self::Interactions => "interactions",
            Self::Deliveries => "deliveries",
            Self::Referrals => "referrals",
            Self::Consents => "consents",
        }
    }

    /// The stakeholder kind this file creates, if it is a stakeholder file.
    pub fn stakeholder_kind(self) -> Option<StakeholderKind> {
        match self {
            Self::Customers => Some(StakeholderKind::Customer),
            Self::Suppliers => Some(StakeholderKind::Supplier),
            Self::Partners => Some(StakeholderKind::Partner),
            _ => None,
        }
    }

    /// The JSON Schema of one row, derived from its Rust type.
    pub fn schema(self) -> Schema {
        match self {
            Self::Customers => schemars::schema_for!(rows::CustomerRow),
            Self::Suppliers => schemars::schema_for!(rows::SupplierRow),
            Self::Partners => schemars::schema_for!(rows::PartnerRow),
            Self::Transactions => schemars::schema_for!(rows::TransactionRow),
            Self::Interactions => schemars::schema_for!(rows::InteractionRow),
            Self::Deliveries => schemars::schema_for!(rows::DeliveryRow),
            Self::Referrals => schemars::schema_for!(rows::ReferralRow),
            Self::Consents => schemars::schema_for!(rows::ConsentRow),
        }
    }

    /// Path of the checked-in schema, relative to the repository root.
    pub fn schema_path(self) -> String {
        format!("schemas/import/{}.schema.json", self.as_str())
    }

    /// The fields of this kind that hold personal data and are sealed by the
    /// vault. Everything else is stored as it is.
    pub fn sealed_fields(self) -> &'static [&'static str] {
        match self {
            Self::Customers => &[
                "name",
                "email",
                "phone",
                "address",
                "birth_date",
                "gender",
                "age_band",
                "notes",
            ],
            Self::Suppliers => &["name", "contact_name", "email", "phone", "address", "notes"],
            Self::Partners => &["name", "contact_name", "email", "phone", "notes"],
            Self::Interactions => &["text"],
            Self::Transactions | Self::Deliveries | Self::Referrals | Self::Consents => &[],
        }
    }

    /// Protected attributes: sealed like other personal fields, and in
    /// addition reserved for fairness audits (never granted to a plugin).
    pub fn protected_fields(self) -> &'static [&'static str] {
        match self {
            Self::Customers => &["gender", "age_band", "birth_date"],
            _ => &[],
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown import kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown import kind `{0}` (expected one of: customers, suppliers, partners, transactions, interactions, deliveries, referrals, consents)")]
pub struct UnknownKind(pub String);

impl FromStr for ImportKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}
