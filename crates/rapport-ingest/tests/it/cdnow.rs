//! The CDNOW reader: both layouts on inline lines, and the published files
//! from `../shared/data/cdnow` when they are present.

use std::collections::HashMap;
use std::fs;

use rapport_domain::rows::{CustomerRow, TransactionRow};
use rapport_domain::ImportKind;
use rapport_ingest::{Format, Reader, Record, Row};

use crate::{read_all, repo_root};

const MASTER: &[u8] = b" customer_id  date number_of_cds  dollar_value\r\n\
 00001 19970101  1   11.77\r\n\
 00002 19970112  1   12.00\r\n\
 00002 19970112  5   77.00\r\n\
 00003 19970302  2   20.76\r\n\
\r\n\
 00003 19970102  2   20.76\r\n";

const SAMPLE: &[u8] = b" 00004 0001 19970101  2   29.33\r\n\
 00004 0001 19970118  2   29.73\r\n\
 00021 0002 19970101  3   63.34\r\n";

fn customers(rows: &[Row]) -> Vec<(&str, &str, u64)> {
    rows.iter()
        .map(|r| match &r.record {
            Record::Customer(c) => (
                c.id.as_str(),
                c.signup_date.as_deref().unwrap_or("-"),
                r.line,
            ),
            other => panic!("not a customer: {other:?}"),
        })
        .collect()
}

fn transactions(rows: &[Row]) -> Vec<&TransactionRow> {
    rows.iter()
        .map(|r| match &r.record {
            Record::Transaction(t) => t,
            other => panic!("not a transaction: {other:?}"),
        })
        .collect()
}

#[test]
fn master_layout_customers_are_distinct_with_first_purchase_date() {
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Cdnow,
        "m.txt",
        MASTER.to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    // Customer 3's lines are out of date order: the signup date is the
    // earliest purchase, reported at the line of first appearance.
    assert_eq!(
        customers(&rows),
        [
            ("1", "1997-01-01", 2),
            ("2", "1997-01-12", 3),
            ("3", "1997-01-02", 5)
        ]
    );
    assert_eq!(
        rows[0].record,
        Record::Customer(CustomerRow {
            id: "1".into(),
            name: None,
            email: None,
            phone: None,
            address: None,
            birth_date: None,
            gender: None,
            age_band: None,
            country: None,
            region: None,
            signup_date: Some("1997-01-01".into()),
            notes: None,
        })
    );
}

#[test]
fn master_layout_transactions_count_same_day_purchases() {
    let (rows, d) = read_all(
        ImportKind::Transactions,
        Format::Cdnow,
        "m.txt",
        MASTER.to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    let t = transactions(&rows);
    let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1-19970101-1",
            "2-19970112-1",
            "2-19970112-2",
            "3-19970302-1",
            "3-19970102-1"
        ]
    );
    assert_eq!(
        *t[2],
        TransactionRow {
            id: "2-19970112-2".into(),
            customer_id: "2".into(),
            date: "1997-01-12".into(),
            quantity: 5,
            amount: 77.0,
            currency: None,
            channel: None,
        }
    );
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 7]);
}

#[test]
fn sample_layout_uses_the_sample_id() {
    let (rows, d) = read_all(
        ImportKind::Customers,
        Format::Cdnow,
        "s.txt",
        SAMPLE.to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        customers(&rows),
        [("1", "1997-01-01", 1), ("2", "1997-01-01", 3)]
    );
    let (rows, d) = read_all(
        ImportKind::Transactions,
        Format::Cdnow,
        "s.txt",
        SAMPLE.to_vec(),
    );
    assert!(d.is_empty(), "{d:?}");
    let t = transactions(&rows);
    assert_eq!(t[1].id, "1-19970118-1");
    assert_eq!(t[1].customer_id, "1");
    assert_eq!(t[1].quantity, 2);
    assert_eq!(t[1].amount, 29.73);
    assert_eq!(t[2].customer_id, "2");
}

#[test]
fn other_kinds_are_refused() {
    for kind in ImportKind::ALL {
        let r = Reader::new(kind, Format::Cdnow, "x.txt", Box::new(std::io::empty()));
        match kind {
            ImportKind::Customers | ImportKind::Transactions => assert!(r.is_ok()),
            _ => {
                let d = r.expect_err("refused");
                assert!(
                    d.reason
                        .contains("the cdnow format holds only customers and transactions"),
                    "{d}"
                );
            }
        }
    }
}

/// Days since 1970-01-01 (proleptic Gregorian), for week arithmetic.
fn days(date: &str) -> i64 {
    let p: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().expect("date part"))
        .collect();
    let (y, m, d) = if p[1] <= 2 {
        (p[0] - 1, p[1] + 9, p[2])
    } else {
        (p[0], p[1] - 3, p[2])
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

#[test]
fn published_files_yield_the_published_counts() {
    let dir = repo_root().join("../shared/data/cdnow");
    if !dir.exists() {
        println!("skipped: ../shared/data/cdnow not found");
        return;
    }
    for (file, n_customers, n_transactions) in [
        ("CDNOW_master.txt", 23_570, 69_659),
        ("CDNOW_sample.txt", 2_357, 6_919),
    ] {
        let bytes = fs::read(dir.join(file)).expect("read cdnow file");
        let (c, d) = read_all(ImportKind::Customers, Format::Cdnow, file, bytes.clone());
        assert!(d.is_empty(), "{file}: {:?}", &d[..d.len().min(5)]);
        assert_eq!(c.len(), n_customers, "{file} customers");
        let (t, d) = read_all(ImportKind::Transactions, Format::Cdnow, file, bytes);
        assert!(d.is_empty(), "{file}: {:?}", &d[..d.len().min(5)]);
        assert_eq!(t.len(), n_transactions, "{file} transactions");
    }

    // The sample's customer ids are its sample ids, which are the `ID` column
    // of the summary: each customer's age T (weeks from first purchase to the
    // end of the 39-week calibration period, 1997-09-30) must match.
    let (rows, _) = read_all(
        ImportKind::Customers,
        Format::Cdnow,
        "CDNOW_sample.txt",
        fs::read(dir.join("CDNOW_sample.txt")).expect("sample"),
    );
    let signup: HashMap<&str, &str> = customers(&rows)
        .into_iter()
        .map(|(id, date, _)| (id, date))
        .collect();
    let summary = fs::read_to_string(dir.join("cdnow_customers_summary.csv")).expect("summary");
    let end = days("1997-09-30");
    let mut checked = 0;
    for line in summary.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let first = signup
            .get(cols[0])
            .unwrap_or_else(|| panic!("summary ID {} not a sample customer", cols[0]));
        let t: f64 = cols[3].parse().expect("T");
        let weeks = (end - days(first)) as f64 / 7.0;
        assert!(
            (weeks - t).abs() < 0.01,
            "ID {}: T {t} but first purchase {first} gives {weeks:.2}",
            cols[0]
        );
        checked += 1;
    }
    assert_eq!(checked, 2_357);
}
