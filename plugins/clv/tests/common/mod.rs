//! Helpers shared by the test binaries: the CDNOW data (skipped, with a
//! message, when `../shared/data/cdnow/` is absent), the lifetimes golden
//! file, dates, and customers built from transactions.

#![allow(dead_code)]

use std::path::PathBuf;

use rapport_plugin_sdk::{Customer, Transaction, DAY};

/// 1997-09-30T00:00:00Z: the end of CDNOW's 39-week calibration period
/// as the instant that reproduces the published summary (see `cdnow.rs`).
pub const CDNOW_AS_OF: i64 = 875_577_600;

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of midnight UTC of `yyyymmdd`, as the host sends
/// `transactions.at` for a dated transaction.
pub fn midnight(yyyymmdd: u32) -> i64 {
    let (y, m, d) = (yyyymmdd / 10_000, yyyymmdd / 100 % 100, yyyymmdd % 100);
    days_from_civil(i64::from(y), i64::from(m), i64::from(d)) * DAY
}

/// A customer with purchases at `(instant, amount)`.
pub fn customer(subject: u64, purchases: &[(i64, f64)]) -> Customer {
    Customer {
        subject,
        transactions: Some(
            purchases
                .iter()
                .map(|&(at, amount)| Transaction {
                    at: Some(at),
                    amount: Some(amount),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// `../shared/data/cdnow/`, or `None` after printing that the test skipped.
pub fn cdnow_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cdnow");
    if dir.join("CDNOW_sample.txt").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: the CDNOW data is not at {} (it lives in ../shared/data/cdnow beside the project root)",
            dir.display()
        );
        None
    }
}

/// The 1/10 CDNOW sample as customers (subject = sample id 1..=2357), with
/// the transactions dated up to `until` (Unix seconds), as the host sends
/// them for a run as of that instant.
pub fn cdnow_customers(dir: &std::path::Path, until: i64) -> Vec<Customer> {
    let text =
        std::fs::read_to_string(dir.join("CDNOW_sample.txt")).expect("read CDNOW_sample.txt");
    let mut by_id: std::collections::BTreeMap<u64, Vec<(i64, f64)>> = Default::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 5 {
            continue;
        }
        let id: u64 = f[1].parse().expect("sample id");
        let at = midnight(f[2].parse().expect("date"));
        let amount: f64 = f[4].parse().expect("dollars");
        let list = by_id.entry(id).or_default();
        if at <= until {
            list.push((at, amount));
        }
    }
    by_id.iter().map(|(&id, p)| customer(id, p)).collect()
}

/// The full CDNOW cohort (`CDNOW_master.txt`: 23,570 customers, subject =
/// customer id) with the transactions dated up to `until`, or `None` after
/// printing that the test skipped.
pub fn cdnow_full_customers(
    test: &str,
    dir: &std::path::Path,
    until: i64,
) -> Option<Vec<Customer>> {
    let path = dir.join("CDNOW_master.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED {test}: {} is absent", path.display());
        return None;
    };
    let mut by_id: std::collections::BTreeMap<u64, Vec<(i64, f64)>> = Default::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // A header line, then id, yyyymmdd, CDs, dollars.
        let Ok(id) = f.first().map_or(Ok(0), |v| v.parse::<u64>()) else {
            continue;
        };
        if f.len() != 4 {
            continue;
        }
        let at = midnight(f[1].parse().expect("date"));
        let amount: f64 = f[3].parse().expect("dollars");
        let list = by_id.entry(id).or_default();
        if at <= until {
            list.push((at, amount));
        }
    }
    Some(by_id.iter().map(|(&id, p)| customer(id, p)).collect())
}

/// One row of `reference/lifetimes_cdnow.csv`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Golden {
    pub id: u64,
    pub x: f64,
    pub t_x: f64,
    #[serde(rename = "T")]
    pub t: f64,
    pub zbar: f64,
    pub expected_purchases_52: f64,
    pub p_alive: f64,
    pub expected_spend: f64,
    pub clv_lifetimes_w: f64,
    pub clv_lifetimes_default: f64,
    pub clv_month: f64,
}

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference")
}

/// The per-customer golden rows, by id.
pub fn golden() -> Vec<Golden> {
    let mut rdr =
        csv::Reader::from_path(reference_dir().join("lifetimes_cdnow.csv")).expect("golden csv");
    rdr.deserialize().map(|r| r.expect("golden row")).collect()
}

/// The golden fit: parameters and what lifetimes reported.
pub fn golden_meta() -> serde_json::Value {
    let text =
        std::fs::read_to_string(reference_dir().join("lifetimes_cdnow.json")).expect("golden json");
    serde_json::from_str(&text).expect("golden json parses")
}

/// `|a - b| <= abs + rel * |b|`, with a message naming what differs.
#[track_caller]
pub fn close(what: &str, a: f64, b: f64, abs: f64, rel: f64) {
    assert!(
        (a - b).abs() <= abs + rel * b.abs(),
        "{what}: {a} vs {b} (difference {:e}, allowed {abs:e} + {rel:e} relative)",
        (a - b).abs()
    );
}

/// Reads the generated transactions into customers, ordered by id.
pub fn customers_from_csv(dir: &std::path::Path) -> Vec<Customer> {
    #[derive(serde::Deserialize)]
    struct Row {
        customer_id: String,
        date: String,
        amount: f64,
    }
    let mut rdr = csv::Reader::from_path(dir.join("transactions.csv")).expect("transactions.csv");
    let mut by_id: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
    for row in rdr.deserialize::<Row>() {
        let row = row.expect("transaction row");
        let ymd: u32 = row.date.replace('-', "").parse().expect("date");
        by_id
            .entry(row.customer_id)
            .or_default()
            .push((midnight(ymd), row.amount));
    }
    by_id
        .values()
        .enumerate()
        .map(|(i, p)| customer(i as u64 + 1, p))
        .collect()
}

/// `n` customers generated by `rapport generate` with `seed` (BG/NBD and
/// Gamma-Gamma at the CDNOW parameters, two years to 2024-12-31), and the
/// as-of instant of the end of their calibration period.
pub fn generated(n: u64, seed: u64) -> (Vec<Customer>, i64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let opts = rapport_generate::Options::new(n, seed, tmp.path().to_path_buf());
    rapport_generate::generate(&opts, &|_| {}).expect("generate");
    (customers_from_csv(tmp.path()), midnight(20_241_231))
}
