//! The purchase and spend data follow the documented BG/NBD and
//! Gamma-Gamma process.
//!
//! Each check compares an empirical mean over 20,000 independent customers
//! with its exact model expectation and allows four standard errors (a
//! false alarm about once in 16,000 runs for a fixed seed; the seed is
//! fixed, so the test is deterministic). The standard errors come from the
//! sample itself (repeat counts) or from the model's closed-form variance
//! (spend), never from a simulation.

use std::collections::HashMap;

use rapport_domain::rows::{CustomerRow, ReferralRow, TransactionRow};
use rapport_domain::time_fmt::parse_date;
use rapport_generate::{BgNbd, GammaGamma};

use super::support::{large, rows};

/// Gauss's hypergeometric series 2F1(a, b; c; z) for 0 <= z < 1.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 0..100_000 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

/// E[X(t)], the expected number of repeat purchases in (0, t] weeks under
/// BG/NBD (Fader, Hardie & Lee 2005, eq. 9).
fn expected_repeats(m: BgNbd, t: f64) -> f64 {
    let z = t / (m.alpha + t);
    (m.a + m.b - 1.0) / (m.a - 1.0)
        * (1.0 - (m.alpha / (m.alpha + t)).powf(m.r) * hyp2f1(m.r, m.b, m.a + m.b - 1.0, z))
}

/// The formula itself, against the published CDNOW checkpoints. Those were
/// computed with the unrounded estimates (r = 0.2426, α = 4.4136,
/// a = 0.7929, b = 2.4259); with the 3-decimal values E[X(31.8571)] is
/// 1.0420 rather than 1.0405.
#[test]
fn expectation_formula_matches_published_values() {
    let unrounded = BgNbd {
        r: 0.2426,
        alpha: 4.4136,
        a: 0.7929,
        b: 2.4259,
    };
    for (t, expected) in [
        (0.1429, 0.0078),
        (1.0, 0.0532),
        (3.0, 0.1506),
        (31.8571, 1.0405),
        (32.0, 1.0437),
        (78.0, 1.8576),
    ] {
        let got = expected_repeats(unrounded, t);
        assert!(
            (got - expected).abs() < 5e-4,
            "E[X({t})] = {got}, published {expected}"
        );
    }
}

/// Weeks from each customer's signup to the end of the window (2024-12-31).
fn horizons(customers: &[CustomerRow]) -> HashMap<String, f64> {
    let end = parse_date("2024-12-31").expect("date");
    customers
        .iter()
        .map(|c| {
            let signup = parse_date(c.signup_date.as_deref().expect("signup")).expect("date");
            (c.id.clone(), (end - signup).whole_days() as f64 / 7.0)
        })
        .collect()
}

#[test]
fn repeat_purchases_follow_bg_nbd() {
    let set = large();
    let customers: Vec<CustomerRow> = rows(&set.dir, "customers");
    let transactions: Vec<TransactionRow> = rows(&set.dir, "transactions");
    let horizon = horizons(&customers);
    let mut count: HashMap<&str, u64> = HashMap::new();
    for t in &transactions {
        *count.entry(t.customer_id.as_str()).or_default() += 1;
    }
    let m = BgNbd::CDNOW;
    let n = customers.len() as f64;
    // Every customer has the trial purchase, so repeats = rows - 1.
    let repeats: Vec<f64> = customers
        .iter()
        .map(|c| count.get(c.id.as_str()).copied().unwrap_or(0) as f64 - 1.0)
        .collect();
    assert!(
        repeats.iter().all(|&x| x >= 0.0),
        "a customer has no trial purchase"
    );

    let mean = repeats.iter().sum::<f64>() / n;
    let var = repeats.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se = (var / n).sqrt();
    let expected = customers
        .iter()
        .map(|c| expected_repeats(m, horizon[&c.id]))
        .sum::<f64>()
        / n;
    eprintln!("mean repeat purchases {mean:.4}, model {expected:.4}, se {se:.4}");
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "mean repeats {mean} vs model {expected} (4 se = {})",
        4.0 * se
    );

    // P(X(T) = 0) = (α / (α + T))^r exactly: no repeat means no chance to drop out.
    let p0: Vec<f64> = customers
        .iter()
        .map(|c| (m.alpha / (m.alpha + horizon[&c.id])).powf(m.r))
        .collect();
    let expected0 = p0.iter().sum::<f64>() / n;
    let se0 = p0.iter().map(|p| p * (1.0 - p)).sum::<f64>().sqrt() / n;
    let share0 = repeats.iter().filter(|&&x| x == 0.0).count() as f64 / n;
    eprintln!("share without repeat {share0:.4}, model {expected0:.4}, se {se0:.4}");
    assert!(
        (share0 - expected0).abs() < 4.0 * se0,
        "P(X=0) {share0} vs model {expected0}"
    );
}

#[test]
fn spend_follows_gamma_gamma() {
    let set = large();
    let transactions: Vec<TransactionRow> = rows(&set.dir, "transactions");
    let g = GammaGamma::CDNOW;
    // The trial purchase of each customer: one amount per customer, so the
    // amounts are independent draws from the marginal spend distribution.
    let trial: Vec<f64> = transactions
        .iter()
        .filter(|t| t.id.ends_with("-001"))
        .map(|t| t.amount)
        .collect();
    assert_eq!(trial.len(), 20_000);
    let n = trial.len() as f64;
    let mean = trial.iter().sum::<f64>() / n;
    // E[z] = pγ/(q-1); Var[z] = E[p/ν²] + Var[p/ν]
    //      = pγ²/((q-1)(q-2)) + p²γ²/((q-1)²(q-2)).
    let expected = g.p * g.gamma / (g.q - 1.0);
    let var = g.p * g.gamma.powi(2) / ((g.q - 1.0) * (g.q - 2.0))
        + (g.p * g.gamma).powi(2) / ((g.q - 1.0).powi(2) * (g.q - 2.0));
    let se = (var / n).sqrt();
    eprintln!("mean trial amount {mean:.3}, model {expected:.3}, se {se:.3}");
    // Rounding to cents moves the mean by at most half a cent.
    assert!(
        (mean - expected).abs() < 4.0 * se + 0.005,
        "mean amount {mean} vs {expected}"
    );
    assert!((expected - g.mean_spend()).abs() < 1e-12);
}

#[test]
fn referrals_are_about_five_percent_with_a_heavy_tail() {
    let set = large();
    let referrals: Vec<ReferralRow> = rows(&set.dir, "referrals");
    let by_customer = referrals
        .iter()
        .filter(|r| r.referrer_id.starts_with('C'))
        .count() as f64;
    let n = 20_000.0;
    let share = by_customer / n;
    let se = (0.05 * 0.95 / n).sqrt();
    assert!(
        (share - 0.05).abs() < 4.0 * se,
        "customer referral share {share}"
    );
    let mut degree: HashMap<&str, u64> = HashMap::new();
    for r in &referrals {
        *degree.entry(r.referrer_id.as_str()).or_default() += 1;
    }
    let max = degree.values().copied().max().unwrap_or(0);
    // Uniform referrers alone would give at most a handful per customer.
    assert!(max >= 10, "largest advocate referred only {max}");
}
