//! The checked-in manifest schema must match the type it is generated from.

use std::fs;

use crate::repo_root;

const PATH: &str = "schemas/plugin/manifest.schema.json";

fn render(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[test]
fn manifest_schema_is_up_to_date() {
    let want = render(&rapport_plugin::manifest::manifest_schema());
    let path = repo_root().join(PATH);
    if std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1") {
        fs::create_dir_all(path.parent().expect("parent")).expect("create schemas dir");
        fs::write(&path, &want).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{PATH} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p rapport-plugin --test package schema` to update"
    );
    // What the parser embeds is what is checked in.
    assert_eq!(rapport_plugin::manifest::MANIFEST_SCHEMA, have);
}

#[test]
fn manifest_schema_rejects_unknown_keys_and_lists_the_kinds() {
    let schema = rapport_plugin::manifest::manifest_schema();
    let v = schema.as_value();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["additionalProperties"], false);
    let kinds = &v["$defs"]["PluginSection"]["properties"]["kind"]["enum"];
    assert_eq!(
        kinds,
        &serde_json::json!(["scorer", "segmenter", "supplier-rater"])
    );
}
