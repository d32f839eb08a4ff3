//! One scenario per documented behaviour of the RFM segmenter (see
//! `README.md`): quintile assignment, ties, customers without a purchase,
//! explicit thresholds, custom segment maps, configuration errors and
//! explanations that sum to the score. Everything runs natively through the
//! same entry points the component glue calls.

use rapport_plugin_sdk::{run, Context, Customer, Output, PluginError, Purchases, Severity, DAY};
use rapport_rfm::{Rfm, RfmConfig, RfmModel, NO_PURCHASE};

const AS_OF: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A customer who last bought `days` days before the as-of instant.
fn buyer(subject: u64, days: i64, count: u32, total: f64) -> Customer {
    customer(
        subject,
        Some(count),
        Some(AS_OF - days * DAY - 60),
        Some(total),
    )
}

fn customer(subject: u64, count: Option<u32>, last: Option<i64>, total: Option<f64>) -> Customer {
    Customer {
        subject,
        signup: None,
        country: None,
        region: None,
        purchases: Purchases {
            count,
            days: None,
            first: None,
            last,
            total_amount: total,
            total_quantity: None,
        },
        transactions: None,
        interactions: None,
        referrals: None,
        previous: None,
    }
}

fn fit(config: &str, population: &[Customer]) -> Result<(RfmModel, Vec<u8>), PluginError> {
    let model = run::segmenter_fit::<Rfm>(&Context::new(config, AS_OF, 1), population)?;
    let decoded = run::decode_model::<RfmModel>(&model.state)?;
    Ok((decoded, model.state))
}

fn fit_and_score(config: &str, population: &[Customer]) -> Vec<Output> {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::segmenter_fit::<Rfm>(&ctx, population).expect("fit");
    run::segmenter_score::<Rfm>(&ctx, &model.state, population)
        .expect("score")
        .outputs
}

fn rfm(o: &Output) -> (u32, u32, u32) {
    let g = |n: &str| o.get(n).unwrap_or_else(|| panic!("value {n} missing")) as u32;
    (g("r"), g("f"), g("m"))
}

/// Ten buyers with distinct values in every dimension: quintiles put exactly
/// two in each bin, the most recent and the biggest in bin 5.
#[test]
fn quintiles_split_distinct_values_two_per_bin() {
    // Customer i (1..=10): bought i*10 days ago, i times, for i*100.
    let pop: Vec<Customer> = (1..=10u32)
        .map(|i| buyer(u64::from(i), i64::from(i) * 10, i, f64::from(i) * 100.0))
        .collect();
    let (model, _) = fit("{}", &pop).expect("fit");
    assert_eq!(model.recency_days, [20.0, 40.0, 60.0, 80.0]);
    assert_eq!(model.frequency, [2.0, 4.0, 6.0, 8.0]);
    assert_eq!(model.monetary, [200.0, 400.0, 600.0, 800.0]);
    assert_eq!(model.purchasers, 10);

    let out = fit_and_score("{}", &pop);
    let scores: Vec<(u32, u32, u32)> = out.iter().map(rfm).collect();
    assert_eq!(
        scores,
        [
            (5, 1, 1),
            (5, 1, 1),
            (4, 2, 2),
            (4, 2, 2),
            (3, 3, 3),
            (3, 3, 3),
            (2, 4, 4),
            (2, 4, 4),
            (1, 5, 5),
            (1, 5, 5)
        ]
    );
    // Score is the RFM cell code.
    assert_eq!(out[0].score, 511.0);
    assert_eq!(out[9].score, 155.0);
    // Segments from the built-in grid: R=5/FM=1 new, R=3/FM=3 need attention,
    // R=1/FM=5 can't lose them.
    assert_eq!(out[0].label.as_deref(), Some("new_customers"));
    assert_eq!(out[2].label.as_deref(), Some("potential_loyalist"));
    assert_eq!(out[4].label.as_deref(), Some("need_attention"));
    assert_eq!(out[6].label.as_deref(), Some("at_risk"));
    assert_eq!(out[8].label.as_deref(), Some("cant_lose_them"));
    // Outputs come in batch order, one per customer.
    assert_eq!(
        out.iter().map(|o| o.subject).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<u64>>()
    );
}

/// Equal values always get equal scores, and a value equal to a cut point
/// belongs to the interval below it: with six one-time buyers out of ten,
/// the frequency cut points are [1, 1, 1, 2] and every one-time buyer has F=1.
#[test]
fn ties_get_equal_scores_and_fall_to_the_lower_interval() {
    let counts = [1, 1, 1, 1, 1, 1, 2, 2, 3, 7];
    let pop: Vec<Customer> = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| buyer(i as u64 + 1, 30, n, 50.0))
        .collect();
    let (model, _) = fit("{}", &pop).expect("fit");
    assert_eq!(model.frequency, [1.0, 1.0, 1.0, 2.0]);
    // Everyone bought 30 days ago and spent 50: every cut point is that
    // value, so all share the lowest interval (R=5, M=1).
    assert_eq!(model.recency_days, [30.0; 4]);
    let out = fit_and_score("{}", &pop);
    let f: Vec<u32> = out.iter().map(|o| rfm(o).1).collect();
    assert_eq!(f, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
    assert!(out.iter().all(|o| rfm(o).0 == 5 && rfm(o).2 == 1));

    // Input order does not matter: the model is the same bytes.
    let mut reversed = pop.clone();
    reversed.reverse();
    assert_eq!(
        fit("{}", &pop).expect("fit").1,
        fit("{}", &reversed).expect("fit").1
    );
}

/// Customers without a purchase get the `no_purchase` segment, score 0 and
/// R=F=M=0, and are left out of the quantiles.
#[test]
fn customers_without_a_purchase_are_their_own_segment_and_do_not_move_the_quantiles() {
    let buyers: Vec<Customer> = (1..=5u32)
        .map(|i| buyer(u64::from(i), i64::from(i), i, f64::from(i)))
        .collect();
    let mut pop = buyers.clone();
    pop.push(customer(100, Some(0), None, Some(0.0)));
    pop.push(customer(101, None, None, None));
    let (with, _) = fit("{}", &pop).expect("fit");
    let (without, _) = fit("{}", &buyers).expect("fit");
    assert_eq!(with.recency_days, without.recency_days);
    assert_eq!(with.frequency, without.frequency);
    assert_eq!(with.monetary, without.monetary);
    assert_eq!(with.purchasers, 5);

    let out = fit_and_score("{}", &pop);
    for o in &out[5..] {
        assert_eq!(o.label.as_deref(), Some(NO_PURCHASE));
        assert_eq!(o.score, 0.0);
        assert_eq!(rfm(o), (0, 0, 0));
        assert_eq!(o.get("recency_days"), None, "no recency without a purchase");
        assert_eq!(o.get("frequency"), Some(0.0));
        assert_eq!(o.explanation.len(), 3);
    }
    assert!(out[..5]
        .iter()
        .all(|o| o.label.as_deref() != Some(NO_PURCHASE)));
}

/// A purchase count without a last purchase instant (a field not granted)
/// is treated as no purchase, with a warning that names the fields.
#[test]
fn inconsistent_purchase_facts_count_as_no_purchase_with_a_warning() {
    let pop = [buyer(1, 5, 2, 20.0), customer(2, Some(3), None, Some(10.0))];
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<Rfm>(&ctx, &pop).expect("fit");
    let warning = model
        .diagnostics
        .iter()
        .find(|d| d.message.contains("purchase count without"))
        .expect("a warning about the inconsistent customer");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning.message.starts_with("1 customers"),
        "{}",
        warning.message
    );
    assert!(
        warning.message.contains("purchases.last"),
        "{}",
        warning.message
    );
    let scored = run::segmenter_score::<Rfm>(&ctx, &model.state, &pop).expect("score");
    assert_eq!(scored.outputs[1].label.as_deref(), Some(NO_PURCHASE));
    assert_eq!(scored.outputs[1].get("frequency"), Some(3.0));
}

/// A last purchase after the as-of instant counts as 0 days, with a warning.
#[test]
fn a_purchase_after_as_of_counts_as_today() {
    let pop = [buyer(1, -3, 1, 10.0), buyer(2, 10, 1, 10.0)];
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<Rfm>(&ctx, &pop).expect("fit");
    assert!(model
        .diagnostics
        .iter()
        .any(|d| d.message.contains("after the run's as-of instant")));
    let scored = run::segmenter_score::<Rfm>(&ctx, &model.state, &pop).expect("score");
    assert_eq!(scored.outputs[0].get("recency_days"), Some(0.0));
}

/// Explicit thresholds replace the learned quantiles of their dimension
/// only, and make a model fitted without any buyer usable.
#[test]
fn explicit_thresholds_override_the_learned_cut_points() {
    let pop: Vec<Customer> = (1..=10u32)
        .map(|i| buyer(u64::from(i), i64::from(i) * 10, i, f64::from(i) * 100.0))
        .collect();
    let config =
        r#"{"thresholds": {"recency_days": [7, 30, 90, 365], "monetary": [50, 100, 500, 1000]}}"#;
    let (model, _) = fit(config, &pop).expect("fit");
    assert_eq!(model.recency_days, [7.0, 30.0, 90.0, 365.0]);
    assert_eq!(model.monetary, [50.0, 100.0, 500.0, 1000.0]);
    assert_eq!(
        model.frequency,
        [2.0, 4.0, 6.0, 8.0],
        "frequency still learned"
    );
    let out = fit_and_score(config, &pop);
    // 10 days -> (7, 30] -> R=4; 100 spent -> (50, 100] -> M=2; 30 days is on
    // a cut point, so it stays in (7, 30] -> R=4.
    assert_eq!(rfm(&out[0]), (4, 1, 2));
    assert_eq!(rfm(&out[2]), (4, 2, 3));
    assert_eq!(rfm(&out[9]), (2, 5, 4)); // 100 days in (90, 365]; 1000 on a cut point

    // All three explicit: fitting on nobody still scores a later buyer.
    let all = r#"{"thresholds": {"recency_days": [7, 30, 90, 365], "frequency": [1, 2, 4, 8], "monetary": [50, 100, 500, 1000]}}"#;
    let ctx = Context::new(all, AS_OF, 1);
    let empty = run::segmenter_fit::<Rfm>(&ctx, &[]).expect("fit");
    let scored =
        run::segmenter_score::<Rfm>(&ctx, &empty.state, &[buyer(1, 3, 9, 2000.0)]).expect("score");
    assert_eq!(rfm(&scored.outputs[0]), (5, 5, 5));
    assert_eq!(scored.outputs[0].label.as_deref(), Some("champions"));
}

/// Fitting on nobody without thresholds warns; scoring a buyer with such a
/// model is refused with a message saying what to do.
#[test]
fn a_model_without_cut_points_refuses_buyers() {
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<Rfm>(&ctx, &[customer(1, Some(0), None, None)]).expect("fit");
    assert!(model
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning));
    let err = run::segmenter_score::<Rfm>(&ctx, &model.state, &[buyer(2, 1, 1, 1.0)])
        .expect_err("no cuts");
    assert_eq!(err.code, "data");
    assert!(
        err.message.contains("thresholds.recency_days"),
        "{}",
        err.message
    );
    // Customers without a purchase still score.
    let ok = run::segmenter_score::<Rfm>(&ctx, &model.state, &[customer(3, None, None, None)])
        .expect("score");
    assert_eq!(ok.outputs[0].label.as_deref(), Some(NO_PURCHASE));
}

/// A custom segment map replaces the built-in grid; rules are tried in
/// order, on the configured number of bins.
#[test]
fn a_custom_segment_map_labels_by_r_and_fm() {
    let config = r#"{"bins": 3, "segments": [
        {"name": "vip", "r": [3, 3], "fm": [3, 3]},
        {"name": "active", "r": [2, 3], "fm": [1, 3]},
        {"name": "dormant", "r": [1, 1], "fm": [1, 3]}
    ]}"#;
    let pop: Vec<Customer> = (1..=9u32)
        .map(|i| buyer(u64::from(i), i64::from(i) * 10, i, f64::from(i) * 10.0))
        .collect();
    let out = fit_and_score(config, &pop);
    let labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    // Customers 1-3: R=3, F=M=1 -> active; 4-6: R=2 -> active; 7-9: R=1 -> dormant.
    assert_eq!(
        labels,
        [
            "active", "active", "active", "active", "active", "active", "dormant", "dormant",
            "dormant"
        ]
    );
    let vip = fit_and_score(
        config,
        &[
            buyer(1, 1, 9, 900.0),
            buyer(2, 50, 1, 1.0),
            buyer(3, 90, 2, 2.0),
        ],
    );
    assert_eq!(vip[0].label.as_deref(), Some("vip"));
    assert_eq!(rfm(&vip[0]), (3, 3, 3));
}

/// Configuration errors are `config` errors whose message names the key
/// and what is wrong with it.
#[test]
fn configuration_errors_name_the_key_and_the_problem() {
    let cases = [
        (r#"{"bins": 12}"#, "`bins` must be between 2 and 9"),
        (r#"{"bins": 5, "thresholds": {"frequency": [1, 2, 3]}}"#, "`thresholds.frequency` must have bins - 1 = 4 cut points, got 3"),
        (r#"{"thresholds": {"monetary": [10, 5, 20, 30]}}"#, "`thresholds.monetary` must be strictly ascending, but 10 is followed by 5"),
        (r#"{"bins": 5, "colour": "red"}"#, "unknown field `colour`"),
        (r#"{"thresholds": {"recency": [1, 2, 3, 4]}}"#, "unknown field `recency`"),
        (r#"{"segments": [{"name": "all", "r": [1, 5], "fm": [1, 4]}]}"#, "`segments` leave the cell R=1, FM=5 without a segment"),
        (r#"{"segments": [{"name": "all", "r": [0, 5], "fm": [1, 5]}]}"#, "`segments[0].r` of segment `all` must be [min, max] with 1 <= min <= max <= 5, got [0, 5]"),
        (r#"{"segments": [{"name": "Big Spenders", "r": [1, 5], "fm": [1, 5]}]}"#, "`segments[0].name` must be 1 to 64 characters"),
        (r#"{"segments": []}"#, "`segments` must list at least one segment"),
        (r#"{"bins": "five"}"#, "invalid type"),
    ];
    for (config, expected) in cases {
        let err =
            run::segmenter_fit::<Rfm>(&Context::new(config, AS_OF, 1), &[]).expect_err(config);
        assert_eq!(err.code, "config", "{config}");
        assert!(err.message.contains(expected), "{config}: {}", err.message);
        assert!(
            err.message.starts_with("invalid plugin configuration"),
            "{}",
            err.message
        );
    }
}

/// Configuring fewer bins after fitting is refused instead of misread.
#[test]
fn a_model_fitted_with_other_bins_is_refused() {
    let pop = [buyer(1, 1, 1, 1.0), buyer(2, 2, 2, 2.0)];
    let model =
        run::segmenter_fit::<Rfm>(&Context::new(r#"{"bins": 5}"#, AS_OF, 1), &pop).expect("fit");
    let err = run::segmenter_score::<Rfm>(
        &Context::new(r#"{"bins": 4}"#, AS_OF, 1),
        &model.state,
        &pop,
    )
    .expect_err("bins differ");
    assert_eq!(err.code, "model");
    assert!(err.message.contains("5 bins"), "{}", err.message);
}

/// The three explanation terms are R*100, F*10 and M: they sum to the score
/// exactly, and their labels say what was seen.
#[test]
fn explanations_sum_to_the_score_and_read_naturally() {
    let pop: Vec<Customer> = (1..=25u32)
        .map(|i| {
            buyer(
                u64::from(i),
                i64::from(i * 7 % 40),
                i % 6 + 1,
                f64::from(i * 37 % 500) + 0.25,
            )
        })
        .chain([customer(99, None, None, None)])
        .collect();
    let out = fit_and_score("{}", &pop);
    for o in &out {
        assert_eq!(o.explanation.len(), 3);
        assert_eq!(o.explanation_total(), o.score, "subject {}", o.subject);
        let (r, f, m) = rfm(o);
        assert_eq!(o.score, f64::from(r * 100 + f * 10 + m));
    }
    let o = &out[0]; // 7 days ago, 2 purchases, 37.25 spent
    assert!(
        o.explanation[0]
            .label
            .starts_with("last purchase 7 days ago (R="),
        "{}",
        o.explanation[0].label
    );
    assert!(
        o.explanation[1].label.starts_with("2 purchases (F="),
        "{}",
        o.explanation[1].label
    );
    assert!(
        o.explanation[2]
            .label
            .starts_with("spent 37.25 in total (M="),
        "{}",
        o.explanation[2].label
    );
    assert_eq!(o.explanation[0].value, f64::from(rfm(o).0 * 100));
}

/// Same input, same output, byte for byte, whatever the batch split.
#[test]
fn scoring_is_deterministic_and_independent_of_batching() {
    let pop: Vec<Customer> = (1..=40u32)
        .map(|i| {
            buyer(
                u64::from(i),
                i64::from(i * 13 % 97),
                i % 9 + 1,
                f64::from(i * 31 % 211),
            )
        })
        .collect();
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::segmenter_fit::<Rfm>(&ctx, &pop).expect("fit");
    let whole = run::segmenter_score::<Rfm>(&ctx, &model.state, &pop)
        .expect("score")
        .outputs;
    let mut split = Vec::new();
    for chunk in pop.chunks(7) {
        split.extend(
            run::segmenter_score::<Rfm>(&ctx, &model.state, chunk)
                .expect("score")
                .outputs,
        );
    }
    assert_eq!(whole, split);
    assert_eq!(whole, fit_and_score("{}", &pop));
}

fn read_json(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The shipped default configuration and the fixture's configuration
/// validate against the shipped schema, the schema refuses what the code
/// refuses, and the default configuration is the built-in one.
#[test]
fn shipped_configuration_files_agree_with_the_code() {
    let schema = read_json("config.schema.json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let default = read_json("config.default.json");
    assert!(validator.is_valid(&default));
    assert_eq!(
        RfmConfig::from_json(&default.to_string()).expect("default parses"),
        RfmConfig::default()
    );
    let fixture = read_json("fixtures/sample.json");
    assert!(validator.is_valid(&fixture["config"]));
    for bad in [
        serde_json::json!({"bins": 1}),
        serde_json::json!({"bins": 10}),
        serde_json::json!({"colour": "red"}),
        serde_json::json!({"thresholds": {"recency_days": [-1, 2, 3, 4]}}),
        serde_json::json!({"segments": [{"name": "Big Spenders", "r": [1, 5], "fm": [1, 5]}]}),
        serde_json::json!({"segments": [{"name": "all", "r": [1], "fm": [1, 5]}]}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
    }
    let example = serde_json::json!({"bins": 5, "thresholds": {"recency_days": [7, 30, 90, 365]},
        "segments": [{"name": "all", "r": [1, 5], "fm": [1, 5]}]});
    assert!(validator.is_valid(&example));
    assert!(RfmConfig::from_json(&example.to_string()).is_ok());
}

/// The sample fixture runs end to end: every customer gets one output with a
/// known segment.
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
    let model = run::segmenter_fit::<Rfm>(&ctx, &customers).expect("fit");
    let out = run::segmenter_score::<Rfm>(&ctx, &model.state, &customers)
        .expect("score")
        .outputs;
    assert_eq!(out.len(), customers.len());
    let known = [
        "champions",
        "loyal",
        "potential_loyalist",
        "new_customers",
        "promising",
        "need_attention",
        "about_to_sleep",
        "at_risk",
        "cant_lose_them",
        "hibernating",
        "lost",
        NO_PURCHASE,
    ];
    for o in &out {
        let label = o.label.as_deref().expect("a segment");
        assert!(known.contains(&label), "{label}");
    }
    let no_purchase = out
        .iter()
        .filter(|o| o.label.as_deref() == Some(NO_PURCHASE))
        .count();
    assert_eq!(no_purchase, 2);
    // Customer 1 bought 3 days ago, 14 times, for 1830: a champion.
    assert_eq!(out[0].label.as_deref(), Some("champions"));
}
