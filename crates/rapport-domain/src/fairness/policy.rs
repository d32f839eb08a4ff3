//! Fairness thresholds as data: `policies/fairness.json`, its JSON Schema,
//! and the checks a schema cannot express.
//!
//! A compliance officer decides what fails and what only warns; the audit
//! reads nothing but these numbers, and every reason it gives names the rule
//! and the threshold it applied, and the policy's version and hash are in
//! every report.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::FairnessError;

/// The default policy, compiled in so the product never needs the file at
/// run time.
const DEFAULT_POLICY: &str = include_str!("../../../../policies/fairness.json");

/// Which reference group impact ratios, intervals and tests are judged
/// against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceChoice {
    /// The most-selected group among groups of at least `small_group_share`
    /// of the rows (NYC LL144 practice; all groups if every group is small).
    ExcludingSmall,
    /// The most-selected group of all (29 CFR 1607.4(D) read literally).
    All,
}

/// The rule that fails an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailRule {
    /// A group fails when the upper bound of its impact-ratio interval is
    /// below this (the four-fifths rule: 0.8)…
    #[schemars(range(min = 0.0, max = 1.0))]
    pub impact_ratio_upper_below: f64,
    /// …and its Holm-adjusted Fisher p-value against the reference group is
    /// below this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub p_adjusted_below: f64,
}

/// Rules that make an analysis `warn`. A rule set to `null` is off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WarnRules {
    /// A judged group whose impact ratio (point estimate) is below this but
    /// that does not fail: a four-fifths shortfall the data cannot yet
    /// confirm.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub impact_ratio_below: Option<f64>,
    /// A small group (not judged unless `judge_small_groups`) with enough
    /// data whose impact ratio is below this: flagged for a human to look at.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub small_group_impact_ratio_below: Option<f64>,
    /// The equalized-odds difference over the judged groups (when outcome
    /// labels are given) is above this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub equalized_odds_difference_above: Option<f64>,
    /// A judged group's LL144 scoring-rate impact ratio (when scores are
    /// given) is below this.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub scoring_impact_ratio_below: Option<f64>,
}

/// The file format of `policies/fairness.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "fairness",
    description = "Rapport's fairness thresholds: what fails an audit and what warns."
)]
pub struct FairnessPolicy {
    /// Version of the policy, recorded in every audit made under it.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,
    /// Confidence level of every interval (Wilson, Katz).
    #[schemars(range(min = 0.5, max = 0.9999))]
    pub confidence_level: f64,
    /// Groups with fewer rows are `insufficient_data`: never pass or fail.
    #[schemars(range(min = 1))]
    pub min_group_size: u64,
    /// Groups whose 2×2 table against the reference has an expected count
    /// under this are `insufficient_data` too.
    #[schemars(range(min = 0.0))]
    pub min_expected_count: f64,
    /// Groups under this share of an analysis's rows (with a known value) are
    /// flagged `small`.
    #[schemars(range(min = 0.0, max = 0.5))]
    pub small_group_share: f64,
    /// Whether small groups are judged like the others; when false they are
    /// flagged and reported, not compared.
    pub judge_small_groups: bool,
    /// Which reference group judgements use.
    pub reference: ReferenceChoice,
    /// What fails.
    pub fail: FailRule,
    /// What warns.
    pub warn: WarnRules,
}

impl FairnessPolicy {
    /// Parses and checks a policy file.
    pub fn from_json(text: &str) -> Result<Self, FairnessError> {
        let policy: FairnessPolicy =
            serde_json::from_str(text).map_err(|e| FairnessError::Policy(e.to_string()))?;
        policy.check()?;
        Ok(policy)
    }

    /// The policy shipped in `policies/fairness.json`.
    pub fn default_policy() -> Result<Self, FairnessError> {
        Self::from_json(DEFAULT_POLICY)
    }

    /// The policy in a canonical form for hashing: compact JSON, fields in
    /// declaration order. Two files that differ only in layout give the same
    /// text.
    pub fn canonical_json(&self) -> Result<String, FairnessError> {
        serde_json::to_string(self).map_err(|e| FairnessError::Policy(e.to_string()))
    }

    /// The rules a schema cannot express; each keeps an audit from being
    /// run under numbers that make no statistical sense.
    pub fn check(&self) -> Result<(), FairnessError> {
        let bad = |what: &str| Err(FairnessError::Policy(what.to_owned()));
        if self.version.trim().is_empty() {
            return bad("`version` must not be empty");
        }
        if !(0.5..=0.9999).contains(&self.confidence_level) {
            return bad("`confidence_level` must be between 0.5 and 0.9999");
        }
        if self.min_group_size == 0 {
            return bad("`min_group_size` must be at least 1");
        }
        if !(self.min_expected_count >= 0.0 && self.min_expected_count.is_finite()) {
            return bad("`min_expected_count` must be a number of at least 0");
        }
        if !(0.0..=0.5).contains(&self.small_group_share) {
            return bad("`small_group_share` must be between 0 and 0.5");
        }
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        if !unit(self.fail.impact_ratio_upper_below) || !unit(self.fail.p_adjusted_below) {
            return bad("`fail` thresholds must be between 0 and 1");
        }
        let w = &self.warn;
        for v in [
            w.impact_ratio_below,
            w.small_group_impact_ratio_below,
            w.equalized_odds_difference_above,
            w.scoring_impact_ratio_below,
        ]
        .into_iter()
        .flatten()
        {
            if !unit(v) {
                return bad("`warn` thresholds must be between 0 and 1");
            }
        }
        Ok(())
    }
}

/// The JSON Schema of `policies/fairness.json`.
pub fn fairness_policy_schema() -> schemars::Schema {
    schemars::schema_for!(FairnessPolicy)
}
