#!/usr/bin/env bash
# Consent benchmarks: the pure decision function (cargo bench), and consent
# decisions for every customer of a generated tenant read from the store
# (`rapport consent summary`), N customers (default 1,000,000).
#
#   bash scripts/bench-consent.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
echo "== decision function (cargo bench -p rapport-domain)"
cargo bench --quiet -p rapport-domain --bench decide 2>/dev/null | grep -i "decisions"
cargo build --release --quiet
BIN=$PWD/target/release/rapport
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
R=("$BIN" --data-dir "$WORK/data" --identity "$WORK/id.txt")
"$BIN" generate --customers "$N" --seed 1 --out "$WORK/sample" >/dev/null
"${R[@]}" init >/dev/null
"${R[@]}" tenant create bench >/dev/null
printf 'notice v1\n' > "$WORK/n1.txt"; printf 'notice v2\n' > "$WORK/n2.txt"
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/n1.txt" >/dev/null
"${R[@]}" notice publish --tenant bench --id privacy-notice --file "$WORK/n2.txt" >/dev/null
"${R[@]}" import --tenant bench --kind customers "$WORK/sample/customers.csv"
"${R[@]}" import --tenant bench --kind consents "$WORK/sample/consents.csv"
for purpose in direct_marketing_email sale_of_data; do
    /usr/bin/time -f "consent summary $purpose: %e s wall, %M KiB peak RSS" \
        "${R[@]}" consent summary --tenant bench --purpose "$purpose" --at 2025-01-01T00:00:00Z
done
