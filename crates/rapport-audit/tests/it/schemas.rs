//! The checked-in JSON Schemas of the gate's policy files must match the
//! types they are derived from, and the shipped files must validate.

use std::fs;

use rapport_audit::gate::{actions_schema, gate_schema};

use crate::repo_root;

/// Pretty JSON, 2-space indent, trailing newline: the checked-in form.
fn render(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}

fn generated() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "schemas/policy/actions.schema.json",
            "policies/actions.json",
            render(&actions_schema()),
        ),
        (
            "schemas/policy/gate.schema.json",
            "policies/gate.json",
            render(&gate_schema()),
        ),
    ]
}

#[test]
fn gate_policy_schemas_are_up_to_date() {
    let update = std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (rel, _, want) in generated() {
        let path = repo_root().join(rel);
        if update {
            fs::write(&path, &want).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            continue;
        }
        let have = fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            stale.push(format!(
                "{rel} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p rapport-audit --test it schemas` to update"
            ));
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn shipped_gate_policies_validate_against_their_schemas() {
    for (schema_rel, policy_rel, _) in generated() {
        let schema: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(repo_root().join(schema_rel)).expect("schema"),
        )
        .expect("schema is JSON");
        let policy: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(repo_root().join(policy_rel)).expect("policy"),
        )
        .expect("policy is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&policy)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{policy_rel}: {errors:?}");
        assert_eq!(schema["additionalProperties"], false, "{schema_rel}");
    }
    // A misspelt member is refused by the schema, not silently ignored.
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("schemas/policy/gate.schema.json")).expect("schema"),
    )
    .expect("json");
    let mut policy: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("policies/gate.json")).expect("policy"),
    )
    .expect("json");
    policy["art_22"] = serde_json::json!("allow");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(!validator.is_valid(&policy));
}
