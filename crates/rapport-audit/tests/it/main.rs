//! The integration tests of `rapport-audit`, one binary for the crate so
//! they link once.

mod fairness;
mod gate_scenarios;
mod schemas;

use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
