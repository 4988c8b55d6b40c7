#!/usr/bin/env bash
# `npm test`: installs what is missing (once per machine), builds the package
# once, then runs every suite: Rust (native), the built package in Node,
# workerd (miniflare), Chromium (playwright-core) and the LiteLLM end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*" >&2; }

step "setup (no-op when already installed)"
bash scripts/setup.sh all
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "build"
bash scripts/build.sh

step "cargo fmt --check, clippy"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings

step "cargo check fuzz/ (keeps the fuzz targets compiling; cached target dir)"
CARGO_TARGET_DIR="${SSE_SANITIZER_CACHE:-$HOME/.cache/sse-sanitizer}/fuzz-target" \
  cargo check --quiet --manifest-path fuzz/Cargo.toml --bins

step "cargo test"
cargo test --quiet 2>&1 | grep -v '^$'
# NOTE: `cargo test | grep` would hide a failure without pipefail; it is set above.

step "node --test pkg-tests/ (Node, workerd, Chromium, LiteLLM)"
node --test --test-concurrency=2 pkg-tests/
