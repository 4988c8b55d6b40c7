#!/usr/bin/env bash
# `npm run profile -- [shape] [MiB] [runs]`: where normalize's time goes in
# the wasm module, by function, on one crafted body of `npm run bench --
# shapes` (benches/profile.js). The whole module is built as scripts/build.sh
# builds it, but with its function names kept (wasm-opt -g), into a scratch
# directory: pkg/ is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh rust
[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund

out="${TMPDIR:-/tmp}/sse-sanitizer-profile"
# shellcheck source=scripts/wasm.sh
. scripts/wasm.sh
echo "[profile] cargo +$WASM_TOOLCHAIN build --release --target wasm32-unknown-unknown, names kept" >&2
wasm_cargo_whole
rm -rf "$out" && mkdir -p "$out"
wasm_opt "$WASM_TARGET_DIR/sse_sanitizer.wasm" "$out/sse_sanitizer.wasm" -O3 -g
exec node benches/profile.js "$out" "$@"
