//! Shared data sets and a typed reader for the generated CSV files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rapport_generate::{generate, Options, Summary};
use serde::de::DeserializeOwned;

/// A generated data set that lives as long as the test process.
pub struct DataSet {
    pub dir: PathBuf,
    pub summary: Summary,
    // Held so the directory is removed when the process ends normally.
    _tmp: tempfile::TempDir,
}

/// Generates `customers` customers with `seed` into a fresh directory.
pub fn make(customers: u64, seed: u64) -> DataSet {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("out");
    let opts = Options::new(customers, seed, dir.clone());
    let summary = generate(&opts, &|_| {}).expect("generation succeeds");
    DataSet {
        dir,
        summary,
        _tmp: tmp,
    }
}

/// 3,000 customers: enough for every kind of record to appear, small
/// enough to validate every row against the JSON Schemas in a debug build.
pub fn small() -> &'static DataSet {
    static SET: OnceLock<DataSet> = OnceLock::new();
    SET.get_or_init(|| make(3_000, 20_240_101))
}

/// 20,000 customers, for the model's moments.
pub fn large() -> &'static DataSet {
    static SET: OnceLock<DataSet> = OnceLock::new();
    SET.get_or_init(|| make(20_000, 7))
}

/// Every row of `dir/<kind>.csv`, deserialized with the csv crate.
pub fn rows<T: DeserializeOwned>(dir: &Path, kind: &str) -> Vec<T> {
    let path = dir.join(format!("{kind}.csv"));
    let mut reader = csv::Reader::from_path(&path).expect("file opens");
    reader
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("{}: row {}: {e}", path.display(), i + 1)))
        .collect()
}
