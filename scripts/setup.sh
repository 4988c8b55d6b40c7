#!/usr/bin/env bash
# Installs everything the build and the test suites need, once per machine.
# Each step checks first and does nothing when the tool is already there, so
# `npm test` can call this on every run. Heavy installs live outside the clone
# (~/.cargo/bin, $SSE_SANITIZER_CACHE) so a fresh clone on the same machine reuses them.
#
#   scripts/setup.sh            all steps
#   scripts/setup.sh rust       only the Rust pieces (pinned nightly, wasm32 target)
#   scripts/setup.sh chromium   only Debian's chromium
#   scripts/setup.sh litellm    only the LiteLLM venv
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE="${SSE_SANITIZER_CACHE:-$HOME/.cache/sse-sanitizer}"
mkdir -p "$CACHE"

LITELLM_VERSION="1.106.1"

log() { printf '[setup] %s\n' "$*" >&2; }

setup_rust() {
  # The pinned nightly the wasm modules are built with (scripts/wasm.sh).
  # shellcheck source=scripts/wasm.sh
  . scripts/wasm.sh
  local sysroot
  sysroot="$(rustup run "$WASM_TOOLCHAIN" rustc --print sysroot 2>/dev/null)" || sysroot=""
  if [ -z "$sysroot" ] || [ ! -d "$sysroot/lib/rustlib/src/rust/library" ] \
    || [ ! -d "$sysroot/lib/rustlib/wasm32-unknown-unknown" ]; then
    log "installing rust $WASM_TOOLCHAIN (rust-src, wasm32-unknown-unknown) for the wasm build"
    rustup toolchain install "$WASM_TOOLCHAIN" --profile minimal --component rust-src --target wasm32-unknown-unknown
  fi
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  log "installing Debian chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
}

setup_litellm() {
  local venv="$CACHE/litellm-$LITELLM_VERSION"
  # NOTE: a venv is not relocatable, so it is built in place; the lock keeps two
  # concurrent setups from racing and .complete marks a finished install.
  exec 9>"$CACHE/litellm.lock"
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    log "creating LiteLLM $LITELLM_VERSION venv in $venv (pip; a few minutes once)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION" prisma
    touch "$venv/.complete"
  fi
  flock -u 9
}

case "${1:-all}" in
  rust) setup_rust ;;
  chromium) setup_chromium ;;
  litellm) setup_litellm ;;
  all) setup_rust; setup_chromium; setup_litellm ;;
  *) echo "usage: scripts/setup.sh [rust|chromium|litellm|all]" >&2; exit 2 ;;
esac
