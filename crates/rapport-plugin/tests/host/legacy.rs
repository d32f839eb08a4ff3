//! Components built for the previous contract, `rapport:plugin@0.1.0`, keep
//! working: the first-party `rfm` package as released for 0.1.0 (signed by
//! the retired first-party key) loads, runs, and gives the same outputs as
//! the current build of the same plugin for `rapport:plugin@0.2.0`.

use rapport_plugin::host::wit::{Context, Customer, Purchases};
use rapport_plugin::host::{Plugin, Population};
use rapport_plugin::package::Package;
use rapport_plugin::signing::PublicKey;
use rapport_plugin::{build, PluginKind, WitVersion, FIRST_PARTY_PUBLIC_KEYS};

use crate::{host, limits};

const AS_OF: i64 = 1_782_777_600;

fn legacy_package() -> Package {
    Package::from_bytes(include_bytes!(
        "../../../../tests/fixtures/plugins/rfm-0.1.0-wit-0.1.0.rpkg"
    ))
    .expect("the 0.1.0 package reads")
}

fn population() -> Vec<Customer> {
    (1..=300u64)
        .map(|subject| Customer {
            subject,
            purchases: Purchases {
                count: Some((subject % 13) as u32),
                last: (subject % 13 != 0).then(|| AS_OF - (subject as i64 * 7_919) % 40_000_000),
                total_amount: Some((subject % 13) as f64 * 17.25),
                ..Default::default()
            },
            ..Default::default()
        })
        .collect()
}

fn run(plugin: &Plugin) -> String {
    let ctx = Context {
        config: String::from("{}"),
        as_of: AS_OF,
        seed: 0,
    };
    let batch = population();
    let model = plugin
        .fit(&ctx, Population::Customers(&batch), &limits())
        .expect("fits")
        .value
        .expect("a model");
    let mut outputs = Vec::new();
    for chunk in batch.chunks(64) {
        let scored = plugin
            .score(&ctx, &model.state, Population::Customers(chunk), &limits())
            .expect("scores")
            .value
            .expect("outputs");
        outputs.extend(scored.outputs.to_vec());
    }
    assert_eq!(outputs.len(), batch.len());
    serde_json::to_string(&outputs).expect("json")
}

#[test]
fn a_component_built_for_0_1_0_still_runs_and_agrees_with_its_0_2_0_build() {
    let pkg = legacy_package();
    assert_eq!(pkg.manifest().wit, "rapport:plugin@0.1.0");
    let keys: Vec<PublicKey> = FIRST_PARTY_PUBLIC_KEYS
        .iter()
        .map(|k| PublicKey::parse(k).expect("key"))
        .collect();
    let verified = pkg.verify(&keys).expect("signed by a first-party key");
    assert_eq!(verified.signer_key_id, "8176FBFAE1699610");

    let host = host();
    let old = host
        .load(PluginKind::Segmenter, pkg.component())
        .expect("a 0.1.0 component loads");
    assert_eq!(old.wit(), WitVersion::V0_1);
    let current = std::fs::read(build::workspace_guest("rapport-rfm").expect("rfm builds"))
        .expect("component");
    let new = host
        .load(PluginKind::Segmenter, &current)
        .expect("the current build loads");
    assert_eq!(new.wit(), WitVersion::V0_2);
    let (a, b) = (run(&old), run(&new));
    assert!(a.contains("champions"), "{}", &a[..200]);
    assert_eq!(
        a, b,
        "the same plugin gives the same outputs under both contracts"
    );
}

#[test]
fn a_0_1_0_component_loaded_as_another_kind_is_named_in_its_own_version() {
    let err = host()
        .load(PluginKind::Scorer, legacy_package().component())
        .expect_err("rfm is a segmenter");
    assert_eq!(
        err.to_string(),
        "component is not a scorer plugin: it does not export rapport:plugin/scoring@0.1.0 (it is a segmenter plugin)"
    );
}
