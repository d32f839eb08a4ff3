#!/usr/bin/env bash
# The test command: formatting, lints and every test of the workspace.
# Run from anywhere; it needs only the Rust toolchain that rust-toolchain.toml names.
set -euo pipefail
cd "$(dirname "$0")/.."

# The data-subject export tests decrypt with the real `age` tool (Debian
# package `age`); install it only when missing, and stop here if that fails.
if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
    { apt-get update && apt-get install -y age; } >&2 \
        || { echo "error: the age tool is missing and could not be installed (apt-get install age)" >&2; exit 1; }
fi

# rustup installs the components rust-toolchain.toml lists on first use;
# asking for them explicitly makes a missing one fail here, loudly.
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
        rustup component add "$component"
    fi
done

# Plugins and the hostile-plugin tests' components build for wasm32-wasip2,
# which rust-toolchain.toml lists; add it here too if rustup has not.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
