//! Per-call overhead of the plugin host, with `plugin-echo` (a scorer that
//! does almost nothing but read its input and write one output per record).
//!
//! `cargo bench -p rapport-plugin --bench host_overhead [-- RUNS]`
//!
//! Rows (median and fastest of RUNS calls, microseconds; on a shared machine
//! the fastest call is the one least disturbed by other processes):
//! - instantiate: a fresh store and instance (what every call pays first);
//! - empty call: the `score` round trip with an empty batch;
//! - call, 1,000 records: the `score` round trip with 1,000 customers: the
//!   records copied into the guest, echo's work, the outputs copied out;
//! - copy in + out and echo's work: the difference of the two calls, per
//!   batch and per record;
//! - whole `Plugin::score`: as the caller sees it, output checks included.

use std::time::{Duration, Instant};

use rapport_plugin::build;
use rapport_plugin::host::wit::{Context, Customer, Purchases, Transaction};
use rapport_plugin::host::{Host, HostOptions, Population};
use rapport_plugin::{Limits, PluginKind};

const BATCH: u64 = 1_000;

fn customers(n: u64) -> Vec<Customer> {
    (1..=n)
        .map(|subject| Customer {
            subject,
            signup: Some(1_600_000_000 + subject as i64),
            country: Some("DE".into()),
            region: None,
            purchases: Purchases {
                count: Some((subject % 9) as u32),
                days: Some((subject % 5) as u32),
                first: Some(1_650_000_000),
                last: Some(1_690_000_000),
                total_amount: Some(subject as f64 * 3.25),
                total_quantity: Some(subject as i64 % 11),
            },
            transactions: Some(vec![
                Transaction {
                    at: Some(1_690_000_000),
                    amount: Some(12.5),
                    quantity: Some(1),
                    channel: Some("web".into()),
                };
                3
            ]),
            interactions: None,
            referrals: None,
            previous: None,
        })
        .collect()
}

/// Median and minimum, in microseconds.
fn stats(mut xs: Vec<Duration>) -> (f64, f64) {
    xs.sort();
    (
        xs[xs.len() / 2].as_secs_f64() * 1e6,
        xs[0].as_secs_f64() * 1e6,
    )
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let wasm = std::fs::read(build::workspace_guest("plugin-echo")?)?;
    let host = Host::new(HostOptions {
        cache_dir: None,
        cache_key: [1; 32],
    })?;
    let compile_start = Instant::now();
    let plugin = host.load(PluginKind::Scorer, &wasm)?;
    let compile = compile_start.elapsed();
    let ctx = Context {
        config: "{}".into(),
        as_of: 1_700_000_000,
        seed: 7,
    };
    let limits = Limits::default();
    let batch = customers(BATCH);
    let empty: Vec<Customer> = Vec::new();

    let mut instantiate = Vec::with_capacity(runs);
    let mut empty_call = Vec::with_capacity(runs);
    let mut full_call = Vec::with_capacity(runs);
    let mut whole = Vec::with_capacity(runs);
    let mut fuel = 0;
    let mut outputs = 0;
    // Warm up once, then measure.
    for run in 0..=runs {
        let e = plugin.score(&ctx, &[], Population::Customers(&empty), &limits)?;
        e.value
            .map_err(|e| anyhow::anyhow!("echo refused: {}", e.message))?;
        let start = Instant::now();
        let f = plugin.score(&ctx, &[], Population::Customers(&batch), &limits)?;
        let outer = start.elapsed();
        let scored = f
            .value
            .map_err(|e| anyhow::anyhow!("echo refused: {}", e.message))?;
        if run == 0 {
            continue;
        }
        outputs = scored.outputs.len();
        fuel = f.stats.fuel_used;
        instantiate.push(e.stats.instantiate);
        instantiate.push(f.stats.instantiate);
        empty_call.push(e.stats.duration - e.stats.instantiate);
        full_call.push(f.stats.duration - f.stats.instantiate);
        whole.push(outer);
    }
    assert_eq!(outputs, BATCH as usize);

    let inst = stats(instantiate);
    let empty_us = stats(empty_call);
    let full_us = stats(full_call);
    let copy = (full_us.0 - empty_us.0, full_us.1 - empty_us.1);
    let whole_us = stats(whole);
    println!(
        "plugin host overhead, plugin-echo, batch of {BATCH} customers, median and fastest of {runs} runs"
    );
    println!(
        "(component compiled once in {:.0} ms; load average {})",
        compile.as_secs_f64() * 1e3,
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
    println!();
    let records = BATCH as f64;
    let row = |step: &str, (median, fastest): (f64, f64), per_record: bool| {
        let per = |v: f64| {
            if per_record {
                format!("{:.3}", v / records)
            } else {
                String::new()
            }
        };
        println!(
            "| {step:<30} | {median:>14.1} | {:>16} | {fastest:>15.1} | {:>17} |",
            per(median),
            per(fastest)
        );
    };
    println!(
        "| {:<30} | median µs/call | median µs/record | fastest µs/call | fastest µs/record |",
        "step"
    );
    println!(
        "|{:-<32}|------------:|--------------:|------------:|--------------:|",
        ""
    );
    row("instantiate (store + instance)", inst, false);
    row("empty call (round trip)", empty_us, false);
    row(&format!("call, {BATCH} records"), full_us, true);
    row("copy in + out and echo's work", copy, true);
    row("whole Plugin::score", whole_us, true);
    println!();
    println!("fuel used by one call of {BATCH} records: {fuel}");
    Ok(())
}
