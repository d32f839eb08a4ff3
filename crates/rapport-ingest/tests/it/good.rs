//! Good CSV and JSON Lines files of every kind parse into the expected rows.
//!
//! `tests/it/good/<kind>.expected.json` lists each row as it should come out
//! (deserialised straight into the domain type, bypassing the reader) with
//! the line it is on in the CSV and in the JSON Lines file.

use std::fs;

use rapport_domain::rows::{CustomerRow, TransactionRow};
use rapport_domain::ImportKind;
use rapport_ingest::{Format, Record};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{read_all, test_data};

fn typed<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("expected row fits its type")
}

fn record(kind: ImportKind, v: Value) -> Record {
    match kind {
        ImportKind::Customers => Record::Customer(typed(v)),
        ImportKind::Suppliers => Record::Supplier(typed(v)),
        ImportKind::Partners => Record::Partner(typed(v)),
        ImportKind::Transactions => Record::Transaction(typed(v)),
        ImportKind::Interactions => Record::Interaction(typed(v)),
        ImportKind::Deliveries => Record::Delivery(typed(v)),
        ImportKind::Referrals => Record::Referral(typed(v)),
        ImportKind::Consents => Record::Consent(typed(v)),
    }
}

#[test]
fn good_files_of_every_kind_parse_into_the_expected_rows() {
    for kind in ImportKind::ALL {
        let dir = test_data("good");
        let expected: Vec<Value> = serde_json::from_str(
            &fs::read_to_string(dir.join(format!("{kind}.expected.json"))).expect("expected.json"),
        )
        .expect("valid expected.json");
        for (format, ext, line_key) in [
            (Format::Csv, "csv", "csv_line"),
            (Format::JsonLines, "jsonl", "jsonl_line"),
        ] {
            let name = format!("{kind}.{ext}");
            let (rows, diagnostics) = read_all(
                kind,
                format,
                &name,
                fs::read(dir.join(&name)).expect("good file"),
            );
            assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
            assert_eq!(rows.len(), expected.len(), "{name}");
            for (row, e) in rows.iter().zip(&expected) {
                assert_eq!(Some(row.line), e[line_key].as_u64(), "{name}");
                assert_eq!(
                    row.record,
                    record(kind, e["row"].clone()),
                    "{name} line {}",
                    row.line
                );
                assert_eq!(row.record.kind(), kind);
                assert_eq!(Some(row.record.id()), e["row"]["id"].as_str());
            }
        }
    }
}

/// Spelled out once in Rust, so that the expected JSON files cannot drift into
/// agreeing with a bug (CSV empty cells, quoting, the quantity default).
#[test]
fn csv_cells_become_typed_fields() {
    let (rows, d) = read_all(
        ImportKind::Transactions,
        Format::Csv,
        "transactions.csv",
        fs::read(test_data("good").join("transactions.csv")).expect("good file"),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        rows[1].record,
        Record::Transaction(TransactionRow {
            id: "T2".into(),
            customer_id: "C1".into(),
            date: "2024-02-29".into(),
            quantity: 1,
            amount: 5.0,
            currency: None,
            channel: None,
        })
    );
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "customers.csv",
        fs::read(test_data("good").join("customers.csv")).expect("good file"),
    );
    assert!(d.is_empty(), "{d:?}");
    let Record::Customer(CustomerRow {
        address,
        notes,
        region,
        ..
    }) = &rows[0].record
    else {
        panic!("not a customer")
    };
    assert_eq!(address.as_deref(), Some("1 High St, Town"));
    assert_eq!(notes.as_deref(), Some("likes \"jazz\""));
    assert_eq!(region, &None);
}

#[test]
fn crlf_and_bom_are_accepted() {
    let (rows, d) = read_all(
        ImportKind::Referrals,
        Format::Csv,
        "r.csv",
        b"\xEF\xBB\xBFid,referrer_id,referred_id,date\r\nR1,C1,C2,2024-03-03\r\n".to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(rows.len(), 1);
    let (rows, d) = read_all(
        ImportKind::Referrals,
        Format::JsonLines,
        "r.jsonl",
        b"\xEF\xBB\xBF{\"id\":\"R1\",\"referrer_id\":\"C1\",\"referred_id\":\"C2\",\"date\":\"2024-03-03\"}\r\n".to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(rows.len(), 1);
}

#[test]
fn lines_are_physical_lines_where_the_row_starts() {
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "c.csv",
        b"id,notes\n\nC1,\"two\nlines\"\nC2,x\n".to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5]);
    let (_, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "c.csv",
        b"id,country\nC1,\"G\nB\"\nC2,gb\n".to_vec(),
    );
    let at: Vec<(u64, Option<&str>)> = d.iter().map(|d| (d.line, d.field.as_deref())).collect();
    assert_eq!(at, [(2, Some("country")), (4, Some("country"))], "{d:?}");
}

#[test]
fn crlf_line_numbers_are_exact() {
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "c.csv",
        b"id,notes,country\r\nC1,,GB\r\n\r\nC2,\"a\r\nb\",gb\r\nC3,,GB".to_vec(),
    );
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 6]);
    assert_eq!((d.len(), d[0].line), (1, 4), "{d:?}");
    let (_, d) = read_all(
        ImportKind::Customers,
        Format::Csv,
        "c.csv",
        b"\r\n\r\nid,foo\r\n".to_vec(),
    );
    assert_eq!(d[0].line, 3, "{d:?}");
}
