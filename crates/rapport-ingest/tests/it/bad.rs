//! Data-driven bad inputs: each file in `tests/it/bad/` is named
//! `<kind>.<what>.<ext>` (`.csv`, `.jsonl`, or `.txt` for CDNOW) and has a
//! sibling `<file>.expect` listing, one per line:
//!
//! * `<line> <field|-> <reason substring>`: a diagnostic that must be produced
//!   (`-` for a row-level diagnostic without a field); the file must produce
//!   exactly as many diagnostics as it lists;
//! * `!<text>`: text (a personal value) that no diagnostic may contain.

use std::fs;
use std::path::Path;

use rapport_domain::ImportKind;
use rapport_ingest::{Diagnostic, Format};

use crate::{read_all, test_data};

struct Expected {
    line: u64,
    field: Option<String>,
    reason: String,
}

/// Checks one bad file against its `.expect`; returns the failures.
fn check(file: &Path) -> Vec<String> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 file name");
    let kind: ImportKind = name
        .split('.')
        .next()
        .and_then(|k| k.parse().ok())
        .expect("file name starts with a kind");
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some("txt") => Format::Cdnow,
        _ => Format::from_path(file).expect("known extension"),
    };
    let expect_path = file.with_file_name(format!("{name}.expect"));
    let expect = fs::read_to_string(&expect_path)
        .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));

    let mut wanted = Vec::new();
    let mut forbidden = Vec::new();
    for l in expect.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(secret) = l.strip_prefix('!') {
            forbidden.push(secret.to_owned());
            continue;
        }
        let mut parts = l.splitn(3, ' ');
        let line = parts
            .next()
            .and_then(|n| n.parse().ok())
            .expect("expect line starts with a line number");
        let field = parts.next().expect("field").to_owned();
        let reason = parts.next().expect("reason substring").to_owned();
        wanted.push(Expected {
            line,
            field: (field != "-").then_some(field),
            reason,
        });
    }

    let (_, got) = read_all(kind, format, name, fs::read(file).expect("read bad file"));
    let mut failures = Vec::new();
    let matches = |e: &Expected, d: &Diagnostic| {
        d.line == e.line && d.field == e.field && d.reason.contains(&e.reason)
    };
    for e in &wanted {
        if !got.iter().any(|d| matches(e, d)) {
            failures.push(format!(
                "{name}: missing `{} {} {}`",
                e.line,
                e.field.as_deref().unwrap_or("-"),
                e.reason
            ));
        }
    }
    for d in &got {
        if !wanted.iter().any(|e| matches(e, d)) {
            failures.push(format!("{name}: unexpected diagnostic: {d} [{d:?}]"));
        }
        assert_eq!(d.file, name);
        for secret in &forbidden {
            if d.to_string().contains(secret.as_str()) {
                failures.push(format!("{name}: diagnostic quotes a personal value: {d}"));
            }
        }
    }
    failures
}

#[test]
fn every_bad_file_gives_its_expected_diagnostics() {
    let mut files: Vec<_> = fs::read_dir(test_data("bad"))
        .expect("tests/it/bad")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "expect"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "only {} bad files", files.len());
    let failures: Vec<String> = files.iter().flat_map(|f| check(f)).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn diagnostics_render_file_line_and_field() {
    let (_, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "customers.csv",
        b"id,email\nC1,nope\n".to_vec(),
    );
    assert_eq!(
        d[0].to_string(),
        "customers.csv:2: field `email`: does not look like an e-mail address (expected name@domain)"
    );
    let (_, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "customers.csv",
        b"id,foo\n".to_vec(),
    );
    assert!(
        d[0].to_string().starts_with(
            "customers.csv:1: field `foo`: unknown column `foo` (expected one of: id, name,"
        ),
        "{}",
        d[0]
    );
}

#[test]
fn a_bad_row_reports_all_its_problems_and_reading_goes_on() {
    let (rows, d) = read_all(
        ImportKind::Deliveries,
        Format::JsonLines,
        "deliveries.jsonl",
        br#"{"id":"D1","supplier_id":"S1","order_date":"2024-01-10","promised_date":"2024-01-01","quantity_ordered":-1,"quantity_delivered":3,"quantity_accepted":4,"unit_price":1}
{"id":"D2","supplier_id":"S1","order_date":"2024-01-10","promised_date":"2024-01-11","quantity_ordered":1,"quantity_delivered":0,"quantity_accepted":0,"unit_price":1}
"#
        .to_vec(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    let fields: Vec<_> = d
        .iter()
        .map(|d| d.field.as_deref().unwrap_or("-"))
        .collect();
    // Schema problem (negative quantity) and domain problems together, in
    // schema field order.
    assert_eq!(
        fields,
        [
            "promised_date",
            "delivered_date",
            "quantity_ordered",
            "quantity_accepted"
        ],
        "{d:?}"
    );
}

#[test]
fn empty_and_header_only_files() {
    let (rows, d) = read_all(ImportKind::Customers, Format::Csv, "c.csv", Vec::new());
    assert!(rows.is_empty());
    assert_eq!(d.len(), 1);
    assert!(d[0].reason.contains("no header"), "{}", d[0]);
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "c.csv",
        b"id,name\r\n".to_vec(),
    );
    assert!(rows.is_empty() && d.is_empty(), "{d:?}");
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::JsonLines,
        "c.jsonl",
        b"\n  \n".to_vec(),
    );
    assert!(rows.is_empty() && d.is_empty(), "{d:?}");
}
