//! A typed import row: one variant per import kind.

use rapport_domain::rows::{
    ConsentRow, CustomerRow, DeliveryRow, InteractionRow, PartnerRow, ReferralRow, SupplierRow,
    TransactionRow,
};
use rapport_domain::{FieldError, ImportKind, Validated};
use serde::Deserialize;
use serde_json::Value;

/// One validated row of an import file.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    Customer(CustomerRow),
    Supplier(SupplierRow),
    Partner(PartnerRow),
    Transaction(TransactionRow),
    Interaction(InteractionRow),
    Delivery(DeliveryRow),
    Referral(ReferralRow),
    Consent(ConsentRow),
}

/// A validated row and the 1-based physical line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub line: u64,
    pub record: Record,
}

/// Applies one expression to the row inside any variant.
macro_rules! each {
    ($record:expr, $row:ident => $body:expr) => {
        match $record {
            Record::Customer($row) => $body,
            Record::Supplier($row) => $body,
            Record::Partner($row) => $body,
            Record::Transaction($row) => $body,
            Record::Interaction($row) => $body,
            Record::Delivery($row) => $body,
            Record::Referral($row) => $body,
            Record::Consent($row) => $body,
        }
    };
}

/// Builds the variant for `kind` from a deserialiser (an owned or borrowed
/// `Value`), so both call sites share one match.
macro_rules! build {
    ($kind:expr, $de:expr) => {
        match $kind {
            ImportKind::Customers => CustomerRow::deserialize($de).map(Record::Customer),
            ImportKind::Suppliers => SupplierRow::deserialize($de).map(Record::Supplier),
            ImportKind::Partners => PartnerRow::deserialize($de).map(Record::Partner),
            ImportKind::Transactions => TransactionRow::deserialize($de).map(Record::Transaction),
            ImportKind::Interactions => InteractionRow::deserialize($de).map(Record::Interaction),
            ImportKind::Deliveries => DeliveryRow::deserialize($de).map(Record::Delivery),
            ImportKind::Referrals => ReferralRow::deserialize($de).map(Record::Referral),
            ImportKind::Consents => ConsentRow::deserialize($de).map(Record::Consent),
        }
    };
}

impl Record {
    /// The row's external id (the client's own identifier).
    pub fn id(&self) -> &str {
        each!(self, r => &r.id)
    }

    /// The import kind this record belongs to.
    pub fn kind(&self) -> ImportKind {
        match self {
            Record::Customer(_) => ImportKind::Customers,
            Record::Supplier(_) => ImportKind::Suppliers,
            Record::Partner(_) => ImportKind::Partners,
            Record::Transaction(_) => ImportKind::Transactions,
            Record::Interaction(_) => ImportKind::Interactions,
            Record::Delivery(_) => ImportKind::Deliveries,
            Record::Referral(_) => ImportKind::Referrals,
            Record::Consent(_) => ImportKind::Consents,
        }
    }

    /// Moves a schema-valid object into its typed row (the hot path: strings
    /// are moved, not copied).
    pub(crate) fn from_value(kind: ImportKind, value: Value) -> Result<Record, serde_json::Error> {
        build!(kind, value)
    }

    /// Reads a typed row from an object that failed the schema, if it still
    /// fits the type, so that semantic checks can report their problems too.
    pub(crate) fn from_ref(kind: ImportKind, value: &Value) -> Result<Record, serde_json::Error> {
        build!(kind, value)
    }

    /// The domain's semantic checks.
    pub(crate) fn check(&self) -> Vec<FieldError> {
        each!(self, r => r.check())
    }
}
