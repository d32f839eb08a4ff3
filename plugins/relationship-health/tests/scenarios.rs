//! One scenario per documented behaviour of the relationship-health scorer
//! (see `README.md`): the points of each factor and their band edges,
//! missing measures, open tickets, NPS and sentiment windows, the trend,
//! health bands, the ordered explanation that sums to the score, the change
//! since the previous run, configuration errors and determinism.

use rapport_plugin_sdk::{run, Context, Ctx, Customer, Interaction, Output, Purchases, DAY};
use rapport_relationship_health::{
    assess, change_since_previous, measures, Config, RelationshipHealth,
};

const AS_OF: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

/// An interaction of `kind`, `days` days (and an hour) before the as-of
/// instant.
fn at(days: i64, kind: &str) -> Interaction {
    Interaction {
        at: Some(AS_OF - days * DAY - 3600),
        kind: Some(kind.to_owned()),
        ..Default::default()
    }
}

fn nps(days: i64, score: i64) -> Interaction {
    Interaction {
        nps: Some(score),
        ..at(days, "nps_response")
    }
}

fn felt(days: i64, sentiment: f64) -> Interaction {
    Interaction {
        sentiment: Some(sentiment),
        ..at(days, "call")
    }
}

fn customer(
    subject: u64,
    last_purchase_days: Option<i64>,
    interactions: Vec<Interaction>,
) -> Customer {
    Customer {
        subject,
        purchases: Purchases {
            last: last_purchase_days.map(|d| AS_OF - d * DAY),
            ..Default::default()
        },
        interactions: Some(interactions),
        ..Default::default()
    }
}

fn score_all(config: &str, population: &[Customer]) -> Vec<Output> {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::scorer_fit::<RelationshipHealth>(&ctx, population).expect("fit");
    run::scorer_score::<RelationshipHealth>(&ctx, &model.state, population)
        .expect("score")
        .outputs
}

fn one(config: &str, c: Customer) -> Output {
    score_all(config, &[c]).remove(0)
}

fn points(o: &Output, factor: &str) -> f64 {
    o.get(&format!("points_{factor}"))
        .unwrap_or_else(|| panic!("points_{factor} missing"))
}

/// A config with every factor's points at 0 except `factor`, whose bands
/// are given; the baseline is 50.
fn only(factor: &str, points: &str) -> String {
    let zero = r#"{"bands": [], "above": 0, "missing": 0}"#;
    let factors: Vec<String> = [
        "recency",
        "engagement",
        "nps",
        "open_tickets",
        "sentiment",
        "trend",
    ]
    .iter()
    .map(|f| format!("\"{f}\": {}", if *f == factor { points } else { zero }))
    .collect();
    format!("{{\"factors\": {{{}}}}}", factors.join(", "))
}

/// Recency points by bands of days since the last purchase; a measure on a
/// band's `up_to` belongs to that band; no purchase scores `missing`.
#[test]
fn recency_points_follow_the_bands_and_edges_belong_to_the_lower_band() {
    let cases = [
        (Some(0), 15.0),
        (Some(30), 15.0),
        (Some(31), 8.0),
        (Some(90), 8.0),
        (Some(150), 0.0),
        (Some(365), -8.0),
        (Some(366), -15.0),
        (None, -15.0),
    ];
    for (days, expected) in cases {
        let o = one("{}", customer(1, days, vec![]));
        assert_eq!(points(&o, "recency"), expected, "{days:?} days");
        assert_eq!(o.get("recency_days"), days.map(|d| d as f64));
    }
}

/// Engagement weighs opens 1, clicks 2 and visits 1 within the recent
/// window; interactions outside it or of other kinds do not count.
#[test]
fn engagement_weighs_opens_clicks_and_visits_in_the_recent_window() {
    let c = customer(
        1,
        Some(10),
        vec![
            at(1, "email_open"),
            at(2, "email_click"),
            at(3, "web_visit"),
            at(89, "web_visit"),
            at(91, "email_click"), // previous window
            at(4, "email_sent"),
            at(5, "call"),
        ],
    );
    let o = one("{}", c);
    assert_eq!(o.get("engagement"), Some(5.0));
    assert_eq!(o.get("engagement_previous"), Some(2.0));
    assert_eq!(points(&o, "engagement"), 5.0); // (2, 6] -> +5
                                               // Custom weights count calls too.
    let o = one(
        r#"{"engagement_weights": {"call": 10}}"#,
        customer(1, Some(10), vec![at(5, "call"), at(1, "email_open")]),
    );
    assert_eq!(o.get("engagement"), Some(10.0));
}

/// Interactions that were not granted make engagement and tickets missing
/// (their `missing` points), unlike a customer with no interactions at all.
#[test]
fn unavailable_interactions_score_missing_points_and_fit_warns() {
    let cfg = only(
        "engagement",
        r#"{"bands": [{"up_to": 0, "points": -5}], "above": 5, "missing": -1}"#,
    );
    let none = Customer {
        subject: 1,
        ..Default::default()
    };
    let quiet = customer(2, None, vec![]);
    let out = score_all(&cfg, &[none.clone(), quiet]);
    assert_eq!(points(&out[0], "engagement"), -1.0);
    assert_eq!(out[0].get("engagement"), None);
    assert_eq!(out[0].get("open_tickets"), None);
    assert_eq!(points(&out[1], "engagement"), -5.0);
    assert_eq!(out[1].get("open_tickets"), Some(0.0));

    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::scorer_fit::<RelationshipHealth>(&ctx, &[none]).expect("fit");
    assert!(model
        .diagnostics
        .iter()
        .any(|d| d.message.contains("`interactions.*` fields granted")));
}

/// NPS uses the latest answer within the history window: a promoter scores
/// +10, a passive 0, a detractor −10; older answers are ignored.
#[test]
fn nps_takes_the_latest_answer_in_the_history_window() {
    let o = one("{}", customer(1, Some(10), vec![nps(200, 3), nps(20, 9)]));
    assert_eq!(o.get("nps"), Some(9.0));
    assert_eq!(points(&o, "nps"), 10.0);
    let o = one("{}", customer(1, Some(10), vec![nps(20, 9), nps(10, 6)]));
    assert_eq!(points(&o, "nps"), -10.0);
    let o = one("{}", customer(1, Some(10), vec![nps(10, 7)]));
    assert_eq!(points(&o, "nps"), 0.0);
    let o = one("{}", customer(1, Some(10), vec![nps(400, 0)]));
    assert_eq!(o.get("nps"), None, "older than the history window");
    assert_eq!(points(&o, "nps"), 0.0);
}

/// A ticket is open when no later `ticket_closed` closes it; closings with
/// nothing open are ignored; old open tickets still count.
#[test]
fn open_tickets_are_openings_without_a_later_closing() {
    let c = customer(
        1,
        Some(10),
        vec![
            at(700, "ticket_opened"), // never closed, still open
            at(50, "ticket_closed"),  // closes the one above
            at(40, "ticket_closed"),  // nothing open: ignored
            at(30, "ticket_opened"),
            at(20, "ticket_opened"),
            at(10, "ticket_closed"),
        ],
    );
    let o = one("{}", c);
    assert_eq!(o.get("open_tickets"), Some(1.0));
    assert_eq!(points(&o, "open_tickets"), -5.0);
    let two = customer(
        2,
        Some(10),
        vec![at(3, "ticket_opened"), at(2, "ticket_opened")],
    );
    assert_eq!(points(&one("{}", two), "open_tickets"), -10.0);
}

/// Sentiment is the mean over interactions in the history window.
#[test]
fn sentiment_is_the_mean_in_the_history_window() {
    let c = customer(
        1,
        Some(10),
        vec![felt(5, -0.8), felt(50, -0.4), felt(500, 1.0)],
    );
    let o = one("{}", c);
    assert!((o.get("sentiment").expect("sentiment") - -0.6).abs() < 1e-12);
    assert_eq!(points(&o, "sentiment"), -5.0);
    let happy = customer(2, Some(10), vec![felt(5, 0.9)]);
    assert_eq!(points(&one("{}", happy), "sentiment"), 5.0);
}

/// The trend compares engagement in the recent window with the window
/// before: all recent gives +1, all before −1, none at all is missing.
#[test]
fn the_trend_compares_recent_engagement_with_the_window_before() {
    let rising = customer(
        1,
        Some(10),
        vec![
            at(5, "email_open"),
            at(6, "email_open"),
            at(7, "email_open"),
            at(120, "email_open"),
        ],
    );
    let o = one("{}", rising);
    assert_eq!(o.get("trend"), Some(0.5));
    assert_eq!(points(&o, "trend"), 3.0);
    let fading = customer(
        2,
        Some(10),
        vec![at(100, "web_visit"), at(150, "web_visit")],
    );
    let o = one("{}", fading);
    assert_eq!(o.get("trend"), Some(-1.0));
    assert_eq!(points(&o, "trend"), -5.0);
    let silent = customer(3, Some(10), vec![at(300, "web_visit")]);
    let o = one("{}", silent);
    assert_eq!(o.get("trend"), None);
    assert_eq!(points(&o, "trend"), 0.0);
    assert!(o
        .explanation
        .iter()
        .any(|c| c.label == "no engagement in the last 180 days"));
}

/// The best and worst relationships span exactly 0 to 100, and bands follow
/// the cut-offs, a score on a cut-off belonging to the band it starts.
#[test]
fn scores_span_zero_to_one_hundred_and_bands_follow_the_cut_offs() {
    let mut best: Vec<Interaction> = (1..=14).map(|d| at(d, "email_open")).collect();
    best.push(nps(3, 10));
    best.push(felt(3, 0.9));
    let worst = vec![
        at(120, "email_open"),
        nps(30, 2),
        felt(30, -0.9),
        at(20, "ticket_opened"),
        at(10, "ticket_opened"),
    ];
    let out = score_all(
        "{}",
        &[customer(1, Some(2), best), customer(2, None, worst)],
    );
    assert_eq!(out[0].score, 100.0);
    assert_eq!(out[0].label.as_deref(), Some("thriving"));
    assert_eq!(out[1].score, 0.0);
    assert_eq!(out[1].label.as_deref(), Some("critical"));

    let cfg = Config::default();
    assert_eq!(cfg.band(75.0), "thriving");
    assert_eq!(cfg.band(74.9), "healthy");
    assert_eq!(cfg.band(55.0), "healthy");
    assert_eq!(cfg.band(35.0), "at_risk");
    assert_eq!(cfg.band(34.0), "critical");
    // Someone who bought 40 days ago and did nothing else: 50 + 8 - 5.
    let o = one("{}", customer(3, Some(40), vec![]));
    assert_eq!(o.score, 53.0);
    assert_eq!(o.label.as_deref(), Some("at_risk"));
}

/// The explanation is the baseline, then the factors with the strongest
/// positive points first, then the strongest negative, then those that
/// gave nothing; it sums exactly to the score.
#[test]
fn the_explanation_lists_top_positive_then_top_negative_factors_and_sums_to_the_score() {
    let c = customer(
        1,
        Some(100), // recency 0
        vec![
            nps(5, 10),             // +10
            at(3, "ticket_opened"), // -5
            at(2, "email_click"),   // engagement 2 -> 0
            at(1, "email_open"),    // engagement 3 -> +5
            felt(4, -0.7),          // -5
        ],
    );
    let o = one("{}", c);
    let terms: Vec<(&str, f64)> = o
        .explanation
        .iter()
        .map(|c| (c.label.as_str(), c.value))
        .collect();
    assert_eq!(terms[0], ("baseline of 50 points", 50.0));
    assert_eq!(terms[1], ("latest NPS answer 10 (promoter)", 10.0));
    assert_eq!(terms[2].1, 5.0);
    assert!(
        terms[2].0.starts_with("engagement rising")
            || terms[2].0.starts_with("3 engagement points"),
        "{}",
        terms[2].0
    );
    let values: Vec<f64> = terms.iter().map(|t| t.1).collect();
    // Positives descending, then negatives by size, then zeros.
    assert_eq!(values, [50.0, 10.0, 5.0, 5.0, -5.0, -5.0, 0.0]);
    assert_eq!(o.explanation_total(), o.score);
    assert_eq!(o.score, 60.0);
    assert_eq!(o.label.as_deref(), Some("healthy"));
    assert!(terms.contains(&("1 open support ticket", -5.0)));
    assert!(terms.contains(&("last purchase 100 days ago", 0.0)));

    // Over many customers the explanation always sums to the score, stays
    // within 0-100 and starts with the baseline.
    let pop: Vec<Customer> = (1..=60u64)
        .map(|i| {
            let mut ev: Vec<Interaction> = (0..(i % 9) as i64)
                .map(|k| {
                    at(
                        (k * 17 + i as i64) % 200,
                        ["email_open", "web_visit", "email_click"][(k % 3) as usize],
                    )
                })
                .collect();
            if i % 4 == 0 {
                ev.push(nps(i as i64, (i % 11) as i64));
            }
            if i % 5 == 0 {
                ev.push(at(i as i64, "ticket_opened"));
            }
            if i % 3 == 0 {
                ev.push(felt(i as i64, (i as f64 / 30.0) - 1.0));
            }
            customer(i, (i % 7 != 0).then_some((i as i64 * 11) % 400), ev)
        })
        .collect();
    for o in score_all("{}", &pop) {
        assert_eq!(o.explanation_total(), o.score, "subject {}", o.subject);
        assert!((0.0..=100.0).contains(&o.score));
        assert_eq!(o.explanation.len(), 7);
        assert!(o.explanation[0].label.starts_with("baseline"));
        let factor_terms: Vec<f64> = o.explanation[1..].iter().map(|c| c.value).collect();
        let first_non_positive = factor_terms.iter().position(|v| *v <= 0.0).unwrap_or(6);
        assert!(factor_terms[..first_non_positive]
            .windows(2)
            .all(|w| w[0] >= w[1]));
        assert!(factor_terms[first_non_positive..].iter().all(|v| *v <= 0.0));
    }
}

/// The change since the previous run is the score minus the previous score;
/// without a previous score (first run, new customer) it is absent.
#[test]
fn the_change_since_the_previous_run_is_a_named_value_when_a_previous_score_exists() {
    let config = Config::default();
    let ctx = Ctx::new(AS_OF, 1);
    let m = measures(&config, &ctx, &customer(1, Some(40), vec![]));
    let first = assess(&config, 1, &m, None);
    assert_eq!(first.score, 53.0);
    assert_eq!(first.get("change_since_previous"), None);
    let again = assess(&config, 1, &m, Some(61.0));
    assert_eq!(again.get("change_since_previous"), Some(-8.0));
    assert_eq!(
        again.score, first.score,
        "the change does not move the score"
    );
    assert_eq!(again.explanation, first.explanation);
    assert_eq!(change_since_previous(53.0, Some(53.0)), Some(0.0));
    // Until the host passes previous outputs, a run has none.
    let o = one("{}", customer(1, Some(40), vec![]));
    assert_eq!(o.get("change_since_previous"), None);
}

/// Configuration errors are `config` errors naming the key and the problem,
/// including points that could leave 0-100.
#[test]
fn configuration_errors_name_the_key_and_the_problem() {
    let cases = [
        (r#"{"baseline": 60}"#.to_owned(), "the points can take the score up to 110 (baseline 60 + recency 15 + engagement 15 + nps 10 + open_tickets 0 + sentiment 5 + trend 5"),
        (r#"{"factors": {"open_tickets": {"bands": [{"up_to": 0, "points": 0}], "above": -30, "missing": 0}}}"#.to_owned(), "the points can take the score down to -20"),
        (r#"{"factors": {"nps": {"bands": [{"up_to": 8, "points": 0}, {"up_to": 6, "points": -10}], "above": 10, "missing": 0}}}"#.to_owned(), "`factors.nps.bands` must have strictly ascending `up_to`, but 8 is followed by 6"),
        (r#"{"factors": {"nps": {"bands": [], "above": 10}}}"#.to_owned(), "missing field `missing`"),
        (r#"{"factors": {"mood": {"bands": [], "above": 0, "missing": 0}}}"#.to_owned(), "unknown field `mood`"),
        (r#"{"bands": [{"name": "good", "min": 50}, {"name": "bad", "min": 10}]}"#.to_owned(), "the last band (`bad`) must start at 0"),
        (r#"{"bands": [{"name": "good", "min": 50}, {"name": "great", "min": 70}, {"name": "bad", "min": 0}]}"#.to_owned(), "`bands` must have strictly descending `min`, but `good` (50) is followed by `great` (70)"),
        (r#"{"bands": [{"name": "Good", "min": 0}]}"#.to_owned(), "`bands[0].name` must be 1 to 64 characters"),
        (r#"{"bands": [{"name": "ok", "min": 50}, {"name": "ok", "min": 0}]}"#.to_owned(), "`bands[1].name` repeats the band `ok`"),
        (r#"{"bands": []}"#.to_owned(), "`bands` must list at least one band"),
        (r#"{"recent_window_days": -3}"#.to_owned(), "`recent_window_days` must be a positive number of days, got -3"),
        (r#"{"engagement_weights": {}}"#.to_owned(), "`engagement_weights` must give points to at least one interaction kind"),
        (r#"{"engagement_weights": {"email_open": -1}}"#.to_owned(), "`engagement_weights.email_open` must be a finite number of at least 0, got -1"),
        (r#"{"colour": "red"}"#.to_owned(), "unknown field `colour`"),
    ];
    for (config, expected) in cases {
        let err =
            run::scorer_fit::<RelationshipHealth>(&Context::new(config.as_str(), AS_OF, 1), &[])
                .expect_err(&config);
        assert_eq!(err.code, "config", "{config}");
        assert!(
            err.message.starts_with("invalid plugin configuration"),
            "{}",
            err.message
        );
        assert!(err.message.contains(expected), "{config}: {}", err.message);
    }
    // A factor switched off and a lower baseline make room for harsher points.
    let ok = only(
        "open_tickets",
        r#"{"bands": [{"up_to": 0, "points": 0}], "above": -50, "missing": 0}"#,
    );
    assert!(Config::from_json(&ok).is_ok());
}

/// Same input, same output, whatever the batch split.
#[test]
fn scoring_is_deterministic_and_independent_of_batching() {
    let pop: Vec<Customer> = (1..=30u64)
        .map(|i| {
            customer(
                i,
                Some(i as i64 * 9),
                (0..i % 5)
                    .map(|k| at(k as i64 * 20 + 1, "web_visit"))
                    .collect(),
            )
        })
        .collect();
    let ctx = Context::new("{}", AS_OF, 1);
    let model = run::scorer_fit::<RelationshipHealth>(&ctx, &pop).expect("fit");
    let whole = run::scorer_score::<RelationshipHealth>(&ctx, &model.state, &pop)
        .expect("score")
        .outputs;
    let mut split = Vec::new();
    for chunk in pop.chunks(4) {
        split.extend(
            run::scorer_score::<RelationshipHealth>(&ctx, &model.state, chunk)
                .expect("score")
                .outputs,
        );
    }
    assert_eq!(whole, split);
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
        serde_json::json!({"baseline": 120}),
        serde_json::json!({"bands": [{"name": "Good", "min": 0}]}),
        serde_json::json!({"factors": {"nps": {"bands": []}}}),
        serde_json::json!({"engagement_weights": {"email_open": -1}}),
        serde_json::json!({"colour": "red"}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
        assert!(
            Config::from_json(&bad.to_string()).is_err(),
            "code accepts {bad}"
        );
    }
}

/// The sample fixture scores every customer with a band and an explanation
/// that sums to the score.
#[test]
fn the_sample_fixture_scores_every_customer() {
    let fixture = read_json("fixtures/sample.json");
    let customers: Vec<Customer> =
        serde_json::from_value(fixture["customers"].clone()).expect("fixture customers");
    let ctx = Context::new(
        fixture["config"].to_string(),
        fixture["as_of"].as_i64().expect("as_of"),
        fixture["seed"].as_u64().expect("seed"),
    );
    let model = run::scorer_fit::<RelationshipHealth>(&ctx, &customers).expect("fit");
    let out = run::scorer_score::<RelationshipHealth>(&ctx, &model.state, &customers)
        .expect("score")
        .outputs;
    assert_eq!(out.len(), customers.len());
    let mut bands: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    bands.sort_unstable();
    bands.dedup();
    assert_eq!(bands, ["at_risk", "critical", "healthy", "thriving"]);
    for o in &out {
        assert_eq!(o.explanation_total(), o.score);
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
