//! Plugin configuration against its schema: every violation, with its
//! JSON pointer.

use rapport_plugin::manifest::{validate_config, ConfigError, ConfigSchema};
use serde_json::{json, Value};

fn schema() -> Value {
    serde_json::from_str(crate::CONFIG_SCHEMA).expect("schema is JSON")
}

#[test]
fn a_valid_configuration_passes() {
    let config: Value = serde_json::from_str(crate::DEFAULT_CONFIG).expect("JSON");
    validate_config(&schema(), &config).expect("the default configuration is valid");
}

#[test]
fn every_violation_is_listed_with_its_pointer() {
    let config =
        json!({ "thresholds": { "recency": -1, "frequency": 0 }, "segments": "five", "colour": 1 });
    let err = validate_config(&schema(), &config).expect_err("invalid configuration");
    let ConfigError::Invalid { violations } = &err else {
        panic!("expected violations, got {err}");
    };
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    for want in [
        "/thresholds/recency: -1 is less than the minimum of 0",
        "/thresholds/frequency: 0 is less than the minimum of 1",
        r#"/segments: "five" is not of type "integer""#,
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing `{want}` in {lines:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("(root): ") && l.contains("'colour'")),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 4, "{lines:?}");
    let text = err.to_string();
    assert!(
        text.contains("/thresholds/recency: -1 is less than the minimum of 0"),
        "{text}"
    );
    assert!(text.contains("/segments"), "{text}");
}

#[test]
fn a_missing_required_property_is_named() {
    let err =
        validate_config(&schema(), &json!({ "thresholds": {} })).expect_err("missing recency");
    assert!(
        err.to_string()
            .contains(r#"/thresholds: "recency" is a required property"#),
        "{err}"
    );
}

#[test]
fn draft_7_schemas_are_accepted() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": { "k": { "type": "integer", "exclusiveMinimum": 0 } }
    });
    let compiled = ConfigSchema::compile(&schema).expect("draft 7 compiles");
    compiled.validate(&json!({ "k": 3 })).expect("valid");
    let err = compiled
        .validate(&json!({ "k": 0 }))
        .expect_err("0 is not > 0");
    assert!(
        err.to_string()
            .contains("/k: 0 is less than or equal to the minimum of 0"),
        "{err}"
    );
}

#[test]
fn a_broken_schema_is_a_schema_error() {
    for broken in [
        json!({ "type": "objekt" }),
        json!({ "minimum": "zero" }),
        json!(42),
        json!({ "$schema": "http://json-schema.org/draft-04/schema#" }),
    ] {
        let err = validate_config(&broken, &json!({})).expect_err("broken schema");
        assert!(matches!(err, ConfigError::Schema(_)), "{broken}: {err}");
    }
}
