#!/usr/bin/env bash
# Builds the wasm modules into pkg/: cargo (wasm32, release) → wasm-opt
# (binaryen from npm; Debian's binaryen 108 emits a module that fails at load
# time, never use it). No generated glue: js/load.js calls the raw exports of
# src/wasm.rs and src/wasm/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh rust
[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund

log() { printf '[build] %s\n' "$*" >&2; }

# NOTE: the whole package (Node, Workers, gateways: throughput first) is built
# at opt-level 3; the stream-only module (what a chat UI downloads: size
# first) at opt-level "z". Measured on the stream module (2 shared cores,
# noisy): 3 → 137 KB (55.0 KB gzipped), "s" → 112 KB (48.3), "z" → 104 KB
# (45.8), sanitizing ~10-20% ("s") and ~30-40% ("z") slower than at 3, still
# faster than eventsource-parser from 1 KB chunks on. wasm-opt -O3, -Os and
# -Oz differ by <0.2%. The stream module's allocator is talc (feature
# small-alloc, see Cargo.toml). The producers and target_features custom
# sections (toolchain names, read by no runtime) are stripped: ~240 B a module.
# The stream module's control flow is also flattened and rebuilt by binaryen's
# relooper, then optimized twice more (`-O3 --flatten --rereloop -O3 -O3`):
# 94,467 → 93,513 B (42,121 → 41,793 gzipped), as fast in the sanitize and
# parse benches; -Oz around it is ~20 B smaller gzipped but ~10% slower;
# --converge, a second rereloop or -O2 instead of -O3 give more bytes.
# Both modules are compiled on a pinned nightly with std built from source
# and -Cpanic=immediate-abort (scripts/wasm.sh), the whole one with std's
# optimize_for_size: the whole module 525,231 → 493,894 B (217,134 → 202,761
# gzipped), the stream module 92,460 → 81,562 (41,644 → 36,947); parse,
# sanitize and every normalize shape as fast (`npm run bench`).
# SSE_SANITIZER_OPT overrides the wasm-opt level.
opt="${SSE_SANITIZER_OPT:--O3}"
# shellcheck source=scripts/wasm.sh
. scripts/wasm.sh
rm -rf pkg.tmp && mkdir pkg.tmp

# build NAME "CARGO" "WASM-OPT PASSES" [cargo args…]: one wasm module,
# pkg/NAME.wasm; CARGO is wasm_cargo_whole or `wasm_cargo_stream FEATURES`
# (scripts/wasm.sh).
build() {
  local name="$1" cargo="$2" passes="$3"
  shift 3
  log "$name: $cargo $*"
  # shellcheck disable=SC2086 # CARGO is a command and its words
  $cargo "$@"
  log "$name: wasm-opt $passes"
  # shellcheck disable=SC2086 # the passes are words
  wasm_opt "$WASM_TARGET_DIR/sse_sanitizer.wasm" "pkg.tmp/$name.wasm" $passes
}

# The whole package (entry `sse-sanitizer`) and the stream path alone (entry
# `sse-sanitizer/stream`), from the same sources. NOTE: the stream entry
# loads the parser and the sanitizer at once, and the accumulator (with it,
# the stream module was 35.3 KB gzipped; without, 26.3) only at the first
# accumulate(): a chat UI that pipes replies through createSanitizerStream()
# never downloads it.
build sse_sanitizer wasm_cargo_whole "$opt"
build sse_sanitizer_stream "wasm_cargo_stream sanitize" "$opt --flatten --rereloop $opt $opt"
build sse_sanitizer_accumulate "wasm_cargo_stream accumulate" "$opt --flatten --rereloop $opt $opt"
rm -rf pkg && mv pkg.tmp pkg
for f in pkg/*.wasm; do log "$f: $(wc -c < "$f") bytes"; done
