#!/usr/bin/env bash
# Release of the first-party plugins: builds each one reproducibly (the same
# flags as `rapport_plugin::build`), packs it with its manifest and config
# schema, signs it with the first-party key and writes
# plugins/dist/ID-VERSION.rpkg, which the binary embeds. The secret key never
# enters the repository; plugins/first-party.pub is its public half. Keys
# retired from signing stay beside it (plugins/first-party-KEYID.pub) so that
# packages they signed still verify.
#
#   RAPPORT_FIRST_PARTY_KEY=/offline/first-party.key \
#   RAPPORT_PLUGIN_KEY_PASSPHRASE=... bash scripts/release-first-party.sh
#
# The test `first_party` (crates/rapport-plugin) fails until the packages in
# plugins/dist match their sources again.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${RAPPORT_FIRST_PARTY_KEY:?set RAPPORT_FIRST_PARTY_KEY to the first-party secret key file}"
export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
cargo build --release --quiet -p rapport
mkdir -p plugins/dist
# Every first-party plugin: a directory of plugins/ with a manifest (the
# test components under plugins/testing/ have none at that depth).
for dir in plugins/*/; do
    dir=${dir%/}
    [ -f "$dir/rapport-plugin.toml" ] || continue
    crate=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)
    id=$(sed -n 's/^id = "\(.*\)"/\1/p' "$dir/rapport-plugin.toml" | head -1)
    version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$dir/rapport-plugin.toml" | head -1)
    cargo build --quiet --profile plugin --target wasm32-wasip2 -p "$crate"
    out="plugins/dist/$id-$version.rpkg"
    target/release/rapport plugin pack "$dir" --out "$out" --key "$RAPPORT_FIRST_PARTY_KEY"
    target/release/rapport plugin verify "$out" --key plugins/first-party.pub
done
