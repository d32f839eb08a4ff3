//! What the host accepts back from a plugin. A plugin's output goes into
//! reports and audits; these checks keep it to the shape the contract
//! promises and to a size proportional to the batch.

use super::wit::{Diagnostic, Outputs, Scored, NO_LABEL};

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

/// Whether `text` holds a control character: a byte scan when it is
/// printable ASCII (the usual case), a scan by character otherwise.
fn has_control(text: &str) -> bool {
    // Without an early exit the byte test runs many bytes at a time.
    let printable_ascii = text
        .as_bytes()
        .chunks(256)
        .all(|c| c.iter().fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b)));
    !printable_ascii && text.chars().any(char::is_control)
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

fn malformed(what: String) -> Refusal {
    Refusal::Invalid(format!("malformed outputs: {what}"))
}

/// Where each output's run of `counts` starts in the flat lists, checked
/// against the lengths of those lists.
fn starts(counts: &[u32], names: usize, numbers: usize, what: &str) -> Result<Vec<u32>, Refusal> {
    let mut starts = Vec::with_capacity(counts.len());
    let mut total = 0u64;
    for &c in counts {
        starts.push(u32::try_from(total).unwrap_or(u32::MAX));
        total += u64::from(c);
    }
    if total != names as u64 || total != numbers as u64 {
        return Err(malformed(format!(
            "the counts add up to {total} {what}, but {names} names and {numbers} numbers were given"
        )));
    }
    Ok(starts)
}

/// Checks that the columns of `o` fit together (the shape a plugin could
/// get wrong on the wire, whatever it meant), and records where each
/// output's values and terms start. After this, every index of `o` is in
/// range.
fn check_shape(o: &mut Outputs) -> Result<(), Refusal> {
    let n = o.subject.len();
    for (what, len) in [
        ("scores", o.score.len()),
        ("labels", o.label.len()),
        ("value counts", o.value_count.len()),
        ("explanation counts", o.term_count.len()),
    ] {
        if len != n {
            return Err(malformed(format!("{len} {what} for {n} subjects")));
        }
    }
    let strings = o.ends.len();
    let mut at = 0usize;
    for (i, &end) in o.ends.iter().enumerate() {
        let end = end as usize;
        if end < at || end > o.text.len() || !o.text.is_char_boundary(end) {
            return Err(malformed(format!(
                "string {i} ends at byte {end}, which is not a character boundary after byte {at} of a text of {} bytes",
                o.text.len()
            )));
        }
        at = end;
    }
    o.value_start = starts(&o.value_count, o.value_name.len(), o.value.len(), "values")?;
    o.term_start = starts(
        &o.term_count,
        o.term_label.len(),
        o.term_value.len(),
        "explanation terms",
    )?;
    let bad_index = |what: &str, indices: &[u32], allow_none: bool| {
        indices
            .iter()
            .find(|&&i| (i as usize) >= strings && !(allow_none && i == NO_LABEL))
            .map(|i| malformed(format!("{what} names string {i} of {strings}")))
    };
    if let Some(e) = bad_index("a label", &o.label, true)
        .or_else(|| bad_index("a value", &o.value_name, false))
        .or_else(|| bad_index("an explanation term", &o.term_label, false))
    {
        return Err(e);
    }
    Ok(())
}

/// The length in bytes of every string of the table (`check_shape` has
/// made sure the ends ascend).
fn string_lengths(o: &Outputs) -> Vec<u64> {
    let mut lengths = Vec::with_capacity(o.ends.len());
    let mut start = 0u64;
    for &e in &o.ends {
        lengths.push(u64::from(e).saturating_sub(start));
        start = u64::from(e);
    }
    lengths
}

/// The size of a call's outputs as the budget counts it: every output with
/// its strings spelled out (as they are stored), plus 8 bytes per number.
fn outputs_size(o: &Outputs, lengths: &[u64]) -> u64 {
    let len = |i: u32| lengths.get(i as usize).copied().unwrap_or(0);
    16 * o.len() as u64
        + o.label
            .iter()
            .filter(|&&l| l != NO_LABEL)
            .map(|&l| len(l))
            .sum::<u64>()
        + o.value_name.iter().map(|&n| len(n) + 8).sum::<u64>()
        + o.term_label.iter().map(|&n| len(n) + 8).sum::<u64>()
}

/// Checks the result of `score` over a batch with these subjects (and
/// completes the columns' bookkeeping, see `check_shape`).
pub fn check_scored(scored: &mut Scored, subjects: &[u64]) -> Result<(), Refusal> {
    check_shape(&mut scored.outputs)?;
    let outputs = &scored.outputs;
    if outputs.len() > subjects.len() {
        return Err(Refusal::Invalid(format!(
            "{} outputs for a batch of {}",
            outputs.len(),
            subjects.len()
        )));
    }
    let budget = output_budget(subjects.len());
    let lengths = string_lengths(outputs);
    if outputs_size(outputs, &lengths) + diagnostics_size(&scored.diagnostics) > budget {
        return Err(Refusal::TooLarge(budget));
    }
    check_diagnostics(&scored.diagnostics)?;
    // Control characters: one pass over the string table, and only if it
    // holds one is every string checked again to name the first output
    // that uses it.
    let control = has_control(&outputs.text);
    // The batch's subjects sorted, and which of them an output named: a
    // binary search per output instead of two hash-set operations.
    let mut batch: Vec<u64> = subjects.to_vec();
    batch.sort_unstable();
    batch.dedup();
    // Outputs in batch order, one per subject of a batch without repeats,
    // need no search.
    let in_order = batch.len() == subjects.len() && outputs.subject == subjects;
    if !control && columns_valid(outputs, &lengths, &batch, in_order) {
        return Ok(());
    }
    first_invalid(outputs, &batch, control)
}

/// Whether every output passes the checks of [`first_invalid`], column by
/// column: each string's length is looked up once, numbers are checked in
/// one pass per column. When this says no, `first_invalid` names the first
/// output at fault.
fn columns_valid(o: &Outputs, lengths: &[u64], batch: &[u64], in_order: bool) -> bool {
    let len = |i: u32| lengths.get(i as usize).copied().unwrap_or(u64::MAX);
    let subjects_valid = in_order || {
        let mut seen = vec![false; batch.len()];
        o.subject.iter().all(|s| match batch.binary_search(s) {
            Ok(k) => !std::mem::replace(&mut seen[k], true),
            Err(_) => false,
        })
    };
    subjects_valid
        && o.score.iter().all(|v| v.is_finite())
        && o.label
            .iter()
            .all(|&l| l == NO_LABEL || len(l) <= MAX_LABEL_BYTES as u64)
        && o.value_count.iter().all(|&c| c as usize <= MAX_VALUES)
        && o.value_name
            .iter()
            .all(|&n| len(n) <= MAX_VALUE_NAME_BYTES as u64)
        && o.value.iter().all(|v| v.is_finite())
        && o.term_count
            .iter()
            .all(|&c| c as usize <= MAX_CONTRIBUTIONS)
        && o.term_label
            .iter()
            .all(|&t| len(t) <= MAX_CONTRIBUTION_LABEL_BYTES as u64)
        && o.term_value.iter().all(|v| v.is_finite())
}

/// The first output that fails a check, named with the check.
fn first_invalid(outputs: &Outputs, batch: &[u64], control: bool) -> Result<(), Refusal> {
    let mut seen = vec![false; batch.len()];
    for (i, o) in outputs.iter().enumerate() {
        let subject = o.subject();
        let at = |what: String| Refusal::Invalid(format!("output {i} (subject {subject}): {what}"));
        let Ok(k) = batch.binary_search(&subject) else {
            return Err(at("names a subject that is not in the batch".into()));
        };
        if std::mem::replace(&mut seen[k], true) {
            return Err(at("names the subject a second time".into()));
        }
        let score = o.score();
        if !score.is_finite() {
            return Err(at(format!("score is {score}, not a finite number")));
        }
        if let Some(label) = o.label() {
            if control {
                check_text("the label", label).map_err(at)?;
            }
            if label.len() > MAX_LABEL_BYTES {
                return Err(at(format!(
                    "label of {} bytes (at most {MAX_LABEL_BYTES})",
                    label.len()
                )));
            }
        }
        let values = o.values();
        if values.len() > MAX_VALUES {
            return Err(at(format!(
                "{} named values (at most {MAX_VALUES})",
                values.len()
            )));
        }
        for (name, value) in values {
            if control {
                check_text("a value name", name).map_err(at)?;
            }
            if name.len() > MAX_VALUE_NAME_BYTES {
                return Err(at(format!(
                    "a value name of {} bytes (at most {MAX_VALUE_NAME_BYTES})",
                    name.len()
                )));
            }
            if !value.is_finite() {
                return Err(at(format!(
                    "value `{name}` is {value}, not a finite number"
                )));
            }
        }
        let terms = o.explanation();
        if terms.len() > MAX_CONTRIBUTIONS {
            return Err(at(format!(
                "{} contributions (at most {MAX_CONTRIBUTIONS})",
                terms.len()
            )));
        }
        for (label, value) in terms {
            if control {
                check_text("a contribution label", label).map_err(at)?;
            }
            if label.len() > MAX_CONTRIBUTION_LABEL_BYTES {
                return Err(at(format!(
                    "a contribution label of {} bytes (at most {MAX_CONTRIBUTION_LABEL_BYTES})",
                    label.len()
                )));
            }
            if !value.is_finite() {
                return Err(at(format!(
                    "a contribution is {value}, not a finite number"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::wit::{Contribution, NamedValue, Output};

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
            outputs: Outputs::from_outputs(&outputs),
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
        let s = invalid(check_scored(&mut scored(vec![o]), &[1]));
        assert!(s.contains("the label holds a control character"), "{s}");
        let mut o = output(1);
        o.explanation.push(Contribution {
            label: "line one\nline two".into(),
            value: 1.0,
        });
        let s = invalid(check_scored(&mut scored(vec![o]), &[1]));
        assert!(
            s.contains("contribution label holds a control character"),
            "{s}"
        );
        // A C1 control (CSI, U+009B) is two bytes of UTF-8, not ASCII.
        let mut o = output(1);
        o.label = Some("café \u{9b}2J".into());
        let s = invalid(check_scored(&mut scored(vec![o]), &[1]));
        assert!(s.contains("the label holds a control character"), "{s}");
        let mut o = output(1);
        o.label = Some("à la carte, 5 €".into());
        assert!(check_scored(&mut scored(vec![o]), &[1]).is_ok());
    }

    #[test]
    fn accepts_a_subset_of_the_batch() {
        assert!(check_scored(&mut scored(vec![output(2), output(1)]), &[1, 2, 3]).is_ok());
        assert!(check_scored(&mut scored(vec![]), &[1, 2, 3]).is_ok());
    }

    #[test]
    fn refuses_more_outputs_than_records() {
        let s = invalid(check_scored(
            &mut scored(vec![output(1), output(2), output(1)]),
            &[1, 2],
        ));
        assert_eq!(s, "3 outputs for a batch of 2");
    }

    #[test]
    fn refuses_unknown_and_repeated_subjects() {
        let s = invalid(check_scored(&mut scored(vec![output(9)]), &[1, 2]));
        assert!(
            s.contains("subject 9") && s.contains("not in the batch"),
            "{s}"
        );
        let s = invalid(check_scored(
            &mut scored(vec![output(1), output(1)]),
            &[1, 2],
        ));
        assert!(s.contains("second time"), "{s}");
        // Outputs in the order of a batch that names a subject twice.
        let s = invalid(check_scored(
            &mut scored(vec![output(1), output(2), output(1)]),
            &[1, 2, 1],
        ));
        assert!(
            s.contains("output 2 (subject 1)") && s.contains("second time"),
            "{s}"
        );
        // In batch order, one each: accepted without a search.
        assert!(check_scored(&mut scored(vec![output(3), output(1)]), &[3, 1]).is_ok());
    }

    #[test]
    fn refuses_non_finite_numbers() {
        let mut o = output(1);
        o.score = f64::NAN;
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("score is NaN"));
        let mut o = output(1);
        o.values.push(NamedValue {
            name: "p".into(),
            value: f64::INFINITY,
        });
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("value `p` is inf"));
        let mut o = output(1);
        o.explanation.push(Contribution {
            label: "x".into(),
            value: f64::NEG_INFINITY,
        });
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("contribution is -inf"));
    }

    #[test]
    fn refuses_oversized_parts() {
        let mut o = output(1);
        o.label = Some("x".repeat(MAX_LABEL_BYTES + 1));
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("label of 65 bytes"));
        let mut o = output(1);
        o.label = Some("x".repeat(MAX_LABEL_BYTES));
        assert!(check_scored(&mut scored(vec![o]), &[1]).is_ok());
        let mut o = output(1);
        o.values = (0..=MAX_VALUES)
            .map(|i| NamedValue {
                name: i.to_string(),
                value: 0.0,
            })
            .collect();
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("65 named values"));
        let mut o = output(1);
        o.explanation = vec![Contribution {
            label: "y".repeat(MAX_CONTRIBUTION_LABEL_BYTES + 1),
            value: 0.0,
        }];
        assert!(invalid(check_scored(&mut scored(vec![o]), &[1])).contains("201 bytes"));
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
        match check_scored(&mut scored(outputs), &subjects) {
            Err(Refusal::TooLarge(budget)) => assert_eq!(budget, output_budget(1000)),
            _ => panic!("expected the output budget to refuse"),
        }
    }

    #[test]
    fn refuses_columns_that_do_not_fit_together() {
        let mut s = scored(vec![output(1), output(2)]);
        s.outputs.score.pop();
        assert_eq!(
            invalid(check_scored(&mut s, &[1, 2])),
            "malformed outputs: 1 scores for 2 subjects"
        );
        let mut o = output(1);
        o.label = Some("é".into());
        let mut s = scored(vec![o]);
        s.outputs.ends[0] = 1;
        assert!(invalid(check_scored(&mut s, &[1])).contains("not a character boundary"));
        let mut s = scored(vec![output(1)]);
        s.outputs.label[0] = 3;
        assert_eq!(
            invalid(check_scored(&mut s, &[1])),
            "malformed outputs: a label names string 3 of 0"
        );
        let mut s = scored(vec![output(1)]);
        s.outputs.value_count[0] = 2;
        assert!(invalid(check_scored(&mut s, &[1])).contains("the counts add up to 2 values"));
    }
}
