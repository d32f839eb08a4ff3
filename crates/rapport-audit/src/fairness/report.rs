//! The fairness report: the audit with what it was computed from, as
//! canonical JSON (byte-identical for the same input and policy) and as text
//! for a person.
//!
//! A report carries the SHA-256 of its input and of its policy, the
//! selection rule, and per analysis the groups with their counts and
//! statistics. It never carries a row-level value: no identifiers, no
//! individual scores or labels, no cutoff score of a top-k list (that is one
//! person's score), and score distribution summaries only for groups of at
//! least the policy's minimum size. Group names are the attribute's
//! categories.

use rapport_domain::fairness::{
    Analysis, FairnessAudit, FairnessPolicy, Group, GroupStatus, Metric, Verdict,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AuditError;

/// Appends one formatted line to a `String` (which cannot fail, unlike
/// `writeln!`'s signature suggests).
macro_rules! push_line {
    ($s:expr, $($arg:tt)*) => {{
        $s.push_str(&format!($($arg)*));
        $s.push('\n');
    }};
}

/// The format tag of a report; changes when its shape does.
pub const REPORT_FORMAT: &str = "rapport.fairness-audit/1";

/// What the population and its selection were read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A CSV file exported from any system.
    Csv {
        /// The protected attribute columns.
        protected: Vec<String>,
        /// The outcome label column, if any.
        label: Option<String>,
        /// The score column, if any.
        score: Option<String>,
    },
    /// A stored plugin run: its scored subjects are the population.
    Run {
        /// Tenant.
        tenant: String,
        /// Run id.
        run: String,
        /// Plugin id and version.
        plugin: String,
        /// The run's component digest.
        component_digest: String,
        /// The run's output hash.
        output_hash: Option<String>,
        /// The run's "as of" instant.
        as_of: String,
        /// The protected attributes audited.
        protected: Vec<String>,
    },
}

/// How the selection was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SelectionInfo {
    /// A 0/1 decision column.
    Decision {
        /// The column.
        column: String,
    },
    /// Every score at or above a threshold.
    Threshold {
        /// The threshold.
        threshold: f64,
    },
    /// The k highest scores, ties at the cutoff included.
    TopK {
        /// k as asked.
        k: u64,
        /// Rows with the cutoff score.
        tied_at_cutoff: u64,
    },
    /// The highest p percent, ties at the cutoff included.
    TopPercent {
        /// p as asked.
        percent: f64,
        /// The k it came to (rounded up).
        k: u64,
        /// Rows with the cutoff score.
        tied_at_cutoff: u64,
    },
    /// The subjects a plugin put in one segment.
    Segment {
        /// The segment label.
        segment: String,
    },
}

/// A finished fairness report.
#[derive(Debug, Clone, PartialEq)]
pub struct FairnessReport {
    /// What was audited.
    pub source: Source,
    /// SHA-256 of the input (the file's bytes, or the run's audited rows).
    pub input_sha256: String,
    /// The policy's version.
    pub policy_version: String,
    /// SHA-256 of the policy's canonical JSON.
    pub policy_hash: String,
    /// How the selection was made.
    pub selection: SelectionInfo,
    /// The audit itself.
    pub audit: FairnessAudit,
}

/// SHA-256 (hex) of the policy's canonical JSON.
pub fn policy_hash(policy: &FairnessPolicy) -> Result<String, AuditError> {
    Ok(hex::encode(Sha256::digest(
        policy.canonical_json()?.as_bytes(),
    )))
}

impl FairnessReport {
    /// The overall verdict.
    pub fn verdict(&self) -> Verdict {
        self.audit.verdict
    }

    /// The report as a JSON value: `format`, `source`, `input_sha256`,
    /// `policy_version`, `policy_hash`, `selection`, then the audit's own
    /// fields (`n_rows`, `selected`, `n_unknown_excluded`, `analyses`,
    /// `verdict`, …).
    pub fn to_value(&self) -> Result<serde_json::Value, AuditError> {
        let mut v = serde_json::json!({
            "format": REPORT_FORMAT,
            "source": self.source,
            "input_sha256": self.input_sha256,
            "policy_version": self.policy_version,
            "policy_hash": self.policy_hash,
            "selection": self.selection,
        });
        let audit = serde_json::to_value(&self.audit)?;
        if let (Some(map), serde_json::Value::Object(a)) = (v.as_object_mut(), audit) {
            for (k, x) in a {
                map.insert(k, x);
            }
        }
        Ok(v)
    }

    /// The report as canonical JSON (RFC 8785 style): the same input and
    /// policy give the same bytes.
    pub fn to_canonical_json(&self) -> Result<String, AuditError> {
        Ok(crate::canonical::to_string(&self.to_value()?)?)
    }

    /// The report as text for a person: the verdict first, then each
    /// analysis as a table with its reasons.
    pub fn render_text(&self) -> String {
        let a = &self.audit;
        let mut s = String::new();
        let source = match &self.source {
            Source::Csv { .. } => "file".to_owned(),
            Source::Run {
                tenant,
                run,
                plugin,
                ..
            } => format!("run {run} of {plugin} in tenant {tenant}"),
        };
        let selection = match &self.selection {
            SelectionInfo::Decision { column } => format!("decision column `{column}`"),
            SelectionInfo::Threshold { threshold } => format!("score at or above {threshold}"),
            SelectionInfo::TopK { k, tied_at_cutoff } => {
                format!("top {k} by score ({tied_at_cutoff} tied at the cutoff, all selected)")
            }
            SelectionInfo::TopPercent {
                percent,
                k,
                tied_at_cutoff,
            } => format!(
                "top {percent} % by score (k = {k}; {tied_at_cutoff} tied at the cutoff, all selected)"
            ),
            SelectionInfo::Segment { segment } => format!("segment `{segment}`"),
        };
        push_line!(
            s,
            "Fairness audit: {}\n  input      {source}, sha256 {}\n  rows       {} ({} selected by {selection})\n  policy     {} (sha256 {})",
            a.verdict.as_str().to_uppercase(),
            self.input_sha256,
            a.n_rows,
            a.selected,
            self.policy_version,
            self.policy_hash
        );
        for (attr, n) in &a.n_unknown_excluded {
            push_line!(s, "  unknown    {attr}: {n} rows left out of its analyses");
        }
        for an in &a.analyses {
            render_analysis(&mut s, an);
        }
        s
    }
}

fn num(m: Metric, digits: usize) -> String {
    match m {
        Metric::Value(v) => format!("{v:.digits$}"),
        Metric::NotComputable => "n/c".to_owned(),
        Metric::NotApplicable => "-".to_owned(),
        Metric::InsufficientData => "(few)".to_owned(),
    }
}

fn status(g: &Group) -> &'static str {
    match g.status {
        GroupStatus::Reference => "reference",
        GroupStatus::Pass => "pass",
        GroupStatus::Warn => "WARN",
        GroupStatus::Fail => "FAIL",
        GroupStatus::InsufficientData => "insufficient data",
        GroupStatus::Small => "small (not compared)",
    }
}

fn render_analysis(s: &mut String, an: &Analysis) {
    push_line!(
        s,
        "\n{} — {} ({} rows, {} selected, {} with an unknown value left out; judged against `{}`)",
        an.name,
        an.verdict.as_str().to_uppercase(),
        an.n,
        an.selected,
        an.n_unknown_excluded,
        an.judged_against.as_deref().unwrap_or("-")
    );
    push_line!(
        s,
        "  demographic parity difference {} ratio {}; equal opportunity difference {}; equalized odds difference {}",
        num(an.demographic_parity_difference, 4),
        num(an.demographic_parity_ratio, 4),
        num(an.equal_opportunity_difference, 4),
        num(an.equalized_odds_difference, 4)
    );
    let width = an
        .groups
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    push_line!(
        s,
        "  {:<width$} {:>8} {:>8} {:>7} {:>15} {:>7} {:>15} {:>9} {:>6} {:>6}  status",
        "group",
        "n",
        "selected",
        "rate",
        "rate CI",
        "IR",
        "IR CI",
        "p (Holm)",
        "TPR",
        "FPR"
    );
    for (name, g) in &an.groups {
        let ci = g
            .selection_rate_interval
            .map_or("-".to_owned(), |i| format!("{:.3}–{:.3}", i.lower, i.upper));
        let ir_ci = g
            .impact_ratio_interval
            .map_or("-".to_owned(), |i| format!("{:.3}–{:.3}", i.lower, i.upper));
        let ir = match an.judged_against.as_deref() {
            Some(r) if Some(r) == an.reference_group_excluding_small.as_deref() => {
                g.impact_ratio_excluding_small
            }
            _ => g.impact_ratio,
        };
        let p = match g.p_adjusted {
            Metric::Value(p) if p < 0.001 => format!("{p:.1e}"),
            m => num(m, 3),
        };
        push_line!(
            s,
            "  {:<width$} {:>8} {:>8} {:>7.4} {:>15} {:>7} {:>15} {:>9} {:>6} {:>6}  {}{}",
            name,
            g.n,
            g.selected,
            g.selection_rate,
            ci,
            num(ir, 3),
            ir_ci,
            p,
            num(g.tpr, 3),
            num(g.fpr, 3),
            status(g),
            if g.small && g.status != GroupStatus::Small {
                " (small)"
            } else {
                ""
            }
        );
    }
    for r in &an.reasons {
        push_line!(s, "  {} [{}] {}", r.outcome.as_str(), r.rule, r.message);
    }
    for (name, g) in &an.groups {
        if let Some(p) = &g.practical {
            push_line!(
                s,
                "  `{name}`: {:.1} more selections would reach the overall rate ({:.1} points short); with two more selected its impact ratio would be {}",
                p.shortfall_selections,
                p.shortfall_rate * 100.0,
                num(p.impact_ratio_with_two_more, 3)
            );
        }
    }
}
