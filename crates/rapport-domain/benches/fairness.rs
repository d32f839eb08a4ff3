//! The fairness audit on in-memory columns, timed for
//! `scripts/bench-fairness.sh` beside fairlearn and a numpy baseline on the
//! same data.
//!
//! `RAPPORT_FAIRNESS_DATA=DIR/fair-N.bin cargo bench -p rapport-domain --bench
//! fairness` reads the four uint8 columns the reference script wrote (gender
//! code, age band code, true outcome, decision), then audits them: one pass
//! into a `Tally` with labels, and `finish` under the default policy (per
//! group for gender, age band and their intersection: counts, selection
//! rates with Wilson intervals, impact ratios with Katz intervals, Fisher
//! tests with Holm's correction, TPR, FPR; per analysis the
//! demographic-parity and equalized-odds differences and the verdict). It
//! prints one JSON line with the median wall and CPU time and the two
//! differences per analysis, which the script compares with numpy's.

use std::time::Instant;

use rapport_domain::fairness::{Columns, FairnessAudit, FairnessPolicy, Metric, Tally};

const GENDERS: [&str; 3] = ["female", "male", "non_binary"];
const AGES: [&str; 6] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];

/// CPU time of this thread in seconds, from the scheduler's own count
/// (nanoseconds), so a loaded machine's waiting is not counted.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn audit(g: &[u8], a: &[u8], yt: &[u8], yp: &[u8], policy: &FairnessPolicy) -> FairnessAudit {
    let mut t = Tally::new(
        &["gender", "age_band"],
        Columns {
            labels: true,
            scores: false,
        },
    )
    .expect("tally");
    for name in GENDERS {
        t.code(0, name).expect("code");
    }
    for name in AGES {
        t.code(1, name).expect("code");
    }
    for i in 0..g.len() {
        t.add_coded(
            &[Some(u32::from(g[i])), Some(u32::from(a[i]))],
            yp[i] == 1,
            Some(yt[i] == 1),
            None,
        )
        .expect("add");
    }
    t.finish(policy).expect("finish")
}

fn main() {
    let Ok(path) = std::env::var("RAPPORT_FAIRNESS_DATA") else {
        eprintln!("RAPPORT_FAIRNESS_DATA is not set: run scripts/bench-fairness.sh (skipped)");
        return;
    };
    let raw = std::fs::read(&path).expect("read the data file");
    let n = raw.len() / 4;
    let (g, rest) = raw.split_at(n);
    let (a, rest) = rest.split_at(n);
    let (yt, yp) = rest.split_at(n);
    let policy = FairnessPolicy::default_policy().expect("policy");
    let runs = if n <= 1_000_000 { 7 } else { 3 };
    let mut samples = Vec::new();
    let mut result = None;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        let audit = std::hint::black_box(audit(g, a, yt, yp, &policy));
        samples.push((t.elapsed().as_secs_f64(), cpu_seconds() - c));
        result = Some(audit);
    }
    samples.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (wall, cpu) = samples[samples.len() / 2];
    let audit = result.expect("at least one run");
    let value = |m: Metric| m.value().unwrap_or(f64::NAN);
    let analyses: serde_json::Map<String, serde_json::Value> = audit
        .analyses
        .iter()
        .map(|x| {
            (
                x.name.clone(),
                serde_json::json!({
                    "demographic_parity_difference": value(x.demographic_parity_difference),
                    "equalized_odds_difference": value(x.equalized_odds_difference),
                }),
            )
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "n": n,
            "rapport_seconds": {"wall": wall, "cpu": cpu},
            "rapport": analyses,
        })
    );
}
