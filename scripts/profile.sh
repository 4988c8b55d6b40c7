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
target="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"
echo "[profile] cargo build --release --target wasm32-unknown-unknown, names kept" >&2
cargo build --quiet --release --lib --target wasm32-unknown-unknown
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name sse_sanitizer "$target/sse_sanitizer.wasm"
node_modules/.bin/wasm-opt -O3 -g --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  "$out/sse_sanitizer_bg.wasm" -o "$out/sse_sanitizer_bg.wasm"
exec node benches/profile.js "$out" "$@"
