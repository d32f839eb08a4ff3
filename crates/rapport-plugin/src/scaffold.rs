//! `rapport plugin new`: a new plugin crate that builds as it is.
//!
//! The crate is a workspace of its own (an empty `[workspace]` table, so an
//! enclosing workspace does not swallow it), depends on the guest SDK by
//! path, and carries a small working example for its kind with a native unit
//! test, a manifest whose `component` points where cargo puts the artifact,
//! a configuration schema and default, a fixture for `rapport plugin test`,
//! and a README with the next commands.
//!
//! Templates are embedded at compile time (`templates/`) and filled by plain
//! `{{placeholder}}` substitution.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::PluginKind;

/// Names that are valid by pattern but not as a Rust package.
const RESERVED: &[&str] = &[
    "test",
    "std",
    "core",
    "alloc",
    "proc-macro",
    "self",
    "super",
    "crate",
];

/// One file of the new crate: its path inside the crate and its template.
struct Template {
    path: &'static str,
    text: &'static str,
}

const COMMON: &[Template] = &[
    Template {
        path: "Cargo.toml",
        text: include_str!("../templates/common/Cargo.toml.tmpl"),
    },
    Template {
        path: ".gitignore",
        text: include_str!("../templates/common/gitignore.tmpl"),
    },
    Template {
        path: "rapport-plugin.toml",
        text: include_str!("../templates/common/rapport-plugin.toml.tmpl"),
    },
    Template {
        path: "README.md",
        text: include_str!("../templates/common/README.md.tmpl"),
    },
];

macro_rules! kind_templates {
    ($dir:literal) => {
        &[
            Template {
                path: "src/lib.rs",
                text: include_str!(concat!("../templates/", $dir, "/lib.rs.tmpl")),
            },
            Template {
                path: "config.schema.json",
                text: include_str!(concat!("../templates/", $dir, "/config.schema.json")),
            },
            Template {
                path: "config.default.json",
                text: include_str!(concat!("../templates/", $dir, "/config.default.json")),
            },
            Template {
                path: "fixtures/sample.json",
                text: include_str!(concat!("../templates/", $dir, "/sample.json")),
            },
        ]
    };
}

const SCORER: &[Template] = kind_templates!("scorer");
const SEGMENTER: &[Template] = kind_templates!("segmenter");
const SUPPLIER_RATER: &[Template] = kind_templates!("supplier-rater");

/// What the example of each kind does, and the input fields it declares.
fn example(kind: PluginKind) -> (&'static [Template], &'static str, &'static [&'static str]) {
    match kind {
        PluginKind::Scorer => (
            SCORER,
            "scores customers by how recently they bought (the score halves every half-life).",
            &["purchases.last"],
        ),
        PluginKind::Segmenter => (
            SEGMENTER,
            "splits customers into spend tiers (top, regular, none).",
            &["purchases.count", "purchases.total_amount"],
        ),
        PluginKind::SupplierRater => (
            SUPPLIER_RATER,
            "rates suppliers on the share of deliveries that arrived on time.",
            &["deliveries.promised", "deliveries.delivered"],
        ),
    }
}

/// Checks a plugin name: a lower-case letter, then 1 to 63 lower-case
/// letters, digits or dashes (the manifest's `id` rule), and not a name
/// cargo reserves.
pub fn validate_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !first_ok || !rest_ok || !(2..=64).contains(&name.len()) {
        bail!(
            "`{name}` is not a valid plugin name: use a lower-case letter, then 1 to 63 lower-case letters, digits or dashes (e.g. `churn-score`)"
        );
    }
    if RESERVED.contains(&name) {
        bail!("`{name}` is reserved by Rust or cargo; choose another plugin name");
    }
    Ok(())
}

/// A TOML basic string's content (without quotes).
fn toml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Creates the plugin crate `name` of `kind` in `dir`, which must not exist
/// or be an empty directory. `sdk_path` is the guest SDK (`plugins/sdk` of a
/// Rapport checkout); a relative path is resolved against the current
/// directory. Returns the files created, as paths under `dir`.
pub fn new_plugin(
    name: &str,
    kind: PluginKind,
    dir: &Path,
    sdk_path: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    validate_name(name)?;

    let sdk = sdk_path.canonicalize().with_context(|| {
        format!(
            "no guest SDK at {} (expected the `plugins/sdk` directory of a Rapport checkout)",
            sdk_path.display()
        )
    })?;
    if !sdk.join("Cargo.toml").is_file() || !sdk.join("wit/plugin.wit").is_file() {
        bail!(
            "{} is not the guest SDK: it has no Cargo.toml and wit/plugin.wit",
            sdk.display()
        );
    }
    let sdk_str = sdk
        .to_str()
        .with_context(|| format!("the SDK path {} is not valid UTF-8", sdk.display()))?;

    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} already exists and is not empty; choose a new directory (or empty it)",
                dir.display()
            );
        }
    }

    let (templates, description, fields) = example(kind);
    let crate_name = name.replace('-', "_");
    let fields_toml = fields
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let fields_md = fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate_name}}", &crate_name)
            .replace("{{kind}}", kind.as_str())
            .replace("{{sdk_path}}", &toml_escape(sdk_str))
            .replace("{{description}}", description)
            .replace("{{fields}}", &fields_toml)
            .replace("{{fields_md}}", &fields_md)
    };

    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut created = Vec::new();
    for t in COMMON.iter().chain(templates) {
        let path = dir.join(t.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, fill(t.text))
            .with_context(|| format!("cannot write {}", path.display()))?;
        created.push(path);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk")
    }

    #[test]
    fn names_follow_the_manifest_id_rule() {
        for ok in ["my-score", "rfm2", "ab", "churn-v2-score"] {
            validate_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let long = format!("a{}", "b".repeat(64));
        for bad in [
            "",
            "a",
            "My-Score",
            "1score",
            "-score",
            "my_score",
            "test",
            long.as_str(),
        ] {
            let err = validate_name(bad).expect_err(bad).to_string();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("keep.txt"), "mine").expect("write");
        let err = new_plugin("my-score", PluginKind::Scorer, tmp.path(), &sdk())
            .expect_err("non-empty")
            .to_string();
        assert!(err.contains("not empty"), "{err}");
        assert_eq!(std::fs::read_dir(tmp.path()).expect("read").count(), 1);
    }

    #[test]
    fn a_missing_sdk_is_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = new_plugin(
            "my-score",
            PluginKind::Scorer,
            &tmp.path().join("p"),
            &tmp.path().join("nope"),
        )
        .expect_err("no sdk")
        .to_string();
        assert!(
            err.contains("no guest SDK") && err.contains("nope"),
            "{err}"
        );
        assert!(!tmp.path().join("p").exists(), "nothing created on error");
    }

    #[test]
    fn every_placeholder_is_filled_and_the_manifest_points_at_the_artifact() {
        for kind in PluginKind::ALL {
            let tmp = tempfile::tempdir().expect("tempdir");
            let dir = tmp.path().join("new");
            let files = new_plugin("my-plugin", kind, &dir, &sdk()).expect("scaffold");
            assert_eq!(files.len(), 8);
            for f in &files {
                let text = std::fs::read_to_string(f).expect("read");
                assert!(!text.contains("{{"), "{} keeps a placeholder", f.display());
            }
            let manifest = crate::manifest::Manifest::load(&dir).expect("the manifest is valid");
            assert_eq!(manifest.kind, kind);
            assert_eq!(manifest.id, "my-plugin");
            assert_eq!(
                manifest.component.as_deref(),
                Some(Path::new("target/wasm32-wasip2/plugin/my_plugin.wasm"))
            );
            for json in [
                "config.schema.json",
                "config.default.json",
                "fixtures/sample.json",
            ] {
                let text = std::fs::read_to_string(dir.join(json)).expect("read");
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{json} of {kind}: {e}"));
            }
            let schema: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("config.schema.json")).expect("read"),
            )
            .expect("schema");
            let default: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("config.default.json")).expect("read"),
            )
            .expect("default");
            assert!(
                jsonschema::is_valid(&schema, &default),
                "{kind}: default config invalid"
            );
            let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
            let cargo: toml::Table = toml::from_str(&cargo).expect("Cargo.toml parses");
            assert!(cargo.contains_key("workspace"), "own workspace");
            let sdk_dep = cargo["dependencies"]["rapport-plugin-sdk"]["path"]
                .as_str()
                .expect("path");
            assert_eq!(Path::new(sdk_dep), sdk().canonicalize().expect("sdk"));
        }
    }
}
