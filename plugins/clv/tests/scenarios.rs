//! One scenario per documented behaviour of the `clv` plugin (see
//! `README.md`): the purchase summary, customers without a purchase,
//! one-time buyers, churn risk, the lifetime value's formula and time units,
//! explanations that sum to the score, bands, configuration errors,
//! convergence diagnostics, the penalty, data errors and determinism.
//! Everything runs natively through the entry points the component glue
//! calls; populations come from `rapport generate`.

mod common;

use common::*;
use rapport_clv::bgnbd::History;
use rapport_clv::special::ln_beta;
use rapport_clv::{Clv, ClvModel, Config, Factors, NO_PURCHASE};
use rapport_plugin_sdk::{run, Context, Customer, Output, PluginError, Severity, Transaction, DAY};

const AS_OF: i64 = 1_735_603_200; // 2024-12-31T00:00:00Z
const WEEK: i64 = 7 * DAY;

/// A fitted model, its bytes and its diagnostics.
type Fit = (ClvModel, Vec<u8>, Vec<(Severity, String)>);

fn fit(config: &str, as_of: i64, pop: &[Customer]) -> Result<Fit, PluginError> {
    let m = run::scorer_fit::<Clv>(&Context::new(config, as_of, 0), pop)?;
    let decoded = ClvModel::from_bytes(&m.state)?;
    let diags = m
        .diagnostics
        .into_iter()
        .map(|d| (d.severity, d.message))
        .collect();
    Ok((decoded, m.state, diags))
}

fn score(config: &str, as_of: i64, state: &[u8], batch: &[Customer]) -> Vec<Output> {
    run::scorer_score::<Clv>(&Context::new(config, as_of, 0), state, batch)
        .expect("score")
        .outputs
}

fn value(o: &Output, name: &str) -> f64 {
    o.get(name)
        .unwrap_or_else(|| panic!("customer {}: no `{name}`", o.subject))
}

/// A population of 3,000 generated customers, fitted with `config`.
fn population() -> (Vec<Customer>, i64) {
    generated(3_000, 3)
}

/// Purchases are aggregated per UTC calendar day; x counts repeat days,
/// z̄ averages the repeat days' totals (first day excluded), t_x and T are in
/// the time unit, T counting from the start of the first purchase day.
#[test]
fn the_summary_counts_purchase_days_and_excludes_the_first_from_spend() {
    let (pop, as_of) = population();
    let (_, state, _) = fit("{}", as_of, &pop).expect("fit");
    let first = as_of - 10 * WEEK;
    let c = customer(
        9_001,
        &[
            (first + 3_600, 100.0),   // first day, 01:00: 100 + 20, excluded from z̄
            (first + 7_200, 20.0),    // same day
            (first + 2 * WEEK, 30.0), // repeat day 1: 30 + 10
            (first + 2 * WEEK + 60, 10.0),
            (first + 6 * WEEK, 50.0), // repeat day 2
        ],
    );
    let o = &score("{}", as_of, &state, &[c])[0];
    assert_eq!(value(o, "x"), 2.0);
    assert!((value(o, "t_x") - 6.0).abs() < 1e-12);
    assert!((value(o, "T") - 10.0).abs() < 1e-12);
    assert!((value(o, "zbar") - 45.0).abs() < 1e-12);
    // The same purchases in days.
    let cfg = r#"{"time_unit": "day", "expected_purchases_horizon": 364, "churn_horizon": 182}"#;
    let (_, state_d, _) = fit(cfg, as_of, &pop).expect("fit");
    let c = customer(9_001, &[(first, 10.0), (first + 2 * WEEK, 30.0)]);
    let o = &score(cfg, as_of, &state_d, &[c])[0];
    assert_eq!(
        (value(o, "x"), value(o, "t_x"), value(o, "T")),
        (1.0, 14.0, 70.0)
    );
}

/// Transactions after the as-of instant or without an instant are ignored,
/// missing amounts count as 0, and each is counted in a warning.
#[test]
fn odd_transactions_are_counted_in_warnings() {
    let (pop, as_of) = population();
    let (_, state, _) = fit("{}", as_of, &pop).expect("fit");
    let mut c = customer(
        1,
        &[
            (as_of - 20 * WEEK, 10.0),
            (as_of - 5 * WEEK, 30.0),
            (as_of + DAY, 99.0),
        ],
    );
    if let Some(list) = c.transactions.as_mut() {
        list.push(Transaction {
            at: None,
            amount: Some(5.0),
            ..Default::default()
        });
        list.push(Transaction {
            at: Some(as_of - WEEK),
            amount: None,
            ..Default::default()
        });
    }
    let scored =
        run::scorer_score::<Clv>(&Context::new("{}", as_of, 0), &state, &[c]).expect("score");
    let o = &scored.outputs[0];
    assert_eq!(value(o, "x"), 2.0);
    assert!(
        (value(o, "zbar") - 15.0).abs() < 1e-12,
        "30 and 0 on the two repeat days"
    );
    let warnings: Vec<&str> = scored
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 transactions lie after")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 transactions have no instant")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 transactions have no usable amount")),
        "{warnings:?}"
    );
}

/// Customers without a purchase up to the as-of instant are outside the
/// model: score 0, label `no_purchase`, one zero explanation term. A
/// customer whose list is absent is counted in a warning.
#[test]
fn customers_without_a_purchase_are_labelled_and_valued_zero() {
    let (pop, as_of) = population();
    let (_, state, _) = fit("{}", as_of, &pop).expect("fit");
    let none = customer(5, &[]);
    let later = customer(6, &[(as_of + WEEK, 10.0)]);
    let absent = Customer {
        subject: 7,
        ..Default::default()
    };
    let scored = run::scorer_score::<Clv>(
        &Context::new("{}", as_of, 0),
        &state,
        &[none, later, absent],
    )
    .expect("score");
    for o in &scored.outputs {
        assert_eq!((o.score, o.label.as_deref()), (0.0, Some(NO_PURCHASE)));
        assert_eq!(o.explanation.len(), 1);
        assert_eq!(o.explanation_total(), 0.0);
    }
    assert!(scored.diagnostics.iter().any(|d| d
        .message
        .starts_with("1 customers arrived without a transactions list")));
}

/// One-time buyers (x = 0): P(alive) is 1 by BG/NBD's construction, their
/// churn risk is the probability of no purchase within the horizon,
/// ((α+T)/(α+T+h))^r, which grows with their age, and their expected spend
/// is the population mean whatever they spent on their first purchase.
#[test]
fn one_time_buyers_have_p_alive_one_and_an_age_driven_churn_risk() {
    let (pop, as_of) = population();
    let (m, state, _) = fit("{}", as_of, &pop).expect("fit");
    let young = customer(1, &[(as_of - 2 * WEEK, 500.0)]);
    let old = customer(2, &[(as_of - 80 * WEEK, 5.0)]);
    let out = score("{}", as_of, &state, &[young, old]);
    let bg = m.bgnbd;
    for (o, t) in out.iter().zip([2.0, 80.0]) {
        assert_eq!(value(o, "p_alive"), 1.0);
        let want = ((bg.alpha + t) / (bg.alpha + t + 26.0)).powf(bg.r);
        assert!((value(o, "churn_risk") - want).abs() < 1e-12);
        assert!((value(o, "expected_spend") - m.gamma_gamma.population_mean()).abs() < 1e-9);
    }
    assert!(value(&out[1], "churn_risk") > value(&out[0], "churn_risk"));
    // It is what the unconditional model says: P(X(T+h) = 0) / P(X(T) = 0).
    let t = 80.0;
    let ratio = bg.p_purchases(t + 26.0, 0) / bg.p_purchases(t, 0);
    assert!((value(&out[1], "churn_risk") - ratio).abs() < 1e-12);
}

/// Churn risk of a repeat customer: the probability of no purchase in
/// (T, T+h], here checked against its derivation from the likelihood
/// (integrating the history's likelihood with and without a purchase-free
/// extension over λ and p), written out independently.
#[test]
fn churn_risk_of_repeat_customers_follows_from_the_likelihood() {
    let (pop, as_of) = population();
    let (m, _, _) = fit("{}", as_of, &pop).expect("fit");
    let bg = m.bgnbd;
    for (x, t_x, t, h) in [
        (1.0, 3.0, 50.0, 26.0),
        (4.0, 40.0, 45.0, 10.0),
        (12.0, 20.0, 100.0, 52.0),
    ] {
        let (r, al, a, b) = (bg.r, bg.alpha, bg.a, bg.b);
        let alive = |s: f64| (ln_beta(a, b + x) - (r + x) * (al + s).ln()).exp();
        let dead = (ln_beta(a + 1.0, b + x - 1.0) - (r + x) * (al + t_x).ln()).exp();
        let want = (alive(t + h) + dead) / (alive(t) + dead);
        let got = bg.p_no_purchase(History { x, t_x, t }, h);
        assert!((got - want).abs() < 1e-12, "x={x}: {got} vs {want}");
    }
}

/// clv = Σ_k E[Z]·(E[Y(kΔ)] − E[Y((k−1)Δ)])·(1+d)^−k with Δ the period in
/// the model's unit; with no discount it is E[Z]·E[Y(KΔ)].
#[test]
fn clv_is_the_discounted_sum_over_periods() {
    let (pop, as_of) = population();
    let cfg = r#"{"clv": {"period": "month", "periods": 24, "discount_rate": 0.02}}"#;
    let (m, state, _) = fit(cfg, as_of, &pop).expect("fit");
    let out = score(cfg, as_of, &state, &pop[..200]);
    let step = 365.25 / 12.0 / 7.0;
    for o in out
        .iter()
        .filter(|o| o.label.as_deref() != Some(NO_PURCHASE))
    {
        let h = History {
            x: value(o, "x"),
            t_x: value(o, "t_x"),
            t: value(o, "T"),
        };
        let e = |k: f64| m.bgnbd.conditional_expected(h, k * step);
        let direct: f64 = (1..=24)
            .map(|k| {
                value(o, "expected_spend") * (e(f64::from(k)) - e(f64::from(k - 1)))
                    / 1.02f64.powi(k)
            })
            .sum();
        assert!(
            (o.score - direct).abs() <= 1e-9 * direct.abs().max(1.0),
            "{} vs {direct}",
            o.score
        );
    }
    let flat = r#"{"clv": {"period": "week", "periods": 52, "discount_rate": 0}}"#;
    let (_, state, _) = fit(flat, as_of, &pop).expect("fit");
    for o in score(flat, as_of, &state, &pop[..200])
        .iter()
        .filter(|o| o.label.as_deref() != Some(NO_PURCHASE))
    {
        let want = value(o, "expected_spend") * value(o, "expected_purchases");
        assert!(
            (o.score - want).abs() <= 1e-9 * want.max(1.0),
            "{} vs {want}",
            o.score
        );
    }
}

/// The time unit is explicit and changes no prediction: fitted in days, α
/// is 7 times α in weeks, the log-likelihood shifts by Σx·ln 7, and every
/// output over the same calendar horizons is the same.
#[test]
fn the_time_unit_scales_alpha_and_changes_no_prediction() {
    let (pop, as_of) = population();
    let weeks = r#"{"time_unit": "week", "expected_purchases_horizon": 52, "churn_horizon": 13}"#;
    let days = r#"{"time_unit": "day", "expected_purchases_horizon": 364, "churn_horizon": 91}"#;
    let (mw, sw, _) = fit(weeks, as_of, &pop).expect("fit");
    let (md, sd, _) = fit(days, as_of, &pop).expect("fit");
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-12);
    assert!(rel(md.bgnbd.alpha, 7.0 * mw.bgnbd.alpha) < 1e-5);
    assert!(rel(md.bgnbd.r, mw.bgnbd.r) < 1e-5 && rel(md.bgnbd.b, mw.bgnbd.b) < 1e-5);
    let sum_x: f64 = score(weeks, as_of, &sw, &pop)
        .iter()
        .filter_map(|o| o.get("x"))
        .sum();
    let shift = mw.bgnbd_fit.log_likelihood - md.bgnbd_fit.log_likelihood;
    assert!(
        (shift - sum_x * 7f64.ln()).abs() < 1e-3,
        "{shift} vs {}",
        sum_x * 7f64.ln()
    );
    let ow = score(weeks, as_of, &sw, &pop[..300]);
    let od = score(days, as_of, &sd, &pop[..300]);
    for (a, b) in ow.iter().zip(&od) {
        for name in ["expected_purchases", "p_alive", "churn_risk", "clv"] {
            if let (Some(x), Some(y)) = (a.get(name), b.get(name)) {
                assert!(
                    (x - y).abs() <= 1e-4 * y.abs().max(1e-3),
                    "{name}: {x} vs {y}"
                );
            }
        }
    }
}

/// The explanation: the typical customer's value, then the Shapley
/// contributions of frequency, recency, customer age and spend, which sum
/// exactly (to rounding) to the score; a customer equal to the typical one
/// gets zero contributions; more repeat purchases push the value up.
#[test]
fn explanations_sum_to_the_score() {
    let (pop, as_of) = population();
    let (m, state, _) = fit("{}", as_of, &pop).expect("fit");
    let out = score("{}", as_of, &state, &pop);
    let mut checked = 0;
    for o in out
        .iter()
        .filter(|o| o.label.as_deref() != Some(NO_PURCHASE))
    {
        assert_eq!(o.explanation.len(), 5);
        assert_eq!(o.explanation[0].value, m.reference_clv);
        assert!(o.explanation[0].label.starts_with("typical customer"));
        assert!(o.explanation[1].label.contains("repeat purchase"));
        assert!(o.explanation[2].label.starts_with("last purchase"));
        assert!(o.explanation[3].label.starts_with("customer for"));
        let total = o.explanation_total();
        assert!(
            (total - o.score).abs() <= 1e-9 * o.score.abs().max(1.0),
            "{total} vs {}",
            o.score
        );
        checked += 1;
    }
    assert!(checked > 2_000);
    // The typical customer itself: first purchase T ago, x repeat days with
    // the last one `recency` ago, each spending the typical spend.
    let r: Factors = m.reference;
    let days = |weeks: f64| (weeks * 7.0).round() as i64;
    let first = as_of - days(r.age) * DAY;
    let mut purchases = vec![(first, 10.0)];
    let x = r.frequency as i64;
    for k in 1..=x {
        let last = as_of - days(r.recency) * DAY;
        purchases.push((last - (x - k) * DAY, r.spend));
    }
    let o = &score("{}", as_of, &state, &[customer(1, &purchases)])[0];
    assert!(
        (o.score - m.reference_clv).abs() < 1e-9 * m.reference_clv,
        "{} vs {}",
        o.score,
        m.reference_clv
    );
    for c in &o.explanation[1..] {
        assert!(c.value.abs() < 1e-9 * m.reference_clv, "{c:?}");
    }
    // Frequency moves the value up.
    let frequent = customer(
        2,
        &(0..8)
            .map(|k| (as_of - (40 - 5 * k) * WEEK, 30.0))
            .collect::<Vec<_>>(),
    );
    let o = &score("{}", as_of, &state, &[frequent])[0];
    assert!(o.explanation[1].value > 0.0, "{:?}", o.explanation);
    assert!(o.explanation[1].label.starts_with("7 repeat purchases"));
}

/// Bands by quantile split the fitted population at the learned cut points
/// (about 50 / 30 / 15 / 5 % with the default); bands by value use the
/// configured amounts, a value equal to a cut belonging to the band below.
#[test]
fn bands_label_the_value() {
    let (pop, as_of) = population();
    let (m, state, _) = fit("{}", as_of, &pop).expect("fit");
    let out = score("{}", as_of, &state, &pop);
    let buyers: Vec<&Output> = out
        .iter()
        .filter(|o| o.label.as_deref() != Some(NO_PURCHASE))
        .collect();
    let share = |l: &str| {
        buyers
            .iter()
            .filter(|o| o.label.as_deref() == Some(l))
            .count() as f64
            / buyers.len() as f64
    };
    for (label, want) in [("low", 0.5), ("medium", 0.3), ("high", 0.15), ("top", 0.05)] {
        assert!(
            (share(label) - want).abs() < 0.02,
            "{label}: {}",
            share(label)
        );
    }
    // The cut points as `score` applies them: bit for bit those of the fit
    // (the model's readable `band_cuts` are JSON numbers, which may read
    // back one unit in the last place off).
    let cuts = m.band_cut_points();
    for o in &buyers {
        let band = cuts.iter().filter(|&&c| o.score > c).count();
        assert_eq!(
            o.label.as_deref(),
            Some(["low", "medium", "high", "top"][band])
        );
    }
    let cut = cuts[0];
    let cfg =
        format!(r#"{{"bands": {{"by": "value", "cuts": [{cut}], "labels": ["small", "large"]}}}}"#);
    // The amount as the configuration parser reads it back.
    let cut: f64 = serde_json::from_str(&cut.to_string()).expect("a number");
    let (mv, state, _) = fit(&cfg, as_of, &pop).expect("fit");
    assert_eq!(mv.band_cut_points(), [cut]);
    for o in score(&cfg, as_of, &state, &pop)
        .iter()
        .filter(|o| o.label.as_deref() != Some(NO_PURCHASE))
    {
        let want = if o.score <= cut { "small" } else { "large" };
        assert_eq!(o.label.as_deref(), Some(want));
    }
}

/// A configuration the plugin cannot use is a `config` error naming the
/// key, before any customer is read.
#[test]
fn bad_configurations_are_refused_naming_the_key() {
    for (cfg, says) in [
        (
            r#"{"time_unit": "fortnight"}"#,
            "unknown variant `fortnight`",
        ),
        (
            r#"{"expected_purchases_horizon": 0}"#,
            "`expected_purchases_horizon` must be a positive number of weeks",
        ),
        (
            r#"{"churn_horizon": -3}"#,
            "`churn_horizon` must be a positive number",
        ),
        (
            r#"{"time_unit": "year", "churn_horizon": 200}"#,
            "`churn_horizon` of 200 years is longer than a century",
        ),
        (
            r#"{"clv": {"periods": 0}}"#,
            "`clv.periods` must be at least 1",
        ),
        (
            r#"{"clv": {"discount_rate": 1.5}}"#,
            "`clv.discount_rate` must be between 0 and 1 per month",
        ),
        (
            r#"{"clv": {"period": "week", "discount_rate": -0.1}}"#,
            "per week, got -0.1",
        ),
        (r#"{"clv": {"horizon": 12}}"#, "unknown field `horizon`"),
        (r#"{"penalty": -1}"#, "`penalty` must be 0 or more"),
        (
            r#"{"optimizer": {"max_iterations": 0}}"#,
            "`optimizer.max_iterations` must be between 1 and 100000",
        ),
        (
            r#"{"optimizer": {"gradient_tolerance": 0.5}}"#,
            "`optimizer.gradient_tolerance` must be greater than 0 and at most 0.01",
        ),
        (
            r#"{"bands": {"by": "quantile", "cuts": [0.5, 1.2], "labels": ["a", "b", "c"]}}"#,
            "must lie strictly between 0 and 1, got 1.2",
        ),
        (
            r#"{"bands": {"by": "value", "cuts": [100, 50], "labels": ["a", "b", "c"]}}"#,
            "strictly ascending, but 100 is followed by 50",
        ),
        (
            r#"{"bands": {"by": "value", "cuts": [100], "labels": ["a"]}}"#,
            "one more entry than `bands.cuts`",
        ),
        (
            r#"{"bands": {"by": "value", "cuts": [100], "labels": ["a", "Big"]}}"#,
            "`bands.labels[1]`",
        ),
        (r#"{"colour": "red"}"#, "unknown field `colour`"),
    ] {
        let err = run::scorer_fit::<Clv>(&Context::new(cfg, AS_OF, 0), &[]).expect_err(cfg);
        assert_eq!(err.code, "config", "{cfg}");
        assert!(err.message.contains(says), "{cfg}: {}", err.message);
    }
}

fn read_json(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The shipped default configuration is the built-in one and validates;
/// the schema refuses what the code refuses.
#[test]
fn shipped_configuration_files_agree_with_the_code() {
    let schema = read_json("config.schema.json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let default = read_json("config.default.json");
    assert!(validator.is_valid(&default));
    let parsed: Config = run::parse_config(&default.to_string()).expect("default parses");
    assert_eq!(parsed, Config::default());
    assert_eq!(
        run::parse_config::<Config>("{}").expect("empty"),
        Config::default()
    );
    assert!(validator.is_valid(&read_json("fixtures/sample.json")["config"]));
    for bad in [
        serde_json::json!({"time_unit": "fortnight"}),
        serde_json::json!({"expected_purchases_horizon": 0}),
        serde_json::json!({"clv": {"periods": 0}}),
        serde_json::json!({"clv": {"discount_rate": 2}}),
        serde_json::json!({"penalty": -1}),
        serde_json::json!({"optimizer": {"max_iterations": 0}}),
        serde_json::json!({"bands": {"by": "rank", "cuts": [], "labels": ["a"]}}),
        serde_json::json!({"bands": {"by": "value", "cuts": [1], "labels": ["Big", "b"]}}),
        serde_json::json!({"colour": "red"}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
        assert!(
            run::parse_config::<Config>(&bad.to_string()).is_err(),
            "code accepts {bad}"
        );
    }
}

/// A model is tied to the configuration it was fitted with.
#[test]
fn a_model_fitted_with_another_configuration_is_refused() {
    let (pop, as_of) = population();
    let (_, state, _) = fit("{}", as_of, &pop).expect("fit");
    let err = run::scorer_score::<Clv>(
        &Context::new(r#"{"churn_horizon": 4}"#, as_of, 0),
        &state,
        &pop[..3],
    )
    .expect_err("other config");
    assert_eq!(err.code, "model");
}

/// The model's bytes: the JSON part and the binary (x, T) table come back
/// field for field and bit for bit; a model without its table (as a JSON
/// reader would leave it) scores the same bits, computing the table's
/// values again; bytes that are not a `clv` model are refused with code
/// `model` and a reason, never a panic.
#[test]
fn model_bytes_round_trip_and_damaged_ones_are_refused() {
    let (pop, as_of) = population();
    let (m, state, _) = fit("{}", as_of, &pop).expect("fit");
    assert!(state.starts_with(rapport_clv::MODEL_MAGIC));
    assert!(!m.at_age.is_empty(), "the fit filled the table");
    // The table is copied bit for bit: writing the model read back gives
    // the same table bytes (the JSON part's readable numbers may read back
    // one unit in the last place off, which is why the model also keeps
    // them as `exact` bits).
    let table_bytes = m.at_age.len() * rapport_clv::table::AgeTable::ENTRY_BYTES;
    let again = m.to_bytes().expect("bytes");
    assert!(again[again.len() - table_bytes..] == state[state.len() - table_bytes..]);
    assert_eq!(ClvModel::from_bytes(&again).expect("read").at_age, m.at_age);

    let bits = |out: &[Output]| -> Vec<u64> {
        out.iter()
            .flat_map(|o| {
                std::iter::once(o.score)
                    .chain(o.values.iter().map(|v| v.value))
                    .chain(o.explanation.iter().map(|t| t.value))
            })
            .map(f64::to_bits)
            .collect()
    };
    let with_table = score("{}", as_of, &state, &pop);
    let bare = ClvModel {
        at_age: Default::default(),
        ..m.clone()
    }
    .to_bytes()
    .expect("bytes");
    assert!(bare.len() < state.len());
    assert_eq!(bits(&score("{}", as_of, &bare, &pop)), bits(&with_table));

    let json_len = state.len() - table_bytes;
    let damaged: [(&str, Vec<u8>); 5] = [
        (
            "does not start with the `clv` model header",
            state[1..].to_vec(),
        ),
        ("ends inside its header", state[..10].to_vec()),
        ("only", state[..200].to_vec()),
        (
            "not a whole number of 32-byte entries",
            state[..state.len() - 3].to_vec(),
        ),
        ("does not parse", {
            let mut s = state.clone();
            s[json_len - 1] = b'!';
            s
        }),
    ];
    for (reason, bytes) in damaged {
        let err = run::scorer_score::<Clv>(&Context::new("{}", as_of, 0), &bytes, &pop[..2])
            .expect_err(reason);
        assert_eq!(err.code, "model", "{reason}");
        assert!(err.message.contains(reason), "{reason}: {}", err.message);
    }
}

/// Convergence diagnostics instead of a panic: a fit stopped early is a
/// warning with its iterations, gradient norm and log-likelihood (or, with
/// `require_convergence`, an error with code `convergence`); a converged fit
/// reports the same facts as information.
#[test]
fn a_fit_that_does_not_converge_warns_or_fails_never_panics() {
    let (pop, as_of) = population();
    let (m, _, diags) = fit("{}", as_of, &pop).expect("fit");
    assert!(m.bgnbd_fit.converged && m.gamma_gamma_fit.converged);
    assert!(diags.iter().all(|(s, _)| *s == Severity::Info), "{diags:?}");
    assert!(
        diags[0].1.contains("iterations (bfgs), gradient norm"),
        "{diags:?}"
    );
    let cfg = r#"{"optimizer": {"max_iterations": 1, "gradient_tolerance": 1e-12}}"#;
    let (m, _, diags) = fit(cfg, as_of, &pop).expect("fit stops early but succeeds");
    assert!(!m.bgnbd_fit.converged);
    assert!(m.bgnbd_fit.gradient_norm > 1e-12 && m.bgnbd_fit.log_likelihood.is_finite());
    assert!(
        diags
            .iter()
            .any(|(s, d)| *s == Severity::Warning && d.contains("BG/NBD fit did not converge")),
        "{diags:?}"
    );
    assert!(diags[0].1.contains("NOT converged"), "{diags:?}");
    let strict = r#"{"optimizer": {"max_iterations": 1, "gradient_tolerance": 1e-12, "require_convergence": true}}"#;
    let err = fit(strict, as_of, &pop).map(|_| ()).expect_err("strict");
    assert_eq!(err.code, "convergence");
    assert!(
        err.message.contains("did not converge") && err.message.contains("gradient norm"),
        "{}",
        err.message
    );
}

/// The L2 penalty on the log-parameters pulls the estimates towards 1 and
/// costs log-likelihood; 0 is plain maximum likelihood.
#[test]
fn the_penalty_shrinks_log_parameters() {
    let (pop, as_of) = population();
    let (plain, _, _) = fit("{}", as_of, &pop).expect("fit");
    let (pen, _, _) = fit(r#"{"penalty": 0.05}"#, as_of, &pop).expect("fit");
    let norm = |m: &ClvModel| {
        m.bgnbd
            .to_array()
            .iter()
            .map(|v| v.ln().powi(2))
            .sum::<f64>()
    };
    assert!(
        norm(&pen) < norm(&plain),
        "{} vs {}",
        norm(&pen),
        norm(&plain)
    );
    assert!(pen.bgnbd_fit.log_likelihood < plain.bgnbd_fit.log_likelihood);
    assert!(pen.gamma_gamma_fit.log_likelihood < plain.gamma_gamma_fit.log_likelihood);
}

/// Data the models cannot be fitted on is a `data` error naming the count.
#[test]
fn populations_that_cannot_be_fitted_are_data_errors() {
    let none = vec![customer(1, &[]), customer(2, &[])];
    let err = fit("{}", AS_OF, &none).map(|_| ()).expect_err("no buyers");
    assert_eq!(err.code, "data");
    assert!(
        err.message
            .contains("none of the 2 customers has a purchase"),
        "{}",
        err.message
    );
    let once: Vec<Customer> = (1..=5)
        .map(|i| customer(i, &[(AS_OF - i as i64 * WEEK, 10.0)]))
        .collect();
    let err = fit("{}", AS_OF, &once).map(|_| ()).expect_err("no repeats");
    assert_eq!(err.code, "data");
    assert!(
        err.message
            .contains("none of the 5 purchasing customers has a repeat purchase"),
        "{}",
        err.message
    );
    let mut one_repeat = once.clone();
    one_repeat.push(customer(
        9,
        &[(AS_OF - 9 * WEEK, 10.0), (AS_OF - WEEK, 12.0)],
    ));
    let err = fit("{}", AS_OF, &one_repeat)
        .map(|_| ())
        .expect_err("one spender");
    assert_eq!(err.code, "data");
    assert!(
        err.message.contains("only 1 repeat customers"),
        "{}",
        err.message
    );
}

/// The same customers give the same model bytes and outputs whatever the
/// order of the population, of each customer's transactions, and the batch
/// size.
#[test]
fn results_do_not_depend_on_order_or_batching() {
    let (pop, as_of) = population();
    let (_, state, _) = fit("{}", as_of, &pop).expect("fit");
    let mut shuffled = pop.clone();
    shuffled.reverse();
    for c in shuffled.iter_mut() {
        if let Some(list) = c.transactions.as_mut() {
            list.reverse();
        }
    }
    let (_, state2, _) = fit("{}", as_of, &shuffled).expect("fit");
    assert_eq!(state, state2);
    let whole = score("{}", as_of, &state, &pop);
    let batched: Vec<Output> = pop
        .chunks(7)
        .flat_map(|b| score("{}", as_of, &state, b))
        .collect();
    assert_eq!(whole, batched);
    let mut reversed_lists = pop.clone();
    for c in reversed_lists.iter_mut() {
        if let Some(list) = c.transactions.as_mut() {
            list.reverse();
        }
    }
    assert_eq!(whole, score("{}", as_of, &state, &reversed_lists));
}

/// The sample fixture (for `rapport plugin test`) fits and scores.
#[test]
fn the_sample_fixture_runs() {
    let fixture = read_json("fixtures/sample.json");
    let customers: Vec<Customer> =
        serde_json::from_value(fixture["customers"].clone()).expect("fixture customers");
    let as_of = fixture["as_of"].as_i64().expect("as_of");
    let (_, state, _) = fit(&fixture["config"].to_string(), as_of, &customers).expect("fit");
    let out = score(&fixture["config"].to_string(), as_of, &state, &customers);
    assert_eq!(out.len(), customers.len());
    assert!(out.iter().any(|o| o.score > 0.0));
}
