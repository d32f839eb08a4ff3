//! `rapport audit fairness` as a user runs it: on an exported CSV file (the
//! committed reference case) and on a stored run of the built-in `rfm`
//! plugin, as JSON and as text, and with bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{init_with_passphrase, json, ok, rapport, run};

const PASSPHRASE: &str = "correct horse battery staple";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn case() -> PathBuf {
    repo().join("crates/rapport-domain/tests/fairness_reference/case.csv")
}

fn with_pw(c: &mut Command) -> &mut Command {
    c.env("RAPPORT_PASSPHRASE", PASSPHRASE)
}

#[test]
fn a_file_is_audited_as_json_and_as_text() {
    let tmp = tempfile::tempdir().expect("tmp");
    let args = [
        "audit",
        "fairness",
        "--protected",
        "gender,age_band",
        "--decision",
        "decision",
        "--label",
        "label",
        "--score",
        "score",
        "--input",
    ];
    let report = json(rapport(tmp.path()).args(args).arg(case()));
    assert_eq!(report["format"], "rapport.fairness-audit/1");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["n_rows"], 4000);
    assert_eq!(report["n_unknown_excluded"]["age_band"], 80);
    assert_eq!(
        report["analyses"]["age_band"]["groups"]["65+"]["status"],
        "fail"
    );
    assert_eq!(report["analyses"]["gender"]["reference_group"], "male");
    // Byte-identical when run again; one line of canonical JSON.
    let a = ok(rapport(tmp.path()).args(args).arg(case()).arg("--json"));
    let b = ok(rapport(tmp.path()).args(args).arg(case()).arg("--json"));
    assert_eq!(a, b);
    assert_eq!(a.trim_end().lines().count(), 1);

    let text = ok(rapport(tmp.path()).args(args).arg(case()));
    assert!(text.starts_with("Fairness audit: FAIL"), "{text}");
    assert!(text.contains("gender×age_band — FAIL"), "{text}");

    // A top-k list from the score column instead of the decision column.
    let top = json(
        rapport(tmp.path())
            .args([
                "audit",
                "fairness",
                "--protected",
                "gender",
                "--score",
                "score",
                "--top-k",
                "500",
                "--input",
            ])
            .arg(case()),
    );
    assert_eq!(top["selection"]["rule"], "top_k");
    assert!(top["selected"].as_u64().expect("selected") >= 500);
}

#[test]
fn bad_files_and_options_are_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "gender,decision\nf,1\nm,yes\n").expect("write");
    let out = run(rapport(tmp.path())
        .args([
            "audit",
            "fairness",
            "--protected",
            "gender",
            "--decision",
            "decision",
            "--input",
        ])
        .arg(&bad));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.csv:3: column `decision` (2): \"yes\" is not 0, 1, true or false"),
        "{stderr}"
    );
    let out = run(rapport(tmp.path())
        .args(["audit", "fairness", "--protected", "gender", "--input"])
        .arg(&bad));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("say who was selected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(rapport(tmp.path())
        .args([
            "audit",
            "fairness",
            "--protected",
            "gender",
            "--decision",
            "decision",
            "--policy",
            "/nonexistent/policy.json",
            "--input",
        ])
        .arg(&bad));
    assert!(!out.status.success());
}

#[test]
fn a_stored_run_is_audited_by_its_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    init_with_passphrase(&data, PASSPHRASE);
    let sample = tmp.path().join("sample");
    ok(rapport(&data)
        .args(["generate", "--customers", "400", "--seed", "4", "--out"])
        .arg(&sample));
    for kind in ["customers", "transactions"] {
        ok(with_pw(&mut rapport(&data))
            .args(["import", "--tenant", "acme", "--kind", kind])
            .arg(sample.join(format!("{kind}.csv"))));
    }
    ok(with_pw(&mut rapport(&data))
        .args(["plugin", "publish"])
        .arg(repo().join("plugins/dist/rfm-0.2.0.rpkg")));
    ok(with_pw(&mut rapport(&data)).args([
        "plugin",
        "install",
        "--tenant",
        "acme",
        "rfm@0.2.0",
        "--purpose",
        "analytics_profiling",
    ]));
    let r = json(with_pw(&mut rapport(&data)).args([
        "run",
        "--tenant",
        "acme",
        "--plugin",
        "rfm",
        "--as-of",
        "2025-01-01T00:00:00Z",
    ]));
    let run_id = r["run"].as_str().expect("run id").to_owned();
    let report = json(with_pw(&mut rapport(&data)).args([
        "audit",
        "fairness",
        "--run",
        &run_id,
        "--top-percent",
        "20",
    ]));
    assert_eq!(report["source"]["kind"], "run");
    assert_eq!(report["source"]["run"], run_id.as_str());
    assert_eq!(report["n_rows"], r["subjects"]);
    assert!(report["analyses"]["gender×age_band"]["groups"].is_object());
    // The text names the run; a file option on a run is refused.
    let text = ok(with_pw(&mut rapport(&data)).args([
        "audit", "fairness", "--tenant", "acme", "--run", &run_id, "--top", "40",
    ]));
    assert!(text.contains(&format!("run {run_id}")), "{text}");
    let out = run(with_pw(&mut rapport(&data)).args([
        "audit",
        "fairness",
        "--run",
        &run_id,
        "--top",
        "40",
        "--protected",
        "gender",
    ]));
    assert!(!out.status.success());
}
