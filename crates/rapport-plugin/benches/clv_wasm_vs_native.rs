//! The first-party `clv` plugin: fit (summaries, BG/NBD, Gamma-Gamma,
//! reference customer, band cut points) plus scoring of every customer
//! (expected purchases, P(alive), expected spend, churn risk, lifetime
//! value and its Shapley explanation), natively and as the sandboxed
//! component through the host, on the same input, one core. The outputs of
//! both must be identical before anything is timed.
//!
//! ```sh
//! cargo bench -p rapport-plugin --bench clv_wasm_vs_native -- cdnow ../shared/data/cdnow/CDNOW_sample.txt [RUNS]
//! cargo bench -p rapport-plugin --bench clv_wasm_vs_native -- cdnow ../shared/data/cdnow/CDNOW_master.txt [RUNS]
//! cargo bench -p rapport-plugin --bench clv_wasm_vs_native -- csv DIR/transactions.csv YYYY-MM-DD [RUNS]
//! ```
//!
//! `cdnow` reads the 1/10 sample (master id, sample id, date, CDs, dollars)
//! or the full cohort (id, date, CDs, dollars, with a header line) as of
//! 1997-09-30, the end of the 39-week calibration period (time in weeks);
//! `csv` reads a `rapport generate` transactions file as of the given day.
//! Scoring is in batches of 1,000 as `rapport run` does. `scripts/bench-clv.sh`
//! runs this beside `lifetimes` on the same data.
//!
//! The fuel the sandboxed calls used is printed as well: the number of
//! WebAssembly instructions the guest ran (as wasmtime's fuel counts them),
//! identical from run to run and machine to machine, so it measures a
//! change to a plugin's code without the noise of a shared machine.
//!
//! Each time is given as the CPU time of the benchmark's thread (the plugin
//! runs on the calling thread, natively and in the sandbox), the mean over
//! the runs, and as wall time, the median: on a shared machine the wall time
//! includes the time other processes held the core, the CPU time does not.
//! The kernel accounts a running thread's CPU time at its scheduler tick
//! (a few milliseconds), so a single short run's CPU time is coarse; the
//! mean over the runs is not biased by it.

use std::collections::BTreeMap;
use std::time::Instant;

use rapport_plugin::build;
use rapport_plugin::host::wit::{Context, Customer, Purchases, Transaction};
use rapport_plugin::host::{Host, HostOptions, Prepared};
use rapport_plugin::{Limits, PluginKind};
use rapport_plugin_sdk::run::{scorer_fit, scorer_score_batch};
use rapport_plugin_sdk::{CustomerBatch, ScoredBatch};

/// The allocator of the `rapport` binary, which hosts plugins in production
/// (see `crates/rapport/src/main.rs`); both sides allocate with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 1_000;
const DAY: i64 = 86_400;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Midnight UTC of `YYYYMMDD` or `YYYY-MM-DD`.
fn midnight(date: &str) -> anyhow::Result<i64> {
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    anyhow::ensure!(digits.len() == 8, "not a date: {date}");
    let n: i64 = digits.parse()?;
    Ok(days_from_civil(n / 10_000, n / 100 % 100, n % 100) * DAY)
}

/// CPU time of the calling thread in seconds, from the kernel's scheduler
/// statistics (nanoseconds on the CPU), so that other processes' load on a
/// shared machine does not count.
fn thread_cpu() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .ok_or_else(|| anyhow::anyhow!("empty schedstat"))?
        .parse()?;
    Ok(ns as f64 * 1e-9)
}

/// Wall and CPU seconds since `start`.
struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    fn start() -> anyhow::Result<Self> {
        Ok(Self {
            wall: Instant::now(),
            cpu: thread_cpu()?,
        })
    }

    fn read(&self) -> anyhow::Result<(f64, f64)> {
        Ok((thread_cpu()? - self.cpu, self.wall.elapsed().as_secs_f64()))
    }
}

fn customers(purchases: BTreeMap<String, Vec<(i64, f64)>>, until: i64) -> Vec<Customer> {
    purchases
        .into_values()
        .enumerate()
        .map(|(i, list)| Customer {
            subject: i as u64 + 1,
            signup: None,
            country: None,
            region: None,
            purchases: Purchases {
                count: None,
                days: None,
                first: None,
                last: None,
                total_amount: None,
                total_quantity: None,
            },
            transactions: Some(
                list.into_iter()
                    .filter(|&(at, _)| at <= until)
                    .map(|(at, amount)| Transaction {
                        at: Some(at),
                        amount: Some(amount),
                        quantity: None,
                        channel: None,
                    })
                    .collect(),
            ),
            interactions: None,
            referrals: None,
            previous: None,
        })
        .collect()
}

/// One run's (total, fit) times, each as (CPU, wall) seconds.
type Timing = ((f64, f64), (f64, f64));

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut by_id: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let (as_of, runs) = match args.first().map(String::as_str) {
        Some("cdnow") => {
            let path = args.get(1).ok_or_else(|| anyhow::anyhow!("cdnow FILE"))?;
            for line in std::fs::read_to_string(path)?.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                // The sample: master id, sample id, date, CDs, dollars; the
                // full cohort: id, date, CDs, dollars, after a header line.
                let (id, date, amount) = match f.len() {
                    5 => (f[1], f[2], f[4]),
                    4 if f[0].bytes().all(|b| b.is_ascii_digit()) => (f[0], f[1], f[3]),
                    _ => continue,
                };
                by_id
                    .entry(format!("{id:>8}"))
                    .or_default()
                    .push((midnight(date)?, amount.parse()?));
            }
            (midnight("1997-09-30")?, args.get(2))
        }
        Some("csv") => {
            let path = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("csv FILE DATE"))?;
            let mut rdr = csv::Reader::from_path(path)?;
            let h = rdr.headers()?.clone();
            let col = |name: &str| {
                h.iter()
                    .position(|c| c == name)
                    .ok_or_else(|| anyhow::anyhow!("no column {name}"))
            };
            let (cid, date, amount) = (col("customer_id")?, col("date")?, col("amount")?);
            for rec in rdr.records() {
                let rec = rec?;
                by_id
                    .entry(rec[cid].to_owned())
                    .or_default()
                    .push((midnight(&rec[date])?, rec[amount].parse()?));
            }
            let day = args
                .get(2)
                .ok_or_else(|| anyhow::anyhow!("csv FILE DATE"))?;
            (midnight(day)?, args.get(3))
        }
        _ => anyhow::bail!("usage: clv_wasm_vs_native (cdnow FILE | csv FILE YYYY-MM-DD) [RUNS]"),
    };
    let runs: usize = runs.and_then(|r| r.parse().ok()).unwrap_or(5);
    let population = customers(by_id, as_of);
    let n = population.len();
    let transactions: usize = population
        .iter()
        .map(|c| c.transactions.as_ref().map_or(0, Vec::len))
        .sum();

    let wasm = std::fs::read(build::workspace_guest("rapport-clv")?)?;
    let host = Host::new(HostOptions {
        cache_dir: None,
        cache_key: [7; 32],
    })?;
    let plugin = host.load(PluginKind::Scorer, &wasm)?;
    let limits = Limits {
        fuel_base: u64::MAX / 4,
        fuel_per_subject: 0,
        memory_mib: 4096,
        wall_ms: 3_600_000,
    };
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../plugins/clv/config.default.json"
    ))?;
    let host_ctx = Context {
        config: config.clone(),
        as_of,
        seed: 0,
    };
    let sdk_ctx = rapport_plugin_sdk::Context {
        config,
        as_of,
        seed: 0,
    };
    // The same records as the SDK's own types (generated from the same WIT).
    let native_population: Vec<rapport_plugin_sdk::Customer> =
        serde_json::from_value(serde_json::to_value(&population)?)?;

    // Fit and score, returning the outputs and the fit's share of the time.
    // The sandboxed side keeps each batch's outputs in the columns they came
    // back in (what `rapport run` reads them from).
    // The fuel the sandboxed fit and score calls used (a count of the
    // guest's WebAssembly instructions, the same in every run) is kept too.
    let fuel = std::cell::Cell::new((0u64, 0u64));
    let run_wasm = || -> anyhow::Result<(Vec<rapport_plugin::host::wit::Outputs>, (f64, f64))> {
        let t = Clock::start()?;
        // Laid out once, on the fit, for the fit and every batch, as
        // `rapport run` does.
        let prepared = Prepared::new(&population);
        let call = plugin.fit(&host_ctx, prepared.all(), &limits)?;
        let (fit_fuel, mut score_fuel) = (call.stats.fuel_used, 0);
        let model = call.value.map_err(|e| anyhow::anyhow!(e.message))?;
        let fit = t.read()?;
        let mut outputs = Vec::with_capacity(n);
        for start in (0..n).step_by(BATCH) {
            let call = plugin.score(
                &host_ctx,
                &model.state,
                prepared.range(start..n.min(start + BATCH)),
                &limits,
            )?;
            score_fuel += call.stats.fuel_used;
            let scored = call.value.map_err(|e| anyhow::anyhow!(e.message))?;
            outputs.push(scored.outputs);
        }
        fuel.set((fit_fuel, score_fuel));
        Ok((outputs, fit))
    };
    // The native side keeps each batch's outputs in the layout the plugin
    // wrote them in (columns, for `clv`), as the sandboxed side does.
    let run_native = || -> anyhow::Result<(Vec<ScoredBatch>, (f64, f64))> {
        let t = Clock::start()?;
        let model = scorer_fit::<rapport_clv::Clv>(&sdk_ctx, &native_population)
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let fit = t.read()?;
        let mut outputs = Vec::with_capacity(n.div_ceil(BATCH));
        for chunk in native_population.chunks(BATCH) {
            let scored = scorer_score_batch::<rapport_clv::Clv>(
                &sdk_ctx,
                &model.state,
                CustomerBatch::records(chunk),
            )
            .map_err(|e| anyhow::anyhow!(e.message))?;
            outputs.push(scored);
        }
        Ok((outputs, fit))
    };
    // Identical outputs, compared customer by customer as JSON values (the
    // plugin takes its elementary functions from `libm`, so native and
    // sandboxed builds compute the same bits).
    let wasm_out: Vec<serde_json::Value> = run_wasm()?
        .0
        .iter()
        .flat_map(|b| b.iter().map(|o| serde_json::to_value(o.to_owned())))
        .collect::<Result<_, _>>()?;
    let native_out: Vec<serde_json::Value> = run_native()?
        .0
        .into_iter()
        .flat_map(|b| b.into_scored().outputs)
        .map(|o| serde_json::to_value(&o))
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(
        wasm_out.len() == native_out.len(),
        "wasm gave {} outputs, native {}",
        wasm_out.len(),
        native_out.len()
    );
    if let Some((w, nat)) = wasm_out.iter().zip(&native_out).find(|(w, nat)| w != nat) {
        anyhow::bail!("wasm and native outputs differ:\n  wasm   {w}\n  native {nat}");
    }

    // Per run: (total, fit) as (CPU, wall) seconds.
    let (mut native, mut wasm) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Clock::start()?;
        let (out, fit) = run_native()?;
        native.push((t.read()?, fit));
        std::hint::black_box(out);
        let t = Clock::start()?;
        let (out, fit) = run_wasm()?;
        wasm.push((t.read()?, fit));
        std::hint::black_box(out);
    }
    // Means (CPU) and medians (wall) of each component over the runs.
    let mean =
        |v: &[Timing], pick: fn(&Timing) -> f64| v.iter().map(pick).sum::<f64>() / v.len() as f64;
    let median = |v: &[Timing], pick: fn(&Timing) -> f64| {
        let mut x: Vec<f64> = v.iter().map(pick).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let line = |name: &str, v: &[Timing]| {
        let (cpu, wall) = (mean(v, |r| r.0 .0), median(v, |r| r.0 .1));
        let (fit_cpu, fit_wall) = (mean(v, |r| r.1 .0), median(v, |r| r.1 .1));
        let score_cpu = mean(v, |r| r.0 .0 - r.1 .0);
        let score_wall = median(v, |r| r.0 .1 - r.1 .1);
        println!(
            "  {name:<6} CPU {:>9.1} ms (fit {:.1} ms, score {:.1} ms), {:.2} µs/customer;  wall {:.1} ms (fit {:.1} ms, score {:.1} ms)",
            cpu * 1e3,
            fit_cpu * 1e3,
            score_cpu * 1e3,
            cpu * 1e6 / n as f64,
            wall * 1e3,
            fit_wall * 1e3,
            score_wall * 1e3,
        );
        (cpu, wall)
    };
    println!("clv, {n} customers, {transactions} transactions, fit + score in batches of {BATCH}, one thread, {runs} runs: CPU mean, wall median (outputs identical)");
    let (nat_cpu, nat_wall) = line("native", &native);
    let (w_cpu, w_wall) = line("wasm", &wasm);
    println!(
        "  wasm / native = {:.2}x CPU ({:.2}x wall)",
        w_cpu / nat_cpu,
        w_wall / nat_wall
    );
    let (fit_fuel, score_fuel) = fuel.get();
    println!(
        "  sandbox fuel: fit {fit_fuel}, score {score_fuel} ({} calls), {:.0} per customer",
        n.div_ceil(BATCH),
        (fit_fuel + score_fuel) as f64 / n as f64
    );
    Ok(())
}
