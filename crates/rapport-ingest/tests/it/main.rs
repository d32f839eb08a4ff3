//! Integration tests for rapport-ingest, in one binary so they link once.
//!
//! * `schemas`: the checked-in `schemas/import/*.schema.json` match the row types;
//! * `bad`: every file in `tests/it/bad/` yields exactly the diagnostics its
//!   `.expect` file lists, and never a personal value it forbids;
//! * `good`: good CSV and JSON Lines files of every kind parse into the rows
//!   of their `.expected.json`;
//! * `cdnow`: both CDNOW layouts, inline and (when present) the real files.

mod bad;
mod cdnow;
mod good;
mod schemas;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use rapport_domain::ImportKind;
use rapport_ingest::{Diagnostic, Format, Reader, Row};

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// This crate's test data.
pub fn test_data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it")
        .join(dir)
}

/// Everything a reader yields for `bytes`: the rows, and every diagnostic
/// (a header problem included).
pub fn read_all(
    kind: ImportKind,
    format: Format,
    name: &str,
    bytes: Vec<u8>,
) -> (Vec<Row>, Vec<Diagnostic>) {
    let reader = match Reader::new(kind, format, name, Box::new(Cursor::new(bytes))) {
        Ok(r) => r,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut rows = Vec::new();
    let mut diagnostics = Vec::new();
    for item in reader {
        match item {
            Ok(row) => rows.push(row),
            Err(d) => {
                assert!(
                    !d.is_empty(),
                    "a bad row must carry at least one diagnostic"
                );
                diagnostics.extend(d);
            }
        }
    }
    (rows, diagnostics)
}
