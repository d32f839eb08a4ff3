#!/usr/bin/env python3
"""Reference fit of the `clv` plugin's models with `lifetimes`, on CDNOW.

Library versions (Python 3.11.7), pinned in requirements.txt beside this file:
    lifetimes 0.11.3, numpy 1.26.4, scipy 1.11.4, pandas 1.5.3,
    autograd 1.6.2, dill 0.3.8

    python3 -m venv /tmp/lifetimes-venv
    /tmp/lifetimes-venv/bin/pip install -r plugins/clv/reference/requirements.txt
    /tmp/lifetimes-venv/bin/python plugins/clv/reference/lifetimes_cdnow.py \
        ../shared/data/cdnow/CDNOW_sample.txt plugins/clv/reference

Reads the 1/10 CDNOW sample (customer id = the sample id, 1..2357), builds
the BG/NBD summary (x, t_x, T in weeks, purchases aggregated per day, first
purchase excluded from x and from the mean spend) with
`summary_data_from_transaction_data` as of 1997-09-30 (the end of the 39-week
calibration period), fits `BetaGeoFitter` and `GammaGammaFitter` with their
defaults (no penalty) and writes what lifetimes computed, unconverted:

* `lifetimes_cdnow.csv`: per customer x, t_x, T, zbar (lifetimes'
  `monetary_value`, 0 for x = 0), expected repeat purchases over 52 weeks,
  P(alive), the Gamma-Gamma expected spend, and three CLVs over 12 months at
  1 % per month:
    - `clv_lifetimes_w`: `GammaGammaFitter.customer_lifetime_value(...,
      freq="W")`, lifetimes' own function, whose month is 4.345 weeks;
    - `clv_lifetimes_default`: the same with lifetimes' default `freq="D"`,
      whose "month" is 30 time units, i.e. 30 weeks on weekly data (the trap
      documented in shared/reference/cdnow-published.md);
    - `clv_month`: the same discounted sum, written out with lifetimes'
      `predict` and `conditional_expected_average_profit`, with a month of
      365.25 / 12 days = 4.348214... weeks, the plugin's definition.
* `lifetimes_cdnow.json`: the fitted parameters, the objective lifetimes
  reports (`_negative_log_likelihood_`: a MEAN over customers, for BG/NBD on
  time rescaled so that max T = 1), the rescaling factor, the number of
  customers and the sum of x, so that a test can convert explicitly.

Floats are written with repr (shortest round trip), so nothing is rounded.
"""

import json
import sys
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
import scipy
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

AS_OF = "1997-09-30"
HORIZON_WEEKS = 52.0
CLV_MONTHS = 12
DISCOUNT = 0.01
WEEKS_PER_MONTH = 365.25 / 12.0 / 7.0


def main(sample_path: str, out_dir: str) -> None:
    rows = []
    with open(sample_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 5:
                continue
            _master, sample_id, yyyymmdd, _cds, dollars = parts
            rows.append((int(sample_id), yyyymmdd, float(dollars)))
    tx = pd.DataFrame(rows, columns=["id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    summary = summary_data_from_transaction_data(
        tx, "id", "date", monetary_value_col="amount",
        observation_period_end=AS_OF, freq="D", freq_multiplier=7,
    ).sort_index()

    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[summary["frequency"] > 0]
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    ggf.fit(repeat["frequency"], repeat["monetary_value"])

    f, rec, T, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    out = pd.DataFrame(index=summary.index)
    out["x"] = f
    out["t_x"] = rec
    out["T"] = T
    out["zbar"] = m
    out["expected_purchases_52"] = bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, f, rec, T)
    out["p_alive"] = bgf.conditional_probability_alive(f, rec, T)
    spend = ggf.conditional_expected_average_profit(f, m)
    out["expected_spend"] = spend
    out["clv_lifetimes_w"] = ggf.customer_lifetime_value(
        bgf, f, rec, T, m, time=CLV_MONTHS, discount_rate=DISCOUNT, freq="W")
    out["clv_lifetimes_default"] = ggf.customer_lifetime_value(
        bgf, f, rec, T, m, time=CLV_MONTHS, discount_rate=DISCOUNT)
    clv = np.zeros(len(out))
    for k in range(1, CLV_MONTHS + 1):
        t1, t0 = k * WEEKS_PER_MONTH, (k - 1) * WEEKS_PER_MONTH
        purchases = bgf.predict(t1, f, rec, T) - bgf.predict(t0, f, rec, T)
        clv += np.asarray(spend * purchases) / (1.0 + DISCOUNT) ** k
    out["clv_month"] = clv

    out_path = Path(out_dir)
    with open(out_path / "lifetimes_cdnow.csv", "w") as fh:
        cols = list(out.columns)
        fh.write("id," + ",".join(cols) + "\n")
        for cid, row in out.iterrows():
            fh.write(str(cid) + "," + ",".join(repr(float(row[c])) for c in cols) + "\n")

    meta = {
        "versions": {
            "python": sys.version.split()[0],
            "lifetimes": lifetimes.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pandas": pd.__version__,
        },
        "as_of": AS_OF,
        "time_unit": "week (days / 7)",
        "customers": int(len(summary)),
        "repeat_customers": int(len(repeat)),
        "sum_x": float(summary["frequency"].sum()),
        "bgnbd": {
            "r": float(bgf.params_["r"]),
            "alpha": float(bgf.params_["alpha"]),
            "a": float(bgf.params_["a"]),
            "b": float(bgf.params_["b"]),
            "reported_negative_log_likelihood": float(bgf._negative_log_likelihood_),
            "reported_objective_is": "mean over customers, time rescaled by `time_scale`",
            "time_scale": float(bgf._scale),
        },
        "gamma_gamma": {
            "p": float(ggf.params_["p"]),
            "q": float(ggf.params_["q"]),
            "v": float(ggf.params_["v"]),
            "reported_negative_log_likelihood": float(ggf._negative_log_likelihood_),
            "reported_objective_is": "mean over repeat customers",
        },
        "expected_purchases_horizon_weeks": HORIZON_WEEKS,
        "clv": {
            "months": CLV_MONTHS,
            "discount_rate_per_month": DISCOUNT,
            "clv_lifetimes_w_weeks_per_month": 4.345,
            "clv_lifetimes_default_units_per_month": 30,
            "clv_month_weeks_per_month": WEEKS_PER_MONTH,
        },
    }
    with open(out_path / "lifetimes_cdnow.json", "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: lifetimes_cdnow.py CDNOW_sample.txt OUT_DIR")
    main(sys.argv[1], sys.argv[2])
