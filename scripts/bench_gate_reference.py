"""The gate's arithmetic in pandas, the way a data scientist would check a
campaign list by hand, for the side-by-side benchmark in
scripts/bench-gate.sh: read the customers and consent CSV files, keep the
latest record per customer for the purpose, leave out everyone whose latest
record is not a grant, and compute the selection rate and impact ratio per
gender, age band and their intersection against the consented population.

It reads plaintext files and decides far less than the gate (no
jurisdictions, no Global Privacy Control, no notices, no expiry, no
category opt-outs, no evidence kept), so it is a floor, not an equivalent.

    python3 scripts/bench_gate_reference.py customers.csv consents.csv list.txt PURPOSE
"""
import sys

import pandas as pd

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
    rates = eligible.groupby(attribute)["selected"].mean()
    ratios = rates / rates.max()
    print(attribute, ratios.round(3).to_dict(), file=sys.stderr)
print(
    f"listed {len(listed)}, eligible {len(eligible)}, selected {int(eligible['selected'].sum())}",
    file=sys.stderr,
)
