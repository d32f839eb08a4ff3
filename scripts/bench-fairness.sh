#!/usr/bin/env bash
# The fairness audit against fairlearn 0.15 and a numpy bincount baseline,
# in the same run, on the same data: selection rate, TPR and FPR per group
# and the demographic-parity and equalized-odds differences, for gender, age
# band and their intersection.
#
#   bash scripts/bench-fairness.sh [SIZES...]        # default: 10000 1000000 10000000
#
# Legs (all by default; choose with RAPPORT_BENCH_LEGS=memory,csv):
#   memory  in-memory columns on both sides: `cargo bench -p rapport-domain
#           --bench fairness` (the whole audit: tally and finish) against
#           numpy bincount (median of runs) and fairlearn MetricFrame (one run)
#   csv     the whole command from a CSV file: `rapport audit fairness
#           --input … --json` against pandas.read_csv + bincount and
#           pandas.read_csv + MetricFrame, each with its peak memory
#
# fairlearn needs tens of minutes at 10,000,000 rows; that leg runs only with
# RAPPORT_BENCH_FAIRLEARN_10M=1. Python packages go into a venv under /tmp
# (RAPPORT_BENCH_VENV) from the reference script's pinned requirements.
# Results are appended as JSON lines to $OUT/results.jsonl (OUT defaults to
# /tmp/rapport-bench-fairness).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-/tmp/rapport-bench-fairness}"
VENV="${RAPPORT_BENCH_VENV:-/tmp/rapport-bench-venv}"
LEGS="${RAPPORT_BENCH_LEGS:-memory,csv}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 1000000 10000000)
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$ROOT/crates/rapport-domain/tests/fairness_reference/requirements.txt"
fi
PY="$VENV/bin/python"
REF="$ROOT/scripts/bench_fairness_reference.py"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$ROOT" rev-parse --short HEAD); $(date -u +%Y-%m-%dT%H:%MZ)"

if [[ "$LEGS" == *memory* ]]; then
    cargo bench -q -p rapport-domain --bench fairness --no-run --manifest-path "$ROOT/Cargo.toml" 2>/dev/null
    BENCH=$(cargo bench -p rapport-domain --bench fairness --no-run --manifest-path "$ROOT/Cargo.toml" 2>&1 \
        | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
fi
if [[ "$LEGS" == *csv* ]]; then
    cargo build -q --release -p rapport --manifest-path "$ROOT/Cargo.toml"
    RAPPORT="$ROOT/target/release/rapport"
fi

for n in "${SIZES[@]}"; do
    [ -f "$OUT/fair-$n.bin" ] || "$PY" "$REF" generate "$n" "$OUT"
    fl=(--fairlearn)
    if [ "$n" -gt 1000000 ] && [ "${RAPPORT_BENCH_FAIRLEARN_10M:-0}" != 1 ]; then fl=(); fi

    if [[ "$LEGS" == *memory* ]]; then
        r=$(RAPPORT_FAIRNESS_DATA="$OUT/fair-$n.bin" "$BENCH")
        p=$("$PY" "$REF" memory "$n" "$OUT" "${fl[@]}")
        line=$("$PY" - "$r" "$p" <<'EOF'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
# The same numbers on every side, or the timing means nothing.
for side in ("numpy", "fairlearn"):
    for name, m in p.get(side, {}).items():
        for k, v in m.items():
            assert abs(r["rapport"][name][k] - v) < 1e-12, (side, name, k, v, r["rapport"][name][k])
out = {"leg": "memory", "n": r["n"], "rapport": r["rapport_seconds"], "numpy": p["numpy_seconds"]}
if "fairlearn_seconds" in p:
    out["fairlearn"] = p["fairlearn_seconds"]
print(json.dumps(out))
EOF
)
        echo "$line" | tee -a "$OUT/results.jsonl"
    fi

    if [[ "$LEGS" == *csv* ]]; then
        t0=$(date +%s.%N)
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$RAPPORT" audit fairness --input "$OUT/fair-$n.csv" \
            --protected gender,age_band --decision decision --label outcome --json >"$OUT/report-$n.json"
        read -r secs kib <"$OUT/time.txt"
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$PY" "$REF" csv "$n" "$OUT" "${fl[@]}" >"$OUT/pandas-$n.json"
        read -r psecs pkib <"$OUT/time.txt"
        line=$("$PY" - "$OUT/report-$n.json" "$OUT/pandas-$n.json" "$secs" "$kib" "$pkib" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
for side in ("numpy", "fairlearn"):
    for name, m in p.get(side, {}).items():
        for k, v in m.items():
            assert abs(report["analyses"][name][k] - v) < 1e-12, (side, name, k)
out = {"leg": "csv", "n": report["n_rows"], "rapport_wall": float(sys.argv[3]), "rapport_peak_kib": int(sys.argv[4]),
       "pandas_numpy": p["pandas_numpy_seconds"], "python_peak_kib": int(sys.argv[5])}
if "pandas_fairlearn_seconds" in p:
    out["pandas_fairlearn"] = p["pandas_fairlearn_seconds"]
print(json.dumps(out))
EOF
)
        echo "$line" | tee -a "$OUT/results.jsonl"
    fi
done
