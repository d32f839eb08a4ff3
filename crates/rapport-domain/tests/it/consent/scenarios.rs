//! The scenario table: one JSON file per case in `tests/consent_scenarios/`,
//! each naming the rule it exercises and that rule's citation, run by one
//! helper. Add a case by adding a file; no Rust needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rapport_domain::consent::{
    decide, decide_all, rules, ConsentEvent, Notice, Purpose, PurposeRegistry, PurposesFile,
    SubjectFacts, RULES,
};
use rapport_domain::time_fmt::parse_instant;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    /// The rule this case is about.
    rule: String,
    /// Its citation, checked against the rule table so the two cannot drift.
    citation: String,
    description: String,
    purpose: String,
    /// Decide under this one jurisdiction; when absent, under every one of the
    /// subject's (`decide_all`).
    #[serde(default)]
    jurisdiction: Option<String>,
    at: String,
    subject: SubjectFacts,
    notices: Vec<Notice>,
    /// Purposes added to the default registry for this case only.
    #[serde(default)]
    extra_purposes: Vec<Purpose>,
    ledger: Vec<ConsentEvent>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    allowed: bool,
    /// Rule ids that must appear among the decision's reasons.
    rules: Vec<String>,
    requires_human_review: bool,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consent_scenarios")
}

fn load() -> Vec<(PathBuf, Scenario)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("scenario directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read scenario");
            let s: Scenario =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, s)
        })
        .collect()
}

/// Runs one scenario; returns what is wrong with it, if anything.
fn check(s: &Scenario) -> Vec<String> {
    let mut problems = Vec::new();
    match rules::rule(&s.rule) {
        Some(r) if r.citation == s.citation => {}
        Some(r) => problems.push(format!(
            "citation {:?} but rule {} cites {:?}",
            s.citation, r.id, r.citation
        )),
        None => problems.push(format!("unknown rule {}", s.rule)),
    }
    for id in &s.expect.rules {
        if rules::rule(id).is_none() {
            problems.push(format!("expects unknown rule {id}"));
        }
    }
    let base = PurposeRegistry::default_policy().expect("default policy");
    let mut purposes = base.purposes().to_vec();
    purposes.extend(s.extra_purposes.iter().cloned());
    let registry = PurposeRegistry::from_file(PurposesFile {
        version: base.version().to_owned(),
        purposes,
    })
    .expect("registry with extra purposes");
    let Some(purpose) = registry.get(&s.purpose) else {
        problems.push(format!("unknown purpose {}", s.purpose));
        return problems;
    };
    let at = parse_instant(&s.at).expect("scenario instant");
    let run = |ledger: &[ConsentEvent]| {
        let d = match &s.jurisdiction {
            Some(j) => decide(&registry, ledger, &s.notices, purpose, &s.subject, j, at),
            None => decide_all(&registry, ledger, &s.notices, purpose, &s.subject, at),
        };
        let ids: BTreeSet<String> = d.reasons.iter().map(|r| r.rule.to_owned()).collect();
        let json = serde_json::to_string(&d).expect("decision serializes");
        (d.allowed, d.requires_human_review, ids, json)
    };
    let (allowed, review, ids, json) = run(&s.ledger);
    if allowed != s.expect.allowed {
        problems.push(format!(
            "allowed = {allowed}, expected {}",
            s.expect.allowed
        ));
    }
    if review != s.expect.requires_human_review {
        problems.push(format!(
            "requires_human_review = {review}, expected {}",
            s.expect.requires_human_review
        ));
    }
    for id in &s.expect.rules {
        if !ids.contains(id) {
            problems.push(format!("missing rule {id}"));
        }
    }
    // ledger.order: the order records arrive in never changes the outcome.
    let mut reversed = s.ledger.clone();
    reversed.reverse();
    let (allowed_r, review_r, ids_r, _) = run(&reversed);
    if (allowed_r, review_r, &ids_r) != (allowed, review, &ids) {
        problems.push("the decision changes when the ledger is reversed".to_owned());
    }
    if !problems.is_empty() {
        problems.push(format!("decision: {json}"));
    }
    problems
}

#[test]
fn consent_scenarios() {
    let scenarios = load();
    assert!(!scenarios.is_empty(), "no scenarios in {}", dir().display());
    let mut failures = Vec::new();
    for (path, s) in &scenarios {
        let problems = check(s);
        if !problems.is_empty() {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            failures.push(format!(
                "{file} ({}: {}; {})\n    {}",
                s.name,
                s.rule,
                s.description,
                problems.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

/// Every rule in the table has at least one scenario that names it.
#[test]
fn every_rule_has_a_scenario() {
    let scenarios = load();
    let named: BTreeSet<&str> = scenarios
        .iter()
        .flat_map(|(_, s)| {
            std::iter::once(s.rule.as_str()).chain(s.expect.rules.iter().map(String::as_str))
        })
        .collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !named.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a scenario: {missing:?}");
}

/// Rule ids are unique: they are stored by the gate and the audit log.
#[test]
fn rule_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "rule id {} is used twice", r.id);
        assert!(
            !r.citation.is_empty() && !r.summary.is_empty(),
            "{} lacks a citation or summary",
            r.id
        );
    }
}
