//! The fairness audit of a selection, as the gate sees it: the one seam
//! between the gate and the fairness statistics.
//!
//! The gate hands the statistics its eligible population, each person with
//! their protected attributes and whether they were selected, and gets back
//! a [`FairnessFinding`]: the audit's verdict, the reasons for it, and the
//! groups that were too small to judge. The per-group counts that went in
//! are kept ([`SelectionCells`]) so a verdict pins its fairness input without
//! holding a single row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// `analysis:group` of every group too small to judge.
    #[serde(default)]
    pub insufficient_groups: Vec<String>,
    /// Why nothing could be audited, for [`FairnessOutcome::NotAudited`].
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

/// Audits a selection from its cells under a bundle's fairness thresholds.
///
/// This is where the fairness statistics plug in. Until they are part of
/// the build, every selection with a known attribute is reported as not
/// audited, which the gate policy never lets through unreviewed.
pub fn audit_cells(cells: &SelectionCells, _thresholds: &serde_json::Value) -> FairnessFinding {
    if !cells.any_known() {
        return FairnessFinding::not_audited(
            "no protected attribute is known for anyone in the eligible population",
        );
    }
    FairnessFinding::not_audited("the fairness statistics are not available in this build")
}

/// The fairness thresholds a bundle carries until the fairness policy is
/// part of it.
pub fn default_thresholds() -> serde_json::Value {
    serde_json::Value::Null
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
}
