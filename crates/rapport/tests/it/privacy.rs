//! `rapport privacy …`, `rapport backup` and `rapport restore` as a user
//! runs them: real processes, real files, the real `age` tool.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{json, ok, rapport, run};

const PW: &str = "pw";

/// A data directory with a generated sample imported into tenant `acme`.
fn setup(tmp: &Path) -> std::path::PathBuf {
    let data = tmp.join("data");
    let sample = tmp.join("sample");
    ok(rapport(&data)
        .args(["generate", "--customers", "40", "--seed", "5", "--out"])
        .arg(&sample));
    ok(rapport(&data)
        .args(["init", "--kdf-cost", "10"])
        .env("RAPPORT_PASSPHRASE", PW));
    ok(rapport(&data)
        .args(["tenant", "create", "acme"])
        .env("RAPPORT_PASSPHRASE", PW));
    for kind in [
        "customers",
        "suppliers",
        "partners",
        "transactions",
        "interactions",
        "deliveries",
        "referrals",
        "consents",
    ] {
        ok(rapport(&data)
            .args(["import", "--tenant", "acme", "--kind", kind])
            .arg(sample.join(format!("{kind}.csv")))
            .env("RAPPORT_PASSPHRASE", PW));
    }
    data
}

fn cmd(data: &Path, args: &[&str]) -> Command {
    let mut c = rapport(data);
    c.args(args).env("RAPPORT_PASSPHRASE", PW);
    c
}

fn age_identity(dir: &Path) -> (std::path::PathBuf, String) {
    let id = dir.join("subject-identity.txt");
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(&id)
        .output()
        .expect("age-keygen is installed (scripts/test.sh installs it)");
    assert!(out.status.success());
    let out = Command::new("age-keygen")
        .arg("-y")
        .arg(&id)
        .output()
        .expect("age-keygen -y");
    (
        id,
        String::from_utf8(out.stdout)
            .expect("utf8")
            .trim()
            .to_owned(),
    )
}

fn age_decrypt(identity: &Path, file: &Path) -> (serde_json::Value, String) {
    let out = Command::new("age")
        .arg("--decrypt")
        .arg("--identity")
        .arg(identity)
        .arg(file)
        .output()
        .expect("age is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    (serde_json::from_str(&text).expect("JSON"), text)
}

/// Source rows of a generated file whose `column` is `id`.
fn source_rows(sample: &Path, file: &str, column: &str, id: &str) -> Vec<csv::StringRecord> {
    let mut rdr = csv::Reader::from_path(sample.join(file)).expect("csv");
    let i = rdr
        .headers()
        .expect("headers")
        .iter()
        .position(|h| h == column)
        .expect("column");
    rdr.records()
        .map(|r| r.expect("row"))
        .filter(|r| r.get(i) == Some(id))
        .collect()
}

#[test]
fn export_erase_restore_as_a_user_does() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = setup(tmp.path());
    let sample = tmp.path().join("sample");
    let (identity, recipient) = age_identity(tmp.path());
    let id = "C0000003";
    let customer = source_rows(&sample, "customers.csv", "id", id).remove(0);
    let (name, email) = (customer[1].to_owned(), customer[2].to_owned());

    // Export: decrypts with the age tool and holds every source record.
    let out = tmp.path().join("c3.age");
    let report = json(
        cmd(
            &data,
            &[
                "privacy",
                "export",
                "--tenant",
                "acme",
                "--subject",
                id,
                "--recipient",
                &recipient,
                "--out",
            ],
        )
        .arg(&out),
    );
    assert_eq!(report["erased"], false);
    let (doc, text) = age_decrypt(&identity, &out);
    assert!(text.contains(&name) && text.contains(&email));
    for (section, file, column) in [
        ("transactions", "transactions.csv", "customer_id"),
        ("interactions", "interactions.csv", "stakeholder_id"),
        ("consents", "consents.csv", "subject_id"),
    ] {
        let want = source_rows(&sample, file, column, id).len();
        assert_eq!(
            doc[section].as_array().expect(section).len(),
            want,
            "{section}"
        );
    }
    let referrals = source_rows(&sample, "referrals.csv", "referrer_id", id).len()
        + source_rows(&sample, "referrals.csv", "referred_id", id).len();
    assert_eq!(
        doc["referrals"].as_array().expect("referrals").len(),
        referrals
    );

    // Backup, then erase under a logged request.
    let backup = tmp.path().join("before-erasure.db");
    let b = json(cmd(&data, &["backup", "--out"]).arg(&backup));
    assert_eq!(b["keys_included"], false);
    let req = json(&mut cmd(
        &data,
        &[
            "privacy",
            "request",
            "--tenant",
            "acme",
            "--subject",
            id,
            "--kind",
            "erasure",
            "--jurisdiction",
            "EU",
        ],
    ));
    let req_id = req["id"].as_i64().expect("id").to_string();
    let erased = json(&mut cmd(
        &data,
        &[
            "privacy",
            "erase",
            "--tenant",
            "acme",
            "--subject",
            id,
            "--request",
            &req_id,
        ],
    ));
    assert_eq!(erased["key_destroyed"], true);
    assert_eq!(erased["recipients_to_notify"], serde_json::json!([]));

    // Restore the backup from before the erasure: still erased.
    let restored = json(cmd(&data, &["restore"]).arg(&backup));
    assert_eq!(restored["erasures_replayed"], 1);
    let show = run(&mut cmd(
        &data,
        &["subject", "show", "--tenant", "acme", id],
    ));
    assert!(!show.status.success());
    let stderr = String::from_utf8_lossy(&show.stderr);
    assert!(stderr.contains("has been erased"), "{stderr}");
    assert!(!stderr.contains(&name) && !stderr.contains(&email));
    let out2 = tmp.path().join("c3-after.age");
    let report = json(
        cmd(
            &data,
            &[
                "privacy",
                "export",
                "--tenant",
                "acme",
                "--subject",
                id,
                "--recipient",
                &recipient,
                "--out",
            ],
        )
        .arg(&out2),
    );
    assert_eq!(report["erased"], true);
    let (doc, text) = age_decrypt(&identity, &out2);
    assert_eq!(doc["erasure"]["erased"], true);
    for value in customer
        .iter()
        .skip(1)
        .filter(|v| v.len() >= 4 && !v.starts_with("20"))
    {
        assert!(
            !text.contains(value),
            "the erased export holds a personal value"
        );
    }
    assert!(!text.contains(id));
    // The erasure request the backup still had open was answered by the replay.
    let all = json(&mut cmd(
        &data,
        &["privacy", "requests", "--tenant", "acme", "--all"],
    ));
    let r = all
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["id"].as_i64().map(|x| x.to_string()) == Some(req_id.clone()))
        .expect("request");
    assert_eq!(r["status"], "completed");

    // A file that is not a store is refused in one line.
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, "hello").expect("write");
    let bad = run(cmd(&data, &["restore"]).arg(&junk));
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or_default()
            .starts_with("error: could not restore"),
        "{stderr}"
    );
    assert!(stderr.contains("is not a Rapport store"), "{stderr}");
}

#[test]
fn requests_warn_before_their_deadlines_and_rectify_reads_stdin() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = setup(tmp.path());
    let r = json(&mut cmd(
        &data,
        &[
            "privacy",
            "request",
            "--tenant",
            "acme",
            "--subject",
            "C0000001",
            "--kind",
            "opt_out",
            "--jurisdiction",
            "US-CA",
            "--received",
            "2024-06-07",
        ],
    ));
    assert_eq!(r["due_at"], "2024-06-28");
    json(&mut cmd(
        &data,
        &[
            "privacy",
            "request",
            "--tenant",
            "acme",
            "--subject",
            "C0000002",
            "--kind",
            "access",
            "--jurisdiction",
            "EU",
            "--received",
            "2024-06-20",
        ],
    ));
    let out = run(&mut cmd(
        &data,
        &[
            "privacy",
            "requests",
            "--tenant",
            "acme",
            "--as-of",
            "2024-06-25",
        ],
    ));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("3 day(s) left"), "{stdout}");
    assert!(
        stderr.contains("warning: request 1 (opt_out of C0000001) is due in 3 day(s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("request 2"), "{stderr}");

    let bad = run(&mut cmd(
        &data,
        &[
            "privacy",
            "request",
            "--tenant",
            "acme",
            "--subject",
            "C0000001",
            "--kind",
            "forget",
            "--jurisdiction",
            "EU",
        ],
    ));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown request kind `forget`"));

    let mut child = cmd(
        &data,
        &[
            "privacy",
            "rectify",
            "--tenant",
            "acme",
            "--subject",
            "C0000001",
            "--field",
            "email",
            "--value",
            "-",
            "--json",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"fixed@example.org\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json(&mut cmd(
        &data,
        &["subject", "show", "--tenant", "acme", "C0000001"],
    ));
    assert_eq!(shown["fields"]["email"], "fixed@example.org");
}

#[test]
fn the_sweep_changes_nothing_the_second_time() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = setup(tmp.path());
    let args = [
        "privacy",
        "sweep",
        "--tenant",
        "acme",
        "--as-of",
        "2034-09-01",
    ];
    let dry = json(cmd(&data, &args).arg("--dry-run"));
    let first = json(&mut cmd(&data, &args));
    assert_eq!(dry["erased"], first["erased"]);
    assert!(!first["erased"].as_array().expect("erased").is_empty());
    let second = json(&mut cmd(&data, &args));
    assert_eq!(second["erased"], serde_json::json!([]));
    assert_eq!(second["interaction_texts_dropped"], 0);
}
