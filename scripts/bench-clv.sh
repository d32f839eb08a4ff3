#!/usr/bin/env bash
# Lifetime-value benchmark: the first-party `clv` plugin's fit plus scoring
# against `lifetimes` 0.11.3 in the same run, on the same data.
#
#   [ROUNDS=R] bash scripts/bench-clv.sh [N]   # N generated customers, default 1,000,000
#
# 1. CDNOW, the 1/10 sample and the full cohort (../shared/data/cdnow/,
#    skipped when absent), as of 1997-09-30: the plugin natively and as the
#    sandboxed component through the host (cargo bench clv_wasm_vs_native),
#    then lifetimes doing the summary, both fits and the per-customer
#    quantities (scripts/bench_clv_reference.py), on one thread each; the
#    two alternate for ROUNDS rounds (default 3) and the median of the
#    per-round ratios is printed.
# 2. N customers from `rapport generate`: the same plugin timings; lifetimes
#    too when LIFETIMES_N=1 (slow).
# 3. The whole `rapport run` on those N customers after importing them with
#    their consents: store -> consent -> plugin in the sandbox on both cores
#    -> every output stored.
#
# lifetimes runs in a virtualenv (default /tmp/lifetimes-venv, created with
# plugins/clv/reference/requirements.txt when missing: lifetimes 0.11.3,
# numpy 1.26.4, scipy 1.11.4, pandas 1.5.3, Python 3.11).
#
# Both sides report CPU time (the process's for lifetimes, the benchmark
# thread's for the plugin) and wall time; the load average is printed
# before each step, since on a shared machine wall times include waiting
# for a core.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
ROUNDS=${ROUNDS:-3}
if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
    echo "ROUNDS must be a whole number of rounds, at least 1, not '$ROUNDS'" >&2
    exit 2
fi
VENV=${LIFETIMES_VENV:-/tmp/lifetimes-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import lifetimes" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r plugins/clv/reference/requirements.txt
fi
PY="$VENV/bin/python"
# One core for numpy/scipy, as for the plugin.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
load() { echo "   (load average: $(cut -d' ' -f1-3 /proc/loadavg))"; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(free -g | awk '/Mem/{print $2}') GiB; commit $(git rev-parse --short HEAD); $(date -u +%F)"
cargo build --release --quiet -p rapport
# cargo runs a bench in its crate's folder, so paths are made absolute.
bench() { cargo bench --quiet -p rapport-plugin --bench clv_wasm_vs_native -- "$@"; }

# The CDNOW comparison alternates the two sides ROUNDS times (default 3):
# on a shared machine a burst of load then slows one round of both rather
# than all of one side, and the median of the per-round ratios is the
# figure to quote.
ms() { awk -v pat="$1" '$0 ~ pat { for (i = 1; i <= NF; i++) if ($i == "ms") { print $(i - 1); exit } }'; }
for CDNOW in ../shared/data/cdnow/CDNOW_sample.txt ../shared/data/cdnow/CDNOW_master.txt; do
    if [ -f "$CDNOW" ]; then
        echo "== CDNOW $(basename "$CDNOW"), as of 1997-09-30, $ROUNDS rounds"
        file=$(realpath "$CDNOW")
        ratios=()
        for round in $(seq "$ROUNDS"); do
            echo "-- round $round"
            load
            plugin=$(bench cdnow "$file" 21)
            echo "$plugin"
            load
            reference=$("$PY" scripts/bench_clv_reference.py cdnow "$CDNOW" 5)
            echo "$reference"
            sandbox_ms=$(echo "$plugin" | ms '^ *wasm +CPU')
            lifetimes_ms=$(echo "$reference" | ms '^ *CPU +total')
            for found in "plugin bench:$sandbox_ms" "lifetimes script:$lifetimes_ms"; do
                if [ -z "${found#*:}" ]; then
                    echo "round $round: no CPU time found in the output of the ${found%%:*}" >&2
                    exit 1
                fi
            done
            ratio=$(awk -v l="$lifetimes_ms" -v s="$sandbox_ms" 'BEGIN { printf "%.1f", l / s }')
            ratios+=("$ratio")
            echo "   round $round: lifetimes $lifetimes_ms ms / clv in the sandbox $sandbox_ms ms = ${ratio}x (CPU)"
        done
        median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        echo "   $(basename "$CDNOW"): sandbox vs lifetimes, CPU, per round: ${ratios[*]}; median ${median}x (target >= 50x)"
    else
        echo "== CDNOW skipped: $CDNOW not found"
    fi
done

BIN=$PWD/target/release/rapport
echo "== $N generated customers, as of 2024-12-31"
"$BIN" generate --customers "$N" --seed 1 --out "$WORK/sample" >/dev/null
load
bench csv "$WORK/sample/transactions.csv" 2024-12-31 3
if [ "${LIFETIMES_N:-0}" = 1 ]; then
    "$PY" scripts/bench_clv_reference.py csv "$WORK/sample/transactions.csv" 2024-12-31 1
fi

echo "== rapport run clv on $N customers (imported with their consents)"
R=("$BIN" --data-dir "$WORK/data" --identity "$WORK/id.txt")
"${R[@]}" init >/dev/null
"${R[@]}" tenant create bench >/dev/null
echo "privacy notice v1" >"$WORK/notice1.txt"
echo "privacy notice v2" >"$WORK/notice2.txt"
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/notice1.txt" >/dev/null
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/notice2.txt" >/dev/null
for kind in customers transactions consents; do
    "${R[@]}" import --tenant bench --kind "$kind" "$WORK/sample/$kind.csv" >/dev/null
done
"${R[@]}" plugin publish "$PWD/plugins/dist/clv-0.1.0.rpkg" >/dev/null
"${R[@]}" plugin install --tenant bench clv@0.1.0 --purpose analytics_profiling --memory-mib 4096 >/dev/null
load
/usr/bin/time -f "rapport run clv (store -> consent -> plugin -> store): %e s wall, %U s user + %S s system CPU, %M KiB peak RSS" \
    "${R[@]}" run --tenant bench --plugin clv --as-of 2024-12-31T00:00:00Z >/dev/null
"${R[@]}" run list --tenant bench --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print("  %s: %d customers scored, %d left out by consent, %d batches, fuel %d, plugin peak memory %.0f MiB, %d ms in the run" % (r["status"], r["subjects"], r["excluded_by_consent"], r["batches"], r["fuel_used"], r["peak_memory_bytes"] / 2**20, r["duration_ms"]))'
