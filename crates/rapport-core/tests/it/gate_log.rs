//! The action gate in the tamper-evident log, and audit reports tied to it:
//! every verdict, review, execution and disclosure is an entry of the
//! tenant's log with the right kind and no personal value; the action
//! keeps the pin of each entry; the log still verifies; and a run's report
//! is signed with the tenant's log key over a checkpoint that covers its
//! entries, byte-identical when re-run.
//!
//! The report's signature and checkpoint are checked here with code of the
//! test's own (RFC 8785 canonical JSON, Ed25519 with `ed25519-dalek`), with
//! the public key of the exported tree head: none of the crate's code.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};
use rapport_core::{ExecuteOptions, LogRef, NewConsent, Platform, TargetSpec};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, GivenBy, LawfulBasis};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::gate::{request, subjects};
use crate::support::{age_identity, Env};

const TENANT: &str = "acme";

/// Customers with the personal values the log must never hold.
const CUSTOMERS: &str = "P1,Pia Onesta,pia.onesta@example.org,+49 30 1234567,Hauptstrasse 1,1980-01-01,female,35-44,DE,,2023-01-01,\n\
     P2,Paul Twomey,paul.twomey@example.org,,,1975-05-05,male,45-54,FR,,2023-01-01,\n\
     P3,Pat Threlfall,pat.threlfall@example.org,,,1990-02-02,female,25-34,NL,,2023-01-01,\n\
     E1,Eva Eulenburg,eva.eulenburg@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n";

const CONSENTS: &str =
    "s1,P1,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
     s2,P2,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
     s3,P3,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form,false\n\
     e1,E1,automated_decision,contract,granted,EU,2024-01-01T10:00:00Z,api,false\n";

/// The gate tests' tenant with these customers and consents.
async fn crafted(env: &Env) -> Platform {
    super::gate::crafted(env, CUSTOMERS, CONSENTS).await
}

/// The tenant's log entries of one kind, as listed.
async fn entries(p: &Platform, kind: &str) -> Vec<rapport_core::LogEntryView> {
    p.audit_entries(LogRef::Tenant(TENANT), None, Some(kind))
        .await
        .expect("entries")
}

/// Every entry of the tenant's log, with the entry's canonical text.
async fn log_text(p: &Platform) -> String {
    let all = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries");
    serde_json::to_string(&all.iter().map(|e| &e.body).collect::<Vec<_>>()).expect("json")
}

/// The entry a pin names, checked to be the listed entry with that leaf.
async fn entry_at(p: &Platform, pin: &rapport_core::LogPin) -> rapport_core::LogEntryView {
    let all = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries");
    let e = all
        .into_iter()
        .find(|e| e.seq == pin.seq)
        .unwrap_or_else(|| panic!("no entry {}", pin.seq));
    assert_eq!(e.leaf_hash, pin.leaf_hash, "the pin's leaf hash");
    e
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gate_event_is_a_pinned_log_entry_without_personal_values() {
    let env = Env::new();
    let p = crafted(&env).await;

    // A verdict held for review (Art. 22), then rejected.
    let held = request(
        &p,
        "automated_decision",
        "automated_decision",
        subjects(&["E1"]),
    )
    .await;
    assert_eq!(held.status, "pending_review");
    let pin = held.log.clone().expect("the verdict is pinned at once");
    let e = entry_at(&p, &pin).await;
    assert_eq!(e.kind, "verdict");
    assert_eq!(e.body["action"], held.action.as_str());
    assert_eq!(e.body["outcome"], "needs_review");
    assert_eq!(e.body["status"], "pending_review");
    assert_eq!(e.body["counts"]["review_required"], 1);
    assert_eq!(
        e.body["target"],
        serde_json::json!({"by": "subjects", "lines": 1})
    );
    assert_eq!(
        e.body["policy_hash"],
        held.verdict.pins.policy_hash.as_str()
    );
    assert_eq!(
        e.body["subjects_sha256"],
        held.verdict.pins.subjects_sha256.as_str()
    );
    // The entry binds the whole stored verdict record.
    let record = serde_json::to_value(&held.verdict).expect("verdict");
    let canonical = rapport_audit::canonical::to_string(&record).expect("canonical");
    assert_eq!(e.body["verdict_sha256"], sha256_hex(canonical.as_bytes()));
    let rejected = p
        .review_action(
            &held.action,
            false,
            "Dana Reviewer",
            Some("not this quarter"),
        )
        .await
        .expect("reject");
    let kinds: Vec<&str> = rejected
        .log_entries
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds, ["verdict", "rejection"]);
    let r = entry_at(&p, rejected.log_entries[1].pin.as_ref().expect("pinned")).await;
    assert_eq!(r.body["decision"], "rejected");
    assert_eq!(r.body["action"], held.action.as_str());
    assert_eq!(r.body["noted"], true);
    // The reviewer is a keyed pseudonym: 32 hex digits, the same for the
    // same person.
    let reviewer = r.body["reviewer"].as_str().expect("reviewer");
    assert_eq!(reviewer.len(), 32);
    assert!(reviewer.chars().all(|c| c.is_ascii_hexdigit()));

    // A partner export: verdict, execution and its disclosure.
    let v = request(
        &p,
        "partner_export",
        "partner_data_sharing",
        subjects(&["P1", "P2", "P3"]),
    )
    .await;
    if v.status == "pending_review" {
        let a = p
            .review_action(&v.action, true, "Dana Reviewer", None)
            .await
            .expect("approve");
        let approval = a
            .log_entries
            .iter()
            .find(|e| e.kind == "approval")
            .expect("approval");
        let body = entry_at(&p, approval.pin.as_ref().expect("pinned"))
            .await
            .body;
        assert_eq!(body["reviewer"], reviewer, "one reviewer, one pseudonym");
        assert_eq!(body["noted"], false);
    }
    // A withdrawal before execution leaves P2 out of the list.
    p.record_consent(
        TENANT,
        NewConsent {
            id: None,
            subject: "P2".to_owned(),
            purpose: "partner_data_sharing".to_owned(),
            lawful_basis: LawfulBasis::Consent,
            status: ConsentStatus::Withdrawn,
            jurisdiction: "EU".to_owned(),
            method: CollectionMethod::WebForm,
            recorded_at: None,
            expires_at: None,
            notice: None,
            explicit: false,
            given_by: GivenBy::Subject,
            source: None,
            evidence_ref: None,
            actor: None,
        },
    )
    .await
    .expect("withdraw");
    let (_identity, recipient) = age_identity(env.tmp.path());
    let out = env.tmp.path().join("partner.age");
    let done = p
        .execute_action(
            &v.action,
            &ExecuteOptions {
                recipient_key: Some(recipient.clone()),
                recipient: Some("Partner Co Ltd".to_owned()),
                out: out.clone(),
            },
        )
        .await
        .expect("execute");
    assert_eq!(done.final_count, 2);
    let shown = p.show_action(&v.action, false).await.expect("show");
    let by_kind: BTreeMap<&str, &rapport_core::ActionLogEntry> = shown
        .log_entries
        .iter()
        .map(|e| (e.kind.as_str(), e))
        .collect();
    assert!(by_kind.contains_key("verdict") && by_kind.contains_key("execution"));
    assert_eq!(shown.log, by_kind["verdict"].pin.clone());
    let x = entry_at(&p, by_kind["execution"].pin.as_ref().expect("pinned")).await;
    assert_eq!(x.body["action"], v.action.as_str());
    assert_eq!(x.body["final_count"], 2);
    assert_eq!(x.body["excluded_at_execution"], 1);
    assert_eq!(x.body["excluded_by_rule"]["gdpr.art7.3.withdrawal"], 1);
    assert_eq!(
        x.body["list_sha256"],
        sha256_hex(&std::fs::read(&out).expect("list"))
    );
    assert_eq!(x.body["recipient_sha256"], sha256_hex(recipient.as_bytes()));
    let d = entry_at(&p, by_kind["disclosure"].pin.as_ref().expect("pinned")).await;
    assert_eq!(d.body["subjects"], 2);
    assert_eq!(d.body["purpose"], "partner_data_sharing");
    assert_eq!(
        d.body["fields"],
        serde_json::json!(["external_id", "name", "email"])
    );
    // Who was disclosed: SHA-256 over the sorted keyed pseudonyms, which a
    // holder of the tenant's keys recomputes from the people.
    let mut refs = vec![
        p.audit_subject(TENANT, "P1").await.expect("ref"),
        p.audit_subject(TENANT, "P3").await.expect("ref"),
    ];
    refs.sort();
    let mut h = Sha256::new();
    h.update(b"rapport-gate-subjects-v1\n");
    for r in &refs {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    assert_eq!(d.body["subjects_sha256"], hex::encode(h.finalize()));
    assert_eq!(d.body["recipient"], x.body["recipient"]);

    // `audit log --kind` lists them; nothing personal is in any entry.
    assert_eq!(entries(&p, "verdict").await.len(), 2);
    assert_eq!(entries(&p, "rejection").await.len(), 1);
    assert_eq!(entries(&p, "execution").await.len(), 1);
    assert_eq!(entries(&p, "disclosure").await.len(), 1);
    let text = log_text(&p).await;
    for value in [
        "Pia Onesta",
        "pia.onesta@example.org",
        "+49 30 1234567",
        "Hauptstrasse",
        "Paul Twomey",
        "Pat Threlfall",
        "Eva Eulenburg",
        "1980-01-01",
        "\"P1\"",
        "\"P2\"",
        "\"E1\"",
        "Dana Reviewer",
        "not this quarter",
        "Partner Co Ltd",
        recipient.as_str(),
    ] {
        assert!(!text.contains(value), "the log holds `{value}`");
    }

    // The log still verifies, and the verdicts still replay.
    let report = p.audit_verify(Some(TENANT), None).await.expect("verify");
    assert!(report.ok, "{report:?}");
    for id in [&held.action, &v.action] {
        let r = p.replay_action(id).await.expect("replay");
        assert_eq!(r.verdict, "reproduced", "{r:?}");
    }
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_queued_by_a_crash_is_appended_and_pinned_at_the_next_open() {
    let env = Env::new();
    let p = crafted(&env).await;
    let v = request(
        &p,
        "partner_export",
        "partner_data_sharing",
        subjects(&["P1"]),
    )
    .await;
    let pin = v.log.clone().expect("pinned");
    p.close().await;
    // The log refuses appends while its recorded size disagrees with its
    // entries (as after tampering): the next action still commits, and its
    // entry waits in the outbox, as after a crash between commit and append.
    set_recorded_size(&env, 1).await;
    let p = env.open().await;
    let second = request(
        &p,
        "partner_export",
        "partner_data_sharing",
        subjects(&["P3"]),
    )
    .await;
    assert_eq!(second.log, None);
    assert_eq!(second.log_entries.len(), 1);
    assert_eq!(second.log_entries[0].kind, "verdict");
    assert_eq!(second.log_entries[0].pin, None);
    p.close().await;
    // Once the log is consistent again, the next open appends the entry and
    // showing the action pins it.
    set_recorded_size(&env, -1).await;
    let p = env.open().await;
    let shown = p.show_action(&second.action, false).await.expect("show");
    let late = shown.log.clone().expect("appended at the open and pinned");
    assert!(late.seq > pin.seq);
    assert_eq!(
        entry_at(&p, &late).await.body["action"],
        second.action.as_str()
    );
    // The pin is stored: shown again, it is the same.
    let again = p.show_action(&second.action, false).await.expect("show");
    assert_eq!(again.log, Some(late));
    let report = p.audit_verify(Some(TENANT), None).await.expect("verify");
    assert!(report.ok, "{report:?}");
    p.close().await;
}

/// Shifts the size the log database records for the tenant's log.
async fn set_recorded_size(env: &Env, delta: i64) {
    use sqlx::{Connection, SqliteConnection};
    let url = format!("sqlite://{}", env.dirs.data.join("audit.db").display());
    let mut c = SqliteConnection::connect(&url).await.expect("audit.db");
    let done = sqlx::query("UPDATE audit_logs SET size = size + ? WHERE tenant = ?")
        .bind(delta)
        .bind(TENANT)
        .execute(&mut c)
        .await
        .expect("update");
    assert_eq!(done.rows_affected(), 1);
    c.close().await.expect("close");
}

// ---- Reports ----

/// RFC 8785 canonical JSON, written here from the RFC: members sorted by
/// UTF-16 code units, ECMAScript number formatting, minimal escaping.
fn jcs(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let f = n.as_f64().expect("finite");
                out.push_str(&es_number(f));
            }
        }
        Value::String(s) => jcs_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs_string(k, out);
                out.push(':');
                jcs(&m[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn jcs_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript's Number::toString for finite doubles: the shortest digits
/// that round-trip (Rust's formatting gives those too), plain notation
/// from 1e-6 to 1e21, exponent notation with a sign outside it.
fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_owned();
    }
    let a = f.abs();
    if (1e-6..1e21).contains(&a) {
        let s = format!("{f}");
        s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
    } else {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').expect("exponent");
        if e.starts_with('-') {
            format!("{m}e{e}")
        } else {
            format!("{m}e+{e}")
        }
    }
}

/// Checks a JSON report's signature and checkpoint with the exported head's
/// public key, with no code of the crate.
fn check_independently(report: &str, head: &Value) {
    let key_bytes: [u8; 32] = hex::decode(head["public_key"].as_str().expect("key"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let key = VerifyingKey::from_bytes(&key_bytes).expect("key");
    let mut v: Value = serde_json::from_str(report).expect("json");
    let sig = v
        .as_object_mut()
        .expect("object")
        .remove("signature")
        .expect("signed");
    assert_eq!(sig["algorithm"], "ed25519");
    assert_eq!(sig["key_id"], head["key_id"]);
    let mut message = String::new();
    jcs(&v, &mut message);
    let s: [u8; 64] = hex::decode(sig["value"].as_str().expect("value"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    key.verify_strict(message.as_bytes(), &Signature::from_bytes(&s))
        .expect("the report's signature verifies");
    // The checkpoint is a tree head signed with the same key.
    let c = &v["checkpoint"];
    let head_message = serde_json::json!({
        "format": "rapport.audit-tree-head.v1",
        "key_id": c["key_id"],
        "log": c["log"],
        "root": c["root_hash"],
        "size": c["tree_size"],
        "tenant": v["tenant"],
        "timestamp": c["timestamp"],
    });
    let mut hm = String::new();
    jcs(&head_message, &mut hm);
    let hs: [u8; 64] = hex::decode(c["signature"].as_str().expect("sig"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    key.verify_strict(hm.as_bytes(), &Signature::from_bytes(&hs))
        .expect("the checkpoint's signature verifies");
    // Changing one figure breaks the signature.
    let tampered = message.replacen("\"subjects\":", "\"subjects\":1", 1);
    assert!(key
        .verify_strict(tampered.as_bytes(), &Signature::from_bytes(&s))
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_signed_tied_to_a_covering_head_and_repeatable() {
    let env = Env::new();
    let (p, run) = super::gate::generated_with_rfm(&env, 200).await;
    // Where `generated_with_rfm` wrote the generated sample it imported.
    let sample = env.tmp.path().join("sample");
    let v = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        TargetSpec::Top {
            run: run.clone(),
            n: 40,
        },
    )
    .await;
    if v.status == "pending_review" {
        p.review_action(&v.action, true, "Dana Reviewer", None)
            .await
            .expect("approve");
    }
    p.execute_action(
        &v.action,
        &ExecuteOptions {
            out: env.tmp.path().join("list.csv"),
            ..Default::default()
        },
    )
    .await
    .expect("execute");

    let first = p
        .audit_report(TENANT, &run, None)
        .await
        .expect("report")
        .canonical_json()
        .expect("json");
    let head = serde_json::to_value(
        p.audit_export_head(LogRef::Tenant(TENANT))
            .await
            .expect("export head"),
    )
    .expect("head");
    check_independently(&first, &head);
    let parsed: Value = serde_json::from_str(&first).expect("json");
    let c = &parsed["checkpoint"];
    assert_eq!(c["log"], head["log"]);
    // The checkpoint covers the run's entry and every entry of the action.
    let covered: Vec<(&str, u64)> = c["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind"),
                e["seq"].as_u64().expect("seq"),
            )
        })
        .collect();
    let kinds: Vec<&str> = covered.iter().map(|(k, _)| *k).collect();
    assert!(kinds.starts_with(&["run", "verdict"]), "{kinds:?}");
    assert!(kinds.contains(&"execution"), "{kinds:?}");
    let size = c["tree_size"].as_u64().expect("size");
    assert!(covered.iter().all(|(_, seq)| *seq < size));
    // An inclusion proof of the verdict's entry checks against that head.
    let verdict_seq = covered[1].1;
    let proof = p
        .audit_prove(LogRef::Tenant(TENANT), verdict_seq, None)
        .await
        .expect("prove");
    assert!(proof.entry.contains(&v.action));
    assert!(!parsed["notes"].as_array().expect("notes").iter().any(|n| n
        .as_str()
        .is_some_and(|n| n.contains("Not signed") || n.contains("Not tied"))));

    // Re-run on the same records: the same bytes, also after the log grew
    // by entries the report does not rely on and a newer head was signed.
    let again = p
        .audit_report(TENANT, &run, None)
        .await
        .expect("report")
        .canonical_json()
        .expect("json");
    assert_eq!(first, again);
    p.publish_notice(TENANT, "privacy-notice", "notice v9", false)
        .await
        .expect("notice");
    p.audit_checkpoint(LogRef::Tenant(TENANT))
        .await
        .expect("checkpoint");
    let later = p
        .audit_report(TENANT, &run, None)
        .await
        .expect("report")
        .canonical_json()
        .expect("json");
    assert_eq!(
        first, later,
        "the report pins the earliest head covering its entries"
    );
    let newer = serde_json::to_value(
        p.audit_export_head(LogRef::Tenant(TENANT))
            .await
            .expect("export head"),
    )
    .expect("head");
    assert!(newer["tree_size"].as_u64() > Some(size));
    check_independently(&later, &newer);

    // A new action on the run changes the report and ties it to a later head.
    let w = request(
        &p,
        "email_campaign",
        "direct_marketing_email",
        TargetSpec::Top {
            run: run.clone(),
            n: 10,
        },
    )
    .await;
    let changed = p
        .audit_report(TENANT, &run, None)
        .await
        .expect("report")
        .canonical_json()
        .expect("json");
    assert_ne!(first, changed);
    assert!(changed.contains(&w.action));
    let cp: Value = serde_json::from_str(&changed).expect("json");
    assert!(cp["checkpoint"]["tree_size"].as_u64() > Some(size));

    // No row-level value of the input is in the report.
    let mut rdr = csv::Reader::from_path(sample.join("customers.csv")).expect("csv");
    let headers = rdr.headers().expect("headers").clone();
    let cols: Vec<usize> = ["id", "name", "email", "phone", "address", "birth_date"]
        .iter()
        .map(|c| headers.iter().position(|h| h == *c).expect("column"))
        .collect();
    for r in rdr.records() {
        let r = r.expect("row");
        for &col in &cols {
            if let Some(value) = r.get(col).filter(|v| v.len() >= 6) {
                assert!(!changed.contains(value), "the report holds `{value}`");
            }
        }
    }
    p.close().await;
}
