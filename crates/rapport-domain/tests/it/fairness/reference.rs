//! The committed reference case (`tests/fairness_reference/case.csv`)
//! audited by Rapport, number by number against `golden.json`, which
//! `reference.py` wrote with fairlearn, AIF360, scipy and statsmodels.

use std::path::PathBuf;

use rapport_domain::fairness::{
    select_by_score, Columns, FairnessAudit, FairnessPolicy, ScoreRule, Tally,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fairness_reference")
}

struct Case {
    gender: Vec<String>,
    age_band: Vec<String>,
    label: Vec<bool>,
    score: Vec<f64>,
    decision: Vec<bool>,
}

fn case() -> Case {
    let text = std::fs::read_to_string(dir().join("case.csv")).expect("case.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,gender,age_band,label,score,decision")
    );
    let mut c = Case {
        gender: Vec::new(),
        age_band: Vec::new(),
        label: Vec::new(),
        score: Vec::new(),
        decision: Vec::new(),
    };
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "{line}");
        c.gender.push(f[1].to_owned());
        c.age_band.push(f[2].to_owned());
        c.label.push(f[3] == "1");
        c.score.push(f[4].parse().expect("score"));
        c.decision.push(f[5] == "1");
    }
    c
}

fn audit(c: &Case, selected: &[bool], policy: &FairnessPolicy) -> FairnessAudit {
    let mut t = Tally::new(
        &["gender", "age_band"],
        Columns {
            labels: true,
            scores: true,
        },
    )
    .expect("tally");
    for (i, &sel) in selected.iter().enumerate() {
        t.add(
            &[Some(&c.gender[i]), Some(&c.age_band[i])],
            sel,
            Some(c.label[i]),
            Some(c.score[i]),
        )
        .expect("add");
    }
    t.finish(policy).expect("finish")
}

/// Compares what the golden file says with what Rapport computed, at every
/// key the golden file has. Numbers agree to 1e-9; `[lower, upper]` pairs
/// are Rapport's `{lower, upper}` intervals.
fn compare(path: &str, want: &Value, got: &Value, mismatches: &mut Vec<String>) {
    match (want, got) {
        (Value::Number(w), Value::Number(g)) => {
            let (w, g) = (
                w.as_f64().unwrap_or(f64::NAN),
                g.as_f64().unwrap_or(f64::NAN),
            );
            // NaN (a value that is not a number) never compares close.
            let within = (w - g).abs() <= TOLERANCE;
            if !within {
                mismatches.push(format!("{path}: reference {w:e}, rapport {g:e}"));
            }
        }
        (Value::Array(w), Value::Object(g)) if w.len() == 2 => {
            compare(&format!("{path}.lower"), &w[0], &g["lower"], mismatches);
            compare(&format!("{path}.upper"), &w[1], &g["upper"], mismatches);
        }
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                if k == "reasons" {
                    continue;
                }
                match g.get(k) {
                    Some(gv) => compare(&format!("{path}.{k}"), wv, gv, mismatches),
                    None => mismatches.push(format!("{path}.{k}: missing from rapport's audit")),
                }
            }
        }
        (w, g) if w == g => {}
        (w, g) => mismatches.push(format!("{path}: reference {w}, rapport {g}")),
    }
}

/// The reasons: the same rules fire for the same groups with the same
/// values.
fn compare_reasons(path: &str, want: &Value, got: &Value, mismatches: &mut Vec<String>) {
    let key = |r: &Value| {
        (
            r["rule"].as_str().unwrap_or_default().to_owned(),
            r["group"].as_str().map(str::to_owned),
        )
    };
    let want = want.as_array().expect("golden reasons");
    let got = got.as_array().expect("rapport reasons");
    let mut w: Vec<_> = want.iter().map(|r| (key(r), r["value"].clone())).collect();
    let mut g: Vec<_> = got.iter().map(|r| (key(r), r["value"].clone())).collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    g.sort_by(|a, b| a.0.cmp(&b.0));
    let wk: Vec<_> = w.iter().map(|x| &x.0).collect();
    let gk: Vec<_> = g.iter().map(|x| &x.0).collect();
    if wk != gk {
        mismatches.push(format!("{path}: reference {wk:?}, rapport {gk:?}"));
        return;
    }
    for ((k, wv), (_, gv)) in w.iter().zip(&g) {
        compare(&format!("{path}[{k:?}].value"), wv, gv, mismatches);
    }
}

fn check_scenario(name: &str, audit: &FairnessAudit, golden: &Value) {
    let want = &golden["scenarios"][name];
    let got = serde_json::to_value(audit).expect("audit serialises");
    let mut mismatches = Vec::new();
    compare(
        &format!("{name}.selected"),
        &want["selected"],
        &got["selected"],
        &mut mismatches,
    );
    compare(
        &format!("{name}.verdict"),
        &want["verdict"],
        &got["verdict"],
        &mut mismatches,
    );
    let analyses = want["analyses"].as_object().expect("analyses");
    assert_eq!(analyses.len(), 3);
    let mut numbers = 0usize;
    for (a, wa) in analyses {
        let ga = &got["analyses"][a];
        compare(&format!("{name}.{a}"), wa, ga, &mut mismatches);
        compare_reasons(
            &format!("{name}.{a}.reasons"),
            &wa["reasons"],
            &ga["reasons"],
            &mut mismatches,
        );
        numbers += count_numbers(wa);
    }
    assert!(
        mismatches.is_empty(),
        "{} of {numbers} reference values differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // The case is built so that every outcome occurs; a golden file that
    // lost them would make this test weak.
    assert!(numbers > 400, "only {numbers} reference values compared");
}

fn count_numbers(v: &Value) -> usize {
    match v {
        Value::Number(_) => 1,
        Value::Array(a) => a.iter().map(count_numbers).sum(),
        Value::Object(o) => o.values().map(count_numbers).sum(),
        _ => 0,
    }
}

fn golden() -> Value {
    let text = std::fs::read_to_string(dir().join("golden.json")).expect("golden.json");
    serde_json::from_str(&text).expect("golden parses")
}

#[test]
fn decision_column_matches_the_reference_libraries() {
    let c = case();
    let policy = FairnessPolicy::default_policy().expect("policy");
    let a = audit(&c, &c.decision, &policy);
    check_scenario("decision", &a, &golden());
    // What the case was built to show.
    let age = a.analysis("age_band").expect("age_band");
    assert_eq!(age.verdict.as_str(), "fail");
    let gender = a.analysis("gender").expect("gender");
    assert_eq!(gender.verdict.as_str(), "warn");
    assert!(gender.groups["non_binary"].small);
    assert_eq!(a.n_unknown_excluded["gender"], 167);
}

#[test]
fn top_percent_selection_matches_the_reference_libraries() {
    let c = case();
    let sel = select_by_score(&c.score, ScoreRule::TopPercent(25.0)).expect("select");
    let g = golden();
    assert_eq!(
        sel.requested,
        g["scenarios"]["top_percent_25"]["top_k_requested"].as_u64()
    );
    let policy = FairnessPolicy::default_policy().expect("policy");
    let a = audit(&c, &sel.selected, &policy);
    check_scenario("top_percent_25", &a, &g);
}

#[test]
fn judging_small_groups_matches_the_reference() {
    let c = case();
    let mut policy = FairnessPolicy::default_policy().expect("policy");
    policy.judge_small_groups = true;
    let a = audit(&c, &c.decision, &policy);
    check_scenario("decision_judge_small", &a, &golden());
    let x = a.analysis("gender×age_band").expect("intersection");
    assert!(x
        .groups
        .values()
        .any(|g| g.status == rapport_domain::fairness::GroupStatus::InsufficientData));
}
