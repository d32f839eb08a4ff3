//! Building plugin crates into components.
//!
//! A plugin is a Rust `cdylib` built with
//! `cargo build --profile plugin --target wasm32-wasip2`; the component is
//! the `.wasm` artifact cargo reports. [`build_crate`] builds any crate (in
//! this workspace or standalone) and [`workspace_guest`] builds a package of
//! this repository, once per process, for tests and benchmarks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

use anyhow::{anyhow, bail, Context as _};

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";
/// The cargo profile plugins are built with (see the root `Cargo.toml`).
pub const PROFILE: &str = "plugin";

/// Environment variables a parent cargo sets for its own build that must not
/// leak into a nested one (they would apply host flags to the wasm target).
const CLEARED_ENV: &[&str] = &["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"];

/// The flags that make a plugin build reproducible across machines: panic
/// locations in dependencies name the cargo home, which differs from one
/// machine to the next, so it is mapped to `/cargo`. With the same rustc and
/// `Cargo.lock`, the same sources then give byte-identical components
/// (`scripts/release-first-party.sh` builds with the same flags).
pub fn reproducible_rustflags() -> String {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    format!("--remap-path-prefix={}=/cargo", home.display())
}

fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.env(
        "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
        reproducible_rustflags(),
    );
    cmd
}

/// Runs `cargo build` for the plugin target with `args` and returns, for
/// every `cdylib` artifact built, its target name and `.wasm` path.
fn run(manifest: &Path, args: &[&str]) -> anyhow::Result<Vec<(String, PathBuf, PathBuf)>> {
    let mut cmd = cargo();
    cmd.args(["build", "--profile", PROFILE, "--target", TARGET])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(manifest)
        .args(args);
    let out = cmd
        .output()
        .with_context(|| format!("cannot run cargo to build {}", manifest.display()))?;
    if !out.status.success() {
        bail!(
            "building {} {} for {TARGET} failed ({}):\n{}",
            manifest.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    let mut artifacts = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let is_cdylib = msg["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "cdylib"));
        if !is_cdylib {
            continue;
        }
        let name = msg["target"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let manifest_path = PathBuf::from(msg["manifest_path"].as_str().unwrap_or_default());
        let wasm = msg["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"));
        if let Some(wasm) = wasm {
            artifacts.push((name, manifest_path, PathBuf::from(wasm)));
        }
    }
    Ok(artifacts)
}

/// Builds the crate at `manifest_dir` for the plugin target and returns the
/// path of its component.
pub fn build_crate(manifest_dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = manifest_dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!("{} has no Cargo.toml", manifest_dir.display());
    }
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", manifest.display()))?;
    let artifacts = run(&manifest, &[])?;
    artifacts
        .iter()
        .find(|(_, m, _)| m.canonicalize().is_ok_and(|m| m == manifest))
        .or(artifacts.last())
        .map(|(_, _, wasm)| wasm.clone())
        .ok_or_else(|| {
            anyhow!(
                "building {} produced no .wasm artifact (is it a `cdylib`?)",
                manifest.display()
            )
        })
}

/// The root manifest of this repository's workspace.
fn workspace_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml")
}

fn built() -> &'static Mutex<HashMap<String, PathBuf>> {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    BUILT.get_or_init(Mutex::default)
}

/// Builds a package of this repository's workspace for the plugin target
/// (once per process) and returns the path of its component.
pub fn workspace_guest(package: &str) -> anyhow::Result<PathBuf> {
    let mut paths = workspace_guests(&[package])?;
    paths
        .pop()
        .ok_or_else(|| anyhow!("package `{package}` produced no component"))
}

/// Builds several packages of this repository's workspace in one cargo run
/// (each once per process); returns their components in the order asked.
pub fn workspace_guests(packages: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let mut built = built().lock().unwrap_or_else(PoisonError::into_inner);
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !built.contains_key(*p))
        .collect();
    if !missing.is_empty() {
        let args: Vec<&str> = missing.iter().flat_map(|p| ["-p", p]).collect();
        let artifacts = run(&workspace_manifest(), &args)?;
        for package in &missing {
            let lib_name = package.replace('-', "_");
            let (_, _, wasm) = artifacts
                .iter()
                .find(|(name, _, _)| *name == lib_name)
                .ok_or_else(|| {
                    anyhow!("building package `{package}` produced no .wasm artifact (is it a `cdylib`?)")
                })?;
            built.insert((*package).to_owned(), wasm.clone());
        }
    }
    packages
        .iter()
        .map(|p| {
            built
                .get(*p)
                .cloned()
                .ok_or_else(|| anyhow!("package `{p}` was not built"))
        })
        .collect()
}
