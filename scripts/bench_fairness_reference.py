"""The Python side of scripts/bench-fairness.sh: the data, fairlearn and a
numpy bincount baseline, timed on the same data as Rapport.

Versions: fairlearn 0.15.0, numpy 2.4.6, pandas 3.1.1, scikit-learn 1.9.1 on
Python 3.11.7 (crates/rapport-domain/tests/fairness_reference/requirements.txt).

    python bench_fairness_reference.py generate N DIR
        DIR/fair-N.bin: four uint8 columns of N values each (gender code,
        age band code, true outcome, decision), and DIR/fair-N.csv, the same
        rows as text with category names. Seeded: the same N gives the same
        data.
    python bench_fairness_reference.py memory N DIR [--fairlearn]
        In-memory arrays: the numpy bincount baseline (median of runs) and,
        with --fairlearn, fairlearn's MetricFrame (one run), each computing
        selection rate, TPR and FPR per group and the demographic-parity and
        equalized-odds differences for gender, age band and their
        intersection. Prints one JSON line.
    python bench_fairness_reference.py csv N DIR [--fairlearn]
        The whole job from the CSV file: pandas.read_csv, then the bincount
        baseline or (with --fairlearn) MetricFrame. Prints one JSON line.
"""

import json
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

warnings.filterwarnings("ignore")

GENDERS = ["female", "male", "non_binary"]
AGES = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]


def generate(n, out):
    rng = np.random.default_rng(7)
    g = rng.choice(3, size=n, p=[0.49, 0.49, 0.02]).astype(np.uint8)
    a = rng.choice(6, size=n, p=[0.12, 0.22, 0.22, 0.18, 0.14, 0.12]).astype(np.uint8)
    yt = (rng.random(n) < 0.3).astype(np.uint8)
    p = 0.15 + 0.35 * yt - 0.03 * a - 0.02 * g
    yp = (rng.random(n) < p).astype(np.uint8)
    np.concatenate([g, a, yt, yp]).tofile(f"{out}/fair-{n}.bin")
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "gender": np.array(GENDERS)[g],
            "age_band": np.array(AGES)[a],
            "outcome": yt,
            "decision": yp,
        }
    )
    frame.to_csv(f"{out}/fair-{n}.csv", index=False)


def load(n, out):
    raw = np.fromfile(f"{out}/fair-{n}.bin", dtype=np.uint8)
    return raw[:n], raw[n : 2 * n], raw[2 * n : 3 * n], raw[3 * n :]


def bincount_audit(g, a, yt, yp):
    """Per analysis: counts, selected, positives and true positives per
    group by np.bincount, then rates and the two differences."""
    g = g.astype(np.intp)
    a = a.astype(np.intp)
    tp_w = (yp & yt).astype(np.float64)
    yp_w = yp.astype(np.float64)
    yt_w = yt.astype(np.float64)
    out = {}
    for name, codes, k in (("gender", g, 3), ("age_band", a, 6), ("gender×age_band", g * 6 + a, 18)):
        n = np.bincount(codes, minlength=k)
        sel = np.bincount(codes, weights=yp_w, minlength=k)
        pos = np.bincount(codes, weights=yt_w, minlength=k)
        tp = np.bincount(codes, weights=tp_w, minlength=k)
        keep = n > 0
        n, sel, pos, tp = n[keep], sel[keep], pos[keep], tp[keep]
        rate = sel / n
        tpr = tp / pos
        fpr = (sel - tp) / (n - pos)
        out[name] = {
            "demographic_parity_difference": float(rate.max() - rate.min()),
            "equalized_odds_difference": float(max(np.ptp(tpr), np.ptp(fpr))),
        }
    return out


def fairlearn_audit(g, a, yt, yp):
    out = {}
    features = {
        "gender": g,
        "age_band": a,
        "gender×age_band": pd.DataFrame({"gender": g, "age_band": a}),
    }
    for name, sf in features.items():
        mf = MetricFrame(
            metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
            y_true=yt,
            y_pred=yp,
            sensitive_features=sf,
        )
        mf.by_group  # the per-group table a user reads
        out[name] = {
            "demographic_parity_difference": float(demographic_parity_difference(yt, yp, sensitive_features=sf)),
            "equalized_odds_difference": float(equalized_odds_difference(yt, yp, sensitive_features=sf)),
        }
    return out


def timed(f, runs):
    """Median wall-clock seconds of `runs` calls, the CPU seconds of that
    same call, and the result. CPU time is reported too because a shared
    machine's load stretches wall time but not CPU time."""
    samples, result = [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = f()
        samples.append((time.perf_counter() - t, time.process_time() - c))
    samples.sort()
    wall, cpu = samples[len(samples) // 2]
    return {"wall": wall, "cpu": cpu}, result


def main():
    cmd, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with_fairlearn = "--fairlearn" in sys.argv
    if cmd == "generate":
        generate(n, out)
        return
    report = {"n": n}
    if cmd == "memory":
        g, a, yt, yp = load(n, out)
        runs = 5 if n <= 1_000_000 else 3
        report["numpy_seconds"], report["numpy"] = timed(lambda: bincount_audit(g, a, yt, yp), runs)
        if with_fairlearn:
            report["fairlearn_seconds"], report["fairlearn"] = timed(lambda: fairlearn_audit(g, a, yt, yp), 1)
    elif cmd == "csv":
        def from_csv(f):
            frame = pd.read_csv(f"{out}/fair-{n}.csv")
            g = pd.Categorical(frame["gender"], categories=GENDERS).codes.astype(np.uint8)
            a = pd.Categorical(frame["age_band"], categories=AGES).codes.astype(np.uint8)
            yt = frame["outcome"].to_numpy(np.uint8)
            yp = frame["decision"].to_numpy(np.uint8)
            return f(g, a, yt, yp)

        report["pandas_numpy_seconds"], report["numpy"] = timed(lambda: from_csv(bincount_audit), 1)
        if with_fairlearn:
            report["pandas_fairlearn_seconds"], report["fairlearn"] = timed(lambda: from_csv(fairlearn_audit), 1)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
