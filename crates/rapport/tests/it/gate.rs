//! `rapport action …` and `rapport audit ropa|report` as an operator, a
//! reviewer and a compliance officer run them: real processes, real files,
//! a real run of the first-party `rfm` plugin, the real `age` tool.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{json, ok, rapport, run};

const PW: &str = "pw";
const AS_OF: &str = "2026-06-30T00:00:00Z";

fn cmd(data: &Path, args: &[&str]) -> Command {
    let mut c = rapport(data);
    c.args(args).env("RAPPORT_PASSPHRASE", PW);
    c
}

/// A data directory with a generated sample imported into tenant `acme`
/// and a run of `rfm`; returns the data directory, the sample directory and
/// the run id.
fn setup(tmp: &Path) -> (PathBuf, PathBuf, String) {
    let data = tmp.join("data");
    let sample = tmp.join("sample");
    ok(rapport(&data)
        .args(["generate", "--customers", "300", "--seed", "5", "--out"])
        .arg(&sample));
    ok(&mut cmd(&data, &["init", "--kdf-cost", "10"]));
    ok(&mut cmd(&data, &["tenant", "create", "acme"]));
    for (i, text) in ["notice v1", "notice v2"].iter().enumerate() {
        let f = tmp.join(format!("notice{i}.txt"));
        std::fs::write(&f, text).expect("notice");
        ok(cmd(
            &data,
            &[
                "notice",
                "publish",
                "--tenant",
                "acme",
                "--id",
                "privacy-notice",
                "--file",
            ],
        )
        .arg(&f));
    }
    for kind in ["customers", "transactions", "consents"] {
        ok(cmd(&data, &["import", "--tenant", "acme", "--kind", kind])
            .arg(sample.join(format!("{kind}.csv"))));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ok(cmd(&data, &["plugin", "publish"]).arg(root.join("plugins/dist/rfm-0.2.0.rpkg")));
    ok(&mut cmd(
        &data,
        &[
            "plugin",
            "install",
            "--tenant",
            "acme",
            "rfm@0.2.0",
            "--purpose",
            "analytics_profiling",
        ],
    ));
    let r = json(&mut cmd(
        &data,
        &[
            "run", "--tenant", "acme", "--plugin", "rfm", "--as-of", AS_OF,
        ],
    ));
    assert_eq!(r["status"], "succeeded", "{r}");
    (data, sample, r["run"].as_str().expect("run id").to_owned())
}

fn approve_if_held(data: &Path, v: &serde_json::Value) {
    if v["status"] == "pending_review" {
        let id = v["action"].as_str().expect("id");
        let a = json(&mut cmd(
            data,
            &[
                "action",
                "approve",
                id,
                "--reviewer",
                "Dana Reviewer",
                "--note",
                "looked at the segment",
            ],
        ));
        assert_eq!(a["status"], "approved", "{a}");
        assert_eq!(a["review"]["reviewer"], "Dana Reviewer");
    }
}

/// Every value of the personal columns of the generated customers.
fn personal_values(sample: &Path) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(sample.join("customers.csv")).expect("csv");
    let headers = rdr.headers().expect("headers").clone();
    let cols: Vec<usize> = ["id", "name", "email", "phone", "address", "birth_date"]
        .iter()
        .map(|c| headers.iter().position(|h| h == *c).expect("column"))
        .collect();
    let mut out = Vec::new();
    for r in rdr.records() {
        let r = r.expect("row");
        for &c in &cols {
            if let Some(v) = r.get(c).filter(|v| v.len() >= 6) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

#[test]
fn a_gated_campaign_from_request_to_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, sample, run_id) = setup(tmp.path());
    let scores = json(&mut cmd(
        &data,
        &[
            "scores", "--tenant", "acme", "--run", &run_id, "--limit", "1",
        ],
    ));
    let segment = scores["labels"][0][0].as_str().expect("label").to_owned();

    // The operator asks; the verdict names every exclusion with its rule.
    let v = json(&mut cmd(
        &data,
        &[
            "action",
            "request",
            "--tenant",
            "acme",
            "--kind",
            "email_campaign",
            "--purpose",
            "direct_marketing_email",
            "--segment",
            &segment,
        ],
    ));
    let id = v["action"].as_str().expect("id").to_owned();
    let counts = &v["verdict"]["counts"];
    assert_eq!(counts["targeted"], scores["labels"][0][1]);
    assert!(counts["excluded"].as_u64().expect("excluded") > 0, "{v}");
    for s in v["subjects"].as_array().expect("subjects") {
        assert!(!s["reasons"].as_array().expect("reasons").is_empty(), "{s}");
        assert!(
            s["reasons"][0]["citation"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{s}"
        );
    }
    assert_eq!(v["verdict"]["pins"]["run"]["id"], run_id.as_str());
    // The text form says what to do next.
    let shown = ok(&mut cmd(&data, &["action", "show", &id]));
    assert!(
        shown.contains(&id) && shown.contains("excluded by rule"),
        "{shown}"
    );

    approve_if_held(&data, &v);
    let list = tmp.path().join("campaign.csv");
    let done = json(cmd(&data, &["action", "execute", &id, "--out"]).arg(&list));
    assert_eq!(done["encrypted"], false);
    let text = std::fs::read_to_string(&list).expect("list");
    // An internal list holds external ids and nothing else.
    assert!(text.starts_with("subject\n"), "{text}");
    assert_eq!(
        text.lines().count() as u64 - 1,
        done["final_count"].as_u64().expect("final")
    );
    assert!(text
        .lines()
        .skip(1)
        .all(|l| l.starts_with('C') && !l.contains(',')));
    // Once only.
    let again = tmp.path().join("again.csv");
    let out = run(cmd(&data, &["action", "execute", &id, "--out"]).arg(&again));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already executed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!again.exists());

    // Replayed from its pins, the verdict is the same.
    let r = json(&mut cmd(&data, &["action", "replay", &id]));
    assert_eq!(r["verdict"], "reproduced", "{r}");
    assert_eq!(r["replayed_outcome"], v["outcome"]);

    // Two processes racing to execute one approved action: one wins.
    let v2 = json(&mut cmd(
        &data,
        &[
            "action",
            "request",
            "--tenant",
            "acme",
            "--kind",
            "email_campaign",
            "--purpose",
            "direct_marketing_email",
            "--segment",
            &segment,
            "--run",
            &run_id,
        ],
    ));
    approve_if_held(&data, &v2);
    let id2 = v2["action"].as_str().expect("id").to_owned();
    let outs: Vec<PathBuf> = (0..2)
        .map(|i| tmp.path().join(format!("race{i}.csv")))
        .collect();
    let children: Vec<std::process::Child> = outs
        .iter()
        .map(|o| {
            cmd(&data, &["action", "execute", &id2, "--out"])
                .arg(o)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let results: Vec<bool> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait").status.success())
        .collect();
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    assert_eq!(outs.iter().filter(|o| o.exists()).count(), 1);

    let listed = json(&mut cmd(&data, &["action", "list", "--tenant", "acme"]));
    assert_eq!(listed.as_array().expect("list").len(), 2);

    // Every verdict, review and execution is an entry of the tenant's log;
    // the action shows where its entries are, and the log still verifies.
    let shown = json(&mut cmd(&data, &["action", "show", &id]));
    let kinds: Vec<&str> = shown["log_entries"]
        .as_array()
        .expect("log entries")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds.first(), Some(&"verdict"), "{shown}");
    assert_eq!(kinds.last(), Some(&"execution"), "{shown}");
    assert_eq!(shown["log"], shown["log_entries"][0]["pin"]);
    let verdict_seq = shown["log"]["seq"].as_u64().expect("pinned");
    let text = ok(&mut cmd(&data, &["action", "show", &id]));
    assert!(
        text.contains(&format!("log: verdict #{verdict_seq}")),
        "{text}"
    );
    let log_text = ok(&mut cmd(&data, &["audit", "log", "--tenant", "acme"]));
    for kind in ["verdict", "execution"] {
        assert!(
            log_text.lines().any(|l| l.contains(&format!(" {kind} "))),
            "no {kind} entry in\n{log_text}"
        );
    }
    if v["status"] == "pending_review" {
        assert!(
            log_text.lines().any(|l| l.contains(" approval ")),
            "{log_text}"
        );
    }
    let verdicts = json(&mut cmd(
        &data,
        &["audit", "log", "--tenant", "acme", "--kind", "verdict"],
    ));
    let verdicts = verdicts.as_array().expect("entries");
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["seq"].as_u64(), Some(verdict_seq));
    assert_eq!(verdicts[0]["body"]["action"], id.as_str());
    assert_eq!(verdicts[0]["body"]["outcome"], v["outcome"]);
    let executions = json(&mut cmd(
        &data,
        &["audit", "log", "--tenant", "acme", "--kind", "execution"],
    ));
    // Two actions executed, one of them by the winner of the race.
    assert_eq!(executions.as_array().expect("entries").len(), 2);
    let verified = ok(&mut cmd(&data, &["audit", "verify"]));
    assert!(!verified.contains("first bad entry"), "{verified}");

    // The report: one self-contained page, and canonical, repeatable JSON
    // without a single row-level value.
    let html_path = tmp.path().join("report.html");
    let printed = ok(cmd(
        &data,
        &[
            "audit", "report", "--tenant", "acme", "--run", &run_id, "--out",
        ],
    )
    .arg(&html_path));
    assert!(printed.contains("report.html"), "{printed}");
    let html = std::fs::read_to_string(&html_path).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("<style>"));
    for external in ["<script", "<link", " src=", " href=", "url(", "@import"] {
        assert!(!html.contains(external), "the page loads {external}");
    }
    assert!(
        html.replace("http://www.w3.org/2000/svg", "")
            .find("http")
            .is_none(),
        "the page refers to the network"
    );
    assert!(html.contains(&id) && html.contains(&id2));
    let j1 = ok(&mut cmd(
        &data,
        &[
            "--json", "audit", "report", "--tenant", "acme", "--run", &run_id,
        ],
    ));
    let j2 = ok(&mut cmd(
        &data,
        &[
            "--json", "audit", "report", "--tenant", "acme", "--run", &run_id,
        ],
    ));
    assert_eq!(j1, j2, "the JSON report is byte-identical when re-run");
    // It is signed with the tenant's log key, over a checkpoint of its log:
    // checked with the public key of the exported head.
    let head_path = tmp.path().join("head.json");
    ok(cmd(
        &data,
        &["audit", "export-head", "--tenant", "acme", "--out"],
    )
    .arg(&head_path));
    let head: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&head_path).expect("head")).expect("json");
    let key: [u8; 32] = hex::decode(head["public_key"].as_str().expect("key"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    rapport_audit::report::check_report_json(&j1, &key).expect("the report checks");
    let forged = j1.replacen("\"final_count\":", "\"final_count\":9", 1);
    assert!(rapport_audit::report::check_report_json(&forged, &key).is_err());
    // New log entries that the report does not rely on leave it unchanged.
    ok(&mut cmd(
        &data,
        &["audit", "checkpoint", "--tenant", "acme"],
    ));
    let j3 = ok(&mut cmd(
        &data,
        &[
            "--json", "audit", "report", "--tenant", "acme", "--run", &run_id,
        ],
    ));
    assert_eq!(j1, j3, "a later head does not change the report");
    let parsed: serde_json::Value = serde_json::from_str(&j1).expect("json");
    assert_eq!(
        format!(
            "{}\n",
            rapport_audit::gate::canonical_json(&parsed).expect("canonical")
        ),
        j1,
        "the JSON report is canonical"
    );
    assert_eq!(parsed["input_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(parsed["policy"]["hash"].as_str().map(str::len), Some(64));
    assert_eq!(parsed["actions"].as_array().expect("actions").len(), 2);
    for value in personal_values(&sample) {
        assert!(!j1.contains(&value), "the JSON report holds `{value}`");
        assert!(!html.contains(&value), "the HTML report holds `{value}`");
    }
    // One action only, and a clear error for an action not on the run.
    let one = ok(&mut cmd(
        &data,
        &[
            "--json", "audit", "report", "--tenant", "acme", "--run", &run_id, "--action", &id,
        ],
    ));
    let one: serde_json::Value = serde_json::from_str(&one).expect("json");
    assert_eq!(one["actions"].as_array().expect("actions").len(), 1);
    let out = run(&mut cmd(
        &data,
        &[
            "audit", "report", "--tenant", "acme", "--run", &run_id, "--action", "act-nope",
        ],
    ));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not requested on run"));

    // The record of processing names the plugin and the fields it reads.
    let ropa = json(&mut cmd(&data, &["audit", "ropa", "--tenant", "acme"]));
    let analytics = ropa["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .find(|a| a["purpose"] == "analytics_profiling")
        .expect("analytics_profiling");
    assert_eq!(analytics["plugins"][0]["plugin"], "rfm");
    assert!(!analytics["plugins"][0]["granted_fields"]
        .as_array()
        .expect("fields")
        .is_empty());
    let text = ok(&mut cmd(&data, &["audit", "ropa", "--tenant", "acme"]));
    assert!(
        text.contains("(g) Security measures") && text.contains("direct_marketing_email"),
        "{text}"
    );
}

#[test]
fn a_partner_export_is_encrypted_to_its_recipient_and_erasure_names_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    ok(&mut cmd(&data, &["init", "--kdf-cost", "10"]));
    ok(&mut cmd(&data, &["tenant", "create", "acme"]));
    let customers = tmp.path().join("customers.csv");
    std::fs::write(
        &customers,
        "id,name,email,phone,address,birth_date,gender,age_band,country,region,signup_date,notes\n\
         P1,Pia One,pia.one@example.org,,,1980-01-01,female,35-44,DE,,2023-01-01,\n\
         P2,Paul Two,paul.two@example.org,,,1975-05-05,male,45-54,FR,,2023-01-01,\n\
         P3,Cal Three,cal.three@example.org,,,1991-03-03,male,25-34,US,CA,2023-01-01,\n",
    )
    .expect("customers");
    let consents = tmp.path().join("consents.csv");
    std::fs::write(
        &consents,
        "id,subject_id,purpose,lawful_basis,status,jurisdiction,recorded_at,method\n\
         s1,P1,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form\n\
         s2,P2,partner_data_sharing,consent,granted,EU,2024-01-01T10:00:00Z,web_form\n\
         g3,P3,partner_data_sharing,consent,withdrawn,US-CA,2024-03-01T10:00:00Z,gpc_signal\n",
    )
    .expect("consents");
    ok(cmd(
        &data,
        &["import", "--tenant", "acme", "--kind", "customers"],
    )
    .arg(&customers));
    ok(cmd(&data, &["import", "--tenant", "acme", "--kind", "consents"]).arg(&consents));
    let list = tmp.path().join("list.txt");
    std::fs::write(&list, "P1\nP2\nP3\n").expect("list");
    let v = json(
        cmd(
            &data,
            &[
                "action",
                "request",
                "--tenant",
                "acme",
                "--kind",
                "partner_export",
                "--purpose",
                "partner_data_sharing",
                "--subjects",
            ],
        )
        .arg(&list),
    );
    assert_eq!(v["verdict"]["counts"]["included"], 2, "{v}");
    assert_eq!(v["verdict"]["exclusions"]["ccpa.7025.gpc"], 1, "{v}");
    approve_if_held(&data, &v);
    let id = v["action"].as_str().expect("id");
    // A list that leaves the platform is never written in the clear.
    let out_file = tmp.path().join("partner.age");
    let out = run(cmd(&data, &["action", "execute", id, "--out"]).arg(&out_file));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--recipient"));
    assert!(!out_file.exists());

    let identity = tmp.path().join("partner-key.txt");
    let gen = Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .expect("age-keygen is installed (scripts/test.sh installs it)");
    assert!(gen.status.success());
    let recipient = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&identity)
            .output()
            .expect("age-keygen -y")
            .stdout,
    )
    .expect("utf8")
    .trim()
    .to_owned();
    let done = json(
        cmd(
            &data,
            &[
                "action",
                "execute",
                id,
                "--recipient",
                &recipient,
                "--recipient-name",
                "Partner Co Ltd",
                "--out",
            ],
        )
        .arg(&out_file),
    );
    assert_eq!(done["disclosures"], 2);
    let bytes = std::fs::read(&out_file).expect("list");
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&bytes).contains("pia.one@example.org"));
    let plain = Command::new("age")
        .arg("--decrypt")
        .arg("--identity")
        .arg(&identity)
        .arg(&out_file)
        .output()
        .expect("age is installed (scripts/test.sh installs it)");
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        "subject,name,email\nP1,Pia One,pia.one@example.org\nP2,Paul Two,paul.two@example.org\n"
    );

    // The records of processing list the recipient.
    let ropa = json(&mut cmd(&data, &["audit", "ropa", "--tenant", "acme"]));
    assert_eq!(ropa["recipients"][0]["recipient"], "Partner Co Ltd");
    assert_eq!(ropa["recipients"][0]["subjects"], 2);

    // An erasure reports whom to tell (GDPR Art. 17(2), 19).
    let erased = json(&mut cmd(
        &data,
        &["privacy", "erase", "--tenant", "acme", "--subject", "P1"],
    ));
    assert_eq!(
        erased["recipients_to_notify"][0]["recipient"],
        "Partner Co Ltd"
    );
    assert_eq!(erased["recipients_to_notify"][0]["action"], id);
    let text = ok(&mut cmd(
        &data,
        &["privacy", "erase", "--tenant", "acme", "--subject", "P2"],
    ));
    assert!(text.contains("Partner Co Ltd"), "{text}");
}

/// A tenant of 50 men and 50 women, all consenting to e-mail marketing, and
/// a list of four men in five but two women in five: the fairness
/// statistics find the four-fifths failure from the eligible population's
/// counts, and the default policy blocks the campaign.
#[test]
fn a_campaign_that_fails_four_fifths_is_blocked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    ok(&mut cmd(&data, &["init", "--kdf-cost", "10"]));
    ok(&mut cmd(&data, &["tenant", "create", "acme"]));
    let mut customers = String::from(
        "id,name,email,phone,address,birth_date,gender,age_band,country,region,signup_date,notes\n",
    );
    let mut consents =
        String::from("id,subject_id,purpose,lawful_basis,status,jurisdiction,recorded_at,method\n");
    let mut list = String::new();
    for (prefix, gender, listed) in [("M", "male", 40), ("F", "female", 20)] {
        for i in 1..=50 {
            let id = format!("{prefix}{i}");
            let band = if i % 2 == 0 { "25-34" } else { "45-54" };
            customers.push_str(&format!(
                "{id},Person {id},{id}@example.org,,,1980-01-01,{gender},{band},DE,,2023-01-01,\n"
            ));
            consents.push_str(&format!(
                "k{id},{id},direct_marketing_email,consent,granted,EU,2024-01-01T10:00:00Z,web_form\n"
            ));
            if i <= listed {
                list.push_str(&format!("{id}\n"));
            }
        }
    }
    for (kind, text) in [("customers", &customers), ("consents", &consents)] {
        let f = tmp.path().join(format!("{kind}.csv"));
        std::fs::write(&f, text).expect("write");
        ok(cmd(&data, &["import", "--tenant", "acme", "--kind", kind]).arg(&f));
    }
    let list_file = tmp.path().join("list.txt");
    std::fs::write(&list_file, list).expect("list");
    let v = json(
        cmd(
            &data,
            &[
                "action",
                "request",
                "--tenant",
                "acme",
                "--kind",
                "email_campaign",
                "--purpose",
                "direct_marketing_email",
                "--subjects",
            ],
        )
        .arg(&list_file),
    );
    assert_eq!(v["outcome"], "block", "{v}");
    let verdict = &v["verdict"];
    assert_eq!(verdict["counts"]["included"], 60, "{v}");
    assert_eq!(verdict["counts"]["eligible"], 100, "{v}");
    assert!(
        verdict["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["rule"] == "gate.fairness.fail"),
        "{v}"
    );
    let f = &verdict["fairness"];
    assert_eq!(f["outcome"], "fail", "{f}");
    let gender = f["reasons"]
        .as_array()
        .expect("fairness reasons")
        .iter()
        .find(|r| r["analysis"] == "gender")
        .expect("a reason on gender");
    assert_eq!(gender["rule"], "impact_ratio_significantly_below");
    assert_eq!(gender["group"], "female");
    assert_eq!(gender["value"], 0.5);
    assert!(
        gender["interval"][1].as_f64().expect("upper") < 0.8,
        "{gender}"
    );
    let female = &f["audit"]["analyses"]["gender"]["groups"]["female"];
    assert_eq!(
        (female["n"].as_u64(), female["selected"].as_u64()),
        (Some(50), Some(20))
    );
    assert_eq!(female["status"], "fail");
    let id = v["action"].as_str().expect("id");
    // Replayed from its pins, the verdict is the same.
    let r = json(&mut cmd(&data, &["action", "replay", id]));
    assert_eq!(r["verdict"], "reproduced", "{r}");
    assert_eq!(r["replayed_outcome"], "block");
    // A blocked campaign is never sent.
    let out_file = tmp.path().join("campaign.csv");
    let out = run(cmd(&data, &["action", "execute", id, "--out"]).arg(&out_file));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("blocked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out_file.exists());
}
