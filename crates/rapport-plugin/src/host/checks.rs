//! What the host accepts back from a plugin. A plugin's output goes into
//! reports and audits; these checks keep it to the shape the contract
//! promises and to a size proportional to the batch.

use std::collections::HashSet;

use super::wit::{Diagnostic, Output, Scored};

/// Longest `label` of an output, in bytes.
pub const MAX_LABEL_BYTES: usize = 64;
/// Most named values per output.
pub const MAX_VALUES: usize = 64;
/// Longest name of a named value, in bytes.
pub const MAX_VALUE_NAME_BYTES: usize = 64;
/// Most contributions per output.
pub const MAX_CONTRIBUTIONS: usize = 64;
/// Longest label of a contribution, in bytes.
pub const MAX_CONTRIBUTION_LABEL_BYTES: usize = 200;
/// Most diagnostics per call.
pub const MAX_DIAGNOSTICS: usize = 64;
/// Longest diagnostic message, in bytes.
pub const MAX_DIAGNOSTIC_BYTES: usize = 1024;
/// Output size every call may use, in bytes (strings plus 8 bytes per number).
pub const OUTPUT_BASE_BYTES: u64 = 1024 * 1024;
/// Further output size per record of the batch.
pub const OUTPUT_BYTES_PER_RECORD: u64 = 8 * 1024;

/// The output budget of a call over `records` records, in bytes.
pub fn output_budget(records: usize) -> u64 {
    OUTPUT_BASE_BYTES.saturating_add(OUTPUT_BYTES_PER_RECORD.saturating_mul(records as u64))
}

/// Why an output was refused.
pub enum Refusal {
    /// Larger than the output budget (in bytes).
    TooLarge(u64),
    Invalid(String),
}

fn diagnostics_size(diagnostics: &[Diagnostic]) -> u64 {
    diagnostics.iter().map(|d| d.message.len() as u64 + 1).sum()
}

/// The size of an output as the budget counts it.
fn output_size(o: &Output) -> u64 {
    16 + o.label.as_ref().map_or(0, |l| l.len() as u64)
        + o.values
            .iter()
            .map(|v| v.name.len() as u64 + 8)
            .sum::<u64>()
        + o.explanation
            .iter()
            .map(|c| c.label.len() as u64 + 8)
            .sum::<u64>()
}

pub fn check_diagnostics(diagnostics: &[Diagnostic]) -> Result<(), Refusal> {
    if diagnostics.len() > MAX_DIAGNOSTICS {
        return Err(Refusal::Invalid(format!(
            "{} diagnostics (at most {MAX_DIAGNOSTICS})",
            diagnostics.len()
        )));
    }
    for d in diagnostics {
        check_text("a diagnostic", &d.message).map_err(Refusal::Invalid)?;
    }
    if let Some(d) = diagnostics
        .iter()
        .find(|d| d.message.len() > MAX_DIAGNOSTIC_BYTES)
    {
        return Err(Refusal::Invalid(format!(
            "a diagnostic of {} bytes (at most {MAX_DIAGNOSTIC_BYTES})",
            d.message.len()
        )));
    }
    Ok(())
}

/// Text a plugin hands back is shown on terminals and in reports: it may
/// not carry control characters (escape sequences, line breaks).
pub fn check_text(what: &str, text: &str) -> Result<(), String> {
    match text.chars().position(char::is_control) {
        Some(at) => Err(format!(
            "{what} holds a control character at character {at}"
        )),
        None => Ok(()),
    }
}

/// Checks the result of `score` over a batch with these subjects.
pub fn check_scored(scored: &Scored, subjects: &[u64]) -> Result<(), Refusal> {
    let outputs = &scored.outputs;
    if outputs.len() > subjects.len() {
        return Err(Refusal::Invalid(format!(
            "{} outputs for a batch of {}",
            outputs.len(),
            subjects.len()
        )));
    }
    let budget = output_budget(subjects.len());
    let size = outputs.iter().map(output_size).sum::<u64>() + diagnostics_size(&scored.diagnostics);
    if size > budget {
        return Err(Refusal::TooLarge(budget));
    }
    check_diagnostics(&scored.diagnostics)?;
    let batch: HashSet<u64> = subjects.iter().copied().collect();
    let mut seen = HashSet::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        let at =
            |what: String| Refusal::Invalid(format!("output {i} (subject {}): {what}", o.subject));
        if !batch.contains(&o.subject) {
            return Err(at("names a subject that is not in the batch".into()));
        }
        if !seen.insert(o.subject) {
            return Err(at("names the subject a second time".into()));
        }
        if !o.score.is_finite() {
            return Err(at(format!("score is {}, not a finite number", o.score)));
        }
        if let Some(label) = &o.label {
            check_text("the label", label).map_err(at)?;
            if label.len() > MAX_LABEL_BYTES {
                return Err(at(format!(
                    "label of {} bytes (at most {MAX_LABEL_BYTES})",
                    label.len()
                )));
            }
        }
        if o.values.len() > MAX_VALUES {
            return Err(at(format!(
                "{} named values (at most {MAX_VALUES})",
                o.values.len()
            )));
        }
        for v in &o.values {
            check_text("a value name", &v.name).map_err(at)?;
            if v.name.len() > MAX_VALUE_NAME_BYTES {
                return Err(at(format!(
                    "a value name of {} bytes (at most {MAX_VALUE_NAME_BYTES})",
                    v.name.len()
                )));
            }
            if !v.value.is_finite() {
                return Err(at(format!(
                    "value `{}` is {}, not a finite number",
                    v.name, v.value
                )));
            }
        }
        if o.explanation.len() > MAX_CONTRIBUTIONS {
            return Err(at(format!(
                "{} contributions (at most {MAX_CONTRIBUTIONS})",
                o.explanation.len()
            )));
        }
        for c in &o.explanation {
            check_text("a contribution label", &c.label).map_err(at)?;
            if c.label.len() > MAX_CONTRIBUTION_LABEL_BYTES {
                return Err(at(format!(
                    "a contribution label of {} bytes (at most {MAX_CONTRIBUTION_LABEL_BYTES})",
                    c.label.len()
                )));
            }
            if !c.value.is_finite() {
                return Err(at(format!(
                    "a contribution is {}, not a finite number",
                    c.value
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::wit::{Contribution, NamedValue};

    fn output(subject: u64) -> Output {
        Output {
            subject,
            score: 1.0,
            label: None,
            values: Vec::new(),
            explanation: Vec::new(),
        }
    }

    fn scored(outputs: Vec<Output>) -> Scored {
        Scored {
            outputs,
            diagnostics: Vec::new(),
        }
    }

    fn invalid(r: Result<(), Refusal>) -> String {
        match r {
            Err(Refusal::Invalid(s)) => s,
            Err(Refusal::TooLarge(b)) => panic!("expected invalid, got over the budget of {b}"),
            Ok(()) => panic!("expected a refusal"),
        }
    }

    #[test]
    fn refuses_control_characters_in_text() {
        let mut o = output(1);
        o.label = Some("champions\u{1b}[2J".into());
        let s = invalid(check_scored(&scored(vec![o]), &[1]));
        assert!(s.contains("the label holds a control character"), "{s}");
        let mut o = output(1);
        o.explanation.push(Contribution {
            label: "line one\nline two".into(),
            value: 1.0,
        });
        let s = invalid(check_scored(&scored(vec![o]), &[1]));
        assert!(
            s.contains("contribution label holds a control character"),
            "{s}"
        );
        let mut o = output(1);
        o.label = Some("à la carte, 5 €".into());
        assert!(check_scored(&scored(vec![o]), &[1]).is_ok());
    }

    #[test]
    fn accepts_a_subset_of_the_batch() {
        assert!(check_scored(&scored(vec![output(2), output(1)]), &[1, 2, 3]).is_ok());
        assert!(check_scored(&scored(vec![]), &[1, 2, 3]).is_ok());
    }

    #[test]
    fn refuses_more_outputs_than_records() {
        let s = invalid(check_scored(
            &scored(vec![output(1), output(2), output(1)]),
            &[1, 2],
        ));
        assert_eq!(s, "3 outputs for a batch of 2");
    }

    #[test]
    fn refuses_unknown_and_repeated_subjects() {
        let s = invalid(check_scored(&scored(vec![output(9)]), &[1, 2]));
        assert!(
            s.contains("subject 9") && s.contains("not in the batch"),
            "{s}"
        );
        let s = invalid(check_scored(&scored(vec![output(1), output(1)]), &[1, 2]));
        assert!(s.contains("second time"), "{s}");
    }

    #[test]
    fn refuses_non_finite_numbers() {
        let mut o = output(1);
        o.score = f64::NAN;
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("score is NaN"));
        let mut o = output(1);
        o.values.push(NamedValue {
            name: "p".into(),
            value: f64::INFINITY,
        });
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("value `p` is inf"));
        let mut o = output(1);
        o.explanation.push(Contribution {
            label: "x".into(),
            value: f64::NEG_INFINITY,
        });
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("contribution is -inf"));
    }

    #[test]
    fn refuses_oversized_parts() {
        let mut o = output(1);
        o.label = Some("x".repeat(MAX_LABEL_BYTES + 1));
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("label of 65 bytes"));
        let mut o = output(1);
        o.label = Some("x".repeat(MAX_LABEL_BYTES));
        assert!(check_scored(&scored(vec![o]), &[1]).is_ok());
        let mut o = output(1);
        o.values = (0..=MAX_VALUES)
            .map(|i| NamedValue {
                name: i.to_string(),
                value: 0.0,
            })
            .collect();
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("65 named values"));
        let mut o = output(1);
        o.explanation = vec![Contribution {
            label: "y".repeat(MAX_CONTRIBUTION_LABEL_BYTES + 1),
            value: 0.0,
        }];
        assert!(invalid(check_scored(&scored(vec![o]), &[1])).contains("201 bytes"));
    }

    #[test]
    fn refuses_output_over_budget() {
        let big = |subject| Output {
            explanation: (0..MAX_CONTRIBUTIONS)
                .map(|_| Contribution {
                    label: "z".repeat(MAX_CONTRIBUTION_LABEL_BYTES),
                    value: 1.0,
                })
                .collect(),
            ..output(subject)
        };
        let subjects: Vec<u64> = (0..1000).collect();
        let outputs = subjects.iter().map(|&s| big(s)).collect();
        match check_scored(&scored(outputs), &subjects) {
            Err(Refusal::TooLarge(budget)) => assert_eq!(budget, output_budget(1000)),
            _ => panic!("expected the output budget to refuse"),
        }
    }
}
