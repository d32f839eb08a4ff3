//! From counts per group to an analysis with its verdict.
//!
//! Choices where the sources leave room, each documented in
//! `policies/README.md` too:
//!
//! - Reference groups: the highest selection rate wins; ties go to the
//!   larger group, then to the name that sorts first, so the choice never
//!   depends on row order.
//! - Holm's family is every group of the analysis other than the judging
//!   reference (including small and insufficient ones, whose p-values are
//!   reported): the more conservative reading.
//! - A group is `insufficient_data` when it has fewer than `min_group_size`
//!   rows, when the reference has, or when any expected count of its 2×2
//!   table against the reference (selected / not selected × group /
//!   reference) is under `min_expected_count`.
//! - fairlearn's differences and ratios are taken over every group with a
//!   known value, as fairlearn does; a group whose true- or false-positive
//!   rate has a zero denominator is left out of those two differences
//!   rather than counted as 0.
//! - The scoring rate (LL144) is the share of a group scoring strictly above
//!   the median score of every row of the audit, unknown attribute values
//!   included.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::stats::{self, Interval};
use super::tally::{Columns, Counts};
use super::{FairnessPolicy, GroupStatus, Metric, ReferenceChoice, Verdict};

/// A group as the tally hands it over: its name, counts and (with scores)
/// its scores sorted ascending.
#[derive(Debug)]
pub(super) struct GroupInput {
    pub name: String,
    pub counts: Counts,
    pub scores: Option<Vec<f64>>,
}

/// A whole audit: one analysis per attribute and per intersection of two.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessAudit {
    /// The version of the policy the audit was judged under.
    pub policy_version: String,
    /// The protected attributes, in the order given.
    pub attributes: Vec<String>,
    /// Rows (subjects) in the audit.
    pub n_rows: u64,
    /// Selected rows.
    pub selected: u64,
    /// Whether outcome labels were given (error rates computed).
    pub labels: bool,
    /// Whether scores were given (score distributions compared).
    pub scores: bool,
    /// Per attribute, the rows whose value of it is unknown.
    pub n_unknown_excluded: BTreeMap<String, u64>,
    /// The analyses, attributes first, then intersections, keyed by name
    /// (`gender`, `gender×age_band`).
    #[serde(serialize_with = "analyses_by_name")]
    pub analyses: Vec<Analysis>,
    /// The worst verdict of the analyses.
    pub verdict: Verdict,
}

fn analyses_by_name<S: Serializer>(a: &[Analysis], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(a.len()))?;
    for x in a {
        map.serialize_entry(&x.name, x)?;
    }
    map.end()
}

impl FairnessAudit {
    /// The analysis with this name.
    pub fn analysis(&self, name: &str) -> Option<&Analysis> {
        self.analyses.iter().find(|a| a.name == name)
    }

    /// Every reason of every analysis, in analysis order.
    pub fn reasons(&self) -> impl Iterator<Item = &Reason> {
        self.analyses.iter().flat_map(|a| a.reasons.iter())
    }
}

/// One analysis: an attribute, or the intersection of two.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// `gender`, or `gender×age_band` for an intersection.
    #[serde(skip)]
    pub name: String,
    /// The attributes it groups by.
    pub attributes: Vec<String>,
    /// Rows with a known value (the rows of this analysis).
    pub n: u64,
    /// Of them, selected.
    pub selected: u64,
    /// `selected / n`.
    pub selection_rate: Metric,
    /// Rows left out because a value of the analysis's attributes is unknown.
    pub n_unknown_excluded: u64,
    /// The most-selected group over all groups.
    pub reference_group: Option<String>,
    /// The most-selected group among groups of at least
    /// `small_group_share` of the rows (all groups when every group is
    /// small).
    pub reference_group_excluding_small: Option<String>,
    /// The reference that intervals, tests and verdicts use, as the policy
    /// chose.
    pub judged_against: Option<String>,
    /// Largest minus smallest group selection rate (fairlearn).
    pub demographic_parity_difference: Metric,
    /// Smallest over largest group selection rate (fairlearn).
    pub demographic_parity_ratio: Metric,
    /// Largest minus smallest group true-positive rate; needs labels.
    pub equal_opportunity_difference: Metric,
    /// The larger of the true- and false-positive rate differences (fairlearn's
    /// `equalized_odds_difference`); needs labels.
    pub equalized_odds_difference: Metric,
    /// With scores: the group with the highest scoring rate, chosen like the
    /// judging reference.
    pub scoring_reference_group: Option<String>,
    /// The groups, by name.
    pub groups: BTreeMap<String, Group>,
    /// The analysis's outcome.
    pub verdict: Verdict,
    /// Why it is not a pass; empty for a pass.
    pub reasons: Vec<Reason>,
}

/// One group of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Rows.
    pub n: u64,
    /// Selected rows.
    pub selected: u64,
    /// `n` over the analysis's rows.
    pub share: f64,
    /// Under `small_group_share` of the rows.
    pub small: bool,
    /// `selected / n`.
    pub selection_rate: f64,
    /// Wilson interval on the selection rate.
    pub selection_rate_interval: Option<Interval>,
    /// Selection rate over the reference group's (over all groups).
    pub impact_ratio: Metric,
    /// Selection rate over the reference group's, small groups excluded
    /// from the choice of reference.
    pub impact_ratio_excluding_small: Metric,
    /// Katz log interval on the impact ratio against the judging reference.
    pub impact_ratio_interval: Option<Interval>,
    /// Fisher's exact test (two-sided) against the judging reference.
    pub p_value: Metric,
    /// `p_value` after Holm's correction across the analysis's groups.
    pub p_adjusted: Metric,
    /// Rows whose outcome label is positive (with labels).
    pub positives: Option<u64>,
    /// True-positive rate: selected positives over positives.
    pub tpr: Metric,
    /// False-positive rate: selected negatives over negatives.
    pub fpr: Metric,
    /// Share of the group scoring above the overall median (LL144).
    pub scoring_rate: Metric,
    /// Scoring rate over the scoring reference group's.
    pub scoring_impact_ratio: Metric,
    /// Mean score minus the scoring reference group's mean score.
    pub mean_score_difference: Metric,
    /// Kolmogorov–Smirnov distance to the scoring reference group's scores.
    pub ks_distance: Metric,
    /// How the group came out.
    pub status: GroupStatus,
    /// For a group that fails or warns on its impact ratio: how far off it is
    /// in people.
    pub practical: Option<Practical>,
}

/// Practical significance of a disadvantaged group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Practical {
    /// The analysis's overall selection rate minus the group's.
    pub shortfall_rate: f64,
    /// How many more of the group would have to be selected to reach the
    /// overall rate: `overall_rate × n − selected`.
    pub shortfall_selections: f64,
    /// The impact ratio had two more of the group been selected (the
    /// "two-person" sensitivity check): a ratio that crosses the threshold
    /// with two people is fragile.
    pub impact_ratio_with_two_more: Metric,
}

/// One reason for a verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The rule's stable id (see `policies/README.md`).
    pub rule: &'static str,
    /// `fail` or `warn`.
    pub outcome: Verdict,
    /// The analysis (`gender`, `gender×age_band`).
    pub analysis: String,
    /// The group, for a rule about a group.
    pub group: Option<String>,
    /// The metric the rule tested.
    pub metric: &'static str,
    /// Its value.
    pub value: f64,
    /// Its interval, where it has one.
    pub interval: Option<Interval>,
    /// The policy's threshold.
    pub threshold: f64,
    /// The Holm-adjusted p-value, for rules about a comparison.
    pub p_adjusted: Option<f64>,
    /// The same in a sentence.
    pub message: String,
}

/// Index of the best group among `candidates` by `key` (higher wins), ties
/// to the larger group, then to the name that sorts first.
fn best(groups: &[GroupInput], candidates: &[usize], key: impl Fn(usize) -> f64) -> Option<usize> {
    candidates.iter().copied().reduce(|b, i| {
        let (kb, ki) = (key(b), key(i));
        let better = ki > kb
            || (ki == kb
                && (groups[i].counts.n > groups[b].counts.n
                    || (groups[i].counts.n == groups[b].counts.n
                        && groups[i].name < groups[b].name)));
        if better {
            i
        } else {
            b
        }
    })
}

fn rate(c: &Counts) -> f64 {
    if c.n == 0 {
        0.0
    } else {
        c.selected as f64 / c.n as f64
    }
}

/// The smallest expected count of the 2×2 table group vs reference ×
/// selected vs not.
fn min_expected(g: &Counts, r: &Counts) -> f64 {
    let total = (g.n + r.n) as f64;
    let sel = (g.selected + r.selected) as f64;
    let not = total - sel;
    let (gn, rn) = (g.n as f64, r.n as f64);
    [gn * sel, gn * not, rn * sel, rn * not]
        .into_iter()
        .map(|x| x / total)
        .fold(f64::INFINITY, f64::min)
}

/// Largest minus smallest of the computable values; `NotComputable` when
/// fewer than one.
fn spread(values: impl Iterator<Item = Metric>) -> (Metric, Metric) {
    let v: Vec<f64> = values.filter_map(Metric::value).collect();
    if v.is_empty() {
        return (Metric::NotComputable, Metric::NotComputable);
    }
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    (Metric::Value(max - min), Metric::ratio(min, max))
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// Computes one analysis.
pub(super) fn analyse(
    name: String,
    attributes: Vec<String>,
    mut groups: Vec<GroupInput>,
    n_unknown_excluded: u64,
    columns: Columns,
    median: Option<f64>,
    policy: &FairnessPolicy,
) -> Analysis {
    // A fixed order (by name) makes every tie-break and Holm's ordering
    // independent of the order values were first seen in.
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let z = stats::critical_value(policy.confidence_level);
    let n: u64 = groups.iter().map(|g| g.counts.n).sum();
    let selected: u64 = groups.iter().map(|g| g.counts.selected).sum();
    let overall = Metric::ratio(selected as f64, n as f64);
    let overall_rate = overall.value().unwrap_or(0.0);
    let small: Vec<bool> = groups
        .iter()
        .map(|g| (g.counts.n as f64) < policy.small_group_share * n as f64)
        .collect();
    let all: Vec<usize> = (0..groups.len()).collect();
    let large: Vec<usize> = all.iter().copied().filter(|&i| !small[i]).collect();
    let rates: Vec<f64> = groups.iter().map(|g| rate(&g.counts)).collect();
    let ref_all = best(&groups, &all, |i| rates[i]);
    let ref_large = best(&groups, &large, |i| rates[i]).or(ref_all);
    let judged_ref = match policy.reference {
        ReferenceChoice::All => ref_all,
        ReferenceChoice::ExcludingSmall => ref_large,
    };
    let ratio_to = |i: usize, r: Option<usize>| match r {
        Some(r) => Metric::ratio(rates[i], rates[r]),
        None => Metric::NotComputable,
    };

    // Comparisons against the judging reference, and Holm across them.
    let mut intervals = vec![None; groups.len()];
    let mut p_values = vec![Metric::NotApplicable; groups.len()];
    let mut p_adjusted = vec![Metric::NotApplicable; groups.len()];
    if let Some(r) = judged_ref {
        let rc = groups[r].counts;
        let mut family = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            if i == r {
                continue;
            }
            let c = g.counts;
            intervals[i] = stats::katz_interval(c.selected, c.n, rc.selected, rc.n, z);
            let p = stats::fisher_exact(
                c.selected,
                c.n - c.selected,
                rc.selected,
                rc.n - rc.selected,
            );
            p_values[i] = Metric::Value(p);
            family.push(i);
        }
        let adjusted = stats::holm(
            &family
                .iter()
                .map(|&i| p_values[i].value().unwrap_or(1.0))
                .collect::<Vec<_>>(),
        );
        for (&i, p) in family.iter().zip(adjusted) {
            p_adjusted[i] = Metric::Value(p);
        }
    }

    // Scores: scoring rate, its reference, distribution gaps.
    let scoring_rates: Vec<Metric> = groups
        .iter()
        .map(|g| match (&g.scores, median) {
            (Some(s), Some(m)) => {
                let above = s.len() - s.partition_point(|&x| x <= m);
                Metric::ratio(above as f64, s.len() as f64)
            }
            _ => Metric::NotComputable,
        })
        .collect();
    let scoring_ref = if columns.scores {
        let pool = match policy.reference {
            ReferenceChoice::All => &all,
            ReferenceChoice::ExcludingSmall if large.is_empty() => &all,
            ReferenceChoice::ExcludingSmall => &large,
        };
        best(&groups, pool, |i| scoring_rates[i].value().unwrap_or(0.0))
    } else {
        None
    };

    let mut out_groups = BTreeMap::new();
    let mut reasons = Vec::new();
    let mut judged = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let c = g.counts;
        let ir_judged = ratio_to(i, judged_ref);
        let insufficient = match judged_ref {
            Some(r) => {
                let rc = groups[r].counts;
                c.n < policy.min_group_size
                    || rc.n < policy.min_group_size
                    || (i != r && min_expected(&c, &rc) < policy.min_expected_count)
            }
            None => true,
        };
        let tpr = if columns.labels {
            Metric::ratio(c.true_positives as f64, c.positives as f64)
        } else {
            Metric::NotComputable
        };
        let fpr = if columns.labels {
            Metric::ratio(
                (c.selected - c.true_positives) as f64,
                (c.n - c.positives) as f64,
            )
        } else {
            Metric::NotComputable
        };
        let (scoring_ir, mean_diff, ks) = match (scoring_ref, &g.scores) {
            (Some(r), Some(s)) => {
                let rs = groups[r].scores.as_deref().unwrap_or(&[]);
                let sir = match (scoring_rates[i], scoring_rates[r]) {
                    (Metric::Value(a), Metric::Value(b)) => Metric::ratio(a, b),
                    _ => Metric::NotComputable,
                };
                if i == r {
                    (sir, Metric::NotApplicable, Metric::NotApplicable)
                } else if c.n < policy.min_group_size || (rs.len() as u64) < policy.min_group_size {
                    (sir, Metric::InsufficientData, Metric::InsufficientData)
                } else {
                    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                    (
                        sir,
                        Metric::finite(mean(s) - mean(rs)),
                        stats::ks_distance(s, rs).map_or(Metric::NotComputable, Metric::Value),
                    )
                }
            }
            _ => (
                Metric::NotComputable,
                Metric::NotComputable,
                Metric::NotComputable,
            ),
        };

        let mut status;
        let mut practical = None;
        let mut below = false;
        if Some(i) == judged_ref {
            status = GroupStatus::Reference;
            judged.push(i);
        } else if small[i] && !policy.judge_small_groups {
            status = GroupStatus::Small;
            if let (Some(t), Metric::Value(ir), false) = (
                policy.warn.small_group_impact_ratio_below,
                ir_judged,
                insufficient,
            ) {
                if ir < t {
                    below = true;
                    reasons.push(Reason {
                        rule: "small_group_impact_ratio_below",
                        outcome: Verdict::Warn,
                        analysis: name.clone(),
                        group: Some(g.name.clone()),
                        metric: "impact_ratio",
                        value: ir,
                        interval: intervals[i],
                        threshold: t,
                        p_adjusted: p_adjusted[i].value(),
                        message: format!(
                            "small group `{}` ({} of the rows, not compared) has an impact ratio of {ir:.3}, under {t}",
                            g.name,
                            pct(c.n as f64 / n as f64)
                        ),
                    });
                }
            }
        } else if insufficient {
            status = GroupStatus::InsufficientData;
        } else {
            status = GroupStatus::Pass;
            judged.push(i);
            let ir = ir_judged.value();
            let upper = intervals[i].map(|iv| iv.upper);
            let padj = p_adjusted[i].value();
            if let (Some(ir), Some(upper), Some(p)) = (ir, upper, padj) {
                let f = &policy.fail;
                if upper < f.impact_ratio_upper_below && p < f.p_adjusted_below {
                    status = GroupStatus::Fail;
                    below = true;
                    reasons.push(Reason {
                        rule: "impact_ratio_significantly_below",
                        outcome: Verdict::Fail,
                        analysis: name.clone(),
                        group: Some(g.name.clone()),
                        metric: "impact_ratio",
                        value: ir,
                        interval: intervals[i],
                        threshold: f.impact_ratio_upper_below,
                        p_adjusted: Some(p),
                        message: format!(
                            "`{}` is selected at {} of the rate of `{}`; the {} interval {:.3}–{:.3} lies wholly under {} and the Holm-adjusted p-value {p:.3e} is under {}",
                            g.name,
                            pct(ir),
                            judged_ref.map_or("", |r| groups[r].name.as_str()),
                            pct(policy.confidence_level),
                            intervals[i].map_or(0.0, |v| v.lower),
                            upper,
                            f.impact_ratio_upper_below,
                            f.p_adjusted_below
                        ),
                    });
                }
            }
            if status == GroupStatus::Pass {
                if let (Some(t), Some(ir)) = (policy.warn.impact_ratio_below, ir) {
                    if ir < t {
                        status = GroupStatus::Warn;
                        below = true;
                        reasons.push(Reason {
                            rule: "impact_ratio_below",
                            outcome: Verdict::Warn,
                            analysis: name.clone(),
                            group: Some(g.name.clone()),
                            metric: "impact_ratio",
                            value: ir,
                            interval: intervals[i],
                            threshold: t,
                            p_adjusted: padj,
                            message: format!(
                                "`{}` has an impact ratio of {ir:.3}, under {t}, but the data do not show it beyond chance (interval up to {:.3}, Holm-adjusted p {})",
                                g.name,
                                upper.unwrap_or(f64::NAN),
                                padj.map_or("n/a".to_owned(), |p| format!("{p:.3e}"))
                            ),
                        });
                    }
                }
            }
            if let (Some(t), Metric::Value(sir)) =
                (policy.warn.scoring_impact_ratio_below, scoring_ir)
            {
                if sir < t && Some(i) != scoring_ref {
                    if status == GroupStatus::Pass {
                        status = GroupStatus::Warn;
                    }
                    reasons.push(Reason {
                        rule: "scoring_impact_ratio_below",
                        outcome: Verdict::Warn,
                        analysis: name.clone(),
                        group: Some(g.name.clone()),
                        metric: "scoring_impact_ratio",
                        value: sir,
                        interval: None,
                        threshold: t,
                        p_adjusted: None,
                        message: format!(
                            "`{}` scores above the median at {} of the rate of `{}`, under {t}",
                            g.name,
                            pct(sir),
                            scoring_ref.map_or("", |r| groups[r].name.as_str())
                        ),
                    });
                }
            }
        }
        if below {
            if let Some(r) = judged_ref {
                let rr = rates[r];
                let plus_two = (c.selected + 2).min(c.n) as f64 / c.n as f64;
                practical = Some(Practical {
                    shortfall_rate: overall_rate - rates[i],
                    shortfall_selections: overall_rate * c.n as f64 - c.selected as f64,
                    impact_ratio_with_two_more: Metric::ratio(plus_two, rr),
                });
            }
        }
        out_groups.insert(
            g.name.clone(),
            Group {
                n: c.n,
                selected: c.selected,
                share: c.n as f64 / n as f64,
                small: small[i],
                selection_rate: rates[i],
                selection_rate_interval: stats::wilson_interval(c.selected, c.n, z),
                impact_ratio: ratio_to(i, ref_all),
                impact_ratio_excluding_small: ratio_to(i, ref_large),
                impact_ratio_interval: intervals[i],
                p_value: p_values[i],
                p_adjusted: p_adjusted[i],
                positives: columns.labels.then_some(c.positives),
                tpr,
                fpr,
                scoring_rate: scoring_rates[i],
                scoring_impact_ratio: scoring_ir,
                mean_score_difference: mean_diff,
                ks_distance: ks,
                status,
                practical,
            },
        );
    }

    // fairlearn's group differences, over every group.
    let (dpd, dpr) = spread(rates.iter().map(|&r| Metric::Value(r)));
    let tprs: Vec<Metric> = out_groups.values().map(|g| g.tpr).collect();
    let fprs: Vec<Metric> = out_groups.values().map(|g| g.fpr).collect();
    let (eopd, _) = spread(tprs.iter().copied());
    let (fprd, _) = spread(fprs.iter().copied());
    let eod = match (eopd, fprd) {
        (Metric::Value(a), Metric::Value(b)) => Metric::Value(a.max(b)),
        _ => Metric::NotComputable,
    };
    // The warning rule looks at the judged groups only, so that a handful
    // of rows cannot raise it.
    if let (Some(t), true) = (policy.warn.equalized_odds_difference_above, columns.labels) {
        let pick = |f: fn(&Group) -> Metric| {
            judged
                .iter()
                .map(|&i| f(&out_groups[&groups[i].name]))
                .collect::<Vec<_>>()
        };
        let (a, _) = spread(pick(|g| g.tpr).into_iter());
        let (b, _) = spread(pick(|g| g.fpr).into_iter());
        if let (Metric::Value(a), Metric::Value(b)) = (a, b) {
            let v = a.max(b);
            if v > t {
                reasons.push(Reason {
                    rule: "equalized_odds_difference_above",
                    outcome: Verdict::Warn,
                    analysis: name.clone(),
                    group: None,
                    metric: "equalized_odds_difference",
                    value: v,
                    interval: None,
                    threshold: t,
                    p_adjusted: None,
                    message: format!(
                        "true- and false-positive rates of the judged groups differ by up to {v:.3}, over {t}"
                    ),
                });
            }
        }
    }
    if judged.len() < 2 {
        reasons.push(Reason {
            rule: "nothing_to_judge",
            outcome: Verdict::Warn,
            analysis: name.clone(),
            group: None,
            metric: "judged_groups",
            value: judged.len().saturating_sub(1) as f64,
            interval: None,
            threshold: 1.0,
            p_adjusted: None,
            message: if selected == 0 {
                "nobody was selected, so no group can be compared".to_owned()
            } else {
                "no group besides the reference has enough data to be judged".to_owned()
            },
        });
    }
    let verdict = reasons
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Verdict::Pass);
    Analysis {
        name,
        attributes,
        n,
        selected,
        selection_rate: overall,
        n_unknown_excluded,
        reference_group: ref_all.map(|i| groups[i].name.clone()),
        reference_group_excluding_small: ref_large.map(|i| groups[i].name.clone()),
        judged_against: judged_ref.map(|i| groups[i].name.clone()),
        demographic_parity_difference: dpd,
        demographic_parity_ratio: dpr,
        equal_opportunity_difference: if columns.labels {
            eopd
        } else {
            Metric::NotComputable
        },
        equalized_odds_difference: if columns.labels {
            eod
        } else {
            Metric::NotComputable
        },
        scoring_reference_group: scoring_ref.map(|i| groups[i].name.clone()),
        groups: out_groups,
        verdict,
        reasons,
    }
}

/// Assembles the audit from its analyses.
pub(super) fn audit(
    attributes: Vec<String>,
    n_rows: u64,
    selected: u64,
    columns: Columns,
    analyses: Vec<Analysis>,
    policy: &FairnessPolicy,
) -> FairnessAudit {
    let n_unknown_excluded = analyses
        .iter()
        .filter(|a| a.attributes.len() == 1)
        .map(|a| (a.name.clone(), a.n_unknown_excluded))
        .collect();
    let verdict = analyses
        .iter()
        .map(|a| a.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    FairnessAudit {
        policy_version: policy.version.clone(),
        attributes,
        n_rows,
        selected,
        labels: columns.labels,
        scores: columns.scores,
        n_unknown_excluded,
        analyses,
        verdict,
    }
}
