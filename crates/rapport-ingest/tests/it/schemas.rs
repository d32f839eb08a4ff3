//! The checked-in JSON Schemas must match the row types they are derived from.

use std::fs;

use rapport_domain::ImportKind;

use crate::repo_root;

/// Pretty JSON, 2-space indent, trailing newline: the checked-in form.
fn render(kind: ImportKind) -> String {
    let mut text = serde_json::to_string_pretty(&kind.schema()).expect("a schema serialises");
    text.push('\n');
    text
}

#[test]
fn schemas_are_up_to_date() {
    let update = std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for kind in ImportKind::ALL {
        let rel = kind.schema_path();
        let path = repo_root().join(&rel);
        let want = render(kind);
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
