//! The action gate: nothing is acted on without a recorded verdict.
//!
//! - [`policy`]: action kinds and the gate policy as data
//!   (`policies/actions.json`, `policies/gate.json`).
//! - [`bundle`]: every policy a verdict depends on, as one canonical
//!   document with one hash that verdicts pin.
//! - [`verdict`]: the pure steps from consent decisions and a fairness
//!   finding to a verdict, and the stored verdict record.
//! - [`fairness`]: the seam to the fairness statistics, and the counts a
//!   verdict pins instead of rows.
//! - [`rules`]: the gate's rule ids and citations.
//!
//! No IO: `rapport-core` gathers the evidence (ledgers, runs, protected
//! attributes), calls these functions, and stores what they return.

pub mod bundle;
pub mod fairness;
pub mod policy;
pub mod population;
pub mod rules;
pub mod verdict;

pub use bundle::{BundleVersions, PolicyBundle, BUNDLE_FORMAT};
pub use fairness::{
    audit_cells, Cell, CellTally, FairnessFinding, FairnessOutcome, FairnessReason, SelectionCells,
};
pub use policy::{
    actions_schema, gate_schema, ActionKind, ActionsFile, Escalation, FairnessEscalation,
    GatePolicyError, GatePolicyFile, ListField,
};
pub use rules::{gate_rule, GateRule, GATE_RULES};
pub use verdict::{
    classify, derive, Counts, Derived, ExclusionTally, GateReason, GateTally, LogPin, NoticePin,
    Outcome, Pins, RunPin, SubjectOutcome, TallyResult, Target, VerdictRecord, VERDICT_FORMAT,
};

/// Canonical JSON (RFC 8785) of a value, as verdict and report hashes use
/// it: [`crate::canonical`], the same bytes the audit log signs.
pub fn canonical_json(
    value: &serde_json::Value,
) -> Result<String, crate::canonical::CanonicalError> {
    crate::canonical::to_string(value)
}
