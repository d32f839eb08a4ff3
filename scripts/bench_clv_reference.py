#!/usr/bin/env python3
"""The `clv` plugin's work done with `lifetimes`, for scripts/bench-clv.sh.

Versions: lifetimes 0.11.3, numpy 1.26.4, scipy 1.11.4, pandas 1.5.3
(plugins/clv/reference/requirements.txt).

    bench_clv_reference.py cdnow CDNOW_sample.txt [RUNS]    # or CDNOW_master.txt
    bench_clv_reference.py csv transactions.csv YYYY-MM-DD [RUNS]

CDNOW is read as of 1997-09-30 (the 39-week calibration period), the 1/10
sample (master id, sample id, date, CDs, dollars) or the full cohort (id,
date, CDs, dollars, after a header line). Run it with
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 (bench-clv.sh
does) so that it uses one core like the plugin.

Times, from transactions already in memory as a DataFrame (file reading is
not timed, as the Rust side starts from records in memory too):
summarising per customer (x, t_x, T, mean repeat spend, purchases
aggregated per day, in weeks), fitting BG/NBD and Gamma-Gamma, and per
customer the expected purchases over 52 weeks, P(alive), the expected spend
and a 12-month CLV at 1 % a month. The plugin additionally computes churn
risk, bands and a 16-evaluation Shapley explanation per customer, which
lifetimes does not offer. Prints the median of RUNS, as CPU time of the
process (time.process_time) and as wall time: on a shared machine the wall
time includes the time other processes held the core.
"""

import statistics
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data


def load(argv):
    if argv[1] == "cdnow":
        rows = []
        with open(argv[2]) as f:
            for line in f:
                p = line.split()
                if len(p) == 5:
                    rows.append((int(p[1]), p[2], float(p[4])))
                elif len(p) == 4 and p[0].isdigit():
                    rows.append((int(p[0]), p[1], float(p[3])))
        tx = pd.DataFrame(rows, columns=["id", "date", "amount"])
        tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
        return tx, "1997-09-30", argv[3:]
    tx = pd.read_csv(argv[2], usecols=["customer_id", "date", "amount"])
    tx = tx.rename(columns={"customer_id": "id"})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y-%m-%d")
    return tx, argv[3], argv[4:]


def clock(clocks):
    clocks.append((time.process_time(), time.perf_counter()))


def once(tx, as_of):
    c = []
    clock(c)
    s = summary_data_from_transaction_data(
        tx, "id", "date", monetary_value_col="amount",
        observation_period_end=as_of, freq="D", freq_multiplier=7)
    clock(c)
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    # Repeat customers with a positive mean spend, as the plugin fits
    # (the full cohort has one whose repeat purchases sum to 0).
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    clock(c)
    f, r, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    bgf.conditional_expected_number_of_purchases_up_to_time(52, f, r, T)
    bgf.conditional_probability_alive(f, r, T)
    ggf.conditional_expected_average_profit(f, m)
    ggf.customer_lifetime_value(bgf, f, r, T, m, time=12, discount_rate=0.01, freq="W")
    clock(c)
    # (total, summary, fit, per-customer) as (CPU, wall) seconds.
    span = lambda i, j: (c[j][0] - c[i][0], c[j][1] - c[i][1])
    return (span(0, 3), span(0, 1), span(1, 2), span(2, 3)), len(s)


def main():
    tx, as_of, rest = load(sys.argv)
    runs = int(rest[0]) if rest else 5
    results = [once(tx, as_of) for _ in range(runs)]
    n = results[0][1]
    med = lambda i, k: statistics.median(r[0][i][k] for r in results) * 1e3
    print(f"lifetimes, {n} customers, {len(tx)} transactions, median of {runs}")
    for k, what in ((0, "CPU"), (1, "wall")):
        print(f"  {what:<4} total {med(0, k):9.1f} ms  (summary {med(1, k):.1f} ms, fit {med(2, k):.1f} ms, "
              f"per-customer quantities {med(3, k):.1f} ms)  {med(0, k) * 1e3 / n:.2f} µs/customer")


if __name__ == "__main__":
    main()
