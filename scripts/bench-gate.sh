#!/usr/bin/env bash
# Gate benchmark: a campaign to N customers (default 1,000,000) of a
# generated tenant. The tenant is generated, imported (customers,
# transactions, consents) and segmented by the first-party `rfm` plugin,
# then `rapport action request` is timed for every customer listed by
# external id (`--subjects`, a campaign of N people), for the largest rfm
# segment (`--segment`), and `rapport action replay` for the N-person
# verdict. Every request includes the fairness step: the protected
# attributes of the eligible population are opened, counted per combination
# of values, and audited by the fairness statistics (rates, Wilson and Katz
# intervals, Fisher's exact tests with Holm's correction, per attribute and
# per intersection) under the bundle's fairness policy. Beside it, in the
# same run, the same list checked in pandas and scipy (latest consent per
# customer, rates, impact ratios and Fisher's exact tests with Holm's
# correction per group), which decides far less (see
# scripts/bench_gate_reference.py).
#
# Python packages go into a venv under /tmp (RAPPORT_GATE_BENCH_VENV,
# default /tmp/rapport-gate-bench-venv) with the versions pinned in the
# reference script's header.
#
#   bash scripts/bench-gate.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
VENV=${RAPPORT_GATE_BENCH_VENV:-/tmp/rapport-gate-bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet pandas==3.1.1 scipy==1.17.1 numpy==2.4.6
fi
PY=$VENV/bin/python
cargo build --release --quiet
BIN=$PWD/target/release/rapport
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
R=("$BIN" --data-dir "$WORK/data" --identity "$WORK/id.txt")

measure() { # label, command...
    local label=$1; shift
    # CPU time beside wall time: on a shared machine the wall time stretches
    # with the load, the CPU time much less.
    /usr/bin/time -f "$label: %e s wall, %U s user + %S s sys CPU, %M KiB peak RSS" "$@" >/dev/null
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
"${R[@]}" plugin install --tenant bench rfm@0.2.0 --purpose analytics_profiling \
    --memory-mib 1024 --wall-ms 600000 --fuel-base 1000000000 --fuel-per-subject 2000 >/dev/null
"${R[@]}" run --tenant bench --plugin rfm --as-of 2026-06-30T00:00:00Z >/dev/null
RUN=$("${R[@]}" run list --tenant bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run"])')
SEGMENT=$("${R[@]}" scores --tenant bench --run "$RUN" --limit 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["labels"][0][0])')
tail -n +2 "$WORK/sample/customers.csv" | cut -d, -f1 >"$WORK/all.txt"

measure "action request, $N customers listed (--subjects)" \
    "${R[@]}" action request --tenant bench --kind email_campaign --purpose direct_marketing_email --subjects "$WORK/all.txt"
ACTION=$("${R[@]}" action list --tenant bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["action"])')
"${R[@]}" action show "$ACTION" --json | python3 -c 'import json,sys; v=json.load(sys.stdin); c=v["verdict"]["counts"]; f=v["verdict"]["fairness"]; print("  verdict %s: %d targeted, %d included, %d excluded; population %d, eligible %d; fairness %s (%d analyses, %d reasons, %d groups flagged)" % (v["outcome"], c["targeted"], c["included"], c["excluded"], c["population"], c["eligible"], f["outcome"], len((f.get("audit") or {}).get("analyses", {})), len(f["reasons"]), len(f["insufficient_groups"])))'
measure "action replay of that verdict" "${R[@]}" action replay "$ACTION"
"${R[@]}" action replay "$ACTION" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("  replay: %s, fairness finding matches: %s" % (r["verdict"], r["fairness_matches"]))'
measure "action request, rfm segment $SEGMENT of $RUN (--segment)" \
    "${R[@]}" action request --tenant bench --kind email_campaign --purpose direct_marketing_email --segment "$SEGMENT" --run "$RUN"
"${R[@]}" action list --tenant bench --json | python3 -c 'import json,sys; a=json.load(sys.stdin)[0]; print("  %d targeted, %d included" % (a["targeted"], a["included"]))'

echo "== pandas $("$PY" -c 'import pandas; print(pandas.__version__)'), scipy $("$PY" -c 'import scipy; print(scipy.__version__)')"
measure "pandas + scipy: latest consent per customer, rates, impact ratios and Fisher/Holm per group" \
    "$PY" scripts/bench_gate_reference.py "$WORK/sample/customers.csv" "$WORK/sample/consents.csv" "$WORK/all.txt" direct_marketing_email
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
