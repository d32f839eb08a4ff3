//! `rapport plugin new` creates crates that build as they are: each kind is
//! scaffolded into a temporary directory and built for the plugin target,
//! and its example's native unit tests run.

use std::path::{Path, PathBuf};
use std::process::Command;

use rapport_plugin::scaffold::new_plugin;
use rapport_plugin::PluginKind;

/// The preamble of a WebAssembly component (not a core module): magic,
/// version 0x0d, layer 1.
const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A target directory shared by the scaffold checks, under this
/// repository's `target/`, so dependencies compile once.
fn shared_target() -> PathBuf {
    repo().join("target/scaffold-check")
}

/// Runs cargo in `dir`, offline first (the dependencies are normally in the
/// local cache already) and online if that fails.
fn cargo(dir: &Path, args: &[&str]) {
    let mut last = String::new();
    for offline in [true, false] {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(dir)
            .args(args)
            .env("CARGO_TARGET_DIR", shared_target())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        if offline {
            cmd.arg("--offline");
        }
        let out = cmd.output().expect("cargo runs");
        if out.status.success() {
            return;
        }
        last = String::from_utf8_lossy(&out.stderr).into_owned();
    }
    panic!(
        "cargo {} failed in {}:\n{last}",
        args.join(" "),
        dir.display()
    );
}

fn scaffold_builds(kind: PluginKind, name: &str, native_tests: bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(name);
    new_plugin(name, kind, &dir, &repo().join("plugins/sdk")).expect("scaffold");

    cargo(
        &dir,
        &["build", "--profile", "plugin", "--target", "wasm32-wasip2"],
    );
    let wasm = shared_target().join(format!(
        "wasm32-wasip2/plugin/{}.wasm",
        name.replace('-', "_")
    ));
    let bytes = std::fs::read(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
    assert_eq!(
        bytes[..8],
        COMPONENT_PREAMBLE,
        "{} is not a component",
        wasm.display()
    );
    // The manifest's `component` is where cargo puts the artifact when the
    // crate builds into its own `target/`.
    let manifest = rapport_plugin::manifest::Manifest::load(&dir).expect("manifest");
    assert_eq!(
        manifest.component,
        Some(PathBuf::from(format!(
            "target/wasm32-wasip2/plugin/{}.wasm",
            name.replace('-', "_")
        )))
    );
    if native_tests {
        cargo(&dir, &["test", "--lib"]);
    }
}

#[test]
fn a_scorer_scaffold_builds_and_its_tests_pass() {
    scaffold_builds(PluginKind::Scorer, "check-scorer", true);
}

#[test]
fn a_segmenter_scaffold_builds_and_its_tests_pass() {
    scaffold_builds(PluginKind::Segmenter, "check-segmenter", true);
}

#[test]
fn a_supplier_rater_scaffold_builds_and_its_tests_pass() {
    scaffold_builds(PluginKind::SupplierRater, "check-supplier-rater", true);
}
