//! The fairness audit of a selection, as the gate sees it: the one seam
//! between the gate and the fairness statistics.
//!
//! The gate counts its eligible population per combination of protected
//! attribute values, with how many of each were selected
//! ([`SelectionCells`]), and [`audit_cells`] hands those counts to the
//! fairness statistics (`rapport_domain::fairness`) under the bundle's
//! fairness policy. What comes back is a [`FairnessFinding`]: the audit's
//! verdict, the reasons for it, the groups that were too small to judge,
//! and the audit's per-group figures for reports. A verdict pins the cells
//! (and their hash), never a row, and a replay audits the pinned cells
//! again to the same finding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use rapport_domain::fairness::{
    is_unknown, Columns, Counts, FairnessAudit, FairnessError, FairnessPolicy, GroupStatus, Tally,
    Verdict,
};

use crate::canonical::{self, CanonicalError};

/// What the fairness audit concluded about a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairnessOutcome {
    /// Every group that could be judged passed.
    Pass,
    /// A warning rule fired.
    Warn,
    /// A group fails (by default: its impact-ratio interval lies wholly
    /// under 0.8 and its Holm-adjusted exact test is significant).
    Fail,
    /// The groups that were judged passed, but some (or all) were too small
    /// to judge: flagged, not compared.
    InsufficientData,
    /// Nothing could be audited: no protected attribute is known for the
    /// eligible population, or the audit could not run.
    NotAudited,
}

impl FairnessOutcome {
    /// The spelling in verdicts and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FairnessOutcome::Pass => "pass",
            FairnessOutcome::Warn => "warn",
            FairnessOutcome::Fail => "fail",
            FairnessOutcome::InsufficientData => "insufficient_data",
            FairnessOutcome::NotAudited => "not_audited",
        }
    }
}

/// One reason the audit gave, in the shape the fairness module reports
/// (`{rule, analysis, group, metric, value, interval, threshold,
/// p_adjusted}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReason {
    pub rule: String,
    pub analysis: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub interval: Option<[f64; 2]>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub p_adjusted: Option<f64>,
}

/// The audit of a selection as the gate acts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessFinding {
    pub outcome: FairnessOutcome,
    /// Why, from the audit.
    #[serde(default)]
    pub reasons: Vec<FairnessReason>,
    /// `analysis:group` of every group too small to judge: under the
    /// policy's minimum size or expected count (`insufficient_data`), or
    /// under its small-group share (`small`). Flagged, never compared.
    #[serde(default)]
    pub insufficient_groups: Vec<String>,
    /// What the audit could not do: why nothing could be audited (for
    /// [`FairnessOutcome::NotAudited`]), or which protected attributes were
    /// left out because nobody eligible has a known value of them.
    #[serde(default)]
    pub note: Option<String>,
    /// The whole audit as the fairness module returns it (per-group rates,
    /// impact ratios and intervals), for reports. Aggregates only.
    #[serde(default)]
    pub audit: Option<serde_json::Value>,
}

impl FairnessFinding {
    /// A finding that says nothing could be audited, and why.
    pub fn not_audited(note: impl Into<String>) -> Self {
        FairnessFinding {
            outcome: FairnessOutcome::NotAudited,
            reasons: Vec::new(),
            insufficient_groups: Vec::new(),
            note: Some(note.into()),
            audit: None,
        }
    }
}

/// Eligible and selected people sharing one combination of attribute
/// values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// One value per attribute, in the order of [`SelectionCells::attributes`];
    /// `null` where the value is not known.
    pub values: Vec<Option<String>>,
    pub eligible: u64,
    pub selected: u64,
}

/// The fairness input of a selection reduced to its sufficient statistic:
/// for every combination of protected-attribute values present, how many
/// people were eligible and how many were selected. Every per-group and
/// per-intersection figure of a selection audit follows from these counts,
/// so a verdict pins them (and their hash) instead of any row, a replay
/// compares them, and a report recomputes the audit from them without
/// opening a single sealed field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionCells {
    /// The protected attributes, in order.
    pub attributes: Vec<String>,
    /// The combinations present, sorted by their values.
    pub cells: Vec<Cell>,
}

/// Builds [`SelectionCells`] one person at a time.
#[derive(Debug, Clone, Default)]
pub struct CellTally {
    attributes: Vec<String>,
    cells: BTreeMap<Vec<Option<String>>, (u64, u64)>,
}

impl CellTally {
    /// A tally over these attributes.
    pub fn new(attributes: &[&str]) -> Self {
        CellTally {
            attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
            cells: BTreeMap::new(),
        }
    }

    /// Counts one eligible person with their values (in the order of the
    /// attributes; `None` when unknown) and whether they were selected.
    pub fn add(&mut self, values: &[Option<&str>], selected: bool) {
        let key: Vec<Option<String>> = (0..self.attributes.len())
            .map(|i| values.get(i).copied().flatten().map(str::to_owned))
            .collect();
        let c = self.cells.entry(key).or_default();
        c.0 += 1;
        c.1 += u64::from(selected);
    }

    /// Adds the counts of another tally over the same attributes.
    pub fn merge(&mut self, other: CellTally) {
        for (k, (e, s)) in other.cells {
            let c = self.cells.entry(k).or_default();
            c.0 += e;
            c.1 += s;
        }
    }

    /// The finished counts.
    pub fn finish(self) -> SelectionCells {
        SelectionCells {
            attributes: self.attributes,
            cells: self
                .cells
                .into_iter()
                .map(|(values, (eligible, selected))| Cell {
                    values,
                    eligible,
                    selected,
                })
                .collect(),
        }
    }
}

impl SelectionCells {
    /// SHA-256 of the canonical JSON of the counts, in hex: the fairness
    /// input a verdict pins.
    pub fn sha256(&self) -> Result<String, CanonicalError> {
        Ok(hex::encode(Sha256::digest(canonical::to_vec_from(self)?)))
    }

    /// Whether any attribute value is known for anyone.
    pub fn any_known(&self) -> bool {
        self.cells
            .iter()
            .any(|c| c.values.iter().any(Option::is_some))
    }

    /// Everyone counted.
    pub fn eligible(&self) -> u64 {
        self.cells.iter().map(|c| c.eligible).sum()
    }

    /// Everyone selected.
    pub fn selected(&self) -> u64 {
        self.cells.iter().map(|c| c.selected).sum()
    }
}

/// The note of a selection audited under a bundle without fairness
/// thresholds: such a bundle was made by a build without the fairness
/// statistics, and its verdicts said so in these words, so a replay under it
/// finds the same finding.
pub const NO_THRESHOLDS_NOTE: &str = "the fairness statistics are not available in this build";

/// Audits a selection from its cells under a bundle's fairness thresholds,
/// with the fairness statistics of `rapport_domain::fairness`.
///
/// Every cell enters the statistics' [`Tally`] as a block of `eligible`
/// people of whom `selected` were selected, which gives exactly the audit of
/// adding them one by one: per protected attribute and per intersection of
/// two, each group's selection rate against the eligible population, impact
/// ratios, intervals and Holm-adjusted exact tests, judged under `policy`.
/// An attribute nobody in the eligible population has a known value of is
/// left out (and named in the note) rather than reported as a failed
/// comparison. The finding's outcome:
///
/// - `fail` or `warn` when a rule of that level fired;
/// - `insufficient_data` when no rule fired besides "nothing to judge" and
///   some groups were too small to judge (under `min_group_size`, an
///   expected count under `min_expected_count`, or under
///   `small_group_share` of the rows): they are listed, flagged, and not
///   compared;
/// - `pass` otherwise;
/// - `not_audited` when no attribute is known for anyone, when the bundle
///   has no thresholds, or when the statistics refuse the input.
///
/// `audit` holds the whole audit as JSON (counts, rates, ratios, intervals
/// and p-values per group; no row).
pub fn audit_cells(cells: &SelectionCells, policy: Option<&FairnessPolicy>) -> FairnessFinding {
    let known_value = |v: &Option<String>| v.as_deref().is_some_and(|v| !is_unknown(v));
    let known: Vec<usize> = (0..cells.attributes.len())
        .filter(|&i| {
            cells
                .cells
                .iter()
                .any(|c| c.eligible > 0 && c.values.get(i).is_some_and(known_value))
        })
        .collect();
    if known.is_empty() {
        return FairnessFinding::not_audited(
            "no protected attribute is known for anyone in the eligible population",
        );
    }
    let Some(policy) = policy else {
        return FairnessFinding::not_audited(NO_THRESHOLDS_NOTE);
    };
    match audit_known(cells, &known, policy) {
        Ok(audit) => match serde_json::to_value(&audit) {
            Ok(json) => finding_of(cells, &known, &audit, json),
            Err(e) => FairnessFinding::not_audited(format!(
                "the fairness audit could not be recorded: {e}"
            )),
        },
        Err(e) => FairnessFinding::not_audited(format!("the fairness audit could not run: {e}")),
    }
}

/// The audit of the attributes in `known`.
fn audit_known(
    cells: &SelectionCells,
    known: &[usize],
    policy: &FairnessPolicy,
) -> Result<FairnessAudit, FairnessError> {
    let names: Vec<&str> = known
        .iter()
        .map(|&i| cells.attributes[i].as_str())
        .collect();
    let mut tally = Tally::new(&names, Columns::default())?;
    let mut values: Vec<Option<&str>> = Vec::with_capacity(known.len());
    for c in &cells.cells {
        values.clear();
        values.extend(
            known
                .iter()
                .map(|&i| c.values.get(i).and_then(|v| v.as_deref())),
        );
        tally.add_counts(
            &values,
            Counts {
                n: c.eligible,
                selected: c.selected,
                ..Counts::default()
            },
        )?;
    }
    tally.finish(policy)
}

/// The rule the statistics give when an analysis has no group to compare
/// with its reference: a matter of too little data, not of unfairness.
const NOTHING_TO_JUDGE: &str = "nothing_to_judge";

/// The gate's view of an audit.
fn finding_of(
    cells: &SelectionCells,
    known: &[usize],
    audit: &FairnessAudit,
    json: serde_json::Value,
) -> FairnessFinding {
    let reasons: Vec<FairnessReason> = audit
        .reasons()
        .map(|r| FairnessReason {
            rule: r.rule.to_owned(),
            analysis: r.analysis.clone(),
            group: r.group.clone(),
            metric: Some(r.metric.to_owned()),
            value: Some(r.value),
            interval: r.interval.map(|i| [i.lower, i.upper]),
            threshold: Some(r.threshold),
            p_adjusted: r.p_adjusted,
        })
        .collect();
    let insufficient_groups: Vec<String> = audit
        .analyses
        .iter()
        .flat_map(|a| {
            a.groups
                .iter()
                .filter(|(_, g)| {
                    matches!(g.status, GroupStatus::InsufficientData | GroupStatus::Small)
                })
                .map(|(name, _)| format!("{}:{name}", a.name))
        })
        .collect();
    let fired = |level: Verdict| {
        audit
            .reasons()
            .any(|r| r.outcome == level && r.rule != NOTHING_TO_JUDGE)
    };
    let nothing_to_judge = audit.reasons().any(|r| r.rule == NOTHING_TO_JUDGE);
    let outcome = if fired(Verdict::Fail) {
        FairnessOutcome::Fail
    } else if fired(Verdict::Warn) {
        FairnessOutcome::Warn
    } else if !insufficient_groups.is_empty() || nothing_to_judge {
        FairnessOutcome::InsufficientData
    } else {
        FairnessOutcome::Pass
    };
    let left_out: Vec<&str> = (0..cells.attributes.len())
        .filter(|i| !known.contains(i))
        .map(|i| cells.attributes[i].as_str())
        .collect();
    let note = (!left_out.is_empty()).then(|| {
        format!(
            "not known for anyone in the eligible population, so left out of the audit: {}",
            left_out.join(", ")
        )
    });
    FairnessFinding {
        outcome,
        reasons,
        insufficient_groups,
        note,
        audit: Some(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_count_every_combination_and_hash_stably() {
        let mut t = CellTally::new(&["gender", "age_band"]);
        t.add(&[Some("female"), Some("25-34")], true);
        t.add(&[Some("female"), None], false);
        t.add(&[Some("female"), Some("25-34")], false);
        let c = t.finish();
        assert_eq!(c.cells.len(), 2);
        assert_eq!(c.eligible(), 3);
        assert_eq!(c.selected(), 1);
        let both = c
            .cells
            .iter()
            .find(|c| c.values == [Some("female".to_owned()), Some("25-34".to_owned())])
            .expect("cell");
        assert_eq!((both.eligible, both.selected), (2, 1));
        assert!(c.any_known());

        // Order of arrival does not matter; a change in counts does.
        let mut u = CellTally::new(&["gender", "age_band"]);
        u.add(&[Some("female"), Some("25-34")], false);
        u.add(&[Some("female"), Some("25-34")], true);
        u.add(&[Some("female"), None], false);
        assert_eq!(u.clone().finish().sha256().unwrap(), c.sha256().unwrap());
        u.add(&[None, None], true);
        assert_ne!(u.finish().sha256().unwrap(), c.sha256().unwrap());
    }

    fn policy() -> FairnessPolicy {
        FairnessPolicy::default_policy().expect("policy")
    }

    /// Cells over gender and age band from `(gender, age_band, eligible,
    /// selected)` blocks.
    fn cells(blocks: &[(Option<&str>, Option<&str>, u64, u64)]) -> SelectionCells {
        let mut t = CellTally::new(&["gender", "age_band"]);
        for &(g, a, eligible, selected) in blocks {
            for i in 0..eligible {
                t.add(&[g, a], i < selected);
            }
        }
        t.finish()
    }

    #[test]
    fn a_four_fifths_failure_is_found_with_the_audits_own_numbers() {
        let c = cells(&[
            (Some("male"), Some("25-34"), 30, 24),
            (Some("male"), Some("35-44"), 20, 16),
            (Some("female"), Some("25-34"), 30, 12),
            (Some("female"), Some("35-44"), 20, 8),
        ]);
        let f = audit_cells(&c, Some(&policy()));
        assert_eq!(f.outcome, FairnessOutcome::Fail, "{f:?}");
        let r = f
            .reasons
            .iter()
            .find(|r| r.analysis == "gender")
            .expect("a reason on gender");
        assert_eq!(r.rule, "impact_ratio_significantly_below");
        assert_eq!(r.group.as_deref(), Some("female"));
        assert_eq!(r.metric.as_deref(), Some("impact_ratio"));
        // 20/50 over 40/50.
        assert_eq!(r.value, Some(0.4 / 0.8));
        assert_eq!(r.threshold, Some(0.8));
        let [lo, hi] = r.interval.expect("interval");
        assert!(lo < 0.5 && hi < 0.8, "{lo} {hi}");
        assert!(r.p_adjusted.expect("p") < 0.05);

        // The same people added one by one to the statistics give the
        // same audit, number for number.
        let mut t = Tally::new(&["gender", "age_band"], Columns::default()).expect("tally");
        for (g, a, n, k) in [
            ("male", "25-34", 30, 24),
            ("female", "35-44", 20, 8),
            ("male", "35-44", 20, 16),
            ("female", "25-34", 30, 12),
        ] {
            for i in 0..n {
                t.add(&[Some(g), Some(a)], i < k, None, None).expect("add");
            }
        }
        let direct = serde_json::to_value(t.finish(&policy()).expect("finish")).expect("json");
        assert_eq!(f.audit.as_ref(), Some(&direct));
        assert_eq!(direct["analyses"]["gender"]["groups"]["female"]["n"], 50);
        assert_eq!(direct["analyses"]["gender"]["verdict"], "fail");
        assert!(direct["analyses"]["gender×age_band"].is_object());
    }

    #[test]
    fn a_small_group_is_flagged_and_not_compared() {
        // Nobody of the three non-binary people is selected: compared, that
        // would be an impact ratio of 0.
        let c = cells(&[
            (Some("male"), None, 100, 50),
            (Some("female"), None, 100, 50),
            (Some("non-binary"), None, 3, 0),
        ]);
        let f = audit_cells(&c, Some(&policy()));
        assert_eq!(f.outcome, FairnessOutcome::InsufficientData, "{f:?}");
        assert_eq!(f.insufficient_groups, ["gender:non-binary"]);
        assert!(f.reasons.is_empty(), "{:?}", f.reasons);
        let audit = f.audit.expect("audit");
        let nb = &audit["analyses"]["gender"]["groups"]["non-binary"];
        assert_eq!(nb["status"], "small");
        assert_eq!(nb["selection_rate"], 0.0);
        // Age band is unknown for everyone: left out and said so, not
        // counted as a comparison that could not be made.
        assert!(audit["analyses"].get("age_band").is_none());
        assert!(
            f.note.as_deref().is_some_and(|n| n.contains("age_band")),
            "{:?}",
            f.note
        );
    }

    #[test]
    fn groups_too_small_to_judge_anywhere_are_insufficient_data_not_a_pass() {
        // Two people: nothing can be compared.
        let c = cells(&[
            (Some("female"), Some("35-44"), 1, 1),
            (Some("male"), Some("45-54"), 1, 1),
        ]);
        let f = audit_cells(&c, Some(&policy()));
        assert_eq!(f.outcome, FairnessOutcome::InsufficientData, "{f:?}");
        assert!(f.insufficient_groups.contains(&"gender:male".to_owned()));
        // Equal groups of a fair selection pass.
        let c = cells(&[
            (Some("female"), Some("25-34"), 200, 100),
            (Some("male"), Some("25-34"), 200, 104),
        ]);
        let f = audit_cells(&c, Some(&policy()));
        assert!(f.insufficient_groups.is_empty(), "{f:?}");
        assert_eq!(f.outcome, FairnessOutcome::InsufficientData);
        assert!(f
            .reasons
            .iter()
            .all(|r| r.rule == NOTHING_TO_JUDGE && r.analysis == "age_band"));
        let c = cells(&[
            (Some("female"), Some("25-34"), 200, 100),
            (Some("male"), Some("25-34"), 200, 104),
            (Some("female"), Some("35-44"), 200, 100),
            (Some("male"), Some("35-44"), 200, 98),
        ]);
        let f = audit_cells(&c, Some(&policy()));
        assert_eq!(f.outcome, FairnessOutcome::Pass, "{f:?}");
        assert!(f.reasons.is_empty() && f.note.is_none());
    }

    #[test]
    fn what_cannot_be_audited_says_why() {
        let p = policy();
        let f = audit_cells(&cells(&[(None, None, 10, 5)]), Some(&p));
        assert_eq!(f.outcome, FairnessOutcome::NotAudited);
        assert!(f
            .note
            .as_deref()
            .is_some_and(|n| n.contains("no protected attribute")));
        let f = audit_cells(&cells(&[(Some("unknown"), Some("n/a"), 10, 5)]), Some(&p));
        assert_eq!(f.outcome, FairnessOutcome::NotAudited);
        let c = cells(&[(Some("female"), None, 10, 5)]);
        let f = audit_cells(&c, None);
        assert_eq!(f.outcome, FairnessOutcome::NotAudited);
        assert_eq!(f.note.as_deref(), Some(NO_THRESHOLDS_NOTE));
        // Counts no population could have (a stored verdict edited by hand).
        let mut bad = c;
        bad.cells[0].selected = 11;
        let f = audit_cells(&bad, Some(&p));
        assert_eq!(f.outcome, FairnessOutcome::NotAudited);
        assert!(
            f.note
                .as_deref()
                .is_some_and(|n| n.contains("11 selected out of 10")),
            "{:?}",
            f.note
        );
    }
}
