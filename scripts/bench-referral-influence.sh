#!/usr/bin/env bash
# Referral influence on N generated customers (default 1,000,000; referral
# edges drawn with `rapport generate`'s rule): the first-party plugin's fit
# and batched score, natively, beside networkx computing the same reach by
# hop, articulation points and brokers on the same edges, in the same run.
# Both print the same check figures, which must agree.
#
#   bash scripts/bench-referral-influence.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; customers: $N; commit $(git rev-parse --short HEAD)"
echo "== rapport referral-influence (native, one core)"
cargo bench --quiet -p rapport-referral-influence --bench million -- "$N" "$WORK/edges.csv"
python3 -c "import networkx" 2>/dev/null || python3 -m pip install --quiet networkx
echo "== networkx $(python3 -c 'import networkx; print(networkx.__version__)')"
python3 scripts/bench_referral_reference.py "$WORK/edges.csv" "$N"
