//! One scenario per documented behaviour of the value × potential segmenter
//! (see `README.md`): realised value in a trailing window, the four
//! potential signals, quantile and absolute thresholds with their ties,
//! advocates as a segment or a flag, customers without purchases,
//! configuration errors and explanations whose potential terms sum to the
//! score. Everything runs natively through the entry points the component
//! glue calls.

use rapport_plugin_sdk::{
    run, Context, Customer, Interaction, Output, Referral, Severity, Transaction, DAY,
};
use rapport_value_potential::{
    Config, Model, ValuePotential, ADVOCATE, HIGH_HIGH, HIGH_LOW, LABELS, LOW_HIGH, LOW_LOW,
};

const AS_OF: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

/// A purchase of `amount`, `days` days before the as-of instant.
fn buy(days: i64, amount: f64) -> Transaction {
    Transaction {
        at: Some(AS_OF - days * DAY),
        amount: Some(amount),
        ..Default::default()
    }
}

fn touch(days: i64, kind: &str) -> Interaction {
    Interaction {
        at: Some(AS_OF - days * DAY),
        kind: Some(kind.to_owned()),
        ..Default::default()
    }
}

fn referral(referred: u64) -> Referral {
    Referral {
        referred: Some(referred),
        ..Default::default()
    }
}

fn customer(
    subject: u64,
    transactions: Vec<Transaction>,
    interactions: Vec<Interaction>,
    referrals: Vec<Referral>,
) -> Customer {
    Customer {
        subject,
        transactions: Some(transactions),
        interactions: Some(interactions),
        referrals: Some(referrals),
        ..Default::default()
    }
}

fn spender(subject: u64, days: i64, amount: f64) -> Customer {
    customer(subject, vec![buy(days, amount)], vec![], vec![])
}

fn fit(config: &str, population: &[Customer]) -> (Model, Vec<u8>, Vec<String>) {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::segmenter_fit::<ValuePotential>(&ctx, population).expect("fit");
    let decoded = run::decode_model::<Model>(&model.state).expect("model");
    let diags = model
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    (decoded, model.state, diags)
}

fn fit_and_score(config: &str, population: &[Customer]) -> Vec<Output> {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::segmenter_fit::<ValuePotential>(&ctx, population).expect("fit");
    run::segmenter_score::<ValuePotential>(&ctx, &model.state, population)
        .expect("score")
        .outputs
}

fn value(o: &Output, name: &str) -> f64 {
    o.get(name)
        .unwrap_or_else(|| panic!("subject {}: value `{name}` missing", o.subject))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Value is the amount spent within the trailing window: purchases before
/// it, and any dated after the as-of instant, do not count.
#[test]
fn value_is_spend_within_the_trailing_window() {
    let c = customer(
        1,
        vec![
            buy(10, 100.0),
            buy(364, 50.0),
            buy(366, 1000.0),
            buy(-3, 7.0),
        ],
        vec![],
        vec![],
    );
    let out = fit_and_score("{}", std::slice::from_ref(&c));
    assert_eq!(value(&out[0], "value"), 150.0);
    // A 30-day window keeps only the recent purchase.
    let out = fit_and_score(r#"{"value_window_days": 30}"#, &[c]);
    assert_eq!(value(&out[0], "value"), 100.0);
}

/// The value threshold is the median of the positive values; high value is
/// strictly above it, so a value equal to the threshold is low, and a
/// customer who spent nothing is never high.
#[test]
fn value_threshold_is_the_median_of_positive_values_and_ties_are_low() {
    let mut pop: Vec<Customer> = (1..=5u64)
        .map(|i| spender(i, 5, i as f64 * 100.0))
        .collect();
    pop.push(customer(6, vec![], vec![], vec![]));
    pop.push(spender(7, 5, 300.0)); // ties with customer 3
    let (model, _, _) = fit("{}", &pop);
    // Positive values 100, 200, 300, 300, 400, 500: nearest-rank median is
    // the third, 300.
    assert_eq!(model.value_threshold, Some(300.0));
    assert_eq!(model.valued, 6);
    let out = fit_and_score("{}", &pop);
    let high: Vec<u64> = out
        .iter()
        .filter(|o| value(o, "value_high") == 1.0)
        .map(|o| o.subject)
        .collect();
    assert_eq!(high, [4, 5]);
    assert_eq!(value(&out[5], "value"), 0.0);
    assert_eq!(value(&out[5], "value_high"), 0.0);
}

/// The potential threshold is the median potential of the customers with
/// value: a crowd of inactive customers does not pull it down, so a big
/// spender who stopped buying is high value but low potential.
#[test]
fn the_potential_threshold_is_learned_among_customers_with_value() {
    let mut pop = vec![
        spender(1, 300, 1000.0), // big, fading
        spender(2, 5, 10.0),     // small, recent
        spender(3, 10, 900.0),   // big, recent
        spender(4, 200, 20.0),   // small, fading
    ];
    pop.extend((10..20).map(|s| customer(s, vec![], vec![], vec![])));
    let (model, _, _) = fit("{}", &pop);
    let out = fit_and_score("{}", &pop);
    // Potentials of the four with value, ascending: 1, 4, 3, 2; the median
    // (nearest rank) is customer 4's.
    assert_eq!(model.potential_threshold, out[3].score);
    let labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(labels[..4], [HIGH_LOW, LOW_HIGH, HIGH_HIGH, LOW_LOW]);
    assert!(labels[4..].iter().all(|l| *l == LOW_LOW));
}

/// Absolute thresholds replace the learned ones.
#[test]
fn absolute_thresholds_replace_the_quantiles() {
    let pop: Vec<Customer> = (1..=5u64)
        .map(|i| spender(i, 5, i as f64 * 100.0))
        .collect();
    let config =
        r#"{"value_threshold": {"absolute": 150}, "potential_threshold": {"absolute": 40}}"#;
    let (model, _, _) = fit(config, &pop);
    assert_eq!(model.value_threshold, Some(150.0));
    assert_eq!(model.potential_threshold, 40.0);
    let out = fit_and_score(config, &pop);
    let high: Vec<f64> = out.iter().map(|o| value(o, "value_high")).collect();
    assert_eq!(high, [0.0, 1.0, 1.0, 1.0, 1.0]);
    // Each bought once 5 days ago: recency 0.5^(5/90) x 30, trend 1 x 30.
    let expected = 30.0 * 0.5f64.powf(5.0 / 90.0) + 30.0;
    for o in &out {
        assert!(close(o.score, expected), "{}", o.score);
        assert_eq!(value(o, "potential_high"), 1.0);
    }
}

/// Recency halves every half-life: a purchase 90 days ago scores half the
/// recency weight, 180 days a quarter; no purchase scores 0.
#[test]
fn recency_halves_every_half_life() {
    let pop = [
        spender(1, 0, 10.0),
        spender(2, 90, 10.0),
        spender(3, 180, 10.0),
        customer(4, vec![], vec![], vec![]),
    ];
    let out = fit_and_score(
        r#"{"weights": {"recency": 100, "trend": 0, "engagement": 0, "referrals": 0}}"#,
        &pop,
    );
    let scores: Vec<f64> = out.iter().map(|o| o.score).collect();
    assert!(close(scores[0], 100.0));
    assert!(close(scores[1], 50.0));
    assert!(close(scores[2], 25.0));
    assert_eq!(scores[3], 0.0);
    assert_eq!(value(&out[1], "days_since_last_purchase"), 90.0);
    assert_eq!(out[3].get("days_since_last_purchase"), None);
}

/// The trend is the share of the window's purchases made in its recent
/// half: rising buyers score more than fading ones; no purchase in the
/// window scores 0.
#[test]
fn trend_compares_the_two_halves_of_the_value_window() {
    let rising = customer(
        1,
        vec![buy(300, 10.0), buy(20, 10.0), buy(10, 10.0), buy(5, 10.0)],
        vec![],
        vec![],
    );
    let fading = customer(
        2,
        vec![buy(300, 10.0), buy(250, 10.0), buy(200, 10.0), buy(5, 10.0)],
        vec![],
        vec![],
    );
    let lapsed = customer(3, vec![buy(400, 10.0)], vec![], vec![]);
    let config = r#"{"weights": {"recency": 0, "trend": 100, "engagement": 0, "referrals": 0}}"#;
    let out = fit_and_score(config, &[rising, fading, lapsed]);
    assert_eq!(out[0].score, 75.0);
    assert_eq!(value(&out[0], "purchases_recent"), 3.0);
    assert_eq!(value(&out[0], "purchases_previous"), 1.0);
    assert_eq!(out[1].score, 25.0);
    assert_eq!(out[2].score, 0.0);
}

/// Engagement counts the configured interaction kinds in the engagement
/// window, against a reference learned as the 90th percentile of engaged
/// customers' counts; the signal is capped at 1.
#[test]
fn engagement_is_scaled_by_a_learned_reference_and_capped() {
    // Customers 1..=10 have 1..=10 opens in the last 90 days.
    let mut pop: Vec<Customer> = (1..=10u64)
        .map(|i| {
            customer(
                i,
                vec![],
                (0..i).map(|d| touch(d as i64 + 1, "email_open")).collect(),
                vec![],
            )
        })
        .collect();
    // Customer 11: 20 visits, plus kinds and dates that do not count.
    let mut noisy: Vec<Interaction> = (0..20).map(|d| touch(d + 1, "web_visit")).collect();
    noisy.push(touch(120, "email_open"));
    noisy.push(touch(3, "ticket_opened"));
    pop.push(customer(11, vec![], noisy, vec![]));
    let config = r#"{"weights": {"recency": 0, "trend": 0, "engagement": 100, "referrals": 0}}"#;
    let (model, _, _) = fit(config, &pop);
    // Counts 1..=10 and 20: the nearest-rank 0.9 quantile of 11 values is
    // the 10th, 10.
    assert_eq!(model.engagement_reference, 10.0);
    let out = fit_and_score(config, &pop);
    assert!(close(out[4].score, 50.0));
    assert_eq!(value(&out[10], "engagement"), 20.0);
    assert_eq!(out[10].score, 100.0, "capped at the full weight");
    // A fixed reference replaces the learned one.
    let fixed = r#"{"weights": {"recency": 0, "trend": 0, "engagement": 100, "referrals": 0}, "engagement_reference": 4}"#;
    let out = fit_and_score(fixed, &pop);
    assert_eq!(out[1].score, 50.0);
    assert_eq!(out[3].score, 100.0);
}

/// The four cells: a big recent spender, a big spender who stopped, a small
/// but engaged and rising customer, and a small lapsed one.
#[test]
fn customers_land_in_the_cell_their_value_and_potential_say() {
    let engaged: Vec<Interaction> = (1..=8).map(|d| touch(d, "email_click")).collect();
    let pop = [
        customer(
            1,
            vec![buy(200, 400.0), buy(10, 600.0), buy(3, 500.0)],
            engaged.clone(),
            vec![],
        ),
        customer(2, vec![buy(340, 900.0), buy(300, 800.0)], vec![], vec![]),
        customer(3, vec![buy(4, 20.0)], engaged, vec![]),
        customer(4, vec![buy(350, 15.0)], vec![], vec![]),
    ];
    let out = fit_and_score("{}", &pop);
    let labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(labels, [HIGH_HIGH, HIGH_LOW, LOW_HIGH, LOW_LOW]);
}

/// Advocates: customers who referred at least `advocate_min_referrals`
/// others (distinct, not themselves) get the `advocate` segment by default,
/// or keep their cell and only the flag with `advocates: flag`.
#[test]
fn advocates_are_a_segment_or_a_flag() {
    let pop = [
        customer(
            1,
            vec![buy(5, 50.0)],
            vec![],
            vec![referral(7), referral(8), referral(9)],
        ),
        // Three referrals, but one names the same customer twice and one
        // names the referrer: one distinct referral.
        customer(
            2,
            vec![buy(5, 60.0)],
            vec![],
            vec![referral(7), referral(7), referral(2)],
        ),
        spender(3, 5, 70.0),
    ];
    let out = fit_and_score("{}", &pop);
    assert_eq!(out[0].label.as_deref(), Some(ADVOCATE));
    assert_eq!(value(&out[0], "advocate"), 1.0);
    assert_eq!(value(&out[0], "referrals"), 3.0);
    assert_eq!(value(&out[1], "referrals"), 1.0);
    assert_eq!(value(&out[1], "advocate"), 0.0);
    assert_ne!(out[1].label.as_deref(), Some(ADVOCATE));

    let flagged = fit_and_score(r#"{"advocates": "flag"}"#, &pop);
    assert_eq!(value(&flagged[0], "advocate"), 1.0);
    assert!([HIGH_HIGH, HIGH_LOW, LOW_HIGH, LOW_LOW]
        .contains(&flagged[0].label.as_deref().unwrap_or("")));
    // The grid cell of an advocate is still in the values.
    assert_eq!(
        value(&out[0], "value_high"),
        value(&flagged[0], "value_high")
    );

    let fewer = fit_and_score(r#"{"advocate_min_referrals": 1}"#, &pop);
    assert_eq!(fewer[1].label.as_deref(), Some(ADVOCATE));

    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<ValuePotential>(&ctx, &pop).expect("fit");
    assert!(model
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning
            && d.message.starts_with("1 referrals name the referrer")));
}

/// Without any spend in the window, no value threshold can be learned:
/// fit warns and every customer is low value; potential still works.
#[test]
fn a_population_without_spend_is_all_low_value_with_a_warning() {
    let pop = [
        customer(1, vec![], vec![touch(2, "web_visit")], vec![]),
        customer(2, vec![buy(500, 10.0)], vec![], vec![]),
    ];
    let (model, _, diags) = fit("{}", &pop);
    assert_eq!(model.value_threshold, None);
    assert!(diags
        .iter()
        .any(|d| d.contains("no value threshold could be learned")));
    let out = fit_and_score("{}", &pop);
    assert!(out.iter().all(|o| value(o, "value_high") == 0.0));
    assert_eq!(out[0].get("value_threshold"), None);
    // The engaged customer has the higher potential and is above the
    // median, the lapsed one is not.
    assert_eq!(out[0].label.as_deref(), Some(LOW_HIGH));
    assert_eq!(out[1].label.as_deref(), Some(LOW_LOW));
}

/// Undated transactions are left out, with a warning naming the field.
#[test]
fn undated_transactions_are_left_out_with_a_warning() {
    let c = customer(
        1,
        vec![
            buy(3, 10.0),
            Transaction {
                amount: Some(99.0),
                ..Default::default()
            },
        ],
        vec![],
        vec![],
    );
    let (_, _, diags) = fit("{}", std::slice::from_ref(&c));
    assert!(
        diags.iter().any(|d| d.contains("transactions.at")),
        "{diags:?}"
    );
    assert_eq!(value(&fit_and_score("{}", &[c])[0], "value"), 10.0);
}

/// The value term carries 0 and names where the customer stands; the four
/// potential terms sum to the score exactly.
#[test]
fn explanations_sum_to_the_score_and_read_naturally() {
    let pop: Vec<Customer> = (1..=30u64)
        .map(|i| {
            customer(
                i,
                (0..i % 5)
                    .map(|k| buy((i as i64 * 13 + k as i64 * 29) % 400, 10.0 + i as f64))
                    .collect(),
                (0..i % 7)
                    .map(|k| touch(k as i64 * 11 + 1, "web_visit"))
                    .collect(),
                (0..i % 4).map(|k| referral(100 + k)).collect(),
            )
        })
        .collect();
    let out = fit_and_score("{}", &pop);
    for o in &out {
        assert_eq!(o.explanation.len(), 5);
        assert_eq!(o.explanation[0].value, 0.0);
        assert_eq!(o.explanation_total(), o.score, "subject {}", o.subject);
        assert!((0.0..=100.0).contains(&o.score));
        assert!(LABELS.contains(&o.label.as_deref().unwrap_or("")));
    }
    let o = &out[2]; // customer 3: three purchases of 13, 39, 68 and 97 days ago
    assert!(
        o.explanation[0]
            .label
            .starts_with("spent 39.00 in the last 365 days: "),
        "{}",
        o.explanation[0].label
    );
    assert!(o.explanation[0].label.ends_with("not part of the score"));
    assert!(
        o.explanation[1]
            .label
            .starts_with("last purchase 39 days ago (recency 0.74 x weight 30)"),
        "{}",
        o.explanation[1].label
    );
    assert!(
        o.explanation[2]
            .label
            .starts_with("3 purchases in the last 182.5 days against 0"),
        "{}",
        o.explanation[2].label
    );
    assert!(
        o.explanation[4]
            .label
            .starts_with("referred 3 customers: an advocate"),
        "{}",
        o.explanation[4].label
    );
}

/// Configuration errors are `config` errors naming the key and the problem.
#[test]
fn configuration_errors_name_the_key_and_the_problem() {
    let cases = [
        (r#"{"weights": {"recency": 30, "trend": 30, "engagement": 20, "referrals": 15}}"#, "`weights` must sum to 100, got 95 (recency 30 + trend 30 + engagement 20 + referrals 15)"),
        (r#"{"weights": {"recency": 130, "trend": -30, "engagement": 0, "referrals": 0}}"#, "`weights.trend` must be a finite number of at least 0, got -30"),
        (r#"{"weights": {"recency": 100}}"#, "missing field `trend`"),
        (r#"{"value_threshold": {"quantile": 1}}"#, "`value_threshold.quantile` must be strictly between 0 and 1, got 1"),
        (r#"{"potential_threshold": {"absolute": 120}}"#, "`potential_threshold.absolute` must be at most 100"),
        (r#"{"value_threshold": {"absolute": -5}}"#, "`value_threshold.absolute` must be a finite number of at least 0, got -5"),
        (r#"{"value_threshold": {"median": true}}"#, "unknown variant `median`"),
        (r#"{"value_window_days": 0}"#, "`value_window_days` must be a positive number of days, got 0"),
        (r#"{"engagement_reference": 0.5}"#, "`engagement_reference` must be at least 1"),
        (r#"{"engagement_kinds": []}"#, "`engagement_kinds` must name at least one interaction kind"),
        (r#"{"advocate_min_referrals": 0}"#, "`advocate_min_referrals` must be at least 1"),
        (r#"{"advocates": "badge"}"#, "unknown variant `badge`"),
        (r#"{"colour": "red"}"#, "unknown field `colour`"),
    ];
    for (config, expected) in cases {
        let err = run::segmenter_fit::<ValuePotential>(&Context::new(config, AS_OF, 1), &[])
            .expect_err(config);
        assert_eq!(err.code, "config", "{config}");
        assert!(
            err.message.starts_with("invalid plugin configuration"),
            "{}",
            err.message
        );
        assert!(err.message.contains(expected), "{config}: {}", err.message);
    }
}

/// Same input, same output, whatever the batch split or input order.
#[test]
fn scoring_is_deterministic_and_independent_of_batching() {
    let pop: Vec<Customer> = (1..=40u64)
        .map(|i| {
            customer(
                i,
                (0..i % 6)
                    .map(|k| buy((i as i64 * 7 + k as i64 * 31) % 500, i as f64))
                    .collect(),
                (0..i % 3)
                    .map(|k| touch(k as i64 + 2, "email_open"))
                    .collect(),
                vec![],
            )
        })
        .collect();
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<ValuePotential>(&ctx, &pop).expect("fit");
    let whole = run::segmenter_score::<ValuePotential>(&ctx, &model.state, &pop)
        .expect("score")
        .outputs;
    let mut split = Vec::new();
    for chunk in pop.chunks(7) {
        split.extend(
            run::segmenter_score::<ValuePotential>(&ctx, &model.state, chunk)
                .expect("score")
                .outputs,
        );
    }
    assert_eq!(whole, split);
    let mut reversed = pop.clone();
    reversed.reverse();
    assert_eq!(fit("{}", &pop).1, fit("{}", &reversed).1);
}

fn read_json(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The shipped default configuration is the built-in one and validates
/// against the shipped schema; the schema refuses what the code refuses.
#[test]
fn shipped_configuration_files_agree_with_the_code() {
    let schema = read_json("config.schema.json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let default = read_json("config.default.json");
    assert!(validator.is_valid(&default));
    assert_eq!(
        Config::from_json(&default.to_string()).expect("default parses"),
        Config::default()
    );
    let fixture = read_json("fixtures/sample.json");
    assert!(validator.is_valid(&fixture["config"]));
    for bad in [
        serde_json::json!({"value_threshold": {"quantile": 1.0}}),
        serde_json::json!({"value_threshold": {"quantile": 0.5, "absolute": 3}}),
        serde_json::json!({"potential_threshold": {"absolute": -1}}),
        serde_json::json!({"weights": {"recency": 100}}),
        serde_json::json!({"advocates": "badge"}),
        serde_json::json!({"colour": "red"}),
        serde_json::json!({"engagement_kinds": []}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
        assert!(
            Config::from_json(&bad.to_string()).is_err(),
            "code accepts {bad}"
        );
    }
}

/// The sample fixture runs end to end with labels from the documented set.
#[test]
fn the_sample_fixture_segments_every_customer() {
    let fixture = read_json("fixtures/sample.json");
    let customers: Vec<Customer> =
        serde_json::from_value(fixture["customers"].clone()).expect("fixture customers");
    let ctx = Context::new(
        fixture["config"].to_string(),
        fixture["as_of"].as_i64().expect("as_of"),
        fixture["seed"].as_u64().expect("seed"),
    );
    let model = run::segmenter_fit::<ValuePotential>(&ctx, &customers).expect("fit");
    let out = run::segmenter_score::<ValuePotential>(&ctx, &model.state, &customers)
        .expect("score")
        .outputs;
    assert_eq!(out.len(), customers.len());
    for o in &out {
        assert!(
            LABELS.contains(&o.label.as_deref().unwrap_or("")),
            "{:?}",
            o.label
        );
        assert_eq!(o.explanation_total(), o.score);
    }
    let labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    for expected in LABELS {
        assert!(
            labels.contains(&expected),
            "the sample shows every label, not {expected}"
        );
    }
}
