//! The plugin developer's and operator's path, end to end, with real
//! processes: `plugin new` → build → `plugin test` → pack → sign → publish →
//! trust → install → run → replay, and the scores of the run.

use std::path::Path;
use std::process::Command;

use crate::support::{init_with_passphrase, json, ok, rapport, run};

const PW: &str = "pw";
const KEY_PW: &str = "publisher passphrase";
const AS_OF: &str = "2026-06-30T00:00:00Z";

fn cargo_build(dir: &Path) {
    let out = Command::new(env!("CARGO"))
        .args(["build", "--profile", "plugin", "--target", "wasm32-wasip2"])
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo");
    assert!(
        out.status.success(),
        "the scaffolded plugin does not build as is:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with_pw(c: &mut Command) -> &mut Command {
    c.env("RAPPORT_PASSPHRASE", PW)
        .env("RAPPORT_PLUGIN_KEY_PASSPHRASE", KEY_PW)
}

#[test]
fn a_new_plugin_goes_from_scaffold_to_a_replayed_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let dir = tmp.path().join("my-score");

    // Scaffold and build, as a developer would.
    ok(rapport(&data)
        .args(["plugin", "new", "my-score", "--kind", "scorer", "--dir"])
        .arg(&dir));
    assert!(dir.join("rapport-plugin.toml").exists());
    cargo_build(&dir);

    // Run it locally on its fixture, under production limits.
    let report = json(
        rapport(&data)
            .args(["plugin", "test"])
            .arg(&dir)
            .arg("--fixture")
            .arg(dir.join("fixtures/sample.json")),
    );
    let outputs = report["outputs"].as_array().expect("outputs");
    assert!(!outputs.is_empty(), "{report}");
    assert!(report["score"]["fuel_used"].as_u64().expect("fuel") > 0);
    assert!(
        report["score"]["peak_memory_bytes"]
            .as_u64()
            .expect("memory")
            > 0
    );

    // Keys, package, signature.
    let keys = tmp.path().join("keys");
    ok(with_pw(&mut rapport(&data))
        .args(["plugin", "keygen", "--out"])
        .arg(&keys));
    let pkg = tmp.path().join("my-score.rpkg");
    ok(rapport(&data)
        .args(["plugin", "pack"])
        .arg(&dir)
        .arg("--out")
        .arg(&pkg));
    // An unsigned package cannot be published.
    let out = run(with_pw(&mut rapport(&data))
        .args(["plugin", "publish"])
        .arg(&pkg));
    init_with_passphrase(&data, PW);
    let out2 = run(with_pw(&mut rapport(&data))
        .args(["plugin", "publish"])
        .arg(&pkg));
    assert!(!out.status.success() && !out2.status.success());
    assert!(
        String::from_utf8_lossy(&out2.stderr).contains("not signed"),
        "{}",
        String::from_utf8_lossy(&out2.stderr)
    );
    ok(with_pw(&mut rapport(&data))
        .args(["plugin", "sign"])
        .arg(&pkg)
        .arg("--key")
        .arg(keys.join("publisher.key")));
    let verified = json(
        rapport(&data)
            .args(["plugin", "verify"])
            .arg(&pkg)
            .arg("--key")
            .arg(keys.join("publisher.pub")),
    );
    let key_id = verified["signer_key_id"]
        .as_str()
        .expect("key id")
        .to_owned();
    ok(with_pw(&mut rapport(&data))
        .args(["plugin", "publish"])
        .arg(&pkg));

    // A small population.
    let sample = tmp.path().join("sample");
    ok(rapport(&data)
        .args(["generate", "--customers", "300", "--seed", "3", "--out"])
        .arg(&sample));
    for kind in ["customers", "transactions"] {
        ok(with_pw(&mut rapport(&data))
            .args(["import", "--tenant", "acme", "--kind", kind])
            .arg(sample.join(format!("{kind}.csv"))));
    }

    // Install is refused until the tenant trusts the publisher.
    let out = run(with_pw(&mut rapport(&data)).args([
        "plugin",
        "install",
        "--tenant",
        "acme",
        "my-score@0.1.0",
        "--purpose",
        "analytics_profiling",
    ]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&key_id) && stderr.contains("trust"),
        "{stderr}"
    );
    ok(with_pw(&mut rapport(&data))
        .args(["plugin", "trust", "--tenant", "acme"])
        .arg(keys.join("publisher.pub")));
    let installed = json(with_pw(&mut rapport(&data)).args([
        "plugin",
        "install",
        "--tenant",
        "acme",
        "my-score@0.1.0",
        "--purpose",
        "analytics_profiling",
    ]));
    assert_eq!(installed["signer_key_id"], key_id.as_str());

    // Run, twice in separate processes: the same digest, config and input
    // give the same output hash.
    let run1 = json(with_pw(&mut rapport(&data)).args([
        "run", "--tenant", "acme", "--plugin", "my-score", "--as-of", AS_OF,
    ]));
    assert_eq!(run1["status"], "succeeded", "{run1}");
    assert!(run1["subjects"].as_u64().expect("subjects") > 0, "{run1}");
    let run2 = json(with_pw(&mut rapport(&data)).args([
        "run", "--tenant", "acme", "--plugin", "my-score", "--as-of", AS_OF, "--batch", "7",
    ]));
    assert_eq!(run1["input_hash"], run2["input_hash"]);
    assert_eq!(run1["output_hash"], run2["output_hash"]);
    assert_ne!(run1["run"], run2["run"]);

    // Replay from the pins.
    let run_id = run1["run"].as_str().expect("run id").to_owned();
    let replay = json(with_pw(&mut rapport(&data)).args(["run", "replay", &run_id]));
    assert_eq!(replay["verdict"], "reproduced", "{replay}");

    // The stored outputs, with explanations.
    let scores = json(with_pw(&mut rapport(&data)).args([
        "scores", "--tenant", "acme", "--run", &run_id, "--limit", "5",
    ]));
    let outs = scores["outputs"].as_array().expect("outputs");
    assert_eq!(outs.len(), 5);
    for o in outs {
        assert!(o["subject"].as_str().expect("subject").starts_with('C'));
        assert!(
            !o["explanation"].as_array().expect("explanation").is_empty(),
            "{o}"
        );
    }
}
