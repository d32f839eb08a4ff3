//! Building plugin crates outside this workspace.

use std::path::Path;

use rapport_plugin::build;
use rapport_plugin::host::Population;
use rapport_plugin::PluginKind;

use crate::{ctx, customers, host, limits};

const MANIFEST: &str = r#"[package]
name = "standalone-refuser"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wit-bindgen = { version = "0.46", default-features = false, features = ["macros", "realloc", "std"] }

[workspace]

[profile.plugin]
inherits = "release"
strip = true
lto = true
panic = "abort"
"#;

const SOURCE: &str = r#"
wit_bindgen::generate!({ path: "wit", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customers, Model, PluginError, Scored};

struct Standalone;

impl Guest for Standalone {
    fn fit(_ctx: Context, _population: Customers) -> Result<Model, PluginError> {
        Ok(Model { state: Vec::new(), diagnostics: Vec::new() })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Customers) -> Result<Scored, PluginError> {
        Err(PluginError { code: "standalone".into(), message: format!("{} customers", batch.subject.len()) })
    }
}

export!(Standalone);
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn builds_a_crate_outside_the_workspace_and_shows_cargo_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk/wit/plugin.wit");
    write(
        &root.join("wit/plugin.wit"),
        &std::fs::read_to_string(wit).expect("wit"),
    );
    write(&root.join("Cargo.toml"), MANIFEST);
    // The workspace's lock file pins the same wit-bindgen, so the build needs
    // no registry look-up.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    std::fs::copy(lock, root.join("Cargo.lock")).expect("copy Cargo.lock");

    // A compile error comes back with cargo's own diagnostics.
    write(
        &root.join("src/lib.rs"),
        &SOURCE.replace("Ok(Model", "Ok(Modle"),
    );
    let err = build::build_crate(root).expect_err("a broken crate does not build");
    let text = format!("{err:#}");
    assert!(text.contains("Modle"), "{text}");
    assert!(
        text.contains("standalone-refuser") || text.contains("Cargo.toml"),
        "{text}"
    );

    write(&root.join("src/lib.rs"), SOURCE);
    let wasm = build::build_crate(root).expect("the crate builds");
    assert!(wasm.starts_with(root), "{}", wasm.display());
    assert_eq!(
        wasm.file_name().and_then(|n| n.to_str()),
        Some("standalone_refuser.wasm")
    );
    let host = host();
    let plugin = host
        .load(PluginKind::Scorer, &std::fs::read(&wasm).expect("read"))
        .expect("loads");
    let batch = customers(2);
    let call = plugin
        .score(&ctx(), &[], Population::Customers(&batch), &limits())
        .expect("call");
    assert_eq!(call.value.expect_err("refuses").message, "2 customers");
}

#[test]
fn a_directory_without_a_manifest_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = build::build_crate(dir.path()).expect_err("no crate");
    assert!(err.to_string().contains("has no Cargo.toml"), "{err}");
    let err = build::workspace_guest("no-such-package").expect_err("no package");
    assert!(format!("{err:#}").contains("no-such-package"), "{err:#}");
}
