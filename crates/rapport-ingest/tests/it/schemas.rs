//! The checked-in JSON Schemas must match the row types they are derived from.

use std::fs;

use rapport_domain::ImportKind;

use crate::repo_root;

/// Pretty JSON, 2-space indent, trailing newline: the checked-in form.
fn render(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}

/// Every generated schema: the import row formats and the policy files.
fn generated() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ImportKind::ALL
        .into_iter()
        .map(|k| (k.schema_path(), render(&k.schema())))
        .collect();
    out.push((
        "schemas/policy/purposes.schema.json".to_owned(),
        render(&rapport_domain::consent::policy::purposes_schema()),
    ));
    out.push((
        "schemas/policy/fairness.schema.json".to_owned(),
        render(&rapport_domain::fairness::fairness_policy_schema()),
    ));
    out
}

#[test]
fn schemas_are_up_to_date() {
    let update = std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (rel, want) in generated() {
        let path = repo_root().join(&rel);
        if update {
            fs::create_dir_all(path.parent().expect("schema path has a parent"))
                .expect("create schemas dir");
            fs::write(&path, &want).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            continue;
        }
        let have = fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            stale.push(format!(
                "{rel} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p rapport-ingest --test it schemas` to update"
            ));
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// The shipped policy files validate against their checked-in schemas.
#[test]
fn policy_files_validate_against_their_schemas() {
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("schemas/policy/purposes.schema.json"))
            .expect("schema"),
    )
    .expect("schema is JSON");
    let policy: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("policies/purposes.json")).expect("policy"),
    )
    .expect("policy is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&policy)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "policies/purposes.json: {errors:?}");
}

#[test]
fn schemas_declare_format_and_reject_unknown_fields() {
    for kind in ImportKind::ALL {
        let schema = kind.schema();
        let v = schema.as_value();
        assert_eq!(v["additionalProperties"], false, "{kind}");
        assert_eq!(
            v["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{kind}"
        );
    }
}
