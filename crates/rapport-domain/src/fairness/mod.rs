//! Fairness statistics: who was selected, per protected group and per
//! intersection of two, judged against a versioned policy.
//!
//! The audit is one pass over the subjects into a [`Tally`] (counts per
//! group and per intersection, nothing per row unless scores are given),
//! then [`Tally::finish`] computes every [`Analysis`]:
//!
//! - per group: count, selected, selection rate with its Wilson interval,
//!   impact ratio against the most-selected group (twice: over all groups,
//!   and with groups under `small_group_share` of the rows excluded from the
//!   choice of reference), the Katz interval on the impact ratio, Fisher's
//!   exact test against the reference with Holm's correction across the
//!   groups of the analysis; with outcome labels the true- and false-positive
//!   rates; with scores the LL144 scoring rate (share above the overall
//!   median), its impact ratio, the mean difference and the Kolmogorov–
//!   Smirnov distance to the scoring reference group;
//! - per analysis: demographic-parity difference and ratio, equal-opportunity
//!   and equalized-odds differences (fairlearn's definitions: largest minus
//!   smallest group rate; smallest over largest), and a [`Verdict`] with the
//!   [`Reason`]s that made it.
//!
//! Rows whose attribute value is unknown are counted per analysis
//! (`n_unknown_excluded`) and left out of its groups. A group too small to
//! judge is `insufficient_data`, never a pass or a fail. Without labels the
//! error-rate metrics are [`Metric::NotComputable`], never 0.
//!
//! The gate calls it like this, with its eligible population and its
//! selection:
//!
//! ```text
//! let policy = FairnessPolicy::default_policy()?;
//! let mut tally = Tally::new(&["gender", "age_band"], Columns::default())?;
//! for s in eligible {
//!     tally.add(&[s.gender.as_deref(), s.age_band.as_deref()], s.selected, None, None)?;
//! }
//! let audit = tally.finish(&policy)?;   // audit.verdict, audit.analyses[..].reasons
//! ```
//!
//! No IO, no randomness, no clock: the same subjects and policy give the
//! same audit, whatever their order.

mod analysis;
mod policy;
mod select;
pub mod stats;
mod tally;

use serde::{Serialize, Serializer};

pub use analysis::{Analysis, FairnessAudit, Group, Practical, Reason};
pub use policy::{fairness_policy_schema, FailRule, FairnessPolicy, ReferenceChoice, WarnRules};
pub use select::{select_by_score, ScoreRule, ScoreSelection};
pub use stats::Interval;
pub use tally::{is_unknown, Columns, Counts, Tally, MAX_ATTRIBUTES, MAX_GROUPS, UNKNOWN_VALUES};

/// Separates the attributes of an intersection in analysis names
/// (`gender×age_band`) and their values in group names (`female×25-34`).
pub const INTERSECTION: &str = "×";

/// Why an audit cannot be computed. Messages name the attribute or rule at
/// fault and never quote an attribute value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FairnessError {
    /// The list of protected attributes is unusable.
    #[error("protected attributes: {0}")]
    Attributes(String),
    /// A subject does not fit the tally's shape (wrong number of values,
    /// a label or score missing where every subject must have one).
    #[error("subject {row}: {reason}")]
    Subject {
        /// 1-based position of the subject in the order it was added.
        row: u64,
        /// What is wrong.
        reason: String,
    },
    /// An attribute has more distinct values than an audit can compare.
    #[error(
        "attribute `{attribute}` has more than {max} distinct values; is it a protected attribute?"
    )]
    TooManyGroups {
        /// The attribute.
        attribute: String,
        /// The limit, [`MAX_GROUPS`].
        max: usize,
    },
    /// A selection rule is unusable (top-k of zero, a percentage outside
    /// (0, 100], a score that is not a finite number).
    #[error("selection: {0}")]
    Selection(String),
    /// The fairness policy is invalid.
    #[error("fairness policy is not valid: {0}")]
    Policy(String),
}

/// A metric's value, or why there is none. Serialized as a number or as the
/// string `not_computable`, `not_applicable` or `insufficient_data`, so that
/// a missing value is never mistaken for a zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// The value.
    Value(f64),
    /// The inputs it needs are absent (no labels, no scores, a zero
    /// denominator such as a reference group nobody from was selected).
    NotComputable,
    /// It has no meaning here (a reference group against itself).
    NotApplicable,
    /// Withheld because the group is too small: distribution summaries of a
    /// handful of rows would come close to disclosing individual values.
    InsufficientData,
}

impl Metric {
    /// The value, if there is one.
    pub fn value(self) -> Option<f64> {
        match self {
            Metric::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `Value(v)` for a finite `v`, else `NotComputable`.
    pub fn finite(v: f64) -> Metric {
        if v.is_finite() {
            Metric::Value(v)
        } else {
            Metric::NotComputable
        }
    }

    /// `num / den`, or `NotComputable` when the denominator is zero.
    pub fn ratio(num: f64, den: f64) -> Metric {
        if den == 0.0 {
            Metric::NotComputable
        } else {
            Metric::finite(num / den)
        }
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Metric::Value(v) => s.serialize_f64(*v),
            Metric::NotComputable => s.serialize_str("not_computable"),
            Metric::NotApplicable => s.serialize_str("not_applicable"),
            Metric::InsufficientData => s.serialize_str("insufficient_data"),
        }
    }
}

/// An analysis's or an audit's outcome. Ordered: `Pass < Warn < Fail`, so the
/// worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No rule fired.
    Pass,
    /// A warning rule fired: a human should look.
    Warn,
    /// The fail rule fired for at least one group.
    Fail,
}

impl Verdict {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// How one group came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// The group the others are judged against.
    Reference,
    /// Judged, and no rule fired.
    Pass,
    /// Judged, and a warning rule fired.
    Warn,
    /// Judged, and the fail rule fired.
    Fail,
    /// Too few rows, or an expected count too low, to judge: never a pass
    /// or a fail.
    InsufficientData,
    /// Under `small_group_share` of the rows and the policy does not judge
    /// small groups: flagged and reported, not compared.
    Small,
}
