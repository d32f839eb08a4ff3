"""The gate's arithmetic in pandas and scipy, the way a data scientist would
check a campaign list by hand, for the side-by-side benchmark in
scripts/bench-gate.sh: read the customers and consent CSV files, keep the
latest record per customer for the purpose, leave out everyone whose latest
record is not a grant, and, per gender, age band and their intersection
against the consented population, compute each group's selection rate, its
impact ratio against the most-selected group, and Fisher's exact test
against that group with Holm's correction across the groups.

It reads plaintext files and decides far less than the gate (no
jurisdictions, no Global Privacy Control, no notices, no expiry, no
category opt-outs, no intervals, no small-group rules, no evidence kept),
so it is a floor, not an equivalent.

Versions: pandas 3.1.1, scipy 1.17.1, numpy 2.4.6 on Python 3.11.7
(scripts/bench-gate.sh installs them into a venv under /tmp).

    python3 scripts/bench_gate_reference.py customers.csv consents.csv list.txt PURPOSE
"""
import sys

import pandas as pd
from scipy.stats import fisher_exact


def holm(p):
    """Holm's step-down adjustment, monotone, capped at 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


customers_path, consents_path, list_path, purpose = sys.argv[1:5]
customers = pd.read_csv(customers_path, usecols=["id", "gender", "age_band"], index_col="id")
consents = pd.read_csv(
    consents_path, usecols=["subject_id", "purpose", "status", "recorded_at"]
)
consents = consents[consents["purpose"] == purpose].sort_values("recorded_at")
latest = consents.groupby("subject_id")["status"].last()
eligible = customers.join(latest.rename("status"), how="inner")
eligible = eligible[eligible["status"] == "granted"].copy()
listed = pd.read_csv(list_path, header=None, names=["id"])["id"]
eligible["selected"] = eligible.index.isin(listed)
eligible["gender×age_band"] = eligible["gender"] + "×" + eligible["age_band"]
for attribute in ["gender", "age_band", "gender×age_band"]:
    groups = eligible.groupby(attribute)["selected"].agg(["sum", "count"])
    rates = groups["sum"] / groups["count"]
    reference = rates.idxmax()
    ratios = rates / rates.max()
    rs, rn = int(groups.loc[reference, "sum"]), int(groups.loc[reference, "count"])
    others = [g for g in groups.index if g != reference]
    p = [
        fisher_exact(
            [
                [int(groups.loc[g, "sum"]), int(groups.loc[g, "count"] - groups.loc[g, "sum"])],
                [rs, rn - rs],
            ]
        ).pvalue
        for g in others
    ]
    adjusted = dict(zip(others, holm(p)))
    failing = [g for g in others if ratios[g] < 0.8 and adjusted[g] < 0.05]
    print(attribute, ratios.round(3).to_dict(), "fails:", failing, file=sys.stderr)
print(
    f"listed {len(listed)}, eligible {len(eligible)}, selected {int(eligible['selected'].sum())}",
    file=sys.stderr,
)
