//! The consent ledger through the application layer: recording, checking,
//! history, notices, and the bulk summary agreeing with one-by-one checks.

use rapport_core::{ImportKind, NewConsent};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, GivenBy, LawfulBasis};

use crate::support::{import, import_base, Env};

fn consent(
    subject: &str,
    purpose: &str,
    basis: LawfulBasis,
    status: ConsentStatus,
    at: &str,
) -> NewConsent {
    NewConsent {
        id: None,
        subject: subject.to_owned(),
        purpose: purpose.to_owned(),
        lawful_basis: basis,
        status,
        jurisdiction: "EU".to_owned(),
        method: CollectionMethod::Api,
        recorded_at: Some(at.to_owned()),
        expires_at: None,
        notice: None,
        explicit: false,
        given_by: GivenBy::Subject,
        source: None,
        evidence_ref: None,
        actor: Some("test".to_owned()),
    }
}

#[tokio::test]
async fn a_withdrawal_takes_effect_at_the_next_decision() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    // C2 (Sweden, so EU) has no marketing record: fails closed.
    let d = p
        .check_consent("acme", "C2", "direct_marketing_email", None, None)
        .await
        .expect("check");
    assert!(!d.allowed);
    assert_eq!(d.jurisdictions, vec!["EU".to_owned()]);
    assert!(
        d.reasons.iter().any(|r| r.rule == "gdpr.art6.1.no_basis"),
        "{d:?}"
    );

    let grant = consent(
        "C2",
        "direct_marketing_email",
        LawfulBasis::Consent,
        ConsentStatus::Granted,
        "2024-01-01T00:00:00Z",
    );
    let r = p.record_consent("acme", grant).await.expect("grant");
    assert_eq!(r.version, 1);
    let d = p
        .check_consent("acme", "C2", "direct_marketing_email", None, None)
        .await
        .expect("check");
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.records.len(), 1);
    assert_eq!(d.records[0].id, r.id);

    let withdraw = consent(
        "C2",
        "direct_marketing_email",
        LawfulBasis::Consent,
        ConsentStatus::Withdrawn,
        "2024-02-01T00:00:00Z",
    );
    p.record_consent("acme", withdraw).await.expect("withdraw");
    let d = p
        .check_consent("acme", "C2", "direct_marketing_email", None, None)
        .await
        .expect("check");
    assert!(!d.allowed);
    assert!(
        d.reasons.iter().any(|r| r.rule == "gdpr.art7.3.withdrawal"),
        "{d:?}"
    );
    // Before the withdrawal it was allowed: decisions can be re-derived at any instant.
    let then = p
        .check_consent(
            "acme",
            "C2",
            "direct_marketing_email",
            None,
            Some("2024-01-15T00:00:00Z"),
        )
        .await
        .expect("check");
    assert!(then.allowed);

    let history = p.consent_history("acme", "C2").await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].status, "granted");
    assert_eq!(history[1].status, "withdrawn");
    p.close().await;
}

#[tokio::test]
async fn a_correction_is_a_new_version_and_bad_records_are_refused() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let mut c = consent(
        "C1",
        "analytics_profiling",
        LawfulBasis::LegitimateInterests,
        ConsentStatus::Granted,
        "2024-01-01T00:00:00Z",
    );
    c.id = Some("K1".to_owned());
    // K1 already exists from the base import: this becomes version 2.
    let r = p
        .record_consent("acme", c.clone())
        .await
        .expect("correction");
    assert_eq!((r.id.as_str(), r.version), ("K1", 2));

    let mut bad = c.clone();
    bad.purpose = "telepathy".to_owned();
    let e = p
        .record_consent("acme", bad)
        .await
        .expect_err("unknown purpose");
    assert!(e.to_string().contains("unknown purpose `telepathy`"), "{e}");

    let mut bad = c.clone();
    bad.purpose = "sale_of_data".to_owned();
    let e = p.record_consent("acme", bad).await.expect_err("basis");
    assert!(
        e.to_string()
            .contains("cannot rest on `legitimate_interests`"),
        "{e}"
    );

    let mut bad = c.clone();
    bad.notice = Some(("privacy-notice".to_owned(), 7));
    let e = p.record_consent("acme", bad).await.expect_err("notice");
    assert!(e.to_string().contains("not published"), "{e}");

    let mut bad = c;
    bad.subject = "C404".to_owned();
    assert!(p.record_consent("acme", bad).await.is_err());
    p.close().await;
}

const FIRST_TEXT_SHA256: &str = "fa0343363edb8cb3ed1c098a47c28e56a7d7c8ade8dce7ed408b12b6280dd135";

#[tokio::test]
async fn notices_are_versioned_with_their_hash() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    let v1 = p
        .publish_notice("acme", "privacy-notice", "first text", false)
        .await
        .expect("v1");
    let v2 = p
        .publish_notice("acme", "privacy-notice", "second text", true)
        .await
        .expect("v2");
    assert_eq!((v1.version, v2.version), (1, 2));
    // SHA-256 of "first text", computed independently with sha256sum.
    assert_eq!(v1.content_sha256, FIRST_TEXT_SHA256);
    assert_ne!(v1.content_sha256, v2.content_sha256);
    let all = p.notices("acme").await.expect("list");
    assert_eq!(all.len(), 2);
    assert!(all[1].material_change);
    p.close().await;
}

#[tokio::test]
async fn the_bulk_summary_agrees_with_checking_each_subject() {
    let env = Env::new();
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(400, 11, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    for text in ["notice v1", "notice v2"] {
        p.publish_notice("acme", "privacy-notice", text, false)
            .await
            .expect("notice");
    }
    for kind in [ImportKind::Customers, ImportKind::Consents] {
        import(
            &p,
            "acme",
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .expect("import");
    }
    let at = "2025-01-01T00:00:00Z";
    for purpose in [
        "direct_marketing_email",
        "sale_of_data",
        "analytics_profiling",
        "service_delivery",
    ] {
        let summary = p
            .consent_summary("acme", purpose, Some(at))
            .await
            .expect("summary");
        assert_eq!(summary.subjects, 400);
        let mut allowed = 0;
        for i in 1..=400 {
            let id = format!("C{i:07}");
            let d = p
                .check_consent("acme", &id, purpose, None, Some(at))
                .await
                .expect("check");
            allowed += u64::from(d.allowed);
        }
        assert_eq!(summary.allowed, allowed, "{purpose}");
        if purpose == "service_delivery" {
            // Every generated customer has a contract record.
            assert_eq!(summary.allowed, 400);
        } else {
            assert!(
                summary.allowed > 0 && summary.denied > 0,
                "{purpose}: {summary:?}"
            );
        }
    }
    p.close().await;
}

#[tokio::test]
async fn an_erased_subject_keeps_its_consent_evidence() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    p.erase_subject("acme", "C1", None).await.expect("erase");
    // The records stay as evidence, found through the id the subject had.
    let history = p.consent_history("acme", "C1").await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, "K1");
    let d = p
        .check_consent("acme", "C1", "direct_marketing_email", None, None)
        .await
        .expect("check");
    assert_eq!(d.records.len(), 1);
    p.close().await;
}
