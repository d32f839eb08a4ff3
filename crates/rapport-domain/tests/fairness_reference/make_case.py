"""Builds the committed fairness reference case, `case.csv`.

Run from this directory with the interpreter named in requirements.txt:
    python make_case.py
The output is fixed by the seed; the CSV is committed, so this script only
documents how the case was made.

4,000 customers with two protected attributes (gender, age_band) including
unknowns (empty, `NA`, `unknown`) and a small group (non_binary, about
1.5 % of the rows), a true outcome label, a score rounded to three decimals
(so that ties occur) and a decision. Scores are lower for older age bands,
so that the decision fails the four-fifths rule for some groups and passes
for others.
"""

import numpy as np

rng = np.random.default_rng(20261123)
N = 4000

gender = rng.choice(
    ["female", "male", "non_binary", "", "NA"],
    size=N,
    p=[0.47, 0.475, 0.015, 0.02, 0.02],
)
age = rng.choice(
    ["18-24", "25-34", "35-44", "45-54", "55-64", "65+", "", "unknown"],
    size=N,
    p=[0.12, 0.22, 0.22, 0.18, 0.14, 0.10, 0.01, 0.01],
)
age_effect = {
    "18-24": 0.1, "25-34": 0.15, "35-44": 0.1, "45-54": 0.0,
    "55-64": -0.25, "65+": -0.75, "": 0.0, "unknown": 0.0,
}
gender_effect = {"female": -0.05, "male": 0.0, "non_binary": -0.3, "": 0.0, "NA": 0.0}
label = (rng.random(N) < 0.3).astype(int)
score = (
    0.9 * label
    + rng.normal(0.0, 1.0, N)
    + np.array([age_effect[a] for a in age])
    + np.array([gender_effect[g] for g in gender])
)
score = np.round(score, 3)
decision = ((score + rng.normal(0.0, 0.3, N)) > 0.75).astype(int)

with open("case.csv", "w", encoding="utf-8") as f:
    f.write("customer_id,gender,age_band,label,score,decision\n")
    for i in range(N):
        f.write(f"R{i + 1:05d},{gender[i]},{age[i]},{label[i]},{score[i]:.3f},{decision[i]}\n")
