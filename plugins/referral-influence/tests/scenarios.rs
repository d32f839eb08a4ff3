//! One scenario per documented behaviour of the referral-influence scorer
//! (see `README.md`): reach by hop with decay, each customer counted once,
//! cycles, advocates, brokers, people outside the population, the compact
//! model, refusals when the graph cannot be built, configuration errors,
//! explanations that sum to the score, and agreement with networkx on a
//! committed reference graph.

use std::collections::BTreeMap;

use rapport_plugin_sdk::{run, Context, Customer, Output, Referral, Severity};
use rapport_referral_influence::{
    Config, Graph, Model, ReferralInfluence, ADVOCATE, ADVOCATE_AND_BROKER, BROKER, LABELS,
    NO_REFERRALS, REFERRER,
};

const AS_OF: i64 = 1_735_689_600;

/// Customers `1..=n`, each with the referrals listed for them in `edges`
/// (referrer, referred).
fn population(n: u64, edges: &[(u64, u64)]) -> Vec<Customer> {
    (1..=n)
        .map(|s| Customer {
            subject: s,
            referrals: Some(
                edges
                    .iter()
                    .filter(|(a, _)| *a == s)
                    .map(|&(_, b)| Referral {
                        referred: Some(b),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        })
        .collect()
}

fn fit(config: &str, pop: &[Customer]) -> (Model, Vec<u8>, Vec<String>) {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::scorer_fit::<ReferralInfluence>(&ctx, pop).expect("fit");
    let decoded = run::decode_model(&model.state).expect("model");
    let diags = model
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    (decoded, model.state, diags)
}

fn score(config: &str, pop: &[Customer]) -> BTreeMap<u64, Output> {
    let ctx = Context::new(config, AS_OF, 1);
    let model = run::scorer_fit::<ReferralInfluence>(&ctx, pop).expect("fit");
    run::scorer_score::<ReferralInfluence>(&ctx, &model.state, pop)
        .expect("score")
        .outputs
        .into_iter()
        .map(|o| (o.subject, o))
        .collect()
}

fn hops(o: &Output) -> Vec<f64> {
    (1..)
        .map_while(|d| o.get(&format!("reached_hop_{d}")))
        .collect()
}

/// Influence counts customers first reached at each hop, discounted by
/// `decay` per hop beyond the first, up to `max_hops`.
#[test]
fn influence_is_reach_by_hop_discounted_per_hop() {
    // A chain 1 -> 2 -> 3 -> 4 -> 5.
    let pop = population(5, &[(1, 2), (2, 3), (3, 4), (4, 5)]);
    let out = score("{}", &pop);
    assert_eq!(hops(&out[&1]), [1.0, 1.0, 1.0]);
    assert_eq!(out[&1].score, 1.0 + 0.5 + 0.25);
    assert_eq!(out[&1].get("reach"), Some(3.0));
    assert_eq!(out[&4].score, 1.0);
    assert_eq!(out[&5].score, 0.0);
    let labels: Vec<&str> = out[&1]
        .explanation
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "referred 1 customer directly",
            "1 more customer 2 referrals away (x 0.5 each)",
            "1 more customer 3 referrals away (x 0.25 each)",
        ]
    );
    // Four hops and a slower decay reach the end of the chain.
    let out = score(r#"{"max_hops": 4, "decay": 0.3}"#, &pop);
    assert_eq!(hops(&out[&1]), [1.0, 1.0, 1.0, 1.0]);
    assert!((out[&1].score - (1.0 + 0.3 + 0.09 + 0.027)).abs() < 1e-12);
    assert!(out[&1].explanation[3].label.ends_with("(x 0.027 each)"));
    // One hop is direct referrals only.
    let out = score(r#"{"max_hops": 1}"#, &pop);
    assert_eq!(out[&1].score, 1.0);
}

/// A customer reachable along several paths counts once, at the nearest
/// hop; referral cycles never count the customer themselves.
#[test]
fn each_customer_counts_once_at_the_nearest_hop_and_cycles_do_not_loop() {
    let pop = population(4, &[(1, 2), (1, 3), (2, 3), (3, 4), (4, 1)]);
    let out = score("{}", &pop);
    // From 1: 2 and 3 directly, 4 at two hops; 1 itself never.
    assert_eq!(hops(&out[&1]), [2.0, 1.0, 0.0]);
    assert_eq!(out[&1].score, 2.5);
    // From 4: 1, then 2 and 3.
    assert_eq!(hops(&out[&4]), [1.0, 2.0, 0.0]);
}

/// Advocates referred at least `advocate_min_referrals` distinct customers
/// directly; repeated referrals count once and self-referrals not at all,
/// each noted in the diagnostics.
#[test]
fn advocates_referred_enough_distinct_customers() {
    let pop = population(8, &[(1, 2), (1, 3), (1, 4), (5, 6), (5, 6), (5, 5), (5, 7)]);
    let out = score("{}", &pop);
    assert_eq!(out[&1].label.as_deref(), Some(ADVOCATE));
    assert_eq!(out[&1].get("advocate"), Some(1.0));
    assert!(out[&1].explanation[0]
        .label
        .starts_with("referred 3 customers directly: an advocate (at least 3)"));
    assert_eq!(out[&5].get("direct_referrals"), Some(2.0));
    assert_eq!(out[&5].label.as_deref(), Some(REFERRER));
    assert_eq!(out[&8].label.as_deref(), Some(NO_REFERRALS));
    assert_eq!(out[&8].explanation[0].label, "referred nobody");
    assert_eq!(
        score(r#"{"advocate_min_referrals": 2}"#, &pop)[&5]
            .label
            .as_deref(),
        Some(ADVOCATE)
    );
    let (_, _, diags) = fit("{}", &pop);
    assert!(diags
        .iter()
        .any(|d| d == "1 referrals name the referrer themselves and are ignored"));
    assert!(diags
        .iter()
        .any(|d| d.starts_with("1 referrals repeat an earlier")));
}

/// A broker's removal separates at least two groups of at least
/// `broker_min_group` customers; the pairs connected only through them are
/// given, and the broker term carries 0.
#[test]
fn brokers_bridge_groups_that_would_otherwise_be_separate() {
    // Two stars, 2 -> {3, 4, 5} and 6 -> {7, 8, 9}, both referred by 1;
    // 10 referred 11 only.
    let pop = population(
        11,
        &[
            (1, 2),
            (1, 6),
            (2, 3),
            (2, 4),
            (2, 5),
            (6, 7),
            (6, 8),
            (6, 9),
            (10, 11),
        ],
    );
    let out = score("{}", &pop);
    // Without 1: {2, 3, 4, 5} and {6, 7, 8, 9}: 16 pairs.
    let b = &out[&1];
    assert_eq!(b.label.as_deref(), Some(BROKER));
    assert_eq!(b.get("broker"), Some(1.0));
    assert_eq!(b.get("bridged_groups"), Some(2.0));
    assert_eq!(b.get("bridged_pairs"), Some(16.0));
    let last = b.explanation.last().expect("terms");
    assert_eq!(last.value, 0.0);
    assert_eq!(
        last.label,
        "a broker: bridges 2 groups of at least 3 customers, 16 pairs connected only through them (not part of the score)"
    );
    // Without 2: {3}, {4}, {5} and {1, 6, 7, 8, 9}: one large group only,
    // but 2 is an advocate.
    assert_eq!(out[&2].label.as_deref(), Some(ADVOCATE));
    assert_eq!(out[&2].get("bridged_pairs"), None);
    // With groups of at least 4, 2 and 6 each separate {1, 6, 7, 8, 9} or
    // {1, 2, ...} only, and 1 still bridges two groups of 4.
    let out = score(r#"{"broker_min_group": 4}"#, &pop);
    assert_eq!(out[&1].label.as_deref(), Some(BROKER));
    let out = score(r#"{"broker_min_group": 5}"#, &pop);
    assert_eq!(out[&1].label.as_deref(), Some(REFERRER));
    // A broker who is also an advocate.
    let mut edges = vec![
        (1, 2),
        (1, 6),
        (1, 12),
        (2, 3),
        (2, 4),
        (2, 5),
        (6, 7),
        (6, 8),
        (6, 9),
    ];
    edges.push((10, 11));
    let out = score("{}", &population(12, &edges));
    assert_eq!(out[&1].label.as_deref(), Some(ADVOCATE_AND_BROKER));
}

/// Customers referred but outside the population (excluded by consent)
/// count in reach and in the groups, but get no output.
#[test]
fn people_outside_the_population_count_in_reach_and_groups() {
    let mut pop = population(3, &[(1, 2), (2, 3)]);
    pop[2].referrals = Some(vec![
        Referral {
            referred: Some(100),
            ..Default::default()
        },
        Referral {
            referred: Some(101),
            ..Default::default()
        },
    ]);
    let out = score("{}", &pop);
    assert_eq!(out.len(), 3);
    assert_eq!(hops(&out[&1]), [1.0, 1.0, 2.0]);
    let (_, _, diags) = fit("{}", &pop);
    assert!(diags[0]
        .starts_with("3 customers and 2 referred people outside the population; 4 referral edges"));
}

/// The model keeps only customers whose output needs the graph (indirect
/// reach or brokerage), sorted by handle; scoring a batch alone gives what
/// scoring the whole population gives.
#[test]
fn the_model_keeps_only_what_a_record_cannot_tell() {
    let pop = population(
        12,
        &[
            (9, 1),
            (1, 2),
            (1, 6),
            (2, 3),
            (2, 4),
            (2, 5),
            (6, 7),
            (6, 8),
            (6, 10),
            (11, 12),
        ],
    );
    let (model, bytes, _) = fit("{}", &pop);
    // 9 reaches beyond 1; 1 reaches beyond 2 and 6 and is a broker; 2, 6 and
    // 11 reach only their own referrals.
    assert_eq!(model.subjects, [1, 9]);
    assert_eq!(model.reach, [2, 6, 0, 1, 2, 6]);
    assert!(bytes.len() < 200, "{} bytes", bytes.len());
    let whole = score("{}", &pop);
    let ctx = Context::new("{}", AS_OF, 1);
    for c in &pop {
        let alone = run::scorer_score::<ReferralInfluence>(&ctx, &bytes, std::slice::from_ref(c))
            .expect("score")
            .outputs;
        assert_eq!(alone[0], whole[&c.subject]);
    }
    // The same customers in another order give the same model bytes.
    let mut reversed = pop.clone();
    reversed.reverse();
    assert_eq!(fit("{}", &reversed).1, bytes);
}

/// Without `referrals.referred` the graph cannot be built: `fit` refuses
/// with a data error naming the field.
#[test]
fn a_population_without_referred_handles_is_refused() {
    let mut pop = population(3, &[(1, 2)]);
    pop[0].referrals = Some(vec![Referral::default()]);
    let ctx = Context::new("{}", AS_OF, 1);
    let err = run::scorer_fit::<ReferralInfluence>(&ctx, &pop).expect_err("no handle");
    assert_eq!(err.code, "data");
    assert!(
        err.message.contains("`referrals.referred`"),
        "{}",
        err.message
    );
    let none: Vec<Customer> = (1..=3)
        .map(|s| Customer {
            subject: s,
            ..Default::default()
        })
        .collect();
    let err = run::scorer_fit::<ReferralInfluence>(&ctx, &none).expect_err("no lists");
    assert_eq!(err.code, "data");
    // An empty population fits to an empty model.
    assert!(run::scorer_fit::<ReferralInfluence>(&ctx, &[]).is_ok());
}

/// Configuration errors are `config` errors naming the key and the problem;
/// a model fitted with other graph settings is refused.
#[test]
fn configuration_errors_name_the_key_and_the_problem() {
    let cases = [
        (
            r#"{"max_hops": 0}"#,
            "`max_hops` must be between 1 and 6, got 0",
        ),
        (
            r#"{"max_hops": 9}"#,
            "`max_hops` must be between 1 and 6, got 9",
        ),
        (
            r#"{"decay": 0}"#,
            "`decay` must be greater than 0 and at most 1, got 0",
        ),
        (
            r#"{"decay": 1.5}"#,
            "`decay` must be greater than 0 and at most 1, got 1.5",
        ),
        (
            r#"{"advocate_min_referrals": 0}"#,
            "`advocate_min_referrals` must be at least 1",
        ),
        (
            r#"{"broker_min_group": 0}"#,
            "`broker_min_group` must be at least 1",
        ),
        (r#"{"damping": 0.85}"#, "unknown field `damping`"),
    ];
    for (config, expected) in cases {
        let err = run::scorer_fit::<ReferralInfluence>(&Context::new(config, AS_OF, 1), &[])
            .expect_err(config);
        assert_eq!(err.code, "config", "{config}");
        assert!(
            err.message.starts_with("invalid plugin configuration"),
            "{}",
            err.message
        );
        assert!(err.message.contains(expected), "{config}: {}", err.message);
    }
    let pop = population(3, &[(1, 2)]);
    let (_, bytes, _) = fit("{}", &pop);
    let err = run::scorer_score::<ReferralInfluence>(
        &Context::new(r#"{"max_hops": 2}"#, AS_OF, 1),
        &bytes,
        &pop,
    )
    .expect_err("other hops");
    assert_eq!(err.code, "model");
}

/// On a committed reference graph (a generator-like referral forest, cycles,
/// a customer with two referrers, a chain, two stars joined by a bridge,
/// people outside the population, a self-referral and a repeat), reach by
/// hop, separated groups and bridged pairs agree with networkx
/// (`reference/networkx_reference.py`), and bridged pairs equal networkx's
/// betweenness centrality wherever the network has no cycle.
#[test]
fn reach_groups_and_pairs_agree_with_networkx() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/reference");
    let graph: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/graph.json")).expect("graph.json"),
    )
    .expect("graph");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/networkx_golden.json")).expect("golden"),
    )
    .expect("golden json");
    let edges: Vec<(u64, u64)> = graph["referrals"]
        .as_array()
        .expect("referrals")
        .iter()
        .map(|e| {
            (
                e[0].as_u64().expect("referrer"),
                e[1].as_u64().expect("referred"),
            )
        })
        .collect();
    let n = graph["population"].as_array().expect("population").len() as u64;
    let pop = population(n, &edges);
    let g = Graph::build(&pop).expect("graph");
    let cuts = g.cuts(3);
    let by_handle: BTreeMap<u64, _> = g.handles().iter().copied().zip(cuts).collect();
    let out = score("{}", &pop);
    let customers = golden["customers"].as_object().expect("customers");
    assert_eq!(customers.len() as u64, n);
    let mut brokers = 0;
    let mut trees = 0;
    for (subject, want) in customers {
        let s: u64 = subject.parse().expect("handle");
        let reach: Vec<u32> = want["reach"]
            .as_array()
            .expect("reach")
            .iter()
            .map(|v| v.as_u64().expect("count") as u32)
            .collect();
        assert_eq!(g.reach_of(s, 3), reach, "reach of {s}");
        let o = &out[&s];
        assert_eq!(
            hops(o),
            reach.iter().map(|&r| f64::from(r)).collect::<Vec<_>>(),
            "output of {s}"
        );
        let cut = by_handle[&s];
        assert_eq!(
            u64::from(cut.groups),
            want["groups"].as_u64().expect("groups"),
            "groups of {s}"
        );
        assert_eq!(
            cut.pairs,
            want["pairs"].as_u64().expect("pairs"),
            "pairs of {s}"
        );
        let broker = want["broker"].as_bool().expect("broker");
        assert_eq!(o.get("broker") == Some(1.0), broker, "broker {s}");
        if broker {
            brokers += 1;
            assert_eq!(o.get("bridged_pairs"), want["pairs"].as_f64());
        }
        if let Some(b) = want.get("betweenness") {
            trees += 1;
            assert_eq!(
                cut.pairs as f64,
                b.as_f64().expect("betweenness"),
                "betweenness of {s}"
            );
        }
    }
    assert!(
        brokers >= 2 && trees > 100,
        "{brokers} brokers, {trees} tree nodes"
    );
}

/// Explanations sum to the score, and labels come from the documented set.
#[test]
fn explanations_sum_to_the_score() {
    let edges: Vec<(u64, u64)> = (2..=200u64)
        .filter(|i| i % 3 != 0)
        .map(|i| ((i * 7919) % (i - 1) + 1, i))
        .collect();
    let pop = population(200, &edges);
    for (_, o) in score(r#"{"decay": 0.3, "max_hops": 5}"#, &pop) {
        assert_eq!(o.explanation_total(), o.score, "subject {}", o.subject);
        assert!(LABELS.contains(&o.label.as_deref().unwrap_or("")));
    }
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
        serde_json::json!({"max_hops": 0}),
        serde_json::json!({"max_hops": 7}),
        serde_json::json!({"decay": 0}),
        serde_json::json!({"decay": 1.01}),
        serde_json::json!({"broker_min_group": 0}),
        serde_json::json!({"damping": 0.85}),
    ] {
        assert!(!validator.is_valid(&bad), "schema accepts {bad}");
        assert!(
            Config::from_json(&bad.to_string()).is_err(),
            "code accepts {bad}"
        );
    }
}

/// The sample fixture scores every customer; it shows every label.
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
    let model = run::scorer_fit::<ReferralInfluence>(&ctx, &customers).expect("fit");
    assert!(model
        .diagnostics
        .iter()
        .all(|d| d.severity == Severity::Info));
    let out = run::scorer_score::<ReferralInfluence>(&ctx, &model.state, &customers)
        .expect("score")
        .outputs;
    assert_eq!(out.len(), customers.len());
    let mut labels: Vec<&str> = out
        .iter()
        .map(|o| o.label.as_deref().unwrap_or(""))
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let mut all = LABELS.to_vec();
    all.sort_unstable();
    assert_eq!(labels, all);
}
