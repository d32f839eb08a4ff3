//! The tally's behaviour: unknowns, missing labels, small and tiny groups,
//! verdicts, practical significance, order independence and bad input.

use rapport_domain::fairness::{
    Columns, FairnessError, FairnessPolicy, GroupStatus, Metric, Tally, Verdict, MAX_GROUPS,
};

fn policy() -> FairnessPolicy {
    FairnessPolicy::default_policy().expect("default policy")
}

/// Adds `n` subjects with this value, `selected` of them selected.
fn add(t: &mut Tally, value: Option<&str>, n: u64, selected: u64) {
    for i in 0..n {
        t.add(&[value], i < selected, None, None).expect("add");
    }
}

#[test]
fn unknowns_are_counted_and_error_rates_need_labels() {
    let mut t = Tally::new(&["gender"], Columns::default()).expect("tally");
    add(&mut t, Some("f"), 400, 100);
    add(&mut t, Some("m"), 400, 120);
    add(&mut t, None, 10, 10);
    add(&mut t, Some(" "), 5, 0);
    add(&mut t, Some("N/A"), 5, 0);
    add(&mut t, Some("Unknown"), 5, 0);
    add(&mut t, Some("undisclosed"), 5, 0);
    let a = t.finish(&policy()).expect("finish");
    assert_eq!(a.n_rows, 830);
    assert_eq!(a.selected, 230);
    assert_eq!(a.n_unknown_excluded["gender"], 30);
    let g = a.analysis("gender").expect("analysis");
    assert_eq!((g.n, g.selected), (800, 220));
    assert_eq!(g.groups.len(), 2);
    assert_eq!(g.groups["f"].tpr, Metric::NotComputable);
    assert_eq!(g.equalized_odds_difference, Metric::NotComputable);
    let json = serde_json::to_value(&a).expect("json");
    assert_eq!(
        json["analyses"]["gender"]["groups"]["f"]["fpr"],
        "not_computable"
    );
    assert_eq!(
        json["analyses"]["gender"]["equalized_odds_difference"],
        "not_computable"
    );
    assert_eq!(g.groups["f"].impact_ratio, Metric::Value(100.0 / 120.0));
    assert_eq!(g.verdict, Verdict::Pass);
}

#[test]
fn a_significant_four_fifths_shortfall_fails_with_its_practical_size() {
    let mut t = Tally::new(&["age_band"], Columns::default()).expect("tally");
    add(&mut t, Some("young"), 600, 300);
    add(&mut t, Some("old"), 400, 80);
    let a = t.finish(&policy()).expect("finish");
    let g = a.analysis("age_band").expect("analysis");
    assert_eq!(g.verdict, Verdict::Fail);
    assert_eq!(a.verdict, Verdict::Fail);
    let old = &g.groups["old"];
    assert_eq!(old.status, GroupStatus::Fail);
    assert_eq!(g.groups["young"].status, GroupStatus::Reference);
    assert_eq!(old.impact_ratio, Metric::Value(0.2 / 0.5));
    let p = old.practical.as_ref().expect("practical significance");
    // Overall rate 380/1000: 0.38 − 0.2, and 0.38 · 400 − 80 people.
    assert!((p.shortfall_rate - 0.18).abs() < 1e-12);
    assert!((p.shortfall_selections - 72.0).abs() < 1e-9);
    assert_eq!(
        p.impact_ratio_with_two_more,
        Metric::Value((82.0 / 400.0) / 0.5)
    );
    let r = &g.reasons[0];
    assert_eq!(r.rule, "impact_ratio_significantly_below");
    assert_eq!(r.group.as_deref(), Some("old"));
    assert_eq!(r.threshold, 0.8);
    assert!(r.p_adjusted.is_some_and(|p| p < 1e-10));
    assert!(r.interval.is_some_and(|i| i.upper < 0.8));
}

#[test]
fn a_shortfall_the_data_cannot_confirm_only_warns() {
    let mut t = Tally::new(&["g"], Columns::default()).expect("tally");
    add(&mut t, Some("a"), 60, 30);
    add(&mut t, Some("b"), 60, 22);
    let a = t.finish(&policy()).expect("finish");
    let g = a.analysis("g").expect("analysis");
    assert_eq!(g.groups["b"].status, GroupStatus::Warn);
    assert_eq!(g.verdict, Verdict::Warn);
    assert_eq!(g.reasons[0].rule, "impact_ratio_below");
}

#[test]
fn small_and_tiny_groups_are_never_passed_or_failed() {
    let mut t = Tally::new(&["g"], Columns::default()).expect("tally");
    add(&mut t, Some("a"), 2000, 1000);
    add(&mut t, Some("b"), 2000, 1000);
    // 1 % of the rows, all unselected: small, flagged, warned, not failed.
    add(&mut t, Some("s"), 41, 0);
    let mut p = policy();
    let a = t.finish(&p).expect("finish");
    let g = a.analysis("g").expect("analysis");
    assert!(g.groups["s"].small);
    assert_eq!(g.groups["s"].status, GroupStatus::Small);
    assert_eq!(g.verdict, Verdict::Warn);
    assert_eq!(g.reasons[0].rule, "small_group_impact_ratio_below");

    // 20 rows of 520 (3.8 %, not small) is under min_group_size.
    let mut t = Tally::new(&["g"], Columns::default()).expect("tally");
    add(&mut t, Some("a"), 500, 250);
    add(&mut t, Some("t"), 20, 0);
    p.judge_small_groups = true;
    let a = t.finish(&p).expect("finish");
    let g = a.analysis("g").expect("analysis");
    assert_eq!(g.groups["t"].status, GroupStatus::InsufficientData);
    assert!(!g.groups["t"].small);
    // Nothing left to judge is said, not passed over.
    assert_eq!(g.verdict, Verdict::Warn);
    assert_eq!(g.reasons[0].rule, "nothing_to_judge");
}

#[test]
fn nobody_selected_is_not_a_pass() {
    let mut t = Tally::new(&["g"], Columns::default()).expect("tally");
    add(&mut t, Some("a"), 100, 0);
    add(&mut t, Some("b"), 100, 0);
    let a = t.finish(&policy()).expect("finish");
    let g = a.analysis("g").expect("analysis");
    assert_eq!(g.groups["b"].impact_ratio, Metric::NotComputable);
    assert_eq!(g.verdict, Verdict::Warn);
    assert_eq!(g.reasons[0].rule, "nothing_to_judge");
}

#[test]
fn labels_give_error_rates() {
    let mut t = Tally::new(
        &["g"],
        Columns {
            labels: true,
            scores: false,
        },
    )
    .expect("tally");
    // a: 10 positives of which 8 selected, 10 negatives of which 2.
    // b: 10 positives of which 5 selected, 10 negatives of which 5.
    for (g, pos_sel, neg_sel) in [("a", 8, 2), ("b", 5, 5)] {
        for i in 0..10 {
            t.add(&[Some(g)], i < pos_sel, Some(true), None)
                .expect("add");
            t.add(&[Some(g)], i < neg_sel, Some(false), None)
                .expect("add");
        }
    }
    let a = t.finish(&policy()).expect("finish");
    let g = a.analysis("g").expect("analysis");
    assert_eq!(g.groups["a"].tpr, Metric::Value(0.8));
    assert_eq!(g.groups["b"].fpr, Metric::Value(0.5));
    let close = |m: Metric, v: f64| m.value().is_some_and(|x| (x - v).abs() < 1e-15);
    assert!(close(g.equal_opportunity_difference, 0.3));
    assert!(close(g.equalized_odds_difference, 0.3));
    assert_eq!(g.groups["a"].positives, Some(10));
}

#[test]
fn the_audit_does_not_depend_on_row_order() {
    let rows: Vec<(&str, &str, bool)> = (0..3000u32)
        .map(|i| {
            let g = ["x", "y", "z"][(i * 7 % 3) as usize];
            let b = ["p", "q"][(i * 13 % 2) as usize];
            (g, b, i.wrapping_mul(2_654_435_761) % 5 < 2)
        })
        .collect();
    let run = |rows: &mut dyn Iterator<Item = &(&str, &str, bool)>| {
        let mut t = Tally::new(&["g", "b"], Columns::default()).expect("tally");
        for (g, b, s) in rows {
            t.add(&[Some(g), Some(b)], *s, None, None).expect("add");
        }
        serde_json::to_string(&t.finish(&policy()).expect("finish")).expect("json")
    };
    let forward = run(&mut rows.iter());
    let backward = run(&mut rows.iter().rev());
    assert_eq!(forward, backward);
    assert!(forward.contains("\"g×b\""));
}

#[test]
fn three_attributes_give_three_intersections() {
    let mut t = Tally::new(&["a", "b", "c"], Columns::default()).expect("tally");
    for i in 0..64u32 {
        let v = |k: u32| if (i >> k) & 1 == 1 { "1" } else { "0" };
        t.add(&[Some(v(0)), Some(v(1)), None], i % 3 == 0, None, None)
            .expect("add");
    }
    let a = t.finish(&policy()).expect("finish");
    let names: Vec<&str> = a.analyses.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "a×b", "a×c", "b×c"]);
    assert_eq!(a.analysis("a×c").expect("a×c").n_unknown_excluded, 64);
    assert_eq!(a.analysis("a×b").expect("a×b").n, 64);
}

#[test]
fn bad_subjects_are_refused_with_their_position() {
    let mut t = Tally::new(&["g"], Columns::default()).expect("tally");
    t.add(&[Some("a")], true, None, None).expect("add");
    match t.add(&[Some("a")], true, Some(true), None) {
        Err(FairnessError::Subject { row, reason }) => {
            assert_eq!(row, 2);
            assert!(reason.contains("label"), "{reason}");
        }
        other => panic!("expected a subject error, got {other:?}"),
    }
    assert!(matches!(
        t.add(&[Some("a"), Some("b")], true, None, None),
        Err(FairnessError::Subject { .. })
    ));
    let mut s = Tally::new(
        &["g"],
        Columns {
            labels: false,
            scores: true,
        },
    )
    .expect("tally");
    assert!(s.add(&[Some("a")], true, None, Some(f64::NAN)).is_err());
    assert!(s.add(&[Some("a")], true, None, None).is_err());
    assert!(Tally::new(&[], Columns::default()).is_err());
    assert!(Tally::new(&["g", "g"], Columns::default()).is_err());
    let mut many = Tally::new(&["id"], Columns::default()).expect("tally");
    let err = (0..=MAX_GROUPS)
        .map(|i| many.add(&[Some(&i.to_string())], false, None, None))
        .find_map(Result::err);
    assert!(
        matches!(err, Some(FairnessError::TooManyGroups { .. })),
        "{err:?}"
    );
}

#[test]
fn the_default_policy_loads_and_bad_policies_are_refused() {
    let p = policy();
    assert_eq!(p.fail.impact_ratio_upper_below, 0.8);
    assert_eq!(p.min_group_size, 30);
    let text = p.canonical_json().expect("canonical");
    let again = FairnessPolicy::from_json(&text).expect("round trip");
    assert_eq!(again, p);
    let bad = text.replace("\"confidence_level\":0.95", "\"confidence_level\":1.5");
    assert!(matches!(
        FairnessPolicy::from_json(&bad),
        Err(FairnessError::Policy(_))
    ));
    let typo = text.replace("min_group_size", "min_group_sise");
    assert!(FairnessPolicy::from_json(&typo).is_err());
}
