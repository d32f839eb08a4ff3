//! The first-party `rfm` plugin as a sandboxed component against the same
//! Rust code compiled natively, in the same process, on the same input:
//! fit on the whole population, then score it in batches of 1,000, one core.
//! The outputs of both must be identical before anything is timed. Beside
//! them, the same plugin as released for the previous contract
//! (`rapport:plugin@0.1.0`, `tests/fixtures/plugins/`), to show what the
//! columnar contract changed under the same load. The process allocates
//! with mimalloc, as the `rapport` binary does.
//!
//! `cargo bench -p rapport-plugin --bench rfm_wasm_vs_native [-- CUSTOMERS [RUNS]]`

use std::time::Instant;

use rapport_plugin::build;
use rapport_plugin::host::wit::{Context, Customer, Purchases};
use rapport_plugin::host::{Host, HostOptions, Population, Prepared};
use rapport_plugin::{Limits, PluginKind};
use rapport_plugin_sdk::run::{segmenter_fit, segmenter_score_batch};
use rapport_plugin_sdk::{CustomerBatch, ScoredBatch};

/// The allocator of the `rapport` binary, which hosts plugins in production
/// (see `crates/rapport/src/main.rs`); both sides allocate with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 1_000;
const AS_OF: i64 = 1_782_777_600; // 2026-06-30

/// A deterministic population: some customers without purchases, skewed
/// frequencies and amounts, last purchases over four years.
fn customers(n: usize) -> Vec<Customer> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    (1..=n as u64)
        .map(|subject| {
            let buyer = next() > 0.15;
            let count = if buyer {
                1 + (next() * next() * 30.0) as u32
            } else {
                0
            };
            Customer {
                subject,
                signup: None,
                country: None,
                region: None,
                purchases: Purchases {
                    count: Some(count),
                    days: None,
                    first: None,
                    last: buyer.then(|| AS_OF - (next() * 4.0 * 365.0 * 86_400.0) as i64),
                    total_amount: Some(if buyer {
                        count as f64 * (5.0 + next() * 80.0)
                    } else {
                        0.0
                    }),
                    total_quantity: None,
                },
                transactions: None,
                interactions: None,
                referrals: None,
                previous: None,
            }
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);

    let wasm = std::fs::read(build::workspace_guest("rapport-rfm")?)?;
    let host = Host::new(HostOptions {
        cache_dir: None,
        cache_key: [7; 32],
    })?;
    let plugin = host.load(PluginKind::Segmenter, &wasm)?;
    let legacy_pkg = rapport_plugin::package::Package::from_bytes(include_bytes!(
        "../../../tests/fixtures/plugins/rfm-0.1.0-wit-0.1.0.rpkg"
    ))?;
    let legacy = host.load(PluginKind::Segmenter, legacy_pkg.component())?;
    let limits = Limits {
        fuel_base: u64::MAX / 4,
        fuel_per_subject: 0,
        memory_mib: 2048,
        wall_ms: 600_000,
    };

    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../plugins/rfm/config.default.json"
    ))?;
    let host_ctx = Context {
        config: config.clone(),
        as_of: AS_OF,
        seed: 0,
    };
    let sdk_ctx = rapport_plugin_sdk::Context {
        config,
        as_of: AS_OF,
        seed: 0,
    };
    let population = customers(n);
    // The same records as the SDK's own types (generated from the same WIT).
    let native_population: Vec<rapport_plugin_sdk::Customer> =
        serde_json::from_value(serde_json::to_value(&population)?)?;

    // The sandboxed side keeps each batch's outputs in the columns they came
    // back in (what `rapport run` reads them from); the native side keeps
    // what the plugin wrote (its output columns, read from records through
    // the same `CustomerBatch` code). Both hold every output at the end.
    let run_in = |plugin: &rapport_plugin::host::Plugin| -> anyhow::Result<Vec<rapport_plugin::host::wit::Outputs>> {
        // Laid out once, on the fit, for the fit and every batch, as
        // `rapport run` does.
        let prepared = Prepared::new(&population);
        let model = plugin
            .fit(&host_ctx, prepared.all(), &limits)?
            .value
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let mut outputs = Vec::with_capacity(n);
        for start in (0..n).step_by(BATCH) {
            let scored = plugin
                .score(
                    &host_ctx,
                    &model.state,
                    prepared.range(start..n.min(start + BATCH)),
                    &limits,
                )?
                .value
                .map_err(|e| anyhow::anyhow!(e.message))?;
            outputs.push(scored.outputs);
        }
        Ok(outputs)
    };
    let run_wasm = || run_in(&plugin);
    let run_legacy = || run_in(&legacy);
    let run_native = || -> anyhow::Result<Vec<ScoredBatch>> {
        let model = segmenter_fit::<rapport_rfm::Rfm>(&sdk_ctx, &native_population)
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let mut outputs = Vec::with_capacity(n.div_ceil(BATCH));
        for chunk in native_population.chunks(BATCH) {
            let scored = segmenter_score_batch::<rapport_rfm::Rfm>(
                &sdk_ctx,
                &model.state,
                CustomerBatch::records(chunk),
            )
            .map_err(|e| anyhow::anyhow!(e.message))?;
            outputs.push(scored);
        }
        Ok(outputs)
    };
    let wasm_outputs = run_wasm()?;
    let wasm_outputs: Vec<_> = wasm_outputs.iter().flat_map(|b| b.iter()).collect();
    anyhow::ensure!(
        wasm_outputs.len() == n
            && serde_json::to_string(&wasm_outputs)?
                == serde_json::to_string(
                    &run_native()?
                        .into_iter()
                        .flat_map(|b| b.into_scored().outputs)
                        .collect::<Vec<_>>()
                )?,
        "wasm and native outputs differ"
    );

    anyhow::ensure!(
        serde_json::to_string(
            &run_legacy()?
                .iter()
                .flat_map(|b| b.iter())
                .collect::<Vec<_>>()
        )? == serde_json::to_string(&wasm_outputs)?,
        "the 0.1.0 and 0.2.0 builds differ"
    );

    let fit_wasm = || -> anyhow::Result<()> {
        plugin
            .fit(&host_ctx, Population::Customers(&population), &limits)?
            .value
            .map_err(|e| anyhow::anyhow!(e.message))?;
        Ok(())
    };
    let fit_native = || -> anyhow::Result<()> {
        segmenter_fit::<rapport_rfm::Rfm>(&sdk_ctx, &native_population)
            .map_err(|e| anyhow::anyhow!(e.message))?;
        Ok(())
    };
    let mut fit_w = Vec::new();
    let mut fit_n = Vec::new();
    let mut wasm_s = Vec::new();
    let mut native_s = Vec::new();
    let mut legacy_s = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(run_legacy()?);
        legacy_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        fit_native()?;
        fit_n.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        fit_wasm()?;
        fit_w.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(run_native()?);
        native_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(run_wasm()?);
        wasm_s.push(t.elapsed().as_secs_f64());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (w, nat) = (median(wasm_s), median(native_s));
    let (fw, fnat) = (median(fit_w), median(fit_n));
    let old = median(legacy_s);
    println!("rfm, {n} customers, fit + score in batches of {BATCH}, one core, median of {runs} (outputs identical)");
    println!(
        "  native  {:>8.1} ms  {:>6.2} µs/customer",
        nat * 1e3,
        nat * 1e6 / n as f64
    );
    println!(
        "  wasm    {:>8.1} ms  {:>6.2} µs/customer",
        w * 1e3,
        w * 1e6 / n as f64
    );
    println!("  wasm / native = {:.2}x", w / nat);
    println!(
        "  the same plugin built for rapport:plugin@0.1.0: {:.1} ms, {:.2}x native",
        old * 1e3,
        old / nat
    );
    println!(
        "  of which fit: native {:.1} ms, wasm {:.1} ms ({:.2}x); score: native {:.1} ms, wasm {:.1} ms ({:.2}x)",
        fnat * 1e3,
        fw * 1e3,
        fw / fnat,
        (nat - fnat) * 1e3,
        (w - fw) * 1e3,
        (w - fw) / (nat - fnat)
    );
    Ok(())
}
