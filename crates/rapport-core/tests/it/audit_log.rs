//! The tamper-evident audit log on a real data directory: every action
//! leaves an entry; an untouched log verifies; entries edited, deleted,
//! inserted or reordered directly in `audit.db` (its guarding triggers
//! dropped, hashes recomputed, as an attacker with file access would) are
//! named by `audit_verify`; proofs check with an independent verifier
//! written here (SHA-256, Ed25519 and RFC 9162's algorithm, none of the
//! crate's code); a restore never truncates the log; and the log holds no
//! personal value in plaintext.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, VerifyingKey};
use rapport_core::{
    DataDirs, EntryKind, ExportedHead, ImportKind, LogRef, NewConsent, Platform, Tamper,
    VerifyReport,
};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, GivenBy, LawfulBasis};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Connection, SqliteConnection};

use crate::support::{all_files, import, import_base, Env};

const TENANT: &str = "acme";

fn consent(subject: &str, status: ConsentStatus) -> NewConsent {
    NewConsent {
        id: None,
        subject: subject.to_owned(),
        purpose: "direct_marketing_email".to_owned(),
        lawful_basis: LawfulBasis::Consent,
        status,
        jurisdiction: "EU".to_owned(),
        method: CollectionMethod::WebForm,
        recorded_at: None,
        expires_at: None,
        notice: None,
        explicit: false,
        given_by: GivenBy::Subject,
        source: Some("checkout form".to_owned()),
        evidence_ref: None,
        actor: Some("Amara's account manager".to_owned()),
    }
}

/// A data directory whose `acme` log records imports, consent changes, a
/// privacy request and an erasure, with a signed head in the middle.
async fn populated(env: &Env) {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    import_base(&p, TENANT).await;
    p.record_consent(TENANT, consent("C1", ConsentStatus::Withdrawn))
        .await
        .expect("withdrawal");
    p.audit_checkpoint(LogRef::Tenant(TENANT))
        .await
        .expect("checkpoint");
    let r = p
        .log_privacy_request(TENANT, "C2", "erasure", "EU", None)
        .await
        .expect("request");
    p.erase_subject(TENANT, "C2", Some(r.id))
        .await
        .expect("erasure");
    p.record_consent(TENANT, consent("C1", ConsentStatus::Granted))
        .await
        .expect("grant");
    p.close().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A fresh copy of the populated data directory, to tamper with.
fn copy_of(env: &Env, name: &str) -> DataDirs {
    let dirs = DataDirs::new(env.tmp.path().join(name));
    copy_dir(&env.dirs.data, &dirs.data);
    dirs
}

async fn verify(env: &Env, dirs: &DataDirs, head: Option<&ExportedHead>) -> VerifyReport {
    let p = Platform::open(dirs.clone(), &env.unlock)
        .await
        .expect("open");
    let r = p.audit_verify(Some(TENANT), head).await.expect("verify");
    p.close().await;
    r
}

fn first_bad(r: &VerifyReport) -> (u64, Tamper) {
    let log = &r.logs[0];
    let bad = log
        .first_bad_entry
        .as_ref()
        .unwrap_or_else(|| panic!("a bad entry is named: {r:#?}"));
    (bad.seq, bad.tamper)
}

/// An attacker's connection to `audit.db`, with the guarding triggers gone.
async fn attacker(dirs: &DataDirs) -> SqliteConnection {
    let url = format!("sqlite://{}", dirs.data.join("audit.db").display());
    let mut c = SqliteConnection::connect(&url).await.expect("connect");
    for t in [
        "audit_entries_no_update",
        "audit_entries_no_delete",
        "audit_heads_no_update",
        "audit_heads_no_delete",
        "audit_logs_no_delete",
        "audit_logs_identity_fixed",
    ] {
        sqlx::query(&format!("DROP TRIGGER {t}"))
            .execute(&mut c)
            .await
            .expect("drop trigger");
    }
    c
}

async fn log_id(c: &mut SqliteConnection) -> String {
    let (id,): (String,) = sqlx::query_as("SELECT log_id FROM audit_logs WHERE tenant = ?")
        .bind(TENANT)
        .fetch_one(&mut *c)
        .await
        .expect("log id");
    id
}

async fn entry_text(c: &mut SqliteConnection, log: &str, seq: i64) -> Value {
    let (text,): (String,) =
        sqlx::query_as("SELECT entry FROM audit_entries WHERE log_id = ? AND seq = ?")
            .bind(log)
            .bind(seq)
            .fetch_one(&mut *c)
            .await
            .expect("entry");
    serde_json::from_str(&text).expect("json")
}

/// Rewrites an entry as a careful attacker would: canonical bytes, and the
/// leaf hash recomputed (the receipt cannot be).
async fn rewrite(c: &mut SqliteConnection, log: &str, seq: i64, entry: &Value, new_seq: i64) {
    let text = rapport_audit::canonical::to_string(entry).expect("canonical");
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(text.as_bytes());
    let leaf = h.finalize().to_vec();
    sqlx::query(
        "UPDATE audit_entries SET entry = ?, leaf_hash = ?, seq = ? WHERE log_id = ? AND seq = ?",
    )
    .bind(&text)
    .bind(&leaf)
    .bind(new_seq)
    .bind(log)
    .bind(seq)
    .execute(&mut *c)
    .await
    .expect("rewrite");
}

async fn entry_count(c: &mut SqliteConnection, log: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_entries WHERE log_id = ?")
        .bind(log)
        .fetch_one(&mut *c)
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn every_action_is_logged_and_an_untouched_log_verifies() {
    let env = Env::new();
    populated(&env).await;
    let p = env.open().await;
    let entries = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries");
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "tenant_create",
            "tree_head",
            "import",
            "import",
            "import",
            "import",
            "consent_change",
            "tree_head",
            "privacy_request",
            "erasure",
            "privacy_request",
            "consent_change",
        ],
        "{entries:#?}"
    );
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
    }
    // The consent import's entry carries its count and digest.
    let consents = &entries[5].body;
    assert_eq!(consents["import_kind"], "consents");
    assert!(consents["consent_records"]["appended"].as_u64() > Some(0));
    // The withdrawal names the subject by its keyed pseudonym only.
    let c1 = p.audit_subject(TENANT, "C1").await.expect("pseudonym");
    assert_eq!(entries[6].body["subject"], c1.as_str());
    assert_eq!(entries[6].body["status"], "withdrawn");
    // The erasure and the consent changes about C2 and C1 agree with the
    // pseudonym an erasure leaves in the store.
    let c2 = p.audit_subject(TENANT, "C2").await.expect("pseudonym");
    assert_eq!(entries[9].body["subject"], c2.as_str());
    assert_eq!(entries[10].body["event"], "completed");

    let r = p.audit_verify(None, None).await.expect("verify");
    assert!(r.ok, "{r:#?}");
    let acme = r
        .logs
        .iter()
        .find(|l| l.tenant.as_deref() == Some(TENANT))
        .expect("acme's log");
    assert_eq!(acme.entries, 12);
    assert_eq!(acme.verified_entries, 12);
    assert!(acme.heads_checked >= 4, "stored and in-log heads: {acme:?}");
    // `--kind` and `--since` filter.
    let imports = p
        .audit_entries(LogRef::Tenant(TENANT), None, Some("import"))
        .await
        .expect("imports");
    assert_eq!(imports.len(), 4);
    let none = p
        .audit_entries(LogRef::Tenant(TENANT), Some("2999-01-01"), None)
        .await
        .expect("since");
    assert!(none.is_empty());
    assert!(p
        .audit_entries(LogRef::Tenant(TENANT), None, Some("nonsense"))
        .await
        .is_err());
    p.close().await;
}

#[tokio::test]
async fn tampered_entries_are_named_by_verification() {
    let env = Env::new();
    populated(&env).await;

    // Edited: the withdrawal turned into a grant, hashes recomputed.
    let dirs = copy_of(&env, "edited");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    let mut e = entry_text(&mut c, &log, 6).await;
    assert_eq!(e["body"]["status"], "withdrawn");
    e["body"]["status"] = "granted".into();
    rewrite(&mut c, &log, 6, &e, 6).await;
    c.close().await.expect("close");
    assert_eq!(
        first_bad(&verify(&env, &dirs, None).await),
        (6, Tamper::Edited)
    );

    // Deleted: the erasure request disappears.
    let dirs = copy_of(&env, "deleted");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    sqlx::query("DELETE FROM audit_entries WHERE log_id = ? AND seq = 8")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("delete");
    c.close().await.expect("close");
    assert_eq!(
        first_bad(&verify(&env, &dirs, None).await),
        (8, Tamper::Deleted)
    );

    // Deleted, and every later entry renumbered to close the gap.
    let dirs = copy_of(&env, "deleted-renumbered");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    let n = entry_count(&mut c, &log).await;
    sqlx::query("DELETE FROM audit_entries WHERE log_id = ? AND seq = 8")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("delete");
    for seq in 9..n {
        let mut e = entry_text(&mut c, &log, seq).await;
        e["seq"] = (seq - 1).into();
        rewrite(&mut c, &log, seq, &e, seq - 1).await;
    }
    c.close().await.expect("close");
    assert_eq!(first_bad(&verify(&env, &dirs, None).await).0, 8);

    // Inserted: a forged grant for C2 before the erasure, later entries
    // renumbered to make room.
    let dirs = copy_of(&env, "inserted");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    let n = entry_count(&mut c, &log).await;
    for seq in (9..n).rev() {
        let mut e = entry_text(&mut c, &log, seq).await;
        e["seq"] = (seq + 1).into();
        rewrite(&mut c, &log, seq, &e, seq + 1).await;
    }
    let mut forged = entry_text(&mut c, &log, 6).await;
    forged["seq"] = 9.into();
    forged["body"]["status"] = "granted".into();
    let text = rapport_audit::canonical::to_string(&forged).expect("canonical");
    let (receipt,): (Vec<u8>,) =
        sqlx::query_as("SELECT receipt FROM audit_entries WHERE log_id = ? AND seq = 6")
            .bind(&log)
            .fetch_one(&mut c)
            .await
            .expect("a receipt to reuse");
    sqlx::query("INSERT INTO audit_entries (log_id, seq, kind, timestamp, entry, leaf_hash, receipt) VALUES (?, 9, 'consent_change', ?, ?, ?, ?)")
        .bind(&log)
        .bind(forged["timestamp"].as_str())
        .bind(&text)
        .bind(Sha256::new().chain_update([0u8]).chain_update(text.as_bytes()).finalize().to_vec())
        .bind(&receipt)
        .execute(&mut c)
        .await
        .expect("insert");
    c.close().await.expect("close");
    assert_eq!(first_bad(&verify(&env, &dirs, None).await).0, 9);

    // Reordered: the erasure stored before the request it answers.
    let dirs = copy_of(&env, "reordered");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    sqlx::query("UPDATE audit_entries SET seq = -1 WHERE log_id = ? AND seq = 8")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("move");
    sqlx::query("UPDATE audit_entries SET seq = 8 WHERE log_id = ? AND seq = 9")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("swap");
    sqlx::query("UPDATE audit_entries SET seq = 9 WHERE log_id = ? AND seq = -1")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("swap back");
    c.close().await.expect("close");
    assert_eq!(
        first_bad(&verify(&env, &dirs, None).await),
        (8, Tamper::Reordered)
    );

    // A log rebuilt wholesale under a key of the attacker's: the recorded
    // public key no longer matches the vault's.
    let dirs = copy_of(&env, "rekeyed");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    sqlx::query("UPDATE audit_logs SET public_key = zeroblob(32) WHERE log_id = ?")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("replace key");
    c.close().await.expect("close");
    let r = verify(&env, &dirs, None).await;
    assert!(!r.ok);
    assert!(
        r.logs[0].problems.iter().any(|p| p.contains("replaced")),
        "{r:#?}"
    );
    // Appending on top of a tampered log is refused; the entry waits in
    // the outbox instead of being lost.
    let p = Platform::open(dirs.clone(), &env.unlock)
        .await
        .expect("open");
    p.record_consent(TENANT, consent("C1", ConsentStatus::Withdrawn))
        .await
        .expect("the action itself succeeds");
    let r = p.audit_verify(Some(TENANT), None).await.expect("verify");
    assert!(r.problems.iter().any(|x| x.contains("outbox")), "{r:#?}");
    p.close().await;
}

#[tokio::test]
async fn a_cut_tail_is_caught_by_an_exported_head() {
    let env = Env::new();
    populated(&env).await;
    let p = env.open().await;
    p.audit_checkpoint(LogRef::Tenant(TENANT))
        .await
        .expect("checkpoint");
    let head = p
        .audit_export_head(LogRef::Tenant(TENANT))
        .await
        .expect("export");
    p.close().await;
    assert_eq!(head.tree_size, 12);

    // The last three entries, every stored head and the cached state are
    // rolled back consistently: receipts alone cannot tell.
    let dirs = copy_of(&env, "truncated");
    let mut c = attacker(&dirs).await;
    let log = log_id(&mut c).await;
    sqlx::query("DELETE FROM audit_entries WHERE log_id = ? AND seq >= 10")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("truncate");
    sqlx::query("DELETE FROM audit_heads WHERE log_id = ?")
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("heads");
    let leaves: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT leaf_hash FROM audit_entries WHERE log_id = ? ORDER BY seq")
            .bind(&log)
            .fetch_all(&mut c)
            .await
            .expect("leaves");
    let leaves: Vec<[u8; 32]> = leaves
        .into_iter()
        .map(|(l,)| l.try_into().expect("32 bytes"))
        .collect();
    let frontier = rapport_audit::log::Frontier::from_leaves(&leaves);
    sqlx::query("UPDATE audit_logs SET size = 10, frontier = ? WHERE log_id = ?")
        .bind(frontier.to_bytes())
        .bind(&log)
        .execute(&mut c)
        .await
        .expect("state");
    c.close().await.expect("close");
    // The in-log tree heads (entries 1 and 7) are older than the cut.
    let r = verify(&env, &dirs, None).await;
    assert!(
        r.ok,
        "without the exported head the cut is invisible: {r:#?}"
    );
    let r = verify(&env, &dirs, Some(&head)).await;
    assert_eq!(first_bad(&r), (10, Tamper::Truncated));
    // The untouched original still verifies against the head.
    assert!(verify(&env, &env.dirs, Some(&head)).await.ok);
}

// ---- An independent verifier: SHA-256, Ed25519 and RFC 9162, no crate code.

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn unhex32(s: &str) -> [u8; 32] {
    hex::decode(s).expect("hex").try_into().expect("32 bytes")
}

/// RFC 9162 §2.1.3.2.
fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    path: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s, mut r) = (index, size - 1, leaf);
    for p in path {
        if s == 0 {
            return None;
        }
        if f % 2 == 1 || f == s {
            r = sha(&[&[1], p, &r]);
            if f % 2 == 0 {
                while f % 2 == 0 && f != 0 {
                    f /= 2;
                    s /= 2;
                }
            }
        } else {
            r = sha(&[&[1], &r, p]);
        }
        f /= 2;
        s /= 2;
    }
    (s == 0).then_some(r)
}

/// RFC 9162 §2.1.4.2, for 0 < first < second.
fn consistent(first: u64, second: u64, r1: [u8; 32], r2: [u8; 32], proof: &[[u8; 32]]) -> bool {
    if proof.is_empty() || first == 0 || first >= second {
        return false;
    }
    let mut path = Vec::new();
    if first.is_power_of_two() {
        path.push(r1);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f % 2 == 1 {
        f /= 2;
        s /= 2;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f % 2 == 1 || f == s {
            fr = sha(&[&[1], c, &fr]);
            sr = sha(&[&[1], c, &sr]);
            if f % 2 == 0 {
                while f % 2 == 0 && f != 0 {
                    f /= 2;
                    s /= 2;
                }
            }
        } else {
            sr = sha(&[&[1], &sr, c]);
        }
        f /= 2;
        s /= 2;
    }
    s == 0 && fr == r1 && sr == r2
}

/// Checks an exported head's signature over the documented tree head
/// message, built here by hand. Returns (size, root).
fn check_head(h: &Value) -> (u64, [u8; 32]) {
    let tenant = match &h["tenant"] {
        Value::Null => "null".to_owned(),
        t => format!("\"{}\"", t.as_str().expect("tenant")),
    };
    let message = format!(
        "{{\"format\":\"rapport.audit-tree-head.v1\",\"key_id\":\"{}\",\"log\":\"{}\",\"root\":\"{}\",\"size\":{},\"tenant\":{tenant},\"timestamp\":\"{}\"}}",
        h["key_id"].as_str().expect("key id"),
        h["log"].as_str().expect("log"),
        h["root_hash"].as_str().expect("root"),
        h["tree_size"].as_u64().expect("size"),
        h["timestamp"].as_str().expect("timestamp"),
    );
    let key = VerifyingKey::from_bytes(&unhex32(h["public_key"].as_str().expect("key")))
        .expect("public key");
    let sig: [u8; 64] = hex::decode(h["signature"].as_str().expect("sig"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    key.verify_strict(message.as_bytes(), &Signature::from_bytes(&sig))
        .expect("the head's signature verifies");
    (
        h["tree_size"].as_u64().expect("size"),
        unhex32(h["root_hash"].as_str().expect("root")),
    )
}

#[tokio::test]
async fn proofs_check_with_an_independent_verifier() {
    let env = Env::new();
    populated(&env).await;
    let p = env.open().await;
    p.audit_checkpoint(LogRef::Tenant(TENANT))
        .await
        .expect("checkpoint");
    let first = p
        .audit_export_head(LogRef::Tenant(TENANT))
        .await
        .expect("export");
    assert_eq!(first.tree_size, 12);
    p.record_consent(TENANT, consent("C1", ConsentStatus::Withdrawn))
        .await
        .expect("more");
    p.audit_checkpoint(LogRef::Tenant(TENANT))
        .await
        .expect("checkpoint");
    let second = p
        .audit_export_head(LogRef::Tenant(TENANT))
        .await
        .expect("export");
    assert!(second.tree_size > first.tree_size);

    // Inclusion of the erasure entry against the first exported head, as
    // a third party holding only the head file and the proof would check.
    let first_json = serde_json::to_value(&first).expect("json");
    let (size, root) = check_head(&first_json);
    for seq in [0, 6, 9, size - 1] {
        let proof = p
            .audit_prove(LogRef::Tenant(TENANT), seq, Some(&first))
            .await
            .expect("prove");
        let proof = serde_json::to_value(&proof).expect("json");
        assert_eq!(proof["head"], first_json);
        let entry = proof["entry"].as_str().expect("entry text");
        let leaf = sha(&[&[0], entry.as_bytes()]);
        let path: Vec<[u8; 32]> = proof["path"]
            .as_array()
            .expect("path")
            .iter()
            .map(|h| unhex32(h.as_str().expect("hex")))
            .collect();
        assert_eq!(proof["leaf_index"], seq);
        assert_eq!(root_from_inclusion(seq, size, leaf, &path), Some(root));
        // A forged entry text does not reach the root.
        let forged = entry.replace("withdrawn", "granted");
        if forged != entry {
            let leaf = sha(&[&[0], forged.as_bytes()]);
            assert_ne!(root_from_inclusion(seq, size, leaf, &path), Some(root));
        }
        assert_ne!(root_from_inclusion(seq ^ 1, size, leaf, &path), Some(root));
    }
    let erasure = p
        .audit_prove(LogRef::Tenant(TENANT), 9, None)
        .await
        .expect("against the latest head");
    assert!(erasure.entry.contains("\"kind\":\"erasure\""));
    assert_eq!(erasure.tree_size, second.tree_size);
    // An entry after the head is not covered by it.
    assert!(p
        .audit_prove(LogRef::Tenant(TENANT), size, Some(&first))
        .await
        .is_err());

    // The second head extends the first.
    let c = p
        .audit_consistency(LogRef::Tenant(TENANT), &first, Some(&second))
        .await
        .expect("consistency");
    let c = serde_json::to_value(&c).expect("json");
    let (s1, r1) = check_head(&c["first_head"]);
    let (s2, r2) = check_head(&c["second_head"]);
    let path: Vec<[u8; 32]> = c["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|h| unhex32(h.as_str().expect("hex")))
        .collect();
    assert!(consistent(s1, s2, r1, r2, &path));
    assert!(!consistent(s1, s2, r2, r1, &path));
    assert!(!consistent(s1, s2 * 2, r1, r2, &path));
    assert!(!consistent(s1 + 1, s2, r1, r2, &path));

    // A head of another tenant's log is refused.
    p.audit_checkpoint(LogRef::Platform)
        .await
        .expect("platform head");
    let platform = p
        .audit_export_head(LogRef::Platform)
        .await
        .expect("platform head");
    assert!(p
        .audit_prove(LogRef::Tenant(TENANT), 0, Some(&platform))
        .await
        .is_err());
    p.close().await;
}

#[tokio::test]
async fn a_restore_never_truncates_the_log_and_is_logged() {
    let env = Env::new();
    populated(&env).await;
    let p = env.open().await;
    let backup = env.tmp.path().join("before.db");
    p.backup(&backup).await.expect("backup");
    p.record_consent(TENANT, consent("C1", ConsentStatus::Withdrawn))
        .await
        .expect("after the backup");
    let head = p
        .audit_export_head(LogRef::Tenant(TENANT))
        .await
        .expect("export");
    let before = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries")
        .len();
    p.close().await;

    let report = Platform::restore(env.dirs.clone(), &env.unlock, &backup)
        .await
        .expect("restore");
    assert_eq!(report.tenants, [TENANT]);
    let p = env.open().await;
    let entries = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries");
    assert!(entries.len() > before, "the log kept everything and grew");
    let last_kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert!(last_kinds.contains(&"backup"));
    let restore = entries
        .iter()
        .find(|e| e.kind == "restore")
        .expect("the restore is logged");
    assert_eq!(restore.body["sha256"], report.sha256.as_str());
    let platform = p
        .audit_entries(LogRef::Platform, None, Some("restore"))
        .await
        .expect("platform log");
    assert_eq!(platform.len(), 1);
    let r = p.audit_verify(None, Some(&head)).await.expect("verify");
    assert!(r.ok, "{r:#?}");
    p.close().await;
}

#[tokio::test]
async fn queued_entries_survive_a_crash_and_are_appended_once() {
    let env = Env::new();
    populated(&env).await;
    // What a crash between an action's commit and the append leaves: a
    // note in the outbox. Queue it twice over (a restored copy can bring a
    // note back after it was appended).
    let note = {
        let p = env.open().await;
        let n = p
            .audit_note(TENANT, EntryKind::Import, serde_json::json!({"rows": 1}))
            .await
            .expect("note");
        p.close().await;
        n
    };
    let url = format!("sqlite://{}", env.dirs.database().display());
    for _ in 0..2 {
        let mut c = SqliteConnection::connect(&url).await.expect("connect");
        sqlx::query("INSERT INTO audit_outbox (uid, log_id, tenant, kind, body, occurred_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&note.uid[..])
            .bind(&note.log_id)
            .bind(&note.tenant)
            .bind(&note.kind)
            .bind(&note.body)
            .bind(&note.occurred_at)
            .execute(&mut c)
            .await
            .expect("queue");
        c.close().await.expect("close");
        let p = env.open().await;
        let pin = p
            .audit_pin(&note)
            .await
            .expect("pin")
            .expect("appended on open");
        assert_eq!(pin.seq, 12);
        let n = p
            .audit_entries(LogRef::Tenant(TENANT), None, None)
            .await
            .expect("entries")
            .len();
        assert_eq!(n, 13, "appended once");
        p.close().await;
    }

    // The gate's direct path returns where its entry landed.
    let p = env.open().await;
    let pin = p
        .audit_append(
            TENANT,
            EntryKind::Verdict,
            serde_json::json!({"verdict": "allow"}),
        )
        .await
        .expect("append");
    assert_eq!(pin.seq, 13);
    let listed = p
        .audit_entries(LogRef::Tenant(TENANT), None, Some("verdict"))
        .await
        .expect("entries");
    assert_eq!(listed[0].leaf_hash, pin.leaf_hash);
    assert!(p
        .audit_append(
            TENANT,
            EntryKind::Verdict,
            serde_json::json!(["not an object"])
        )
        .await
        .is_err());
    assert!(p.audit_verify(None, None).await.expect("verify").ok);
    p.close().await;
}

async fn heads(p: &Platform) -> usize {
    p.audit_entries(LogRef::Tenant(TENANT), None, Some("tree_head"))
        .await
        .expect("heads")
        .len()
}

#[tokio::test]
async fn a_head_is_signed_when_the_last_is_over_an_hour_old() {
    let env = Env::new();
    populated(&env).await;
    let p = env.open().await;
    let n = heads(&p).await;
    p.record_consent(TENANT, consent("C1", ConsentStatus::Withdrawn))
        .await
        .expect("append within the hour");
    assert_eq!(heads(&p).await, n, "no new head within the hour");
    p.close().await;

    // Two hours pass (the cached time of the last head is set back).
    let url = format!("sqlite://{}", env.dirs.data.join("audit.db").display());
    let mut c = SqliteConnection::connect(&url).await.expect("connect");
    sqlx::query("UPDATE audit_logs SET last_head_at = '2000-01-01T00:00:00Z' WHERE tenant = ?")
        .bind(TENANT)
        .execute(&mut c)
        .await
        .expect("age the head");
    c.close().await.expect("close");
    let p = env.open().await;
    p.record_consent(TENANT, consent("C1", ConsentStatus::Granted))
        .await
        .expect("append after the hour");
    assert_eq!(heads(&p).await, n + 1, "the append signed a new head");
    assert!(p.audit_verify(None, None).await.expect("verify").ok);
    p.close().await;
}

#[tokio::test]
async fn the_log_holds_no_personal_value_in_plaintext() {
    let env = Env::new();
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(300, 11, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    let mut needles: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (file, columns) in [
        ("customers.csv", &["name", "email", "phone", "address"][..]),
        ("suppliers.csv", &["contact_name", "email", "phone"][..]),
        ("partners.csv", &["contact_name", "email", "phone"][..]),
    ] {
        let mut rdr = csv::Reader::from_path(sample.join(file)).expect("csv");
        let headers = rdr.headers().expect("headers").clone();
        let id_col = headers.iter().position(|h| h == "id").expect("id column");
        for rec in rdr.records() {
            let rec = rec.expect("record");
            ids.push(rec[id_col].to_owned());
            for col in columns {
                let i = headers.iter().position(|h| h == *col).expect("column");
                if let Some(v) = rec.get(i).filter(|v| v.len() >= 8) {
                    needles.push(v.to_owned());
                }
            }
        }
    }
    assert!(needles.len() > 500);
    let mut rdr = csv::Reader::from_path(sample.join("consents.csv")).expect("csv");
    for rec in rdr.records() {
        needles.push(rec.expect("record")[0].to_owned());
    }

    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    for kind in ImportKind::ALL {
        import(
            &p,
            TENANT,
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let subject = ids[3].clone();
    p.record_consent(TENANT, consent(&subject, ConsentStatus::Withdrawn))
        .await
        .expect("consent");
    let identity = std::fs::read_to_string(env.tmp.path().join("identity.txt")).expect("identity");
    let recipient = identity
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key line")
        .to_owned();
    p.export_subject(
        TENANT,
        &subject,
        &recipient,
        &env.tmp.path().join("x.age"),
        None,
    )
    .await
    .expect("export");
    p.rectify_subject(TENANT, &ids[4], "email", "new.address@example.net", None)
        .await
        .expect("rectify");
    p.erase_subject(TENANT, &ids[5], None).await.expect("erase");
    p.retention_sweep(TENANT, Some("2100-01-01"), false)
        .await
        .expect("sweep");
    let entries = p
        .audit_entries(LogRef::Tenant(TENANT), None, None)
        .await
        .expect("entries");
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "import",
        "consent_change",
        "export",
        "rectification",
        "erasure",
        "retention_sweep",
        "privacy_request",
    ] {
        assert!(kinds.contains(&k), "{k} is logged: {kinds:?}");
    }

    // Every byte of the log database (and its WAL, while open), and the
    // listed entries, are free of personal values and external ids.
    needles.push("new.address@example.net".to_owned());
    needles.extend(ids.iter().cloned());
    let matcher = aho_corasick::AhoCorasick::new(&needles).expect("matcher");
    let check = |what: &str, bytes: &[u8]| {
        if let Some(m) = matcher.find(bytes) {
            panic!(
                "{what} holds `{}` in plaintext",
                needles[m.pattern().as_usize()]
            );
        }
    };
    let listed = serde_json::to_string(&entries).expect("json");
    check("the listed entries", listed.as_bytes());
    let audit_files: Vec<(PathBuf, Vec<u8>)> = all_files(&env.dirs.data)
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("audit.db"))
        .collect();
    assert!(!audit_files.is_empty());
    for (path, bytes) in &audit_files {
        check(&path.display().to_string(), bytes);
    }
    p.close().await;
    for (path, bytes) in all_files(&env.dirs.data)
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("audit.db"))
    {
        check(&path.display().to_string(), &bytes);
    }
}
