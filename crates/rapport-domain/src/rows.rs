//! Import row formats: one Rust type per import kind.
//!
//! These types are the contract for CSV and JSON Lines files. Their JSON
//! Schemas are derived from them into `schemas/import/` (checked for drift by a
//! test), every imported row is validated against its schema, and then
//! [`crate::validate`] checks what a schema cannot express (calendar dates,
//! relations between fields).
//!
//! Field names are the CSV column names. Dates are `YYYY-MM-DD`; instants are
//! RFC 3339 (`2024-05-01T12:00:00Z`). External ids are the client's own
//! identifiers: they must not be personal data (no e-mail addresses), so the
//! pattern forbids `@` and whitespace.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Regex every external id must match.
pub const EXTERNAL_ID_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$";

/// A customer: a person or household who buys from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "customer",
    description = "One customer of the client. Personal fields are sealed by the vault before they are stored."
)]
pub struct CustomerRow {
    /// The client's identifier for this customer (not personal data).
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// Full name. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub name: Option<String>,
    /// E-mail address. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+$"), length(max = 320))]
    pub email: Option<String>,
    /// Phone number. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\+?[0-9 ()./-]{3,40}$"))]
    pub phone: Option<String>,
    /// Postal address on one line. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub address: Option<String>,
    /// Date of birth, `YYYY-MM-DD`. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub birth_date: Option<String>,
    /// Gender as the customer gave it. Protected attribute: sealed, used by audits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub gender: Option<String>,
    /// Age band such as `25-34`. Protected attribute: sealed, used by audits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32))]
    pub age_band: Option<String>,
    /// ISO 3166-1 alpha-2 country code; decides the jurisdiction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// ISO 3166-2 subdivision code without the country, e.g. `CA` for California.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z0-9]{1,3}$"))]
    pub region: Option<String>,
    /// Date the customer relationship began, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub signup_date: Option<String>,
    /// Free-text notes. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10000))]
    pub notes: Option<String>,
}

/// A supplier the client buys from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "supplier",
    description = "One supplier of the client. Contact details are sealed by the vault."
)]
pub struct SupplierRow {
    /// The client's identifier for this supplier.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// Trading name. Sealed: a sole trader's name is personal data.
    #[schemars(length(min = 1, max = 512))]
    pub name: String,
    /// Name of the contact person. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub contact_name: Option<String>,
    /// Contact e-mail address. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+$"), length(max = 320))]
    pub email: Option<String>,
    /// Contact phone number. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\+?[0-9 ()./-]{3,40}$"))]
    pub phone: Option<String>,
    /// Postal address on one line. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub address: Option<String>,
    /// Category of goods or services, e.g. `packaging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub category: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// Free-text notes. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10000))]
    pub notes: Option<String>,
}

/// A partner: a reseller, affiliate or referrer organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "partner",
    description = "One partner of the client. Contact details are sealed by the vault."
)]
pub struct PartnerRow {
    /// The client's identifier for this partner.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// Trading name. Sealed: a sole trader's name is personal data.
    #[schemars(length(min = 1, max = 512))]
    pub name: String,
    /// Name of the contact person. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub contact_name: Option<String>,
    /// Contact e-mail address. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+$"), length(max = 320))]
    pub email: Option<String>,
    /// Contact phone number. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\+?[0-9 ()./-]{3,40}$"))]
    pub phone: Option<String>,
    /// Kind of partnership, e.g. `reseller`, `affiliate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub partner_type: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// Free-text notes. Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10000))]
    pub notes: Option<String>,
}

/// A purchase by a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "transaction", description = "One purchase by a customer.")]
pub struct TransactionRow {
    /// The client's identifier for this transaction.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// External id of the customer who bought; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub customer_id: String,
    /// Date of purchase, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    /// Number of items bought.
    #[serde(default = "one")]
    #[schemars(range(min = 0))]
    pub quantity: i64,
    /// Total amount paid, in the currency's major unit.
    #[schemars(range(min = 0.0))]
    pub amount: f64,
    /// ISO 4217 currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// Sales channel, e.g. `web`, `store`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub channel: Option<String>,
}

fn one() -> i64 {
    1
}

/// Kinds of interaction between the client and a stakeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    EmailSent,
    EmailOpen,
    EmailClick,
    WebVisit,
    Call,
    Meeting,
    TicketOpened,
    TicketClosed,
    NpsResponse,
    Complaint,
}

impl InteractionKind {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailSent => "email_sent",
            Self::EmailOpen => "email_open",
            Self::EmailClick => "email_click",
            Self::WebVisit => "web_visit",
            Self::Call => "call",
            Self::Meeting => "meeting",
            Self::TicketOpened => "ticket_opened",
            Self::TicketClosed => "ticket_closed",
            Self::NpsResponse => "nps_response",
            Self::Complaint => "complaint",
        }
    }
}

/// A touchpoint: an e-mail opened, a support ticket, an NPS answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "interaction",
    description = "One interaction with a stakeholder (customer, supplier or partner)."
)]
pub struct InteractionRow {
    /// The client's identifier for this interaction.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// External id of the stakeholder; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub stakeholder_id: String,
    /// When it happened, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub occurred_at: String,
    /// What happened.
    pub kind: InteractionKind,
    /// Channel, e.g. `email`, `web`, `phone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub channel: Option<String>,
    /// Net Promoter Score answer 0–10; only on `nps_response`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10))]
    pub nps: Option<i64>,
    /// Sentiment from -1 (negative) to 1 (positive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1.0, max = 1.0))]
    pub sentiment: Option<f64>,
    /// Free text (ticket body, survey comment). Personal: sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10000))]
    pub text: Option<String>,
}

/// A delivery from a supplier against an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "delivery",
    description = "One supplier delivery against a purchase order."
)]
pub struct DeliveryRow {
    /// The client's identifier for this delivery.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// External id of the supplier; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub supplier_id: String,
    /// Date the order was placed, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub order_date: String,
    /// Date the supplier promised, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub promised_date: String,
    /// Date it arrived, `YYYY-MM-DD`; empty while outstanding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub delivered_date: Option<String>,
    /// Units ordered.
    #[schemars(range(min = 0))]
    pub quantity_ordered: i64,
    /// Units delivered.
    #[schemars(range(min = 0))]
    pub quantity_delivered: i64,
    /// Units that passed quality inspection; at most `quantity_delivered`.
    #[schemars(range(min = 0))]
    pub quantity_accepted: i64,
    /// Price paid per unit.
    #[schemars(range(min = 0.0))]
    pub unit_price: f64,
    /// Price agreed per unit in the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub agreed_unit_price: Option<f64>,
    /// Hours the supplier took to answer the last query on this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub response_hours: Option<f64>,
}

/// One stakeholder bringing in another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "referral", description = "One referral: who brought whom.")]
pub struct ReferralRow {
    /// The client's identifier for this referral.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// External id of the stakeholder who referred; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub referrer_id: String,
    /// External id of the stakeholder who was referred; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub referred_id: String,
    /// Date of the referral, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub date: String,
}

/// GDPR Art. 6(1) lawful bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LawfulBasis {
    /// Art. 6(1)(a).
    Consent,
    /// Art. 6(1)(b).
    Contract,
    /// Art. 6(1)(c).
    LegalObligation,
    /// Art. 6(1)(d).
    VitalInterests,
    /// Art. 6(1)(e).
    PublicTask,
    /// Art. 6(1)(f).
    LegitimateInterests,
}

impl LawfulBasis {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "contract",
            Self::LegalObligation => "legal_obligation",
            Self::VitalInterests => "vital_interests",
            Self::PublicTask => "public_task",
            Self::LegitimateInterests => "legitimate_interests",
        }
    }
}

/// Status a consent record gives its purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Granted,
    Withdrawn,
    Refused,
    Objected,
}

impl ConsentStatus {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Withdrawn => "withdrawn",
            Self::Refused => "refused",
            Self::Objected => "objected",
        }
    }
}

/// How a consent record was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CollectionMethod {
    WebForm,
    Import,
    Api,
    /// A `Sec-GPC: 1` Global Privacy Control signal.
    GpcSignal,
    Email,
    Phone,
    Paper,
    InPerson,
}

impl CollectionMethod {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebForm => "web_form",
            Self::Import => "import",
            Self::Api => "api",
            Self::GpcSignal => "gpc_signal",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Paper => "paper",
            Self::InPerson => "in_person",
        }
    }
}

/// Who gave a consent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GivenBy {
    /// The data subject.
    #[default]
    Subject,
    /// A holder of parental responsibility for a child (GDPR Art. 8(1); Cal.
    /// Civ. Code §1798.120(c); C.R.S. 6-1-1308(7)).
    ParentOrGuardian,
}

impl GivenBy {
    /// The snake_case name used in files and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::ParentOrGuardian => "parent_or_guardian",
        }
    }
}

/// One consent event for a subject and purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "consent",
    description = "One consent event: a grant, withdrawal, refusal or objection for one purpose."
)]
pub struct ConsentRow {
    /// The client's identifier for this consent record.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: String,
    /// External id of the data subject; must already be imported.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub subject_id: String,
    /// Processing purpose, e.g. `direct_marketing_email`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,63}$"))]
    pub purpose: String,
    /// GDPR Art. 6(1) lawful basis.
    pub lawful_basis: LawfulBasis,
    /// What the record says about the purpose.
    pub status: ConsentStatus,
    /// Jurisdiction the record was collected under, e.g. `EU`, `US-CA`.
    #[schemars(regex(pattern = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"))]
    pub jurisdiction: String,
    /// When it was recorded, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub recorded_at: String,
    /// When a grant lapses, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Privacy notice the record was given under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub notice_id: Option<String>,
    /// Version of that notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub notice_version: Option<i64>,
    /// How it was collected.
    pub method: CollectionMethod,
    /// Where it was collected, e.g. `checkout-form`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub source: Option<String>,
    /// Reference to stored evidence (a form submission id), not the evidence itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub evidence_ref: Option<String>,
    /// Who recorded it (a user or system name, not the subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub actor: Option<String>,
    /// Record version; a correction is a new version of the same id, which
    /// hides the older ones. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000000))]
    pub version: Option<i64>,
    /// Explicit consent (GDPR Art. 9(2)(a), 22(2)(c)), e.g. its own tick box. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explicit: Option<bool>,
    /// Who gave it. Default `subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_by: Option<GivenBy>,
}
