//! `referral-influence` on a generated population, natively: `fit` over the
//! whole population, then `score` in batches of 1,000, each batch decoding
//! the model bytes as the component does. Prints the times, the model's
//! size and the figures that `scripts/bench_referral_reference.py` checks
//! against networkx on the same edges.
//!
//! `cargo bench -p rapport-referral-influence --bench million [-- CUSTOMERS [EDGES_CSV]]`
//!
//! The referral graph follows `rapport generate`'s rule: 5 % of customers
//! were referred by an earlier customer, 60 % of those by one drawn
//! uniformly and 40 % by the advocate rule `1 + floor((i − 1) U^3)`, which
//! piles referrals onto a few early customers.

use std::io::Write;
use std::time::Instant;

use rapport_plugin_sdk::run::{decode_model, scorer_fit, scorer_score};
use rapport_plugin_sdk::{Context, Customer, Referral, Rng};
use rapport_referral_influence::{Graph, Model, ReferralInfluence};

const BATCH: usize = 1_000;

fn population(n: u64, seed: u64) -> (Vec<Customer>, Vec<(u64, u64)>) {
    let mut rng = Rng::new(seed);
    let mut edges = Vec::new();
    for i in 2..=n {
        if rng.next_f64() < 0.05 {
            let earlier = i - 1;
            let j = if rng.next_f64() < 0.6 {
                1 + rng.below(earlier)
            } else {
                1 + ((earlier as f64) * rng.next_f64().powi(3)) as u64
            };
            edges.push((j.clamp(1, earlier), i));
        }
    }
    let mut referrals: Vec<Vec<Referral>> = vec![Vec::new(); n as usize + 1];
    for &(a, b) in &edges {
        referrals[a as usize].push(Referral {
            referred: Some(b),
            ..Default::default()
        });
    }
    let customers = (1..=n)
        .map(|s| Customer {
            subject: s,
            referrals: Some(std::mem::take(&mut referrals[s as usize])),
            ..Default::default()
        })
        .collect();
    (customers, edges)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (customers, edges) = population(n, 42);
    if let Some(path) = args.get(1) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("edges file"));
        writeln!(f, "referrer,referred").expect("write");
        for (a, b) in &edges {
            writeln!(f, "{a},{b}").expect("write");
        }
        f.flush().expect("flush");
    }
    let ctx = Context::new("{}", 1_735_689_600, 1);

    let t = Instant::now();
    let fitted = scorer_fit::<ReferralInfluence>(&ctx, &customers).expect("fit");
    let fit_time = t.elapsed();

    let t = Instant::now();
    let mut outputs = Vec::with_capacity(customers.len());
    for batch in customers.chunks(BATCH) {
        outputs.extend(
            scorer_score::<ReferralInfluence>(&ctx, &fitted.state, batch)
                .expect("score")
                .outputs,
        );
    }
    let score_time = t.elapsed();

    let t = Instant::now();
    let model: Model = decode_model(&fitted.state).expect("model");
    let decode_time = t.elapsed();

    // Figures for the networkx cross-check, from the graph itself.
    let graph = Graph::build(&customers).expect("graph");
    let cuts = graph.cuts(3);
    let articulation = cuts.iter().filter(|c| c.pairs > 0).count();
    let brokers = outputs
        .iter()
        .filter(|o| o.get("broker") == Some(1.0))
        .count();
    let advocates = outputs
        .iter()
        .filter(|o| o.get("advocate") == Some(1.0))
        .count();
    let hop = |d: u32| -> f64 {
        outputs
            .iter()
            .filter_map(|o| o.get(&format!("reached_hop_{d}")))
            .sum()
    };
    let influence: f64 = outputs.iter().map(|o| o.score).sum();

    println!("customers: {n}, referral edges: {}", edges.len());
    println!(
        "fit: {:.1} ms; score ({} batches of {BATCH}): {:.1} ms; total {:.1} ms ({:.2} us/customer)",
        fit_time.as_secs_f64() * 1e3,
        customers.len().div_ceil(BATCH),
        score_time.as_secs_f64() * 1e3,
        (fit_time + score_time).as_secs_f64() * 1e3,
        (fit_time + score_time).as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "model: {} bytes, {} customers kept; decoding it once: {:.3} ms",
        fitted.state.len(),
        model.subjects.len(),
        decode_time.as_secs_f64() * 1e3
    );
    println!(
        "check: reach hop1 {} hop2 {} hop3 {}; articulation points {articulation}; brokers {brokers}; advocates {advocates}; total influence {influence:.2}",
        hop(1),
        hop(2),
        hop(3)
    );
}
