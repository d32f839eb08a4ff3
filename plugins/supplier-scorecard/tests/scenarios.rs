//! One scenario per documented behaviour of the supplier scorecard (see
//! `README.md`): calendar periods ending at "as of", which deliveries a
//! period judges, each criterion's formula, weights shared out when a
//! criterion has no data, `insufficient_data`, standings, the trend against
//! the previous period, configuration errors and explanations that sum to
//! the score.

use rapport_plugin_sdk::{run, Context, Delivery, Output, Supplier, DAY};
use rapport_supplier_scorecard::{
    date, months_before, Config, Model, SupplierScorecard, INSUFFICIENT_DATA,
};

const AS_OF: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

/// A delivery promised `promised` days before "as of", delivered `late`
/// days after that (negative: early; `None`: not delivered), of 100 units
/// all delivered and accepted, at the agreed price of 10, answered in 2
/// hours.
fn delivery(promised: i64, late: Option<i64>) -> Delivery {
    let p = AS_OF - promised * DAY;
    Delivery {
        promised: Some(p),
        delivered: late.map(|l| p + l * DAY),
        quantity_ordered: Some(100),
        quantity_delivered: Some(if late.is_some() { 100 } else { 0 }),
        quantity_accepted: Some(if late.is_some() { 100 } else { 0 }),
        unit_price: Some(10.0),
        agreed_unit_price: Some(10.0),
        response_hours: Some(2.0),
        ..Default::default()
    }
}

fn supplier(subject: u64, deliveries: Vec<Delivery>) -> Supplier {
    Supplier {
        subject,
        deliveries: Some(deliveries),
        ..Default::default()
    }
}

/// Ten perfect deliveries due in the last quarter.
fn perfect() -> Vec<Delivery> {
    (1..=10).map(|i| delivery(i * 8, Some(0))).collect()
}

fn rate_all(config: &str, suppliers: &[Supplier]) -> Vec<Output> {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::supplier_rater_fit::<SupplierScorecard>(&ctx, suppliers).expect("fit");
    run::supplier_rater_score::<SupplierScorecard>(&ctx, &model.state, suppliers)
        .expect("score")
        .outputs
}

fn one(config: &str, deliveries: Vec<Delivery>) -> Output {
    rate_all(config, &[supplier(1, deliveries)]).remove(0)
}

fn value(o: &Output, name: &str) -> f64 {
    o.get(name)
        .unwrap_or_else(|| panic!("value `{name}` missing"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The period is the calendar quarter (or month) ending at "as of", the
/// previous period the one before; days of the month are clamped.
#[test]
fn periods_are_calendar_months_ending_at_as_of() {
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::supplier_rater_fit::<SupplierScorecard>(&ctx, &[]).expect("fit");
    let m: Model = run::decode_model(&model.state).expect("model");
    assert_eq!(date(m.current.start), "2024-10-01");
    assert_eq!(m.current.end, AS_OF);
    assert_eq!(date(m.previous.start), "2024-07-01");
    assert_eq!(m.previous.end, m.current.start);
    assert!(model.diagnostics[0]
        .message
        .starts_with("period 2024-10-01 to 2024-12-31 (previous 2024-07-01 to 2024-09-30)"));

    // 2024-03-31T12:00: a month back is February 29 (leap year), two
    // months back January 31.
    let march_31_noon = AS_OF - 276 * DAY + DAY / 2;
    assert_eq!(date(march_31_noon), "2024-03-31");
    assert_eq!(date(months_before(march_31_noon, 1)), "2024-02-29");
    assert_eq!(months_before(march_31_noon, 1) % DAY, DAY / 2);
    assert_eq!(date(months_before(march_31_noon, 2)), "2024-01-31");
    assert_eq!(date(months_before(AS_OF, 12)), "2024-01-01");
}

/// A delivery belongs to the period its promised date falls in, from the
/// first instant of the period up to but excluding "as of".
#[test]
fn deliveries_belong_to_the_period_of_their_promised_date() {
    let start_of_quarter = 92; // 2024-10-01 is 92 days before 2025-01-01
    let ds = vec![
        delivery(start_of_quarter, Some(0)),     // first day: in
        delivery(start_of_quarter + 1, Some(0)), // 2024-09-30: previous period
        delivery(0, Some(0)),                    // promised at "as of": next period
        delivery(1, Some(0)),
        delivery(2, Some(0)),
    ];
    let o = one("{}", ds);
    assert_eq!(value(&o, "deliveries_due"), 3.0);
    assert_eq!(value(&o, "deliveries_judged_previous"), 1.0);
}

/// On time: delivered by the promised date plus grace days, among the
/// deliveries delivered or overdue; a delivery still within its grace is
/// pending and not judged; a delivered date after "as of" is not yet
/// delivered.
#[test]
fn on_time_judges_delivered_and_overdue_deliveries() {
    let mut ds = vec![
        delivery(50, Some(0)),
        delivery(50, Some(-2)), // early
        delivery(50, Some(1)),  // a day late
        delivery(60, None),     // overdue
    ];
    let o = one(r#"{"min_deliveries": 1}"#, ds.clone());
    assert_eq!(value(&o, "deliveries_judged"), 4.0);
    assert_eq!(value(&o, "on_time"), 0.5);
    // One grace day makes the late one on time.
    let o = one(r#"{"min_deliveries": 1, "grace_days": 1}"#, ds.clone());
    assert_eq!(value(&o, "on_time"), 0.75);
    // Promised yesterday, not delivered, 3 grace days: pending.
    ds.push(delivery(1, None));
    let o = one(r#"{"min_deliveries": 1, "grace_days": 3}"#, ds.clone());
    assert_eq!(value(&o, "deliveries_due"), 5.0);
    assert_eq!(value(&o, "deliveries_judged"), 4.0);
    // Delivered after "as of": not known yet, so overdue (and late).
    let mut future = delivery(10, Some(0));
    future.delivered = Some(AS_OF + DAY);
    let o = one(
        r#"{"min_deliveries": 1}"#,
        vec![delivery(20, Some(0)), future],
    );
    assert_eq!(value(&o, "on_time"), 0.5);
}

/// In full, quality acceptance, price variance, lead-time deviation and
/// responsiveness follow their formulas.
#[test]
fn each_criterion_follows_its_formula() {
    let mut short = delivery(30, Some(0));
    short.quantity_delivered = Some(80);
    short.quantity_accepted = Some(60);
    let mut dear = delivery(40, Some(3)); // 3 days late
    dear.unit_price = Some(11.0); // 10 % above agreed on 100 units
    dear.response_hours = Some(40.0);
    let mut cheap = delivery(50, Some(-1)); // a day early
    cheap.unit_price = Some(8.0); // below agreed: no penalty
    cheap.response_hours = None;
    let o = one("{}", vec![short, dear, cheap]);
    assert!(close(value(&o, "in_full"), 2.0 / 3.0));
    // Accepted 60 + 100 + 100 of 80 + 100 + 100 delivered.
    assert!(close(value(&o, "quality"), 260.0 / 280.0));
    // Overcharge 1 x 100 over agreed spend 10 x 280.
    assert!(close(value(&o, "price_variance"), 100.0 / 2800.0));
    assert!(close(value(&o, "price"), 1.0 - (100.0 / 2800.0) / 0.1));
    // Deviations 0, 3 and 1 days: mean 4/3, ramp from 1 to 10 days.
    assert!(close(value(&o, "lead_time_deviation_days"), 4.0 / 3.0));
    assert!(close(value(&o, "lead_time"), (10.0 - 4.0 / 3.0) / 9.0));
    // Response hours 2 and 40: mean 21, ramp from 4 to 72 hours.
    assert!(close(value(&o, "response_hours"), 21.0));
    assert!(close(value(&o, "responsiveness"), (72.0 - 21.0) / 68.0));
    assert!(close(value(&o, "on_time"), 2.0 / 3.0));
}

/// A perfect supplier scores 100 and is strategic; one that is late,
/// short, rejected, dear and slow scores near 0 and is at risk. The
/// explanation is each criterion's weighted contribution and sums to the
/// score.
#[test]
fn good_and_bad_suppliers_get_their_standings_and_explanations_sum_to_the_score() {
    let bad: Vec<Delivery> = (1..=10)
        .map(|i| {
            let mut d = delivery(i * 8, Some(12));
            d.quantity_delivered = Some(50);
            d.quantity_accepted = Some(10);
            d.unit_price = Some(13.0);
            d.response_hours = Some(100.0);
            d
        })
        .collect();
    let out = rate_all("{}", &[supplier(1, perfect()), supplier(2, bad)]);
    assert_eq!(out[0].score, 100.0);
    assert_eq!(out[0].label.as_deref(), Some("strategic"));
    let labels: Vec<&str> = out[0]
        .explanation
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "on time: 10 of 10 deliveries (100.0%) x weight 25.0",
            "in full: 10 of 10 deliveries (100.0%) x weight 20.0",
            "quality: 1000 of 1000 units accepted (100.0%) x weight 20.0",
            "price: billed 0.0% above agreed prices (value 1.00) x weight 15.0",
            "lead time: 0.0 days from the promised date on average (value 1.00) x weight 10.0",
            "responsiveness: 2.0 hours to respond on average (value 1.00) x weight 10.0",
        ]
    );
    // Quality 10/50 = 0.2 x 20 is all the bad supplier earns.
    assert!(close(out[1].score, 4.0), "{}", out[1].score);
    assert_eq!(out[1].label.as_deref(), Some("at_risk"));
    for o in &out {
        assert_eq!(o.explanation.len(), 6);
        assert_eq!(o.explanation_total(), o.score);
    }
}

/// A criterion without data in the period gives its weight to the others
/// in proportion, so the score stays on 0–100 and the explanation still
/// sums to it.
#[test]
fn a_criterion_without_data_shares_its_weight_out() {
    let ds: Vec<Delivery> = perfect()
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            d.response_hours = None;
            if i < 5 {
                d.delivered = Some(d.promised.unwrap_or(0) + 2 * DAY); // late
            }
            d
        })
        .collect();
    let o = one("{}", ds);
    assert_eq!(o.get("responsiveness"), None);
    // On time 0.5 at weight 25 x 100/90; lead time 1 day mean (target 1).
    let on_time = 25.0 * 100.0 / 90.0;
    assert!(close(o.explanation[0].value, 0.5 * on_time));
    assert!(o.explanation[0]
        .label
        .ends_with(&format!("x weight {on_time:.1}")));
    assert_eq!(
        o.explanation[5].label,
        "responsiveness: no response times in the period; its weight 10 is shared out"
    );
    assert_eq!(o.explanation[5].value, 0.0);
    assert!(close(o.score, 100.0 - 0.5 * on_time));
    assert_eq!(o.explanation_total(), o.score);
}

/// Fewer judged deliveries than `min_deliveries` in the period, or no
/// deliveries at all, give `insufficient_data` with score 0 and one
/// explanation term saying why.
#[test]
fn suppliers_without_enough_deliveries_have_insufficient_data() {
    let out = rate_all(
        "{}",
        &[
            supplier(1, vec![delivery(10, Some(0)), delivery(20, Some(0))]),
            supplier(2, vec![]),
            Supplier {
                subject: 3,
                ..Default::default()
            },
        ],
    );
    for o in &out {
        assert_eq!(o.label.as_deref(), Some(INSUFFICIENT_DATA));
        assert_eq!(o.score, 0.0);
        assert_eq!(o.explanation.len(), 1);
        assert_eq!(o.explanation[0].value, 0.0);
        assert_eq!(o.get("trend"), None);
    }
    assert_eq!(
        out[0].explanation[0].label,
        "2 deliveries due from 2024-10-01 to 2024-12-31 were delivered or overdue, fewer than the 3 needed to score"
    );
    let o = one(
        r#"{"min_deliveries": 2}"#,
        vec![delivery(10, Some(0)), delivery(20, Some(0))],
    );
    assert_eq!(o.label.as_deref(), Some("strategic"));
}

/// The trend is this period's score minus the previous period's, and the
/// values of every criterion are given for both periods.
#[test]
fn the_trend_compares_this_period_with_the_previous_one() {
    // Previous quarter (July-September): 4 deliveries, 2 late.
    let mut ds: Vec<Delivery> = (0..4)
        .map(|i| delivery(100 + i * 10, Some(if i < 2 { 5 } else { 0 })))
        .collect();
    ds.extend(perfect());
    let o = one("{}", ds);
    assert_eq!(value(&o, "on_time_previous"), 0.5);
    assert_eq!(value(&o, "on_time"), 1.0);
    let previous = value(&o, "score_previous");
    // Previous: on time 0.5 x 25; lead time mean 2.5 days -> (10-2.5)/9.
    let expected = 100.0 - 12.5 - 10.0 * (1.0 - 7.5 / 9.0);
    assert!(close(previous, expected), "{previous}");
    assert!(close(value(&o, "trend"), 100.0 - previous));
    for c in ["in_full", "quality", "price", "lead_time", "responsiveness"] {
        assert!(o.get(&format!("{c}_previous")).is_some(), "{c}_previous");
    }
    // Without enough deliveries in the previous period there is no trend.
    let o = one("{}", perfect());
    assert_eq!(o.get("score_previous"), None);
    assert_eq!(o.get("trend"), None);
}

/// Standings follow the cut-offs (a score on a cut-off belongs to the
/// standing it starts), and can be configured; monthly periods score the
/// last month only.
#[test]
fn standings_follow_the_cut_offs_and_periods_can_be_months() {
    let c = Config::default();
    assert_eq!(c.standing(85.0), "strategic");
    assert_eq!(c.standing(84.9), "preferred");
    assert_eq!(c.standing(70.0), "preferred");
    assert_eq!(c.standing(50.0), "transactional");
    assert_eq!(c.standing(49.9), "at_risk");
    let custom = r#"{"standings": [{"name": "keep", "min": 60}, {"name": "review", "min": 0}]}"#;
    let o = one(custom, perfect());
    assert_eq!(o.label.as_deref(), Some("keep"));
    // Monthly: only the deliveries due in December count.
    let o = one(r#"{"period": "month", "min_deliveries": 1}"#, perfect());
    assert_eq!(value(&o, "deliveries_due"), 3.0); // promised 8, 16, 24 days ago
    assert_eq!(value(&o, "deliveries_judged_previous"), 4.0); // 32 .. 56 days ago
}

/// Configuration errors are `config` errors naming the key and the problem.
#[test]
fn configuration_errors_name_the_key_and_the_problem() {
    let cases = [
        (r#"{"weights": {"on_time": 25, "in_full": 20, "quality": 20, "price": 15, "lead_time": 10, "responsiveness": 5}}"#, "`weights` must sum to 100, got 95 (on_time 25 + in_full 20 + quality 20 + price 15 + lead_time 10 + responsiveness 5)"),
        (r#"{"weights": {"on_time": 45, "in_full": 20, "quality": 20, "price": 15, "lead_time": 10, "responsiveness": -10}}"#, "`weights.responsiveness` must be a finite number of at least 0, got -10"),
        (r#"{"weights": {"on_time": 100}}"#, "missing field `in_full`"),
        (r#"{"price_variance": {"target": 0.1, "limit": 0.05}}"#, "`price_variance.limit` (0.05) must be greater than `price_variance.target` (0.1)"),
        (r#"{"response_hours": {"target": -1, "limit": 5}}"#, "`response_hours.target` must be a finite number of at least 0"),
        (r#"{"period": "week"}"#, "unknown variant `week`"),
        (r#"{"min_deliveries": 0}"#, "`min_deliveries` must be at least 1"),
        (r#"{"standings": [{"name": "good", "min": 50}]}"#, "the last standing (`good`) must start at 0"),
        (r#"{"standings": [{"name": "good", "min": 50}, {"name": "great", "min": 80}, {"name": "bad", "min": 0}]}"#, "`standings` must have strictly descending `min`, but `good` (50) is followed by `great` (80)"),
        (r#"{"standings": [{"name": "insufficient_data", "min": 0}]}"#, "`standings[0].name` may not be `insufficient_data`"),
        (r#"{"standings": [{"name": "Top", "min": 0}]}"#, "`standings[0].name` must be 1 to 64 characters"),
        (r#"{"grace_days": -1}"#, "invalid value: integer `-1`"),
        (r#"{"colour": "red"}"#, "unknown field `colour`"),
    ];
    for (config, expected) in cases {
        let err =
            run::supplier_rater_fit::<SupplierScorecard>(&Context::new(config, AS_OF, 1), &[])
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

/// A model fitted as of another instant is refused rather than misread.
#[test]
fn a_model_for_another_as_of_is_refused() {
    let model = run::supplier_rater_fit::<SupplierScorecard>(&Context::new("{}", AS_OF, 1), &[])
        .expect("fit");
    let err = run::supplier_rater_score::<SupplierScorecard>(
        &Context::new("{}", AS_OF + DAY, 1),
        &model.state,
        &[supplier(1, perfect())],
    )
    .expect_err("other as-of");
    assert_eq!(err.code, "model");
}

/// Same input, same output, whatever the batch split.
#[test]
fn rating_is_deterministic_and_independent_of_batching() {
    let pop: Vec<Supplier> = (1..=12u64)
        .map(|s| {
            supplier(
                s,
                (0..(s % 7 + 2) as i64)
                    .map(|i| delivery(i * 23 % 180 + 1, (i % 3 != 0).then_some(i % 4 - 1)))
                    .collect(),
            )
        })
        .collect();
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::supplier_rater_fit::<SupplierScorecard>(&ctx, &pop).expect("fit");
    let whole = run::supplier_rater_score::<SupplierScorecard>(&ctx, &model.state, &pop)
        .expect("score")
        .outputs;
    let mut split = Vec::new();
    for chunk in pop.chunks(5) {
        split.extend(
            run::supplier_rater_score::<SupplierScorecard>(&ctx, &model.state, chunk)
                .expect("score")
                .outputs,
        );
    }
    assert_eq!(whole, split);
    for o in &whole {
        assert_eq!(o.explanation_total(), o.score);
    }
}

fn read_json(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The shipped default configuration is the built-in one and validates
/// against the shipped schema; the schema refuses what it can express.
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
        serde_json::json!({"period": "week"}),
        serde_json::json!({"weights": {"on_time": 100}}),
        serde_json::json!({"standings": [{"name": "insufficient_data", "min": 0}]}),
        serde_json::json!({"min_deliveries": 0}),
        serde_json::json!({"colour": "red"}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
        assert!(
            Config::from_json(&bad.to_string()).is_err(),
            "code accepts {bad}"
        );
    }
}

/// Every JSON example in `README.md` is a configuration the schema and the
/// plugin accept.
#[test]
fn the_readme_examples_are_valid_configurations() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README.md");
    let validator =
        jsonschema::validator_for(&read_json("config.schema.json")).expect("schema compiles");
    let examples: Vec<&str> = readme
        .split("```json")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert!(!examples.is_empty());
    for example in examples {
        let value: serde_json::Value = serde_json::from_str(example).expect(example);
        assert!(validator.is_valid(&value), "schema refuses {example}");
        Config::from_json(example).unwrap_or_else(|e| panic!("{example}: {}", e.message));
    }
}

/// The sample fixture rates every supplier with a label from the documented
/// set and an explanation that sums to the score.
#[test]
fn the_sample_fixture_rates_every_supplier() {
    let fixture = read_json("fixtures/sample.json");
    let suppliers: Vec<Supplier> =
        serde_json::from_value(fixture["suppliers"].clone()).expect("fixture suppliers");
    let ctx = Context::new(
        fixture["config"].to_string(),
        fixture["as_of"].as_i64().expect("as_of"),
        fixture["seed"].as_u64().expect("seed"),
    );
    let model = run::supplier_rater_fit::<SupplierScorecard>(&ctx, &suppliers).expect("fit");
    let out = run::supplier_rater_score::<SupplierScorecard>(&ctx, &model.state, &suppliers)
        .expect("score")
        .outputs;
    assert_eq!(out.len(), suppliers.len());
    let mut labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(
        labels,
        [
            "at_risk",
            INSUFFICIENT_DATA,
            "preferred",
            "strategic",
            "transactional"
        ]
    );
    for o in &out {
        assert_eq!(o.explanation_total(), o.score);
    }
}
