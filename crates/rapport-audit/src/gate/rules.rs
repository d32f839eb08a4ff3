//! The gate's own rules, each with a stable id and the provision it comes
//! from, like the consent rules (`rapport_domain::consent::rules`).
//!
//! Ids are a compatibility boundary: verdicts store them and reports group
//! by them, so an id never changes meaning; a changed rule gets a new id.
//! Per-subject reasons are consent rule ids; the rules here speak about the
//! action as a whole.

use serde::Serialize;

/// One gate rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GateRule {
    /// Stable id, e.g. `gate.art22.review`.
    pub id: &'static str,
    /// Where the rule comes from.
    pub citation: &'static str,
    /// What it says, in one sentence.
    pub summary: &'static str,
}

macro_rules! gate_rules {
    ($($name:ident = $id:literal, $cite:literal, $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $name: GateRule = GateRule { id: $id, citation: $cite, summary: $summary };
        )*
        /// Every gate rule, for documentation and for the test that each one
        /// has a scenario.
        pub const GATE_RULES: &[GateRule] = &[$($name),*];
    };
}

gate_rules! {
    CONSENT_EXCLUDED = "gate.consent.excluded", "GDPR Art. 6(1), Art. 7(3), Art. 21; Cal. Civ. Code §1798.120, §1798.135; C.R.S. 6-1-1306; Va. Code §59.1-577",
        "A person whose consent decision refuses the action's purpose at the request instant is left out, with the rule that refused it.";
    ERASED = "gate.subject.erased", "GDPR Art. 17(1)",
        "An erased person is never acted on.";
    ART22_REVIEW = "gate.art22.review", "GDPR Art. 22(1), Art. 22(3); UK GDPR Art. 22",
        "A solely automated decision with legal or similarly significant effect on a person the GDPR protects is held for human review (or refused, as the gate policy says).";
    FAIRNESS_FAIL = "gate.fairness.fail", "29 CFR 1607.4(D); 6 RCNY §5-301",
        "The selection fails the fairness audit against the eligible population: the gate policy says whether that blocks the action or holds it for review.";
    FAIRNESS_WARN = "gate.fairness.warn", "29 CFR 1607.4(D); 6 RCNY §5-301",
        "The fairness audit warns about the selection: the gate policy says what that leads to.";
    FAIRNESS_INSUFFICIENT = "gate.fairness.insufficient_data", "6 RCNY §5-301(d); 29 CFR 1607.4(D)",
        "Groups too small to judge are flagged and not compared; the gate policy says whether the action may proceed on that alone.";
    FAIRNESS_NOT_AUDITED = "gate.fairness.not_audited", "Rapport policy: the gate fails closed",
        "The selection could not be audited for fairness (no protected attribute is known for the eligible population), so it cannot simply be allowed.";
    EMPTY_SELECTION = "gate.empty_selection", "Rapport policy: an action acts on someone",
        "Nobody is left to act on after the exclusions.";
    EXECUTION_CONSENT = "gate.execution.consent_changed", "GDPR Art. 7(3); Cal. Civ. Code §1798.135(c)",
        "Consent is decided again when the action executes; a person whose consent no longer allows the purpose is left out of the final list.";
}

/// The gate rule with this id.
pub fn gate_rule(id: &str) -> Option<&'static GateRule> {
    GATE_RULES.iter().find(|r| r.id == id)
}
