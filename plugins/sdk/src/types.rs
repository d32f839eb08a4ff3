//! The records a plugin reads and the outputs it returns, one Rust value per
//! subject and per output.
//!
//! On the wire (WIT `rapport:plugin@0.2.0`) batches and outputs travel as
//! columns; the export glue converts (see `columns.rs`), so these types stay
//! what plugins were written against, and the same plugin code runs natively
//! in tests and benchmarks. Every input field is an `Option`: the host fills
//! only the fields the plugin's manifest declares and the tenant grants.

use serde::{Deserialize, Serialize};

/// Purchases summarised by the host (cheaper than the full list).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Purchases {
    /// Number of transactions.
    pub count: Option<u32>,
    /// Number of distinct calendar days with a purchase.
    pub days: Option<u32>,
    /// First purchase instant.
    pub first: Option<i64>,
    /// Last purchase instant.
    pub last: Option<i64>,
    /// Sum of transaction amounts.
    pub total_amount: Option<f64>,
    /// Sum of transaction quantities.
    pub total_quantity: Option<i64>,
}

/// One purchase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// When it happened.
    pub at: Option<i64>,
    /// Amount paid.
    pub amount: Option<f64>,
    /// Quantity bought.
    pub quantity: Option<i64>,
    /// Channel (shop, web, ...).
    pub channel: Option<String>,
}

/// One contact: an e-mail sent, opened or clicked, a visit, a call, a
/// ticket, an NPS answer. Free text is never sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// When it happened.
    pub at: Option<i64>,
    /// `email_sent`, `email_open`, `email_click`, `web_visit`, `call`,
    /// `meeting`, `ticket_opened`, `ticket_closed`, `nps_response`,
    /// `complaint`.
    pub kind: Option<String>,
    /// Channel of the contact.
    pub channel: Option<String>,
    /// NPS answer, 0 to 10.
    pub nps: Option<i64>,
    /// Sentiment score.
    pub sentiment: Option<f64>,
}

/// A referral this customer made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    /// Handle of the referred customer (see [`Customer::subject`]).
    pub referred: Option<u64>,
    /// When the referral happened.
    pub at: Option<i64>,
}

/// This plugin's own output for the subject from the most recent successful
/// earlier run of the same plugin in the tenant (fields `previous.as_of`,
/// `previous.score`, `previous.label`), for "the change since the last run".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// The "as of" instant of that run.
    pub as_of: Option<i64>,
    /// The score the subject got then.
    pub score: Option<f64>,
    /// The label the subject got then.
    pub label: Option<String>,
}

/// One customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Opaque handle of the subject, stable within a tenant. Outputs name
    /// the subject by this handle.
    pub subject: u64,
    /// Sign-up instant.
    pub signup: Option<i64>,
    /// Country code.
    pub country: Option<String>,
    /// Region within the country.
    pub region: Option<String>,
    /// Purchase summaries.
    #[serde(default)]
    pub purchases: Purchases,
    /// Every purchase, when a `transactions.*` field is granted.
    pub transactions: Option<Vec<Transaction>>,
    /// Every contact, when an `interactions.*` field is granted.
    pub interactions: Option<Vec<Interaction>>,
    /// Referrals made, when a `referrals.*` field is granted.
    pub referrals: Option<Vec<Referral>>,
    /// This plugin's output for the customer in its previous run, when a
    /// `previous.*` field is granted and the customer was scored then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// One purchase order delivered (or not yet) by a supplier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Order instant.
    pub ordered: Option<i64>,
    /// Promised delivery instant.
    pub promised: Option<i64>,
    /// Actual delivery instant.
    pub delivered: Option<i64>,
    /// Quantity ordered.
    pub quantity_ordered: Option<i64>,
    /// Quantity delivered.
    pub quantity_delivered: Option<i64>,
    /// Quantity accepted by quality control.
    pub quantity_accepted: Option<i64>,
    /// Unit price paid.
    pub unit_price: Option<f64>,
    /// Unit price agreed.
    pub agreed_unit_price: Option<f64>,
    /// Hours the supplier took to respond.
    pub response_hours: Option<f64>,
}

/// One supplier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Supplier {
    /// Opaque handle of the subject.
    pub subject: u64,
    /// Supplier category.
    pub category: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Purchase orders, when a `deliveries.*` field is granted.
    pub deliveries: Option<Vec<Delivery>>,
    /// This plugin's output for the supplier in its previous run (see
    /// [`Customer::previous`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// One signed term of an explanation, in the score's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Human-readable, e.g. "bought 3 times in the last 90 days".
    pub label: String,
    /// The signed contribution.
    pub value: f64,
}

/// A further named result of an output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedValue {
    /// E.g. `p_alive`, `expected_spend`.
    pub name: String,
    /// The value (finite).
    pub value: f64,
}

/// The result for one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The subject's handle.
    pub subject: u64,
    /// The score (finite).
    pub score: f64,
    /// A band ("high") or segment ("champions"), if the plugin assigns one.
    pub label: Option<String>,
    /// Further named results, e.g. `p_alive`, `expected_spend`.
    pub values: Vec<NamedValue>,
    /// Why: signed contributions with labels. Each plugin documents whether
    /// they sum to the score.
    pub explanation: Vec<Contribution>,
}

/// What `score` returns: one output per subject and diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// One output per subject of the batch, in batch order.
    pub outputs: Vec<Output>,
    /// Notes for the operator. Never put personal data in them.
    pub diagnostics: Vec<crate::Diagnostic>,
}
