//! Fairness audits of stored runs: a real data directory, a real run of the
//! built-in `rfm` plugin, protected attributes opened from the vault inside
//! the audit only, and counts checked against the subjects' own profiles.

use std::collections::BTreeMap;

use rapport_core::{ImportKind, Platform, RunOptions, RunSelection};
use rapport_domain::fairness::{is_unknown, FairnessPolicy, GroupStatus};

use crate::support::{import, Env};

const TENANT: &str = "fair";

/// A tenant with generated customers (gender and age band sealed, some
/// missing), their transactions and consents, and one `rfm` run.
async fn scored_tenant(env: &Env, customers: u64) -> (Platform, String) {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(customers, 11, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    for kind in [
        ImportKind::Customers,
        ImportKind::Transactions,
        ImportKind::Consents,
    ] {
        if kind == ImportKind::Consents {
            for text in ["notice v1", "notice v2"] {
                p.publish_notice(TENANT, "privacy-notice", text, false)
                    .await
                    .expect("notice");
            }
        }
        import(
            &p,
            TENANT,
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    p.publish_first_party().await.expect("publish rfm");
    p.install_plugin(TENANT, "rfm", "analytics_profiling", None, None)
        .await
        .expect("install rfm");
    let run = p
        .run_plugin(
            TENANT,
            "rfm",
            &RunOptions {
                as_of: Some("2025-01-01T00:00:00Z".to_owned()),
                seed: 1,
                batch: None,
            },
        )
        .await
        .expect("run");
    assert_eq!(run.status, "succeeded", "{:?}", run.failure);
    (p, run.run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_audited_on_opened_attributes_that_never_leave_the_audit() {
    let env = Env::new();
    let (p, run) = scored_tenant(&env, 1500).await;
    let policy = FairnessPolicy::default_policy().expect("policy");
    let report = p
        .audit_run_fairness(TENANT, &run, &RunSelection::TopK(300), &policy)
        .await
        .expect("audit");

    // The expected counts, from each scored subject's own opened profile and
    // an independent top-300 with ties included.
    let scores = p
        .run_scores(TENANT, &run, None)
        .await
        .expect("scores")
        .outputs;
    assert_eq!(report.audit.n_rows, scores.len() as u64);
    let mut sorted: Vec<f64> = scores.iter().map(|o| o.score).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let cutoff = sorted[299];
    let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut unknown_gender = 0u64;
    let mut personal = Vec::new();
    for o in &scores {
        let profile = p.profile(TENANT, &o.subject).await.expect("profile");
        personal.push(o.subject.clone());
        for f in ["name", "email", "phone", "address", "birth_date"] {
            if let Some(v) = profile.fields.get(f) {
                personal.push(v.clone());
            }
        }
        match profile.fields.get("gender").filter(|g| !is_unknown(g)) {
            Some(g) => {
                let e = want.entry(g.clone()).or_default();
                e.0 += 1;
                e.1 += u64::from(o.score >= cutoff);
            }
            None => unknown_gender += 1,
        }
    }
    let gender = report.audit.analysis("gender").expect("gender analysis");
    let got: BTreeMap<String, (u64, u64)> = gender
        .groups
        .iter()
        .map(|(k, g)| (k.clone(), (g.n, g.selected)))
        .collect();
    assert_eq!(got, want);
    assert!(unknown_gender > 0, "the generator leaves some genders out");
    assert_eq!(report.audit.n_unknown_excluded["gender"], unknown_gender);
    assert!(report.audit.analysis("gender×age_band").is_some());
    assert!(gender
        .groups
        .values()
        .any(|g| g.small && g.status == GroupStatus::Small));

    // Nothing personal in the report: no id, name, e-mail, phone, address
    // or birth date of any subject (group names are the categories).
    let json = report.to_canonical_json().expect("json");
    let text = report.render_text();
    for v in &personal {
        assert!(
            !json.contains(v.as_str()) && !text.contains(v.as_str()),
            "a personal value is in the report"
        );
    }
    // Deterministic: the same run and policy give the same bytes.
    let again = p
        .audit_run_fairness(TENANT, &run, &RunSelection::TopK(300), &policy)
        .await
        .expect("audit again")
        .to_canonical_json()
        .expect("json");
    assert_eq!(json, again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_thresholds_and_bad_requests() {
    let env = Env::new();
    let (p, run) = scored_tenant(&env, 400).await;
    let policy = FairnessPolicy::default_policy().expect("policy");
    let scores = p.run_scores(TENANT, &run, None).await.expect("scores");
    let (segment, count) = scores.labels.first().expect("a segment").clone();
    let report = p
        .audit_run_fairness(
            TENANT,
            &run,
            &RunSelection::Segment(segment.clone()),
            &policy,
        )
        .await
        .expect("segment audit");
    assert_eq!(report.audit.selected, count as u64);
    let threshold = p
        .audit_run_fairness(TENANT, &run, &RunSelection::Threshold(f64::MAX), &policy)
        .await
        .expect("threshold audit");
    assert_eq!(threshold.audit.selected, 0);
    assert_eq!(threshold.audit.verdict.as_str(), "warn");

    let err = p
        .audit_run_fairness(
            TENANT,
            &run,
            &RunSelection::Segment("no-such-segment".to_owned()),
            &policy,
        )
        .await
        .expect_err("an unknown segment is an error")
        .to_string();
    assert!(
        err.contains("no-such-segment") && err.contains(&segment),
        "{err}"
    );
    let err = p
        .audit_run_fairness(TENANT, "nope", &RunSelection::TopK(5), &policy)
        .await
        .expect_err("an unknown run is an error")
        .to_string();
    assert!(err.contains("`nope` does not exist"), "{err}");
}
