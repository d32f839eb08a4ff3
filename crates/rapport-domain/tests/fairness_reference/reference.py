"""Reference numbers for Rapport's fairness audit, from the libraries an
auditor would use, written to `golden.json` beside this script.

Versions (pinned in requirements.txt), Python 3.11.7:
    fairlearn 0.15.0, aif360 0.6.1, scipy 1.17.1, statsmodels 0.15.0,
    numpy 2.4.6, pandas 3.1.1, scikit-learn 1.9.1

Run from this directory:
    /tmp/fairvenv/bin/python reference.py

Where each number comes from:
    selection rate, TPR, FPR, counts     fairlearn.metrics.MetricFrame
    demographic-parity difference/ratio  fairlearn.metrics.demographic_parity_{difference,ratio}
    equal-opportunity difference         fairlearn.metrics.equal_opportunity_difference
    equalized-odds difference            fairlearn.metrics.equalized_odds_difference
    impact ratios                        aif360 BinaryLabelDatasetMetric.disparate_impact
    Wilson interval                      scipy.stats.binomtest(...).proportion_ci(method="wilson")
    impact-ratio interval (Katz)         scipy.stats.contingency.relative_risk(...).confidence_interval()
                                         (Haldane-Anscombe closed form when a group has no selection)
    Fisher's exact test                  scipy.stats.fisher_exact (two-sided)
    Holm's correction                    statsmodels.stats.multitest.multipletests(method="holm")
    median, means                        numpy
    Kolmogorov-Smirnov distance          scipy.stats.ks_2samp(...).statistic

Rapport's own definitions (reference-group choice and its tie-break, the
small-group share, the insufficient-data rule, the verdict rules of the
default policy) are written out below in plain Python so that the statuses
and verdicts are checked too.
"""

import json
import math
import warnings

import numpy as np
import pandas as pd
from aif360.datasets import BinaryLabelDataset
from aif360.metrics import BinaryLabelDatasetMetric
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from scipy.stats import binomtest, fisher_exact, ks_2samp
from scipy.stats.contingency import relative_risk
from scipy.special import ndtri
from statsmodels.stats.multitest import multipletests

warnings.filterwarnings("ignore")

POLICY = json.load(open("../../../../policies/fairness.json", encoding="utf-8"))
LEVEL = POLICY["confidence_level"]
MIN_N = POLICY["min_group_size"]
MIN_E = POLICY["min_expected_count"]
SMALL = POLICY["small_group_share"]
UNKNOWN = {"", "na", "n/a", "nan", "null", "none", "unknown", "<na>", "undisclosed",
           "prefer not to say", "prefer_not_to_say"}
CROSS = "\u00d7"


def known(values):
    return ~values.str.strip().str.lower().isin(UNKNOWN)


def best(groups, candidates, key):
    """Highest key; ties to the larger group, then the name sorting first."""
    return min(candidates, key=lambda g: (-key[g], -groups[g][0], g)) if candidates else None


def katz(a, n, c, m):
    if c == 0:
        return None
    if a == 0:
        z = ndtri(0.5 + 0.5 * LEVEL)
        a2, n2, c2, m2 = 0.5, n + 1.0, c + 0.5, m + 1.0
        rr = (a2 / n2) / (c2 / m2)
        se = math.sqrt(1 / a2 - 1 / n2 + 1 / c2 - 1 / m2)
        return [rr * math.exp(-z * se), rr * math.exp(z * se)]
    ci = relative_risk(a, n, c, m).confidence_interval(confidence_level=LEVEL)
    return [float(ci.low), float(ci.high)]


def min_expected(g, r):
    total = g[0] + r[0]
    sel = g[1] + r[1]
    return min(x / total for x in [g[0] * sel, g[0] * (total - sel), r[0] * sel, r[0] * (total - sel)])


def analyse(df, attrs, selected_col, overall_median):
    sub = df[np.logical_and.reduce([known(df[a]) for a in attrs])].copy()
    name = CROSS.join(attrs)
    sub["group"] = sub[attrs].apply(lambda r: CROSS.join(v.strip() for v in r), axis=1)
    y_true = sub["label"].to_numpy()
    y_pred = sub[selected_col].to_numpy()
    sf = sub[attrs] if len(attrs) > 1 else sub[attrs[0]]

    mf = MetricFrame(
        metrics={
            "count": count,
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=sf,
    )
    by = mf.by_group

    def key_of(idx):
        return CROSS.join(idx) if isinstance(idx, tuple) else idx

    groups = {}
    for idx, row in by.iterrows():
        g = key_of(idx)
        n = int(row["count"])
        if n == 0:
            continue
        s = int(round(row["selection_rate"] * n))
        groups[g] = (n, s)
    names = sorted(groups)
    N = sum(groups[g][0] for g in names)
    rates = {g: groups[g][1] / groups[g][0] for g in names}
    small = {g: groups[g][0] < SMALL * N for g in names}
    ref_all = best(groups, names, rates)
    large = [g for g in names if not small[g]]
    ref_large = best(groups, large, rates) or ref_all
    judged = ref_large

    # AIF360 on integer codes: the impact ratio of every group against both
    # references.
    codes = {g: i for i, g in enumerate(names)}
    ds = BinaryLabelDataset(
        df=pd.DataFrame({"g": sub["group"].map(codes).astype(float), "y": y_pred.astype(float)}),
        label_names=["y"],
        protected_attribute_names=["g"],
        favorable_label=1.0,
        unfavorable_label=0.0,
    )

    def di(g, ref):
        if rates[ref] == 0:
            return "not_computable"
        if g == ref:
            return 1.0
        m = BinaryLabelDatasetMetric(
            ds, unprivileged_groups=[{"g": codes[g]}], privileged_groups=[{"g": codes[ref]}]
        )
        return float(m.disparate_impact())

    z = ndtri(0.5 + 0.5 * LEVEL)
    family = [g for g in names if g != judged]
    pvals = {}
    for g in family:
        n, s = groups[g]
        rn, rs = groups[judged]
        pvals[g] = float(fisher_exact([[s, n - s], [rs, rn - rs]], alternative="two-sided").pvalue)
    padj = dict(zip(family, multipletests([pvals[g] for g in family], method="holm")[1])) if family else {}

    # fairlearn (through scikit-learn's zero_division default) reports a
    # rate of 0 for a group with no positives (or no negatives); Rapport
    # reports not_computable there, as the issue asks. Where the
    # denominator is zero the golden value is that string.
    positives = sub.groupby("group")["label"].sum().to_dict()

    def rate_or_not(g, col, denominator):
        if denominator == 0:
            return "not_computable"
        return float(by.loc[by.index[[key_of(i) for i in by.index].index(g)], col])

    scores = {g: np.sort(sub.loc[sub["group"] == g, "score"].to_numpy()) for g in names}
    srate = {g: float(np.mean(scores[g] > overall_median)) for g in names}
    sref = best(groups, large if large else names, srate)

    out_groups = {}
    reasons = []
    judged_set = []
    for g in names:
        n, s = groups[g]
        rn, rs = groups[judged]
        ci = binomtest(s, n).proportion_ci(confidence_level=LEVEL, method="wilson")
        ir = rates[g] / rates[judged] if rates[judged] > 0 else None
        interval = katz(s, n, rs, rn) if g != judged else None
        insufficient = n < MIN_N or rn < MIN_N or (g != judged and min_expected((n, s), (rn, rs)) < MIN_E)
        if g == sref:
            mean_diff = ks = "not_applicable"
        elif n < MIN_N or len(scores[sref]) < MIN_N:
            mean_diff = ks = "insufficient_data"
        else:
            mean_diff = float(np.mean(scores[g]) - np.mean(scores[sref]))
            ks = float(ks_2samp(scores[g], scores[sref]).statistic)
        sir = srate[g] / srate[sref] if srate[sref] > 0 else None

        status = None
        if g == judged:
            status = "reference"
            judged_set.append(g)
        elif small[g] and not POLICY["judge_small_groups"]:
            status = "small"
            t = POLICY["warn"]["small_group_impact_ratio_below"]
            if t is not None and ir is not None and not insufficient and ir < t:
                reasons.append({"rule": "small_group_impact_ratio_below", "group": g, "value": ir})
        elif insufficient:
            status = "insufficient_data"
        else:
            status = "pass"
            judged_set.append(g)
            f = POLICY["fail"]
            if ir is not None and interval[1] < f["impact_ratio_upper_below"] and padj[g] < f["p_adjusted_below"]:
                status = "fail"
                reasons.append({"rule": "impact_ratio_significantly_below", "group": g, "value": ir})
            t = POLICY["warn"]["impact_ratio_below"]
            if status == "pass" and t is not None and ir is not None and ir < t:
                status = "warn"
                reasons.append({"rule": "impact_ratio_below", "group": g, "value": ir})
            t = POLICY["warn"]["scoring_impact_ratio_below"]
            if t is not None and sir is not None and sir < t and g != sref:
                status = "warn" if status == "pass" else status
                reasons.append({"rule": "scoring_impact_ratio_below", "group": g, "value": sir})

        out_groups[g] = {
            "n": n,
            "selected": s,
            "small": bool(small[g]),
            "selection_rate": float(by.loc[by.index[[key_of(i) for i in by.index].index(g)], "selection_rate"]),
            "selection_rate_interval": [float(ci.low), float(ci.high)],
            "impact_ratio": di(g, ref_all),
            "impact_ratio_excluding_small": di(g, ref_large),
            "impact_ratio_interval": interval,
            "p_value": pvals.get(g, "not_applicable"),
            "p_adjusted": float(padj[g]) if g in padj else "not_applicable",
            "tpr": rate_or_not(g, "tpr", positives[g]),
            "fpr": rate_or_not(g, "fpr", n - positives[g]),
            "scoring_rate": srate[g],
            "scoring_impact_ratio": sir,
            "mean_score_difference": mean_diff,
            "ks_distance": ks,
            "status": status,
        }

    t = POLICY["warn"]["equalized_odds_difference_above"]
    if t is not None and len(judged_set) > 0:
        jt = [out_groups[g]["tpr"] for g in judged_set if out_groups[g]["tpr"] != "not_computable"]
        jf = [out_groups[g]["fpr"] for g in judged_set if out_groups[g]["fpr"] != "not_computable"]
        v = max(max(jt) - min(jt), max(jf) - min(jf))
        if v > t:
            reasons.append({"rule": "equalized_odds_difference_above", "group": None, "value": v})
    if len(judged_set) < 2:
        reasons.append({"rule": "nothing_to_judge", "group": None, "value": max(len(judged_set) - 1, 0)})
    rules = {r["rule"] for r in reasons}
    verdict = "fail" if "impact_ratio_significantly_below" in rules else ("warn" if reasons else "pass")

    return name, {
        "n": N,
        "selected": int(sum(groups[g][1] for g in names)),
        "n_unknown_excluded": int(len(df) - len(sub)),
        "reference_group": ref_all,
        "reference_group_excluding_small": ref_large,
        "scoring_reference_group": sref,
        "demographic_parity_difference": float(demographic_parity_difference(y_true, y_pred, sensitive_features=sf)),
        "demographic_parity_ratio": float(demographic_parity_ratio(y_true, y_pred, sensitive_features=sf)),
        "equal_opportunity_difference": float(equal_opportunity_difference(y_true, y_pred, sensitive_features=sf)),
        "equalized_odds_difference": float(equalized_odds_difference(y_true, y_pred, sensitive_features=sf)),
        "groups": out_groups,
        "verdict": verdict,
        "reasons": reasons,
    }


def main():
    df = pd.read_csv("case.csv", dtype=str, keep_default_na=False)
    df["label"] = df["label"].astype(int)
    df["decision"] = df["decision"].astype(int)
    df["score"] = df["score"].astype(float)
    overall_median = float(np.median(df["score"].to_numpy()))

    # Top 25 % by score, every score tied with the cutoff included.
    k = math.ceil(25 * len(df) / 100)
    top = df["score"].nlargest(k, keep="all").index
    df["top_quarter"] = 0
    df.loc[top, "top_quarter"] = 1

    golden = {"case": "case.csv", "n_rows": len(df), "scenarios": {}}
    scenarios = [
        ("decision", "decision", False),
        ("top_percent_25", "top_quarter", False),
        # The same decisions under the default policy with
        # `judge_small_groups: true`: small groups are judged, and those
        # under `min_group_size` rows become insufficient_data.
        ("decision_judge_small", "decision", True),
    ]
    for scenario, col, judge_small in scenarios:
        POLICY["judge_small_groups"] = judge_small
        analyses = {}
        for attrs in (["gender"], ["age_band"], ["gender", "age_band"]):
            name, a = analyse(df, attrs, col, overall_median)
            analyses[name] = a
        verdicts = [a["verdict"] for a in analyses.values()]
        golden["scenarios"][scenario] = {
            "selected": int(df[col].sum()),
            "top_k_requested": k if col == "top_quarter" else None,
            "judge_small_groups": judge_small,
            "analyses": analyses,
            "verdict": "fail" if "fail" in verdicts else ("warn" if "warn" in verdicts else "pass"),
        }
    with open("golden.json", "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
