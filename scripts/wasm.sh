# Sourced by scripts/setup.sh, build.sh and profile.sh: the one way the wasm
# modules are compiled and optimized.
# shellcheck shell=bash

# The pinned nightly of Cargo.toml's [package.metadata.wasm].
WASM_TOOLCHAIN="$(sed -n 's/^toolchain = "\(nightly-[0-9-]*\)"/\1/p' Cargo.toml | head -1)"
WASM_TARGET_DIR="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"

# wasm_cargo [cargo args…]: the release wasm32 build of the crate (the whole
# package's module), on the default toolchain.
wasm_cargo() {
  cargo build --quiet --release --lib --target wasm32-unknown-unknown "$@"
}

# wasm_cargo_small [cargo args…]: the same build at opt-level "z" with std
# built from source on $WASM_TOOLCHAIN, panicking by `unreachable` alone
# (-Cpanic=immediate-abort): no panic messages, locations or the `core::fmt`
# they are formatted with. NOTE: std itself stays at opt-level 3; built at
# "z" it halved the SSE parser's throughput (its UTF-8 and ASCII loops).
# RUSTFLAGS is replaced, not added to, so a caller's flags do not change
# the module.
wasm_cargo_small() {
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
    cargo "+$WASM_TOOLCHAIN" build --quiet --release --lib --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort --config 'profile.release.opt-level="z"' \
    --config profile.release.package.core.opt-level=3 --config profile.release.package.alloc.opt-level=3 \
    --config profile.release.package.std.opt-level=3 "$@"
}

# wasm_opt IN OUT [wasm-opt passes and flags…]
wasm_opt() {
  local in="$1" out="$2"
  shift 2
  node_modules/.bin/wasm-opt "$@" --strip-producers --strip-target-features --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue --enable-simd "$in" -o "$out"
}
