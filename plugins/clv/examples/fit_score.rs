//! The `clv` plugin natively, timed: reads a fixture in the format of
//! `rapport plugin test` (`as_of`, optional `config`, `customers`), fits on
//! every customer and scores them in batches of 1,000, one core, and prints
//! the median of RUNS. The same fixture through the sandbox:
//! `rapport plugin test plugins/dist/clv-0.1.0.rpkg --fixture FILE`. The
//! fit's diagnostics (iterations, log-likelihoods) are printed after the
//! times.
//!
//! `cargo run --release -p rapport-clv --example fit_score -- FIXTURE.json [RUNS]`

use std::time::Instant;

use rapport_plugin_sdk::run::{scorer_fit, scorer_score_batch};
use rapport_plugin_sdk::{Context, Customer, CustomerBatch, ScoredBatch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or("usage: fit_score FIXTURE.json [RUNS]")?;
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let config = match &fixture["config"] {
        serde_json::Value::Null => String::from("{}"),
        c => c.to_string(),
    };
    let as_of = fixture["as_of"].as_i64().ok_or("fixture without as_of")?;
    let customers: Vec<Customer> = serde_json::from_value(fixture["customers"].clone())?;
    let ctx = Context::new(config, as_of, 0);
    let mut total = Vec::new();
    let mut fit = Vec::new();
    let mut outputs = 0;
    let mut diagnostics = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let model = scorer_fit::<rapport_clv::Clv>(&ctx, &customers).map_err(|e| e.message)?;
        diagnostics = model
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        fit.push(t.elapsed().as_secs_f64());
        outputs = 0;
        for chunk in customers.chunks(1_000) {
            // The outputs stay in the columns the plugin writes, as they
            // cross the sandbox's boundary.
            let scored = scorer_score_batch::<rapport_clv::Clv>(
                &ctx,
                &model.state,
                CustomerBatch::records(chunk),
            )
            .map_err(|e| e.message)?;
            outputs += match &scored {
                ScoredBatch::Records(s) => s.outputs.len(),
                ScoredBatch::Columns { outputs, .. } => outputs.len(),
            };
            std::hint::black_box(scored);
        }
        total.push(t.elapsed().as_secs_f64());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (t, f) = (median(total), median(fit));
    println!(
        "clv native, {} customers ({outputs} outputs), median of {runs}: fit + score {:.1} ms (fit {:.1} ms, score {:.1} ms), {:.2} µs/customer",
        customers.len(),
        t * 1e3,
        f * 1e3,
        (t - f) * 1e3,
        t * 1e6 / customers.len() as f64
    );
    for d in diagnostics {
        println!("  fit: {d}");
    }
    Ok(())
}
