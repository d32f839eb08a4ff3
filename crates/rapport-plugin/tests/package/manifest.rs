//! `rapport-plugin.toml`: syntax, schema and semantic errors, each naming
//! where and what.

use std::fs;

use rapport_plugin::fields::{FieldError, Subject};
use rapport_plugin::manifest::{Manifest, ManifestError};
use rapport_plugin::{Limits, PluginKind};

use crate::{manifest_with, plugin_dir, MANIFEST};

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, "rfm/rapport-plugin.toml")
}

fn parse_err(text: &str) -> String {
    parse(text)
        .expect_err("the manifest is refused")
        .to_string()
}

#[test]
fn a_valid_manifest_parses_into_its_fields() {
    let m = parse(MANIFEST).expect("valid manifest");
    assert_eq!(m.id, "rfm");
    assert_eq!(m.version, "0.1.0");
    assert_eq!(m.kind, PluginKind::Segmenter);
    assert_eq!(m.wit, "rapport:plugin@0.1.0");
    assert_eq!(m.wit_version(), rapport_plugin::WitVersion::V0_1);
    assert_eq!(m.publisher, "Rapport");
    assert_eq!(m.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(m.component.as_deref(), Some("build/rfm.wasm".as_ref()));
    assert_eq!(
        m.config_schema_path,
        std::path::PathBuf::from("config.schema.json")
    );
    assert_eq!(
        m.default_config_path.as_deref(),
        Some("config.default.json".as_ref())
    );
    assert_eq!(
        m.inputs.names(),
        [
            "purchases.count",
            "purchases.last",
            "purchases.total_amount"
        ]
    );
    assert_eq!(m.limits_default.memory_mib, 128);
    assert_eq!(m.limits_max.memory_mib, 256);
    assert_eq!(m.limits_max.wall_ms, 20_000);
    assert_eq!(m.subject(), Subject::Customer);
}

#[test]
fn limits_default_to_the_host_defaults_and_max_to_the_default() {
    let text = MANIFEST
        .split("[limits.default]")
        .next()
        .expect("text before the limits");
    let m = parse(text).expect("manifest without limits");
    assert_eq!(m.limits_default, Limits::default());
    assert_eq!(m.limits_max, Limits::default());

    let only_default = MANIFEST.split("[limits.max]").next().expect("text");
    let m = parse(only_default).expect("manifest without max limits");
    assert_eq!(m.limits_default.memory_mib, 128);
    assert_eq!(m.limits_max, m.limits_default);
}

#[test]
fn toml_syntax_errors_name_line_and_column() {
    let text = manifest_with(&[(r#"kind = "segmenter""#, "kind = segmenter")]);
    let err = parse(text.as_str()).expect_err("bare word is not TOML");
    let ManifestError::Syntax { line, column, .. } = &err else {
        panic!("expected a syntax error, got {err}");
    };
    assert_eq!(*line, 4, "{err}");
    assert_eq!(*column, 8, "{err}");
    assert!(
        err.to_string().starts_with("rfm/rapport-plugin.toml:4:8: "),
        "{err}"
    );
}

#[test]
fn an_unknown_kind_is_refused_naming_the_path_and_the_choices() {
    let err = parse_err(&manifest_with(&[(r#""segmenter""#, r#""scorerr""#)]));
    assert!(
        err.contains(
            r#"plugin.kind: "scorerr" is not one of "scorer", "segmenter" or "supplier-rater""#
        ),
        "{err}"
    );
}

#[test]
fn unknown_keys_and_missing_keys_are_refused_by_the_schema() {
    let err = parse_err(&manifest_with(&[(
        "[inputs]",
        "colour = \"red\"\n\n[inputs]",
    )]));
    assert!(
        err.contains("plugin: Additional properties are not allowed ('colour' was unexpected)"),
        "{err}"
    );

    let err = parse_err(&manifest_with(&[("publisher = \"Rapport\"\n", "")]));
    assert!(
        err.contains(r#"plugin: "publisher" is a required property"#),
        "{err}"
    );

    let err = parse_err(&manifest_with(&[("memory_mib = 128", "memory_mib = -1")]));
    assert!(
        err.contains("limits.default.memory_mib: -1 is less than the minimum of 0"),
        "{err}"
    );

    let err = parse_err(&manifest_with(&[(
        r#""purchases.last", "purchases.total_amount""#,
        r#""purchases.last", "purchases.last""#,
    )]));
    assert!(err.contains("inputs.fields: "), "{err}");
}

#[test]
fn id_and_version_syntax_are_explained() {
    let err = parse_err(&manifest_with(&[(r#"id = "rfm""#, r#"id = "RFM""#)]));
    assert!(
        err.contains(r#"plugin.id: "RFM" is not a plugin id"#),
        "{err}"
    );
    let err = parse_err(&manifest_with(&[(r#"id = "rfm""#, r#"id = "r""#)]));
    assert!(
        err.contains(r#"plugin.id: "r" is not a plugin id"#),
        "{err}"
    );

    for bad in [
        "1.0",
        "01.0.0",
        "1.0.0+build.5",
        "1.0.0-",
        "1.0.0-01",
        "v1.0.0",
    ] {
        let err = parse_err(&manifest_with(&[(
            r#"version = "0.1.0""#,
            &format!(r#"version = "{bad}""#),
        )]));
        assert!(
            err.contains(&format!(
                r#"plugin.version: "{bad}" is not a semantic version"#
            )),
            "{bad}: {err}"
        );
    }
    for good in [
        "0.0.0",
        "10.20.30",
        "1.0.0-beta.1",
        "1.0.0-0.3.7",
        "1.0.0-x-y.1a",
    ] {
        let text = manifest_with(&[(r#"version = "0.1.0""#, &format!(r#"version = "{good}""#))]);
        assert_eq!(parse(&text).expect(good).version, good);
    }
}

#[test]
fn a_protected_input_field_is_refused_by_name() {
    let err = parse(&manifest_with(&[(
        r#""purchases.count""#,
        r#""purchases.count", "customer.gender""#,
    )]))
    .expect_err("protected attribute");
    assert!(
        matches!(&err, ManifestError::Input { error: FieldError::NeverGranted { name, .. }, .. } if name == "customer.gender"),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("inputs.fields: input field `customer.gender` is a protected attribute"),
        "{text}"
    );

    let err = parse_err(&manifest_with(&[(
        r#""purchases.count""#,
        r#""customer.email""#,
    )]));
    assert!(err.contains("`customer.email` is contact data"), "{err}");
}

#[test]
fn an_unknown_input_field_gets_a_hint() {
    let err = parse_err(&manifest_with(&[(
        r#""purchases.total_amount""#,
        r#""purchases.totl_amount""#,
    )]));
    assert!(
        err.contains("unknown input field `purchases.totl_amount`"),
        "{err}"
    );
    assert!(err.contains("purchases.total_amount"), "{err}");
}

#[test]
fn an_input_field_of_the_wrong_subject_is_refused() {
    let err = parse(&manifest_with(&[(r#""segmenter""#, r#""supplier-rater""#)]))
        .expect_err("customer fields for a supplier rater");
    assert!(
        matches!(
            &err,
            ManifestError::Input {
                error: FieldError::WrongSubject {
                    expected: Subject::Supplier,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("purchases.count"), "{err}");

    let ok = manifest_with(&[
        (r#""segmenter""#, r#""supplier-rater""#),
        (
            r#"["purchases.count", "purchases.last", "purchases.total_amount"]"#,
            r#"["deliveries.promised", "deliveries.delivered"]"#,
        ),
    ]);
    assert_eq!(
        parse(&ok).expect("supplier fields").kind,
        PluginKind::SupplierRater
    );
}

#[test]
fn an_unsupported_wit_package_is_refused() {
    let err = parse_err(&manifest_with(&[(
        "rapport:plugin@0.1.0",
        "rapport:plugin@0.3.0",
    )]));
    assert!(
        err.contains("plugin.wit: `rapport:plugin@0.3.0` is not supported: this host speaks rapport:plugin@0.2.0 and rapport:plugin@0.1.0 (new plugins: rapport:plugin@0.2.0)"),
        "{err}"
    );
}

#[test]
fn both_contract_versions_are_accepted_but_previous_fields_need_0_2_0() {
    let current = parse(&manifest_with(&[(
        "rapport:plugin@0.1.0",
        "rapport:plugin@0.2.0",
    )]))
    .expect("0.2.0 is the current contract");
    assert_eq!(current.wit_version(), rapport_plugin::WitVersion::V0_2);
    let with_previous = |wit: &str| {
        manifest_with(&[
            ("rapport:plugin@0.1.0", wit),
            (
                "\"purchases.count\"",
                "\"purchases.count\", \"previous.score\"",
            ),
        ])
    };
    let m = parse(&with_previous("rapport:plugin@0.2.0")).expect("declared under 0.2.0");
    assert!(m.inputs.contains("previous.score"));
    let err = parse_err(&with_previous("rapport:plugin@0.1.0"));
    assert!(
        err.contains("inputs.fields: `previous.score` needs rapport:plugin@0.2.0 or later, but the plugin is built for rapport:plugin@0.1.0"),
        "{err}"
    );
}

#[test]
fn default_limits_above_the_maximum_are_refused() {
    let err = parse_err(&manifest_with(&[("memory_mib = 128", "memory_mib = 512")]));
    assert!(
        err.contains("limits.default.memory_mib: 512 exceeds limits.max.memory_mib (256)"),
        "{err}"
    );
    // Without a [limits.default] table the host default must fit the maximum.
    let text = manifest_with(&[(
        "[limits.default]\nfuel_base = 50000000\nfuel_per_subject = 200000\nmemory_mib = 128\nwall_ms = 10000\n",
        "",
    )])
    .replace("memory_mib = 256", "memory_mib = 64");
    let err = parse_err(&text);
    assert!(
        err.contains(
            "limits.default.memory_mib: 256, the host default, exceeds limits.max.memory_mib (64)"
        ),
        "{err}"
    );
    let err = parse_err(&manifest_with(&[("wall_ms = 10000", "wall_ms = 0")]));
    assert!(
        err.contains("limits.default.wall_ms: must be at least 1"),
        "{err}"
    );
}

#[test]
fn paths_must_be_relative_to_the_manifest() {
    let err = parse_err(&manifest_with(&[(
        r#"config_schema = "config.schema.json""#,
        r#"config_schema = "/etc/passwd""#,
    )]));
    assert!(
        err.contains("plugin.config_schema: `/etc/passwd` must be a path relative to the manifest"),
        "{err}"
    );
}

#[test]
fn load_checks_the_configuration_files() {
    let dir = plugin_dir(MANIFEST, b"x");
    let m = Manifest::load(dir.path()).expect("valid plugin directory");
    assert_eq!(m.id, "rfm");

    fs::write(
        dir.path().join("config.schema.json"),
        r#"{ "type": "objekt" }"#,
    )
    .expect("write");
    let err = Manifest::load(dir.path())
        .expect_err("broken schema")
        .to_string();
    assert!(err.starts_with("configuration schema "), "{err}");
    assert!(err.contains("config.schema.json"), "{err}");
    assert!(err.contains("objekt"), "{err}");

    fs::write(dir.path().join("config.schema.json"), "{ not json").expect("write");
    let err = Manifest::load(dir.path())
        .expect_err("not JSON")
        .to_string();
    assert!(err.contains("not JSON"), "{err}");

    fs::write(
        dir.path().join("config.schema.json"),
        r#"{ "$schema": "http://json-schema.org/draft-04/schema#", "type": "object" }"#,
    )
    .expect("write");
    let err = Manifest::load(dir.path()).expect_err("draft 4").to_string();
    assert!(
        err.contains("draft-04") && err.contains("not supported"),
        "{err}"
    );

    fs::write(
        dir.path().join("config.schema.json"),
        r#"{ "$ref": "https://example.com/schema.json" }"#,
    )
    .expect("write");
    assert!(
        Manifest::load(dir.path()).is_err(),
        "an external $ref is not fetched"
    );

    fs::write(dir.path().join("config.schema.json"), crate::CONFIG_SCHEMA).expect("write");
    fs::write(
        dir.path().join("config.default.json"),
        r#"{ "thresholds": { "recency": -1 }, "segments": 5 }"#,
    )
    .expect("write");
    let err = Manifest::load(dir.path())
        .expect_err("invalid default")
        .to_string();
    assert!(err.starts_with("default configuration "), "{err}");
    assert!(
        err.contains("/thresholds/recency: -1 is less than the minimum of 0"),
        "{err}"
    );

    fs::remove_file(dir.path().join("config.default.json")).expect("remove");
    let err = Manifest::load(dir.path())
        .expect_err("missing default")
        .to_string();
    assert!(
        err.contains("cannot read") && err.contains("config.default.json"),
        "{err}"
    );
}

/// Every plugin shipped in `plugins/` has a manifest this parser accepts,
/// with configuration files that check.
#[test]
fn the_shipped_plugin_manifests_load() {
    let mut loaded = Vec::new();
    for entry in fs::read_dir(crate::repo_root().join("plugins")).expect("plugins/") {
        let dir = entry.expect("entry").path();
        if dir.join("rapport-plugin.toml").is_file() {
            let m = Manifest::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            loaded.push(m.id);
        }
    }
    assert!(loaded.iter().any(|id| id == "rfm"), "{loaded:?}");
}
