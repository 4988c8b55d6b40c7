#!/usr/bin/env bash
# `npm test`: installs what is missing (once per machine), builds the package
# once, then runs every suite: Rust (native), the built package in Node,
# workerd (miniflare), Chromium (playwright-core), the LiteLLM end-to-end and
# the consumer matrix.
#
# `npm run test:quick` (`--quick`), the inner loop: the build, `cargo test`
# and the package tests that need neither Chromium, nor LiteLLM, nor the
# consumer installs; no setup beyond the Rust pieces, no fmt/clippy.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac
# The package test files left out of --quick (pkg-tests/<name>.test.js):
# Chromium, the demo in Chromium, LiteLLM, the consumer matrix.
SLOW="browser demo litellm consumers"

step() { printf '\n=== %s\n' "$*" >&2; }

step "setup (no-op when already installed)"
if [ "$QUICK" = 1 ]; then bash scripts/setup.sh rust; else bash scripts/setup.sh all; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "build"
bash scripts/build.sh

if [ "$QUICK" = 0 ]; then
  step "cargo fmt --check, clippy"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings
  for features in sanitize,small-alloc accumulate,small-alloc; do
    cargo clippy --quiet --lib --target wasm32-unknown-unknown --no-default-features --features "$features" -- -D warnings
  done

  step "cargo check fuzz/ (keeps the fuzz targets compiling; cached target dir)"
  CARGO_TARGET_DIR="${SSE_SANITIZER_CACHE:-$HOME/.cache/sse-sanitizer}/fuzz-target" \
    cargo check --quiet --manifest-path fuzz/Cargo.toml --bins
fi

step "cargo test"
cargo test --quiet 2>&1 | grep -v '^$'
# NOTE: `cargo test | grep` would hide a failure without pipefail; it is set above.

# NOTE: a test that hangs fails after 10 minutes (the longest, Next.js or
# Wrangler, take about a minute) instead of holding CI to its 90-minute limit.
TEST_TIMEOUT=--test-timeout=600000

# pkg_tests NAMES: the package test files but those named (space-separated).
pkg_tests() {
  files=()
  for f in pkg-tests/*.test.js; do
    name="$(basename "$f" .test.js)"
    case " $1 " in *" $name "*) ;; *) files+=("$f") ;; esac
  done
}

if [ "$QUICK" = 1 ]; then
  step "node --test pkg-tests/ (Node and workerd; not: $SLOW)"
  pkg_tests "$SLOW"
  node --test --test-concurrency=2 "$TEST_TIMEOUT" "${files[@]}"
else
  step "node --test pkg-tests/ (Node, workerd, Chromium, LiteLLM, consumers; the demo after)"
  pkg_tests demo
  node --test --test-concurrency=2 "$TEST_TIMEOUT" "${files[@]}"
  # NOTE: the demo's test times its interactions (issue 19: the verdict of a
  # 5 MB capture within 1 s): run alone, it measures the demo, not the other
  # suites sharing the two cores (693 and 750 ms beside them here, once 1,022).
  step "node --test pkg-tests/demo.test.js (alone: it is timed)"
  node --test "$TEST_TIMEOUT" pkg-tests/demo.test.js
fi
