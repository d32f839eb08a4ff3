//! The action gate through the application layer: real data directories,
//! real imports, real runs of the first-party `rfm` plugin, real age
//! encryption checked by the real `age` tool.
//!
//! Every per-person outcome is checked against an independent path: the
//! single-subject consent check (`Platform::check_consent`) at the verdict's
//! pinned instant, and the protected attributes opened one profile at a time.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rapport_core::{
    ActionRequest, ActionView, CoreError, ExecuteOptions, ImportKind, NewConsent, Platform,
    RunOptions, TargetSpec,
};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, GivenBy, LawfulBasis};

use crate::support::{age_decrypt_text, age_identity, import, Env};

const TENANT: &str = "acme";
const AS_OF: &str = "2026-06-30T00:00:00Z";

/// A tenant with `n` generated customers, their transactions and consent
/// records, and a run of the first-party `rfm` segmenter over them.
pub(crate) async fn generated_with_rfm(env: &Env, n: u64) -> (Platform, String) {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(n, 5, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    for text in ["notice v1", "notice v2"] {
        p.publish_notice(TENANT, "privacy-notice", text, false)
            .await
            .expect("notice");
    }
    for kind in [
        ImportKind::Customers,
        ImportKind::Transactions,
        ImportKind::Consents,
    ] {
        import(
            &p,
            TENANT,
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    p.publish_first_party().await.expect("publish first party");
    p.install_plugin(TENANT, "rfm@0.2.0", "analytics_profiling", None, None)
        .await
        .expect("install rfm");
    let run = p
        .run_plugin(
            TENANT,
            "rfm",
            &RunOptions {
                as_of: Some(AS_OF.to_owned()),
                seed: 1,
                batch: None,
            },
        )
        .await
        .expect("run rfm");
    assert_eq!(run.status, "succeeded", "{:?}", run.failure);
    (p, run.run)
}

/// A tenant whose customers are written out here, one per jurisdiction of
/// interest, with consent records given as CSV lines.
pub(crate) async fn crafted(env: &Env, customers: &str, consents: &str) -> Platform {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    let dir = env.tmp.path().join("crafted");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let c = dir.join("customers.csv");
    std::fs::write(
        &c,
        format!("id,name,email,phone,address,birth_date,gender,age_band,country,region,signup_date,notes\n{customers}"),
    )
    .expect("write customers");
    import(&p, TENANT, ImportKind::Customers, &c)
        .await
        .expect("customers");
    let k = dir.join("consents.csv");
    std::fs::write(
        &k,
        format!("id,subject_id,purpose,lawful_basis,status,jurisdiction,recorded_at,method,explicit\n{consents}"),
    )
    .expect("write consents");
    import(&p, TENANT, ImportKind::Consents, &k)
        .await
        .expect("consents");
    p
}

pub(crate) fn subjects(ids: &[&str]) -> TargetSpec {
    TargetSpec::Subjects {
        source: "list.txt".to_owned(),
        text: ids.iter().map(|i| format!("{i}\n")).collect(),
    }
}

pub(crate) async fn request(
    p: &Platform,
    kind: &str,
    purpose: &str,
    target: TargetSpec,
) -> ActionView {
    p.request_action(&ActionRequest {
        tenant: TENANT.to_owned(),
        kind: kind.to_owned(),
        purpose: purpose.to_owned(),
        target,
    })
    .await
    .unwrap_or_else(|e| panic!("request {kind}: {e}"))
}

fn withdrawal(subject: &str, purpose: &str, jurisdiction: &str) -> NewConsent {
    NewConsent {
        id: None,
        subject: subject.to_owned(),
        purpose: purpose.to_owned(),
        lawful_basis: LawfulBasis::Consent,
        status: ConsentStatus::Withdrawn,
        jurisdiction: jurisdiction.to_owned(),
        method: CollectionMethod::WebForm,
        recorded_at: None,
        expires_at: None,
        notice: None,
        explicit: false,
        given_by: GivenBy::Subject,
        source: None,
        evidence_ref: None,
        actor: None,
    }
}

/// Lets a verdict held for review proceed, as a reviewer would, when the
/// fairness audit asks for review; an allowed verdict is left alone.
async fn approve_if_held(p: &Platform, v: &ActionView) {
    if v.status == "pending_review" {
        p.review_action(&v.action, true, "Dana Reviewer", Some("checked the list"))
            .await
            .expect("approve");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_verdict_agrees_person_by_person_with_the_consent_check() {
    let env = Env::new();
    let (p, run) = generated_with_rfm(&env, 400).await;
    let scores = p.run_scores(TENANT, &run, None).await.expect("scores");
    let (segment, size) = scores.labels[0].clone();
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        TargetSpec::Segment {
            name: segment.clone(),
            run: None,
        },
    )
    .await;
    let c = &v.verdict.counts;
    assert_eq!(c.targeted, u64::try_from(size).expect("size"));
    assert_eq!(
        c.population, scores.run.subjects,
        "population = scored customers"
    );
    assert_eq!(c.included + c.excluded, c.targeted);
    assert!(c.excluded > 0 && c.included > 0, "{c:?}");
    assert_eq!(
        v.verdict.pins.run.as_ref().map(|r| r.id.as_str()),
        Some(run.as_str())
    );
    assert_eq!(
        v.verdict
            .pins
            .run
            .as_ref()
            .map(|r| r.component_digest.as_str()),
        Some(scores.run.component_digest.as_str())
    );
    assert_eq!(
        v.verdict.pins.policy_hash,
        rapport_audit::gate::PolicyBundle::default_bundle()
            .expect("bundle")
            .hash()
    );
    assert!(v.verdict.pins.consent_watermark > 0);

    // Person by person, the single-subject consent check at the pinned
    // instant says the same.
    let all = p.show_action(&v.action, true).await.expect("show");
    assert_eq!(all.subjects.len() as u64, c.targeted);
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for s in &all.subjects {
        let check = p
            .check_consent(
                TENANT,
                &s.subject,
                "direct_marketing_email",
                None,
                Some(&v.verdict.pins.at),
            )
            .await
            .expect("check");
        assert_eq!(check.allowed, s.included, "{}", s.subject);
        let want: Vec<&str> = check
            .reasons
            .iter()
            .filter(|r| r.allowed == check.allowed)
            .map(|r| r.rule.as_str())
            .collect();
        let have: Vec<&str> = s.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(have, want, "{}", s.subject);
        for r in &s.reasons {
            assert!(!r.citation.is_empty(), "{} has no citation", r.rule);
        }
        if !s.included {
            let mut seen = Vec::new();
            for r in &s.reasons {
                if !seen.contains(&r.rule) {
                    seen.push(r.rule.clone());
                    *by_rule.entry(r.rule.clone()).or_default() += 1;
                }
            }
        }
        let want_records: Vec<String> = check
            .records
            .iter()
            .map(|r| format!("{}:{}", r.id, r.version))
            .collect();
        assert_eq!(s.records, want_records, "{}", s.subject);
    }
    assert_eq!(by_rule, v.verdict.exclusions);

    // The fairness input counts exactly the eligible population and the
    // selection, with attributes as the vault opens them one by one.
    let cells = &v.verdict.fairness_input;
    assert_eq!(cells.eligible(), c.eligible);
    assert_eq!(cells.selected(), c.included);
    let mut gender: HashMap<Option<String>, u64> = HashMap::new();
    for o in &scores.outputs {
        let check = p
            .check_consent(
                TENANT,
                &o.subject,
                "direct_marketing_email",
                None,
                Some(&v.verdict.pins.at),
            )
            .await
            .expect("check");
        if check.allowed {
            let profile = p.profile(TENANT, &o.subject).await.expect("profile");
            *gender
                .entry(profile.fields.get("gender").cloned())
                .or_default() += 1;
        }
    }
    let mut from_cells: HashMap<Option<String>, u64> = HashMap::new();
    for cell in &cells.cells {
        *from_cells.entry(cell.values[0].clone()).or_default() += cell.eligible;
    }
    assert_eq!(from_cells, gender);

    // The list shows who was left out, with their reasons.
    assert!(v.subjects.iter().all(|s| !s.included || s.review));
    assert_eq!(v.subjects.len() as u64, c.excluded + c.review_required);
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_n_breaks_ties_by_external_id_and_replays() {
    let env = Env::new();
    let (p, run) = generated_with_rfm(&env, 300).await;
    let scores = p.run_scores(TENANT, &run, None).await.expect("scores");
    let mut ranked: Vec<(f64, String)> = scores
        .outputs
        .iter()
        .map(|o| (o.score, o.subject.clone()))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    // A cut through a run of equal scores, so the tie-break decides.
    let n = (20..ranked.len() - 1)
        .find(|&i| ranked[i - 1].0 == ranked[i].0)
        .expect("rfm scores tie somewhere");
    let mut want: Vec<String> = ranked[..n].iter().map(|r| r.1.clone()).collect();
    want.sort();
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        TargetSpec::Top {
            run: run.clone(),
            n: n as u64,
        },
    )
    .await;
    let all = p.show_action(&v.action, true).await.expect("show");
    let mut have: Vec<String> = all.subjects.iter().map(|s| s.subject.clone()).collect();
    have.sort();
    assert_eq!(have, want);
    let r = p.replay_action(&v.action).await.expect("replay");
    assert_eq!(r.verdict, "reproduced", "{r:?}");
    assert_eq!(r.replayed_outcome, v.outcome);
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_right_after_a_verdict_is_excluded_by_the_next_and_the_first_replays() {
    let env = Env::new();
    let p = crafted(
        &env,
        "A1,Ann One,a1@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n\
         A2,Ben Two,a2@example.org,,,1975-05-05,male,45-54,FR,,2023-01-01,\n",
        "k1,A1,direct_marketing_email,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
         k2,A2,direct_marketing_email,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n",
    )
    .await;
    let first = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&["A1", "A2"]),
    )
    .await;
    assert_eq!(first.verdict.counts.included, 2);
    p.record_consent(TENANT, withdrawal("A1", "direct_marketing_email", "EU"))
        .await
        .expect("withdraw");
    // No lag: the very next request excludes her, with the withdrawal rule.
    let second = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&["A1", "A2"]),
    )
    .await;
    assert_eq!(second.verdict.counts.included, 1);
    assert_eq!(
        second.verdict.exclusions.get("gdpr.art7.3.withdrawal"),
        Some(&1)
    );
    let a1 = second
        .subjects
        .iter()
        .find(|s| s.subject == "A1")
        .expect("A1 listed");
    assert!(!a1.included);
    assert_eq!(a1.reasons[0].rule, "gdpr.art7.3.withdrawal");
    assert_eq!(a1.reasons[0].citation, "GDPR Art. 7(3)");
    // The first verdict still replays to itself: the withdrawal came after
    // its pinned instant and beyond its ledger watermark.
    let r = p.replay_action(&first.action).await.expect("replay");
    assert_eq!(r.verdict, "reproduced", "{r:?}");
    assert_eq!(r.replayed_outcome, first.outcome);
    // A withdrawal backdated to before the first verdict and imported now
    // does not change what the first verdict saw either.
    let dir = env.tmp.path().join("late");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let late = dir.join("consents.csv");
    std::fs::write(
        &late,
        "id,subject_id,purpose,lawful_basis,status,jurisdiction,recorded_at,method\n\
         k9,A2,direct_marketing_email,consent,withdrawn,EU,2024-06-01T10:00:00Z,web_form\n",
    )
    .expect("write");
    import(&p, TENANT, ImportKind::Consents, &late)
        .await
        .expect("late import");
    let r = p.replay_action(&first.action).await.expect("replay");
    assert_eq!(r.verdict, "reproduced", "{r:?}");
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn art22_holds_eu_decisions_for_review_and_refuses_colorado_and_virginia_opt_outs() {
    let env = Env::new();
    let p = crafted(
        &env,
        "E1,Eva Eu,e1@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n\
         C1,Carl Co,c1@example.org,,,1970-01-01,male,45-54,US,CO,2023-01-01,\n\
         C2,Cleo Co,c2@example.org,,,1990-01-01,female,25-34,US,CO,2023-01-01,\n\
         V1,Vic Va,v1@example.org,,,1985-01-01,male,35-44,US,VA,2023-01-01,\n",
        "e1,E1,automated_decision,contract,granted,EU,2024-01-01T10:00:00Z,api,false\n\
         c1,C1,automated_decision,consent,objected,US-CO,2024-02-01T10:00:00Z,web_form,false\n\
         v1,V1,automated_decision,consent,objected,US-VA,2024-02-01T10:00:00Z,web_form,false\n",
    )
    .await;
    let v = request(
        &p,
        "automated_decision",
        "automated_decision",
        subjects(&["E1", "C1", "C2", "V1"]),
    )
    .await;
    assert_eq!(v.outcome, "needs_review");
    assert_eq!(v.status, "pending_review");
    assert!(v
        .verdict
        .reasons
        .iter()
        .any(|r| r.rule == "gate.art22.review"));
    assert_eq!(v.verdict.counts.review_required, 1);
    let by: HashMap<&str, &rapport_core::SubjectView> =
        v.subjects.iter().map(|s| (s.subject.as_str(), s)).collect();
    assert!(by["E1"].included && by["E1"].review);
    // An opt-out of profiling is a refusal, not a review.
    assert!(!by["C1"].included && !by["C1"].review);
    assert_eq!(by["C1"].reasons[0].rule, "co.6-1-1306.opt_out");
    assert!(!by["V1"].included && !by["V1"].review);
    assert_eq!(by["V1"].reasons[0].rule, "va.59.1-577.a5.opt_out");
    assert!(
        !by.contains_key("C2"),
        "an included Coloradan needs no review"
    );
    // Held for review: it cannot execute before a reviewer approves it.
    let out = env.tmp.path().join("decisions.csv");
    let err = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: out.clone(),
                ..Default::default()
            },
        )
        .await
        .expect_err("held");
    assert!(err.to_string().contains("held for review"), "{err}");
    assert!(!out.exists());
    // A rejected action never executes.
    let rejected = p
        .review_action(&v.action, false, "Dana Reviewer", Some("not this quarter"))
        .await
        .expect("reject");
    assert_eq!(rejected.status, "rejected");
    let err = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: out.clone(),
                ..Default::default()
            },
        )
        .await
        .expect_err("rejected");
    assert!(err.to_string().contains("rejected"), "{err}");
    let err = p
        .review_action(&v.action, true, "Someone Else", None)
        .await
        .expect_err("reviewed twice");
    assert!(
        err.to_string().contains("only an action held for review"),
        "{err}"
    );
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_executes_once_rechecks_consent_and_records_each_disclosure() {
    let env = Env::new();
    let p = crafted(
        &env,
        "P1,Pia One,p1@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n\
         P2,Paul Two,p2@example.org,,,1975-05-05,male,45-54,FR,,2023-01-01,\n\
         P3,Pat Three,p3@example.org,,,1990-02-02,female,25-34,NL,,2023-01-01,\n\
         P4,Cal Four,p4@example.org,,,1991-03-03,male,25-34,US,CA,2023-01-01,\n",
        "s1,P1,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
         s2,P2,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
         s3,P3,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
         g4,P4,partner_data_sharing,consent,withdrawn,US-CA,2024-03-01T10:00:00Z,gpc_signal,false\n",
    )
    .await;
    let v = request(
        &p,
        "partner_export",
        "partner_data_sharing",
        subjects(&["P1", "P2", "P3", "P4"]),
    )
    .await;
    // The Californian's Global Privacy Control signal keeps her out of the sale.
    let p4 = v.subjects.iter().find(|s| s.subject == "P4").expect("P4");
    assert!(!p4.included);
    assert_eq!(p4.reasons[0].rule, "ccpa.7025.gpc");
    assert_eq!(v.verdict.counts.included, 3);
    approve_if_held(&p, &v).await;
    // A withdrawal between verdict and execution takes effect at execution.
    p.record_consent(TENANT, withdrawal("P2", "partner_data_sharing", "EU"))
        .await
        .expect("withdraw");
    let (identity, recipient) = age_identity(env.tmp.path());
    let out = env.tmp.path().join("partner.age");
    // A list leaving the platform needs a recipient.
    let err = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: out.clone(),
                ..Default::default()
            },
        )
        .await
        .expect_err("no recipient");
    assert!(err.to_string().contains("--recipient"), "{err}");
    let opts = ExecuteOptions {
        recipient_key: Some(recipient.clone()),
        recipient: Some("Partner Co Ltd".to_owned()),
        out: out.clone(),
    };
    let r = p.execute_action(&v.action, &opts).await.expect("execute");
    assert_eq!(
        (r.selected, r.final_count, r.excluded_at_execution),
        (3, 2, 1)
    );
    assert_eq!(r.excluded_by_rule.get("gdpr.art7.3.withdrawal"), Some(&1));
    assert!(r.encrypted);
    // The list decrypts with the real age tool and holds exactly the final
    // people with the kind's fields; nothing of it is on disk in plaintext.
    let bytes = std::fs::read(&out).expect("list");
    assert!(!crate::support::contains(&bytes, b"p1@example.org"));
    let text = age_decrypt_text(&identity, &out);
    assert_eq!(
        text,
        "subject,name,email\nP1,Pia One,p1@example.org\nP3,Pat Three,p3@example.org\n"
    );
    // Once only, also when two executions race.
    let again = env.tmp.path().join("again.age");
    let err = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: again.clone(),
                ..opts.clone()
            },
        )
        .await
        .expect_err("twice");
    assert!(err.to_string().contains("already executed"), "{err}");
    assert!(!again.exists());
    let shown = p.show_action(&v.action, true).await.expect("show");
    assert_eq!(shown.status, "executed");
    let p2 = shown
        .subjects
        .iter()
        .find(|s| s.subject == "P2")
        .expect("P2");
    assert_eq!(p2.final_included, Some(false));
    assert_eq!(p2.final_reasons[0].rule, "gdpr.art7.3.withdrawal");
    // An erasure lists the recipient to notify; the access export names it.
    let export = env.tmp.path().join("p3.age");
    p.export_subject(TENANT, "P3", &recipient, &export, None)
        .await
        .expect("export");
    let doc: serde_json::Value =
        serde_json::from_str(&age_decrypt_text(&identity, &export)).expect("json");
    assert_eq!(doc["disclosures"][0]["recipient"], "Partner Co Ltd");
    assert_eq!(doc["disclosures"][0]["action"], v.action.as_str());
    assert_eq!(doc["decisions"][0]["action"], v.action.as_str());
    assert_eq!(doc["decisions"][0]["in_final_list"], true);
    let erased = p.erase_subject(TENANT, "P3", None).await.expect("erase");
    assert_eq!(erased.recipients_to_notify.len(), 1);
    assert_eq!(erased.recipients_to_notify[0].recipient, "Partner Co Ltd");
    assert_eq!(erased.recipients_to_notify[0].recipient_key, recipient);
    // P2 was never disclosed: nobody to notify.
    let erased = p.erase_subject(TENANT, "P2", None).await.expect("erase");
    assert!(erased.recipients_to_notify.is_empty());
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_executions_of_one_action_run_it_once() {
    let env = Env::new();
    let p = crafted(
        &env,
        "A1,Ann One,a1@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n",
        "k1,A1,direct_marketing_email,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n",
    )
    .await;
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&["A1"]),
    )
    .await;
    approve_if_held(&p, &v).await;
    let a = env.tmp.path().join("a.csv");
    let b = env.tmp.path().join("b.csv");
    let (oa, ob) = (
        ExecuteOptions {
            out: a.clone(),
            ..Default::default()
        },
        ExecuteOptions {
            out: b.clone(),
            ..Default::default()
        },
    );
    // Both pass the status check before either claims the execution: the
    // store must let only one through.
    let (ra, rb) = tokio::join!(
        p.execute_action(&v.action, &oa),
        p.execute_action(&v.action, &ob)
    );
    let ok = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{ra:?} {rb:?}");
    // The winner's list is there, the loser's is not; an internal list holds
    // external ids only.
    assert_eq!(u8::from(a.exists()) + u8::from(b.exists()), 1);
    let list = if a.exists() { &a } else { &b };
    assert_eq!(
        std::fs::read_to_string(list).expect("list"),
        "subject\nA1\n"
    );
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_named_and_record_nothing() {
    let env = Env::new();
    let p = crafted(
        &env,
        "A1,Ann One,a1@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n",
        "k1,A1,direct_marketing_email,consent,refused,EU,2024-01-01T10:00:00Z,web_form,false\n",
    )
    .await;
    let err = |target: TargetSpec, kind: &str, purpose: &str| {
        let p = &p;
        let kind = kind.to_owned();
        let purpose = purpose.to_owned();
        async move {
            p.request_action(&ActionRequest {
                tenant: TENANT.to_owned(),
                kind,
                purpose,
                target,
            })
            .await
            .expect_err("refused")
            .to_string()
        }
    };
    let e = err(subjects(&["A1"]), "email_campaign", "sale_of_data").await;
    assert!(
        e.contains("cannot be requested for purpose `sale_of_data`")
            && e.contains("direct_marketing_email"),
        "{e}"
    );
    let e = err(subjects(&["A1"]), "mail_merge", "direct_marketing_email").await;
    assert!(e.contains("unknown action kind `mail_merge`"), "{e}");
    let e = err(
        TargetSpec::Subjects {
            source: "list.txt".into(),
            text: "A1\n\nZ9\nA1\n".into(),
        },
        "email_campaign",
        "direct_marketing_email",
    )
    .await;
    assert!(e.contains("list.txt:3: no stakeholder `Z9`"), "{e}");
    assert!(
        e.contains("list.txt:4: `A1` is listed twice (first on line 1)"),
        "{e}"
    );
    let e = err(
        TargetSpec::Segment {
            name: "champions".into(),
            run: None,
        },
        "email_campaign",
        "direct_marketing_email",
    )
    .await;
    assert!(e.contains("no successful segmenter run"), "{e}");
    assert!(p.list_actions(TENANT).await.expect("list").is_empty());
    // Everyone refused: the verdict is recorded, and it is a block.
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&["A1"]),
    )
    .await;
    assert_eq!(v.outcome, "block");
    assert!(v
        .verdict
        .reasons
        .iter()
        .any(|r| r.rule == "gate.empty_selection"));
    let out = env.tmp.path().join("never.csv");
    let e = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: out.clone(),
                ..Default::default()
            },
        )
        .await
        .expect_err("blocked");
    assert!(
        matches!(e, CoreError::Invalid(_)) && e.to_string().contains("blocked"),
        "{e}"
    );
    assert!(!out.exists());
    assert!(!Path::new(&out).exists());
    p.close().await;
}

/// Customers `prefix1…prefixN` of one gender, alternating two age bands,
/// each with a consent to e-mail marketing: CSV lines for [`crafted`].
fn people(prefix: &str, n: usize, gender: &str) -> (String, String, Vec<String>) {
    let mut customers = String::new();
    let mut consents = String::new();
    let mut ids = Vec::new();
    for i in 1..=n {
        let id = format!("{prefix}{i}");
        let band = if i % 2 == 0 { "25-34" } else { "45-54" };
        customers.push_str(&format!(
            "{id},Person {id},{id}@example.org,,,1980-01-01,{gender},{band},DE,,2023-01-01,\n"
        ));
        consents.push_str(&format!(
            "k{id},{id},direct_marketing_email,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n"
        ));
        ids.push(id);
    }
    (customers, consents, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_fails_four_fifths_is_blocked_by_the_statistics_and_replays() {
    let env = Env::new();
    let (mc, mk, men) = people("M", 50, "male");
    let (fc, fk, women) = people("F", 50, "female");
    let p = crafted(&env, &format!("{mc}{fc}"), &format!("{mk}{fk}")).await;
    // Four men in five, two women in five: an impact ratio of 0.5.
    let listed: Vec<&str> = men[..40]
        .iter()
        .chain(&women[..20])
        .map(String::as_str)
        .collect();
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&listed),
    )
    .await;
    assert_eq!(v.outcome, "block", "{:?}", v.verdict.reasons);
    assert_eq!(
        (v.verdict.counts.eligible, v.verdict.counts.included),
        (100, 60)
    );
    let fail = v
        .verdict
        .reasons
        .iter()
        .find(|r| r.rule == "gate.fairness.fail")
        .expect("the fairness failure is a reason");
    assert!(fail.message.contains("group female"), "{}", fail.message);
    let f = &v.verdict.fairness;
    assert_eq!(f.outcome.as_str(), "fail");
    let r = f
        .reasons
        .iter()
        .find(|r| r.analysis == "gender")
        .expect("reason on gender");
    assert_eq!(r.rule, "impact_ratio_significantly_below");
    assert_eq!(r.group.as_deref(), Some("female"));
    assert_eq!(r.value, Some(0.4 / 0.8));
    assert!(r.interval.expect("interval")[1] < 0.8);
    assert!(r.p_adjusted.expect("p") < 0.05);
    // The audit the verdict carries holds counts and rates, no person.
    let audit = f.audit.as_ref().expect("audit");
    let female = &audit["analyses"]["gender"]["groups"]["female"];
    assert_eq!(
        (female["n"].as_u64(), female["selected"].as_u64()),
        (Some(50), Some(20))
    );
    let text = audit.to_string();
    assert!(
        !text.contains("@example.org") && !text.contains("Person "),
        "{text}"
    );
    // Replayed from its pins: the same finding, the same verdict.
    let replay = p.replay_action(&v.action).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced", "{replay:?}");
    assert!(replay.fairness_matches);
    assert_eq!(replay.replayed_outcome, "block");
    // A blocked action never runs.
    let out = env.tmp.path().join("never.csv");
    let e = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                out: out.clone(),
                ..Default::default()
            },
        )
        .await
        .expect_err("blocked");
    assert!(e.to_string().contains("blocked"), "{e}");
    assert!(!out.exists());

    // The same number of people, selected alike from both: nothing fails
    // or warns. The intersections (25 people each) are under the policy's
    // 30 and are flagged as too small to judge, which the default policy
    // lets through.
    let fair: Vec<&str> = men[..30]
        .iter()
        .chain(&women[..30])
        .map(String::as_str)
        .collect();
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&fair),
    )
    .await;
    assert_eq!(v.outcome, "allow", "{:?}", v.verdict.reasons);
    let f = &v.verdict.fairness;
    assert_eq!(f.outcome.as_str(), "insufficient_data", "{f:?}");
    assert!(
        f.reasons.iter().all(|r| r.rule == "nothing_to_judge"),
        "{f:?}"
    );
    // Four intersections, one of them the reference.
    assert_eq!(f.insufficient_groups.len(), 3, "{f:?}");
    assert!(f
        .insufficient_groups
        .iter()
        .all(|g| g.starts_with("gender×age_band:")));
    let audit = f.audit.as_ref().expect("audit");
    assert_eq!(audit["analyses"]["gender"]["verdict"], "pass");
    assert_eq!(audit["analyses"]["age_band"]["verdict"], "pass");
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_group_is_flagged_not_compared() {
    let env = Env::new();
    let (mc, mk, men) = people("M", 100, "male");
    let (fc, fk, women) = people("F", 100, "female");
    let (nc, nk, _) = people("N", 3, "non-binary");
    let p = crafted(&env, &format!("{mc}{fc}{nc}"), &format!("{mk}{fk}{nk}")).await;
    // Half the men, half the women, none of the three non-binary people.
    let listed: Vec<&str> = men[..50]
        .iter()
        .chain(&women[..50])
        .map(String::as_str)
        .collect();
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        subjects(&listed),
    )
    .await;
    let f = &v.verdict.fairness;
    assert_eq!(f.outcome.as_str(), "insufficient_data", "{f:?}");
    assert!(
        f.insufficient_groups
            .contains(&"gender:non-binary".to_owned()),
        "{:?}",
        f.insufficient_groups
    );
    assert!(f
        .reasons
        .iter()
        .all(|r| r.group.as_deref() != Some("non-binary")));
    let nb = &f.audit.as_ref().expect("audit")["analyses"]["gender"]["groups"]["non-binary"];
    assert_eq!(nb["status"], "small");
    assert_eq!(nb["n"], 3);
    // The default policy lets the action proceed with the flag as a reason.
    assert_eq!(v.outcome, "allow", "{:?}", v.verdict.reasons);
    let flag = v
        .verdict
        .reasons
        .iter()
        .find(|r| r.rule == "gate.fairness.insufficient_data")
        .expect("flag");
    assert!(
        flag.message.contains("gender:non-binary"),
        "{}",
        flag.message
    );
    let replay = p.replay_action(&v.action).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced", "{replay:?}");
    p.close().await;
}
