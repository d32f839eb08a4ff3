//! Auditing a CSV file exported from any system: one streaming pass that
//! hashes the bytes, checks every value and feeds the tally.
//!
//! With a decision column the pass keeps nothing per row (scores excepted,
//! see [`rapport_domain::fairness::Tally`]). A selection made from scores
//! (threshold, top-k, top-percent) needs every score before anyone can be
//! selected, so those rows are kept as codes, label and score (about 17
//! bytes a row for two attributes) until the cutoff is known.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use rapport_domain::fairness::{
    select_by_score, Columns, FairnessPolicy, ScoreRule, Tally, MAX_ATTRIBUTES,
};
use sha2::{Digest, Sha256};

use super::report::{policy_hash, FairnessReport, SelectionInfo, Source};
use super::AuditError;

/// How the rows of a file are selected.
#[derive(Debug, Clone, PartialEq)]
pub enum FileSelection {
    /// A column of 0/1/true/false decisions.
    Decision(String),
    /// A rule applied to the score column.
    Score(ScoreRule),
}

/// What to audit in a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvAudit {
    /// The protected attribute columns (one analysis each, and one per pair).
    pub protected: Vec<String>,
    /// How rows are selected.
    pub selection: FileSelection,
    /// A score column: compared per group, and needed by a score selection.
    pub score: Option<String>,
    /// An outcome label column (0/1/true/false) for error rates.
    pub label: Option<String>,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Audits the CSV file at `path`.
pub fn audit_csv_file(
    path: &Path,
    spec: &CsvAudit,
    policy: &FairnessPolicy,
) -> Result<FairnessReport, AuditError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| AuditError::Io {
        file: name.clone(),
        source,
    })?;
    audit_csv(&name, BufReader::with_capacity(1 << 20, file), spec, policy)
}

/// Parses a 0/1/true/false flag (case and surrounding white space ignored).
fn flag(v: &[u8]) -> Option<bool> {
    let v = v.trim_ascii();
    if v == b"1" || v.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if v == b"0" || v.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

/// A value quoted for an error message: at most 40 characters, control
/// characters escaped. Only decisions, labels and scores are ever quoted.
fn quote(v: &[u8]) -> String {
    let text = String::from_utf8_lossy(v);
    let mut q: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        q.push('…');
    }
    format!("{q:?}")
}

struct Layout {
    protected: Vec<usize>,
    decision: Option<usize>,
    score: Option<usize>,
    label: Option<usize>,
}

fn layout(file: &str, header: &csv::ByteRecord, spec: &CsvAudit) -> Result<Layout, AuditError> {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            // A byte-order mark belongs to the file, not to the first name.
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                &h
            };
            h.trim().to_owned()
        })
        .collect();
    let find = |col: &str| -> Result<usize, AuditError> {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == col).collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => Err(AuditError::Input {
                file: file.to_owned(),
                line: 1,
                reason: format!(
                    "no column `{col}` in the header (columns: {})",
                    names.join(", ")
                ),
            }),
            _ => Err(AuditError::Input {
                file: file.to_owned(),
                line: 1,
                reason: format!("column `{col}` appears {} times in the header", hits.len()),
            }),
        }
    };
    let l = Layout {
        protected: spec
            .protected
            .iter()
            .map(|c| find(c))
            .collect::<Result<_, _>>()?,
        decision: match &spec.selection {
            FileSelection::Decision(c) => Some(find(c)?),
            FileSelection::Score(_) => None,
        },
        score: spec.score.as_deref().map(find).transpose()?,
        label: spec.label.as_deref().map(find).transpose()?,
    };
    let mut used: Vec<usize> = l.protected.clone();
    used.extend(l.decision);
    used.extend(l.score);
    used.extend(l.label);
    let mut sorted = used.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != used.len() {
        return Err(AuditError::Options(
            "a column is named in two roles (protected, decision, score, label)".to_owned(),
        ));
    }
    Ok(l)
}

/// Audits CSV text read from `reader`; `file` names it in errors.
pub fn audit_csv<R: Read>(
    file: &str,
    reader: R,
    spec: &CsvAudit,
    policy: &FairnessPolicy,
) -> Result<FairnessReport, AuditError> {
    if spec.protected.is_empty() {
        return Err(AuditError::Options(
            "name at least one protected attribute column".to_owned(),
        ));
    }
    if matches!(spec.selection, FileSelection::Score(_)) && spec.score.is_none() {
        return Err(AuditError::Options(
            "a threshold, top-k or top-percent selection needs a score column".to_owned(),
        ));
    }
    let attrs: Vec<&str> = spec.protected.iter().map(String::as_str).collect();
    let columns = Columns {
        labels: spec.label.is_some(),
        scores: spec.score.is_some(),
    };
    let mut tally = Tally::new(&attrs, columns)?;
    let k = attrs.len();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(Hashing {
            inner: reader,
            hasher: Sha256::new(),
        });
    let csv_err = |e: csv::Error| -> AuditError {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(source) => AuditError::Io {
                file: file.to_owned(),
                source,
            },
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => AuditError::Input {
                file: file.to_owned(),
                line,
                reason: format!("has {len} fields, the header has {expected_len}"),
            },
            other => AuditError::Input {
                file: file.to_owned(),
                line,
                reason: format!("not readable as CSV: {other:?}"),
            },
        }
    };
    let header = rdr.byte_headers().map_err(csv_err)?.clone();
    let lay = layout(file, &header, spec)?;
    let col_name = |i: usize| {
        String::from_utf8_lossy(header.get(i).unwrap_or_default())
            .trim_start_matches('\u{feff}')
            .trim()
            .to_owned()
    };
    let bad = |line: u64, col: usize, what: String| AuditError::Input {
        file: file.to_owned(),
        line,
        reason: format!("column `{}` ({}): {what}", col_name(col), col + 1),
    };

    // Rows kept until a score selection's cutoff is known.
    let buffering = matches!(spec.selection, FileSelection::Score(_));
    let mut kept_codes: Vec<Option<u32>> = Vec::new();
    let mut kept_labels: Vec<Option<bool>> = Vec::new();
    let mut kept_scores: Vec<f64> = Vec::new();

    let mut rec = csv::ByteRecord::new();
    let mut codes = [None; MAX_ATTRIBUTES];
    while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        let line = rec.position().map_or(0, |p| p.line());
        for (a, &col) in lay.protected.iter().enumerate() {
            let raw = rec.get(col).unwrap_or_default();
            let v = std::str::from_utf8(raw)
                .map_err(|_| bad(line, col, "not valid UTF-8".to_owned()))?;
            codes[a] = tally.code(a, v)?;
        }
        let label = match lay.label {
            Some(col) => {
                let raw = rec.get(col).unwrap_or_default();
                Some(flag(raw).ok_or_else(|| {
                    bad(
                        line,
                        col,
                        format!("{} is not 0, 1, true or false", quote(raw)),
                    )
                })?)
            }
            None => None,
        };
        let score = match lay.score {
            Some(col) => {
                let raw = rec.get(col).unwrap_or_default();
                let s = std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite());
                Some(s.ok_or_else(|| bad(line, col, format!("{} is not a number", quote(raw))))?)
            }
            None => None,
        };
        if buffering {
            kept_codes.extend_from_slice(&codes[..k]);
            kept_labels.push(label);
            kept_scores.push(score.unwrap_or(0.0));
            continue;
        }
        let selected = match lay.decision {
            Some(col) => {
                let raw = rec.get(col).unwrap_or_default();
                flag(raw).ok_or_else(|| {
                    bad(
                        line,
                        col,
                        format!("{} is not 0, 1, true or false", quote(raw)),
                    )
                })?
            }
            None => false,
        };
        tally.add_coded(&codes[..k], selected, label, score)?;
    }
    let records = rdr.position().record();
    let hasher = rdr.into_inner().hasher;
    if records <= 1 && tally.n_rows() == 0 && kept_scores.is_empty() {
        return Err(AuditError::Input {
            file: file.to_owned(),
            line: 1,
            reason: "no rows after the header".to_owned(),
        });
    }

    let selection = match &spec.selection {
        FileSelection::Decision(column) => SelectionInfo::Decision {
            column: column.clone(),
        },
        FileSelection::Score(rule) => {
            let chosen = select_by_score(&kept_scores, *rule)?;
            for (i, &sel) in chosen.selected.iter().enumerate() {
                tally.add_coded(
                    &kept_codes[i * k..(i + 1) * k],
                    sel,
                    kept_labels[i],
                    Some(kept_scores[i]),
                )?;
            }
            match *rule {
                ScoreRule::Threshold(threshold) => SelectionInfo::Threshold { threshold },
                ScoreRule::TopK(k) => SelectionInfo::TopK {
                    k,
                    tied_at_cutoff: chosen.tied_at_cutoff,
                },
                ScoreRule::TopPercent(percent) => SelectionInfo::TopPercent {
                    percent,
                    k: chosen.requested.unwrap_or(0),
                    tied_at_cutoff: chosen.tied_at_cutoff,
                },
            }
        }
    };
    let audit = tally.finish(policy)?;
    Ok(FairnessReport {
        source: Source::Csv {
            protected: spec.protected.clone(),
            label: spec.label.clone(),
            score: spec.score.clone(),
        },
        input_sha256: hex::encode(hasher.finalize()),
        policy_version: policy.version.clone(),
        policy_hash: policy_hash(policy)?,
        selection,
        audit,
    })
}
