//! Fairness audits of stored runs: the run's scored customers are the
//! population, its selection is a top-k or top-percent list, a score
//! threshold or one segment, and the protected attributes (gender, age band)
//! are opened from the vault inside the audit only.
//!
//! Invariant: the opened values go straight into the tally, which keeps
//! them only as group names; the report carries group names and counts, and
//! nothing opened reaches a log or an error.

use rapport_audit::fairness::{policy_hash, FairnessReport, SelectionInfo, Source};
use rapport_domain::fairness::{select_by_score, Columns, FairnessPolicy, ScoreRule, Tally};
use rapport_vault::SubjectId;
use sha2::{Digest, Sha256};

use crate::platform::to_wrapped;
use crate::{CoreError, Platform};

/// Outputs read per page.
const PAGE: i64 = 20_000;

/// The protected attributes a stored run is audited on, as sealed by the
/// import (see `ImportKind::protected_fields`; the birth date is audited
/// through the age band).
pub const RUN_PROTECTED: [&str; 2] = ["gender", "age_band"];

/// Which of a run's scored subjects count as selected.
#[derive(Debug, Clone, PartialEq)]
pub enum RunSelection {
    /// The k highest scores, ties at the cutoff included.
    TopK(u64),
    /// The highest p percent, ties at the cutoff included.
    TopPercent(f64),
    /// Every score at or above the threshold.
    Threshold(f64),
    /// The subjects the plugin put in this segment (output label).
    Segment(String),
}

impl Platform {
    /// Audits a stored run for fairness under `policy`: every scored subject
    /// is in the population, `selection` says who was selected, and the
    /// subjects' gender and age band are opened with their data keys for the
    /// audit alone.
    pub async fn audit_run_fairness(
        &self,
        tenant: &str,
        run_id: &str,
        selection: &RunSelection,
        policy: &FairnessPolicy,
    ) -> Result<FairnessReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let run = self.store.run(&t, run_id).await?.ok_or_else(|| {
            CoreError::Invalid(format!(
                "run `{run_id}` does not exist in tenant `{tenant}`"
            ))
        })?;
        if run.status != "succeeded" {
            return Err(CoreError::Invalid(format!(
                "run `{run_id}` did not succeed ({}); it has no outputs to audit",
                run.status
            )));
        }
        let tk = self.tenant_keys(&t)?;
        let invalid =
            |e: rapport_domain::fairness::FairnessError| CoreError::Invalid(e.to_string());
        let mut tally = Tally::new(
            &RUN_PROTECTED,
            Columns {
                labels: false,
                scores: true,
            },
        )
        .map_err(invalid)?;

        // The population, kept as group codes, scores and segment labels
        // until the selection is known (a top-k list needs every score).
        let mut codes: Vec<Option<u32>> = Vec::new();
        let mut scores: Vec<f64> = Vec::new();
        let mut labels: Vec<Option<String>> = Vec::new();
        let mut hasher = Sha256::new();
        hasher.update(format!("rapport.fairness-run-input/1\n{run_id}\n").as_bytes());
        let mut after = 0i64;
        loop {
            let page = self.store.run_audit_page(&t, run_id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.stakeholder_id;
            let subjects: Vec<[u8; 16]> = page.iter().map(|o| o.subject).collect();
            let keys = self.keys.get_many(t.uuid, &subjects).await?;
            for o in &page {
                let key = match keys.get(&o.subject) {
                    Some(w) => Some(tk.unwrap_key(SubjectId(o.subject), &to_wrapped(w))?),
                    // No key: the subject's data is unreadable, so its
                    // attributes are unknown, counted as such.
                    None => None,
                };
                let mut line = format!("{}\t{:016x}", o.stakeholder_id, o.score.to_bits());
                for (i, (field, sealed)) in [
                    ("gender", &o.gender_sealed),
                    ("age_band", &o.age_band_sealed),
                ]
                .into_iter()
                .enumerate()
                {
                    let code = match (sealed, &key) {
                        (Some(sealed), Some(key)) => {
                            let plain =
                                key.open(field, sealed).map_err(|_| CoreError::Unreadable {
                                    id: o.stakeholder_id.to_string(),
                                    field: field.to_owned(),
                                })?;
                            // A value that is not UTF-8 is not a category.
                            match std::str::from_utf8(&plain) {
                                Ok(v) => tally.code(i, v).map_err(invalid)?,
                                Err(_) => None,
                            }
                        }
                        _ => None,
                    };
                    codes.push(code);
                    line.push('\t');
                    line.push_str(&code.map_or(u64::MAX, u64::from).to_string());
                }
                line.push('\n');
                hasher.update(line.as_bytes());
                scores.push(o.score);
                labels.push(o.label.clone());
            }
        }
        if scores.is_empty() {
            return Err(CoreError::Invalid(format!(
                "run `{run_id}` has no stored outputs to audit"
            )));
        }
        // The codes stand for the categories; the hash pins them by name, in
        // sorted order, so it does not depend on the order they were seen.
        let mut names: Vec<String> = (0..RUN_PROTECTED.len())
            .flat_map(|i| {
                let mut v = Vec::new();
                let mut c = 0u32;
                while let Some(name) = tally.group_name(i, c) {
                    v.push(format!("{i}:{c}:{name}\n"));
                    c += 1;
                }
                v
            })
            .collect();
        names.sort();
        for n in &names {
            hasher.update(n.as_bytes());
        }

        let (selected, info) = match selection {
            RunSelection::Segment(segment) => {
                let selected: Vec<bool> = labels
                    .iter()
                    .map(|l| l.as_deref() == Some(segment.as_str()))
                    .collect();
                if !selected.iter().any(|&s| s) {
                    let mut known: Vec<&str> = labels.iter().filter_map(|l| l.as_deref()).collect();
                    known.sort_unstable();
                    known.dedup();
                    return Err(CoreError::Invalid(format!(
                        "no output of run `{run_id}` is in segment `{segment}` (segments: {})",
                        known.join(", ")
                    )));
                }
                (
                    selected,
                    SelectionInfo::Segment {
                        segment: segment.clone(),
                    },
                )
            }
            RunSelection::TopK(k) => {
                let s = select_by_score(&scores, ScoreRule::TopK(*k)).map_err(invalid)?;
                let info = SelectionInfo::TopK {
                    k: *k,
                    tied_at_cutoff: s.tied_at_cutoff,
                };
                (s.selected, info)
            }
            RunSelection::TopPercent(p) => {
                let s = select_by_score(&scores, ScoreRule::TopPercent(*p)).map_err(invalid)?;
                let info = SelectionInfo::TopPercent {
                    percent: *p,
                    k: s.requested.unwrap_or(0),
                    tied_at_cutoff: s.tied_at_cutoff,
                };
                (s.selected, info)
            }
            RunSelection::Threshold(th) => {
                let s = select_by_score(&scores, ScoreRule::Threshold(*th)).map_err(invalid)?;
                (s.selected, SelectionInfo::Threshold { threshold: *th })
            }
        };
        let k = RUN_PROTECTED.len();
        for (i, &sel) in selected.iter().enumerate() {
            tally
                .add_coded(&codes[i * k..(i + 1) * k], sel, None, Some(scores[i]))
                .map_err(invalid)?;
        }
        let audit = tally.finish(policy).map_err(invalid)?;
        tracing::info!(tenant = %t.name, run = %run_id, rows = audit.n_rows, verdict = audit.verdict.as_str(), "fairness audit of a run");
        Ok(FairnessReport {
            source: Source::Run {
                tenant: t.name.clone(),
                run: run_id.to_owned(),
                plugin: format!("{}@{}", run.plugin_id, run.version),
                component_digest: run.component_digest.clone(),
                output_hash: run.output_hash.clone(),
                as_of: run.as_of.clone(),
                protected: RUN_PROTECTED.iter().map(|s| (*s).to_owned()).collect(),
            },
            input_sha256: hex::encode(hasher.finalize()),
            policy_version: policy.version.clone(),
            policy_hash: policy_hash(policy).map_err(|e| CoreError::Invalid(e.to_string()))?,
            selection: info,
            audit,
        })
    }
}
