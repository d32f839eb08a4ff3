"""RFM segmentation in pandas, the way a data scientist would write it, for
the side-by-side benchmark in scripts/bench-plugins.sh: read the customers
and transactions CSV files, compute recency, frequency and monetary value as
of a date, cut each into quintiles and name the segments."""
import sys

import pandas as pd

tx_path, customers_path, as_of = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])
tx = pd.read_csv(tx_path, usecols=["customer_id", "date", "amount"], parse_dates=["date"])
customers = pd.read_csv(customers_path, usecols=["id"])
tx = tx[tx["date"] <= as_of]
g = tx.groupby("customer_id").agg(last=("date", "max"), frequency=("date", "size"), monetary=("amount", "sum"))
rfm = customers.set_index("id").join(g, how="left")
rfm["recency"] = (as_of - rfm["last"]).dt.days
buyers = rfm["frequency"].notna()
r = pd.qcut(rfm.loc[buyers, "recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
f = pd.qcut(rfm.loc[buyers, "frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
m = pd.qcut(rfm.loc[buyers, "monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
fm = ((f + m) / 2).round().astype(int)
segment = pd.Series("hibernating", index=r.index)
segment[(r >= 4) & (fm >= 4)] = "champions"
segment[(r >= 3) & (fm >= 3) & (segment == "hibernating")] = "loyal"
segment[(r <= 2) & (fm >= 4)] = "at_risk"
segment[(r >= 4) & (fm <= 2)] = "new_customers"
rfm["segment"] = segment
rfm.loc[~buyers, "segment"] = "no_purchase"
print(rfm["segment"].value_counts().to_string(), file=sys.stderr)
