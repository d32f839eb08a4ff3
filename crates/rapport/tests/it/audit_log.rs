//! `rapport audit …` through the real binary: an untouched log verifies, a
//! log edited in its SQLite file fails verification with a non-zero exit
//! naming the entry, and heads, proofs and listings come out as documented.

use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::{Connection, SqliteConnection};

use crate::support::{init_with_passphrase, json, ok, rapport, run};

const PASS: &str = "audit log passphrase";

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/base")
}

fn setup(data: &Path) {
    init_with_passphrase(data, PASS);
    for kind in ["customers", "suppliers", "transactions", "consents"] {
        ok(rapport(data)
            .args(["import", "--tenant", "acme", "--kind", kind])
            .arg(fixtures().join(format!("{kind}.csv")))
            .env("RAPPORT_PASSPHRASE", PASS));
    }
}

async fn edit_entry(db: &Path, seq: i64, from: &str, to: &str) {
    let url = format!("sqlite://{}", db.display());
    let mut c = SqliteConnection::connect(&url).await.expect("connect");
    sqlx::query("DROP TRIGGER audit_entries_no_update")
        .execute(&mut c)
        .await
        .expect("drop trigger");
    let (text,): (String,) =
        sqlx::query_as("SELECT entry FROM audit_entries WHERE seq = ? AND kind = 'import'")
            .bind(seq)
            .fetch_one(&mut c)
            .await
            .expect("entry");
    assert!(text.contains(from), "{text}");
    let edited = text.replacen(from, to, 1);
    let leaf = Sha256::new()
        .chain_update([0u8])
        .chain_update(edited.as_bytes())
        .finalize()
        .to_vec();
    sqlx::query(
        "UPDATE audit_entries SET entry = ?, leaf_hash = ? WHERE seq = ? AND kind = 'import'",
    )
    .bind(&edited)
    .bind(&leaf)
    .bind(seq)
    .execute(&mut c)
    .await
    .expect("edit");
    c.close().await.expect("close");
}

#[tokio::test]
async fn verify_prove_and_export_through_the_binary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    setup(&data);
    let cmd = |args: &[&str]| {
        let mut c = rapport(&data);
        c.args(args).env("RAPPORT_PASSPHRASE", PASS);
        c
    };

    let out = ok(&mut cmd(&["audit", "verify"]));
    assert!(out.contains("tenant acme"), "{out}");
    assert!(out.contains(": OK"), "{out}");
    let report = json(&mut cmd(&["audit", "verify", "--tenant", "acme"]));
    assert_eq!(report["ok"], true);
    assert_eq!(report["logs"][0]["entries"], 6);

    let listed = json(&mut cmd(&[
        "audit", "log", "--tenant", "acme", "--kind", "import",
    ]));
    let kinds: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["body"]["import_kind"].as_str().expect("import kind"))
        .collect();
    assert_eq!(
        kinds,
        ["customers", "suppliers", "transactions", "consents"]
    );
    let text = ok(&mut cmd(&["audit", "log", "--tenant", "acme"]));
    assert!(text.contains("tenant_create"), "{text}");

    let checkpoint = json(&mut cmd(&["audit", "checkpoint", "--tenant", "acme"]));
    assert_eq!(checkpoint["tree_size"], 6);
    let head = tmp.path().join("head.json");
    ok(cmd(&["audit", "export-head", "--tenant", "acme", "--out"]).arg(&head));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&head).expect("head file")).expect("json");
    assert_eq!(exported["format"], "rapport.audit-head.v1");
    assert_eq!(exported["tree_size"], 6);
    // Exporting never overwrites.
    let again = run(cmd(&["audit", "export-head", "--tenant", "acme", "--out"]).arg(&head));
    assert!(!again.status.success());

    let proof_text = ok(cmd(&[
        "audit", "prove", "--tenant", "acme", "--entry", "3", "--head",
    ])
    .arg(&head));
    let proof: serde_json::Value = serde_json::from_str(&proof_text).expect("proof JSON");
    assert_eq!(proof["leaf_index"], 3);
    assert_eq!(proof["tree_size"], 6);
    assert_eq!(proof["root_hash"], exported["root_hash"]);
    let entry = proof["entry"].as_str().expect("entry");
    let leaf = hex::encode(
        Sha256::new()
            .chain_update([0u8])
            .chain_update(entry.as_bytes())
            .finalize(),
    );
    assert_eq!(proof["leaf_hash"], leaf.as_str());
    let beyond = run(cmd(&[
        "audit", "prove", "--tenant", "acme", "--entry", "6", "--head",
    ])
    .arg(&head));
    assert!(!beyond.status.success());
    assert!(String::from_utf8_lossy(&beyond.stderr).contains("not covered"));

    // More activity, another head, and the consistency proof between them.
    ok(&mut cmd(&[
        "consent",
        "record",
        "--tenant",
        "acme",
        "--subject",
        "C1",
        "--purpose",
        "direct_marketing_email",
        "--status",
        "withdrawn",
        "--jurisdiction",
        "EU",
    ]));
    let later = tmp.path().join("later.json");
    ok(&mut cmd(&["audit", "checkpoint", "--tenant", "acme"]));
    ok(cmd(&["audit", "export-head", "--tenant", "acme", "--out"]).arg(&later));
    let consistency = ok(cmd(&["audit", "consistency", "--tenant", "acme", "--from"])
        .arg(&head)
        .arg("--to")
        .arg(&later));
    let consistency: serde_json::Value = serde_json::from_str(&consistency).expect("json");
    assert_eq!(consistency["first_size"], 6);
    assert_eq!(consistency["second_size"], 8);
    assert!(!consistency["path"].as_array().expect("path").is_empty());
    let out = ok(cmd(&["audit", "verify", "--tenant", "acme", "--head"]).arg(&head));
    assert!(out.contains("the exported head"), "{out}");

    // The platform log records nothing yet but can be checkpointed.
    ok(&mut cmd(&["audit", "checkpoint", "--platform"]));
    let both = run(&mut cmd(&[
        "audit",
        "log",
        "--tenant",
        "acme",
        "--platform",
    ]));
    assert!(!both.status.success(), "one log at a time");

    // Tampering: the customers import now claims another row count, and
    // its leaf hash is recomputed; the receipt gives it away.
    edit_entry(&data.join("audit.db"), 2, "\"rows\":", "\"rows\":1").await;
    let failed = run(&mut cmd(&["audit", "verify"]));
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(
        stdout.contains("first bad entry: entry 2 (edited)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("the audit log failed verification: tenant `acme`: entry 2 (edited)"),
        "{stderr}"
    );
    let failed = run(cmd(&["audit", "verify", "--tenant", "acme", "--json", "--head"]).arg(&later));
    assert!(!failed.status.success());
    let stdout = String::from_utf8_lossy(&failed.stdout);
    let report: serde_json::Value = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<serde_json::Value>()
        .next()
        .expect("a report")
        .expect("JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["logs"][0]["first_bad_entry"]["seq"], 2);
    assert_eq!(report["logs"][0]["first_bad_entry"]["tamper"], "edited");
}
