//! Parse throughput: generates large customer and transaction files in
//! memory and reports rows per second for each format, single-threaded.
//!
//! Run with `cargo bench -p rapport-ingest --bench parse` (optionally
//! `-- <rows>`). Not a libtest bench: the numbers that matter are whole-file
//! rows/s including schema validation, which a plain loop measures directly.

use std::fmt::Write as _;
use std::io::Cursor;
use std::time::Instant;

use rapport_domain::ImportKind;
use rapport_ingest::{Format, Reader};

fn customers_csv(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 96);
    s.push_str("id,name,email,phone,country,region,signup_date,gender,age_band\n");
    for i in 0..n {
        writeln!(
            s,
            "C{i:07},Person Number {i},person{i}@example.com,+44 20 7946 {:04},GB,,20{:02}-{:02}-{:02},f,25-34",
            i % 10_000,
            10 + i % 15,
            1 + i % 12,
            1 + i % 28
        ).expect("writing to a String cannot fail");
    }
    s.into_bytes()
}

fn transactions_csv(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 64);
    s.push_str("id,customer_id,date,quantity,amount,currency\n");
    for i in 0..n {
        writeln!(
            s,
            "T{i:08},C{:07},2024-{:02}-{:02},{},{}.{:02},EUR",
            i / 4,
            1 + i % 12,
            1 + i % 28,
            1 + i % 5,
            i % 300,
            i % 100
        )
        .expect("writing to a String cannot fail");
    }
    s.into_bytes()
}

fn transactions_jsonl(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 110);
    for i in 0..n {
        writeln!(
            s,
            r#"{{"id":"T{i:08}","customer_id":"C{:07}","date":"2024-{:02}-{:02}","quantity":{},"amount":{}.{:02},"currency":"EUR"}}"#,
            i / 4,
            1 + i % 12,
            1 + i % 28,
            1 + i % 5,
            i % 300,
            i % 100
        ).expect("writing to a String cannot fail");
    }
    s.into_bytes()
}

fn cdnow(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 32);
    for i in 0..n {
        write!(
            s,
            " {:05} 1997{:02}{:02}  {}   {}.{:02}\r\n",
            1 + i / 3,
            1 + i % 12,
            1 + i % 28,
            1 + i % 4,
            i % 90,
            i % 100
        )
        .expect("writing to a String cannot fail");
    }
    s.into_bytes()
}

fn run(label: &str, kind: ImportKind, format: Format, data: &[u8], rows: usize) {
    // Best of three, so a cold cache or a busy neighbour does not decide it.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let input = Box::new(Cursor::new(data.to_vec()));
        let start = Instant::now();
        let reader = match Reader::new(kind, format, label, input) {
            Ok(r) => r,
            Err(d) => panic!("{d}"),
        };
        let mut ok = 0usize;
        for item in reader {
            match item {
                Ok(_) => ok += 1,
                Err(d) => panic!("{}", d[0]),
            }
        }
        assert_eq!(ok, rows, "{label}");
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{label:<28} {rows:>9} rows  {:>7.3} s  {:>9.0} rows/s  {:>6.1} MB/s",
        best,
        rows as f64 / best,
        data.len() as f64 / best / 1e6
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the first numeric argument is the size.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    run(
        "customers.csv",
        ImportKind::Customers,
        Format::Csv,
        &customers_csv(n),
        n,
    );
    run(
        "transactions.csv",
        ImportKind::Transactions,
        Format::Csv,
        &transactions_csv(n),
        n,
    );
    run(
        "transactions.jsonl",
        ImportKind::Transactions,
        Format::JsonLines,
        &transactions_jsonl(n),
        n,
    );
    run(
        "cdnow (transactions)",
        ImportKind::Transactions,
        Format::Cdnow,
        &cdnow(n),
        n,
    );
}
