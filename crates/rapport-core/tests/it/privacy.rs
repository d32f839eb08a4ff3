//! Data-subject rights end to end on real files: exports checked against the
//! generator's source CSV and decrypted by the real `age` binary, erasure
//! that survives re-imports and restores, rectification, request clocks and
//! the retention sweep.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rapport_core::{CoreError, ImportKind, Platform};
use serde_json::Value;

use crate::support::age_identity;
use crate::support::{import, import_base, Env};

/// Rows of a generated CSV file as header → value maps.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).expect("csv");
    let headers = rdr.headers().expect("headers").clone();
    rdr.records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Decrypts with the real `age` binary and parses the JSON.
fn age_decrypt(identity: &Path, file: &Path) -> (Value, String) {
    let text = crate::support::age_decrypt_text(identity, file);
    (serde_json::from_str(&text).expect("JSON"), text)
}

struct Sample {
    env: Env,
    dir: PathBuf,
}

async fn generated(customers: u64) -> (Sample, Platform) {
    let env = Env::new();
    let dir = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(customers, 11, dir.clone()),
        &|_| {},
    )
    .expect("generate");
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    for kind in ImportKind::ALL {
        import(
            &p,
            "acme",
            kind,
            &dir.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    (Sample { env, dir }, p)
}

/// The customer with the most records of every kind in the source files,
/// among those with a referral and an interaction text.
fn busiest_customer(dir: &Path) -> String {
    let mut score: BTreeMap<String, (usize, bool, bool)> = BTreeMap::new();
    for r in rows(&dir.join("transactions.csv")) {
        score.entry(r["customer_id"].clone()).or_default().0 += 1;
    }
    for r in rows(&dir.join("interactions.csv")) {
        let e = score.entry(r["stakeholder_id"].clone()).or_default();
        e.0 += 1;
        e.2 |= !r["text"].is_empty();
    }
    for r in rows(&dir.join("referrals.csv")) {
        for side in ["referrer_id", "referred_id"] {
            let e = score.entry(r[side].clone()).or_default();
            e.0 += 1;
            e.1 = true;
        }
    }
    score
        .into_iter()
        .filter(|(id, (_, referral, text))| id.starts_with('C') && *referral && *text)
        .max_by_key(|(_, (n, _, _))| *n)
        .map(|(id, _)| id)
        .expect("a customer with referrals and interaction texts")
}

/// Everything the source files say about one subject.
struct Truth {
    profile: HashMap<String, String>,
    transactions: Vec<String>,
    interactions: Vec<(String, String)>,
    deliveries: Vec<String>,
    referrals: Vec<String>,
    consents: Vec<String>,
}

fn truth(dir: &Path, id: &str) -> Truth {
    let profile_file = if id.starts_with('S') {
        "suppliers.csv"
    } else {
        "customers.csv"
    };
    let profile = rows(&dir.join(profile_file))
        .into_iter()
        .find(|r| r["id"] == id)
        .expect("subject in source");
    let ids = |file: &str, cols: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = rows(&dir.join(file))
            .into_iter()
            .filter(|r| cols.iter().any(|c| r[*c] == id))
            .map(|r| r["id"].clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut interactions: Vec<(String, String)> = rows(&dir.join("interactions.csv"))
        .into_iter()
        .filter(|r| r["stakeholder_id"] == id)
        .map(|r| (r["id"].clone(), r["text"].clone()))
        .collect();
    interactions.sort();
    Truth {
        profile,
        transactions: ids("transactions.csv", &["customer_id"]),
        interactions,
        deliveries: ids("deliveries.csv", &["supplier_id"]),
        referrals: ids("referrals.csv", &["referrer_id", "referred_id"]),
        consents: ids("consents.csv", &["subject_id"]),
    }
}

fn ids_of(doc: &Value, section: &str) -> Vec<String> {
    let mut v: Vec<String> = doc[section]
        .as_array()
        .unwrap_or_else(|| panic!("section {section}"))
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[tokio::test]
async fn export_holds_every_record_and_opens_with_the_age_tool() {
    let (s, p) = generated(300).await;
    let (identity, recipient) = age_identity(s.env.tmp.path());
    for id in [busiest_customer(&s.dir), "S0001".to_owned()] {
        let t = truth(&s.dir, &id);
        let out = s.env.tmp.path().join(format!("{id}.age"));
        let report = p
            .export_subject("acme", &id, &recipient, &out, None)
            .await
            .expect("export");
        assert!(!report.erased);
        let raw = std::fs::read(&out).expect("read export");
        assert!(raw.starts_with(b"age-encryption.org/v1"));
        let (doc, _) = age_decrypt(&identity, &out);
        assert_eq!(doc["format"], "rapport.subject-export.v1");
        assert_eq!(doc["subject"]["id"], id.as_str());
        assert_eq!(doc["erasure"]["erased"], false);
        // Opened personal fields equal the source row, field by field.
        let fields = doc["subject"]["fields"].as_object().expect("fields");
        for name in [
            "name",
            "contact_name",
            "email",
            "phone",
            "address",
            "birth_date",
            "gender",
            "age_band",
            "notes",
        ] {
            let want = t.profile.get(name).filter(|v| !v.is_empty());
            assert_eq!(
                fields.get(name).and_then(Value::as_str),
                want.map(String::as_str),
                "{id} field {name}"
            );
        }
        assert_eq!(ids_of(&doc, "transactions"), t.transactions, "{id}");
        assert_eq!(ids_of(&doc, "deliveries"), t.deliveries, "{id}");
        assert_eq!(ids_of(&doc, "referrals"), t.referrals, "{id}");
        assert_eq!(ids_of(&doc, "consents"), t.consents, "{id}");
        let mut interactions: Vec<(String, String)> = doc["interactions"]
            .as_array()
            .expect("interactions")
            .iter()
            .map(|x| {
                (
                    x["id"].as_str().expect("id").to_owned(),
                    x["text"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        interactions.sort();
        assert_eq!(
            interactions, t.interactions,
            "{id}: interactions with opened text"
        );
        // No action ever targeted these subjects: the sections are there,
        // empty, for readers to rely on.
        for section in ["scores", "decisions", "disclosures"] {
            assert_eq!(doc[section], Value::Array(vec![]), "{section}");
        }
        // The export is recorded as a completed access request.
        assert_eq!(report.counts["transactions"], t.transactions.len() as u64);
        let requests = p
            .privacy_requests("acme", true, None)
            .await
            .expect("requests");
        let r = requests
            .iter()
            .find(|r| r.id == report.request_id)
            .expect("request");
        assert_eq!(
            (r.kind.as_str(), r.status.as_str()),
            ("access", "completed")
        );
    }
    // A file is never overwritten, and a bad recipient is named clearly.
    let again = s.env.tmp.path().join("S0001.age");
    let err = p
        .export_subject("acme", "S0001", &recipient, &again, None)
        .await
        .expect_err("exists");
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = p
        .export_subject(
            "acme",
            "S0001",
            "age1nope",
            &s.env.tmp.path().join("x.age"),
            None,
        )
        .await
        .expect_err("bad recipient");
    assert!(err.to_string().contains("age X25519 public key"), "{err}");
    p.close().await;
}

#[tokio::test]
async fn erasure_leaves_no_personal_value_and_a_reimport_does_not_resurrect() {
    let (s, p) = generated(300).await;
    let id = busiest_customer(&s.dir);
    let t = truth(&s.dir, &id);
    let before = p.tenant_info("acme").await.expect("info");

    let r = p.erase_subject("acme", &id, None).await.expect("erase");
    assert!(r.key_destroyed && !r.already_erased);
    assert!(r.pseudonym.starts_with("erased#"));
    assert!(r.recipients_to_notify.is_empty());
    assert!(matches!(
        p.profile("acme", &id).await,
        Err(CoreError::Erased(_))
    ));
    // Erasing again changes nothing and says so.
    let again = p
        .erase_subject("acme", &id, None)
        .await
        .expect("erase again");
    assert!(again.already_erased && !again.key_destroyed);
    assert_eq!(again.pseudonym, r.pseudonym);

    let (identity, recipient) = age_identity(s.env.tmp.path());
    let out = s.env.tmp.path().join("erased.age");
    let report = p
        .export_subject("acme", &id, &recipient, &out, None)
        .await
        .expect("export of an erased subject");
    assert!(report.erased);
    let (doc, text) = age_decrypt(&identity, &out);
    assert_eq!(doc["erasure"]["erased"], true);
    assert_eq!(doc["subject"]["fields"], Value::Object(Default::default()));
    let mut personal: Vec<&str> = t
        .profile
        .iter()
        .filter(|(k, v)| {
            !v.is_empty() && !["country", "region", "signup_date"].contains(&k.as_str())
        })
        .map(|(_, v)| v.as_str())
        .collect();
    personal.extend(
        t.interactions
            .iter()
            .map(|(_, x)| x.as_str())
            .filter(|x| !x.is_empty()),
    );
    assert!(personal.len() >= 5);
    for v in personal {
        assert!(
            !text.contains(v),
            "the erased export contains a personal value of column {v:?}"
        );
    }
    // What the law keeps is still there, under the pseudonym.
    assert_eq!(ids_of(&doc, "transactions"), t.transactions);
    assert_eq!(ids_of(&doc, "consents"), t.consents);
    assert!(doc["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .all(|x| x["text"].is_null()));

    // Re-importing every source file brings nobody back.
    for kind in ImportKind::ALL {
        let rep = import(
            &p,
            "acme",
            kind,
            &s.dir.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(rep.written, 0, "{kind} wrote rows");
        if kind == ImportKind::Customers {
            assert_eq!(rep.skipped_erased, 1);
        }
    }
    assert!(matches!(
        p.profile("acme", &id).await,
        Err(CoreError::Erased(_))
    ));
    let after = p.tenant_info("acme").await.expect("info");
    assert_eq!(before.customers, after.customers);
    assert_eq!(before.transactions, after.transactions);
    // No row of the store names the original id any more.
    let needle = format!("'{id}'");
    for line in p.content_dump().await.expect("dump") {
        assert!(!line.contains(&needle), "store still names {id}: {line}");
    }
    p.close().await;
}

#[tokio::test]
async fn a_restored_backup_from_before_an_erasure_keeps_the_subject_erased() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let req = p
        .log_privacy_request("acme", "C2", "erasure", "EU", None)
        .await
        .expect("request");
    let backup = env.tmp.path().join("before.db");
    let b = p.backup(&backup).await.expect("backup");
    assert!(!b.keys_included && b.bytes > 0);
    assert!(p.backup(&backup).await.is_err(), "never overwrites");
    p.erase_subject("acme", "C2", Some(req.id))
        .await
        .expect("erase");
    p.close().await;

    let r = Platform::restore(env.dirs.clone(), &env.unlock, &backup)
        .await
        .expect("restore");
    assert_eq!(r.erasures_replayed, 1);
    assert_eq!(r.tenants, vec!["acme".to_owned()]);
    let p = env.open().await;
    assert!(matches!(
        p.profile("acme", "C2").await,
        Err(CoreError::Erased(_))
    ));
    assert_eq!(
        p.profile("acme", "C1")
            .await
            .expect("C1")
            .fields
            .get("name")
            .map(String::as_str),
        Some("Amara Okafor")
    );
    // The restored pending request is answered by the replayed erasure.
    let all = p.privacy_requests("acme", true, None).await.expect("list");
    let restored = all.iter().find(|x| x.id == req.id).expect("request");
    assert_eq!(restored.status, "completed");
    assert!(!restored.subject.contains("C2"));
    // The restored file does not name C2 or hold its sealed fields.
    let dump = p.content_dump().await.expect("dump").join("\n");
    assert!(!dump.contains("'C2'"));
    p.close().await;

    // Not a store, or another data directory's store: refused, nothing changed.
    let junk = env.tmp.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes").expect("write");
    let before = std::fs::read(env.dirs.database()).expect("db");
    let err = Platform::restore(env.dirs.clone(), &env.unlock, &junk)
        .await
        .expect_err("junk");
    assert!(err.to_string().contains("is not a Rapport store"), "{err}");
    let other = Env::new();
    let mut q = other.init().await;
    q.create_tenant("acme").await.expect("tenant");
    let foreign = other.tmp.path().join("foreign.db");
    q.backup(&foreign).await.expect("backup");
    q.close().await;
    let err = Platform::restore(env.dirs.clone(), &env.unlock, &foreign)
        .await
        .expect_err("foreign");
    assert!(err.to_string().contains("another data directory"), "{err}");
    assert_eq!(before, std::fs::read(env.dirs.database()).expect("db"));
}

#[tokio::test]
async fn a_backup_copied_in_by_hand_is_replayed_on_open() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let backup = env.tmp.path().join("before.db");
    p.backup(&backup).await.expect("backup");
    p.erase_subject("acme", "C3", None).await.expect("erase");
    p.close().await;
    std::fs::copy(&backup, env.dirs.database()).expect("copy over");
    let p = env.open().await;
    assert!(matches!(
        p.profile("acme", "C3").await,
        Err(CoreError::Erased(_))
    ));
    let dump = p.content_dump().await.expect("dump").join("\n");
    assert!(!dump.contains("'C3'"));
    p.close().await;
}

#[tokio::test]
async fn rectification_reseals_one_field_and_survives_a_reimport() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let r = p
        .rectify_subject("acme", "C1", "email", "amara.new@example.org", None)
        .await
        .expect("rectify");
    assert!(!r.protected);
    let r = p
        .rectify_subject("acme", "C1", "gender", "non-binary", None)
        .await
        .expect("rectify a protected attribute");
    assert!(r.protected);
    let profile = p.profile("acme", "C1").await.expect("profile");
    assert_eq!(profile.fields["email"], "amara.new@example.org");
    assert_eq!(profile.fields["gender"], "non-binary");
    assert_eq!(profile.fields["name"], "Amara Okafor");
    // The unchanged source file does not write the old value back.
    let rep = import(
        &p,
        "acme",
        ImportKind::Customers,
        &crate::support::fixtures().join("base/customers.csv"),
    )
    .await
    .expect("reimport");
    assert_eq!(rep.written, 0);
    assert_eq!(
        p.profile("acme", "C1").await.expect("profile").fields["email"],
        "amara.new@example.org"
    );
    // Bad input: one clear line, never the value.
    let err = p
        .rectify_subject("acme", "C1", "shoe_size", "44", None)
        .await
        .expect_err("unknown field");
    assert!(
        err.to_string()
            .contains("`shoe_size` is not a personal field of a customer"),
        "{err}"
    );
    let err = p
        .rectify_subject("acme", "S1", "birth_date", "1990-01-01", None)
        .await
        .expect_err("suppliers have no birth date");
    assert!(err.to_string().contains("of a supplier"), "{err}");
    let err = p
        .rectify_subject("acme", "C1", "email", "secret-not-an-address", None)
        .await
        .expect_err("bad email");
    assert!(
        err.to_string().contains("is not an e-mail address"),
        "{err}"
    );
    assert!(!err.to_string().contains("secret-not"), "{err}");
    p.erase_subject("acme", "C2", None).await.expect("erase");
    let err = p
        .rectify_subject("acme", "C2", "email", "x@example.org", None)
        .await
        .expect_err("erased");
    assert!(matches!(err, CoreError::Erased(_)), "{err}");
    let done = p.privacy_requests("acme", true, None).await.expect("list");
    assert_eq!(
        done.iter()
            .filter(|r| r.kind == "rectification" && r.status == "completed")
            .count(),
        2
    );
    p.close().await;
}

#[tokio::test]
async fn requests_run_on_their_legal_clocks() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    // GDPR Art. 12(3): one month, clamped to the month's end.
    let eu = p
        .log_privacy_request("acme", "C1", "access", "EU", Some("2024-01-31"))
        .await
        .expect("eu");
    assert_eq!(
        (eu.due_at.as_str(), eu.confirmation_due_at.as_deref()),
        ("2024-02-29", None)
    );
    // CCPA: 45 days, confirmation within 10 business days (2024-06-07 is a Friday).
    let ca = p
        .log_privacy_request("acme", "C3", "erasure", "US-CA", Some("2024-06-07"))
        .await
        .expect("ca");
    assert_eq!(ca.due_at, "2024-07-22");
    assert_eq!(ca.confirmation_due_at.as_deref(), Some("2024-06-21"));
    let opt = p
        .log_privacy_request("acme", "C3", "opt_out", "US-CA", Some("2024-06-07"))
        .await
        .expect("opt-out");
    assert_eq!(opt.due_at, "2024-06-28");

    let list = p
        .privacy_requests("acme", false, Some("2024-02-25"))
        .await
        .expect("list");
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].id, eu.id, "earliest deadline first");
    assert_eq!(list[0].days_left, Some(4));
    assert!(list[0]
        .warning
        .as_deref()
        .is_some_and(|w| w.contains("due in 4 day(s)")));
    assert!(list[1].warning.is_none());
    let late = p
        .privacy_requests("acme", false, Some("2024-07-01"))
        .await
        .expect("list");
    assert!(late
        .iter()
        .find(|r| r.id == opt.id)
        .and_then(|r| r.warning.as_deref())
        .is_some_and(|w| w.contains("overdue by 3 day(s)")));

    // Extensions: too late for these dates (today is after them), refused
    // for an opt-out, and allowed once for a fresh request.
    let err = p
        .extend_privacy_request("acme", eu.id, "complex")
        .await
        .expect_err("late");
    assert!(err.to_string().contains("within the first period"), "{err}");
    let err = p
        .extend_privacy_request("acme", opt.id, "busy")
        .await
        .expect_err("no extension");
    assert!(
        err.to_string()
            .contains("cannot be extended under the CCPA"),
        "{err}"
    );
    let fresh = p
        .log_privacy_request("acme", "C1", "portability", "GB", None)
        .await
        .expect("fresh");
    let ext = p
        .extend_privacy_request("acme", fresh.id, "many systems to search")
        .await
        .expect("extend");
    assert_eq!(ext.status, "extended");
    assert!(ext.extended_due_at.as_deref() > Some(ext.due_at.as_str()));
    let err = p
        .extend_privacy_request("acme", fresh.id, "again")
        .await
        .expect_err("twice");
    assert!(err.to_string().contains("already extended once"), "{err}");

    // Bad input is named.
    for (kind, j, received, want) in [
        ("delete", "EU", None, "unknown request kind `delete`"),
        (
            "access",
            "US-TX",
            None,
            "no legal clock is defined for jurisdiction `US-TX`",
        ),
        ("access", "EU", Some("2024-02-30"), "is not a calendar date"),
        ("access", "EU", Some("2999-01-01"), "is in the future"),
    ] {
        let err = p
            .log_privacy_request("acme", "C1", kind, j, received)
            .await
            .expect_err(want);
        assert!(err.to_string().contains(want), "{err}");
    }

    // Completing: an export answers a logged portability request; the wrong
    // kind or subject is refused before anything happens.
    let (_identity, recipient) = age_identity(env.tmp.path());
    let out = env.tmp.path().join("c1.age");
    let err = p
        .export_subject("acme", "C1", &recipient, &out, Some(ca.id))
        .await
        .expect_err("another subject");
    assert!(err.to_string().contains("about another subject"), "{err}");
    let err = p
        .erase_subject("acme", "C1", Some(fresh.id))
        .await
        .expect_err("wrong kind");
    assert!(err.to_string().contains("not erasure"), "{err}");
    assert!(p.profile("acme", "C1").await.is_ok(), "nothing erased");
    let r = p
        .export_subject("acme", "C1", &recipient, &out, Some(fresh.id))
        .await
        .expect("export");
    assert_eq!(r.request_id, fresh.id);
    let pending = p.privacy_requests("acme", false, None).await.expect("list");
    assert!(pending.iter().all(|x| x.id != fresh.id));
    p.close().await;
}

/// From the source files: each stakeholder's last active day and whether it
/// has transactions or deliveries.
fn activity(dir: &Path) -> HashMap<String, (String, bool)> {
    let mut m: HashMap<String, (String, bool)> = HashMap::new();
    let mut see = |id: &str, date: &str, records: bool| {
        let e = m.entry(id.to_owned()).or_default();
        let day = &date[..date.len().min(10)];
        if day > e.0.as_str() {
            e.0 = day.to_owned();
        }
        e.1 |= records;
    };
    for r in rows(&dir.join("customers.csv")) {
        see(&r["id"], &r["signup_date"], false);
    }
    for file in ["suppliers.csv", "partners.csv"] {
        for r in rows(&dir.join(file)) {
            see(&r["id"], "", false);
        }
    }
    for r in rows(&dir.join("transactions.csv")) {
        see(&r["customer_id"], &r["date"], true);
    }
    for r in rows(&dir.join("deliveries.csv")) {
        see(&r["supplier_id"], &r["order_date"], true);
        see(&r["supplier_id"], &r["delivered_date"], true);
    }
    for r in rows(&dir.join("interactions.csv")) {
        see(&r["stakeholder_id"], &r["occurred_at"], false);
    }
    for r in rows(&dir.join("consents.csv")) {
        see(&r["subject_id"], &r["recorded_at"], false);
    }
    for r in rows(&dir.join("referrals.csv")) {
        see(&r["referrer_id"], &r["date"], false);
        see(&r["referred_id"], &r["date"], false);
    }
    m
}

fn plus_days(date: &str, days: i64) -> String {
    let d = rapport_domain::time_fmt::parse_date(date).expect("date");
    rapport_domain::time_fmt::format_date(d + time::Duration::days(days))
}

#[tokio::test]
async fn the_retention_sweep_erases_what_outlived_its_purposes_once() {
    let (s, p) = generated(200).await;
    let activity = activity(&s.dir);

    // Half-way through the second year after the sample: customer support's
    // three years have passed for the early interactions' text only.
    let as_of = "2026-06-01";
    let texts = p
        .retention_sweep("acme", Some(as_of), true)
        .await
        .expect("dry run");
    let cutoff = plus_days(as_of, -1095);
    let want_texts = rows(&s.dir.join("interactions.csv"))
        .into_iter()
        .filter(|r| !r["text"].is_empty() && r["occurred_at"] < cutoff)
        .count() as u64;
    assert!(
        want_texts > 0 && texts.interaction_texts_dropped == want_texts,
        "{} vs {want_texts}",
        texts.interaction_texts_dropped
    );
    // Nobody with business records is erased before ten years of legal record keeping.
    for id in &texts.erased {
        assert!(!activity[id].1, "{id} has records the law keeps");
    }

    // Ten years after the middle of the sample: a stakeholder with business
    // records is erased exactly when its last activity is more than the
    // legal record-keeping period (3653 days, the longest in the policy) ago.
    let as_of = "2034-09-01";
    let dump = p.content_dump().await.expect("dump");
    let dry = p
        .retention_sweep("acme", Some(as_of), true)
        .await
        .expect("dry run");
    assert_eq!(
        p.content_dump().await.expect("dump"),
        dump,
        "a dry run changes nothing"
    );
    let mut want: Vec<&String> = activity
        .iter()
        .filter(|(_, (last, records))| *records && plus_days(last, 3653).as_str() < as_of)
        .map(|(id, _)| id)
        .collect();
    want.sort();
    let mut got: Vec<&String> = dry.erased.iter().filter(|id| activity[*id].1).collect();
    got.sort();
    assert_eq!(got, want);
    assert!(
        !want.is_empty() && want.len() < activity.len() / 2 + activity.len() / 3,
        "a mix: {} of {}",
        want.len(),
        activity.len()
    );
    // Without business records, nothing outlives 3653 days either.
    for (id, (last, _)) in &activity {
        if plus_days(last, 3653).as_str() < as_of {
            assert!(dry.erased.contains(id), "{id}");
        }
    }

    let first = p
        .retention_sweep("acme", Some(as_of), false)
        .await
        .expect("sweep");
    assert_eq!(first.erased, dry.erased);
    assert_eq!(
        first.interaction_texts_dropped,
        dry.interaction_texts_dropped
    );
    for id in &first.erased {
        assert!(
            matches!(p.profile("acme", id).await, Err(CoreError::Erased(_))),
            "{id}"
        );
    }
    let kept = activity
        .keys()
        .find(|id| !first.erased.contains(*id))
        .expect("someone kept");
    assert!(p.profile("acme", kept).await.is_ok());

    // Running it again changes nothing.
    let after_first = p.content_dump().await.expect("dump");
    let second = p
        .retention_sweep("acme", Some(as_of), false)
        .await
        .expect("again");
    assert!(second.erased.is_empty(), "{:?}", second.erased);
    assert_eq!(second.interaction_texts_dropped, 0);
    assert_eq!(
        p.content_dump().await.expect("dump"),
        after_first,
        "the second run changes nothing"
    );
    p.close().await;
}
