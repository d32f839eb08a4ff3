//! Consent ledger and data-subject rights: the pure core.
//!
//! - [`policy`]: processing purposes as data (`policies/purposes.json`).
//! - [`ledger`]: consent events, notices and subject facts.
//! - [`decide`]: the decision function, failing closed.
//! - [`rules`]: every rule's stable id and citation.
//! - [`jurisdiction`]: which law a jurisdiction code selects.
//!
//! No IO: the store loads records, the gate acts on decisions.

pub mod decide;
pub mod jurisdiction;
pub mod ledger;
pub mod policy;
pub mod rules;

pub use decide::{decide, decide_all, Decision, Reason, RecordRef};
pub use jurisdiction::Regime;
pub use ledger::{ConsentEvent, GivenBy, Notice, NoticeRef, SubjectFacts};
pub use policy::{purposes_schema, CcpaClass, PolicyError, Purpose, PurposeRegistry, PurposesFile};
pub use rules::{Rule, RULES};
