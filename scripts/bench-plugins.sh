#!/usr/bin/env bash
# Plugin benchmark, end to end: N generated customers (default 1,000,000)
# and their transactions are imported, the first-party `rfm` plugin is
# installed, and `rapport run` reads the store, decides consent, builds the
# granted inputs, runs the sandboxed component on both cores and stores
# every output with its explanation. Beside it, the same RFM segmentation in
# pandas (what a data scientist would otherwise write) on the same CSV files,
# in the same run.
#
#   bash scripts/bench-plugins.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
cargo build --release --quiet
BIN=$PWD/target/release/rapport
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
R=("$BIN" --data-dir "$WORK/data" --identity "$WORK/id.txt")

measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user + %S s system CPU, %M KiB peak RSS" "$@" >/dev/null
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); customers: $N; commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%dT%H:%MZ)"
"$BIN" generate --customers "$N" --seed 1 --out "$WORK/sample" >/dev/null
"${R[@]}" init >/dev/null
"${R[@]}" tenant create bench >/dev/null
echo "privacy notice v1" >"$WORK/notice1.txt"
echo "privacy notice v2" >"$WORK/notice2.txt"
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/notice1.txt" >/dev/null
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/notice2.txt" >/dev/null
for kind in customers transactions consents; do
    "${R[@]}" import --tenant bench --kind "$kind" "$WORK/sample/$kind.csv" >/dev/null
done
"${R[@]}" plugin publish "$PWD/plugins/dist/rfm-0.2.0.rpkg" >/dev/null
"${R[@]}" plugin install --tenant bench rfm@0.2.0 --purpose analytics_profiling >/dev/null
measure "rapport run rfm (store -> consent -> plugin -> store)" \
    "${R[@]}" run --tenant bench --plugin rfm --as-of 2026-06-30T00:00:00Z
"${R[@]}" run list --tenant bench --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print("  %d customers scored, %d left out by consent, %d batches, fuel %d, plugin peak memory %.0f MiB" % (r["subjects"], r["excluded_by_consent"], r["batches"], r["fuel_used"], r["peak_memory_bytes"] / 2**20))'


python3 -c "import pandas" 2>/dev/null || python3 -m pip install --quiet pandas
echo "== pandas $(python3 -c 'import pandas; print(pandas.__version__)')"
measure "pandas rfm (read CSV -> quintiles -> segments)" \
    python3 scripts/bench_rfm_reference.py "$WORK/sample/transactions.csv" "$WORK/sample/customers.csv" 2026-06-30
