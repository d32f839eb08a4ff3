//! The statistics against closed forms and textbook tables.

use rapport_domain::fairness::stats::{
    critical_value, fisher_exact, holm, katz_interval, ks_distance, normal_quantile,
    wilson_interval,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn normal_quantiles_are_the_published_ones() {
    // Abramowitz & Stegun, table 26.5 (more digits from the closed form
    // sqrt(2)·erfinv(2p − 1)).
    assert!(close(critical_value(0.95), 1.959_963_984_540_054, 1e-14));
    assert!(close(critical_value(0.99), 2.575_829_303_548_901, 1e-14));
    assert!(close(critical_value(0.90), 1.644_853_626_951_472_2, 1e-14));
    assert!(close(normal_quantile(0.5), 0.0, 1e-15));
}

#[test]
fn wilson_interval_is_the_closed_form() {
    // Wilson (1927): (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n).
    let z = critical_value(0.95);
    for (k, n) in [(1u64, 10u64), (37, 120), (999, 1000), (5, 5_000_000)] {
        let (kf, nf) = (k as f64, n as f64);
        let p = kf / nf;
        let c = (p + z * z / (2.0 * nf)) / (1.0 + z * z / nf);
        let h = z / (1.0 + z * z / nf) * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt();
        let iv = wilson_interval(k, n, z).expect("interval");
        assert!(close(iv.lower, c - h, 1e-12), "{k}/{n}: {iv:?}");
        assert!(close(iv.upper, c + h, 1e-12), "{k}/{n}: {iv:?}");
    }
    let iv = wilson_interval(0, 20, z).expect("interval");
    assert_eq!(iv.lower, 0.0);
    // With k = 0 the upper bound reduces to z² / (n + z²).
    assert!(close(iv.upper, z * z / (20.0 + z * z), 1e-15));
    assert_eq!(wilson_interval(20, 20, z).expect("interval").upper, 1.0);
    assert!(wilson_interval(0, 0, z).is_none());
}

#[test]
fn fisher_exact_on_textbook_tables() {
    // Fisher's lady tasting tea: [[3, 1], [1, 3]], two-sided p = 34/70.
    assert!(close(fisher_exact(3, 1, 1, 3), 34.0 / 70.0, 1e-15));
    // scipy's documentation: [[6, 2], [1, 4]] gives 0.10256410256410257 …
    assert!(close(
        fisher_exact(6, 2, 1, 4),
        0.102_564_102_564_102_57,
        1e-15
    ));
    // … and [[8, 2], [1, 5]] gives 0.034965034965034975.
    assert!(close(
        fisher_exact(8, 2, 1, 5),
        0.034_965_034_965_034_975,
        1e-15
    ));
    // Agresti (2002), table 3.8 (tea tasting): one-sided 0.243; the
    // two-sided value is twice that here by symmetry.
    assert!(close(fisher_exact(3, 1, 1, 3), 2.0 * 17.0 / 70.0, 1e-15));
    // A margin of zero: no evidence either way.
    assert_eq!(fisher_exact(0, 0, 3, 4), 1.0);
    assert_eq!(fisher_exact(0, 5, 0, 4), 1.0);
    // The observed table at the mode: p = 1.
    assert!(close(fisher_exact(10, 10, 10, 10), 1.0, 1e-15));
    // Hypergeometric probabilities by exact rational arithmetic for a small
    // table, summed the two-sided way.
    let exact = exact_two_sided(2, 7, 8, 2);
    assert!(close(fisher_exact(2, 7, 8, 2), exact, 1e-14), "{exact}");
}

/// The two-sided Fisher p-value from binomial coefficients in u128.
fn exact_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    fn choose(n: u64, k: u64) -> u128 {
        let mut r = 1u128;
        for i in 0..k {
            r = r * (n - i) as u128 / (i + 1) as u128;
        }
        r
    }
    let (n1, n2, k) = (a + b, c + d, a + c);
    let lo = k.saturating_sub(n2);
    let hi = k.min(n1);
    let w = |x: u64| choose(n1, x) * choose(n2, k - x);
    let obs = w(a);
    let total: u128 = (lo..=hi).map(w).sum();
    let tail: u128 = (lo..=hi).map(w).filter(|&v| v <= obs).sum();
    tail as f64 / total as f64
}

#[test]
fn fisher_exact_keeps_its_precision_at_millions_of_rows() {
    // Equal rates in two large groups: the observed table is the mode.
    assert!(close(
        fisher_exact(300_000, 700_000, 600_000, 1_400_000),
        1.0,
        1e-12
    ));
    // A large, unmistakable gap: p underflows towards 0, never NaN.
    let p = fisher_exact(100_000, 900_000, 300_000, 700_000);
    assert!((0.0..1e-300).contains(&p), "{p}");
}

#[test]
fn holm_steps_down_and_stays_monotone() {
    // Holm (1979): p = 0.01, 0.04, 0.03, 0.005 with m = 4 gives
    // 0.03, 0.06, 0.06, 0.02 (sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 → running max).
    let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
    let want = [0.03, 0.06, 0.06, 0.02];
    for (a, w) in adj.iter().zip(want) {
        assert!(close(*a, w, 1e-15), "{adj:?}");
    }
    assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0]);
    assert!(holm(&[]).is_empty());
}

#[test]
fn katz_interval_is_the_log_interval_and_corrects_zero_cells() {
    let z = critical_value(0.95);
    // scipy's documented example: relative_risk(10, 75, 12, 225) has the
    // interval (1.1261564003469628, 5.549850800541033).
    let iv = katz_interval(10, 75, 12, 225, z).expect("interval");
    assert!(close(iv.lower, 1.126_156_400_346_962_8, 1e-12), "{iv:?}");
    assert!(close(iv.upper, 5.549_850_800_541_033, 1e-12), "{iv:?}");
    // Nobody from the group selected: Haldane–Anscombe, half a count added
    // to every cell.
    let iv = katz_interval(0, 50, 40, 100, z).expect("interval");
    let (a, n, c, m) = (0.5f64, 51.0f64, 40.5f64, 101.0f64);
    let rr = (a / n) / (c / m);
    let se = (1.0 / a - 1.0 / n + 1.0 / c - 1.0 / m).sqrt();
    assert!(close(iv.upper, rr * (z * se).exp(), 1e-12));
    assert!(
        iv.upper < 0.8,
        "a group nobody from was selected can fail: {iv:?}"
    );
    assert!(katz_interval(3, 50, 0, 100, z).is_none());
}

#[test]
fn ks_distance_is_the_largest_gap_between_distribution_functions() {
    // x = 1..4, y = 3..6: after 2, F_x = 0.5, F_y = 0; after 4, 1 vs 0.5.
    assert_eq!(
        ks_distance(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]),
        Some(0.5)
    );
    assert_eq!(ks_distance(&[], &[1.0]), None);
}
