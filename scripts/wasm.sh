# Sourced by scripts/setup.sh, build.sh and profile.sh: the one way the wasm
# modules are compiled and optimized.
# shellcheck shell=bash

# The pinned nightly of Cargo.toml's [package.metadata.wasm].
WASM_TOOLCHAIN="$(sed -n 's/^toolchain = "\(nightly-[0-9-]*\)"/\1/p' Cargo.toml | head -1)"
WASM_TARGET_DIR="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"

# wasm_cargo [cargo args…]: the release wasm32 build of the crate on
# $WASM_TOOLCHAIN, std built from source with it, panicking by `unreachable`
# alone (-Cpanic=immediate-abort): no panic messages, locations or the
# `core::fmt` they are formatted with. NOTE: the panic flag is added to
# .cargo/config.toml's rustflags (simd128); RUSTFLAGS from the caller's
# environment would replace those, so it is unset.
wasm_cargo() {
  env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
    cargo "+$WASM_TOOLCHAIN" build --quiet --release --lib --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort \
    --config 'target.wasm32-unknown-unknown.rustflags=["-Zunstable-options", "-Cpanic=immediate-abort"]' "$@"
}

# The whole package's module: opt-level 3 (Cargo.toml), std with its
# `optimize_for_size` variants (smaller sorts and number formatting, the same
# O(n log n) bounds).
wasm_cargo_whole() {
  wasm_cargo -Zbuild-std-features=optimize_for_size "$@"
}

# A module of `sse-sanitizer/stream`, of the features given (`sanitize` or
# `accumulate`, Cargo.toml): opt-level "z" and talc.
# NOTE: std itself stays at opt-level 3, which is smaller here than "z"
# (36,947 vs 37,610 B gzipped); `optimize_for_size` changes nothing in it.
wasm_cargo_stream() {
  local features="$1"
  shift
  wasm_cargo --config 'profile.release.opt-level="z"' \
    --config profile.release.package.core.opt-level=3 --config profile.release.package.alloc.opt-level=3 \
    --config profile.release.package.std.opt-level=3 --no-default-features --features "$features,small-alloc" "$@"
}

# wasm_opt IN OUT [wasm-opt passes and flags…]
# NOTE: --low-memory-unused lets binaryen fold a constant added to an address
# into the access's offset (`load offset=C x` for `load (x + C)`). The two
# differ only when x + C wraps past 4 GiB to an address under 1 KiB, which
# our modules never mean to touch: Rust's wasm32 layout puts the 1 MiB stack
# first, growing down to 0, so that KiB is the bottom of a stack about to
# overflow, and an access that wrapped now traps instead of landing there.
# It takes ~0.7% off both modules (36,947 → 36,628 and 202,761 → 201,486 B
# gzipped), as fast in `npm run bench` (parse, sanitize, shapes).
wasm_opt() {
  local in="$1" out="$2"
  shift 2
  node_modules/.bin/wasm-opt --low-memory-unused "$@" --strip-producers --strip-target-features --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue --enable-simd "$in" -o "$out"
}
