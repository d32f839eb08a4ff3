//! Command-line behaviour: exit codes, one-line errors, JSON, stdin.

use std::io::Write;
use std::process::Stdio;

use crate::support::{init_with_passphrase, json, ok, rapport, run};

fn files_snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn wrong_passphrase_fails_with_one_clear_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    init_with_passphrase(&data, "s3cret passphrase");
    let before = files_snapshot(&data);
    let out = run(rapport(&data)
        .args(["tenant", "list"])
        .env("RAPPORT_PASSPHRASE", "not it"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: could not open the data directory"),
        "{stderr}"
    );
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("not it"), "the passphrase is never echoed");
    assert_eq!(before, files_snapshot(&data));
}

#[test]
fn missing_keyring_and_missing_secret_are_clear_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let out = run(rapport(&data)
        .args(["tenant", "list"])
        .env("RAPPORT_PASSPHRASE", "x"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rapport init"));

    init_with_passphrase(&data, "pw");
    let out = run(rapport(&data).args(["tenant", "list"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RAPPORT_PASSPHRASE"));

    std::fs::remove_file(data.join("keys/keyring.age")).expect("rm");
    let out = run(rapport(&data)
        .args(["tenant", "list"])
        .env("RAPPORT_PASSPHRASE", "pw"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keyring not found"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn import_from_stdin_needs_a_format_and_reports_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    init_with_passphrase(&data, "pw");
    let out = run(rapport(&data)
        .args(["import", "--tenant", "acme", "--kind", "customers", "-"])
        .env("RAPPORT_PASSPHRASE", "pw"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));

    let mut child = rapport(&data)
        .args([
            "--json",
            "import",
            "--tenant",
            "acme",
            "--kind",
            "customers",
            "--format",
            "jsonl",
            "-",
        ])
        .env("RAPPORT_PASSPHRASE", "pw")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"id\":\"C1\",\"name\":\"Ada Lovelace\",\"email\":\"ada@example.org\"}\n{\"id\":\"C2\"}\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["rows"], 2);
    assert_eq!(report["written"], 2);
    assert_eq!(report["source"], "<stdin>");

    let tenants = json(
        rapport(&data)
            .args(["tenant", "list"])
            .env("RAPPORT_PASSPHRASE", "pw"),
    );
    assert_eq!(tenants[0]["name"], "acme");
    assert_eq!(tenants[0]["customers"], 2);

    let profile = json(
        rapport(&data)
            .args(["subject", "show", "--tenant", "acme", "C1"])
            .env("RAPPORT_PASSPHRASE", "pw"),
    );
    assert_eq!(profile["fields"]["email"], "ada@example.org");
}

#[test]
fn a_rejected_import_prints_diagnostics_and_fails() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    init_with_passphrase(&data, "pw");
    let file = tmp.path().join("customers.csv");
    std::fs::write(
        &file,
        "id,email\nC1,ok@example.org\nC2,not-an-email\nC1,dup@example.org\n",
    )
    .expect("write");
    let out = run(rapport(&data)
        .args(["import", "--tenant", "acme", "--kind", "customers"])
        .arg(&file)
        .env("RAPPORT_PASSPHRASE", "pw"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("customers.csv:3: field `email`"),
        "{stderr}"
    );
    assert!(stderr.contains("customers.csv:4: field `id`"), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert!(
        !stderr.contains("not-an-email"),
        "personal values are never echoed: {stderr}"
    );

    let out = json(
        rapport(&data)
            .args(["tenant", "list"])
            .env("RAPPORT_PASSPHRASE", "pw"),
    );
    assert_eq!(out[0]["customers"], 0);

    let out = run(rapport(&data)
        .args([
            "--json",
            "import",
            "--tenant",
            "acme",
            "--kind",
            "customers",
        ])
        .arg(&file)
        .env("RAPPORT_PASSPHRASE", "pw"));
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(2));
}

#[test]
fn generate_is_reproducible_through_the_cli() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    for dir in [&a, &b] {
        ok(rapport(tmp.path())
            .args(["generate", "--customers", "300", "--seed", "9", "--out"])
            .arg(dir));
    }
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
        let fa = std::fs::read(a.join(format!("{kind}.csv"))).expect("a");
        let fb = std::fs::read(b.join(format!("{kind}.csv"))).expect("b");
        assert!(!fa.is_empty(), "{kind}");
        assert_eq!(
            fa, fb,
            "{kind}.csv differs between two runs with the same seed"
        );
    }
}

#[test]
fn unknown_kind_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out =
        run(rapport(tmp.path()).args(["import", "--tenant", "x", "--kind", "orders", "f.csv"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown import kind `orders`"));
}

#[test]
fn consent_record_check_and_history_through_the_cli() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    init_with_passphrase(&data, "pw");
    let file = tmp.path().join("customers.csv");
    std::fs::write(&file, "id,country\nC1,FR\n").expect("write");
    ok(rapport(&data)
        .args(["import", "--tenant", "acme", "--kind", "customers"])
        .arg(&file)
        .env("RAPPORT_PASSPHRASE", "pw"));
    let check = |extra: &[&str]| {
        json(
            rapport(&data)
                .args([
                    "consent",
                    "check",
                    "--tenant",
                    "acme",
                    "--subject",
                    "C1",
                    "--purpose",
                    "direct_marketing_email",
                ])
                .args(extra)
                .env("RAPPORT_PASSPHRASE", "pw"),
        )
    };
    let v = check(&[]);
    assert_eq!(v["allowed"], false, "no record: fails closed");
    assert!(v["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(v["records"].as_array().is_some_and(Vec::is_empty));

    let receipt = json(
        rapport(&data)
            .args([
                "consent",
                "record",
                "--tenant",
                "acme",
                "--subject",
                "C1",
                "--purpose",
                "direct_marketing_email",
                "--status",
                "granted",
                "--jurisdiction",
                "EU",
                "--method",
                "web_form",
            ])
            .env("RAPPORT_PASSPHRASE", "pw"),
    );
    let v = check(&[]);
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["records"][0]["id"], receipt["id"]);

    ok(rapport(&data)
        .args([
            "consent",
            "record",
            "--tenant",
            "acme",
            "--subject",
            "C1",
            "--purpose",
            "direct_marketing_email",
            "--status",
            "objected",
            "--basis",
            "legitimate_interests",
            "--jurisdiction",
            "EU",
        ])
        .env("RAPPORT_PASSPHRASE", "pw"));
    let v = check(&[]);
    assert_eq!(v["allowed"], false);
    assert!(v["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .any(|r| r["citation"]
            .as_str()
            .is_some_and(|c| c.contains("Art. 21"))));

    let h = json(
        rapport(&data)
            .args(["consent", "history", "--tenant", "acme", "--subject", "C1"])
            .env("RAPPORT_PASSPHRASE", "pw"),
    );
    assert_eq!(h.as_array().map(Vec::len), Some(2));

    let out = run(rapport(&data)
        .args([
            "consent",
            "record",
            "--tenant",
            "acme",
            "--subject",
            "C1",
            "--purpose",
            "direct_marketing_email",
            "--status",
            "maybe",
            "--jurisdiction",
            "EU",
        ])
        .env("RAPPORT_PASSPHRASE", "pw"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown status `maybe`"));
}
