//! The verdict: pure functions from what the gate found to what it decides,
//! and the record a verdict is stored as.
//!
//! The gate works in two steps, both pure:
//!
//! 1. [`classify`] turns each targeted person's consent decision into a
//!    [`SubjectOutcome`]: included or excluded, held for review or not, with
//!    the rules (and jurisdictions) and records the decision rested on.
//! 2. [`derive`] turns the counts of those outcomes and the fairness
//!    finding into an [`Outcome`] with its reasons, under the gate policy.
//!
//! `rapport-core` gathers the evidence and calls these; a replay gathers
//! the pinned evidence again and calls the same functions, so a verdict and
//! its replay can only differ if the evidence did.

use std::collections::BTreeMap;

use rapport_domain::consent::Decision;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fairness::{FairnessFinding, FairnessOutcome};
use super::policy::{ActionKind, Escalation, GatePolicyFile};
use super::rules::{self, GateRule};

/// The format name of a stored verdict.
pub const VERDICT_FORMAT: &str = "rapport.gate-verdict.v1";

/// What the gate decided about an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everyone targeted may be acted on.
    Allow,
    /// Some targeted people are left out; the rest may be acted on.
    AllowWithExclusions,
    /// A person must approve or reject the action before it runs.
    NeedsReview,
    /// The action is refused.
    Block,
}

impl Outcome {
    /// The spelling in verdicts, the CLI and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::AllowWithExclusions => "allow_with_exclusions",
            Outcome::NeedsReview => "needs_review",
            Outcome::Block => "block",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "allow" => Outcome::Allow,
            "allow_with_exclusions" => Outcome::AllowWithExclusions,
            "needs_review" => Outcome::NeedsReview,
            "block" => Outcome::Block,
            _ => return None,
        })
    }
}

/// How one targeted person fares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectOutcome {
    /// Whether the person stays in the selection.
    pub included: bool,
    /// Whether the person's decision requires human review (GDPR Art. 22).
    pub review: bool,
    /// The reasons as `rule@jurisdiction` tokens separated by spaces: the
    /// refusing rules for an excluded person, the allowing ones otherwise.
    pub reasons: String,
    /// The consent records relied on, as `id:version` tokens separated by
    /// spaces.
    pub records: String,
}

impl SubjectOutcome {
    /// The outcome for a person erased before the request.
    pub fn erased() -> Self {
        SubjectOutcome {
            included: false,
            review: false,
            reasons: rules::ERASED.id.to_owned(),
            records: String::new(),
        }
    }

    /// The rule ids of the reasons, without their jurisdictions.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.reasons
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(|t| t.split_once('@').map_or(t, |(r, _)| r))
    }
}

/// Step 1: one person's consent decision as the gate sees it.
pub fn classify(d: &Decision<'_>) -> SubjectOutcome {
    let mut reasons = String::new();
    for r in d.reasons.iter().filter(|r| r.allowed == d.allowed) {
        if !reasons.is_empty() {
            reasons.push(' ');
        }
        reasons.push_str(r.rule);
        reasons.push('@');
        reasons.push_str(r.jurisdiction);
    }
    let mut records = String::new();
    for r in &d.records {
        if !records.is_empty() {
            records.push(' ');
        }
        records.push_str(r.id);
        records.push(':');
        records.push_str(&r.version.to_string());
    }
    SubjectOutcome {
        included: d.allowed,
        review: d.allowed && d.requires_human_review,
        reasons,
        records,
    }
}

/// The counts a verdict is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// The source population (the run's scored customers, or the tenant's
    /// customers).
    pub population: u64,
    /// Those of the population whose consent allows the purpose.
    pub eligible: u64,
    /// The people the request named.
    pub targeted: u64,
    /// Targeted people left in the selection.
    pub included: u64,
    /// Targeted people left out.
    pub excluded: u64,
    /// Included people whose decision requires human review (Art. 22).
    pub review_required: u64,
}

/// One reason for the verdict as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReason {
    pub rule: String,
    pub citation: String,
    /// What this finding leads to under the gate policy.
    pub escalation: Escalation,
    pub message: String,
}

impl GateReason {
    fn new(rule: &GateRule, escalation: Escalation, message: String) -> Self {
        GateReason {
            rule: rule.id.to_owned(),
            citation: rule.citation.to_owned(),
            escalation,
            message,
        }
    }
}

/// Step 2's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    pub outcome: Outcome,
    pub reasons: Vec<GateReason>,
}

fn fairness_detail(f: &FairnessFinding) -> String {
    let mut parts: Vec<String> = f
        .reasons
        .iter()
        .take(5)
        .map(|r| {
            let mut s = format!("{} on {}", r.rule, r.analysis);
            if let Some(g) = &r.group {
                s += &format!(" group {g}");
            }
            if let (Some(m), Some(v)) = (&r.metric, r.value) {
                s += &format!(": {m} {v:.3}");
            }
            if let Some([lo, hi]) = r.interval {
                s += &format!(" [{lo:.3}, {hi:.3}]");
            }
            if let Some(t) = r.threshold {
                s += &format!(" (threshold {t})");
            }
            if let Some(p) = r.p_adjusted {
                s += &format!(" p_adj {p:.2e}");
            }
            s
        })
        .collect();
    if f.reasons.len() > 5 {
        parts.push(format!("and {} more", f.reasons.len() - 5));
    }
    parts.join("; ")
}

/// What a finding of too little data says: the groups flagged and not
/// compared (the first ten), and the analyses with nothing to compare.
fn insufficient_detail(f: &FairnessFinding) -> String {
    let mut parts = Vec::new();
    let groups = &f.insufficient_groups;
    if !groups.is_empty() {
        let mut listed = groups
            .iter()
            .take(10)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if groups.len() > 10 {
            listed += &format!(" and {} more", groups.len() - 10);
        }
        parts.push(format!(
            "{} group(s) too small to judge, flagged and not compared: {listed}",
            groups.len()
        ));
    }
    let bare: Vec<&str> = f
        .reasons
        .iter()
        .filter(|r| r.rule == "nothing_to_judge")
        .map(|r| r.analysis.as_str())
        .collect();
    if !bare.is_empty() {
        parts.push(format!(
            "no group could be compared with another on {}",
            bare.join(", ")
        ));
    }
    if parts.is_empty() {
        "some groups were too small to judge".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Step 2: the verdict on an action of `kind`, from its counts and the
/// fairness finding, under `policy`.
///
/// Every finding becomes a reason with its escalation; the outcome is the
/// strongest escalation (`block` over `needs_review`), and otherwise
/// `allow_with_exclusions` when anyone was left out, else `allow`.
pub fn derive(
    policy: &GatePolicyFile,
    kind: &ActionKind,
    counts: &Counts,
    fairness: &FairnessFinding,
) -> Derived {
    let mut reasons = Vec::new();
    if counts.excluded > 0 {
        reasons.push(GateReason::new(
            &rules::CONSENT_EXCLUDED,
            Escalation::Allow,
            format!(
                "{} of {} targeted people are left out, each with the rule that refused them",
                counts.excluded, counts.targeted
            ),
        ));
    }
    if counts.included == 0 {
        reasons.push(GateReason::new(
            &rules::EMPTY_SELECTION,
            policy.empty_selection,
            format!(
                "nobody is left to act on ({} targeted, {} left out)",
                counts.targeted, counts.excluded
            ),
        ));
    }
    if kind.significant_effect && counts.review_required > 0 {
        reasons.push(GateReason::new(
            &rules::ART22_REVIEW,
            policy.art22,
            format!(
                "{} of the {} people in the selection are protected by GDPR Art. 22 against solely automated decisions with significant effect",
                counts.review_required, counts.included
            ),
        ));
    }
    if counts.included > 0 {
        let f = &policy.fairness;
        let (rule, escalation, message) = match fairness.outcome {
            FairnessOutcome::Pass => (None, Escalation::Allow, String::new()),
            FairnessOutcome::Fail => (
                Some(&rules::FAIRNESS_FAIL),
                f.fail,
                format!(
                    "the selection fails the fairness audit: {}",
                    fairness_detail(fairness)
                ),
            ),
            FairnessOutcome::Warn => (
                Some(&rules::FAIRNESS_WARN),
                f.warn,
                format!("the fairness audit warns: {}", fairness_detail(fairness)),
            ),
            FairnessOutcome::InsufficientData => (
                Some(&rules::FAIRNESS_INSUFFICIENT),
                f.insufficient_data,
                insufficient_detail(fairness),
            ),
            FairnessOutcome::NotAudited => (
                Some(&rules::FAIRNESS_NOT_AUDITED),
                f.not_audited,
                format!(
                    "the selection was not audited for fairness: {}",
                    fairness.note.as_deref().unwrap_or("no reason given")
                ),
            ),
        };
        if let Some(rule) = rule {
            reasons.push(GateReason::new(rule, escalation, message));
        }
    }
    let strongest = reasons
        .iter()
        .map(|r| r.escalation)
        .max()
        .unwrap_or(Escalation::Allow);
    let outcome = match strongest {
        Escalation::Block => Outcome::Block,
        Escalation::NeedsReview => Outcome::NeedsReview,
        Escalation::Allow if counts.excluded > 0 => Outcome::AllowWithExclusions,
        Escalation::Allow => Outcome::Allow,
    };
    Derived { outcome, reasons }
}

/// What an action targets, as requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Target {
    /// The customers a segmenter run labelled `segment`.
    Segment { segment: String, run: String },
    /// The `n` highest scores of a run (ties broken by external id).
    Top { run: String, n: u64 },
    /// A list of external ids; only its hash and length are kept here (the
    /// per-person rows hold who).
    Subjects { sha256: String, lines: u64 },
}

/// The run a verdict's target came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPin {
    pub id: String,
    pub plugin: String,
    pub version: String,
    pub component_digest: String,
    pub config_hash: String,
    pub output_hash: Option<String>,
    pub as_of: String,
}

/// A notice version a relied-on consent record was given under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NoticePin {
    pub id: String,
    pub version: i64,
    pub content_sha256: String,
}

/// An entry of the tenant's tamper-evident log. A verdict is stored before
/// the entry that records it is appended, so the pin is kept beside the
/// verdict (in the store), not inside it.
pub use crate::log::LogPin;

/// The evidence a verdict relied on; a replay gathers it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pins {
    /// Hash of the policy bundle (its canonical text is stored with it).
    pub policy_hash: String,
    pub policy_versions: super::bundle::BundleVersions,
    /// The instant consent was decided at (RFC 3339, UTC).
    pub at: String,
    /// The highest consent row of the tenant when the ledger was read: a
    /// replay reads the ledger as it stood, ignoring records appended since
    /// even if they are dated earlier.
    pub consent_watermark: i64,
    /// The highest stakeholder row of the tenant: a population of "every
    /// customer" is the customers up to this row.
    pub stakeholder_watermark: i64,
    pub run: Option<RunPin>,
    /// Every notice version a relied-on record names, with its hash.
    pub notices: Vec<NoticePin>,
    /// SHA-256 over every targeted person's row id, outcome, reasons and
    /// records, in row-id order.
    pub subjects_sha256: String,
    /// SHA-256 over the source population's row ids, in order.
    pub population_sha256: String,
    /// SHA-256 of the fairness input (the selection's cells).
    pub fairness_input_sha256: String,
}

/// A verdict as stored and printed: a compatibility boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub format: String,
    pub action: String,
    pub tenant: String,
    pub kind: String,
    pub purpose: String,
    pub target: Target,
    pub outcome: Outcome,
    pub reasons: Vec<GateReason>,
    pub counts: Counts,
    /// Targeted people left out, by the rule that refused them (a person
    /// refused by several rules counts under each).
    pub exclusions: BTreeMap<String, u64>,
    pub fairness: FairnessFinding,
    /// The fairness input: eligible and selected people per combination of
    /// protected-attribute values. Aggregates only.
    pub fairness_input: super::fairness::SelectionCells,
    pub pins: Pins,
}

/// Counts exclusions by rule while outcomes are classified.
#[derive(Debug, Clone, Default)]
pub struct ExclusionTally {
    by_rule: BTreeMap<String, u64>,
}

impl ExclusionTally {
    /// Counts an excluded person under each distinct rule that refused them.
    pub fn add(&mut self, o: &SubjectOutcome) {
        if o.included {
            return;
        }
        let mut seen: Vec<&str> = Vec::new();
        for id in o.rule_ids() {
            if !seen.contains(&id) {
                seen.push(id);
                match self.by_rule.get_mut(id) {
                    Some(n) => *n += 1,
                    None => {
                        self.by_rule.insert(id.to_owned(), 1);
                    }
                }
            }
        }
    }

    /// The counts.
    pub fn finish(self) -> BTreeMap<String, u64> {
        self.by_rule
    }
}

/// Accumulates what a verdict is derived from, one person at a time, in
/// row-id order: the counts, the exclusions by rule, and the hashes of the
/// population and of every targeted person's outcome that the verdict pins.
/// The request and its replay both go through it, so they hash alike.
#[derive(Debug, Clone)]
pub struct GateTally {
    counts: Counts,
    exclusions: ExclusionTally,
    subjects: Sha256,
    population: Sha256,
}

impl Default for GateTally {
    fn default() -> Self {
        let mut subjects = Sha256::new();
        subjects.update(b"rapport-gate-subjects-v1\n");
        let mut population = Sha256::new();
        population.update(b"rapport-gate-population-v1\n");
        GateTally {
            counts: Counts::default(),
            exclusions: ExclusionTally::default(),
            subjects,
            population,
        }
    }
}

/// What a [`GateTally`] adds up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyResult {
    pub counts: Counts,
    pub exclusions: BTreeMap<String, u64>,
    pub subjects_sha256: String,
    pub population_sha256: String,
}

impl GateTally {
    /// Counts a member of the source population, eligible when its consent
    /// allows the purpose.
    pub fn population_member(&mut self, row_id: i64, eligible: bool) {
        self.counts.population += 1;
        self.counts.eligible += u64::from(eligible);
        self.population.update(row_id.to_string().as_bytes());
        self.population.update(b"\n");
    }

    /// Counts a targeted person with their outcome.
    pub fn target(&mut self, row_id: i64, o: &SubjectOutcome) {
        self.counts.targeted += 1;
        if o.included {
            self.counts.included += 1;
            self.counts.review_required += u64::from(o.review);
        } else {
            self.counts.excluded += 1;
            self.exclusions.add(o);
        }
        self.subjects.update(
            format!(
                "{row_id} {} {} {} | {}\n",
                u8::from(o.included),
                u8::from(o.review),
                o.reasons,
                o.records
            )
            .as_bytes(),
        );
    }

    /// The totals and hashes.
    pub fn finish(self) -> TallyResult {
        TallyResult {
            counts: self.counts,
            exclusions: self.exclusions.finish(),
            subjects_sha256: hex::encode(self.subjects.finalize()),
            population_sha256: hex::encode(self.population.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::policy::{ActionsFile, DEFAULT_ACTIONS, DEFAULT_GATE};

    fn setup() -> (GatePolicyFile, ActionsFile) {
        (
            GatePolicyFile::from_json(DEFAULT_GATE).expect("gate"),
            ActionsFile::from_json(DEFAULT_ACTIONS).expect("actions"),
        )
    }

    fn pass() -> FairnessFinding {
        FairnessFinding {
            outcome: FairnessOutcome::Pass,
            reasons: vec![],
            insufficient_groups: vec![],
            note: None,
            audit: None,
        }
    }

    #[test]
    fn outcome_is_the_strongest_escalation() {
        let (policy, actions) = setup();
        let email = actions.get("email_campaign").expect("kind");
        let mut c = Counts {
            population: 10,
            eligible: 8,
            targeted: 5,
            included: 5,
            excluded: 0,
            review_required: 0,
        };
        assert_eq!(derive(&policy, email, &c, &pass()).outcome, Outcome::Allow);
        c.excluded = 1;
        c.included = 4;
        assert_eq!(
            derive(&policy, email, &c, &pass()).outcome,
            Outcome::AllowWithExclusions
        );
        let mut fail = pass();
        fail.outcome = FairnessOutcome::Fail;
        let d = derive(&policy, email, &c, &fail);
        assert_eq!(d.outcome, Outcome::Block);
        assert!(d.reasons.iter().any(|r| r.rule == "gate.fairness.fail"));
        c.included = 0;
        c.excluded = 5;
        let d = derive(&policy, email, &c, &fail);
        assert_eq!(d.outcome, Outcome::Block);
        assert!(
            d.reasons.iter().all(|r| r.rule != "gate.fairness.fail"),
            "an empty selection is not audited"
        );
    }

    #[test]
    fn review_applies_only_to_significant_actions() {
        let (policy, actions) = setup();
        let c = Counts {
            population: 3,
            eligible: 3,
            targeted: 3,
            included: 3,
            excluded: 0,
            review_required: 2,
        };
        let decision = actions.get("automated_decision").expect("kind");
        assert_eq!(
            derive(&policy, decision, &c, &pass()).outcome,
            Outcome::NeedsReview
        );
        let email = actions.get("email_campaign").expect("kind");
        assert_eq!(derive(&policy, email, &c, &pass()).outcome, Outcome::Allow);
    }
}
