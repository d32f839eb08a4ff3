//! Fairness audits of CSV files: the report's shape, its determinism and
//! hashes, what it must never contain, and errors that name file, line and
//! column.

use std::path::{Path, PathBuf};

use rapport_audit::fairness::{
    audit_csv, audit_csv_file, AuditError, CsvAudit, FileSelection, SelectionInfo,
};
use rapport_domain::fairness::{FairnessPolicy, ScoreRule};
use sha2::{Digest, Sha256};

fn reference_case() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rapport-domain/tests/fairness_reference/case.csv")
}

fn policy() -> FairnessPolicy {
    FairnessPolicy::default_policy().expect("policy")
}

fn spec(selection: FileSelection) -> CsvAudit {
    CsvAudit {
        protected: vec!["gender".to_owned(), "age_band".to_owned()],
        selection,
        score: Some("score".to_owned()),
        label: Some("label".to_owned()),
    }
}

fn decision() -> FileSelection {
    FileSelection::Decision("decision".to_owned())
}

#[test]
fn the_reference_case_gives_the_issue_shape_with_its_hashes() {
    let path = reference_case();
    let report = audit_csv_file(&path, &spec(decision()), &policy()).expect("audit");
    let json: serde_json::Value =
        serde_json::from_str(&report.to_canonical_json().expect("json")).expect("parses");
    let bytes = std::fs::read(&path).expect("case");
    assert_eq!(json["input_sha256"], hex::encode(Sha256::digest(&bytes)));
    let policy_text = policy().canonical_json().expect("canonical policy");
    assert_eq!(
        json["policy_hash"],
        hex::encode(Sha256::digest(policy_text.as_bytes()))
    );
    assert_eq!(json["n_rows"], 4000);
    assert_eq!(json["n_unknown_excluded"]["gender"], 167);
    assert_eq!(json["verdict"], "fail");
    let g = &json["analyses"]["gender×age_band"];
    for key in [
        "reference_group",
        "demographic_parity_difference",
        "equalized_odds_difference",
        "verdict",
        "reasons",
    ] {
        assert!(g.get(key).is_some(), "analysis lacks {key}");
    }
    let group = &json["analyses"]["age_band"]["groups"]["65+"];
    for key in [
        "n",
        "selected",
        "selection_rate",
        "impact_ratio",
        "tpr",
        "fpr",
        "small",
    ] {
        assert!(group.get(key).is_some(), "group lacks {key}");
    }
    assert_eq!(group["status"], "fail");
    let reason = &json["analyses"]["age_band"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["rule"] == "impact_ratio_significantly_below")
        .expect("a failing reason");
    for key in [
        "rule",
        "analysis",
        "group",
        "metric",
        "value",
        "interval",
        "threshold",
        "p_adjusted",
    ] {
        assert!(reason.get(key).is_some(), "reason lacks {key}");
    }
    // The text for a person says the same.
    let text = report.render_text();
    assert!(text.starts_with("Fairness audit: FAIL"), "{text}");
    assert!(text.contains("impact_ratio_significantly_below"), "{text}");
}

#[test]
fn the_same_input_gives_byte_identical_reports() {
    let path = reference_case();
    let a = audit_csv_file(&path, &spec(decision()), &policy())
        .expect("audit")
        .to_canonical_json()
        .expect("json");
    let b = audit_csv_file(&path, &spec(decision()), &policy())
        .expect("audit")
        .to_canonical_json()
        .expect("json");
    assert_eq!(a, b);
    // Rows in another order are another input (another hash) but the same
    // audit.
    let text = std::fs::read_to_string(&path).expect("case");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let reversed = lines.join("\n") + "\n";
    let c = audit_csv("rev.csv", reversed.as_bytes(), &spec(decision()), &policy()).expect("audit");
    let mut cv = c.to_value().expect("value");
    // Compared as values, not re-parsed from text: serde_json's default
    // parser may land one ulp away from a shortest-digits number.
    let mut av = audit_csv_file(&path, &spec(decision()), &policy())
        .expect("audit")
        .to_value()
        .expect("value");
    assert_ne!(cv["input_sha256"], av["input_sha256"]);
    cv["input_sha256"] = serde_json::Value::Null;
    av["input_sha256"] = serde_json::Value::Null;
    assert_eq!(
        rapport_audit::canonical::to_string(&cv).expect("canonical"),
        rapport_audit::canonical::to_string(&av).expect("canonical")
    );
}

/// A file whose every score, identifier and label is distinctive text, so
/// that any row-level value in the report would be found.
fn distinctive_file() -> (String, Vec<String>) {
    let mut csv = String::from("id,gender,age_band,score,label\n");
    let mut secrets = Vec::new();
    for i in 0..600u32 {
        let id = format!("CUST-{:07}", 7_654_321 + i * 13);
        let score = format!("{}.{:07}", 3 + i % 5, 1_234_567 + i * 7919 % 8_000_000);
        let gender = ["w", "m"][(i % 2) as usize];
        let age = ["young", "mid", "old"][(i % 3) as usize];
        csv.push_str(&format!("{id},{gender},{age},{score},{}\n", i % 4 == 0));
        secrets.push(id);
        secrets.push(score);
    }
    (csv, secrets)
}

#[test]
fn no_row_level_value_appears_in_a_report() {
    let (csv, secrets) = distinctive_file();
    for rule in [
        ScoreRule::TopK(100),
        ScoreRule::TopPercent(10.0),
        ScoreRule::Threshold(5.0),
    ] {
        let s = CsvAudit {
            protected: vec!["gender".to_owned(), "age_band".to_owned()],
            selection: FileSelection::Score(rule),
            score: Some("score".to_owned()),
            label: Some("label".to_owned()),
        };
        let report = audit_csv("d.csv", csv.as_bytes(), &s, &policy()).expect("audit");
        let text = report.to_canonical_json().expect("json") + &report.render_text();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{secret} is in the report");
        }
    }
}

#[test]
fn top_k_reports_ties_and_selects_them_all() {
    let csv = "g,s\na,3\na,2\nb,2\nb,2\nb,1\n";
    let s = CsvAudit {
        protected: vec!["g".to_owned()],
        selection: FileSelection::Score(ScoreRule::TopK(2)),
        score: Some("s".to_owned()),
        label: None,
    };
    let r = audit_csv("t.csv", csv.as_bytes(), &s, &policy()).expect("audit");
    assert_eq!(
        r.selection,
        SelectionInfo::TopK {
            k: 2,
            tied_at_cutoff: 3
        }
    );
    assert_eq!(r.audit.selected, 4);
}

fn error_of(csv: &str, s: &CsvAudit) -> String {
    match audit_csv("in.csv", csv.as_bytes(), s, &policy()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error for {csv:?}"),
    }
}

#[test]
fn bad_input_is_named_by_file_line_and_column() {
    let s = CsvAudit {
        protected: vec!["gender".to_owned()],
        selection: FileSelection::Decision("decision".to_owned()),
        score: Some("score".to_owned()),
        label: Some("label".to_owned()),
    };
    let head = "id,gender,score,decision,label\n";
    assert_eq!(
        error_of("id,gender,score,label\nA,f,1,0\n", &s),
        "in.csv:1: no column `decision` in the header (columns: id, gender, score, label)"
    );
    assert_eq!(
        error_of(&format!("{head}A,f,1,1,0\nB,SECRETVALUE,2,maybe,1\n"), &s),
        "in.csv:3: column `decision` (4): \"maybe\" is not 0, 1, true or false"
    );
    assert_eq!(
        error_of(&format!("{head}A,f,high,1,0\n"), &s),
        "in.csv:2: column `score` (3): \"high\" is not a number"
    );
    assert_eq!(
        error_of(&format!("{head}A,f,NaN,1,0\n"), &s),
        "in.csv:2: column `score` (3): \"NaN\" is not a number"
    );
    assert_eq!(
        error_of(&format!("{head}A,f,1,1,2\n"), &s),
        "in.csv:2: column `label` (5): \"2\" is not 0, 1, true or false"
    );
    assert_eq!(
        error_of(&format!("{head}A,f,1,1\n"), &s),
        "in.csv:2: has 4 fields, the header has 5"
    );
    assert_eq!(error_of(head, &s), "in.csv:1: no rows after the header");
    // A protected value is never quoted, even when it is what is wrong.
    let mut bytes = format!("{head}A,").into_bytes();
    bytes.extend_from_slice(b"SECRET\xff,1,1,0\n");
    let e = audit_csv("in.csv", bytes.as_slice(), &s, &policy())
        .expect_err("invalid UTF-8 is an error");
    assert_eq!(
        e.to_string(),
        "in.csv:2: column `gender` (2): not valid UTF-8"
    );
    // Options that do not make an audit.
    let both = CsvAudit {
        protected: vec!["score".to_owned()],
        ..s.clone()
    };
    assert!(matches!(
        audit_csv(
            "in.csv",
            format!("{head}A,f,1,1,0\n").as_bytes(),
            &both,
            &policy()
        ),
        Err(AuditError::Options(_))
    ));
    let no_score = CsvAudit {
        selection: FileSelection::Score(ScoreRule::TopK(3)),
        score: None,
        ..s
    };
    assert!(matches!(
        audit_csv("in.csv", head.as_bytes(), &no_score, &policy()),
        Err(AuditError::Options(_))
    ));
    let missing = audit_csv_file(
        Path::new("/nonexistent/x.csv"),
        &spec(decision()),
        &policy(),
    );
    assert!(matches!(missing, Err(AuditError::Io { .. })));
}
