//! The README's first command works on a fresh machine: `rapport quickstart`
//! imports a sample tenant, installs and runs every first-party plugin,
//! gates an e-mail campaign, executes it once and writes the run's HTML
//! audit report. Everything is checked on the real output of the binary,
//! once as JSON and once as the text a user reads. With 400 customers each
//! run takes about 6 s of processor time in a debug build; the README gives
//! the time of its default 2,000-customer run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::{json, ok, rapport};

/// Every first-party plugin with the purpose the quickstart installs it for.
const PLUGINS: [(&str, &str); 6] = [
    ("rfm", "marketing_segmentation"),
    ("clv", "analytics_profiling"),
    ("value-potential", "analytics_profiling"),
    ("relationship-health", "analytics_profiling"),
    ("supplier-scorecard", "service_delivery"),
    ("referral-influence", "analytics_profiling"),
];

const VERDICTS: [&str; 4] = ["allow", "allow_with_exclusions", "needs_review", "block"];

/// Every non-empty identity, contact or free-text value of the generated
/// sample (names, e-mail addresses, phone numbers, addresses, notes and
/// interaction texts of customers, suppliers and partners).
fn personal_values(sample: &Path) -> Vec<String> {
    let personal = [
        "name",
        "contact_name",
        "email",
        "phone",
        "address",
        "birth_date",
        "notes",
        "text",
    ];
    let mut out = BTreeSet::new();
    for file in [
        "customers.csv",
        "suppliers.csv",
        "partners.csv",
        "interactions.csv",
    ] {
        let mut rdr = csv::Reader::from_path(sample.join(file)).expect("sample file");
        let headers = rdr.headers().expect("headers").clone();
        let cols: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| personal.contains(h))
            .map(|(i, _)| i)
            .collect();
        assert!(!cols.is_empty(), "{file} has personal columns");
        for rec in rdr.records() {
            let rec = rec.expect("record");
            for &c in &cols {
                if let Some(v) = rec.get(c).filter(|v| !v.is_empty()) {
                    out.insert(v.to_owned());
                }
            }
        }
    }
    assert!(out.len() > 1000, "{} personal values", out.len());
    out.into_iter().collect()
}

/// The personal values of the sample that occur in `text`.
fn leaked<'a>(text: &str, values: &'a [String]) -> Vec<&'a str> {
    values
        .iter()
        .filter(|v| text.contains(v.as_str()))
        .map(String::as_str)
        .collect()
}

/// An external id as the product shows it: a letter and digits.
fn is_external_id(s: &str, prefix: char) -> bool {
    s.len() > 1 && s.starts_with(prefix) && s[1..].chars().all(|c| c.is_ascii_digit())
}

/// A self-contained HTML page: one document that loads nothing from
/// anywhere (no script, stylesheet, image or font fetched; the only URL is
/// the SVG namespace, which is a name, not a fetch).
fn assert_self_contained_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(
        lower.trim_start().starts_with("<!doctype html>"),
        "{}",
        &html[..80.min(html.len())]
    );
    assert!(lower.trim_end().ends_with("</html>"));
    assert_eq!(lower.matches("<html").count(), 1);
    for bad in ["<script", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!lower.contains(bad), "the report loads something: {bad}");
    }
    for (i, _) in lower.match_indices("http") {
        assert!(
            lower[i..].starts_with("http://www.w3.org/2000/svg"),
            "external URL in the report: {}",
            &html[i..(i + 60).min(html.len())]
        );
    }
}

#[test]
fn quickstart_runs_every_plugin_and_gates_a_campaign() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("qs");
    let v = json(rapport(&data).args(["quickstart", "--customers", "400"]));
    assert_eq!(v["tenant"], "demo");
    assert_eq!(v["plaintext_emails_found_on_disk"], 0);
    assert!(v["emails_checked"].as_u64().unwrap_or(0) > 100);
    let imports = v["imports"].as_array().expect("imports");
    assert_eq!(imports.len(), 8, "every import kind");
    for i in imports {
        assert!(i["rows"].as_u64().unwrap_or(0) > 0, "{i}");
        assert_eq!(i["rows"], i["written"], "{i}");
    }
    let suppliers_imported = imports
        .iter()
        .find(|i| i["kind"] == "suppliers")
        .and_then(|i| i["rows"].as_u64())
        .expect("suppliers imported");

    // Every first-party plugin was installed for its purpose and its run
    // succeeded as of the day after the sample's window.
    assert_eq!(v["as_of"], "2025-01-01T00:00:00Z");
    let runs = v["plugin_runs"].as_array().expect("plugin runs");
    let got: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["plugin"].as_str().unwrap_or(""),
                r["purpose"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, PLUGINS);
    let mut by_plugin = BTreeMap::new();
    for r in runs {
        assert_eq!(r["status"], "succeeded", "{r}");
        assert!(r["failure"].is_null(), "{r}");
        assert_eq!(r["as_of"], "2025-01-01T00:00:00Z");
        assert!(r["output_hash"].is_string(), "{r}");
        assert!(r["subjects"].as_u64().unwrap_or(0) > 0, "{r}");
        by_plugin.insert(r["plugin"].as_str().expect("plugin"), r);
    }
    // Customer models see the customers analytics consent allows; the
    // scorecard sees every supplier.
    let subjects = |id: &str| by_plugin[id]["subjects"].as_u64().expect("subjects");
    assert!(subjects("clv") > 300, "{}", subjects("clv"));
    assert_eq!(subjects("supplier-scorecard"), suppliers_imported);

    // The top segments: every scored customer counted once, from each
    // segmenter's documented labels.
    for (id, labels) in [
        (
            "rfm",
            &[
                "champions",
                "loyal",
                "potential_loyalist",
                "new_customers",
                "promising",
                "need_attention",
                "about_to_sleep",
                "at_risk",
                "cant_lose_them",
                "hibernating",
                "lost",
                "no_purchase",
            ][..],
        ),
        (
            "value-potential",
            &[
                "high_value_high_potential",
                "high_value_low_potential",
                "low_value_high_potential",
                "low_value_low_potential",
                "advocate",
            ][..],
        ),
    ] {
        let counts = v["segments"][id].as_array().expect("segment counts");
        assert!(counts.len() >= 2, "{id}: {counts:?}");
        let mut total = 0;
        let mut previous = u64::MAX;
        for c in counts {
            let label = c[0].as_str().expect("label");
            let n = c[1].as_u64().expect("count");
            assert!(labels.contains(&label), "{id}: {label}");
            assert!(n <= previous, "{id}: most frequent first");
            previous = n;
            total += n;
        }
        assert_eq!(total, subjects(id), "{id}");
    }

    // Three explained scores: the highest lifetime values, each with its
    // largest terms and the same customer's relationship health.
    let explained = v["explained"].as_array().expect("explained");
    assert_eq!(explained.len(), 3);
    let mut previous = f64::INFINITY;
    for e in explained {
        let subject = e["subject"].as_str().expect("subject");
        assert!(is_external_id(subject, 'C'), "{subject}");
        let clv = e["clv"]["score"].as_f64().expect("clv");
        assert!(clv <= previous && clv > 0.0, "{clv}");
        previous = clv;
        for model in ["clv", "relationship_health"] {
            let terms = e[model]["top_terms"].as_array().expect("terms");
            assert_eq!(terms.len(), 2, "{model}: {terms:?}");
            assert!(
                terms[0]["value"].as_f64().expect("value").abs()
                    >= terms[1]["value"].as_f64().expect("value").abs()
            );
            assert!(!terms[0]["label"].as_str().unwrap_or("").is_empty());
        }
        let health = e["relationship_health"]["score"].as_f64().expect("health");
        assert!((0.0..=100.0).contains(&health));
    }

    // Supplier standings: every supplier, best first, from the documented
    // standings, and some supplier has enough deliveries to be judged.
    let standings = v["supplier_standings"].as_array().expect("standings");
    assert_eq!(standings.len() as u64, suppliers_imported);
    let known = [
        "strategic",
        "preferred",
        "transactional",
        "at_risk",
        "insufficient_data",
    ];
    let mut previous = f64::INFINITY;
    for s in standings {
        assert!(
            is_external_id(s["supplier"].as_str().expect("id"), 'S'),
            "{s}"
        );
        assert!(
            known.contains(&s["standing"].as_str().expect("standing")),
            "{s}"
        );
        let score = s["score"].as_f64().expect("score");
        assert!(score <= previous);
        previous = score;
    }
    assert!(standings
        .iter()
        .any(|s| s["standing"] != "insufficient_data"));

    let r = &v["referrals"];
    assert_eq!(
        r["customers"].as_u64(),
        Some(subjects("referral-influence"))
    );
    assert!(r["other_referrers"].as_u64().unwrap_or(0) > 0, "{r}");

    // The gated campaign: a verdict, a review when it asked for one, one
    // execution unless blocked.
    let c = &v["campaign"];
    let outcome = c["outcome"].as_str().expect("outcome");
    assert!(VERDICTS.contains(&outcome), "{outcome}");
    assert_eq!(c["run"], by_plugin["clv"]["run"]);
    let counts = &c["counts"];
    assert_eq!(counts["targeted"], 100);
    assert_eq!(
        counts["included"].as_u64().unwrap_or(0) + counts["excluded"].as_u64().unwrap_or(0),
        100
    );
    assert!(!c["reasons"].as_array().expect("reasons").is_empty());
    let excluded_by_rule: u64 = c["exclusions"]
        .as_object()
        .expect("exclusions")
        .values()
        .map(|n| n.as_u64().unwrap_or(0))
        .sum();
    assert!(excluded_by_rule >= counts["excluded"].as_u64().unwrap_or(0));
    assert_eq!(
        c["approved_by"].is_string(),
        outcome == "needs_review",
        "{c}"
    );
    let action = c["action"].as_str().expect("action id");
    if outcome == "block" {
        assert!(c["execution"].is_null());
    } else {
        assert_eq!(c["status"], "executed");
        let e = &c["execution"];
        let list = PathBuf::from(e["out"].as_str().expect("list path"));
        assert!(list.starts_with(&data), "{}", list.display());
        let text = std::fs::read_to_string(&list).expect("the campaign list");
        let ids: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(text.lines().next(), Some("subject"));
        assert_eq!(ids.len() as u64, e["final_count"].as_u64().expect("final"));
        assert!(e["final_count"].as_u64() <= counts["included"].as_u64());
        assert!(ids.iter().all(|id| is_external_id(id, 'C')), "{text}");
        // Once only.
        let identity = v["identity_file"].as_str().expect("identity");
        let again = rapport(&data)
            .args(["--identity", identity, "action", "execute", action, "--out"])
            .arg(tmp.path().join("again.csv"))
            .output()
            .expect("run");
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already executed"));
    }

    // The audit report: in the data directory, one self-contained HTML
    // page about the campaign's run and action, with no personal value.
    let report = PathBuf::from(v["report"].as_str().expect("report path"));
    assert!(report.starts_with(&data), "{}", report.display());
    let html = std::fs::read_to_string(&report).expect("the report");
    assert_self_contained_html(&html);
    assert!(html.contains(action), "the report names the action");
    assert!(html.contains(c["run"].as_str().expect("run")));
    let sample = PathBuf::from(v["sample_dir"].as_str().expect("sample"));
    let values = personal_values(&sample);
    assert_eq!(leaked(&html, &values), Vec::<&str>::new());

    // The log holds the imports, the six installs and runs, and the
    // verdict, review and execution, and verifies.
    assert_eq!(v["audit_log"]["ok"], true, "{}", v["audit_log"]);
    assert!(v["audit_log"]["logs"][0]["entries"].as_u64() > Some(22));

    // Running it again on the same directory refuses rather than mixing data.
    let out = rapport(&data).args(["quickstart"]).output().expect("run");
    assert!(!out.status.success());
}

#[test]
fn quickstart_prints_segments_scores_standings_verdict_and_the_report_path_last() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("qs");
    let out = ok(rapport(&data).args(["quickstart", "--customers", "400"]));
    let lines: Vec<&str> = out.lines().collect();
    let after = |head: &str| -> Vec<&str> {
        let i = lines
            .iter()
            .position(|l| l.starts_with(head))
            .unwrap_or_else(|| panic!("no `{head}` line in:\n{out}"));
        lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with("     "))
            .map(|l| l.trim())
            .collect()
    };

    let installed = after("6. Installed every first-party plugin");
    for (id, purpose) in PLUGINS {
        assert!(
            installed
                .iter()
                .any(|l| l.starts_with(&format!("{id}@")) && l.contains(purpose)),
            "{id} for {purpose} in:\n{out}"
        );
    }
    let segments = after("7. Top segments");
    assert!(segments.iter().any(|l| l.starts_with("rfm:")), "{out}");
    assert!(
        segments.iter().any(|l| l.starts_with("value-potential:")),
        "{out}"
    );
    let explained = after("8. Explained scores");
    assert_eq!(
        explained.iter().filter(|l| l.contains(" clv ")).count(),
        3,
        "{out}"
    );
    assert_eq!(
        explained
            .iter()
            .filter(|l| l.starts_with("relationship-health "))
            .count(),
        3,
        "{out}"
    );
    let standings = after("9. Supplier standings");
    assert!(!standings.is_empty(), "{out}");
    for l in &standings {
        let id = l.split_whitespace().next().unwrap_or("");
        assert!(is_external_id(id, 'S'), "{l}");
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("10. Referral influence")));
    let verdict_line = lines
        .iter()
        .find(|l| l.starts_with("11. "))
        .expect("the campaign line");
    let verdict = verdict_line.rsplit("verdict ").next().unwrap_or("");
    assert!(VERDICTS.contains(&verdict), "{verdict_line}");
    let campaign = after("11. ");
    if verdict == "needs_review" {
        assert!(
            campaign.iter().any(|l| l.contains("plays that reviewer")),
            "{out}"
        );
    }
    if verdict != "block" {
        assert!(
            campaign.iter().any(|l| l.starts_with("Executed once")),
            "{out}"
        );
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("14. Scanned") && l.ends_with("0 found in plaintext")));

    // The last line is the report's path, in the data directory.
    let last = PathBuf::from(lines.last().expect("output").trim());
    assert!(last.starts_with(&data), "last line: {}", last.display());
    assert_eq!(last.extension().and_then(|e| e.to_str()), Some("html"));
    assert_self_contained_html(&std::fs::read_to_string(&last).expect("the report"));

    // What the user reads names people by external id only.
    let values = personal_values(&tmp.path().join("qs-sample"));
    assert_eq!(leaked(&out, &values), Vec::<&str>::new());
}
