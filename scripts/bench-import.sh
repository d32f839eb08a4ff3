#!/usr/bin/env bash
# Import benchmark: N generated customers (default 1,000,000) and their
# transactions, into a fresh data directory, next to the sqlite3 shell's
# `.import` of the same CSV files (no validation, no encryption) as the
# baseline a user would otherwise reach for. Prints wall time and peak memory.
#
#   bash scripts/bench-import.sh [N]
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
    /usr/bin/time -f "$label: %e s wall, %M KiB peak RSS" "$@" >/dev/null
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; customers: $N"
measure "generate" "$BIN" generate --customers "$N" --seed 1 --out "$WORK/sample"
wc -l "$WORK"/sample/customers.csv "$WORK"/sample/transactions.csv | sed 's/^/  /'
"${R[@]}" init >/dev/null
"${R[@]}" tenant create bench >/dev/null
start=$(date +%s.%N)
measure "rapport import customers" "${R[@]}" import --tenant bench --kind customers "$WORK/sample/customers.csv"
measure "rapport import transactions" "${R[@]}" import --tenant bench --kind transactions "$WORK/sample/transactions.csv"
end=$(date +%s.%N)
echo "rapport total: $(echo "$end - $start" | bc) s"
measure "rapport re-import customers (unchanged)" "${R[@]}" import --tenant bench --kind customers "$WORK/sample/customers.csv"

if command -v sqlite3 >/dev/null; then
    start=$(date +%s.%N)
    measure "sqlite3 .import customers+transactions" sqlite3 "$WORK/baseline.db" \
        -cmd "PRAGMA journal_mode=WAL" -cmd "PRAGMA synchronous=NORMAL" \
        ".import --csv $WORK/sample/customers.csv customers" \
        ".import --csv $WORK/sample/transactions.csv transactions"
    end=$(date +%s.%N)
    echo "sqlite3 total: $(echo "$end - $start" | bc) s"
else
    echo "sqlite3 not installed: baseline skipped"
fi
