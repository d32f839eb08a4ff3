//! Plugins through the application layer: real components built from the
//! test crates in `plugins/testing/`, packed and signed, published into a
//! real data directory, installed and run over imported data.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rapport_core::{ImportKind, Platform, RunOptions};
use rapport_plugin::package::{pack, Package};
use rapport_plugin::signing::{generate, PublicKey, SecretKey};

use crate::support::{import, Env};

const TENANT: &str = "acme";
const AS_OF: &str = "2026-06-30T00:00:00Z";

/// One publisher key per test process (key derivation is deliberately slow).
fn publisher() -> &'static (SecretKey, PublicKey) {
    static KEY: OnceLock<(SecretKey, PublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let (secret, public) = generate("test passphrase", "test publisher").expect("keygen");
        let secret = SecretKey::load(secret.as_str(), "test passphrase").expect("load key");
        (secret, public)
    })
}

/// Builds a test guest and packs it with a manifest; signed unless told not to.
#[allow(clippy::too_many_arguments)]
fn package(
    dir: &Path,
    guest: &str,
    id: &str,
    kind: &str,
    inputs: &[&str],
    schema: &str,
    default_config: Option<&str>,
    sign: bool,
) -> PathBuf {
    // `id` may carry a version: `echo@0.2.0`.
    let (id, version) = id.split_once('@').unwrap_or((id, "0.1.0"));
    // `plugin-echo` is built for the current contract; the hostile test
    // guests stay on 0.1.0 (see plugins/testing).
    let wit = if guest == "plugin-echo" {
        rapport_plugin::WIT_PACKAGE
    } else {
        "rapport:plugin@0.1.0"
    };
    let wasm = rapport_plugin::build::workspace_guest(guest).expect("build guest");
    let src = dir.join(format!("{id}-{version}-src"));
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::copy(&wasm, src.join("plugin.wasm")).expect("copy component");
    let inputs: Vec<String> = inputs.iter().map(|f| format!("\"{f}\"")).collect();
    let default_line = if default_config.is_some() {
        "default_config = \"config.default.json\"\n"
    } else {
        ""
    };
    std::fs::write(
        src.join("rapport-plugin.toml"),
        format!(
            "[plugin]\nid = \"{id}\"\nversion = \"{version}\"\nkind = \"{kind}\"\nwit = \"{wit}\"\n\
             publisher = \"Test Publisher\"\ndescription = \"a test plugin\"\ncomponent = \"plugin.wasm\"\n\
             config_schema = \"config.schema.json\"\n{default_line}\n[inputs]\nfields = [{}]\n\n\
             [limits.default]\nfuel_base = 500000000\nfuel_per_subject = 1000000\nmemory_mib = 64\nwall_ms = 5000\n\n\
             [limits.max]\nfuel_base = 1000000000\nfuel_per_subject = 2000000\nmemory_mib = 128\nwall_ms = 20000\n",
            inputs.join(", ")
        ),
    )
    .expect("manifest");
    std::fs::write(src.join("config.schema.json"), schema).expect("schema");
    if let Some(c) = default_config {
        std::fs::write(src.join("config.default.json"), c).expect("default config");
    }
    let mut pkg = pack(&src).expect("pack");
    if sign {
        pkg.sign(&publisher().0);
    }
    let out = dir.join(format!("{id}-{version}.rpkg"));
    pkg.write(&out).expect("write package");
    out
}

const OPEN_SCHEMA: &str = r#"{"type": "object"}"#;

/// Trusts the test publisher, then packs, publishes and installs a test
/// component with an open configuration schema and `{}` as its default.
async fn install_guest(
    env: &Env,
    p: &Platform,
    guest: &str,
    id: &str,
    kind: &str,
    inputs: &[&str],
    purpose: &str,
) {
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    let pkg = package(
        env.tmp.path(),
        guest,
        id,
        kind,
        inputs,
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&pkg, None).await.expect("publish");
    p.install_plugin(TENANT, id, purpose, None, None)
        .await
        .expect("install");
}

async fn tenant_with_customers(env: &Env, n: u64) -> Platform {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(n, 5, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    for kind in ImportKind::ALL {
        if kind == ImportKind::Consents {
            for text in ["notice v1", "notice v2"] {
                p.publish_notice(TENANT, "privacy-notice", text, false)
                    .await
                    .expect("notice");
            }
        }
        import(
            &p,
            TENANT,
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    p
}

fn run_opts() -> RunOptions {
    RunOptions {
        as_of: Some(AS_OF.to_owned()),
        seed: 9,
        batch: Some(50),
    }
}

async fn echo_values(p: &Platform, plugin: &str) -> Vec<serde_json::Value> {
    let run = p
        .run_plugin(TENANT, plugin, &run_opts())
        .await
        .expect("run");
    assert_eq!(run.status, "succeeded", "{:?}", run.failure);
    p.run_scores(TENANT, &run.run, None)
        .await
        .expect("scores")
        .outputs
        .into_iter()
        .map(|o| o.values)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_receives_only_the_fields_it_declared_and_was_granted() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 120).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    // The tenant refuses to let plugins read the region.
    p.set_plugin_field_policy(TENANT, &["customer.region".to_owned()])
        .await
        .expect("policy");
    // The manifest declares four fields; the component would read anything.
    let pkg = package(
        env.tmp.path(),
        "plugin-echo",
        "echo",
        "scorer",
        &[
            "purchases.count",
            "purchases.last",
            "customer.region",
            "transactions.amount",
        ],
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&pkg, None).await.expect("publish");
    let inst = p
        .install_plugin(TENANT, "echo@0.1.0", "analytics_profiling", None, None)
        .await
        .expect("install");
    assert_eq!(
        inst.granted_fields,
        ["purchases.count", "purchases.last", "transactions.amount"]
    );
    assert_eq!(inst.withheld_fields, ["customer.region"]);
    let values = echo_values(&p, "echo").await;
    assert!(!values.is_empty());
    let granted = ["purchases.count", "purchases.last", "transactions.amount"];
    let mut seen_last = false;
    for v in &values {
        let obj = v.as_object().expect("values");
        for (name, _) in obj.iter().filter(|(k, _)| k.starts_with("present:")) {
            let field = &name["present:".len()..];
            // A list is present when one of its fields is granted.
            let ok = granted.contains(&field)
                || granted.iter().any(|g| g.split('.').next() == Some(field));
            assert!(ok, "the plugin received `{field}`: {v}");
        }
        assert!(obj.contains_key("present:purchases.count"), "{v}");
        seen_last |= obj.contains_key("present:purchases.last");
    }
    assert!(seen_last, "buyers carry their last purchase");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_customers_whose_consent_allows_the_purpose_are_scored() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 150).await;
    install_guest(
        &env,
        &p,
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count"],
        "direct_marketing_email",
    )
    .await;
    let run = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    let summary = p
        .consent_summary(TENANT, "direct_marketing_email", Some(AS_OF))
        .await
        .expect("summary");
    assert_eq!(run.subjects, summary.allowed);
    assert_eq!(run.subjects + run.excluded_by_consent, summary.subjects);
    assert!(run.excluded_by_consent > 0, "the sample has refusals");
    assert!(run.subjects > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_signature_schema_and_imports_are_checked_at_install() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 20).await;
    let schema = r#"{"type": "object", "properties": {"threshold": {"type": "number", "minimum": 0}}, "required": ["threshold"], "additionalProperties": false}"#;
    let signed = package(
        env.tmp.path(),
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count"],
        schema,
        None,
        true,
    );
    let unsigned = package(
        env.tmp.path(),
        "plugin-echo",
        "unsigned",
        "scorer",
        &["purchases.count"],
        schema,
        None,
        false,
    );

    // Unsigned packages are not published.
    let err = p
        .publish_plugin(&unsigned, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not signed"), "{err}");

    // A signature by a key the tenant does not trust.
    p.publish_plugin(&signed, None).await.expect("publish");
    let cfg = serde_json::json!({"threshold": 1.5});
    let err = p
        .install_plugin(
            TENANT,
            "echo@0.1.0",
            "analytics_profiling",
            Some(cfg.clone()),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&publisher().1.key_id()), "{err}");
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");

    // A configuration the schema refuses, named by its pointer.
    let err = p
        .install_plugin(
            TENANT,
            "echo@0.1.0",
            "analytics_profiling",
            Some(serde_json::json!({"threshold": -1})),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("schema") && err.contains("threshold"), "{err}");
    // No configuration and no default.
    let err = p
        .install_plugin(TENANT, "echo@0.1.0", "analytics_profiling", None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--config"), "{err}");
    // Limits above the manifest's maximum.
    let limits = rapport_core::Limits {
        memory_mib: 4096,
        ..Default::default()
    };
    let err = p
        .install_plugin(
            TENANT,
            "echo@0.1.0",
            "analytics_profiling",
            Some(cfg.clone()),
            Some(limits),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("memory_mib"), "{err}");
    // An unknown purpose.
    let err = p
        .install_plugin(
            TENANT,
            "echo@0.1.0",
            "world_domination",
            Some(cfg.clone()),
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown purpose"), "{err}");
    assert!(p.installed_plugins(TENANT).await.expect("list").is_empty());

    // A component importing sockets is refused, naming the import.
    let sockets = package(
        env.tmp.path(),
        "plugin-sockets",
        "sockets",
        "scorer",
        &["purchases.count"],
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&sockets, None).await.expect("publish");
    let err = p
        .install_plugin(TENANT, "sockets", "analytics_profiling", None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("wasi:sockets"), "{err}");
    // A component of another kind than its manifest says.
    let liar = package(
        env.tmp.path(),
        "plugin-wrong-kind",
        "liar",
        "scorer",
        &["purchases.count"],
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&liar, None).await.expect("publish");
    let err = p
        .install_plugin(TENANT, "liar", "analytics_profiling", None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("scoring"), "{err}");

    // And a good one installs.
    p.install_plugin(TENANT, "echo@0.1.0", "analytics_profiling", Some(cfg), None)
        .await
        .expect("install");
    assert_eq!(p.installed_plugins(TENANT).await.expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_altered_after_install_does_not_load() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 20).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    let pkg = package(
        env.tmp.path(),
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count"],
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    let published = p.publish_plugin(&pkg, None).await.expect("publish");
    p.install_plugin(TENANT, "echo", "analytics_profiling", None, None)
        .await
        .expect("install");
    p.run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("first run");

    // Flip one byte inside the published component.
    let path = PathBuf::from(&published.plugin.path);
    let original = std::fs::read(&path).expect("read");
    Package::from_bytes(&original).expect("the published package reads");
    let mut bytes = original.clone();
    let at = find(&bytes, b"\0asm").expect("component in the package") + 64;
    bytes[at] ^= 0x55;
    std::fs::write(&path, &bytes).expect("tamper");
    let err = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("echo@0.1.0"), "{err}");
    assert!(err.contains("digest") || err.contains("signature"), "{err}");
    // Restored, it runs again.
    std::fs::write(&path, &original).expect("restore");
    p.run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run after restore");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_is_a_recorded_failure_and_the_next_run_works() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 30).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    for (guest, id) in [("plugin-panic", "panics"), ("plugin-echo", "echo")] {
        let pkg = package(
            env.tmp.path(),
            guest,
            id,
            "scorer",
            &["purchases.count"],
            OPEN_SCHEMA,
            Some("{}"),
            true,
        );
        p.publish_plugin(&pkg, None).await.expect("publish");
        p.install_plugin(TENANT, id, "analytics_profiling", None, None)
            .await
            .expect("install");
    }
    let failed = p
        .run_plugin(TENANT, "panics", &run_opts())
        .await
        .expect("recorded");
    assert_eq!(failed.status, "failed");
    assert!(failed.output_hash.is_none());
    let why = failed.failure.clone().expect("failure");
    assert!(why.contains("trap") || why.contains("panic"), "{why}");
    let runs = p.plugin_runs(TENANT).await.expect("runs");
    assert!(runs
        .iter()
        .any(|r| r.run == failed.run && r.status == "failed"));
    let ok = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("echo");
    assert_eq!(ok.status, "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_reproduces_a_run_and_notices_changed_input() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 60).await;
    install_guest(
        &env,
        &p,
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count", "purchases.total_amount"],
        "analytics_profiling",
    )
    .await;
    let run = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    let replay = p.replay_run(TENANT, &run.run).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced");
    assert_eq!(replay.replay.output_hash, run.output_hash);

    // A transaction dated before "as of" changes the input.
    let extra = env.tmp.path().join("extra.csv");
    std::fs::write(
        &extra,
        "id,customer_id,date,quantity,amount,currency,channel\nTX-EXTRA,C0000001,2024-01-01,1,10.00,USD,web\n",
    )
    .expect("write");
    import(&p, TENANT, ImportKind::Transactions, &extra)
        .await
        .expect("import");
    let replay = p.replay_run(TENANT, &run.run).await.expect("replay");
    assert_eq!(replay.verdict, "input-changed");
    assert!(!replay.input_matches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_a_subjects_scores() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 40).await;
    install_guest(
        &env,
        &p,
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count"],
        "analytics_profiling",
    )
    .await;
    let run = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    let before = p
        .run_scores(TENANT, &run.run, None)
        .await
        .expect("scores")
        .outputs;
    let victim = before.first().expect("an output").subject.clone();
    // An access request carries the subject's scores with their explanations.
    let recipient =
        rapport_vault::generate_identity_file(&env.tmp.path().join("dsr.txt")).expect("recipient");
    let export = p
        .export_subject(
            TENANT,
            &victim,
            &recipient,
            &env.tmp.path().join("victim.age"),
            None,
        )
        .await
        .expect("export");
    assert_eq!(export.counts["scores"], 1);
    p.erase_subject(TENANT, &victim, None).await.expect("erase");
    let after = p
        .run_scores(TENANT, &run.run, None)
        .await
        .expect("scores")
        .outputs;
    assert_eq!(after.len() + 1, before.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_granted_customer_field_reaches_the_plugin() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 200).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    let all: Vec<&str> = rapport_plugin::fields::ALL
        .iter()
        .filter(|f| f.subject == rapport_plugin::fields::Subject::Customer)
        .map(|f| f.name)
        .collect();
    let pkg = package(
        env.tmp.path(),
        "plugin-echo",
        "echo",
        "scorer",
        &all,
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&pkg, None).await.expect("publish");
    p.install_plugin(TENANT, "echo", "analytics_profiling", None, None)
        .await
        .expect("install");
    // The `previous.*` fields need an earlier run to come from.
    echo_values(&p, "echo").await;
    let values = echo_values(&p, "echo").await;
    for field in &all {
        let key = format!("present:{field}");
        assert!(
            values.iter().any(|v| v.get(&key).is_some()),
            "no customer carried `{field}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_raters_receive_every_supplier_with_its_deliveries() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 50).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    // This test component counts each supplier's deliveries.
    let pkg = package(
        env.tmp.path(),
        "plugin-wrong-kind",
        "deliveries",
        "supplier-rater",
        &["deliveries.ordered", "supplier.category"],
        OPEN_SCHEMA,
        Some("{}"),
        true,
    );
    p.publish_plugin(&pkg, None).await.expect("publish");
    p.install_plugin(TENANT, "deliveries", "service_delivery", None, None)
        .await
        .expect("install");
    let run = p
        .run_plugin(TENANT, "deliveries", &run_opts())
        .await
        .expect("run");
    assert_eq!(run.status, "succeeded", "{:?}", run.failure);
    let info = p.tenant_info(TENANT).await.expect("info");
    assert_eq!(run.subjects, info.suppliers);
    assert_eq!(
        run.excluded_by_consent, 0,
        "suppliers are businesses: no consent filter"
    );
    let scores = p.run_scores(TENANT, &run.run, None).await.expect("scores");
    let total: f64 = scores.outputs.iter().map(|o| o.score).sum();
    assert_eq!(total as u64, info.deliveries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_immutable_and_upgrades_keep_purpose_and_config() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 30).await;
    p.trust_publisher(TENANT, &publisher().1.to_text())
        .await
        .expect("trust");
    let schema = r#"{"type": "object", "properties": {"k": {"type": "integer"}}, "additionalProperties": false}"#;
    let v1 = package(
        env.tmp.path(),
        "plugin-echo",
        "echo",
        "scorer",
        &["purchases.count"],
        schema,
        Some("{}"),
        true,
    );
    let v2 = package(
        env.tmp.path(),
        "plugin-echo",
        "echo@0.2.0",
        "scorer",
        &["purchases.count", "purchases.last"],
        schema,
        Some("{}"),
        true,
    );
    assert!(p.publish_plugin(&v1, None).await.expect("publish").added);
    // Publishing the same bytes again changes nothing.
    assert!(
        !p.publish_plugin(&v1, None)
            .await
            .expect("publish again")
            .added
    );
    // Other bytes under a published version are refused.
    let other = package(
        env.tmp.path(),
        "plugin-loop",
        "echo",
        "scorer",
        &["purchases.count"],
        schema,
        Some("{}"),
        true,
    );
    let err = p
        .publish_plugin(&other, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("already published"), "{err}");
    p.publish_plugin(&v2, None).await.expect("publish v2");
    let listed: Vec<String> = p
        .published_plugins()
        .expect("registry")
        .into_iter()
        .map(|x| format!("{}@{}", x.id, x.version))
        .collect();
    assert_eq!(listed, ["echo@0.1.0", "echo@0.2.0"]);

    let cfg = serde_json::json!({"k": 3});
    p.install_plugin(
        TENANT,
        "echo@0.1.0",
        "analytics_profiling",
        Some(cfg.clone()),
        None,
    )
    .await
    .expect("install v1");
    let first = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run v1");
    let up = p
        .upgrade_plugin(TENANT, "echo", None)
        .await
        .expect("upgrade");
    assert_eq!(up.version, "0.2.0");
    assert_eq!(up.purpose, "analytics_profiling");
    assert_eq!(up.config, cfg);
    assert_eq!(up.granted_fields, ["purchases.count", "purchases.last"]);
    let second = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run v2");
    assert_eq!(second.version, "0.2.0");
    assert_ne!(
        first.output_hash, second.output_hash,
        "v2 reads one more field"
    );
    // The first run still replays with the version it ran.
    let replay = p.replay_run(TENANT, &first.run).await.expect("replay v1");
    assert_eq!(replay.verdict, "reproduced");

    p.uninstall_plugin(TENANT, "echo").await.expect("uninstall");
    assert!(p.installed_plugins(TENANT).await.expect("list").is_empty());
    let err = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not installed"), "{err}");
    // Runs and their outputs stay.
    assert_eq!(p.plugin_runs(TENANT).await.expect("runs").len(), 3);
    assert!(!p
        .run_scores(TENANT, &first.run, Some(1))
        .await
        .expect("scores")
        .outputs
        .is_empty());
}

/// The echo plugin's outputs of a run: subject, score, which fields it saw,
/// and the previous score it was handed (its explanation term).
async fn echo_outputs(p: &Platform, run: &str) -> Vec<(String, f64, Vec<String>, Option<f64>)> {
    p.run_scores(TENANT, run, None)
        .await
        .expect("scores")
        .outputs
        .into_iter()
        .map(|o| {
            let seen = o
                .values
                .as_object()
                .expect("values")
                .keys()
                .filter_map(|k| k.strip_prefix("present:"))
                .map(str::to_owned)
                .collect();
            let previous = o.explanation.as_array().and_then(|terms| {
                terms
                    .iter()
                    .find(|t| t["label"] == "previous score")
                    .and_then(|t| t["value"].as_f64())
            });
            (o.subject, o.score, seen, previous)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_sees_the_previous_runs_outputs_only_when_granted_and_its_replay_reproduces() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 80).await;
    install_guest(
        &env,
        &p,
        "plugin-echo",
        "echo",
        "scorer",
        &[
            "purchases.count",
            "previous.as_of",
            "previous.score",
            "previous.label",
        ],
        "analytics_profiling",
    )
    .await;
    // The same component without the grant.
    install_guest(
        &env,
        &p,
        "plugin-echo",
        "blind",
        "scorer",
        &["purchases.count"],
        "analytics_profiling",
    )
    .await;

    let first = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    let first_outputs = echo_outputs(&p, &first.run).await;
    assert!(!first_outputs.is_empty());
    for (subject, _, seen, previous) in &first_outputs {
        assert!(
            !seen.iter().any(|f| f.starts_with("previous")),
            "{subject}: the first run has no previous run"
        );
        assert_eq!(*previous, None);
    }

    let second = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    assert_eq!(second.status, "succeeded", "{:?}", second.failure);
    assert_ne!(
        second.input_hash, first.input_hash,
        "previous is part of the input"
    );
    let second_outputs = echo_outputs(&p, &second.run).await;
    assert_eq!(second_outputs.len(), first_outputs.len());
    for ((subject, score, _, _), (subject2, _, seen, previous)) in
        first_outputs.iter().zip(&second_outputs)
    {
        assert_eq!(subject, subject2);
        assert_eq!(
            *previous,
            Some(*score),
            "{subject}: sees its first-run score"
        );
        // Echo labels every output `echoed`, so the label crosses too.
        for f in [
            "previous",
            "previous.as_of",
            "previous.score",
            "previous.label",
        ] {
            assert!(
                seen.iter().any(|s| s == f),
                "{subject}: {f} missing: {seen:?}"
            );
        }
    }

    // The replay of the second run reads the first run's outputs again,
    // although a newer run exists by then.
    let third = p
        .run_plugin(TENANT, "echo", &run_opts())
        .await
        .expect("run");
    assert_eq!(third.status, "succeeded");
    let replay = p.replay_run(TENANT, &second.run).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced");
    assert!(replay.input_matches && replay.output_matches);

    // Without the grant nothing of the previous run crosses.
    for _ in 0..2 {
        let run = p
            .run_plugin(TENANT, "blind", &run_opts())
            .await
            .expect("run");
        for (subject, _, seen, previous) in echo_outputs(&p, &run.run).await {
            assert!(
                !seen.iter().any(|f| f.starts_with("previous")) && previous.is_none(),
                "{subject}: {seen:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_built_for_wit_0_1_0_installs_runs_and_agrees_with_its_successor() {
    let env = Env::new();
    let p = tenant_with_customers(&env, 150).await;
    let legacy = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/plugins/rfm-0.1.0-wit-0.1.0.rpkg");
    p.publish_plugin(&legacy, None)
        .await
        .expect("publish the 0.1.0 package");
    p.publish_first_party()
        .await
        .expect("publish the built-in packages");
    let inst = p
        .install_plugin(TENANT, "rfm@0.1.0", "analytics_profiling", None, None)
        .await
        .expect("a package signed by the retired first-party key installs");
    assert_eq!(inst.signer_key_id, "8176FBFAE1699610");
    let old = p.run_plugin(TENANT, "rfm", &run_opts()).await.expect("run");
    assert_eq!(old.status, "succeeded", "{:?}", old.failure);
    assert!(old.subjects > 0);
    let replay = p.replay_run(TENANT, &old.run).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced");

    let upgraded = p
        .upgrade_plugin(TENANT, "rfm", Some("0.2.0"))
        .await
        .expect("upgrade to the 0.2.0 build");
    assert_ne!(upgraded.component_digest, inst.component_digest);
    let new = p.run_plugin(TENANT, "rfm", &run_opts()).await.expect("run");
    assert_eq!(new.status, "succeeded", "{:?}", new.failure);
    assert_eq!(new.input_hash, old.input_hash);
    assert_eq!(
        new.output_hash, old.output_hash,
        "the same plugin gives the same outputs under both contracts"
    );
}
