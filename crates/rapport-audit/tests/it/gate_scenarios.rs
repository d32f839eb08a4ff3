//! The gate's scenario table: one JSON file per case in
//! `tests/gate_scenarios/`, each naming the rule it is about and that
//! rule's citation, run through the same pure steps the gate runs (consent
//! decision, classification, tally, fairness, verdict) by one `check`
//! helper. Add a case by adding a file; no Rust needed.
//!
//! A population member stands for `count` people (ids `ID1`…`IDn` when
//! `count` > 1, else `ID`), so four-fifths cases need no thousand lines.
//!
//! Fairness cases (four-fifths failures, warnings, small groups) give no
//! finding: the gate counts the eligible population per combination of
//! protected attributes and the fairness statistics audit those counts, as
//! in the product. Their `expect.fairness` names the audit's outcome, the
//! reasons and group statuses it must contain. Cases about consent give a
//! finding instead, since the statistics are not their subject.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rapport_audit::gate::{
    audit_cells, classify, derive, gate_rule, CellTally, FairnessFinding, FairnessOutcome,
    GatePolicyFile, GateTally, Outcome, PolicyBundle, SelectionCells, SubjectOutcome, GATE_RULES,
};
use rapport_domain::consent::{decide_all, rules, ConsentEvent, Notice, SubjectFacts};
use rapport_domain::time_fmt::{parse_date, parse_instant};
use serde::Deserialize;

/// The protected attributes the gate audits, in order.
const ATTRIBUTES: [&str; 2] = ["gender", "age_band"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    /// The gate or consent rule this case is about.
    rule: String,
    /// Its citation, checked against the rule tables so they cannot drift.
    citation: String,
    description: String,
    kind: String,
    purpose: String,
    at: String,
    #[serde(default)]
    notices: Vec<Notice>,
    /// Members merged over `policies/gate.json` for this case only.
    #[serde(default)]
    gate_policy: Option<serde_json::Value>,
    population: Vec<Member>,
    /// The fairness finding, when the case is about what the gate does with
    /// one rather than about the statistics; otherwise the fairness seam
    /// audits the population's attributes.
    #[serde(default)]
    fairness: Option<FairnessFinding>,
    expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    id: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default)]
    targeted: bool,
    #[serde(default)]
    erased: bool,
    #[serde(default)]
    jurisdictions: Vec<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    ledger: Vec<ConsentEvent>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    outcome: Outcome,
    /// Gate rule ids that must appear among the verdict's reasons.
    #[serde(default)]
    gate_rules: Vec<String>,
    included: u64,
    excluded: u64,
    #[serde(default)]
    review_required: u64,
    #[serde(default)]
    eligible: Option<u64>,
    /// Excluded people by refusing rule.
    #[serde(default)]
    exclusions: BTreeMap<String, u64>,
    /// Per person: whether included, and rule ids that must be among their
    /// reasons.
    #[serde(default)]
    subjects: BTreeMap<String, ExpectSubject>,
    /// What the fairness statistics must find, for a case without an
    /// injected finding.
    #[serde(default)]
    fairness: Option<ExpectFairness>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFairness {
    outcome: FairnessOutcome,
    /// Reasons that must be among the audit's.
    #[serde(default)]
    reasons: Vec<ExpectReason>,
    /// Exactly the groups flagged as too small to judge, when given.
    #[serde(default)]
    insufficient_groups: Option<Vec<String>>,
    /// `analysis:group` to the status the audit must give the group
    /// (`reference`, `pass`, `warn`, `fail`, `insufficient_data`, `small`).
    #[serde(default)]
    groups: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectReason {
    rule: String,
    analysis: String,
    #[serde(default)]
    group: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSubject {
    included: bool,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    review: bool,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gate_scenarios")
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

fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// One person, expanded from a member.
struct Person {
    id: String,
    row: i64,
    member: Member,
}

/// What one pass of the pipeline produced.
#[derive(Debug, PartialEq)]
struct Run {
    outcome: Outcome,
    gate_rules: BTreeSet<String>,
    tally: rapport_audit::gate::TallyResult,
    subjects: BTreeMap<String, SubjectOutcome>,
    fairness: FairnessFinding,
    cells: SelectionCells,
    fairness_input: String,
}

/// The gate's pure steps over a scenario. `reverse` feeds every ledger
/// backwards, which must change nothing.
fn pipeline(s: &Scenario, bundle: &PolicyBundle, reverse: bool) -> Result<Run, String> {
    let registry = bundle.purposes();
    let purpose = registry
        .get(&s.purpose)
        .ok_or_else(|| format!("unknown purpose {}", s.purpose))?;
    let kind = bundle
        .actions()
        .get(&s.kind)
        .ok_or_else(|| format!("unknown action kind {}", s.kind))?;
    if !kind.purposes.contains(&s.purpose) {
        return Err(format!(
            "kind {} does not allow purpose {}",
            s.kind, s.purpose
        ));
    }
    let at = parse_instant(&s.at).map_err(|e| format!("at: {e}"))?;
    let mut people = Vec::new();
    for m in &s.population {
        for i in 1..=m.count {
            let id = if m.count == 1 {
                m.id.clone()
            } else {
                format!("{}{i}", m.id)
            };
            people.push(Person {
                id,
                row: people.len() as i64 + 1,
                member: m.clone(),
            });
        }
    }
    let mut tally = GateTally::default();
    let mut cells = CellTally::new(&ATTRIBUTES);
    let mut subjects = BTreeMap::new();
    for p in &people {
        let mut ledger = p.member.ledger.clone();
        if reverse {
            ledger.reverse();
        }
        let facts = SubjectFacts {
            birth_date: match &p.member.birth_date {
                Some(d) => Some(parse_date(d).map_err(|e| format!("{}: {e}", p.id))?),
                None => None,
            },
            jurisdictions: p.member.jurisdictions.clone(),
        };
        let d = decide_all(registry, &ledger, &s.notices, purpose, &facts, at);
        let eligible = d.allowed && !p.member.erased;
        tally.population_member(p.row, eligible);
        let outcome = if p.member.erased {
            SubjectOutcome::erased()
        } else {
            classify(&d)
        };
        let selected = p.member.targeted && outcome.included;
        if eligible {
            let values: Vec<Option<&str>> = ATTRIBUTES
                .iter()
                .map(|a| p.member.attributes.get(*a).map(String::as_str))
                .collect();
            cells.add(&values, selected);
        }
        if p.member.targeted {
            tally.target(p.row, &outcome);
            subjects.insert(p.id.clone(), outcome);
        }
    }
    let cells = cells.finish();
    let fairness = match &s.fairness {
        Some(f) => f.clone(),
        None => audit_cells(&cells, bundle.fairness()),
    };
    let tally = tally.finish();
    let derived = derive(bundle.gate(), kind, &tally.counts, &fairness);
    Ok(Run {
        outcome: derived.outcome,
        gate_rules: derived.reasons.iter().map(|r| r.rule.clone()).collect(),
        tally,
        subjects,
        fairness,
        fairness_input: cells.sha256().expect("canonical"),
        cells,
    })
}

fn bundle_for(s: &Scenario) -> Result<PolicyBundle, String> {
    let base = PolicyBundle::default_bundle().map_err(|e| e.to_string())?;
    let Some(patch) = &s.gate_policy else {
        return Ok(base);
    };
    let mut gate = serde_json::to_value(base.gate()).map_err(|e| e.to_string())?;
    merge(&mut gate, patch);
    let gate = GatePolicyFile::from_json(&gate.to_string()).map_err(|e| e.to_string())?;
    PolicyBundle::new(
        base.purposes().clone(),
        base.actions().clone(),
        gate,
        base.fairness().cloned(),
    )
    .map_err(|e| e.to_string())
}

/// Compares what the fairness statistics found with what a case expects.
fn check_fairness(want: &ExpectFairness, have: &FairnessFinding, problems: &mut Vec<String>) {
    if have.outcome != want.outcome {
        problems.push(format!(
            "fairness outcome {:?}, expected {:?} (note {:?})",
            have.outcome, want.outcome, have.note
        ));
    }
    for r in &want.reasons {
        let found = have
            .reasons
            .iter()
            .any(|x| x.rule == r.rule && x.analysis == r.analysis && x.group == r.group);
        if !found {
            problems.push(format!(
                "missing fairness reason {} on {} group {:?} (have {:?})",
                r.rule,
                r.analysis,
                r.group,
                have.reasons
                    .iter()
                    .map(|x| format!("{} {} {:?}", x.rule, x.analysis, x.group))
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(groups) = &want.insufficient_groups {
        if &have.insufficient_groups != groups {
            problems.push(format!(
                "insufficient groups {:?}, expected {groups:?}",
                have.insufficient_groups
            ));
        }
    }
    for (key, status) in &want.groups {
        let Some((analysis, group)) = key.split_once(':') else {
            problems.push(format!("`{key}` is not analysis:group"));
            continue;
        };
        let have_status = have
            .audit
            .as_ref()
            .and_then(|a| a["analyses"][analysis]["groups"][group]["status"].as_str());
        if have_status != Some(status.as_str()) {
            problems.push(format!(
                "group {key}: status {have_status:?}, expected {status}"
            ));
        }
    }
}

fn rule_citation(id: &str) -> Option<&'static str> {
    gate_rule(id)
        .map(|r| r.citation)
        .or_else(|| rules::rule(id).map(|r| r.citation))
}

/// Runs one scenario; returns what is wrong with it, if anything.
fn check(s: &Scenario) -> Vec<String> {
    let mut problems = Vec::new();
    match rule_citation(&s.rule) {
        Some(c) if c == s.citation => {}
        Some(c) => problems.push(format!(
            "citation {:?} but {} cites {c:?}",
            s.citation, s.rule
        )),
        None => problems.push(format!("unknown rule {}", s.rule)),
    }
    for id in s.expect.gate_rules.iter().chain(s.expect.exclusions.keys()) {
        if rule_citation(id).is_none() {
            problems.push(format!("expects unknown rule {id}"));
        }
    }
    let bundle = match bundle_for(s) {
        Ok(b) => b,
        Err(e) => {
            problems.push(format!("policy: {e}"));
            return problems;
        }
    };
    let run = match pipeline(s, &bundle, false) {
        Ok(r) => r,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let e = &s.expect;
    if run.outcome != e.outcome {
        problems.push(format!(
            "outcome {:?}, expected {:?}",
            run.outcome, e.outcome
        ));
    }
    for id in &e.gate_rules {
        if !run.gate_rules.contains(id) {
            problems.push(format!(
                "missing gate rule {id} (have {:?})",
                run.gate_rules
            ));
        }
    }
    let c = &run.tally.counts;
    for (what, have, want) in [
        ("included", c.included, Some(e.included)),
        ("excluded", c.excluded, Some(e.excluded)),
        (
            "review_required",
            c.review_required,
            Some(e.review_required),
        ),
        ("eligible", c.eligible, e.eligible),
    ] {
        if let Some(want) = want {
            if have != want {
                problems.push(format!("{what} = {have}, expected {want}"));
            }
        }
    }
    for (rule, want) in &e.exclusions {
        let have = run.tally.exclusions.get(rule).copied().unwrap_or(0);
        if have != *want {
            problems.push(format!("exclusions[{rule}] = {have}, expected {want}"));
        }
    }
    for (id, want) in &e.subjects {
        let Some(have) = run.subjects.get(id) else {
            problems.push(format!("subject {id} was not targeted"));
            continue;
        };
        if have.included != want.included || have.review != want.review {
            problems.push(format!(
                "subject {id}: included {} review {}, expected included {} review {}",
                have.included, have.review, want.included, want.review
            ));
        }
        let ids: BTreeSet<&str> = have.rule_ids().collect();
        for r in &want.rules {
            if !ids.contains(r.as_str()) {
                problems.push(format!(
                    "subject {id}: missing rule {r} (reasons: {})",
                    have.reasons
                ));
            }
        }
    }
    if let Some(want) = &e.fairness {
        if s.fairness.is_some() {
            problems.push(
                "expects a fairness finding but injects one: drop `fairness` so the statistics run"
                    .to_owned(),
            );
        }
        check_fairness(want, &run.fairness, &mut problems);
    }
    // Replay: the pinned cells, stored and read back, audited under the
    // bundle reloaded from its stored canonical text, give the same finding.
    if s.fairness.is_none() {
        let stored: SelectionCells =
            serde_json::from_str(&serde_json::to_string(&run.cells).expect("encode cells"))
                .expect("decode cells");
        let pinned: FairnessFinding =
            serde_json::from_str(&serde_json::to_string(&run.fairness).expect("encode finding"))
                .expect("decode finding");
        match PolicyBundle::from_canonical(bundle.canonical(), bundle.hash()) {
            Ok(reloaded) => {
                if audit_cells(&stored, reloaded.fairness()) != pinned {
                    problems.push(
                        "the finding replayed from the pinned cells and bundle differs".to_owned(),
                    );
                }
            }
            Err(e) => problems.push(format!("the bundle does not reload: {e}")),
        }
    }
    // A verdict re-derived from the same evidence is the same verdict, and
    // the order records arrive in changes nothing, not even the hashes.
    match pipeline(s, &bundle, true) {
        Ok(again) if again == run => {}
        Ok(again) => problems.push(format!(
            "re-deriving with the ledgers reversed changes the verdict: {:?} vs {:?}",
            again.outcome, run.outcome
        )),
        Err(e) => problems.push(e),
    }
    if !problems.is_empty() {
        problems.push(format!(
            "verdict: {:?} {:?} counts {:?} exclusions {:?}",
            run.outcome, run.gate_rules, run.tally.counts, run.tally.exclusions
        ));
    }
    problems
}

#[test]
fn gate_scenarios() {
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

/// Every gate rule has a scenario, except the one only execution can show
/// (`gate.execution.consent_changed`, covered by the core's execution tests).
#[test]
fn every_gate_rule_has_a_scenario() {
    let scenarios = load();
    let named: BTreeSet<&str> = scenarios
        .iter()
        .flat_map(|(_, s)| {
            std::iter::once(s.rule.as_str()).chain(s.expect.gate_rules.iter().map(String::as_str))
        })
        .collect();
    let missing: Vec<&str> = GATE_RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| *id != "gate.execution.consent_changed" && !named.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "gate rules without a scenario: {missing:?}"
    );
}

/// Gate rule ids are unique and never collide with consent rule ids.
#[test]
fn gate_rule_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for r in GATE_RULES {
        assert!(seen.insert(r.id), "gate rule id {} is used twice", r.id);
        assert!(
            rules::rule(r.id).is_none(),
            "{} is also a consent rule",
            r.id
        );
        assert!(!r.citation.is_empty() && !r.summary.is_empty(), "{}", r.id);
    }
}
