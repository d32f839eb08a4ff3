#!/usr/bin/env bash
# Vault field-sealing throughput, Rapport next to Python `cryptography`, in one run.
#   bash scripts/bench-vault.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install --quiet cryptography
echo "== rapport-vault (cargo bench -p rapport-vault)"
cargo bench --quiet -p rapport-vault --bench seal_open 2>/dev/null | grep ops/s
echo "== python cryptography $(python3 -c 'import cryptography; print(cryptography.__version__)')"
python3 scripts/bench_vault_reference.py
